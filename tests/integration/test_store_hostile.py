"""Hostile feeds, files and neighbours against the store and the poller (issue 14).

Each part reproduces one attack with the real binary, real files and a real HTTP server on
127.0.0.1, and checks what braid promises instead (README, "### The store and the poller"):
one oversized item costs only itself, not the feed's other items nor the store's health.
"""
import os
import re
import signal
import sqlite3
import subprocess
import sys

from braidtest import BRAID, SOURCE, Suite, free_port, run_braid

s = Suite("store-hostile")
tmp = s.tmp
served = os.path.join(tmp, "served")
os.makedirs(served)

server = subprocess.Popen([sys.executable, os.path.join(SOURCE, "tests/integration/feedserver.py"),
                           "--fixtures", served, "--port", "0"], stdout=subprocess.PIPE, text=True)
port = int(server.stdout.readline())
base = f"http://127.0.0.1:{port}"


def rss(items):
    body = "".join(
        f"<item><guid>{g}</guid><title>{t}</title><link>https://example.org/{i}</link>"
        f"<pubDate>Tue, 01 Dec 2026 0{i % 10}:00:00 GMT</pubDate>"
        f"<description><![CDATA[{d}]]></description></item>\n"
        for i, (g, t, d) in enumerate(items))
    return ("<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel>"
            f"<title>hostile</title><link>https://example.org/</link>{body}</channel></rss>")


def write_config(name, feeds, sections=""):
    d = os.path.join(tmp, name)
    os.makedirs(os.path.join(d, "feeds.d"), exist_ok=True)
    for fname, text in feeds.items():
        with open(os.path.join(d, "feeds.d", fname + ".feed"), "w") as f:
            f.write(text)
    with open(os.path.join(d, "braid.conf"), "w") as f:
        f.write(f"[store]\npath = braid.db\n[http]\nlisten = 127.0.0.1:{free_port()}\n"
                "[poll]\ntimeout = 4s\nconnect_timeout = 2s\nmax_bytes = 8M\n" + sections)
    return d, os.path.join(d, "braid.conf")


def count(db, sql):
    con = sqlite3.connect(db)
    try:
        row = con.execute(sql).fetchone()
        return row[0] if row else None
    finally:
        con.close()


try:
    # ------------------------------------------- item 2: one oversized item, not the whole feed
    huge = "x" * (64 * 1024 + 10)          # over BRAID_STORE_MAX_FIELD_BYTES
    stamps = "".join(f"<p><strong>{(i // 60) % 24:02d}:{i % 60:02d}</strong> Update {i}.</p>\n"
                     for i in range(5200))  # over BRAID_STORE_MAX_UPDATES
    items = [("g-first", "First", "<p>first story</p>"),
             ("g-" + huge, "Huge guid", "<p>a guid no store keeps</p>"),
             ("g-third", "Third", "<p>third story</p>"),
             ("g-fourth", "T" + "\u00e9" * 40000, "<p>a title over the cap, cut</p>"),
             ("g-live", "Live", stamps)]
    with open(os.path.join(served, "oversized.rss"), "w") as f:
        f.write(rss(items))
    d, conf = write_config("oversized", {"big": f"url = {base}/feeds/oversized.rss\n"
                                                "liveblog = auto\n"})
    r = run_braid("poll", "--once", "--config", conf, timeout=120)
    log = r.stderr.decode(errors="replace")
    db = os.path.join(d, "braid.db")
    s.check("a feed with one oversized item polls fine", r.returncode == 0,
            f"exit {r.returncode}: {log[-800:]}")
    s.check("the store saves without an error", not re.search(r"^\S+ \w+ store ", log, re.M),
            log[-800:])
    guids = {row[0] for row in sqlite3.connect(db).execute("SELECT guid FROM items")}
    s.check("every item but the huge guid is kept",
            guids == {"g-first", "g-third", "g-fourth", "g-live"}, str(sorted(guids))[:300])
    skip = [l for l in log.splitlines() if " skip " in l]
    s.check("one log line names the skipped item and the cap",
            len(skip) == 1 and "item 2" in skip[0] and "g-xxxx" in skip[0]
            and "BRAID_STORE_MAX_FIELD_BYTES" in skip[0] and len(skip[0]) < 1200,
            "\n".join(skip)[:1500])
    title = count(db, "SELECT title FROM items WHERE guid = 'g-fourth'")
    s.check("the long title is cut at a character boundary under the cap",
            title is not None and title.startswith("T\u00e9")
            and len(title.encode()) <= 64 * 1024 and title.encode().decode() == title,
            repr(title[:20]) if title else "no title")
    s.check("the cut is logged, naming the item",
            any(" cut " in l and "g-fourth" in l for l in log.splitlines()), log[-800:])
    s.check("the live blog with too many stamps is kept as one entry",
            count(db, "SELECT count(*) FROM entries e JOIN items i ON e.item_id = i.id "
                      "WHERE i.guid = 'g-live'") == 1)
    s.check("the split log line says why",
            any(" split " in l and "BRAID_STORE_MAX_UPDATES" in l for l in log.splitlines()),
            log[-800:])

    # ------------------------------------------------- item 12: two pollers on one store
    with open(os.path.join(served, "small.rss"), "w") as f:
        f.write(rss([("g-a", "A", "<p>a</p>"), ("g-b", "B", "<p>b</p>")]))
    d, conf = write_config("twopollers", {"small": f"url = {base}/feeds/small.rss\n"})
    db = os.path.join(d, "braid.db")
    daemon = subprocess.Popen([BRAID, "run", "--config", conf], stderr=subprocess.PIPE, text=True)
    try:
        started = ""
        while " poll feed=small" not in started:  # the first poll is stored: the store exists
            line = daemon.stderr.readline()
            if not line:
                break
            started += line
        s.check("braid run polls", " poll feed=small" in started, started[-500:])
        for cmd in (["poll", "--once"], ["run"]):
            r = run_braid(*cmd, "--config", conf, timeout=30)
            err = r.stderr.decode(errors="replace")
            s.check(f"a second `braid {cmd[0]}` on the store exits 1", r.returncode == 1,
                    f"exit {r.returncode}: {err[-500:]}")
            s.check(f"... saying who holds it (pid {daemon.pid})",
                    f"pid {daemon.pid}" in err and "another braid is polling this store" in err,
                    err[-500:])
            s.check(f"... without polling", " poll feed=" not in err, err[-500:])
        r = run_braid("tail", "-n", "5", "--config", conf, timeout=30)
        s.check("braid tail reads the store beside the poller", r.returncode == 0
                and b"\tA\t" in r.stdout, r.stderr.decode()[-300:])
        r = run_braid("export", "--config", conf, timeout=30)
        s.check("braid export reads the store beside the poller",
                r.returncode == 0 and b"<feed" in r.stdout, r.stderr.decode()[-300:])
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=10)
    r = run_braid("poll", "--once", "--config", conf, timeout=30)
    s.check("once the daemon is gone, poll --once takes the lock", r.returncode == 0,
            r.stderr.decode(errors="replace")[-500:])
finally:
    server.terminate()
    server.wait(timeout=10)

s.finish()
