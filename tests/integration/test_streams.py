"""Streams people follow: named streams ([stream "NAME"] query / feeds / categories) served at
/streams/NAME.atom|.rss|.json|.html with ETag, Last-Modified and 304, linked from the HTML
page and /status, written to the [output] dir; ?q= full-text search on every stream route
(matching, not matching, 400 with the reason on bad syntax); a stream added by SIGHUP; a bad
stream named by file and line, at start (exit 2) and on reload (old configuration kept);
per-feed /metrics series; newsboat subscribed to a named stream (skipped without newsboat).
Real parts only: feedserver.py on 127.0.0.1 serving feeds written here, a real store, the
daemon stopped by pid.
"""
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

from braidtest import BRAID, DaemonLog, Suite, free_port, run_braid, stop_daemon
from feedserver import start_server, stop_server

s = Suite("streams")
tmp = s.tmp
fixtures = os.path.join(tmp, "fixtures")
os.makedirs(fixtures)


def rss(name, items):
    """A feed of (title, text) items, dated an hour apart, newest first."""
    body = [f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
            f"<title>{name}</title><link>http://example.org/{name}/</link>"]
    for i, (title, text) in enumerate(items):
        body.append(f"<item><title>{title}</title><link>http://example.org/{name}/{i}</link>"
                    f"<guid>{name}-{i}</guid><description>{text}</description>"
                    f"<pubDate>Mon, 0{1 + i} Jan 2024 12:00:00 GMT</pubDate></item>")
    body.append("</channel></rss>\n")
    with open(os.path.join(fixtures, name + ".rss"), "w") as f:
        f.write("".join(body))


rss("wire", [("Shelling reported in Homs", "Residents of Homs described heavy shelling."),
             ("Talks on Aleppo resume", "Negotiators met in Geneva to discuss Aleppo."),
             ("Markets steady", "Stocks closed flat in London.")])
rss("local", [("Council approves budget", "The city council approved the budget."),
              ("Aleppo soap maker opens shop", "A family from Aleppo opened a shop downtown.")])
rss("sport", [("Derby ends in a draw", "The football derby ended one all."),
              ("Marathon record", "A new course record at the city marathon.")])

server, port = start_server(fixtures)
base = f"http://127.0.0.1:{port}"
d = os.path.join(tmp, "inst")
feeds_d = os.path.join(d, "feeds.d")
out_dir = os.path.join(d, "out")
os.makedirs(feeds_d)
os.makedirs(out_dir)
for name, cats in (("wire", "News/World"), ("local", "News/Local"), ("sport", "Sport")):
    with open(os.path.join(feeds_d, name + ".feed"), "w") as f:
        f.write(f"url = {base}/feeds/{name}.rss\ncategories = {cats}\n")
conf = os.path.join(d, "braid.conf")
logpath = os.path.join(d, "log")
http_port = free_port()
web = f"http://127.0.0.1:{http_port}"

STREAMS = ('[stream "syria"]\ntitle = Syria desk\nquery = Homs OR Aleppo\n'
           '[stream "news"]\ncategories = News\n'
           '[stream "worldsyria"]\nquery = aleppo\nfeeds = wire\n')


def write_conf(streams):
    with open(conf, "w") as f:
        f.write(f"[store]\npath = braid.db\n[http]\nlisten = 127.0.0.1:{http_port}\n"
                f"[poll]\ninterval = 1h\ntimeout = 5s\n[output]\ndir = out\n"
                f"[stream]\ntitle = Newsroom\n{streams}")


daemon_log = DaemonLog(logpath)
log, wait_log = daemon_log.text, daemon_log.wait


def get(path, headers=None):
    """(status, headers, body bytes) of GET web+path; HTTP errors are answers too."""
    req = urllib.request.Request(web + path, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def json_titles(path):
    st, _, body = get(path)
    if st != 200:
        return f"HTTP {st}: {body!r}"
    return sorted(i["title"] for i in json.loads(body)["items"])


def q(words):
    return urllib.parse.quote(words)


# ---- the start-up check names file and line ----
write_conf('[stream "bad"]\nfeeds = wire, nosuch\nquery = homs AND\n')
r = run_braid("run", "--config", conf, timeout=30)
err = r.stderr.decode()
s.check("a stream naming an unknown feed stops the start with exit 2", r.returncode == 2,
        (r.returncode, err))
s.check("the message names file, line and feed",
        re.search(re.escape(conf) + r":13: \[stream \\?\"bad\\?\"\] feeds: unknown feed 'nosuch'",
                  err), err)
s.check("a bad query is named with its line and reason",
        re.search(r"braid\.conf:14: \[stream \\?\"bad\\?\"\] query: the query ends with an operator",
                  err), err)

write_conf(STREAMS)
logf = open(logpath, "w")
daemon = subprocess.Popen([BRAID, "run", "--config", conf], stderr=logf)
try:
    for name in ("wire", "local", "sport"):
        s.check(f"the daemon polls {name}", wait_log(rf"poll feed={name} status=200", 15), log())

    # ---- named streams in all four formats ----
    syria = ["Aleppo soap maker opens shop", "Shelling reported in Homs", "Talks on Aleppo resume"]
    s.check("/streams/syria.json holds the entries that match its query, from every feed",
            json_titles("/streams/syria.json") == syria, json_titles("/streams/syria.json"))
    st, h, body = get("/streams/syria.atom")
    ns = {"a": "http://www.w3.org/2005/Atom"}
    try:
        feed = ET.fromstring(body)
        atom_titles = sorted(e.findtext("a:title", namespaces=ns) for e in feed.findall("a:entry", ns))
        atom_title = feed.findtext("a:title", namespaces=ns)
        self_link = [l.get("href") for l in feed.findall("a:link", ns) if l.get("rel") == "self"]
    except ET.ParseError as e:
        atom_titles, atom_title, self_link = str(e), None, []
    s.check("/streams/syria.atom is Atom with the same entries",
            st == 200 and h.get("Content-Type", "").startswith("application/atom+xml")
            and atom_titles == syria, (st, h.get("Content-Type"), atom_titles))
    s.check("its title is the stream's title and its self link its own address",
            atom_title == "Syria desk" and self_link == [f"{web}/streams/syria.atom"],
            (atom_title, self_link))
    st, h, body = get("/streams/syria.rss")
    try:
        rss_titles = sorted(i.findtext("title") for i in ET.fromstring(body).iter("item"))
    except ET.ParseError as e:
        rss_titles = str(e)
    s.check("/streams/syria.rss is RSS with the same entries",
            st == 200 and h.get("Content-Type", "").startswith("application/rss+xml")
            and rss_titles == syria, (st, rss_titles))
    st, h, body = get("/streams/syria.html")
    page = body.decode()
    s.check("/streams/syria.html is the HTML page of the same entries",
            st == 200 and h.get("Content-Type", "").startswith("text/html")
            and all(t in page for t in syria) and "Markets steady" not in page
            and "<title>Syria desk</title>" in page, (st, page[:300]))
    s.check("the stream's page offers its own feeds as alternates",
            f'href="{web}/streams/syria.atom"' in page, page[:2000])
    s.check("categories = News takes News/World and News/Local, not Sport",
            json_titles("/streams/news.json") == sorted(
                ["Shelling reported in Homs", "Talks on Aleppo resume", "Markets steady",
                 "Council approves budget", "Aleppo soap maker opens shop"]),
            json_titles("/streams/news.json"))
    s.check("feeds = and query = together take what matches both",
            json_titles("/streams/worldsyria.json") == ["Talks on Aleppo resume"],
            json_titles("/streams/worldsyria.json"))
    st, _, body = get("/streams/nosuch.atom")
    s.check("an unknown stream is 404", st == 404, (st, body))
    st, _, body = get("/streams/syria.xml")
    s.check("an unknown format is 404", st == 404, (st, body))

    # ---- caching as the main stream has ----
    st, h, _ = get("/streams/syria.atom")
    etag, lm = h.get("ETag"), h.get("Last-Modified")
    s.check("a named stream carries ETag and Last-Modified", etag and lm, dict(h))
    st, _, body = get("/streams/syria.atom", {"If-None-Match": etag})
    s.check("If-None-Match gives 304", st == 304 and body == b"", st)
    st, _, _ = get("/streams/syria.atom", {"If-Modified-Since": lm})
    s.check("If-Modified-Since gives 304", st == 304, st)
    st, h2, _ = get("/streams/news.atom")
    s.check("each stream has its own ETag", h2.get("ETag") not in (None, etag), h2.get("ETag"))

    # ---- listed on the main page and in /status ----
    st, _, body = get("/")
    page = body.decode()
    s.check("the main page links every named stream by its title",
            f'<a href="{web}/streams/syria.html">Syria desk</a>' in page
            and f'<a href="{web}/streams/news.html">Newsroom: news</a>' in page, page[:3000])
    st, _, body = get("/status")
    try:
        status = json.loads(body)
    except ValueError:
        status = {}
    s.check("/status lists the named streams with their addresses",
            [x.get("name") for x in status.get("streams", [])] == ["syria", "news", "worldsyria"]
            and status["streams"][0].get("url") == f"{web}/streams/syria.atom"
            and status["streams"][0].get("title") == "Syria desk", body)

    # ---- ?q= on every stream route ----
    s.check("?q= on the main stream finds a word",
            json_titles("/feed.json?q=marathon") == ["Marathon record"],
            json_titles("/feed.json?q=marathon"))
    s.check("?q= finds a phrase, and OR, and a prefix",
            json_titles("/feed.json?q=" + q('"football derby" OR counc*')) ==
            ["Council approves budget", "Derby ends in a draw"],
            json_titles("/feed.json?q=" + q('"football derby" OR counc*')))
    s.check("?q= that matches nothing gives an empty stream, not an error",
            json_titles("/feed.json?q=zeppelin") == [], json_titles("/feed.json?q=zeppelin"))
    st, _, body = get("/feeds/wire.atom?q=homs")
    try:
        wire_titles = [e.findtext("a:title", namespaces=ns)
                       for e in ET.fromstring(body).findall("a:entry", ns)]
    except ET.ParseError as e:
        wire_titles = str(e)
    s.check("?q= on one feed's stream", st == 200 and wire_titles == ["Shelling reported in Homs"],
            (st, wire_titles))
    st, _, body = get("/feeds/local.atom?q=homs")
    s.check("?q= on one feed's stream matches only that feed",
            st == 200 and b"<entry>" not in body, body[:500])
    s.check("?q= on a named stream narrows it further",
            json_titles("/streams/syria.json?q=geneva") == ["Talks on Aleppo resume"],
            json_titles("/streams/syria.json?q=geneva"))
    s.check("?q= on a named stream's HTML page",
            "Talks on Aleppo resume" in get("/streams/syria.html?q=geneva")[2].decode()
            and "Shelling" not in get("/streams/syria.html?q=geneva")[2].decode())
    for bad, why in (("homs OR", "ends with an operator"), ('"homs', "not closed"),
                     ("(homs", "without ')'"), ("x" * 300, "longer than 256 bytes")):
        for path in ("/feed.atom", "/feeds/wire.atom", "/streams/syria.rss", "/"):
            st, _, body = get(path + "?q=" + q(bad))
            s.check(f"{path}?q={bad[:12]} is 400 saying why",
                    st == 400 and b"bad parameter q: " in body and why.encode() in body,
                    (st, body))
    st, _, body = get("/feed.json?q=" + q("title:homs"))
    s.check("FTS5 syntax outside the subset is only words (no column filter, no 500)",
            st == 200 and json.loads(body)["items"] == [], (st, body))
    # The HTML pages carry a search box that submits ?q= to themselves; the CSP lets it.
    st, hdrs, body = get("/")
    page = body.decode()
    s.check("the main page has a search box submitting to itself",
            f'<form class="search" role="search" method="get" action="{web}/">' in page
            and '<input type="search" name="q"' in page, page[:2000])
    csp = hdrs.get("Content-Security-Policy", "")
    s.check("the served page's CSP admits a form to its own server only",
            "form-action 'self'" in csp and f"form-action 'self'" in page, csp)
    st, _, body = get("/streams/syria.html?q=" + q('geneva "x<y"'))
    page = body.decode()
    s.check("a named stream's search page keeps its box, the search shown escaped",
            f'action="{web}/streams/syria.html"' in page
            and 'value="geneva &quot;x&lt;y&quot;"' in page and '"x<y"' not in page, page[:2500])
    st, _, body = get("/?q=geneva")
    page = body.decode()
    s.check("a search page says what it answers, links the whole stream, and its feed links "
            "carry the search",
            "Entries matching \u201cgeneva\u201d" in page
            and f'<a href="{web}/">the whole stream</a>' in page
            and f'href="{web}/feed.atom?q=geneva"' in page
            and "Talks on Aleppo resume" in page and "Marathon record" not in page, page[:2500])
    st, _, body = get("/feed.atom?q=homs")
    s.check("a search's self link keeps the search",
            f'href="{web}/feed.atom?q=homs"'.encode() in body, body[:800])

    # ---- per-feed /metrics ----
    st, _, body = get("/metrics")
    m = body.decode()
    s.check("per-feed polls by result",
            'braid_feed_polls_total{feed="wire",result="ok"} 1' in m
            and 'braid_feed_polls_total{feed="wire",result="failed"} 0' in m
            and "# TYPE braid_feed_polls_total counter" in m, m)
    s.check("per-feed entries", 'braid_feed_entries{feed="wire"} 3' in m
            and 'braid_feed_entries{feed="sport"} 2' in m, m)
    ls = re.search(r'braid_feed_last_success_timestamp_seconds\{feed="local"\} (\d+)', m)
    s.check("per-feed last success time", ls and abs(int(ls.group(1)) - time.time()) < 120, m)
    s.check("the cap on per-feed series is stated", "braid_feed_series_omitted 0" in m, m)
    heap = re.search(r"^braid_heap_bytes (\d+)$", m, re.M)
    sqlite_heap = re.search(r"^braid_sqlite_heap_bytes (\d+)$", m, re.M)
    # SQLite's share is in the heap count; a daemon that has polled and served holds about
    # 1 MB here (0.97 MB under ASan, whose count leaves out its redzones).
    s.check("the heap in use, and SQLite's share of it",
            heap and sqlite_heap and 0 < int(sqlite_heap.group(1)) < int(heap.group(1))
            and 2**18 < int(heap.group(1)) < 2**30,
            f"{heap and heap.group(0)}, {sqlite_heap and sqlite_heap.group(0)}")

    # ---- exports write the named streams ----
    end = time.time() + 10
    want = [os.path.join(out_dir, "streams", "syria." + e) for e in ("atom", "rss", "json", "html")]
    while time.time() < end and not all(os.path.exists(p) for p in want):
        time.sleep(0.1)
    s.check("[output] dir holds each named stream's four documents",
            all(os.path.exists(p) for p in want), os.listdir(out_dir))
    if os.path.exists(want[2]):
        with open(want[2]) as f:
            exported = sorted(i["title"] for i in json.load(f)["items"])
        s.check("the exported stream holds the stream's entries", exported == syria, exported)
    if os.path.exists(os.path.join(out_dir, "index.html")):
        with open(os.path.join(out_dir, "index.html")) as f:
            s.check("the exported index links the named streams",
                    "streams/syria.html" in f.read())

    # ---- braid export: a named stream, a search, both ----
    def export_titles(*args):
        r = run_braid("export", "--config", conf, "--format", "json", *args)
        if r.returncode != 0:
            return r.returncode, r.stderr.decode()
        return sorted(i["title"] for i in json.loads(r.stdout)["items"])
    s.check("braid export --stream writes the named stream",
            export_titles("--stream", "syria") == syria, export_titles("--stream", "syria"))
    s.check("braid export --stream of a category stream resolves feeds.d",
            export_titles("--stream", "news") == sorted(
                ["Shelling reported in Homs", "Talks on Aleppo resume", "Markets steady",
                 "Council approves budget", "Aleppo soap maker opens shop"]),
            export_titles("--stream", "news"))
    s.check("braid export --query searches the whole stream",
            export_titles("--query", "marathon OR derby") ==
            ["Derby ends in a draw", "Marathon record"], export_titles("--query", "marathon OR derby"))
    s.check("braid export --stream --query narrows the stream",
            export_titles("--stream", "syria", "--query", "geneva") == ["Talks on Aleppo resume"],
            export_titles("--stream", "syria", "--query", "geneva"))
    r = run_braid("export", "--config", conf, "--stream", "syria")
    s.check("an exported named stream names itself and links its own documents",
            r.returncode == 0 and b"<title>Syria desk</title>" in r.stdout
            and f"{web}/streams/syria.atom".encode() in r.stdout, r.stdout[:600])
    r = run_braid("export", "--config", conf, "--stream", "nosuch")
    s.check("an unknown stream is exit 2 naming the config file",
            r.returncode == 2 and b'has no [stream "nosuch"]' in r.stderr
            and conf.encode() in r.stderr, r.stderr)
    r = run_braid("export", "--config", conf, "--query", "homs OR")
    s.check("a bad search is exit 2 saying why",
            r.returncode == 2 and b"--query: " in r.stderr and b"operator" in r.stderr, r.stderr)

    # ---- reload adds a stream, live ----
    at = len(log())
    write_conf(STREAMS + '[stream "sport2"]\ntitle = Sport desk\nquery = derby OR marathon\n')
    daemon.send_signal(signal.SIGHUP)
    s.check("SIGHUP logs the new stream", wait_log(r"reload stream=sport2 change=added", 5, at),
            log()[at:])
    s.check("the reload names what changed", wait_log(r"reload config=\S+ changed=streams", 5, at),
            log()[at:])
    s.check("the new stream answers at once",
            json_titles("/streams/sport2.json") == ["Derby ends in a draw", "Marathon record"],
            json_titles("/streams/sport2.json"))
    s.check("and the page links it", "Sport desk</a>" in get("/")[2].decode())

    # ---- a broken stream on reload keeps the old configuration ----
    at = len(log())
    write_conf(STREAMS + '[stream "sport2"]\nfeeds = nosuch\n')
    daemon.send_signal(signal.SIGHUP)
    s.check("a reload naming an unknown feed is refused with file and line",
            wait_log(r"braid\.conf:\d+: \[stream \\?\"sport2\\?\"\] feeds: unknown feed 'nosuch'",
                     5, at), log()[at:])
    s.check("and keeps the old configuration", wait_log(r"result=kept-old", 5, at), log()[at:])
    s.check("the stream still answers as before",
            json_titles("/streams/sport2.json") == ["Derby ends in a draw", "Marathon record"],
            json_titles("/streams/sport2.json"))

    # ---- removing a stream ----
    at = len(log())
    write_conf(STREAMS)
    daemon.send_signal(signal.SIGHUP)
    s.check("a removed stream is logged", wait_log(r"reload stream=sport2 change=removed", 5, at),
            log()[at:])
    s.check("and no longer answers", get("/streams/sport2.json")[0] == 404)

    # ---- a feed reader on a named stream ----
    newsboat = shutil.which("newsboat")
    if not newsboat:
        s.skip("newsboat is not installed (apt-get install newsboat)")
    else:
        with open(os.path.join(tmp, "urls"), "w") as f:
            f.write(f"{web}/streams/syria.atom\n")
        with open(os.path.join(tmp, "newsboat.conf"), "w") as f:
            f.write("show-read-feeds yes\n")
        env = dict(os.environ, HOME=tmp, XDG_CONFIG_HOME=tmp, XDG_DATA_HOME=tmp)
        cache = os.path.join(tmp, "cache.db")
        nb = subprocess.run([newsboat, "-u", os.path.join(tmp, "urls"), "-c", cache,
                             "-C", os.path.join(tmp, "newsboat.conf"), "-x", "reload"],
                            capture_output=True, timeout=60, env=env)
        s.check("newsboat -x reload of a named stream succeeds", nb.returncode == 0,
                nb.stdout + nb.stderr)
        db = sqlite3.connect(cache)
        titles = sorted(t for (t,) in db.execute("SELECT title FROM rss_item"))
        feed_titles = [t for (t,) in db.execute("SELECT title FROM rss_feed")]
        db.close()
        s.check("newsboat shows the stream's entries and nothing else", titles == syria, titles)
        s.check("newsboat names the feed by the stream's title", feed_titles == ["Syria desk"],
                feed_titles)

    # ---- a feed named by a stream leaves feeds.d ----
    at = len(log())
    os.remove(os.path.join(feeds_d, "wire.feed"))
    s.check("a stream naming a removed feed is warned about, with file and line",
            wait_log(r"warning streams warning=\"\S+braid\.conf:\d+: \[stream \\\"worldsyria\\\"\] "
                     r"feeds: unknown feed 'wire'", 5, at), log()[at:])
    s.check("and the stream goes on without it (empty, not an error)",
            json_titles("/streams/worldsyria.json") == [], json_titles("/streams/worldsyria.json"))
finally:
    stop_daemon(daemon)
    logf.close()
    stop_server(server)
s.check("the daemon stops cleanly", daemon.returncode == 0, (daemon.returncode, log()[-2000:]))
s.finish()
