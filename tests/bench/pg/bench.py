#!/usr/bin/env python3
"""bench.py BRAID — one full round of `braid run` on the same generated feeds: the SQLite single
node, then 1, 2 and 3 nodes on PostgreSQL, then a fresh node that only replays the log (ingest).
Run inside a private cluster (tests/bench/pg/run.sh does: pgcluster.py run -- bench.py BRAID).

The feeds are tests/bench/poll/gen.py's (5-20 KB each, 1 in 10 a live blog), served by nginx
(static files) on 127.0.0.1 .. 127.0.0.HOSTS, one fresh nginx and (for PostgreSQL) one fresh
database per configuration. A round ends when nginx has logged every feed fetched; the nodes'
replicas are then awaited until they all hold the same number of entries, unchanged for a while.
CPU is read from /proc/PID/stat: the braid nodes' user+sys, and the private cluster's (every
process whose parent is its postmaster, plus the postmaster with its reaped children).
Every process started here (nginx, the nodes) is stopped here, by its pid.

Env: N feeds (1000), HOSTS (4), PER_HOST per host across all nodes (8), CONCURRENCY per node
(16), NODES the PostgreSQL node counts ("1 2 3"), LIMIT seconds a round may take (600),
KEEP=1 keeps the temporary directory.
"""
import ctypes
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "pg"))
import pgcluster  # noqa: E402
GEN = os.path.join(HERE, "..", "poll", "gen.py")
TICK = os.sysconf("SC_CLK_TCK")
MTIME = 1700000000
STABLE_S = 3.0  # replicas unchanged this long (and equal) count as caught up


def env_int(name, default):
    return int(os.environ.get(name, default))


N = env_int("N", 1000)
HOSTS = env_int("HOSTS", 4)
PER_HOST = env_int("PER_HOST", 8)
CONCURRENCY = env_int("CONCURRENCY", 16)
LIMIT = env_int("LIMIT", 600)
NODE_COUNTS = [int(x) for x in os.environ.get("NODES", "1 2 3").split()]


def die_with_parent():
    """preexec_fn of every process started here: it gets SIGTERM if this script is killed
    before its `finally` could stop it (pgcluster.py kills its program on a timeout)."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stat_fields(pid):
    """The fields of /proc/PID/stat after the command name, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def cpu_s(pid, children=False):
    """user+sys of a process in seconds (with its reaped children's when asked)."""
    f = stat_fields(pid)
    if f is None:
        return 0.0
    # After ")": state is [0], utime [11], stime [12], cutime [13], cstime [14].
    t = int(f[11]) + int(f[12])
    if children:
        t += int(f[13]) + int(f[14])
    return t / TICK


def pg_cpu_s():
    """CPU of the private cluster: the postmaster (and the backends it reaped) plus every live
    backend and auxiliary process it started."""
    with open(os.path.join(os.environ["BRAID_PG_DIR"], "data", "postmaster.pid")) as f:
        pm = int(f.readline())
    total = cpu_s(pm, children=True)
    for d in os.listdir("/proc"):
        if d.isdigit():
            f = stat_fields(d)
            if f is not None and int(f[1]) == pm:
                total += cpu_s(d)
    return total


def pg_port():
    for kv in os.environ["BRAID_PG_SOCKET_CONNINFO"].split():
        if kv.startswith("port="):
            return kv[5:]
    raise SystemExit("bench: no port in BRAID_PG_SOCKET_CONNINFO")


def createdb(name):
    subprocess.run([os.path.join(pgcluster.find_bindir(), "createdb"), "-h", os.environ["BRAID_PG_DIR"], "-p", pg_port(), "-U", "braid", name],
                   check=True)
    return f"postgresql://braid@127.0.0.1:{pg_port()}/{name}"


def pg_waits(db, into):
    """One sample of what the database's active backends wait on (pg_stat_activity), added to
    into: {"Lock:advisory": n, "running": n, ...}."""
    sql = ("SELECT coalesce(wait_event_type || ':' || wait_event, 'running') FROM pg_stat_activity"
           " WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()")
    r = subprocess.run([os.path.join(pgcluster.find_bindir(), "psql"), "-XAtq", "-h",
                        os.environ["BRAID_PG_DIR"], "-p", pg_port(), "-U", "braid", "-d", db,
                        "-c", sql], capture_output=True, text=True)
    for w in r.stdout.split():
        into[w] = into.get(w, 0) + 1
    into["samples"] = into.get("samples", 0) + 1


class Nginx:
    """nginx on one port of 127.0.0.1 .. 127.0.0.HOSTS; access log "status addr uri"."""

    def __init__(self, d, root, port):
        self.dir, self.port = d, port
        os.makedirs(os.path.join(d, "logs"), exist_ok=True)
        self.log = os.path.join(d, "access.log")
        listens = "\n".join(f"    listen 127.0.0.{k}:{self.port};" for k in range(1, HOSTS + 1))
        with open(os.path.join(d, "nginx.conf"), "w") as f:
            f.write(f"""daemon off;
worker_processes 1;
{"user root;" if os.geteuid() == 0 else ""}
pid {d}/nginx.pid;
error_log {d}/logs/error.log warn;
events {{ worker_connections 4096; }}
http {{
  log_format bench '$status $server_addr $request_uri $msec';
  access_log {self.log} bench buffer=4k flush=100ms;
  types {{ application/rss+xml rss; application/atom+xml atom; }}
  sendfile on;
  etag on;
  keepalive_requests 100000;
  server {{
{listens}
    root {root};
  }}
}}
""")
        self.proc = subprocess.Popen(["nginx", "-p", d, "-c", os.path.join(d, "nginx.conf")],
                                     preexec_fn=die_with_parent)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("bench: nginx did not start")

    def counts(self):
        """(200s for feeds, distinct feeds answered 200, other answers, first and last answer's
        time)."""
        ok, other, seen, first, last = 0, 0, set(), None, None
        try:
            with open(self.log) as f:
                for line in f:
                    p = line.split()
                    if len(p) != 4:
                        continue  # a line being written
                    t = float(p[3])
                    first, last = min(first or t, t), max(last or t, t)
                    if p[0] == "200" and p[2].startswith("/f/"):
                        ok += 1
                        seen.add(p[2])
                    else:
                        other += 1
        except FileNotFoundError:
            pass
        return ok, len(seen), other, first, last

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful: the log is flushed
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Node:
    def __init__(self, braid, d, feeds, url):
        self.dir = d
        os.makedirs(d)
        store = "[store]\npath = braid.db\n" + (f"url = {url}\n" if url else "")
        with open(os.path.join(d, "braid.conf"), "w") as f:
            f.write(f"{store}[http]\nlisten = 127.0.0.1:{free_port()}\n"
                    f"[poll]\ninterval = 1h\nconcurrency = {CONCURRENCY}\nper_host = {PER_HOST}\n"
                    f"[stream]\nentries = 1000\nper_feed = 0\n[feeds]\ndir = {feeds}\n[log]\nlevel = info\n")
        self.log = open(os.path.join(d, "braid.log"), "wb")
        self.proc = subprocess.Popen([braid, "run", "--config", os.path.join(d, "braid.conf")],
                                     cwd=d, stdout=self.log, stderr=subprocess.STDOUT,
                                     preexec_fn=die_with_parent)

    def cpu(self):
        return cpu_s(self.proc.pid)

    def entries(self):
        try:
            db = sqlite3.connect(f"file:{os.path.join(self.dir, 'braid.db')}?mode=ro", uri=True,
                                 timeout=2)
            try:
                return db.execute("SELECT count(*) FROM entries").fetchone()[0]
            finally:
                db.close()
        except sqlite3.Error:
            return None

    def polls(self):
        self.log.flush()
        with open(os.path.join(self.dir, "braid.log"), "rb") as f:
            return f.read().count(b" poll feed=")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


def poll_once(braid, tmp, www, port, feeds):
    """The unpaced SQLite figure: `braid poll --once` polls every feed at once, where `braid run`
    spreads a first round over one second per 50 feeds (schedule.c), by design."""
    nginx = Nginx(os.path.join(tmp, "once", "nginx"), www, port)
    try:
        d = os.path.join(tmp, "once", "node")
        os.makedirs(d)
        with open(os.path.join(d, "braid.conf"), "w") as f:
            f.write(f"[store]\npath = braid.db\n[http]\nlisten = 127.0.0.1:1\n"
                    f"[poll]\nconcurrency = {CONCURRENCY}\nper_host = {PER_HOST}\n"
                    f"[stream]\nper_feed = 0\n[feeds]\ndir = {feeds}\n")
        t0 = time.time()
        with open(os.path.join(d, "braid.log"), "wb") as log:
            proc = subprocess.Popen([braid, "poll", "--once", "--config",
                                     os.path.join(d, "braid.conf")], cwd=d, stdout=log,
                                    stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
            _, status, ru = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.time() - t0
        if proc.returncode != 0:
            raise SystemExit(f"bench: braid poll --once exited {proc.returncode}")
        time.sleep(0.5)  # nginx writes its log every 100 ms
        ok, distinct, other, first, last = nginx.counts()
        db = sqlite3.connect(os.path.join(d, "braid.db"))
        try:
            count = db.execute("SELECT count(*) FROM entries").fetchone()[0]
        finally:
            db.close()
        return dict(name="once", k=1, url=None, wall=wall, fetched=ok, distinct=distinct,
                    other=other, cpu=ru.ru_utime + ru.ru_stime, pg=0.0, entries=count,
                    sync=wall, cpu_sync=ru.ru_utime + ru.ru_stime, pg_sync=0.0, polls=[ok], waits={},
                    load=open("/proc/loadavg").read().split()[0])
    finally:
        nginx.stop()


def caught_up(nodes, want=None):
    """Waits until every node's replica holds the same count (want, when given), unchanged for
    STABLE_S; returns (count, the time it was first reached) or (None, None) at the limit."""
    end = time.time() + LIMIT
    last, since = None, None
    while time.time() < end:
        counts = [n.entries() for n in nodes]
        now = time.time()
        if None not in counts and len(set(counts)) == 1 and (want is None or counts[0] >= want):
            if counts[0] != last:
                last, since = counts[0], now
            elif now - since >= STABLE_S and counts[0] > 0:
                return last, since
        else:
            last, since = None, None
        time.sleep(0.1)
    return None, None


def round_(braid, tmp, www, port, feeds, name, k, url):
    """One round with k nodes; returns a result dict."""
    nginx = Nginx(os.path.join(tmp, name, "nginx"), www, port)
    nodes = []
    try:
        pg0 = pg_cpu_s() if url else 0.0
        t0 = time.time()
        nodes = [Node(braid, os.path.join(tmp, name, f"node{i}"), feeds, url) for i in range(k)]
        end = t0 + LIMIT
        waits, next_sample = {}, t0
        while time.time() < end and nginx.counts()[0] < N:
            if any(n.proc.poll() is not None for n in nodes):
                raise SystemExit(f"bench: a node of {name} exited; see {tmp} (KEEP=1)")
            if url and time.time() >= next_sample:
                pg_waits(url.rsplit("/", 1)[1], waits)
                next_sample = time.time() + 0.5
            time.sleep(0.05)
        ok, distinct, other, first, last = nginx.counts()
        t_round = (last or time.time()) - t0
        cpu_round = sum(n.cpu() for n in nodes)
        pg_round = pg_cpu_s() - pg0 if url else 0.0
        count, t_sync = caught_up(nodes)
        ok, distinct, other = nginx.counts()[:3]  # a feed fetched twice would show by now
        t_sync = (t_sync - t0) if t_sync else float("nan")
        cpu_sync = sum(n.cpu() for n in nodes)
        pg_sync = pg_cpu_s() - pg0 if url else 0.0
        polls = [n.polls() for n in nodes]
        return dict(name=name, k=k, url=url, wall=t_round, span=(last or 0) - (first or 0),
                    fetched=ok, distinct=distinct,
                    other=other, cpu=cpu_round, pg=pg_round, entries=count, sync=t_sync,
                    cpu_sync=cpu_sync, pg_sync=pg_sync, polls=polls, waits=waits,
                    load=open("/proc/loadavg").read().split()[0])
    finally:
        for n in nodes:
            n.stop()
        nginx.stop()


def ingest(braid, tmp, www, port, feeds, url, want):
    """A new node on a database whose log holds a whole round: it polls nothing (every feed was
    just polled, the interval is an hour) and replays the log into its empty replica."""
    nginx = Nginx(os.path.join(tmp, "ingest", "nginx"), www, port)  # counts any poll it makes
    try:
        pg0 = pg_cpu_s()
        t0 = time.time()
        node = Node(braid, os.path.join(tmp, "ingest", "node"), feeds, url)
        samples = []
        try:
            end = t0 + LIMIT
            while time.time() < end:
                c = node.entries()
                samples.append((time.time() - t0, c or 0, node.cpu()))
                if c is not None and c >= want:
                    break
                time.sleep(0.1)
            wall = time.time() - t0
            cpu = node.cpu()
            pg = pg_cpu_s() - pg0
            polls = node.polls()
        finally:
            node.stop()
        return dict(wall=wall, cpu=cpu, pg=pg, entries=node.entries(), polls=polls,
                    fetched=nginx.counts()[0], samples=samples)
    finally:
        nginx.stop()


def main():
    def on_signal(signum, frame):
        raise SystemExit(128 + signum)  # through every `finally`: the nodes and nginx stop
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    braid = os.path.abspath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="braid-pgbench-")
    try:
        load0 = open("/proc/loadavg").read().split()[:3]
        www = os.path.join(tmp, "www")
        paths = subprocess.run([sys.executable, GEN, www, str(N), str(MTIME)], check=True,
                               capture_output=True, text=True).stdout.split()
        # One port for every round's nginx: the feeds' URLs must not change between rounds
        # (a changed URL is a new feed to the database, due at once, in the ingest run).
        port = free_port()
        feeds = os.path.join(tmp, "feeds.d")
        os.makedirs(feeds)
        for i, p in enumerate(paths):
            with open(os.path.join(feeds, f"f{i:05d}.feed"), "w") as f:
                f.write(f"url = http://127.0.0.{i % HOSTS + 1}:{port}{p}\n")
        results = [poll_once(braid, tmp, www, port, feeds)]
        sys.stderr.write(f"bench: poll --once done: {results[-1]}\n")
        last_url = None
        for name, k in [("sqlite", 1)] + [(f"pg{k}", k) for k in NODE_COUNTS]:
            url = createdb(f"bench_{name}") if name != "sqlite" else None
            results.append(round_(braid, tmp, www, port, feeds, name, k, url))
            sys.stderr.write(f"bench: {name} done: {results[-1]}\n")
            if url:
                last_url = (url, results[-1]["entries"])
        ing = None
        if last_url:
            ing = ingest(braid, tmp, www, port, feeds, *last_url)
            sys.stderr.write(f"bench: ingest done: { {k: v for k, v in ing.items() if k != 'samples'} }\n")
        report(results, ing, load0)
    finally:
        if os.environ.get("KEEP") == "1":
            sys.stderr.write(f"bench: kept {tmp}\n")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def report(results, ing, load0):
    print(f"{N} feeds (tests/bench/poll/gen.py, 5-20 KB, 1 in 10 a live blog) from nginx on "
          f"{HOSTS} hosts (127.0.0.1-{HOSTS}); per node: concurrency = {CONCURRENCY}, per_host = "
          f"{PER_HOST} (on PostgreSQL per host across all nodes); nodes, PostgreSQL and nginx on "
          f"the same {os.cpu_count()} CPUs. Load average before: {' '.join(load0)}, after: "
          f"{' '.join(open('/proc/loadavg').read().split()[:3])}.")
    print()
    print("| store | nodes | round s | polls/s | each feed once | polls per node | braid CPU ms/poll "
          "| PostgreSQL CPU ms/poll | cores busy | entries | replicas level at s | load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        pg = r["url"] is not None
        once = "yes" if r["fetched"] == r["distinct"] == N else f"NO ({r['fetched']}/{r['distinct']})"
        pgms = "%.2f" % (1000 * r["pg_sync"] / N) if pg else "-"
        busy = (r["cpu_sync"] + r["pg_sync"]) / r["sync"] if r["sync"] > 0 else float("nan")
        store = "PostgreSQL" if pg else ("SQLite, `braid poll --once`" if r["name"] == "once"
                                         else "SQLite, `braid run`")
        print(f"| {store} | {r['k']} | {r['wall']:.2f} | "
              f"{N / r['wall']:.0f} | {once} | {'/'.join(map(str, r['polls']))} | "
              f"{1000 * r['cpu_sync'] / N:.2f} | {pgms} | "
              f"{busy:.2f} | {r['entries']} | {r['sync']:.2f} | {r['load']} |")
    print()
    print("round s: from the nodes' start (the database's migration and the feeds' sync included) "
          "to nginx's last answer of the round; polls/s: feeds / round s. `braid run` on SQLite "
          f"spreads a first round over one second per 50 feeds ({N / 50:.0f} s here) by design, so "
          "its wall is that pacing and `braid poll --once` is SQLite's unpaced figure. CPU per poll "
          "is user+sys over the whole round, until every replica held every entry (so replay "
          "included), divided by the feeds; cores busy: braid's and PostgreSQL's CPU over that "
          "time. The nodes, PostgreSQL and nginx share the machine's cores.")
    print()
    for r in results:
        w = dict(r["waits"])
        n = w.pop("samples", 0)
        if n:
            top = sorted(w.items(), key=lambda kv: -kv[1])[:4]
            print(f"- {r['k']} node(s) on PostgreSQL: the database's active statements, sampled "
                  f"every 0.5 s ({n} samples): " + ", ".join(
                      f"{k} {v / n:.2f}" for k, v in top) + " on average (none: idle).")
    print()
    if ing is None:
        return
    rate = (ing["entries"] or 0) / ing["wall"] if ing["wall"] else 0
    print(f"Ingest: a new node on the {results[-1]['k']}-node database replays the whole log into "
          f"an empty replica (it polled {ing['polls']} feeds, nginx saw {ing['fetched']} requests): "
          f"{ing['entries']} entries in {ing['wall']:.2f} s from its start = **{rate:.0f} "
          f"entries/s**, its CPU {ing['cpu']:.2f} s ({1e6 * ing['cpu'] / max(ing['entries'] or 1, 1):.0f}"
          f" us per entry, {1000 * ing['cpu'] / N:.2f} ms per poll of the round), PostgreSQL's "
          f"{ing['pg']:.2f} s.", end="")
    steps = [x for x in ing["samples"] if x[1] > 0]
    if len(steps) >= 2 and steps[-1][0] > steps[0][0]:
        (t1, e1, c1), (t2, e2, c2) = steps[0], steps[-1]
        print(f" From its first replayed entry ({t1:.2f} s) to its last ({t2:.2f} s): "
              f"{(e2 - e1) / (t2 - t1):.0f} entries/s using {(c2 - c1) / (t2 - t1):.2f} cores.", end="")
    print()
    print()
    projection(results, ing)


def fit(points):
    """Least squares a + b*k over (k, y), b at least 0; one point: (y, 0)."""
    if len(points) < 2:
        return points[0][1], 0.0
    n = len(points)
    mk = sum(k for k, _ in points) / n
    my = sum(y for _, y in points) / n
    var = sum((k - mk) ** 2 for k, _ in points)
    b = max(0.0, sum((k - mk) * (y - my) for k, y in points) / var) if var else 0.0
    return my - b * mk, b


def projection(results, ing):
    """Every node replays every poll: r per poll on each node (the ingest node's CPU, its start
    included). The rest of the nodes' CPU per poll, f(k) = braid CPU/N - k*r, and the database's,
    d(k), are fitted as a + b*k over the measured node counts k (contention grows with nodes).
    With M node machines of C cores and one database machine of C cores, P polls/s need
    P * (f(M)/M + r) <= C on each node machine and P * d(M) <= C on the database's."""
    pg = [r for r in results if r["url"]]
    if not pg or not ing:
        return
    r_ = ing["cpu"] / N
    f0, f1 = fit([(x["k"], x["cpu_sync"] / N - x["k"] * r_) for x in pg])
    d0, d1 = fit([(x["k"], x["pg_sync"] / N) for x in pg])
    c = os.cpu_count()
    print(f"Projection: every node replays every poll, r = {1000 * r_:.2f} ms per poll (the "
          f"ingest node's CPU / {N}); the rest of the nodes' CPU per poll (fetch, parse, leases, "
          f"the log append) f(k) = braid CPU/poll - k*r, fitted {1000 * f0:.2f} + {1000 * f1:.2f}*k "
          f"ms over the measured k nodes; PostgreSQL's d(k) = {1000 * d0:.2f} + {1000 * d1:.2f}*k ms. "
          f"M node machines and one database machine, {c} cores each: polls/s <= "
          f"min({c} / (f(M)/M + r), {c} / d(M)), if nothing else (network, the feeds' hosts, "
          f"per_host) limits first.")
    print()
    print("| node machines M | node bound polls/s | database bound polls/s | projected polls/s |")
    print("|---|---|---|---|")
    for m in (1, 2, 3, 5, 10):
        node = c / ((f0 + f1 * m) / m + r_)
        db = c / (d0 + d1 * m) if d0 + d1 * m > 0 else float("inf")
        print(f"| {m} | {node:.0f} | {db:.0f} | {min(node, db):.0f} |")
    print()


if __name__ == "__main__":
    main()
