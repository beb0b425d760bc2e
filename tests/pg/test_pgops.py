#!/usr/bin/env python3
"""test_pgops.py — the operations of several braid nodes on one PostgreSQL ([store] url).

Run inside a private cluster:  tests/pg/pgcluster.py run -- python3 test_pgops.py SCENARIO
(CTest does: pg.ops_SCENARIO for each). BRAID names the binary.

  copy      a single-node store filled by two real `braid poll --once` rounds from a local
            feed server (plain feeds, an edited item, a live blog with its page, look-alike
            items across three feeds that the store merged, by link and by text, a feed that
            moved for good), moved with `braid store copy` into a new
            database; two `braid run` nodes on it rebuild exactly the original's entries,
            sources and export; their first polls send the copied validators (every request
            conditional, every answer 304, the moved feed's at its new address); a pruned item stays pruned on the nodes when its
            feed, still carrying it, changes; a copy the server fails half-way leaves nothing
            and can be run again; a second copy is refused, nothing changed.
  pollonce  `braid poll --once` with [store] url: two at once on one database fetch every
            feed exactly once between them, each exits 0 with the whole stream in its replica;
            a second run with nothing due fetches nothing; an unreachable database, a replica
            behind the pruned log and a newer braid's schema are each exit 1 with what it is.
  prune     [stream] retention on the log: rows older than the retention (by their poll
            time) are deleted from items_log by one node, in batches; a node whose replica is
            behind the oldest remaining row says so and `braid store check` fails with what
            to do.
  copybench FEEDS ITEMS   by hand: times `braid store copy` and one node's replay of it.
Every process started here (nodes, pollers, the feed server) is stopped here, by its pid.
"""
import hashlib
import http.server
import os
import sqlite3
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from braidtest import BRAID, SKIP_CODE, Suite, free_port, stop_daemon  # noqa: E402
from test_pgnodes import LIVE_PAGE, LIVE_UPDATES, demo, psql, wait_until, words  # noqa: E402

BASE = "http://braid.test/"
SHARED_LINK = "http://news.test/shared/story"
SIMILAR_LINK = "http://other.test/harbour"


def rss(name, items):
    body = "".join(
        f"<item><guid>{g}</guid><title>{t}</title><link>{l}</link>"
        f"<pubDate>{time.strftime('%a, %d %b %Y %H:%M:%S GMT', time.gmtime(d))}</pubDate>"
        f"<description>{x}</description></item>" for g, t, l, d, x in items)
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>{name} title</title>'
            f"<link>http://news.test/{name}/</link>{body}</channel></rss>").encode()


def plain(name, k, edited=False):
    text = words(name + "d" + str(k), 40) + (" corrected" if edited else "")
    return (f"{name}-{k}", words(name + "t" + str(k), 4), f"http://news.test/{name}/{k}",
            1700000000 + k * 60 + len(name), text)


class FeedServer:
    """One HTTP server: /f/NAME.rss from self.bodies (ETag = body's hash, 304 on a match),
    the demo live blog's page; every request recorded (name, status, If-None-Match)."""

    def __init__(self, delay=0.0):
        self.delay = delay
        self.bodies = {}
        self.lock = threading.Lock()
        self.requests = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                if self.path == "/f/moved.rss":  # moved for good
                    with server.lock:
                        server.requests.append(("moved", 301, self.headers.get("If-None-Match")))
                    self.send_response(301)
                    self.send_header("Location", "/f/moved-new.rss")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if self.path == f"/f/{LIVE_PAGE}":
                    body, ctype, name = demo(LIVE_PAGE), "text/html; charset=utf-8", LIVE_PAGE
                else:
                    name = self.path[3:-4] if self.path.startswith("/f/") else ""
                    with server.lock:
                        body = server.bodies.get(name)
                    ctype = "application/rss+xml"
                if body is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                time.sleep(server.delay)
                etag = '"' + hashlib.sha1(body).hexdigest() + '"'
                inm = self.headers.get("If-None-Match")
                status = 304 if inm == etag else 200
                with server.lock:
                    server.requests.append((name, status, inm))
                self.send_response(status)
                self.send_header("ETag", etag)
                if status == 200:
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if status == 200:
                    self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, name):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/f/{name}.rss"

    def set(self, name, body):
        with self.lock:
            self.bodies[name] = body

    def taken(self):
        with self.lock:
            out, self.requests = self.requests, []
            return out

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def write_conf(d, srv, names, url=None, extra=""):
    os.makedirs(os.path.join(d, "feeds.d"), exist_ok=True)
    for name in names:
        with open(os.path.join(d, "feeds.d", name + ".feed"), "w") as f:
            f.write(f"url = {srv.url(name)}\n")
    port = free_port()
    with open(os.path.join(d, "braid.conf"), "w") as f:
        f.write(f"[store]\npath = braid.db\n" + (f"url = {url}\nlease = 30s\n" if url else "") +
                f"[http]\nlisten = 127.0.0.1:{port}\nbase_url = {BASE}\n"
                f"[poll]\ninterval = 10m\nconcurrency = 4\nper_host = 2\n"
                f"[stream]\nentries = 100000\n{extra}[log]\nlevel = info\n")
    return port


def braid(d, *args, timeout=120):
    return subprocess.run([BRAID, *args, "--config", os.path.join(d, "braid.conf")],
                          capture_output=True, text=True, timeout=timeout)


def db_rows(d, sql):
    """sql's rows from d's store; [] while the store does not exist yet."""
    try:
        db = sqlite3.connect(f"file:{os.path.join(d, 'braid.db')}?mode=ro", uri=True, timeout=10)
    except sqlite3.OperationalError:
        return []
    try:
        return db.execute(sql).fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        db.close()


ENTRIES = ("SELECT uid, time, stamp, title, link, html, text, first_seen, updated FROM entries"
           " ORDER BY time, seq")
TOMB = "SELECT ident, content, content_hash, first_seen FROM items WHERE guid = 'f2-1'"
SOURCES = ("SELECT e.uid, f.name, s.update_key, s.link, s.time FROM entry_sources s"
           " JOIN entries e ON e.seq = s.entry_seq JOIN feeds f ON f.id = s.feed_id"
           " ORDER BY e.uid, f.name, s.update_key")


class Node:
    def __init__(self, d, port, *args):
        self.dir, self.port = d, port
        self.log = open(os.path.join(d, "braid.log"), "wb")
        self.proc = subprocess.Popen([BRAID, *(args or ("run",)), "--config",
                                      os.path.join(d, "braid.conf")],
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def log_text(self):
        if not self.log.closed:
            self.log.flush()
        with open(os.path.join(self.dir, "braid.log"), "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            stop_daemon(self.proc)
        self.log.close()


def fill_single(srv, d, names):
    """Two polling rounds into a single-node store, the feeds changing between them."""
    for k in range(3):
        srv.set(f"f{k}", rss(f"f{k}", [plain(f"f{k}", 0), plain(f"f{k}", 1)]))
    shared = ("a-shared", "Storm closes the harbour", SHARED_LINK, 1700001000,
              words("shared story", 60))
    srv.set("dupa", rss("dupa", [shared, plain("dupa", 0)]))
    srv.set("dupb", rss("dupb", [plain("dupb", 0)]))
    # The same text under another link and title: merged by its SimHash, not its link.
    srv.set("dupc", rss("dupc", [("c-shared", "Harbour shut as storm hits", SIMILAR_LINK,
                                  1700001060, shared[4])]))
    srv.set("storm", demo("storm-live.rss"))
    srv.set("moved-new", rss("moved", [plain("moved", 0)]))
    write_conf(d, srv, names)
    r1 = braid(d, "poll", "--once")
    time.sleep(1.5)  # the second round's poll time differs from the first's
    # Round 2: f0's first item edited, f1 gains an item, dupb now carries the shared story
    # under its own guid (the store merges it into dupa's entry).
    srv.set("f0", rss("f0", [plain("f0", 0, edited=True), plain("f0", 1)]))
    srv.set("f1", rss("f1", [plain("f1", 0), plain("f1", 1), plain("f1", 2)]))
    srv.set("dupb", rss("dupb", [("b-shared",) + shared[1:], plain("dupb", 0)]))
    r2 = braid(d, "poll", "--once")
    return r1, r2


def shared_uid(sources):
    return next((r[0] for r in sources if r[3] == SHARED_LINK), None)


def scenario_copy(s, tmp):
    srv = FeedServer()
    names = ["f0", "f1", "f2", "dupa", "dupb", "dupc", "storm", "moved"]
    single = os.path.join(tmp, "single")
    nodes = []
    try:
        r1, r2 = fill_single(srv, single, names)
        s.check("the single node's two rounds exit 0", r1.returncode == 0 and r2.returncode == 0,
                f"{r1.returncode} {r2.returncode} {r2.stderr[-500:]}")
        # f2-1's entry pruned, as retention or the per-feed cap would: the store keeps the
        # item (its identity and hash) so that the feed, which still carries it, does not make
        # it new again. Done by hand: the shortest retention is an hour.
        db = sqlite3.connect(os.path.join(single, "braid.db"))
        with db:
            db.execute("DELETE FROM entry_sources WHERE item_id = (SELECT id FROM items"
                       " WHERE guid = 'f2-1')")
            db.execute("DELETE FROM entries WHERE item_id = (SELECT id FROM items"
                       " WHERE guid = 'f2-1')")
        db.close()
        want_tomb = db_rows(single, TOMB)
        s.check("the original holds a pruned item (no body, no entry)",
                len(want_tomb) == 1 and want_tomb[0][1] is None, str(want_tomb))
        want = db_rows(single, ENTRIES)
        want_src = db_rows(single, SOURCES)
        s.check("the original merged the look-alike items (one entry, three sources: by link, "
                "by text)", sum(1 for r in want_src if r[0] == shared_uid(want_src)) == 3 and
                sum(1 for r in want if r[4] in (SHARED_LINK, SIMILAR_LINK)) == 1, str(want_src))
        s.check("the original holds an edited entry (updated after first seen)",
                any(r[8] > r[7] for r in want), "no edit in the original")
        s.check("the original holds the live blog's updates from its page",
                sum(1 for r in want if LIVE_PAGE in (r[4] or "")) == LIVE_UPDATES,
                str([r[4] for r in want]))
        want_export = braid(single, "export", "--format", "atom", "-n", "1000").stdout
        srv.taken()

        node_dirs = [os.path.join(tmp, f"node{i}") for i in range(2)]
        ports = [write_conf(d, srv, names, os.environ["BRAID_PG_URI"]) for d in node_dirs]
        conf = os.path.join(node_dirs[0], "braid.conf")
        r = subprocess.run([BRAID, "store", "copy", "--from", f"{single}/braid.db", "--config",
                            conf], capture_output=True, text=True, timeout=60)
        s.check("store copy without sqlite: in --from: exit 2, says what it wants",
                r.returncode == 2 and "--from sqlite:PATH" in r.stderr, r.stderr)
        r = subprocess.run([BRAID, "store", "copy", "--from", f"sqlite:{single}/braid.db", "--to",
                            "postgresql://braid:hunter2@127.0.0.1:1/x", "--config", conf],
                           capture_output=True, text=True, timeout=60)
        s.check("a password in --to: exit 2, refused and never echoed",
                r.returncode == 2 and "PGPASSFILE" in r.stderr and
                "hunter2" not in r.stderr + r.stdout, r.stderr)
        # A copy that fails half-way (the server refuses one item) leaves nothing behind.
        r = subprocess.run([BRAID, "store", "migrate", "--config",
                            os.path.join(node_dirs[0], "braid.conf")], capture_output=True,
                           text=True, timeout=60)
        q = psql("CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                 " IF NEW.item->>'g' = 'f1-1' THEN RAISE EXCEPTION 'refused by the test'; END IF;"
                 " RETURN NEW; END $$; CREATE TRIGGER refuse BEFORE INSERT ON items_log"
                 " FOR EACH ROW EXECUTE FUNCTION refuse()")
        s.check("a trigger that fails the copy half-way", r.returncode == 0 and q.returncode == 0,
                r.stderr + q.stderr)
        r = subprocess.run([BRAID, "store", "copy", "--from", f"sqlite:{single}/braid.db",
                            "--config", os.path.join(node_dirs[0], "braid.conf")],
                           capture_output=True, text=True, timeout=120)
        q = psql("SELECT (SELECT count(*) FROM items_log) || '|' || (SELECT count(*) FROM feeds)")
        s.check("a copy that fails half-way: exit 1, the server's reason, nothing left behind",
                r.returncode == 1 and "refused by the test" in r.stderr and
                q.stdout.strip() == "0|0", f"{r.returncode} {r.stderr!r} {q.stdout!r}")
        psql("DROP TRIGGER refuse ON items_log; DROP FUNCTION refuse()")
        r = subprocess.run([BRAID, "store", "copy", "--from", f"sqlite:{single}/braid.db",
                            "--config", os.path.join(node_dirs[0], "braid.conf")],
                           capture_output=True, text=True, timeout=120)
        s.check("store copy (to [store] url): exit 0", r.returncode == 0,
                f"{r.returncode} {r.stdout!r} {r.stderr!r}")
        s.check("store copy says what it copied", "copied" in r.stdout and "8 feeds" in r.stdout,
                r.stdout)
        q = psql("SELECT count(*), count(etag) FROM feeds")
        s.check("every feed and its validator is in the database", q.stdout.strip() == "8|8",
                q.stdout + q.stderr)
        r = subprocess.run([BRAID, "store", "copy", "--from", f"sqlite:{single}/braid.db",
                            "--to", os.environ["BRAID_PG_URI"], "--config",
                            os.path.join(node_dirs[0], "braid.conf")],
                           capture_output=True, text=True, timeout=120)
        rows = psql("SELECT count(*) FROM items_log").stdout.strip()
        s.check("a second copy is refused: the log is not empty (exit 1)",
                r.returncode == 1 and "log is not empty" in r.stderr, f"{r.returncode} {r.stderr!r}")
        s.check("the refused copy changed nothing", rows ==
                psql("SELECT count(*) FROM items_log").stdout.strip(), rows)

        nodes = [Node(d, p) for d, p in zip(node_dirs, ports)]
        ok = wait_until(lambda: all(len(db_rows(d, ENTRIES)) >= len(want) for d in node_dirs), 60)
        time.sleep(1)
        for d in node_dirs:
            got = db_rows(d, ENTRIES)
            diff = [(a, b) for a, b in zip(want, got) if a != b][:2]
            s.check(f"{os.path.basename(d)}: the same entries as the original (ids, times, "
                    "bodies, first seen, updated)", ok and got == want,
                    f"{len(got)} vs {len(want)}; first differences {diff}")
            s.check(f"{os.path.basename(d)}: the same sources (the merge reproduced)",
                    db_rows(d, SOURCES) == want_src, str(db_rows(d, SOURCES)))
            got_export = braid(d, "export", "--format", "atom", "-n", "1000").stdout
            s.check(f"{os.path.basename(d)}: braid export is byte-identical to the original's",
                    got_export == want_export and len(want_export) > 1000,
                    f"{len(got_export)} vs {len(want_export)} bytes")
        s.check("the nodes fetched nothing while the copied feeds were not due",
                not [x for x in srv.taken() if x[0] != LIVE_PAGE], "a feed was fetched early")
        psql("UPDATE feeds SET next_due = 0")
        # The moved feed is polled where it moved to, with the validators that address gave.
        fetched = set(names) - {"moved"} | {"moved-new"}
        ok = wait_until(lambda: fetched <= set(x[0] for x in srv.requests), 30)
        time.sleep(1)
        reqs = [x for x in srv.taken() if x[0] != LIVE_PAGE]
        s.check("the first round after the copy polled every feed", ok, str(reqs))
        s.check("every poll sent the copied ETag and got 304 (no full refetch; the moved feed "
                "straight at its new address)",
                reqs and all(st == 304 and inm for _n, st, inm in reqs), str(reqs))
        s.check("each feed polled once by the two nodes", len(reqs) == len(names), str(reqs))
        for d in node_dirs:
            s.check(f"{os.path.basename(d)}: still the original's entries after the round",
                    db_rows(d, ENTRIES) == want, "changed")
            s.check(f"{os.path.basename(d)}: the pruned item is known, as in the original",
                    db_rows(d, TOMB) == want_tomb, str(db_rows(d, TOMB)))
        # f2 changes (a new item) while still carrying the pruned one: the original and the
        # nodes each add the new item and neither brings the pruned one back.
        srv.set("f2", rss("f2", [plain("f2", 0), plain("f2", 1), plain("f2", 2)]))
        r = braid(single, "poll", "--once")
        psql("UPDATE feeds SET next_due = 0 WHERE name = 'f2'")
        ok = wait_until(lambda: all(any("f2/2" in (x[4] or "") for x in db_rows(d, ENTRIES))
                                    for d in node_dirs), 30)
        guids = "SELECT i.guid FROM entries e JOIN items i ON i.id = e.item_id WHERE i.feed_id =" \
                " (SELECT id FROM feeds WHERE name = 'f2') ORDER BY i.guid"
        want_f2 = db_rows(single, guids)
        s.check("the original, polled again, adds the new item only",
                r.returncode == 0 and want_f2 == [("f2-0",), ("f2-2",)], str(want_f2))
        for d in node_dirs:
            s.check(f"{os.path.basename(d)}: the same (the pruned item not made new again)",
                    ok and db_rows(d, guids) == want_f2, str(db_rows(d, guids)))
    finally:
        for n in nodes:
            n.stop()
        srv.stop()
    for n in nodes:
        s.check(f"{os.path.basename(n.dir)} stopped cleanly", n.proc.returncode == 0,
                f"exit {n.proc.returncode}")


def scenario_pollonce(s, tmp):
    srv = FeedServer(delay=0.05)
    names = [f"f{i:03d}" for i in range(40)]
    for name in names:
        srv.set(name, rss(name, [plain(name, 0), plain(name, 1)]))
    dirs = [os.path.join(tmp, f"poller{i}") for i in range(2)]
    for d in dirs:
        write_conf(d, srv, names, os.environ["BRAID_PG_URI"])
    pollers = [Node(d, 0, "poll", "--once") for d in dirs]
    try:
        for p in pollers:
            p.proc.wait(timeout=120)
    finally:
        for p in pollers:
            p.stop()
    codes = [p.proc.returncode for p in pollers]
    s.check("two concurrent braid poll --once on one database: both exit 0", codes == [0, 0],
            f"{codes} {pollers[0].log_text()[-800:]}")
    reqs = srv.taken()
    per_feed = {}
    for name, st, _inm in reqs:
        per_feed[name] = per_feed.get(name, 0) + 1
    s.check("every feed fetched exactly once between them",
            sorted(per_feed) == sorted(names) and set(per_feed.values()) == {1},
            str({k: v for k, v in per_feed.items() if v != 1}) + f" {len(per_feed)} feeds")
    polls = [p.log_text().count(" poll feed=") for p in pollers]
    print(f"pollonce: polls per process {polls}")
    s.check("the processes' polls add up to the feeds", sum(polls) == len(names), str(polls))
    rows = [db_rows(d, ENTRIES) for d in dirs]
    s.check("each replica holds the whole stream when its poll --once exits",
            all(len(r) == 2 * len(names) for r in rows), str([len(r) for r in rows]))
    s.check("the two replicas are identical", rows[0] == rows[1], "they differ")
    s.check("poll --once logged that all was polled", all("once=polled" in p.log_text()
                                                          for p in pollers), "no once=polled")
    again = braid(dirs[0], "poll", "--once")
    s.check("a second poll --once with nothing due: exit 0, nothing fetched",
            again.returncode == 0 and not srv.taken(), f"{again.returncode} {again.stderr[-500:]}")
    fresh = os.path.join(tmp, "fresh")
    write_conf(fresh, srv, names, os.environ["BRAID_PG_URI"])
    psql("UPDATE items_log_pruned SET upto_seq = 1")  # as if the log's first row were pruned
    r = braid(fresh, "poll", "--once")
    s.check("poll --once into an empty replica of a pruned log: exit 1, says it is behind",
            r.returncode == 1 and "state=behind-pruned-log" in r.stderr,
            f"{r.returncode} {r.stderr[-600:]}")
    psql("UPDATE items_log_pruned SET upto_seq = 0")
    psql("UPDATE braid_schema SET version = 99")
    r = braid(dirs[0], "poll", "--once")
    s.check("poll --once on a database of a newer braid: exit 1, says so",
            r.returncode == 1 and "newer braid" in r.stderr, f"{r.returncode} {r.stderr[-600:]}")
    psql("UPDATE braid_schema SET version = 3")
    bad = os.path.join(tmp, "unreachable")
    write_conf(bad, srv, names[:2], f"postgresql://braid@127.0.0.1:{free_port()}/braidtest")
    t0 = time.time()
    r = braid(bad, "poll", "--once", timeout=60)
    s.check("poll --once on an unreachable database: exit 1 at once, not a wait",
            r.returncode == 1 and time.time() - t0 < 20, f"{r.returncode} {time.time() - t0:.1f}s")
    s.check("... with a line that says the database is unreachable",
            "state=unreachable" in r.stderr + r.stdout, r.stderr[-600:])
    srv.stop()


def scenario_copybench(s, tmp, feeds=300, items=30):
    """By hand, not in CTest: `braid store copy` of a store of feeds x items filled by `braid
    poll --once`, then one node's replay of it; prints the times."""
    srv = FeedServer()
    names = [f"b{i:04d}" for i in range(feeds)]
    for name in names:
        srv.set(name, rss(name, [plain(name, k) for k in range(items)]))
    single, node = os.path.join(tmp, "single"), os.path.join(tmp, "node")
    write_conf(single, srv, names)
    t0 = time.time()
    r = braid(single, "poll", "--once", timeout=1200)
    fill = time.time() - t0
    want = db_rows(single, ENTRIES)
    s.check("filled", r.returncode == 0 and len(want) == feeds * items, f"{len(want)}")
    port = write_conf(node, srv, names, os.environ["BRAID_PG_URI"])
    t0 = time.time()
    r = subprocess.run([BRAID, "store", "copy", "--from", f"sqlite:{single}/braid.db", "--config",
                        os.path.join(node, "braid.conf")], capture_output=True, text=True,
                       timeout=1200)
    copy = time.time() - t0
    s.check("copied", r.returncode == 0, r.stderr)
    n = Node(node, port)
    t0 = time.time()
    try:
        ok = wait_until(lambda: len(db_rows(node, ENTRIES)) >= len(want), 600, step=0.5)
        replay = time.time() - t0
    finally:
        n.stop()
    s.check("replayed, the same entries", ok and db_rows(node, ENTRIES) == want, "differ")
    size = os.path.getsize(os.path.join(single, "braid.db"))
    print(f"copybench: {feeds} feeds x {items} items ({size / 1e6:.1f} MB store): poll --once "
          f"{fill:.1f}s, store copy {copy:.1f}s ({r.stdout.strip()}), one node's replay "
          f"{replay:.1f}s")


OLD_ROWS = 3000


def scenario_prune(s, tmp):
    """[stream] retention 1h; 3000 rows polled 2h ago (put in the log by hand, before the first
    node starts), then real polls; the prune runs every 6 s (BRAID_TEST_PG_PRUNE_MS)."""
    srv = FeedServer()
    names = [f"f{i}" for i in range(5)]
    for name in names:
        srv.set(name, rss(name, [plain(name, 0), plain(name, 1)]))
    a, b = os.path.join(tmp, "nodea"), os.path.join(tmp, "nodeb")
    ports = [write_conf(d, srv, names, os.environ["BRAID_PG_URI"], "retention = 1h\n")
             for d in (a, b)]
    os.environ["BRAID_TEST_PG_PRUNE_MS"] = "6000"
    r = braid(a, "store", "migrate")
    s.check("migrate", r.returncode == 0, r.stderr)
    q = psql("SELECT braid_log_append('f0', extract(epoch FROM now())::bigint - 7200,"
             " (SELECT jsonb_agg(jsonb_build_object('g', 'old-' || i, 't', 'old ' || i,"
             f" 'l', 'http://news.test/old/' || i, 'x', 'old item ' || i)) FROM generate_series(1, {OLD_ROWS}) i))")
    s.check("old rows appended", q.stdout.strip() == str(OLD_ROWS), q.stdout + q.stderr)
    nodes = [Node(a, ports[0])]
    try:
        ok = wait_until(lambda: "log=pruned" in nodes[0].log_text(), 30)
        s.check("a node pruned the log", ok, nodes[0].log_text()[-1500:])
        s.check(f"it deleted the {OLD_ROWS} old rows in batches of 2000",
                f"log=pruned rows={OLD_ROWS} batches=2 retention=3600s" in nodes[0].log_text(),
                [x for x in nodes[0].log_text().splitlines() if "pruned" in x])
        wait_until(lambda: psql("SELECT count(*) FROM items_log").stdout.strip() ==
                   str(2 * len(names)), 30)
        q = psql("SELECT count(*), min(seq), (SELECT upto_seq FROM items_log_pruned)"
                 " FROM items_log")
        s.check("the log keeps the recent rows only, and records how far it was pruned",
                q.stdout.strip() == f"{2 * len(names)}|{OLD_ROWS + 1}|{OLD_ROWS}", q.stdout)
        s.check("the pruning node had replayed the rows first (it is not behind)",
                "behind" not in nodes[0].log_text(), nodes[0].log_text()[-800:])
        r = braid(a, "store", "check")
        s.check("store check on the pruning node: exit 0, level",
                r.returncode == 0 and "(level)" in r.stdout and
                f"pruned up to seq {OLD_ROWS}" in r.stdout, f"{r.returncode} {r.stdout} {r.stderr}")
        nodes.append(Node(b, ports[1]))
        ok = wait_until(lambda: "state=behind-pruned-log" in nodes[1].log_text(), 30)
        s.check("a new node whose replica is behind the pruned log says so", ok,
                nodes[1].log_text()[-1500:])
        st = [None]

        def health():
            import urllib.request
            import urllib.error
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{ports[1]}/healthz", timeout=5) as x:
                    st[0] = x.status
            except urllib.error.HTTPError as e:
                st[0] = e.code
            except OSError:
                st[0] = None
            return st[0]
        s.check("... and /healthz answers 503", wait_until(lambda: health() == 503, 10), str(st))
        s.check("... and nothing of the log is replayed into it", db_rows(b, ENTRIES) == [],
                str(len(db_rows(b, ENTRIES))))
        nodes[1].stop()
        r = braid(b, "store", "check")
        s.check("store check on the node behind: exit 1, says what to do",
                r.returncode == 1 and "pruned it up to seq" in r.stderr and
                "copy of a level node's store" in r.stderr, f"{r.returncode} {r.stderr}")
        # The remedy the message gives: a level node's store copied in.
        src = sqlite3.connect(os.path.join(a, "braid.db"))
        dst = sqlite3.connect(os.path.join(b, "braid.db"))
        src.backup(dst)
        src.close()
        dst.close()
        nodes[1] = Node(b, ports[1])
        s.check("after the copy the node is healthy", wait_until(lambda: health() == 200, 20),
                str(st) + nodes[1].log_text()[-800:])
        # Within the retention: the level node prunes its replica's old entries on its own
        # upkeep timer, the copy did at its start.
        recent = ENTRIES.replace(" ORDER BY", f" WHERE first_seen > {int(time.time()) - 3000}"
                                 " ORDER BY")
        s.check("... and serves the same entries as the level node",
                wait_until(lambda: db_rows(b, recent) == db_rows(a, recent) and
                           len(db_rows(a, recent)) == 2 * len(names), 10),
                f"{len(db_rows(b, recent))} vs {len(db_rows(a, recent))}")
    finally:
        for n in nodes:
            n.stop()
        srv.stop()


def main():
    if "BRAID_PG_URI" not in os.environ:
        print("SKIP: BRAID_PG_URI not set: run under tests/pg/pgcluster.py run --")
        return SKIP_CODE
    scenario = sys.argv[1] if len(sys.argv) > 1 else "copy"
    s = Suite(f"pgops-{scenario}")
    args = [int(a) for a in sys.argv[2:]]
    {"copy": scenario_copy, "pollonce": scenario_pollonce, "prune": scenario_prune,
     "copybench": scenario_copybench}[scenario](s, s.tmp, *args)
    s.finish()


if __name__ == "__main__":
    sys.exit(main())
