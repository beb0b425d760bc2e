"""Two feeds carrying the same five stories, one of them a 13-update live blog, are one
stream of 17 entries, each with both feeds as its sources (issue 13, item 3).

A local HTTP server serves two RSS 2.0 feeds built from the demo fixtures: "paper" as the
publisher wrote them, "wire" as a syndicator re-publishes them, with its own guids, its own
links (so links cannot match them), its own markup around the same words, and its story
dates a few hours later. `braid poll --once` reads both; `braid tail` lists the stream. A
second poll, after the wire changed every item, must not split a merged entry again.
"""
import email.utils
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

from braidtest import BRAID, FIXTURES, Suite, free_port, run_braid

s = Suite("dedupe_feeds")
tmp = s.tmp


def stories():
    """(guid, title, link, unix time, html) of the five demo stories, oldest first."""
    out = []
    for name in ("homs-liveblog.rss", "homs-news.atom", "homs-wire.rdf"):
        root = ET.parse(os.path.join(FIXTURES, "feeds", name)).getroot()
        for el in root.iter():
            if el.tag.split("}")[-1] not in ("item", "entry"):
                continue
            f = {}
            for c in el:
                tag = c.tag.split("}")[-1]
                f.setdefault(tag, c.attrib.get("href") or c.text or "")
            when = f.get("pubDate") or f.get("published") or f.get("date")
            if "pubDate" in f:
                t = email.utils.parsedate_to_datetime(when).timestamp()
            else:
                t = time.mktime(time.strptime(when[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
            html = f.get("encoded") or f.get("content") or f.get("description")
            out.append((f.get("guid") or f.get("id") or f["link"], f["title"], f["link"],
                        int(t), html))
    return sorted(out, key=lambda x: x[3])


def rss(title, items):
    def esc(t):
        return t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    parts = ['<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>',
             f"<title>{esc(title)}</title><link>https://{title}.example/</link>"]
    for guid, t, link, when, html in items:
        parts.append(f"<item><guid isPermaLink=\"false\">{esc(guid)}</guid>"
                     f"<title>{esc(t)}</title><link>{esc(link)}</link>"
                     f"<pubDate>{email.utils.formatdate(when, usegmt=True)}</pubDate>"
                     f"<description>{esc(html)}</description></item>\n")
    parts.append("</channel></rss>\n")
    return "".join(parts)


def wire_copy(items, edition):
    """The syndicator's copy: other guids and links, other markup, the same words."""
    out = []
    for i, (guid, t, link, when, html) in enumerate(items):
        live = "LiveBlog" in t
        html = html.replace("<p>", '<p class="wire-text">')
        if edition > 1:
            html += '\n<p class="wire-credit">Distributed by Wire Service</p>' if not live else ""
        out.append((f"urn:wire:{i}",
                    t, f"https://wire.example/{edition}/story-{i}.html",
                    when if live else when + 3 * 3600, html))
    return out


www = os.path.join(tmp, "www")
os.makedirs(www)
paper = stories()
s.check("the demo fixtures hold five stories", len(paper) == 5, [p[1] for p in paper])
with open(os.path.join(www, "paper.rss"), "w") as f:
    f.write(rss("paper", paper))
with open(os.path.join(www, "wire.rss"), "w") as f:
    f.write(rss("wire", wire_copy(paper, 1)))

port = free_port()
server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind",
                           "127.0.0.1", "--directory", www],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    os.makedirs(os.path.join(tmp, "feeds.d"))
    for name in ("paper", "wire"):
        with open(os.path.join(tmp, "feeds.d", name + ".feed"), "w") as f:
            f.write(f"url = http://127.0.0.1:{port}/{name}.rss\n")
    conf = os.path.join(tmp, "braid.conf")
    with open(conf, "w") as f:
        f.write("[store]\npath = braid.db\n[http]\nlisten = 127.0.0.1:1\n")
    store = os.path.join(tmp, "braid.db")

    def poll():
        for _ in range(50):  # the server may take a moment to listen
            r = subprocess.run([BRAID, "poll", "--once", "--config", conf],
                               capture_output=True, timeout=120, cwd=tmp)
            if b"status=200" in r.stderr and r.stderr.count(b"status=200") >= 2:
                return r
            time.sleep(0.1)
        return r

    def stream():
        r = run_braid("tail", "-n", "100", "--store", store)
        return [l.split("\t") for l in r.stdout.decode().splitlines()]

    def check_stream(when):
        lines = stream()
        s.check(f"{when}: 17 entries", len(lines) == 17, "\n".join("\t".join(l) for l in lines))
        # Updates carry their own titles now, and the link of whichever feed came first:
        # the stories are the lines titled as a story.
        story_titles = {p[1] for p in paper if "LiveBlog" not in p[1]}
        updates = [l for l in lines if l[2] not in story_titles]
        s.check(f"{when}: 13 live-blog updates", len(updates) == 13, [l[2] for l in updates])
        s.check(f"{when}: each update has both sources",
                all(sorted(l[1].split(",")) == ["paper", "wire"] for l in updates), [(l[2], l[1]) for l in updates])
        stories_ = [l for l in lines if l[2] in story_titles]
        s.check(f"{when}: each story has both sources",
                all(sorted(l[1].split(",")) == ["paper", "wire"] for l in stories_), [(l[2], l[1]) for l in stories_])
        s.check(f"{when}: titles distinct", len({l[2] for l in lines}) == len(lines),
                [l[2] for l in lines])

    r = poll()
    s.check("first poll exits 0", r.returncode == 0, r.stderr.decode(errors="replace"))
    check_stream("first poll")
    # the wire edits every story (new links, a credit line): the same items, changed
    with open(os.path.join(www, "wire.rss"), "w") as f:
        f.write(rss("wire", wire_copy(paper, 2)))
    time.sleep(1.1)  # a new Last-Modified second
    r = poll()
    s.check("second poll exits 0", r.returncode == 0, r.stderr.decode(errors="replace"))
    check_stream("after the wire re-published")
finally:
    server.terminate()
    server.wait(timeout=10)
s.finish()
