"""kill -9 never corrupts the store nor loses or repeats what it committed: `braid run` is killed
with SIGKILL at random moments while it polls feeds that keep gaining items, and restarted, 50
times (BRAID_CRASH_KILLS).

The feeds: 30 over HTTP from the fault-injecting server (so validators are at stake: an ETag
saved without its items would turn the next poll into a 304 and lose them), 30 as file://, and
4 live blogs whose one item gains stamped updates (one entry per update), over HTTP too. Before
each run 12 feeds gain a batch of 5 items and 2 live blogs a batch of 3 updates, each file
written atomically. Most kills land at a
random moment up to 1.5 s after the run's first poll line, while polls are being stored; one
in five lands during start-up (store open, WAL recovery).

After every kill: PRAGMA integrity_check is ok; no committed item or entry is lost (every
(feed, guid) and every entry id seen after an earlier kill is still there); no poll is
half-stored (every feed holds a whole number of batches, every live blog a whole number of
batches of updates); no entry id and no (feed, guid) is stored twice. At the end one `braid
poll --once` brings the store up to date: every item and every update ever published is there
exactly once, as exactly one entry.
"""
import os
import random
import signal
import sqlite3
import subprocess
import time

from braidtest import BRAID, Suite, free_port, run_braid
from feedserver import start_server, stop_server

s = Suite("crash")
rng = random.Random(20111108)
tmp = s.tmp
KILLS = int(os.environ.get("BRAID_CRASH_KILLS", "50"))
HTTP_FEEDS, FILE_FEEDS, LIVE_FEEDS = 30, 30, 4
BATCH, LIVE_BATCH = 5, 3
docs = os.path.join(tmp, "docs")
os.makedirs(docs)
os.makedirs(os.path.join(tmp, "feeds.d"))
items = {}  # feed name -> [(guid, text)]
for n in range(HTTP_FEEDS):
    items[f"h{n:02d}"] = []
for n in range(FILE_FEEDS):
    items[f"f{n:02d}"] = []
updates = {f"live{n}": [] for n in range(LIVE_FEEDS)}  # live blog -> [(minute of day, text)]
serial = 0


def word():
    return "".join(rng.choice("bcdfghjklmnprstvwz") + rng.choice("aeiou") for _ in range(3))


def write_atomically(name, text):
    path = os.path.join(docs, name + ".rss")
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def add_items(name, k):
    """Appends k items with unique guid, link and text, and rewrites the feed atomically."""
    global serial
    for _ in range(k):
        items[name].append((f"urn:crash:{serial}", " ".join(word() for _ in range(40))))
        serial += 1
    body = "".join(
        f"<item><title>Item {guid}</title><guid>{guid}</guid>"
        f"<link>https://crash.example/{guid[10:]}</link>"
        f"<pubDate>Tue, 08 Nov 2011 {i % 24:02d}:{i % 60:02d}:00 GMT</pubDate>"
        f"<description>{text}</description></item>"
        for i, (guid, text) in enumerate(items[name]))
    write_atomically(name, f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
                           f"<title>{name}</title><link>https://crash.example/</link>{body}</channel></rss>")


def add_updates(name, k):
    """Adds k stamped updates (three minutes apart, from 06:00 GMT) to the live blog."""
    for _ in range(k):
        updates[name].append((6 * 60 + 3 * len(updates[name]), " ".join(word() for _ in range(30))))
    html = "".join(f"<p>{m // 60:02d}{m % 60:02d} GMT: {text}</p>\n" for m, text in reversed(updates[name]))
    html = html.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    write_atomically(name, f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
                           f"<title>{name}</title><link>https://crash.example/{name}</link>"
                           f"<item><title>Live: {name}</title><guid>urn:crash:{name}</guid>"
                           f"<link>https://crash.example/{name}/live</link>"
                           f"<pubDate>Tue, 08 Nov 2011 05:00:00 GMT</pubDate>"
                           f"<description>{html}</description></item></channel></rss>")


for name in items:
    add_items(name, 4 * BATCH)
for name in updates:
    add_updates(name, 2 * LIVE_BATCH)

proc, port = start_server(docs)
try:
    for name in list(items) + list(updates):
        url = (f"file://{docs}/{name}.rss" if name.startswith("f")
               else f"http://127.0.0.1:{port}/feeds/{name}.rss")
        with open(os.path.join(tmp, "feeds.d", name + ".feed"), "w") as f:
            f.write(f"url = {url}\n")
    conf = os.path.join(tmp, "braid.conf")
    with open(conf, "w") as f:
        f.write(f"[store]\npath = braid.db\n[http]\nlisten = 127.0.0.1:{free_port()}\n"
                # 2 s: at start-up every feed is due at a random one of the first 2 seconds,
                # so each run reaches a different half of the feeds before its kill (with
                # 1 s, all are due at once and taken in name order: the same few every run).
                "[poll]\ninterval = 2s\nconcurrency = 8\nper_host = 8\n")

    def snapshot():
        """What the store holds: integrity_check's answer, the set of (feed, guid) of its items
        and their number of rows, the set of entry ids and their number of rows, and each
        feed's number of entries."""
        db = sqlite3.connect(db_path)
        ok = db.execute("PRAGMA integrity_check").fetchone()[0]
        rows = db.execute("SELECT f.name, i.guid FROM items i JOIN feeds f ON f.id = i.feed_id").fetchall()
        uids = [u for (u,) in db.execute("SELECT uid FROM entries")]
        per_feed = dict(db.execute("SELECT f.name, count(*) FROM entry_sources s"
                                   " JOIN feeds f ON f.id = s.feed_id GROUP BY f.name"))
        db.close()
        return ok, set(rows), len(rows), set(uids), len(uids), per_feed

    db_path = os.path.join(tmp, "braid.db")
    prev_items, prev_uids = set(), set()
    fails = {"corrupt": 0, "lost_items": 0, "lost_entries": 0, "half": 0, "dup": 0}
    grew = during_startup = 0
    started = time.time()
    for k in range(KILLS):
        for name in rng.sample(sorted(items), 12):
            add_items(name, BATCH)
        for name in rng.sample(sorted(updates), 2):
            add_updates(name, LIVE_BATCH)
        log_path = os.path.join(tmp, f"run{k:02d}.log")
        with open(log_path, "wb") as log:
            # debug: a 304's poll line too tells that polling has begun.
            p = subprocess.Popen([BRAID, "run", "--config", conf, "--log-level", "debug"],
                                 stdout=log, stderr=log)
        if rng.random() < 0.2:
            during_startup += 1
            time.sleep(rng.uniform(0, 0.3))
        else:
            deadline = time.time() + 20
            while time.time() < deadline and p.poll() is None:
                with open(log_path, "rb") as log:
                    if b" poll feed=" in log.read():
                        break
                time.sleep(0.02)
            time.sleep(rng.uniform(0, 1.5))
        p.send_signal(signal.SIGKILL)
        p.wait()
        if not os.path.exists(db_path):
            continue
        ok, now_items, n_items, now_uids, n_uids, per_feed = snapshot()
        if ok != "ok":
            fails["corrupt"] += 1
            s.check(f"kill {k}: integrity_check", False, ok)
        if not prev_items <= now_items:
            fails["lost_items"] += 1
            s.check(f"kill {k}: committed items lost", False, sorted(prev_items - now_items)[:5])
        if not prev_uids <= now_uids:
            fails["lost_entries"] += 1
            s.check(f"kill {k}: committed entries lost", False, sorted(prev_uids - now_uids)[:5])
        if n_items != len(now_items) or n_uids != len(now_uids):
            fails["dup"] += 1
            s.check(f"kill {k}: stored twice", False, f"{n_items} items for {len(now_items)} (feed, guid),"
                    f" {n_uids} entries for {len(now_uids)} ids")
        for name, c in per_feed.items():
            if c % (LIVE_BATCH if name in updates else BATCH):
                fails["half"] += 1
                s.check(f"kill {k}: {name} holds half a poll", False, f"{c} entries")
        grew += len(now_uids) > len(prev_uids)
        prev_items, prev_uids = now_items, now_uids
    elapsed = time.time() - started
    print(f"crash: {KILLS} kills in {elapsed:.0f} s ({during_startup} during start-up); the store grew"
          f" across {grew} of them, to {len(prev_uids)} entries")
    s.check(f"integrity_check ok after all {KILLS} kills", fails["corrupt"] == 0, fails["corrupt"])
    s.check("no committed item lost", fails["lost_items"] == 0, fails["lost_items"])
    s.check("no committed entry lost", fails["lost_entries"] == 0, fails["lost_entries"])
    s.check("no half-stored poll", fails["half"] == 0, fails["half"])
    s.check("nothing stored twice after any kill", fails["dup"] == 0, fails["dup"])
    # Kills land while it works: the store grew across most restarts but is not yet complete.
    s.check("the daemon stored new entries between most kills", grew >= KILLS // 2, f"{grew} of {KILLS}")

    r = run_braid("poll", "--once", "--config", conf, timeout=300)
    s.check("a final poll --once succeeds", r.returncode == 0, r.stderr.decode()[-2000:])
finally:
    stop_server(proc)
db = sqlite3.connect(db_path)
s.check("integrity_check ok at the end", db.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "")
stored = {g for (g,) in db.execute("SELECT guid FROM items WHERE is_liveblog = 0")}
published = {g for v in items.values() for g, _ in v}
s.check("every published item is stored", stored == published,
        f"missing {len(published - stored)}, extra {len(stored - published)}")
live = dict(db.execute("SELECT f.name, count(*) FROM entry_sources s JOIN feeds f ON f.id = s.feed_id"
                       " JOIN items i ON i.id = s.item_id WHERE i.is_liveblog = 1 GROUP BY f.name"))
want = {name: len(u) for name, u in updates.items()}
s.check("every published live-blog update is stored once", live == want, f"stored {live}, published {want}")
n_entries, n_ids = db.execute("SELECT count(*), count(DISTINCT uid) FROM entries").fetchone()
total = len(published) + sum(want.values())
s.check("one entry per item and per update, no duplicates", n_entries == total and n_ids == n_entries,
        f"{n_entries} entries, {n_ids} ids, {total} items and updates published")
db.close()
s.finish()
