#!/usr/bin/env python3
"""test_pgnodes.py — several real `braid run` nodes on one PostgreSQL ([store] url).

Run inside a private cluster:  tests/pg/pgcluster.py run -- python3 test_pgnodes.py SCENARIO [N]
(CTest does: pg.nodes_SCENARIO for each). BRAID names the binary.

The feeds come from HTTP servers this script starts on 127.0.0.1 .. 127.0.0.4 (four hosts for
the per-host limit), each request recorded with its host and its start and end, so the checks
read what the nodes really did:
  round      N feeds (600 by default), 3 nodes: every feed fetched exactly once in the round,
             no host ever had more requests in flight than [poll] per_host across all nodes,
             the polling shared, and every node's /feed.atom is identical, with all items.
  kill       3 nodes, slow answers; one node is killed with SIGKILL while it holds leases:
             the feeds it held are fetched again by the others, only after its lease ran out,
             and the survivors' streams hold every item exactly once and are identical.
  stop       2 nodes, slow answers; one is stopped with SIGTERM mid-round: it exits 0 within
             seconds, commits what it fetched and gives its leases back, so the other polls the
             rest at once rather than after the lease time.
  cli        braid store migrate|check: a new database (check says to migrate), migrate twice,
             check after a round (log and replica agree), an invariant broken by hand and a
             replica ahead of the log (both found, exit 1), a password in url (exit 2).
  pgrestart  3 nodes; PostgreSQL is stopped at once mid-round (pg_ctl -m immediate) and
             started again: /healthz says 503 meanwhile, the nodes reconnect, and every item
             reaches every node exactly once.
Every process started here (the nodes, the servers) is stopped here, by its pid.
"""
import glob
import hashlib
import http.server
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from braidtest import BRAID, SKIP_CODE, SOURCE, Suite, free_port, stop_daemon  # noqa: E402

HOSTS = 4
PER_HOST = 2
ITEMS = 2
BASE = "http://braid.test/"
# The demo's live blog: a feed whose one item is a summary, and the page (schema.org JSON-LD)
# that holds its six updates, which the node that polled the feed reads.
LIVE = "storm"
LIVE_PAGE = "storm-live.html"
LIVE_UPDATES = 6


def demo(name):
    with open(os.path.join(SOURCE, "feeds.d", "demo", name), "rb") as f:
        return f.read()


class Record:
    """What the feed servers saw: requests (feed, host, start, end, status), in flight per
    host, and the most in flight per host at any moment."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []
        self.in_flight = {}
        self.max_in_flight = {}
        self.delay = 0.05

    def begin(self, host):
        with self.lock:
            n = self.in_flight.get(host, 0) + 1
            self.in_flight[host] = n
            self.max_in_flight[host] = max(self.max_in_flight.get(host, 0), n)
            return time.time()

    def end(self, host, feed, start, status):
        with self.lock:
            self.in_flight[host] -= 1
            self.requests.append((feed, host, start, time.time(), status))

    def fetched(self):
        """feed -> list of (start, end) of its answered 200s."""
        with self.lock:
            out = {}
            for feed, _host, start, end, status in self.requests:
                if status == 200:
                    out.setdefault(feed, []).append((start, end))
            return out


def words(seed, n):
    """n distinct words from seed: items of different feeds must not look alike to the
    store's near-duplicate detection."""
    out = []
    h = seed.encode()
    while len(out) < n:
        h = hashlib.sha256(h).digest()
        out.extend(h.hex()[i:i + 7] for i in range(0, 56, 7))
    return " ".join(out[:n])


def feed_body(name):
    items = []
    for k in range(ITEMS):
        t = 1700000000 + (int(hashlib.sha1(name.encode()).hexdigest()[:6], 16) % 86400) + k * 60
        date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(t))
        items.append(f"<item><guid>{name}-{k}</guid><title>{words(name + 't' + str(k), 4)}</title>"
                     f"<link>http://news.test/{name}/{k}</link><pubDate>{date}</pubDate>"
                     f"<description>{words(name + 'd' + str(k), 40)}</description></item>")
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>{name}</title>'
            f"<link>http://news.test/{name}/</link>{''.join(items)}</channel></rss>").encode()


def make_handler(rec):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def do_GET(self):
            host = self.server.server_address[0]
            start = rec.begin(host)
            status = 0
            feed = None
            try:
                if self.path == f"/f/{LIVE_PAGE}":
                    feed = LIVE_PAGE
                    body = demo(LIVE_PAGE)
                    status = 200
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                if not self.path.startswith("/f/") or not self.path.endswith(".rss"):
                    status = 404
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                feed = self.path[3:-4]
                time.sleep(rec.delay)
                body = feed_body(feed) if feed != LIVE else demo("storm-live.rss")
                etag = '"' + hashlib.sha1(body).hexdigest() + '"'
                if self.headers.get("If-None-Match") == etag:
                    status = 304
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                status = 200
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                status = -1  # the client went away (a node killed mid-request)
            finally:
                rec.end(host, feed, start, status)
    return Handler


class Servers:
    def __init__(self, rec):
        self.servers = []
        for k in range(1, HOSTS + 1):
            srv = http.server.ThreadingHTTPServer((f"127.0.0.{k}", 0), make_handler(rec))
            srv.daemon_threads = True
            t = threading.Thread(target=srv.serve_forever, daemon=True)
            t.start()
            self.servers.append(srv)

    def url(self, i, name):
        srv = self.servers[i % HOSTS]
        host, port = srv.server_address
        return f"http://{host}:{port}/f/{name}.rss"

    def stop(self):
        for srv in self.servers:
            srv.shutdown()
            srv.server_close()


def write_node(tmp, idx, n_feeds, servers, lease, concurrency, live=False):
    d = os.path.join(tmp, f"node{idx}")
    os.makedirs(os.path.join(d, "feeds.d"), exist_ok=True)
    names = [f"f{i:04d}" for i in range(n_feeds)] + ([LIVE] if live else [])
    for i, name in enumerate(names):
        with open(os.path.join(d, "feeds.d", name + ".feed"), "w") as f:
            f.write(f"url = {servers.url(i, name)}\n")
    port = free_port()
    with open(os.path.join(d, "braid.conf"), "w") as f:
        f.write(f"[store]\npath = braid.db\nurl = {os.environ['BRAID_PG_URI']}\nlease = {lease}s\n"
                f"[http]\nlisten = 127.0.0.1:{port}\nbase_url = {BASE}\n"
                f"[poll]\ninterval = 10m\nconcurrency = {concurrency}\nper_host = {PER_HOST}\n"
                f"[stream]\nentries = 100000\n[log]\nlevel = info\n")
    return d, port


class Node:
    def __init__(self, d, port):
        self.dir, self.port = d, port
        self.log = open(os.path.join(d, "braid.log"), "wb")
        self.proc = subprocess.Popen([BRAID, "run", "--config", os.path.join(d, "braid.conf")],
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def get(self, path):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()
        except OSError:
            return None, b""

    def entries(self):
        """The node's whole stream, from its replica (the documents stop at 1000 entries):
        every entry's id, time, title, link and text, in stream order."""
        try:
            db = sqlite3.connect(f"file:{os.path.join(self.dir, 'braid.db')}?mode=ro", uri=True,
                                 timeout=10)
            try:
                return db.execute("SELECT uid, time, title, link, text FROM entries"
                                  " ORDER BY time, seq").fetchall()
            finally:
                db.close()
        except sqlite3.Error:
            return None

    def page_updates(self):
        """The updates the replica's page state says the live blog's page gave."""
        db = sqlite3.connect(f"file:{os.path.join(self.dir, 'braid.db')}?mode=ro", uri=True)
        try:
            row = db.execute("SELECT updates FROM page_state WHERE page_url LIKE ?",
                             (f"%{LIVE_PAGE}",)).fetchone()
            return row[0] if row else None
        finally:
            db.close()

    def log_text(self):
        self.log.flush()
        with open(os.path.join(self.dir, "braid.log"), "rb") as f:
            return f.read().decode(errors="replace")

    def polls(self):
        return self.log_text().count(" poll feed=")

    def stop(self):
        stop_daemon(self.proc)
        self.log.close()


def wait_until(cond, timeout, step=0.2):
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return True
        time.sleep(step)
    return cond()


def all_fetched(rec, n):
    return lambda: len(rec.fetched()) >= n


def streams_complete(nodes, want):
    def cond():
        for node in nodes:
            e = node.entries()
            if e is None or len(e) < want:
                return False
        return True
    return cond


def check_streams(s, nodes, want, what):
    ids = [node.entries() for node in nodes]
    for node, e in zip(nodes, ids):
        s.check(f"{what}: node{node.dir[-1]} has every item", e is not None and len(e) == want,
                f"{None if e is None else len(e)} entries, want {want}")
        s.check(f"{what}: node{node.dir[-1]} holds each item once",
                e is not None and len(set(r[0] for r in e)) == len(e), "duplicate entry ids")
    s.check(f"{what}: every node's stream is identical (all entries)",
            all(e == ids[0] for e in ids[1:]), "the replicas differ")
    atoms = [node.get("/feed.atom")[1] for node in nodes]
    s.check(f"{what}: every node's /feed.atom is identical", all(a == atoms[0] for a in atoms[1:])
            and len(atoms[0]) > 0, "the documents differ")


def scenario_round(s, tmp, n):
    rec = Record()
    servers = Servers(rec)
    nodes = []
    try:
        for idx in range(3):
            nodes.append(Node(*write_node(tmp, idx, n, servers, 30, 8, live=True)))
        t0 = time.time()
        ok = wait_until(all_fetched(rec, n + 2), 240)  # and the live blog's feed and page
        took = time.time() - t0
        s.check("every feed fetched", ok, f"{len(rec.fetched())} of {n + 2}")
        want = n * ITEMS + LIVE_UPDATES
        ok = wait_until(streams_complete(nodes, want), 120)
        print(f"round: {n} feeds fetched by 3 nodes in {took:.1f}s; streams complete "
              f"{time.time() - t0:.1f}s after start")
        time.sleep(2)  # a second fetch of a feed would show now
        fetched = rec.fetched()
        twice = [f for f, v in fetched.items() if len(v) != 1]
        s.check("every feed (and the live blog's page) fetched exactly once in the round",
                not twice and len(fetched) == n + 2,
                f"{len(twice)} fetched more than once, e.g. {twice[:5]}")
        s.check(f"no host ever had more than per_host={PER_HOST} requests in flight",
                all(v <= PER_HOST for v in rec.max_in_flight.values()), str(rec.max_in_flight))
        s.check("the per-host limit was reached (the check can fail)",
                any(v == PER_HOST for v in rec.max_in_flight.values()), str(rec.max_in_flight))
        polls = [node.polls() for node in nodes]
        # Which node gets a free slot first is a race; the work must be shared, not even.
        print(f"round: polls per node {polls}")
        s.check("more than one node polled", sum(1 for p in polls if p > 0) >= 2, str(polls))
        s.check("the nodes' polls add up to the feeds", sum(polls) == n + 1, str(polls))
        check_streams(s, nodes, want, "round")
        for node in nodes:
            e = node.entries() or []
            s.check(f"round: node{node.dir[-1]} has the live blog's updates from its page",
                    sum(1 for r in e if LIVE_PAGE in (r[3] or "")) == LIVE_UPDATES,
                    str([r[3] for r in e if "storm" in (r[3] or "")]))
            s.check(f"round: node{node.dir[-1]} knows the page was read (its state replayed)",
                    node.page_updates() == LIVE_UPDATES, str(node.page_updates()))
        health = [node.get("/healthz")[0] for node in nodes]
        s.check("every node is healthy", health == [200, 200, 200], str(health))
    finally:
        for node in nodes:
            node.stop()
        servers.stop()
    for node in nodes:
        s.check(f"node{node.dir[-1]} stopped cleanly on SIGTERM", node.proc.returncode == 0,
                f"exit {node.proc.returncode}")


def scenario_kill(s, tmp, n):
    rec = Record()
    rec.delay = 1.0
    servers = Servers(rec)
    lease = 6
    nodes = []
    try:
        for idx in range(3):
            nodes.append(Node(*write_node(tmp, idx, n, servers, lease, 4)))
        victim = nodes[0]
        # Kill the victim while it holds leases: once it has logged polls and more are in
        # flight (each answer takes a second).
        ok = wait_until(lambda: victim.polls() >= 2, 60)
        s.check("the victim polled before it died", ok, "no poll line in its log")
        victim.proc.send_signal(signal.SIGKILL)
        victim.proc.wait()
        survivors = nodes[1:]
        ok = wait_until(all_fetched(rec, n), 240)
        s.check("every feed fetched", ok, f"{len(rec.fetched())} of {n}")
        ok = wait_until(streams_complete(survivors, n * ITEMS), 120)
        with rec.lock:
            tried = {}
            for feed, _host, start, _end, _status in rec.requests:
                tried.setdefault(feed, []).append(start)
        again = {f: sorted(v) for f, v in tried.items() if len(v) > 1}
        print(f"kill: {len(again)} feeds requested again after the victim's request")
        # A feed the victim held is requested again only after its lease ran out on the
        # database's clock: at least lease seconds after the victim's request began (1 s slack
        # for reading two clocks).
        early = [f for f, v in again.items() if v[1] - v[0] < lease - 1]
        s.check("feeds held by the killed node were not fetched again before its lease expired",
                not early, f"{early[:5]}")
        s.check("feeds held by the killed node were polled by the others", len(again) > 0,
                "the victim held nothing when killed: no check ran")
        s.check("every feed was fetched whole (a 200) by a node",
                len(rec.fetched()) == n, f"{len(rec.fetched())} of {n}")
        check_streams(s, survivors, n * ITEMS, "kill")
    finally:
        for node in nodes:
            node.stop()
        servers.stop()
    for node in nodes[1:]:
        s.check(f"node{node.dir[-1]} stopped cleanly on SIGTERM", node.proc.returncode == 0,
                f"exit {node.proc.returncode}")


def scenario_stop(s, tmp, n):
    """A node stopped with SIGTERM mid-round gives its leases back: the other node polls those
    feeds at once, long before the lease would have run out."""
    rec = Record()
    rec.delay = 1.0
    servers = Servers(rec)
    lease = 60
    nodes = []
    try:
        for idx in range(2):
            nodes.append(Node(*write_node(tmp, idx, n, servers, lease, 4)))
        leaving = nodes[0]
        ok = wait_until(lambda: leaving.polls() >= 2, 60)
        s.check("the node polled before it was stopped", ok, "no poll line in its log")
        stopped_at = time.time()
        stop_daemon(leaving.proc)
        s.check("the stopped node exited 0", leaving.proc.returncode == 0,
                f"exit {leaving.proc.returncode}")
        s.check("the stopped node exited within its stop grace",
                time.time() - stopped_at < 8, f"{time.time() - stopped_at:.1f}s")
        ok = wait_until(all_fetched(rec, n), lease - 10)
        s.check("every feed fetched well within the lease time: the leases were given back", ok,
                f"{len(rec.fetched())} of {n} after {time.time() - stopped_at:.1f}s")
        ok = wait_until(streams_complete(nodes[1:], n * ITEMS), 60)
        check_streams(s, nodes[1:], n * ITEMS, "stop")
        log = leaving.log_text()
        s.check("the stopped node committed what it had fetched", "dropped" not in log,
                [line for line in log.splitlines() if "dropped" in line][:3])
    finally:
        for node in nodes:
            node.stop()
        servers.stop()


def psql(sql):
    """Runs sql on the test database over the cluster's socket, with the server's own psql."""
    d = os.environ["BRAID_PG_DIR"]
    bindirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    exe = shutil.which("psql") or (os.path.join(bindirs[-1], "psql") if bindirs else "psql")
    return subprocess.run([exe, os.environ["BRAID_PG_SOCKET_CONNINFO"], "-v", "ON_ERROR_STOP=1",
                           "-Atc", sql], capture_output=True, text=True, timeout=30, cwd=d)


def braid_store(node, *args):
    return subprocess.run([BRAID, "store", *args, "--config", os.path.join(node.dir if
                           isinstance(node, Node) else node, "braid.conf")],
                          capture_output=True, text=True, timeout=60)


def scenario_cli(s, tmp, n):
    """braid store migrate|check on both stores: a new database, one a node filled, one whose
    invariants were broken by hand, and a replica pointed at another database."""
    rec = Record()
    servers = Servers(rec)
    d, port = write_node(tmp, 0, n, servers, 30, 4)
    try:
        r = braid_store(d, "check")
        s.check("check on a new database: exit 1, says to migrate",
                r.returncode == 1 and "braid store migrate creates it" in r.stderr,
                f"{r.returncode} {r.stderr!r}")
        s.check("check names the server without a password",
                "postgresql user=braid" in r.stderr and "password" not in r.stderr, r.stderr)
        r = braid_store(d, "migrate")
        s.check("migrate: exit 0, schema version 3 from 0",
                r.returncode == 0 and "schema version 3 (migrated from 0)" in r.stdout,
                f"{r.returncode} {r.stdout!r} {r.stderr!r}")
        r = braid_store(d, "migrate")
        s.check("migrate again: nothing to do", r.returncode == 0 and "(already)" in r.stdout,
                f"{r.returncode} {r.stdout!r}")
        node = Node(d, port)
        try:
            ok = wait_until(all_fetched(rec, n), 60) and \
                wait_until(streams_complete([node], n * ITEMS), 60)
            s.check("a node polled every feed", ok, str(len(rec.fetched())))
        finally:
            node.stop()
        r = braid_store(d, "check")
        s.check("check after a round: exit 0, the log and the replica agree",
                r.returncode == 0 and f"{n * ITEMS} log rows" in r.stdout and
                f"replayed up to seq {n * ITEMS} of {n * ITEMS}" in r.stdout and
                "pages ok" in r.stdout, f"{r.returncode} {r.stdout!r} {r.stderr!r}")
        q = psql("DELETE FROM feed_leases WHERE feed_id = (SELECT min(id) FROM feeds)")
        s.check("psql ran", q.returncode == 0, q.stderr)
        r = braid_store(d, "check")
        s.check("check finds a feed without its lease row",
                r.returncode == 1 and "feeds without a lease row 1," in r.stderr,
                f"{r.returncode} {r.stderr!r}")
        psql("TRUNCATE items_log")
        r = braid_store(d, "check")
        s.check("check finds a replica ahead of the database's log",
                r.returncode == 1 and "filled from another database" in r.stderr,
                f"{r.returncode} {r.stderr!r}")
        with open(os.path.join(d, "braid.conf"), "a") as f:
            f.write("[store]\nurl = postgresql://braid:secret@127.0.0.1/x\n")
        r = braid_store(d, "check")
        s.check("a password in url is refused as a config error (exit 2), never echoed",
                r.returncode == 2 and "secret" not in r.stderr + r.stdout, r.stderr)
    finally:
        servers.stop()


def scenario_pgrestart(s, tmp, n):
    rec = Record()
    rec.delay = 0.3
    servers = Servers(rec)
    nodes = []
    try:
        for idx in range(3):
            nodes.append(Node(*write_node(tmp, idx, n, servers, 20, 4)))
        ok = wait_until(lambda: len(rec.fetched()) >= n // 4, 120)
        s.check("a quarter of the feeds fetched before the restart", ok, str(len(rec.fetched())))
        rc = subprocess.run(os.environ["BRAID_PG_KILL"], shell=True).returncode
        s.check("PostgreSQL stopped", rc == 0, f"exit {rc}")
        ok = wait_until(lambda: all(node.get("/healthz")[0] == 503 for node in nodes), 20)
        s.check("/healthz answers 503 on every node while PostgreSQL is down", ok,
                str([node.get("/healthz")[0] for node in nodes]))
        time.sleep(2)
        rc = subprocess.run(os.environ["BRAID_PG_START"], shell=True).returncode
        s.check("PostgreSQL started again", rc == 0, f"exit {rc}")
        ok = wait_until(lambda: all(node.get("/healthz")[0] == 200 for node in nodes), 60)
        s.check("every node is healthy again", ok, str([node.get("/healthz")[0] for node in nodes]))
        ok = wait_until(all_fetched(rec, n), 240)
        s.check("every feed fetched", ok, f"{len(rec.fetched())} of {n}")
        wait_until(streams_complete(nodes, n * ITEMS), 120)
        check_streams(s, nodes, n * ITEMS, "pgrestart")
        logs = [node.log_text() for node in nodes]
        print("pgrestart: results kept over the outage and committed after: lease-lost "
              f"{sum(t.count('result=lease-lost') for t in logs)}, dropped "
              f"{sum(t.count('result=dropped') for t in logs)}")
        for t in logs[:1]:
            print("\n".join(line for line in t.splitlines() if " pg " in line and "state=" in line))
        s.check("each node logged the outage and the reconnect",
                all("state=disconnected" in t and t.count("state=connected") >= 2 for t in logs),
                "missing pg state lines")
    finally:
        for node in nodes:
            node.stop()
        servers.stop()
    for node in nodes:
        s.check(f"node{node.dir[-1]} stopped cleanly on SIGTERM", node.proc.returncode == 0,
                f"exit {node.proc.returncode}")


def main():
    if "BRAID_PG_URI" not in os.environ:
        print("SKIP: BRAID_PG_URI not set: run under tests/pg/pgcluster.py run --")
        return SKIP_CODE
    scenario = sys.argv[1] if len(sys.argv) > 1 else "round"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else {"round": 600, "kill": 60, "stop": 40,
                                                      "pgrestart": 120, "cli": 20}[scenario]
    s = Suite(f"pgnodes-{scenario}")
    {"round": scenario_round, "kill": scenario_kill, "stop": scenario_stop,
     "pgrestart": scenario_pgrestart, "cli": scenario_cli}[scenario](
        s, s.tmp, n)
    s.finish()


if __name__ == "__main__":
    sys.exit(main())
