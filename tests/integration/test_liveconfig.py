"""Configuration that lives: a running `braid run` re-reads braid.conf on SIGHUP (entries and
interval change at once; a new listen address is named as needing a restart and the old one
kept; a broken file keeps the old configuration and names file and line; [log] level changes
the log), watches feeds.d (a feed added, edited or removed is picked up within a second with
no signal), `braid feeds add/remove` say whether a running daemon picks the change up, and
`braid feeds list --state/--json` show each feed's poll state while the daemon runs.
Real parts only: feedserver.py on 127.0.0.1, a real store, the daemon stopped by pid.
"""
import json
import os
import re
import signal
import subprocess
import time
import urllib.request

from braidtest import BRAID, Suite, free_port, run_braid
from feedserver import start_server, stop_server

s = Suite("liveconfig")
tmp = s.tmp
server, port = start_server(None)
base = f"http://127.0.0.1:{port}"
d = os.path.join(tmp, "inst")
feeds_d = os.path.join(d, "feeds.d")
os.makedirs(feeds_d)
conf = os.path.join(d, "braid.conf")
logpath = os.path.join(d, "log")
http_port = free_port()


def write_conf(entries, interval, listen_port, extra="", http_extra="", stream_extra=""):
    with open(conf, "w") as f:
        f.write(f"[store]\npath = braid.db\n[http]\nlisten = 127.0.0.1:{listen_port}\n{http_extra}"
                f"[poll]\ninterval = {interval}\ntimeout = 5s\n[stream]\nentries = {entries}\n"
                f"{stream_extra}{extra}")


def write_feed(name, url):
    with open(os.path.join(feeds_d, name + ".feed"), "w") as f:
        f.write(f"url = {url}\n")


def log():
    with open(logpath) as f:
        return f.read()


def wait_log(pattern, timeout, after=0):
    """The first match of pattern in the log from offset after, waiting up to timeout s."""
    end = time.time() + timeout
    while True:
        m = re.search(pattern, log()[after:])
        if m or time.time() > end:
            return m
        time.sleep(0.05)


def stream_len():
    with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/feed.json") as h:
        return len(json.load(h)["items"])


def polls_of(path):
    with urllib.request.urlopen(f"{base}/_requests?brief=1") as r:
        return [q["time"] for q in json.load(r) if q["path"].startswith(path)]

def stop_daemon(daemon):
    """SIGTERM, then SIGKILL after 10 s; the caller checks the exit status."""
    if daemon.poll() is None:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(timeout=10)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()



write_conf(3, "1h", http_port)
write_feed("alpha", f"{base}/gen/alpha.rss?items=12")
write_feed("gone", f"{base}/status/410")

r = run_braid("feeds", "--config", conf, "add", "--no-discover", f"{base}/gen/beta.rss", "--name", "beta")
s.check("feeds add without a daemon says none runs",
        r.returncode == 0 and b"no braid is running on this store" in r.stderr, r.stderr)

logf = open(logpath, "w")
daemon = subprocess.Popen([BRAID, "run", "--config", conf], stderr=logf)
try:
    s.check("the daemon starts and polls alpha",
            wait_log(r"poll feed=alpha status=200", 10), log())
    wait_log(r"poll feed=gone ", 10)
    s.check("[stream] entries = 3 serves 3 entries", stream_len() == 3, stream_len())

    # ---- feeds list --state while the daemon runs (no lock needed) ----
    r = run_braid("feeds", "list", "--state", "--config", conf)
    out = r.stdout.decode()
    rows = {l.split()[0]: l for l in out.splitlines()[1:]}
    s.check("feeds list --state exits 0 while the daemon runs", r.returncode == 0, r.stderr)
    s.check("the header names every column",
            re.match(r"NAME\s+STATE\s+LAST POLL\s+NEXT\s+ENTRIES\s+LAST ERROR\n", out), out)
    s.check("alpha is ok with 12 entries, polled seconds ago, next in about an hour (jittered)",
            re.match(r"alpha\s+ok\s+\d+s ago\s+in ([4-6][0-9]|7[0-5])m\s+12\s+-$", rows.get("alpha", "")), out)
    s.check("gone is retired after its 410, never polled again, error named",
            re.match(r"gone\s+retired\s+\d+s ago\s+never\s+0\s+HTTP 410$", rows.get("gone", "")), out)
    r = run_braid("feeds", "list", "--json", "--config", conf)
    try:
        js = {f["name"]: f for f in json.loads(r.stdout)}
    except ValueError:
        js = {}
    s.check("feeds list --json gives the same state",
            js.get("alpha", {}).get("state") == "ok" and js["alpha"]["entries"] == 12
            and js.get("gone", {}).get("last_error") == "HTTP 410"
            and js.get("gone", {}).get("next_poll") is None, r.stdout)

    # ---- feeds.d is watched: add, edit, remove without SIGHUP ----
    at = len(log())
    t0 = time.time()
    write_feed("gamma", f"{base}/gen/gamma.rss?items=2")
    m = wait_log(r"feeds feeds=4 added=1 removed=0 changed=0 errors=0", 3, at)
    s.check("a feed file added is picked up within a second, without SIGHUP",
            m and time.time() - t0 < 1.5, log()[at:])
    s.check("and polled", wait_log(r"poll feed=gamma status=200", 3, at), log()[at:])
    at = len(log())
    t0 = time.time()
    write_feed("gamma", f"{base}/gen/gamma2.rss?items=2")
    m = wait_log(r"feeds feeds=4 added=0 removed=0 changed=1 errors=0", 3, at)
    s.check("an edited feed file is picked up within a second", m and time.time() - t0 < 1.5, log()[at:])
    s.check("the edited feed polls its new URL", wait_log(r"poll feed=gamma status=200", 3, at)
            and polls_of("/gen/gamma2.rss"), log()[at:])
    at = len(log())
    r = run_braid("feeds", "--config", conf, "remove", "gamma")
    s.check("feeds remove names the running daemon's pid",
            r.returncode == 0 and f"a running braid (pid {daemon.pid}) will pick it up".encode() in r.stderr,
            r.stderr)
    s.check("a removed feed file is dropped within a second",
            wait_log(r"feeds feeds=3 added=0 removed=1 changed=0 errors=0", 3, at), log()[at:])

    # ---- braid.conf reload ----
    at = len(log())
    new_port = free_port()
    before = len(polls_of("/gen/alpha.rss"))
    write_conf(5, "2s", new_port, "[log]\nlevel = debug\n",
               http_extra="base_url = https://news.example/desk/\n",
               stream_extra="title = Newsroom desk\n")
    daemon.send_signal(signal.SIGHUP)
    m = wait_log(r"reload config=\S+ changed=(\S+)", 3, at)
    s.check("SIGHUP re-reads braid.conf and names what changed",
            m and m.group(1) == "poll.interval,stream.title,stream.entries,log.level", log()[at:])
    s.check("a new base_url is logged as needing a restart",
            re.search(r'restart-needed key="\[http\] base_url" running="" configured=https://news.example/desk/',
                      log()[at:]), log()[at:])
    with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/feed.json") as h:
        doc = json.load(h)
    s.check("the new [stream] title is served at once", doc["title"] == "Newsroom desk", doc["title"])
    s.check("documents keep the running base URL", doc["home_page_url"].startswith("http://127.0.0.1:"),
            doc["home_page_url"])
    s.check("a new listen address is logged as needing a restart",
            re.search(r'restart-needed key="\[http\] listen" running=127.0.0.1:%d configured=127.0.0.1:%d'
                      % (http_port, new_port), log()[at:]), log()[at:])
    s.check("the old address keeps serving, with the new [stream] entries", stream_len() == 5, "")
    time.sleep(5)
    s.check("the new [poll] interval (2s) takes effect without waiting out the old hour",
            len(polls_of("/gen/alpha.rss")) - before >= 2, polls_of("/gen/alpha.rss"))
    s.check("[log] level = debug shows 304s at debug", re.search(r" debug poll feed=alpha status=304",
                                                                 log()[at:]), log()[at:])

    at = len(log())
    with open(conf, "a") as f:
        f.write("[poll]\nconcurrency = lots\n")
    daemon.send_signal(signal.SIGHUP)
    m = wait_log(r"reload config=\S+ result=kept-old", 3, at)
    s.check("a broken braid.conf keeps the old configuration", m, log()[at:])
    s.check("and the error names the file and line",
            re.search(r"braid\.conf:1[0-9]: [^\"]*concurrency", log()[at:]), log()[at:])
    s.check("the server still serves 5 entries", stream_len() == 5, "")
    s.check("the daemon is still running", daemon.poll() is None, daemon.returncode)
finally:
    stop_daemon(daemon)
    logf.close()
    stop_server(server)

s.check("the daemon stopped cleanly", daemon.returncode == 0, f"{daemon.returncode}\n{log()[-2000:]}")

# --log-level wins over [log] level, on a reload too.
server, port = start_server(None)
base = f"http://127.0.0.1:{port}"
http_port = free_port()
write_conf(3, "1h", http_port)
logf = open(logpath, "w")
daemon = subprocess.Popen([BRAID, "run", "--log-level", "warning", "--config", conf], stderr=logf)
try:
    time.sleep(1)
    write_conf(3, "1h", http_port, "[log]\nlevel = debug\n")
    daemon.send_signal(signal.SIGHUP)
    time.sleep(1)
    write_feed("delta", f"{base}/gen/delta.rss")
    time.sleep(1.5)
    s.check("with --log-level warning, a reload to [log] level = debug logs no info or debug lines",
            not re.search(r"Z (info|debug) ", log()), log())
finally:
    stop_daemon(daemon)
    logf.close()
    stop_server(server)
s.check("that daemon stopped cleanly too", daemon.returncode == 0, daemon.returncode)
s.finish()
