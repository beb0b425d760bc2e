"""Live blogs whose feed item is only a summary: braid reads the item's page.

A real HTTP server on 127.0.0.1 (pageserver.py) serves feeds whose live-blog item has only a
summary, and pages carrying (a) schema.org JSON-LD updates, (b) only <time datetime> blocks,
(c) only text stamps. Checks: one entry per update, titled by the update's own headline or
first sentence, linked to the update's URL or anchor, relative links resolved against the page;
a re-poll after the page gained an update adds only that one; an unchanged page is asked for
with If-None-Match and answers 304; liveblog_page = never fetches no page; a page that answers
500 keeps the feed's item; one `page` log line per read.
"""
import json
import os
import re
import subprocess
import sys
import time

from braidtest import SOURCE, Suite, free_port, run_braid

s = Suite("pages")
www = os.path.join(s.tmp, "www")
for d in ("feeds", "live"):
    os.makedirs(os.path.join(www, d))
server = subprocess.Popen([sys.executable, os.path.join(SOURCE, "tests/integration/pageserver.py"),
                           www], stdout=subprocess.PIPE, text=True)
port = int(server.stdout.readline())
base = f"http://127.0.0.1:{port}"
now = int(time.time())


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def rfc822(t):
    return time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(t))


def write(rel, text):
    with open(os.path.join(www, rel), "w") as f:
        f.write(text)


def feed(name, title, link):
    write(f"feeds/{name}.rss", f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>{name} news</title><link>{base}/</link>
<item><title>{title}</title><link>{link}</link><guid>{link}</guid>
<pubDate>{rfc822(now - 4 * 3600)}</pubDate>
<description>Follow our coverage as it happens: the latest below.</description></item>
</channel></rss>
""")


def jsonld_update(i, headline, body, t):
    u = {"@type": "BlogPosting", "datePublished": iso(t), "articleBody": body,
         "url": f"{base}/live/storm.html#post-{i}"}
    if headline:
        u["headline"] = headline
    return u


UPDATES = [
    jsonld_update(1, "Red warning issued", "The Met Office has issued a red warning for wind.",
                  now - 3 * 3600),
    jsonld_update(2, "Bridge closed", "<p>The Severn bridge is shut. <a href=\"map.html\">Map</a>.</p>",
                  now - 2 * 3600),
    jsonld_update(3, None, "Trains are cancelled across the west until the evening at least. "
                  "More soon.", now - 1 * 3600),
]


def jsonld_page(updates):
    ld = {"@context": "https://schema.org", "@graph": [
        {"@type": "WebPage", "name": "Storm"},
        {"@type": "LiveBlogPosting", "headline": "Storm Ada live",
         "coverageEndTime": iso(now + 86400), "liveBlogUpdate": updates}]}
    write("live/storm.html", "<html><head><title>Storm Ada live</title>"
          f"<script type=\"application/ld+json\">{json.dumps(ld)}</script></head>"
          "<body><p>Page chrome.</p></body></html>")


jsonld_page(UPDATES)
feed("ld", "Storm Ada \u2013 live", f"{base}/live/storm.html")

blocks = "".join(
    f"<article id=\"b{i}\"><time datetime=\"{iso(now - (4 - i) * 1800)}\">x</time>"
    f"<h3>Block headline {i}</h3><p>Block text {i}, see <a href=\"#b1\">first</a>.</p></article>"
    for i in (3, 2, 1))
write("live/blocks.html", f"<html><body><h1>Floods live</h1>{blocks}</body></html>")
feed("blocks", "Floods \u2013 live", f"{base}/live/blocks.html")

stamps = "".join(
    f"<p>{time.strftime('%H%M', time.gmtime(now - (4 - i) * 1800))} GMT: Stamped update "
    f"number {i} says something new. Second sentence.</p>" for i in (1, 2, 3))
write("live/stamps.html", f"<html><body><h1>Fires live</h1>{stamps}</body></html>")
feed("stamps", "Fires \u2013 live", f"{base}/live/stamps.html")

write("live/never.html", "<html><body>never read</body></html>")
feed("never", "Snow \u2013 live", f"{base}/live/never.html")
feed("broken", "Quake \u2013 live", f"{base}/status/500")
# A blog that is over: read once, then never again.
old_ld = {"@type": "LiveBlogPosting", "coverageEndTime": iso(now - 2 * 86400), "liveBlogUpdate": [
    {"datePublished": iso(now - 3 * 86400), "headline": "Old news", "articleBody": "Long ago."}]}
write("live/old.html", f"<script type=\"application/ld+json\">{json.dumps(old_ld)}</script>")
feed("old", "Drought \u2013 live", f"{base}/live/old.html")
# A network feed must not make braid read local files.
feed("sneaky", "Leak \u2013 live", "file://" + os.path.join(www, "live", "storm.html"))

conf_dir = os.path.join(s.tmp, "conf")
os.makedirs(os.path.join(conf_dir, "feeds.d"))
for name in ("ld", "blocks", "stamps", "never", "broken", "sneaky", "old"):
    with open(os.path.join(conf_dir, "feeds.d", name + ".feed"), "w") as f:
        f.write(f"url = {base}/feeds/{name}.rss\n")
        if name == "never":
            f.write("liveblog_page = never\n")
conf = os.path.join(conf_dir, "braid.conf")
with open(conf, "w") as f:
    f.write(f"[store]\npath = braid.db\n[http]\nlisten = 127.0.0.1:{free_port()}\n"
            "[poll]\ntimeout = 5s\n")


def requests():
    path = os.path.join(www, "_requests.log")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        out = [json.loads(line) for line in f]
    os.remove(path)
    return out


def poll():
    r = run_braid("poll", "--once", "--config", conf, timeout=60)
    log = r.stderr.decode()
    return r.returncode, log, {m.group(1) + " " + m.group(2): m.group(3)
                               for m in re.finditer(r" page feed=(\S+) item=(\S+) (.*)", log)}


def export():
    r = run_braid("export", "--format", "json", "-n", "500", "--config", conf)
    items = json.loads(r.stdout)["items"] if r.returncode == 0 else []
    by = {}
    for i in items:
        by.setdefault(i["_braid"]["source"]["feed"], []).append(i)
    return by


try:
    rc, log, pages = poll()
    s.check("first poll exits 0", rc == 0, log)
    reqs = requests()
    paths = [q["path"] for q in reqs]
    s.check("pages are fetched", all(p in paths for p in ("/live/storm.html", "/live/blocks.html",
                                                           "/live/stamps.html")), paths)
    s.check("liveblog_page = never fetches nothing", "/live/never.html" not in paths, paths)
    s.check("pages are fetched with braid's User-Agent",
            all(q["ua"].startswith("braid/") for q in reqs), reqs)
    s.check("one page line per page read", len(pages) == 6, pages)
    s.check("a blog that is over is read once", "/live/old.html" in paths, paths)
    s.check("a network feed's file:// page is refused",
            re.search(r"status=refused updates=0", " ".join(v for k, v in pages.items()
                                                             if k.startswith("sneaky "))), pages)
    s.check("page line for JSON-LD",
            re.search(r"status=200 updates=3 new_entries=3 source=json-ld",
                      pages.get(f"ld {base}/live/storm.html", "")), pages)
    s.check("a page that fails is logged",
            re.search(r"status=500 updates=0 new_entries=0", pages.get(f"broken {base}/status/500", "")),
            pages)
    by = export()
    ld = sorted(by.get("ld", []), key=lambda i: i["date_published"])
    titles = [i.get("title") for i in ld]
    s.check("JSON-LD: one entry per update", len(ld) == 3, titles)
    s.check("JSON-LD: titled by headline, else first sentence",
            titles == ["Red warning issued", "Bridge closed",
                       "Trains are cancelled across the west until the evening at least"], titles)
    s.check("JSON-LD: linked to the update's own URL",
            [i.get("url") for i in ld] == [f"{base}/live/storm.html#post-{k}" for k in (1, 2, 3)],
            [i.get("url") for i in ld])
    s.check("JSON-LD: relative links resolve against the page",
            len(ld) == 3 and f'href="{base}/live/map.html"' in ld[1].get("content_html", ""),
            ld[1].get("content_html") if len(ld) > 1 else None)
    s.check("JSON-LD: the blog's title stays with the update",
            all(i["_braid"].get("live_blog", {}).get("title") == "Storm Ada \u2013 live" for i in ld),
            [i["_braid"].get("live_blog") for i in ld])
    bl = sorted(by.get("blocks", []), key=lambda i: i["date_published"])
    s.check("time blocks: one entry per block", len(bl) == 3, [i.get("title") for i in bl])
    s.check("time blocks: titled by their headlines",
            [i.get("title") for i in bl] == [f"Block headline {k}" for k in (1, 2, 3)],
            [i.get("title") for i in bl])
    s.check("time blocks: linked to page#anchor",
            [i.get("url") for i in bl] == [f"{base}/live/blocks.html#b{k}" for k in (1, 2, 3)],
            [i.get("url") for i in bl])
    s.check("time blocks: in-page anchors resolve against the page",
            len(bl) == 3 and f'href="{base}/live/blocks.html#b1"' in bl[2].get("content_html", ""),
            bl[2].get("content_html") if len(bl) > 2 else None)
    st = sorted(by.get("stamps", []), key=lambda i: i["date_published"])
    s.check("text stamps: one entry per stamp", len(st) == 3, [i.get("title") for i in st])
    s.check("text stamps: titled by the first sentence",
            [i.get("title") for i in st] ==
            [f"Stamped update number {k} says something new" for k in (1, 2, 3)],
            [i.get("title") for i in st])
    s.check("a page that 500s keeps the feed's item",
            [i.get("title") for i in by.get("broken", [])] == ["Quake \u2013 live"], by.get("broken"))
    s.check("never: the feed's item stands",
            [i.get("title") for i in by.get("never", [])] == ["Snow \u2013 live"], by.get("never"))

    # The page gains an update: only that one is new.
    UPDATES.append(jsonld_update(4, "Winds ease", "Gusts are dropping along the coast.",
                                 now - 600))
    jsonld_page(UPDATES)
    rc, log, pages = poll()
    reqs = requests()
    s.check("second poll exits 0", rc == 0, log)
    s.check("a grown page gives only its new update",
            re.search(r"status=200 updates=4 new_entries=1 ",
                      pages.get(f"ld {base}/live/storm.html", "")), pages)
    s.check("the feed's summary does not come back beside the updates",
            sorted(i.get("title") for i in export().get("ld", [])) ==
            sorted(["Red warning issued", "Bridge closed", "Winds ease",
                    "Trains are cancelled across the west until the evening at least"]),
            [i.get("title") for i in export().get("ld", [])])
    # Unchanged: a conditional GET answered 304, nothing new.
    rc, log, pages = poll()
    reqs = requests()
    storm = [q for q in reqs if q["path"] == "/live/storm.html"]
    s.check("an unchanged page is asked for conditionally and answers 304",
            len(storm) == 1 and storm[0]["inm"] and storm[0]["status"] == 304, storm)
    s.check("the 304 is logged", re.search(r"status=304 updates=0 new_entries=0",
                                           pages.get(f"ld {base}/live/storm.html", "")), pages)
    s.check("never is still never read", all(q["path"] != "/live/never.html" for q in reqs), reqs)
    s.check("a blog that is over is not read again",
            all(q["path"] != "/live/old.html" for q in reqs), reqs)
    # A page that comes back without its updates (maintenance) does not cost the entries.
    write("live/storm.html", "<html><body><p>Down for maintenance.</p></body></html>")
    rc, log, pages = poll()
    requests()
    s.check("a page that lost its updates is logged",
            re.search(r"status=200 updates=0 new_entries=0",
                      pages.get(f"ld {base}/live/storm.html", "")), pages)
    s.check("a page that lost its updates keeps its entries, not the summary",
            len(export().get("ld", [])) == 4 and
            "Storm Ada \u2013 live" not in [i.get("title") for i in export().get("ld", [])],
            [i.get("title") for i in export().get("ld", [])])

    # The bundled demo: a file:// feed whose item is a summary, its page read from JSON-LD.
    demo = os.path.join(s.tmp, "demo")
    os.makedirs(os.path.join(demo, "feeds.d"))
    with open(os.path.join(SOURCE, "feeds.d", "storm-live.feed")) as f:
        text = f.read().replace("file:///usr/share/braid/demo/",
                                "file://" + os.path.join(SOURCE, "feeds.d", "demo") + "/")
    with open(os.path.join(demo, "feeds.d", "storm-live.feed"), "w") as f:
        f.write(text)
    with open(os.path.join(demo, "braid.conf"), "w") as f:
        f.write(f"[store]\npath = braid.db\n[http]\nlisten = 127.0.0.1:{free_port()}\n")
    r = run_braid("poll", "--once", "--config", os.path.join(demo, "braid.conf"), timeout=60)
    s.check("demo: the page is read from its JSON-LD",
            re.search(r"page feed=storm-live .* status=200 updates=6 new_entries=6 source=json-ld",
                      r.stderr.decode()), r.stderr.decode())
    r = run_braid("export", "--format", "json", "--config", os.path.join(demo, "braid.conf"))
    demo_items = json.loads(r.stdout)["items"] if r.returncode == 0 else []
    s.check("demo: six updates, each titled by its own words",
            len(demo_items) == 6 and len({i["title"] for i in demo_items}) == 6 and
            "Peak gust of 78mph" in [i["title"] for i in demo_items], [i.get("title") for i in demo_items])
finally:
    server.terminate()
    server.wait(timeout=10)

s.finish()
