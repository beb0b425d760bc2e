"""kill -9 never corrupts the store: `braid run` is killed with SIGKILL at random moments while
it polls 40 feeds that keep gaining items, and restarted, 50 times.

After every kill: PRAGMA integrity_check is ok; no committed item is lost (each feed's stored
item count never goes down); no poll is half-stored (feeds gain items 5 at a time, in one
atomically replaced file, so every feed holds a multiple of 5). At the end one `braid poll
--once` brings the store up to date: every item ever published is there exactly once, as
exactly one entry, with unique entry ids.
"""
import os
import random
import signal
import sqlite3
import subprocess
import time

from braidtest import BRAID, Suite, run_braid

s = Suite("crash")
rng = random.Random(20111108)
tmp = s.tmp
FEEDS, BATCH, KILLS = 40, 5, 50
docs = os.path.join(tmp, "docs")
os.makedirs(docs)
os.makedirs(os.path.join(tmp, "feeds.d"))
items = {f"f{n:02d}": [] for n in range(FEEDS)}


def word():
    return "".join(rng.choice("bcdfghjklmnprstvwz") + rng.choice("aeiou") for _ in range(3))


def add_items(name, k):
    """Appends k items with unique guid, link and text, and rewrites the feed atomically."""
    for _ in range(k):
        n = sum(len(v) for v in items.values())
        items[name].append((f"urn:crash:{n}", " ".join(word() for _ in range(40))))
    body = "".join(
        f"<item><title>Item {guid}</title><guid>{guid}</guid>"
        f"<link>https://crash.example/{guid[10:]}</link>"
        f"<pubDate>Tue, 08 Nov 2011 {i % 24:02d}:{i % 60:02d}:00 GMT</pubDate>"
        f"<description>{text}</description></item>"
        for i, (guid, text) in enumerate(items[name]))
    path = os.path.join(docs, name + ".rss")
    with open(path + ".tmp", "w") as f:
        f.write(f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
                f"<title>{name}</title><link>https://crash.example/</link>{body}</channel></rss>")
    os.replace(path + ".tmp", path)


for name in items:
    add_items(name, 4 * BATCH)
    with open(os.path.join(tmp, "feeds.d", name + ".feed"), "w") as f:
        f.write(f"url = file://{docs}/{name}.rss\n")
conf = os.path.join(tmp, "braid.conf")
with open(conf, "w") as f:
    f.write("[store]\npath = braid.db\n[http]\nlisten = 127.0.0.1:0\n[poll]\ninterval = 1s\n"
            "concurrency = 8\nper_host = 8\n")
# Port 0 is not a valid listen port; pick a free one.
import socket
with socket.socket() as so:
    so.bind(("127.0.0.1", 0))
    port = so.getsockname()[1]
with open(conf) as f:
    text = f.read().replace("127.0.0.1:0", f"127.0.0.1:{port}")
with open(conf, "w") as f:
    f.write(text)

db_path = os.path.join(tmp, "braid.db")
last = {}
corrupt = lost = half = grew = 0
for k in range(KILLS):
    for name in rng.sample(sorted(items), 10):
        add_items(name, BATCH)
    log = open(os.path.join(tmp, "run.log"), "ab")
    p = subprocess.Popen([BRAID, "run", "--config", conf], stdout=log, stderr=log)
    time.sleep(rng.uniform(0.05, 0.8))
    p.send_signal(signal.SIGKILL)
    p.wait()
    log.close()
    if not os.path.exists(db_path):
        continue
    db = sqlite3.connect(db_path)
    ok = db.execute("PRAGMA integrity_check").fetchone()[0]
    counts = dict(db.execute("SELECT f.name, count(*) FROM items i JOIN feeds f"
                             " ON f.id = i.feed_id GROUP BY f.name"))
    db.close()
    if ok != "ok":
        corrupt += 1
        s.check(f"kill {k}: integrity_check", False, ok)
    for name, c in counts.items():
        if c < last.get(name, 0):
            lost += 1
            s.check(f"kill {k}: {name} lost committed items", False, f"{last[name]} -> {c}")
        if c % BATCH:
            half += 1
            s.check(f"kill {k}: {name} holds half a poll", False, c)
    grew += sum(counts.values()) > sum(last.values())
    last = counts
s.check(f"integrity_check ok after all {KILLS} kills", corrupt == 0, corrupt)
s.check("no committed item lost", lost == 0, lost)
s.check("no half-stored poll", half == 0, half)
# Kills land while it works: the store grew across most restarts but is not yet complete.
s.check("the daemon stored new items between most kills", grew >= KILLS // 2, f"{grew} of {KILLS}")

r = run_braid("poll", "--once", "--config", conf, timeout=120)
s.check("a final poll --once succeeds", r.returncode == 0, r.stderr.decode()[-2000:])
db = sqlite3.connect(db_path)
s.check("integrity_check ok at the end", db.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "")
stored = {g for (g,) in db.execute("SELECT guid FROM items")}
published = {g for v in items.values() for g, _ in v}
s.check("every published item is stored", stored == published, f"missing {len(published - stored)}, extra {len(stored - published)}")
n_entries, n_ids = db.execute("SELECT count(*), count(DISTINCT uid) FROM entries").fetchone()
s.check("one entry per item, no duplicates", n_entries == len(published) and n_ids == n_entries,
        f"{n_entries} entries, {n_ids} ids, {len(published)} items")
db.close()
s.finish()
