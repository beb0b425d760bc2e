#!/usr/bin/env python3
"""Writes the seed corpora of tests/fuzz/corpus/NAME/ from the project's fixtures.

Each target's input layout (see the comment at the top of fuzz_NAME.c) starts with one or two
option bytes; the seeds carry a few choices of them so the fuzzer starts from every mode.
Files are named by content hash (as libFuzzer names them), so re-running is idempotent and
a corpus merged from fuzzing runs sits beside the seeds without clashes.
Usage: tests/fuzz/make_seeds.py   (from anywhere; writes next to itself)
"""
import hashlib
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIX = os.path.join(ROOT, "tests", "fixtures")
MAX_SEED = 64 * 1024  # keep the corpus small enough to replay in every test run


def write(target, data):
    data = data[:MAX_SEED]
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def files(sub, exts):
    d = os.path.join(FIX, sub)
    for n in sorted(os.listdir(d)):
        if n.endswith(exts):
            with open(os.path.join(d, n), "rb") as f:
                yield f.read()


def c_strings(path):
    """The string literals of a C test file: the dates and stamps its tables hold."""
    with open(path, encoding="utf-8") as f:
        src = f.read()
    for m in re.finditer(r'"((?:[^"\\\n]|\\.)*)"', src):
        s = m.group(1)
        if 3 <= len(s) <= 120 and "%" not in s:
            yield bytes(s, "utf-8").decode("unicode_escape").encode("latin-1", "replace")


def main():
    feeds = list(files("parse", (".xml", ".rdf", ".json"))) + list(files("parse/feedparser", (".xml",))) + \
        list(files("feeds", (".rss", ".atom", ".rdf"))) + list(files("net", (".rss", ".atom")))
    for doc in feeds:
        write("parse", b"\x00\x00" + doc)      # one push, no charset, no base
        write("parse", b"\x47\x01" + doc)      # 7-byte chunks, iso-8859-1 label, base URL
    for t in ("test_date.c", "test_stamp.c", "test_tz.c", "test_split_stamps.c"):
        for s in c_strings(os.path.join(ROOT, "tests", "unit", t)):
            write("date", s)
    pages = list(files("split", (".html",)))
    for page in pages:
        write("split", b"\x00\x01" + page)     # auto, no zone, post date
        write("split", b"\x04\x02" + page)     # always, Europe/London, post date with offset
        write("render", b"\x00" + page)        # sanitize
    entry = b"\xfe".join([
        b"tag:braid.example,2011:1", b"2120 GMT: Shelling resumed", b"https://news.example/live#u1",
        b"Reporter", b"<p>Shelling <a href='/x'>resumed</a> &amp; <script>x</script></p>",
        b"Shelling resumed", b"2120 GMT", b"https://news.example/live", b"Syria live",
        b"homs", b"Homs live", b"https://news.example/", b"https://news.example/feed.rss"])
    write("render", b"\x01" + entry)
    with open(os.path.join(ROOT, "packaging", "braid.conf"), "rb") as f:
        write("config", b"\x00" + f.read())
    write("config", b"\x00[store]\npath = braid.db\n[poll]\ninterval = 5m\nper_host = 2\n"
                    b"[http]\nlisten = 127.0.0.1:8080\n[stream]\nper_feed = 10\n")
    for n in sorted(os.listdir(os.path.join(ROOT, "feeds.d"))):
        if n.endswith(".feed"):
            with open(os.path.join(ROOT, "feeds.d", n), "rb") as f:
                write("config", b"\x01" + f.read())
    write("config", b"\x01url = https://news.example/feed.rss\ntitle = Homs\ninterval = 10m\n"
                    b"liveblog = always\ntimezone = Europe/London\n")
    for doc in files("net", (".opml",)):
        write("config", b"\x02" + doc)
    requests = [
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        b"GET /feed.atom HTTP/1.1\r\nHost: braid.example\r\nAccept-Encoding: gzip\r\n\r\n",
        b"GET /feed.rss?n=2 HTTP/1.0\r\n\r\n",
        b"GET /feed.json?since=2011-11-08T20:00:00Z&n=1 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"HEAD /feeds/homs.atom HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"abc\", W/\"def\"\r\n\r\n",
        b"GET /feed.atom HTTP/1.1\r\nHost: x\r\nIf-Modified-Since: Tue, 08 Nov 2011 21:30:00 GMT\r\n\r\n",
        b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /feed.atom HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        b"GET /feeds/nope.atom HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /feed.atom?n=0&n=99999999999 HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n",
        b"GET /%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET / HTTP/2.0\r\n\r\n",
    ]
    for r in requests:
        write("http", r)
    for t in ("parse", "date", "split", "config", "http", "render"):
        os.makedirs(os.path.join(HERE, "regressions", t), exist_ok=True)
        keep = os.path.join(HERE, "regressions", t, ".gitkeep")
        open(keep, "a").close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
