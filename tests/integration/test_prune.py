"""Retention in `braid run`: lowering [stream] per_feed prunes the surplus in batches that
give the loop back between them, and the whole round is one log line.

A file:// feed of 1,600 items is polled once with no cap; then the daemon starts with
per_feed = 100 and must delete 1,500 entries (three batches of 500 and a last one) while it
keeps answering /healthz.
"""
import json
import os
import re
import subprocess
import time
import urllib.request

from braidtest import BRAID, DaemonLog, Suite, free_port, run_braid, stop_daemon, wait_http

s = Suite("prune")
d = s.tmp
os.makedirs(os.path.join(d, "feeds.d"))
items = "".join(f"<item><title>story {i}</title><guid>g{i}</guid>"
                f"<pubDate>{time.strftime('%a, %d %b %Y %H:%M:%S GMT', time.gmtime(time.time() - 60 * i))}"
                f"</pubDate><description>words of story {i}, its own and no other's {i * 7919}"
                "</description></item>" for i in range(1600))
feed = os.path.join(d, "many.rss")
with open(feed, "w") as f:
    f.write(f'<?xml version="1.0"?><rss version="2.0"><channel><title>many</title>{items}'
            "</channel></rss>")
with open(os.path.join(d, "feeds.d", "many.feed"), "w") as f:
    f.write(f"url = file://{feed}\ninterval = 1h\n")
port = free_port()


def write_conf(per_feed):
    with open(os.path.join(d, "braid.conf"), "w") as f:
        f.write(f"[store]\npath = braid.db\n[http]\nlisten = 127.0.0.1:{port}\n"
                f"[stream]\nper_feed = {per_feed}\nentries = 1000\n")


write_conf(0)
r = run_braid("poll", "--once", "--config", os.path.join(d, "braid.conf"), timeout=120)
s.check("the first poll stores 1,600 entries", b"new_entries=1600" in r.stderr, r.stderr[-600:])

write_conf(100)
logpath = os.path.join(d, "braid.log")
with open(logpath, "w") as logf:
    daemon = subprocess.Popen([BRAID, "run", "--config", os.path.join(d, "braid.conf")],
                              stderr=logf)
try:
    log = DaemonLog(logpath)
    m = log.wait(r"prune deleted_entries=(\d+)", 60)
    s.check("one prune line for the whole round: 1,500 deleted", m and m.group(1) == "1500",
            log.text()[-2000:])
    s.check("the round is logged once", len(re.findall(r" prune ", log.text())) == 1,
            log.text()[-2000:])
    s.check("the daemon answers while and after it prunes",
            wait_http(f"http://127.0.0.1:{port}/healthz"), "")
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/feed.json?n=1000") as h:
        n = len(json.load(h)["items"])
    s.check("the feed keeps its newest 100 entries", n == 100, n)
finally:
    stop_daemon(daemon)
s.check("the daemon stopped cleanly", daemon.returncode == 0, daemon.returncode)
s.finish()
