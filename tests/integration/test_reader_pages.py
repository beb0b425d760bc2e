#!/usr/bin/env python3
"""Live blogs read from their pages, as readers show them (issue 13, "How to show it").

Feeds whose one item is only a summary point (file://, as the demo does) at pages of
tests/fixtures/liveblog in the shapes real outlets write: JSON-LD that lists every update,
JSON-LD that lists only the newest, stamps that are also the only heading, "Syria." topic tags.
braid polls them and serves the stream; then
- newsboat reloads /feed.atom: every update is its own article, titled by its own words (the
  fixture's opening words), never a stamp, never twice within a blog;
- feedparser reads /feed.atom: sorted by `updated`, newest first, the updates come in story
  order (their own times), not in the order braid stored them.
Each reader part is skipped (CTest shows Skipped) when the reader is not installed.
"""
import calendar
import datetime
import json
import os
import shutil
import socket
import subprocess
import urllib.request

from braidtest import BRAID, FIXTURES, Suite, newsboat_titles, wait_http

s = Suite("reader_pages")
with open(os.path.join(FIXTURES, "liveblog", "expected.json"), encoding="utf-8") as f:
    EXPECTED = json.load(f)
PAGES = ["cnn-stamp-date-jsonld.html", "ap-custom-timestamp.html", "school-time-date.html",
         "ea-gmt-tweets.html"]

tmp = s.tmp
os.makedirs(os.path.join(tmp, "feeds.d"))
want = {}  # feed name -> [(utc instant, opening words)]
for page in PAGES:
    e = EXPECTED[page]
    name = page.split(".")[0]
    shutil.copy(os.path.join(FIXTURES, "liveblog", page), os.path.join(tmp, page))
    date = datetime.datetime.fromisoformat(e["date"])
    with open(os.path.join(tmp, name + ".rss"), "w") as f:
        f.write(f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>{name}</title><link>file://{tmp}/</link>
<item><title>{name} – live</title><link>file://{tmp}/{page}</link><guid>{name}-blog</guid>
<pubDate>{date.strftime('%a, %d %b %Y %H:%M:%S %z')}</pubDate>
<description>Follow the latest as it happens.</description></item></channel></rss>
""")
    with open(os.path.join(tmp, "feeds.d", name + ".feed"), "w") as f:
        f.write(f"url = file://{tmp}/{name}.rss\nliveblog = always\n")
        if e.get("tz"):
            f.write(f"timezone = {e['tz']}\n")
    want[name] = [(datetime.datetime.fromisoformat(t).astimezone(datetime.timezone.utc)
                   .strftime("%Y-%m-%dT%H:%M:%SZ"), w) for t, w in e["updates"]]
with socket.socket() as so:
    so.bind(("127.0.0.1", 0))
    port = so.getsockname()[1]
conf = os.path.join(tmp, "braid.conf")
with open(conf, "w") as f:
    f.write(f"[store]\npath = braid.db\n[http]\nlisten = 127.0.0.1:{port}\n[stream]\nentries = 500\n")

r = subprocess.run([BRAID, "poll", "--once", "--config", conf], capture_output=True, timeout=60)
s.check("the feeds and their pages poll", r.returncode == 0, r.stderr.decode())
exp = subprocess.run([BRAID, "export", "--format", "json", "-n", "500", "--config", conf],
                     capture_output=True, timeout=60)
stored = json.loads(exp.stdout)["items"] if exp.returncode == 0 else []
titles_by_feed = {}
for name, ups in want.items():
    got = {i["date_published"]: i["title"] for i in stored
           if i["_braid"]["source"]["feed"] == name}
    titles_by_feed[name] = list(got.values())
    s.check(f"{name}: one entry per update", len(got) == len(ups), sorted(got.items()))
    for t, words in ups:
        s.check(f"{name}: the {t} update is titled by its own words \"{words}…\"",
                got.get(t, "").startswith(words), got.get(t))
    s.check(f"{name}: titles distinct", len(set(got.values())) == len(got), list(got.values()))

daemon = subprocess.Popen([BRAID, "run", "--config", conf], stderr=subprocess.PIPE)
try:
    s.check("the daemon serves", wait_http(f"http://127.0.0.1:{port}/healthz"))
    newsboat = shutil.which("newsboat")
    if not newsboat:
        s.skip("newsboat is not installed (apt-get install newsboat)")
    else:
        nb, shown = newsboat_titles(newsboat, f"http://127.0.0.1:{port}/feed.atom", tmp)
        s.check("newsboat -x reload succeeds", nb.returncode == 0, nb.stdout + nb.stderr)
        for name, titles in titles_by_feed.items():
            s.check(f"newsboat shows each update of {name} under its own title",
                    titles and all(t in shown for t in titles), (titles, shown))
        s.check("newsboat shows no title that is only a stamp or the blog's",
                not any(t[:1].isdigit() or t.endswith("– live") for t in shown), shown)
        s.check("newsboat shows every update once", len(shown) == len(set(shown)) ==
                sum(len(u) for u in want.values()), shown)
    try:
        import feedparser
    except ImportError:
        s.skip("python3-feedparser is not installed (apt-get install python3-feedparser)")
    else:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/feed.atom") as resp:
            d = feedparser.parse(resp.read())
        s.check("feedparser reads /feed.atom cleanly", not d.bozo, d.get("bozo_exception"))
        by_updated = sorted(d.entries, key=lambda e: calendar.timegm(e.updated_parsed), reverse=True)
        story_order = sorted(d.entries, key=lambda e: calendar.timegm(e.published_parsed),
                             reverse=True)
        s.check("feedparser: newest first by updated is story order",
                [e.title for e in by_updated] == [e.title for e in story_order],
                [(e.title, e.updated) for e in by_updated])
        s.check("feedparser: the newest entry is the newest update (AP's 2:00 PM EDT post)",
                by_updated and by_updated[0].title == "Storm comes ashore",
                by_updated[0].title if by_updated else None)
finally:
    daemon.terminate()
    daemon.wait(timeout=10)
s.finish()
