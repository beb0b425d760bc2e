"""braid tail: the merged stream from the store, one line per entry; -f follows a store that
another process is writing, and stops on SIGTERM or when its reader goes away."""
import contextlib
import hashlib
import os
import select
import signal
import sqlite3
import subprocess
import time

from braidtest import BRAID, Suite, fixture, run_braid

suite = Suite("tail")
T0 = 1320729000  # 2011-11-08T05:10:00Z


def new_store(path):
    """A store with the current schema, created the way braid creates it."""
    db = sqlite3.connect(path)
    with open(fixture("store", "schema-v11.sql")) as f:
        db.executescript(f.read())
    db.close()


class Writer:
    """Writes entries into a store as the daemon would: one transaction per poll."""

    def __init__(self, path):
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA busy_timeout = 5000")
        self.feeds = {}
        self.n = 0

    def feed(self, name):
        if name not in self.feeds:
            cur = self.db.execute("INSERT INTO feeds (name, url) VALUES (?, ?)",
                                  (name, f"https://{name}.example/rss"))
            self.feeds[name] = cur.lastrowid
        return self.feeds[name]

    def poll(self, entries):
        """entries: (time, [feed names], title, link) tuples, all committed together."""
        self.db.execute("BEGIN IMMEDIATE")
        for when, sources, title, link in entries:
            self.n += 1
            items = []
            for name in sources:
                fid = self.feed(name)
                cur = self.db.execute(
                    "INSERT INTO items (feed_id, ident, guid, link, title, content, content_hash,"
                    " first_seen, changed) VALUES (?, ?, ?, ?, ?, '', 0, ?, ?)",
                    (fid, f"g:{self.n}", str(self.n), link, title, when, when))
                items.append((fid, cur.lastrowid))
            cur = self.db.execute(
                "INSERT INTO entries (uid, item_id, time, title, link, content_hash, first_seen,"
                " updated) VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
                (f"tag:braid,2011:t/{self.n}", items[0][1], when, title, link, when, when))
            seq = cur.lastrowid
            for fid, iid in items:
                self.db.execute(
                    "INSERT INTO entry_sources (entry_seq, item_id, update_key, feed_id, link,"
                    " time) VALUES (?, ?, '', ?, ?, ?)", (seq, iid, fid, link, when))
        self.db.execute("COMMIT")

    def close(self):
        self.db.close()


def utc(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def lines(proc_result):
    return proc_result.stdout.decode().splitlines()


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


store = os.path.join(suite.tmp, "braid.db")
new_store(store)
w = Writer(store)
w.poll([(T0 + 60 * i, ["ea-worldview"], f"Update {i}", f"https://ea.example/live#u{i}")
        for i in range(25)])

# the newest 20, oldest first, four tab-separated fields
r = run_braid("tail", "--store", store)
out = lines(r)
suite.check("tail exits 0", r.returncode == 0, r.stderr)
suite.check("tail prints 20 entries by default", len(out) == 20, out)
suite.check("first line is the oldest of the newest 20",
            out[:1] == [f"{utc(T0 + 300)}\tea-worldview\tUpdate 5\thttps://ea.example/live#u5"],
            out[:1])
suite.check("last line is the newest",
            out[-1:] == [f"{utc(T0 + 1440)}\tea-worldview\tUpdate 24\thttps://ea.example/live#u24"],
            out[-1:])

r = run_braid("tail", "-n", "3", "--store", store)
suite.check("-n 3 prints the newest 3, oldest first",
            [l.split("\t")[2] for l in lines(r)] == ["Update 22", "Update 23", "Update 24"],
            lines(r))
r = run_braid("tail", "-n", "2", env={"BRAID_STORE": store})
suite.check("BRAID_STORE names the store", r.returncode == 0 and len(lines(r)) == 2, r.stderr)

# an entry from two feeds, a title with a tab and a newline, no link
w.poll([(T0 + 7200, ["wire", "ea-worldview"], "Homs\tfalls\nagain", None)])
r = run_braid("tail", "-n", "1", "--store", store)
suite.check("sources joined by commas, control characters as spaces, no link as -",
            lines(r) == [f"{utc(T0 + 7200)}\twire,ea-worldview\tHoms falls again\t-"], lines(r))

# tail never writes the store
before = digest(store)
run_braid("tail", "--store", store)
suite.check("tail leaves the store file as it was", digest(store) == before)

# errors
missing = os.path.join(suite.tmp, "nope.db")
r = run_braid("tail", "--store", missing)
suite.check("missing store exits 1", r.returncode == 1, r.returncode)
suite.check("missing store is named on stderr", missing in r.stderr.decode(), r.stderr)
suite.check("missing store is not created", not os.path.exists(missing))
empty = os.path.join(suite.tmp, "empty.db")
sqlite3.connect(empty).close()
r = run_braid("tail", "--store", empty)
suite.check("a file that is not a braid store exits 1 with a reason",
            r.returncode == 1 and "not a braid store" in r.stderr.decode(), r.stderr)
for args in (["-n", "many"], ["-n", "-1"], ["--bogus"], ["extra"], ["--store"]):
    r = run_braid("tail", *args)
    suite.check(f"usage error {args} exits 2", r.returncode == 2, (r.returncode, r.stderr))
r = run_braid("tail", "--help")
suite.check("--help exits 0 and shows the usage",
            r.returncode == 0 and b"braid tail [-f]" in r.stdout, r.stdout)


def read_lines(proc, count, timeout):
    """Reads count lines from proc.stdout within timeout seconds."""
    got, buf, deadline = [], b"", time.time() + timeout
    fd = proc.stdout.fileno()
    while len(got) < count and time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.time()))
        if not ready:
            break
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            got.append(line.decode())
    return got


def wait_exit(proc, timeout):
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return None


@contextlib.contextmanager
def follower(*args):
    """braid tail -f ARGS on the store, killed (by pid) if a check left it running."""
    proc = subprocess.Popen([BRAID, "tail", "-f", *args, "--store", store],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def wait_catching(proc, signum, timeout):
    """Waits until proc has a handler of its own for signum (SigCgt in /proc/PID/status):
    until then the signal meets the default action, not braid."""
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        with open(f"/proc/{proc.pid}/status") as st:
            caught = next((int(l.split()[1], 16) for l in st if l.startswith("SigCgt:")), 0)
        if caught >> (signum - 1) & 1:
            return True
        time.sleep(0.02)
    return False


def titles(got):
    return [l.split("\t")[2] for l in got]


# -f: prints the newest N, then what another process commits, within a few seconds
with follower("-n", "2") as f:
    first = read_lines(f, 2, 10)
    suite.check("tail -f starts with the newest N",
                titles(first) == ["Update 24", "Homs falls again"], first)
    w.poll([(T0 + 9000 + i, ["wire"], f"Breaking {i}", f"https://wire.example/{i}")
            for i in range(3)])
    new = read_lines(f, 3, 10)
    suite.check("tail -f prints entries another process commits",
                titles(new) == ["Breaking 0", "Breaking 1", "Breaking 2"], new)
    # an entry stored with an older time is still new to a follower
    w.poll([(T0, ["wire"], "Late arrival", "https://wire.example/late")])
    late = read_lines(f, 1, 10)
    suite.check("tail -f prints an entry dated in the past when it arrives",
                titles(late) == ["Late arrival"], late)
    f.send_signal(signal.SIGTERM)
    suite.check("tail -f exits 0 on SIGTERM", wait_exit(f, 10) == 0, f.returncode)

with follower("-n", "0") as f:
    # Not a fixed sleep: under ASan on a loaded machine start-up can outlast it.
    wait_catching(f, signal.SIGINT, 10)
    f.send_signal(signal.SIGINT)
    suite.check("tail -f exits 0 on SIGINT", wait_exit(f, 10) == 0, f.returncode)

# -f whose reader goes away: stops by itself, quietly
with follower("-n", "1") as f:
    read_lines(f, 1, 10)
    f.stdout.close()
    suite.check("tail -f exits 0 when its output is closed", wait_exit(f, 10) == 0, f.returncode)
    suite.check("... without complaining", f.stderr.read() == b"")

w.close()
suite.finish()
