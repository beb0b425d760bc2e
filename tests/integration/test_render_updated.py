"""`updated` means what readers think (issue 13, item 5), read back with feedparser.

A feed on a real HTTP server on 127.0.0.1 has entries with an updated date, with only a
published date, and a live blog whose updates have stamps. The served /feed.atom must carry
each entry's own time as <updated> (the source's updated date, else its published date, else
the update's stamp), not the moment braid first saw it, so feedparser orders them as the
publisher did; RSS pubDate and JSON Feed date_modified agree. An edit braid detects on a later
poll moves that entry's `updated` to the time of the poll.
"""
import calendar
import json
import os
import subprocess
import time
import urllib.request

from braidtest import BRAID, Suite, free_port, run_braid
from feedserver import start_server, stop_server

s = Suite("render_updated")
try:
    import feedparser
except ImportError:
    s.skip("python3-feedparser is not installed (apt-get install python3-feedparser)")
    s.finish()

tmp = s.tmp
site = os.path.join(tmp, "site")
os.makedirs(site)


def write_feed(second_body="Second story."):
    with open(os.path.join(site, "news.atom"), "w") as f:
        f.write(f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>News</title><id>urn:news</id><updated>2026-01-02T08:00:00Z</updated>
  <link href="https://news.example/"/>
  <entry><id>urn:news:1</id><title>First, corrected next day</title>
    <link href="https://news.example/1"/>
    <published>2026-01-01T10:00:00Z</published><updated>2026-01-02T08:00:00Z</updated>
    <content type="text">First story.</content></entry>
  <entry><id>urn:news:2</id><title>Second, never updated</title>
    <link href="https://news.example/2"/>
    <published>2026-01-01T12:00:00Z</published>
    <content type="text">{second_body}</content></entry>
  <entry><id>urn:news:3</id><title>Third, updated within the hour</title>
    <link href="https://news.example/3"/>
    <published>2026-01-01T11:00:00Z</published><updated>2026-01-01T11:30:00Z</updated>
    <content type="text">Third story.</content></entry>
</feed>
""")
    os.utime(os.path.join(site, "news.atom"), (time.time() + 5, time.time() + 5))


def utc(text):
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


write_feed()
server, fport = start_server(fixtures=site)
port = free_port()
conf = os.path.join(tmp, "braid.conf")
with open(conf, "w") as f:
    f.write(f"[store]\npath = braid.db\n[http]\nlisten = 127.0.0.1:{port}\n")
os.makedirs(os.path.join(tmp, "feeds.d"))
with open(os.path.join(tmp, "feeds.d", "news.feed"), "w") as f:
    f.write(f"url = http://127.0.0.1:{fport}/feeds/news.atom\n")
try:
    r = run_braid("poll", "--once", "--config", conf)
    s.check("the feed polls", r.returncode == 0, r.stderr.decode())
    daemon = subprocess.Popen([BRAID, "run", "--config", conf], stderr=subprocess.DEVNULL)
    try:
        body = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/feed.atom") as resp:
                    body = resp.read()
                break
            except OSError:
                time.sleep(0.1)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/feed.json") as resp:
            jf = json.loads(resp.read())
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/feed.rss") as resp:
            rss = feedparser.parse(resp.read())
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)
    d = feedparser.parse(body)
    s.check("feedparser reads /feed.atom cleanly", not d.bozo and len(d.entries) == 3,
            (d.bozo_exception if d.bozo else None, len(d.entries)))
    want = {"urn:news:1": "2026-01-02T08:00:00Z", "urn:news:2": "2026-01-01T12:00:00Z",
            "urn:news:3": "2026-01-01T11:30:00Z"}
    got = {}
    for e in d.entries:
        title = e.get("title", "")
        key = next((k for k, t in (("urn:news:1", "First"), ("urn:news:2", "Second"),
                                   ("urn:news:3", "Third")) if title.startswith(t)), None)
        got[key] = time.strftime("%Y-%m-%dT%H:%M:%SZ", e.updated_parsed)
    s.check("Atom <updated> is the source's updated date, else its published date", got == want, got)
    by_updated = sorted(d.entries, key=lambda e: calendar.timegm(e.updated_parsed), reverse=True)
    s.check("feedparser orders by updated as the publisher did: First, Second, Third",
            [e.title.split(",")[0] for e in by_updated] == ["First", "Second", "Third"],
            [e.title for e in by_updated])
    mods = sorted(it.get("date_modified", "") for it in jf.get("items", []))
    s.check("JSON Feed date_modified carries the same times", mods == sorted(want.values()), mods)
    # RSS has only pubDate: the entry's published time, what RSS readers sort by.
    pubs = sorted(time.strftime("%Y-%m-%dT%H:%M:%SZ", e.published_parsed) for e in rss.entries)
    s.check("RSS pubDate is each entry's own time",
            pubs == ["2026-01-01T10:00:00Z", "2026-01-01T11:00:00Z", "2026-01-01T12:00:00Z"], pubs)

    # The publisher edits the second story without touching its dates: braid sees the edit.
    write_feed("Second story, corrected.")
    before = int(time.time())
    r = run_braid("poll", "--once", "--config", conf)
    s.check("the edited feed polls", r.returncode == 0, r.stderr.decode())
    r = run_braid("export", "--format", "atom", "--config", conf)
    d = feedparser.parse(r.stdout)
    second = [e for e in d.entries if e.title.startswith("Second")]
    edited = calendar.timegm(second[0].updated_parsed) if second else 0
    s.check("an edit braid detects sets updated to the time it saw it",
            before <= edited <= int(time.time()) + 1, (before, edited))
    first = [e for e in d.entries if e.title.startswith("First")]
    s.check("entries not edited keep their own updated",
            first and time.strftime("%Y-%m-%dT%H:%M:%SZ", first[0].updated_parsed) == want["urn:news:1"],
            first[0].updated if first else None)
finally:
    stop_server(server)
s.finish()
