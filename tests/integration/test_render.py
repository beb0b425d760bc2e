"""The renderer's documents, parsed back the way feed readers parse them.

Runs the test_render unit-test program (built beside braid) with BRAID_RENDER_OUT so it writes
its Atom, RSS, JSON Feed and HTML documents from the fixed stream of
tests/unit/test_render_fixture.h, then checks them with Debian's python3-feedparser (no bozo,
same entries in order, ids/links/dates right), against RFC 4287's RELAX NG schema with
`xmllint --relaxng` (plus the appendix's Schematron rules, here in Python), against the JSON
Feed 1.1 required fields, and the HTML page with html5lib's strict HTML5 parser, for balanced
tags and for no script. Debian packages: python3-feedparser, python3-html5lib, libxml2-utils.
"""
import datetime
import email.utils
import html.parser
import json
import os
import subprocess
import xml.dom.minidom

from braidtest import BRAID, FIXTURES, Suite

import importlib
import sys


def debian_module(name):
    """Imports a Debian python3-* package, also from an interpreter (pyenv, say) that does not
    search /usr/lib/python3/dist-packages; both used here are pure Python. None if missing."""
    try:
        return importlib.import_module(name)
    except ImportError:
        if "/usr/lib/python3/dist-packages" not in sys.path:
            sys.path.append("/usr/lib/python3/dist-packages")
        try:
            return importlib.import_module(name)
        except ImportError:
            return None


feedparser = debian_module("feedparser")  # python3-feedparser
html5lib = debian_module("html5lib")  # python3-html5lib

suite = Suite("render")
out = suite.tmp
program = os.path.join(os.path.dirname(os.path.abspath(BRAID)), "test_render")
env = dict(os.environ, BRAID_RENDER_OUT=out)
run = subprocess.run([program], env=env, capture_output=True, timeout=120)
suite.check("test_render runs and writes its documents", run.returncode == 0,
            run.stdout.decode()[-2000:] + run.stderr.decode()[-2000:])

IDS = ["tag:braid,2011:ea-worldview/syria-live/2120", "tag:braid,2011:ea-worldview/syria-live/2105",
       "tag:braid,2011:bbc/café", "tag:braid,2011:hostile/1", "urn:braid:entry:1"]
LINKS = ["https://ea.example/syria-live#u2120", "https://ea.example/syria-live#u2105",
         "https://bbc.example/news/cafe?a=1&b=2", "https://hostile.example/post/1", None]
PUBLISHED = ["2011-11-08T21:20:00Z", "2011-11-08T21:05:00Z", "2011-11-08T20:00:00Z",
             "2011-11-08T19:00:00Z", "2011-11-08T18:00:00Z"]
TITLES = ["Syria live — 2120 GMT", "Syria live — 2105 GMT", "Café ünïcödé 日本 & <friends>",
          "Hostile </title><script>alert(1)</script>", "Only text here, no title and no link."]
VECTORS = ["alert('x')", "alert(2)", "alert(3)", "alert(4)", "alert(5)", "javascript:", "onerror", "srcdoc"]


def path(name):
    return os.path.join(out, name)


def read(name):
    with open(path(name), "rb") as f:
        return f.read()


def utc(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)


def struct_utc(t):
    return datetime.datetime(*t[:6], tzinfo=datetime.timezone.utc)


# ---- feedparser: what a feed reader sees --------------------------------------------------------
if suite.check("python3-feedparser is installed", feedparser is not None,
               "apt-get install -y python3-feedparser"):
    for name in ("feed.atom", "feed.rss"):
        d = feedparser.parse(read(name))
        suite.check(f"{name}: not bozo", not d.bozo, repr(d.get("bozo_exception")))
        suite.check(f"{name}: version", d.version == ("atom10" if name.endswith("atom") else "rss20"),
                    d.version)
        suite.check(f"{name}: title", d.feed.get("title") == "braid test stream", d.feed.get("title"))
        got_ids = [e.get("id") for e in d.entries]
        suite.check(f"{name}: same entries, in order", got_ids == IDS, repr(got_ids))
        got_links = [e.get("link") for e in d.entries]
        suite.check(f"{name}: links", got_links[:4] == LINKS[:4], repr(got_links))
        got_titles = [e.get("title") for e in d.entries]
        suite.check(f"{name}: titles (entities decoded, non-ASCII intact)", got_titles == TITLES,
                    repr(got_titles))
        for e, want in zip(d.entries, PUBLISHED):
            got = e.get("published_parsed")
            suite.check(f"{name}: {e.get('id')} published", got and struct_utc(got) == utc(want),
                        f"{got} want {want}")
        body = d.entries[0].get("summary", "")
        suite.check(f"{name}: sanitised HTML body kept", "<b>shelling</b>" in body, body)
        hostile = d.entries[3].get("summary", "")
        suite.check(f"{name}: hostile body disarmed", all(v not in hostile for v in VECTORS)
                    and "safe text" in hostile, hostile)
        src = d.entries[0].get("source", {})
        if name.endswith("atom"):
            suite.check("feed.atom: atom:source names the feed", src.get("id") == "https://ea.example/feed/"
                        and src.get("title") == "EA WorldView", repr(src))
            suite.check("feed.atom: updated", struct_utc(d.entries[0].updated_parsed) == utc("2011-11-08T21:21:00Z"),
                        repr(d.entries[0].get("updated")))
            vias = [l.get("href") for l in d.entries[2].get("links", []) if l.get("rel") == "via"]
            suite.check("feed.atom: second source as rel=via", vias == ["https://guardian.example/world/cafe"],
                        repr(vias))
        else:
            suite.check("feed.rss: <source url>", src.get("href") == "https://ea.example/feed/"
                        and src.get("title") == "EA WorldView", repr(src))
            suite.check("feed.rss: guid not a permalink", d.entries[0].get("guidislink") is False,
                        repr(d.entries[0].get("guidislink")))
    one = feedparser.parse(read("ea-worldview.atom"))
    suite.check("ea-worldview.atom: not bozo", not one.bozo, repr(one.get("bozo_exception")))
    suite.check("ea-worldview.atom: one source's entries",
                [e.id for e in one.entries] == IDS[:2], repr([e.get("id") for e in one.entries]))
    suite.check("ea-worldview.atom: titled after its feed", one.feed.get("title") == "EA WorldView",
                one.feed.get("title"))

# ---- Atom against RFC 4287 ----------------------------------------------------------------------
schema = os.path.join(FIXTURES, "render", "atom.rng")
for name in ("feed.atom", "ea-worldview.atom"):
    r = subprocess.run(["xmllint", "--noout", "--relaxng", schema, path(name)], capture_output=True)
    suite.check(f"{name}: valid against RFC 4287's RELAX NG schema", r.returncode == 0, r.stderr.decode())
# The schema must be able to fail: an entry without its required atom:id does.
broken = read("feed.atom").replace(b"<id>urn:braid:entry:1</id>", b"", 1)
with open(path("broken.atom"), "wb") as f:
    f.write(broken)
r = subprocess.run(["xmllint", "--noout", "--relaxng", schema, path("broken.atom")], capture_output=True)
suite.check("atom.rng rejects an entry without atom:id", r.returncode != 0, r.stderr.decode())

ATOM = "http://www.w3.org/2005/Atom"
doc = xml.dom.minidom.parseString(read("feed.atom"))
feed = doc.documentElement
feed_authors = [n for n in feed.childNodes if n.nodeType == n.ELEMENT_NODE and n.localName == "author"]
for entry in feed.getElementsByTagNameNS(ATOM, "entry"):
    kids = [n for n in entry.childNodes if n.nodeType == n.ELEMENT_NODE]
    eid = [k for k in kids if k.localName == "id"][0].firstChild.data
    suite.check(f"Schematron: {eid} has an author (the feed has none)",
                feed_authors or any(k.localName == "author" for k in kids))
    alternates = [(k.getAttribute("type"), k.getAttribute("hreflang")) for k in kids
                  if k.localName == "link" and k.getAttribute("rel") in ("", "alternate")]
    suite.check(f"Schematron: {eid} has one alternate link per type and hreflang",
                len(alternates) == len(set(alternates)), repr(alternates))
    has_content = any(k.localName == "content" for k in kids)
    suite.check(f"RFC 4287 4.1.1.1: {eid} has content or an alternate link", has_content or alternates)

# ---- RSS 2.0 ------------------------------------------------------------------------------------
rss = xml.dom.minidom.parseString(read("feed.rss"))
items = rss.getElementsByTagName("item")
suite.check("feed.rss: five items", len(items) == 5, str(len(items)))
for item, want in zip(items, PUBLISHED):
    date = item.getElementsByTagName("pubDate")[0].firstChild.data
    parsed = email.utils.parsedate_to_datetime(date)
    suite.check(f"feed.rss: pubDate {date} is RFC 822 in GMT", date.endswith(" GMT") and parsed == utc(want),
                f"want {want}")

# ---- JSON Feed 1.1 ------------------------------------------------------------------------------
jf = json.loads(read("feed.json"))
suite.check("feed.json: version", jf.get("version") == "https://jsonfeed.org/version/1.1", jf.get("version"))
suite.check("feed.json: title is a string", isinstance(jf.get("title"), str))
suite.check("feed.json: items is a list", isinstance(jf.get("items"), list))
suite.check("feed.json: feed_url and home_page_url", jf.get("feed_url") == "http://127.0.0.1:8080/feed.json"
            and jf.get("home_page_url") == "http://127.0.0.1:8080/", repr(jf))
for it, want_id, want_pub in zip(jf["items"], IDS, PUBLISHED):
    suite.check(f"feed.json: {want_id} id", it.get("id") == want_id, repr(it.get("id")))
    suite.check(f"feed.json: {want_id} has content_html or content_text",
                isinstance(it.get("content_html"), str) or isinstance(it.get("content_text"), str))
    suite.check(f"feed.json: {want_id} date_published", it.get("date_published") == want_pub)
    for key in ("date_published", "date_modified"):
        suite.check(f"feed.json: {want_id} {key} is RFC 3339",
                    datetime.datetime.fromisoformat(it[key].replace("Z", "+00:00")) is not None)
    for a in it.get("authors", []):
        suite.check(f"feed.json: {want_id} author has a name", isinstance(a.get("name"), str))
    unknown = [k for k in it if not k.startswith("_") and k not in (
        "id", "url", "external_url", "title", "content_html", "content_text", "summary", "image",
        "banner_image", "date_published", "date_modified", "authors", "tags", "language", "attachments")]
    suite.check(f"feed.json: {want_id} has only JSON Feed keys or _extensions", not unknown, repr(unknown))
suite.check("feed.json: hostile body disarmed",
            all(v not in json.dumps(jf, ensure_ascii=False) for v in VECTORS))


# ---- the HTML page ------------------------------------------------------------------------------
class Balance(html.parser.HTMLParser):
    VOID = {"meta", "link", "br", "img", "hr", "source", "wbr", "col", "input"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.tags, self.times = [], [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "time":
            self.times.append(dict(attrs).get("datetime"))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


page = read("index.html").decode("utf-8")
b = Balance()
b.feed(page)
b.close()
suite.check("index.html: starts with <!DOCTYPE html>", page.startswith("<!DOCTYPE html>\n"))
if suite.check("python3-html5lib is installed", html5lib is not None, "apt-get install -y python3-html5lib"):
    strict = html5lib.HTMLParser(strict=True)
    try:
        strict.parse(page)
        parse_error = None
    except html5lib.html5parser.ParseError as e:
        parse_error = f"{e} {strict.errors[:3]}"
    suite.check("index.html: parses as HTML5 without a single parse error", parse_error is None, parse_error)
suite.check("index.html: every tag closed in order", not b.errors and not b.stack, repr(b.errors[:5] + b.stack))
suite.check("index.html: no script element", "script" not in b.tags)
suite.check("index.html: <time datetime> values are UTC RFC 3339",
            b.times and all(t and utc(t) for t in b.times), repr(b.times))
suite.check("index.html: the live blog's updates are grouped", page.count('<section class="live">') == 1
            and page.count('<time class="stamp"') == 2)
suite.finish()
