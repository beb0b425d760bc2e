"""Shared helpers for braid's integration tests (standard library only).

Each test file builds a Suite, calls check() for every assertion a user depends on, and ends
with suite.finish(), which prints each failure with its reason, then the line
"N passed, N failed" and exits non-zero on any failure. A check that cannot run here (a tool
not installed) is recorded with skip(); a suite that skipped anything and failed nothing exits
SKIP_CODE, which CTest shows as "Skipped" (SKIP_RETURN_CODE), never as a silent pass.
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import re

BRAID = os.environ.get("BRAID", "braid")
FIXTURES = os.environ.get("BRAID_FIXTURES", os.path.join(os.path.dirname(__file__), "..", "fixtures"))
SOURCE = os.environ.get("BRAID_SOURCE", os.path.join(os.path.dirname(__file__), "..", ".."))
SKIP_CODE = 77  # CMakeLists.txt sets it as every integration test's SKIP_RETURN_CODE


class Suite:
    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = []
        self.skipped = []
        self.tmp = tempfile.mkdtemp(prefix=f"braid-{name}-")

    def check(self, what, cond, detail=""):
        if cond:
            self.passed += 1
        else:
            self.failed.append(f"{what}: {detail}")
        return cond

    def skip(self, what):
        """Records checks that cannot run on this machine, saying why."""
        print(f"SKIP {self.name}: {what}")
        self.skipped.append(what)

    def finish(self):
        for f in self.failed:
            print(f"FAIL {self.name}: {f}")
        print(f"{self.name}: {self.passed} passed, {len(self.failed)} failed, "
              f"{len(self.skipped)} skipped")
        if not self.failed:
            shutil.rmtree(self.tmp, ignore_errors=True)
        else:
            print(f"(scratch files kept in {self.tmp})")
        sys.exit(1 if self.failed else SKIP_CODE if self.skipped else 0)


def run_braid(*args, stdin=None, timeout=60, env=None, input_bytes=None):
    """Runs braid with args; returns CompletedProcess with bytes stdout/stderr."""
    e = dict(os.environ)
    if env:
        e.update(env)
    return subprocess.run([BRAID, *args], input=input_bytes, stdin=stdin, capture_output=True,
                          timeout=timeout, env=e)


def free_port():
    """A TCP port free on 127.0.0.1 right now, for a braid.conf [http] listen."""
    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        return so.getsockname()[1]


def fixture(*parts):
    return os.path.join(FIXTURES, *parts)


def demo_feeds(tmp, conf_text="[store]\npath = braid.db\n"):
    """feeds.d in tmp naming the offline demo feeds (a live blog of 13 updates and two news
    feeds, file://) and a braid.conf holding conf_text; returns the configuration's path."""
    os.makedirs(os.path.join(tmp, "feeds.d"), exist_ok=True)
    for doc in ("homs-liveblog.rss", "homs-news.atom", "homs-wire.rdf"):
        with open(os.path.join(tmp, "feeds.d", doc.split(".")[0] + ".feed"), "w") as f:
            f.write(f"url = file://{os.path.join(FIXTURES, 'feeds', doc)}\n")
    conf = os.path.join(tmp, "braid.conf")
    with open(conf, "w") as f:
        f.write(conf_text)
    return conf


def wait_http(url, tries=100):
    """Polls url until it answers (a daemon that has just started), at most tries x 0.1 s."""
    import time
    import urllib.request
    for _ in range(tries):
        try:
            urllib.request.urlopen(url).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def newsboat_titles(newsboat, feed_url, tmp):
    """Runs `newsboat -x reload` on feed_url with its files in tmp; returns (CompletedProcess,
    the titles in its cache)."""
    import sqlite3
    with open(os.path.join(tmp, "urls"), "w") as f:
        f.write(feed_url + "\n")
    with open(os.path.join(tmp, "newsboat.conf"), "w") as f:
        f.write("show-read-feeds yes\n")
    env = dict(os.environ, HOME=tmp, XDG_CONFIG_HOME=tmp, XDG_DATA_HOME=tmp)
    cache = os.path.join(tmp, "cache.db")
    nb = subprocess.run([newsboat, "-u", os.path.join(tmp, "urls"), "-c", cache,
                         "-C", os.path.join(tmp, "newsboat.conf"), "-x", "reload"],
                        capture_output=True, timeout=60, env=env)
    titles = []
    if os.path.exists(cache):
        db = sqlite3.connect(cache)
        titles = [t for (t,) in db.execute("SELECT title FROM rss_item")]
        db.close()
    return nb, titles
class DaemonLog:
    """The stderr file of a `braid run` a test started: read it whole, or wait for a line."""

    def __init__(self, path):
        self.path = path

    def text(self):
        with open(self.path) as f:
            return f.read()

    def wait(self, pattern, timeout, after=0):
        """The first match of pattern in the log from offset after, waiting up to timeout s."""
        end = time.time() + timeout
        while True:
            m = re.search(pattern, self.text()[after:])
            if m or time.time() > end:
                return m
            time.sleep(0.05)


def stop_daemon(daemon, timeout=10):
    """SIGTERM a daemon the test started (by its Popen), then SIGKILL after timeout s; the
    caller checks daemon.returncode."""
    if daemon.poll() is None:
        daemon.terminate()
        try:
            daemon.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
