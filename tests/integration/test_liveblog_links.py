#!/usr/bin/env python3
"""Relative links inside a live blog's updates resolve against the page the update lives on.

A real HTTP server on 127.0.0.1 serves one feed (on its own path, /feeds/) whose items carry
their bodies: a live blog split from the feed body (updates link "#block-c4", "/2024/live/x",
"map.html"), an ordinary story with the same relative links, and a live blog whose content
carries an xml:base. `braid poll --once` then `braid export --format json`: the blog's
updates link against the item's own page (its <link>), the story against the feed's URL as
before (what feedparser and `braid parse` do), and xml:base wins where the feed wrote one.
"""
import json
import os
import subprocess
import sys
import time

from braidtest import SOURCE, Suite, free_port, run_braid

s = Suite("liveblog_links")
www = os.path.join(s.tmp, "www")
os.makedirs(os.path.join(www, "feeds"))
server = subprocess.Popen([sys.executable, os.path.join(SOURCE, "tests/integration/pageserver.py"),
                           www], stdout=subprocess.PIPE, text=True)
port = int(server.stdout.readline())
base = f"http://127.0.0.1:{port}"
now = int(time.time())


def rfc822(t):
    return time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(t))


def hhmm(t):
    return time.strftime("%H%M", time.gmtime(t))


LINKS = '<a href="#block-c4">earlier</a>, <a href="/2024/live/x">the map</a>, <a href="map.html">more</a>'
blog = "".join(f"<p>{hhmm(now - k * 1800)} GMT: Update {k} says more, see {LINKS}.</p>"
               for k in (1, 2, 3))
blog_esc = blog.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
# Other words for the second feed: the same updates in two feeds would be merged as one.
floods = "".join(f"<p>{hhmm(now - k * 1800 - 600)} GMT: Flood note {k} for the valley, see {LINKS}.</p>"
                 for k in (1, 2, 3))
floods_esc = floods.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
story = f"<p>A plain story, see {LINKS}.</p>".replace("<", "&lt;").replace(">", "&gt;")
with open(os.path.join(www, "feeds", "news.rss"), "w") as f:
    f.write(f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>News</title>
<link>{base}/</link>
<item><title>Storm \u2013 live</title><link>{base}/news/live/storm.html</link>
<guid>{base}/news/live/storm.html</guid><pubDate>{rfc822(now - 3 * 3600)}</pubDate>
<description>{blog_esc}</description></item>
<item><title>A plain story</title><link>{base}/news/story.html</link><guid>{base}/news/story.html</guid>
<pubDate>{rfc822(now - 3 * 3600)}</pubDate><description>{story}</description></item>
</channel></rss>
""")
with open(os.path.join(www, "feeds", "based.atom"), "w") as f:
    f.write(f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Based</title><id>urn:x:based</id>
<updated>{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(now))}</updated>
<entry><title>Floods \u2013 live</title><id>urn:x:floods</id><link href="{base}/other/floods.html"/>
<updated>{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(now - 3 * 3600))}</updated>
<content type="html" xml:base="{base}/archive/floods/">{floods_esc}</content></entry></feed>
""")

conf_dir = os.path.join(s.tmp, "conf")
os.makedirs(os.path.join(conf_dir, "feeds.d"))
for name, path in (("news", "news.rss"), ("based", "based.atom")):
    with open(os.path.join(conf_dir, "feeds.d", name + ".feed"), "w") as f:
        f.write(f"url = {base}/feeds/{path}\nliveblog_page = never\n")
conf = os.path.join(conf_dir, "braid.conf")
with open(conf, "w") as f:
    f.write(f"[store]\npath = braid.db\n[http]\nlisten = 127.0.0.1:{free_port()}\n"
            "[poll]\ntimeout = 5s\n")

try:
    r = run_braid("poll", "--once", "--config", conf, timeout=60)
    s.check("poll exits 0", r.returncode == 0, r.stderr.decode())
    r = run_braid("export", "--format", "json", "-n", "100", "--config", conf)
    items = json.loads(r.stdout)["items"] if r.returncode == 0 else []
    news = [i for i in items if i["_braid"]["source"]["feed"] == "news"]
    ups = [i for i in news if i.get("title", "").startswith("Update")]
    s.check("the feed body is split into three updates", len(ups) == 3, [i.get("title") for i in news])
    page = f"{base}/news/live/storm.html"
    for i in ups:
        html = i.get("content_html", "")
        s.check(f"{i.get('title')}: '#block-c4' resolves against the item's page",
                f'href="{page}#block-c4"' in html, html)
        s.check(f"{i.get('title')}: '/2024/live/x' resolves against the item's page",
                f'href="{base}/2024/live/x"' in html, html)
        s.check(f"{i.get('title')}: 'map.html' resolves against the item's page",
                f'href="{base}/news/live/map.html"' in html and "/feeds/" not in html, html)
    st = [i for i in news if i.get("title") == "A plain story"]
    html = st[0].get("content_html", "") if st else ""
    s.check("a story's relative links still resolve against the feed's URL",
            f'href="{base}/feeds/news.rss#block-c4"' in html and f'href="{base}/feeds/map.html"' in html,
            html)
    based = [i for i in items if i["_braid"]["source"]["feed"] == "based"]
    s.check("the xml:base blog is split", len(based) == 3, [i.get("title") for i in based])
    s.check("xml:base wins over the item's page for its updates",
            all(f'href="{base}/archive/floods/map.html"' in i.get("content_html", "") for i in based),
            [i.get("content_html") for i in based])
finally:
    server.terminate()
    server.wait(timeout=10)
s.finish()
