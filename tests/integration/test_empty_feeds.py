"""Empty feeds in `braid run`: a feed between posts (RSS 2.0, RSS 1.0, Atom 1.0 and 0.3, JSON
Feed with no items) is a successful poll of 0 items — `status=200 items=0`, state ok, no error
counted, no backoff — and a conditional re-poll of it is a 304; when the feed gains an item it
is stored like any other. A document that is not a feed at all still fails, by name.
Real parts: feedserver.py on 127.0.0.1 serving files written here, a real store, the daemon
stopped by pid."""
import json
import os
import subprocess

from braidtest import BRAID, DaemonLog, Suite, free_port, run_braid, stop_daemon
from feedserver import start_server, stop_server

s = Suite("empty_feeds")
tmp = s.tmp
served = os.path.join(tmp, "served")
os.makedirs(served)

EMPTY = {
    "rss2.xml": '<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet</title>'
                '<link>http://example.org/</link></channel></rss>',
    "rdf.rdf": '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
               'xmlns="http://purl.org/rss/1.0/"><channel rdf:about="http://example.org/">'
               '<title>R</title></channel></rdf:RDF>',
    "atom10.xml": '<feed xmlns="http://www.w3.org/2005/Atom"><id>urn:x</id><title>A</title>'
                  '<updated>2024-01-02T03:04:05Z</updated></feed>',
    "atom03.xml": '<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>Z</title></feed>',
    "feed.json": '{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": []}',
    "bare.xml": '<rss version="2.0"><channel></channel></rss>',
    "notafeed.html": "<html><body><p>Hello</p></body></html>",
}
for name, body in EMPTY.items():
    with open(os.path.join(served, name), "w") as f:
        f.write(body)

server, port = start_server(served)
base = f"http://127.0.0.1:{port}"
inst = os.path.join(tmp, "inst")
feeds_d = os.path.join(inst, "feeds.d")
os.makedirs(feeds_d)
names = {}
for name in EMPTY:
    feed = name.replace(".", "-")
    names[feed] = name
    with open(os.path.join(feeds_d, feed + ".feed"), "w") as f:
        f.write(f"url = {base}/feeds/{name}\ninterval = 2s\n")
conf = os.path.join(inst, "braid.conf")
with open(conf, "w") as f:
    f.write(f"[store]\npath = braid.db\n[http]\nlisten = 127.0.0.1:{free_port()}\n"
            "[poll]\ninterval = 2s\ntimeout = 5s\n")
logpath = os.path.join(inst, "log")
dlog = DaemonLog(logpath)

daemon = None
try:
    with open(logpath, "w") as logf:
        daemon = subprocess.Popen([BRAID, "run", "--config", conf, "--log-level", "debug"],
                                  stderr=logf)
    good = [f for f in names if f != "notafeed-html"]
    for feed in good:
        s.check(f"{feed}: an empty feed is a poll of 0 items",
                dlog.wait(rf"poll feed={feed} status=200 bytes=\d+ items=0 ", 15), dlog.text())
    s.check("a page that is not a feed fails, named",
            dlog.wait(r"feed=notafeed-html .*(not a feed|nothing to read|error=)", 15), dlog.text())
    # Polled again with the validators the first poll kept: nothing changed, nothing fetched.
    for feed in good:
        s.check(f"{feed}: the re-poll is a 304",
                dlog.wait(rf"poll feed={feed} status=304", 20), dlog.text())
    # The feed between posts gets its first post.
    with open(os.path.join(served, "rss2.xml"), "w") as f:
        f.write('<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet</title>'
                '<link>http://example.org/</link><item><title>First post at last</title>'
                '<link>http://example.org/1</link><guid>q-1</guid>'
                '<pubDate>Tue, 01 Dec 2026 10:00:00 GMT</pubDate></item></channel></rss>')
    s.check("an empty feed's first item is stored",
            dlog.wait(r"poll feed=rss2-xml status=200 bytes=\d+ items=1 updates=0 new_entries=1", 20),
            dlog.text())
finally:
    if daemon:
        stop_daemon(daemon)
    stop_server(server)

s.check("the daemon stops cleanly", daemon is not None and daemon.returncode == 0,
        daemon.returncode if daemon else None)
r = run_braid("feeds", "list", "--state", "--json", "--config", conf)
state = {f["name"]: f for f in json.loads(r.stdout)} if r.returncode == 0 else {}
for feed in good:
    st = state.get(feed, {})
    s.check(f"{feed}: state ok with no error counted",
            st.get("state") in ("ok", "not-modified") and st.get("errors_in_a_row") == 0
            and st.get("last_error") is None, st)
s.check("the page that is not a feed is the one failing",
        state.get("notafeed-html", {}).get("state") == "failing", state.get("notafeed-html"))
s.finish()
