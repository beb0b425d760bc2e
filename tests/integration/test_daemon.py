"""braid poll --once and braid run against a real, fault-injecting HTTP server on 127.0.0.1.

Part A polls every kind of answer once (good feeds, 304s, 4xx/5xx, redirects and a loop, a
dripping body, an endless body, a gzip bomb, invalid XML, a lying charset, a reset, a server
too slow to answer) and checks the exit status, the one log line per feed and the limit it
names, what was stored, and what was sent. Part B runs the daemon: Retry-After is honoured,
other feeds keep their schedule beside a dripping one, a 301 moves a feed for good (not just
from the next start on), a live blog's new updates are added
once, SIGHUP reloads feeds.d (a broken file keeps its feed's old definition), the server
answers conditional requests, and SIGTERM stops everything within 5 seconds.
"""
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request

from braidtest import BRAID, FIXTURES, SOURCE, Suite, free_port, run_braid

s = Suite("daemon")
tmp = s.tmp
fixdir = os.path.join(tmp, "served")
os.makedirs(fixdir)
for d in ("feeds", "net"):
    for f in os.listdir(os.path.join(FIXTURES, d)):
        shutil.copy(os.path.join(FIXTURES, d, f), fixdir)

server = subprocess.Popen([sys.executable, os.path.join(SOURCE, "tests/integration/feedserver.py"),
                           "--fixtures", fixdir, "--port", "0"], stdout=subprocess.PIPE, text=True)
port = int(server.stdout.readline())
base = f"http://127.0.0.1:{port}"


def requests(clear=False):
    with urllib.request.urlopen(f"{base}/_requests" + ("?clear=1" if clear else "")) as r:
        return json.load(r)


def write_config(name, feeds, interval="15m", sections="", **poll):
    d = os.path.join(tmp, name)
    os.makedirs(os.path.join(d, "feeds.d"), exist_ok=True)
    for fname, url in feeds.items():
        with open(os.path.join(d, "feeds.d", fname + ".feed"), "w") as f:
            f.write(f"url = {url}\n")
    http_port = free_port()
    settings = {"interval": interval, "timeout": "4s", "connect_timeout": "2s",
                "low_speed_limit": "50", "low_speed_time": "2s", "max_bytes": "1M",
                "max_redirects": "3", "per_host": "6", "concurrency": "16"}
    settings.update(poll)
    with open(os.path.join(d, "braid.conf"), "w") as f:
        f.write(f"[store]\npath = braid.db\n[http]\nlisten = 127.0.0.1:{http_port}\n[poll]\n")
        f.writelines(f"{k} = {v}\n" for k, v in settings.items())
        f.write(sections)
    return d, os.path.join(d, "braid.conf"), http_port


def poll_lines(log):
    """feed name -> its poll line (the last one)."""
    out = {}
    for line in log.splitlines():
        m = re.search(r" poll feed=(\S+) (.*)", line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


try:
    # ---------------------------------------------------------------- part A: poll --once
    feeds = {
        "live": f"{base}/feeds/homs-liveblog.rss",
        "news": f"{base}/feeds/homs-news.atom",
        "wire": f"file://{fixdir}/homs-wire.rdf",
        "gone": f"{base}/status/410",
        "missing": f"{base}/status/404",
        "broken": f"{base}/status/500",
        "throttled": f"{base}/status/429?retry_after=3600",
        "unavailable": f"{base}/status/503?retry_after=3600",
        "moved": f"{base}/redirect/301/1?to=/feeds/basic.rss",
        "hopping": f"{base}/redirect/302/1?to=/feeds/basic.atom",
        "loop": f"{base}/loop/a",
        "drip": f"{base}/drip?bytes=100&interval=1",
        "endless": f"{base}/endless",
        "bomb": f"{base}/gzipbomb",
        "invalid": f"{base}/invalid",
        "charset": f"{base}/charset",
        "reset": f"{base}/reset",
        "slow": f"{base}/slowheaders?delay=8",
        "trickle": f"{base}/drip?bytes=4000&interval=0.004",  # 250 B/s: 5x the low-speed limit, under load too
    }
    d, conf, _ = write_config("once", feeds)
    r = run_braid("poll", "--once", "--config", conf, timeout=60)
    log = r.stderr.decode()
    s.check("poll --once exits 1 when some feeds failed", r.returncode == 1, f"{r.returncode}\n{log}")
    lines = poll_lines(log)
    s.check("one poll line per feed", set(lines) == set(feeds), sorted(set(feeds) ^ set(lines)))
    expect = {
        "live": r"status=200 .*items=1 updates=13 new_entries=13",
        "news": r"status=200 .*items=3 .*new_entries=3",
        "wire": r"status=200 .*items=1 ",
        "gone": r"status=410 result=http-error",
        "missing": r"status=404 result=http-error",
        "broken": r"status=500 result=http-error",
        "throttled": r"status=429 result=http-error",
        "unavailable": r"status=503 result=http-error",
        "moved": r"status=200 ",
        "hopping": r"status=200 ",
        "loop": r"result=(redirect-loop|max-redirects)",
        "drip": r"result=low-speed limit=low_speed_limit",
        "endless": r"result=max-bytes limit=max_bytes",
        "bomb": r"result=max-bytes limit=max_bytes",
        "charset": r"status=200 .*items=1 ",
        "reset": r"result=network-error",
        "slow": r"result=low-speed limit=low_speed_limit",
        "trickle": r"result=timeout limit=timeout",
    }
    for name, pattern in expect.items():
        s.check(f"poll line of {name}", re.search(pattern, lines.get(name, "")),
                f"{lines.get(name)!r} !~ {pattern}")
    s.check("invalid XML is logged as a parse problem, daemon goes on",
            re.search(r"parse feed=invalid wellformed=false", log), log)
    s.check("410 retires the feed with a log line", re.search(r"retired feed=gone status=410", log), log)
    s.check("301 logs the new URL and the feeds.d hint",
            re.search(r"redirect feed=moved permanent=true to=\S*/feeds/basic.rss .*feeds.d/moved.feed", log), log)
    s.check("302 is not logged as a move", "redirect feed=hopping" not in log, log)

    sent = requests(clear=True)
    uas = {q["headers"].get("user-agent", "") for q in sent}
    s.check("every request names braid and its version in User-Agent",
            all(re.match(r"braid/\d+\.\d+\.\d+ \(\+https?://", ua) for ua in uas), uas)
    s.check("compressed transfer is asked for",
            all("gzip" in q["headers"].get("accept-encoding", "") for q in sent), "")

    exp = run_braid("export", "--format", "json", "-n", "500", "--config", conf)
    s.check("export after poll exits 0", exp.returncode == 0, exp.stderr)
    items = json.loads(exp.stdout)["items"] if exp.returncode == 0 else []
    live = [i for i in items if i["_braid"]["source"]["feed"] == "live"]
    s.check("13 live-blog updates stored", len(live) == 13, len(live))
    times = sorted(i["date_published"] for i in live)
    s.check("updates at their own times", times[0] == "2011-11-08T05:10:00Z" and times[-1] == "2011-11-08T21:20:00Z", times)
    s.check("a lying charset header does not garble text",
            any(i.get("title") == "\u00dcber \u20ac" for i in items), [i.get("title") for i in items])
    total_first = len(items)

    # Second round: unchanged feeds answer 304 to conditional requests; the retired feed and
    # the moved one are handled as the first round taught.
    r2 = run_braid("poll", "--once", "--config", conf, "--log-level", "debug", timeout=60)
    log2 = r2.stderr.decode()
    lines2 = poll_lines(log2)
    for name in ("live", "news", "moved"):
        s.check(f"second poll of {name} is a 304", "status=304" in lines2.get(name, ""), lines2.get(name))
    sent2 = requests(clear=True)
    # At info (the default) a 304 is not worth a line: a polite poller's log was mostly 304s.
    r3 = run_braid("poll", "--once", "--config", conf, timeout=60)
    sent3 = requests(clear=True)
    log3 = r3.stderr.decode()
    s.check("304s are logged at debug, not info", "status=304" not in log3 and
            re.search(r"done feeds=\d+ failed=\d+ new_entries=0", log3), log3)
    # ... and counted on the run's last line, with the answers that carried a body.
    done3 = re.search(r"done feeds=(\d+) failed=(\d+) new_entries=0 fetched=(\d+) not_modified=(\d+)",
                      log3)
    answered = [q["status"] for q in sent3]
    skipped = log3.count(" skip feed=")
    # Every feed polled is counted once; its 304s (and file feeds left unchanged) as not_modified.
    s.check("the done line counts each poll once, the 304s as not modified",
            done3 and int(done3.group(2)) + int(done3.group(3)) + int(done3.group(4))
            == int(done3.group(1)) - skipped and int(done3.group(4)) >= answered.count(304) >= 2,
            f"{answered} {log3}")
    live_req = [q for q in sent2 if q["path"] == "/feeds/homs-liveblog.rss"]
    s.check("conditional GET carries If-None-Match and If-Modified-Since",
            live_req and "if-none-match" in live_req[0]["headers"] and "if-modified-since" in live_req[0]["headers"],
            live_req)
    s.check("the retired feed is not requested again", not any(q["path"].startswith("/status/410") for q in sent2), "")
    s.check("the retired feed is named as skipped", "skip feed=gone reason=retired" in log2, log2)
    s.check("the moved feed is polled at its new URL",
            not any(q["path"].startswith("/redirect/301") for q in sent2)
            and any(q["path"] == "/feeds/basic.rss" for q in sent2), [q["path"] for q in sent2])
    s.check("nothing new on an unchanged second poll", re.search(r"done feeds=\d+ failed=\d+ new_entries=0", log2), log2)
    exp = run_braid("export", "--format", "json", "-n", "500", "--config", conf)
    s.check("no duplicates after re-polling", len(json.loads(exp.stdout)["items"]) == total_first, "")

    db = sqlite3.connect(os.path.join(d, "braid.db"))
    s.check("store integrity after the fault round", db.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "")
    db.close()

    # ---------------------------------------------------------------- part B: braid run
    with open(os.path.join(fixdir, "homs-liveblog.rss"), encoding="utf-8") as f:
        liveblog = f.read()
    feeds = {
        "live": f"{base}/feeds/homs-liveblog.rss",
        "throttled": f"{base}/status/429?retry_after=6",
        "drip": f"{base}/drip?bytes=100000&interval=1",
        "news": f"{base}/feeds/homs-news.atom",
        "moved": f"{base}/redirect/301/1?to=/feeds/basic.atom",
    }
    d, conf, http_port = write_config("run", feeds, interval="2s", low_speed_time="30s",
                                      timeout="60s", sections="[output]\ndir = site\n")
    os.makedirs(os.path.join(d, "site"))
    requests(clear=True)
    daemon = subprocess.Popen([BRAID, "run", "--config", conf], stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{http_port}"
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"{url}/healthz") as h:
                    if h.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        # A new update appears in the live blog while the daemon runs.
        time.sleep(3)
        with open(os.path.join(fixdir, "homs-liveblog.rss"), "w", encoding="utf-8") as f:
            f.write(liveblog.replace("<p>2120 GMT:", "<p>2245 GMT: Activists report heavy shelling of Baba Amr tonight.</p>\n<p>2120 GMT:", 1))
        # SIGHUP: a new feed, a broken edit of another (which keeps its old definition).
        with open(os.path.join(d, "feeds.d", "basic.feed"), "w") as f:
            f.write(f"url = {base}/feeds/basic.rss\n")
        with open(os.path.join(d, "feeds.d", "news.feed"), "w") as f:
            f.write(f"url = {base}/feeds/homs-news.atom\nintervall = 5m\n")
        daemon.send_signal(signal.SIGHUP)
        time.sleep(5)

        with urllib.request.urlopen(f"{url}/feed.atom") as h:
            etag = h.headers["ETag"]
            atom = h.read()
        s.check("/feed.atom serves the stream", b"<feed" in atom and b"2245 GMT" in atom, atom[:200])
        req = urllib.request.Request(f"{url}/feed.atom", headers={"If-None-Match": etag})
        try:
            urllib.request.urlopen(req)
            s.check("If-None-Match gives 304", False, "got 200")
        except urllib.error.HTTPError as e:
            s.check("If-None-Match gives 304", e.code == 304, e.code)
        with urllib.request.urlopen(f"{url}/feed.json?n=500") as h:
            items = json.load(h)["items"]
        live = [i for i in items if i["_braid"]["source"]["feed"] == "live"]
        s.check("the new update was added once, the old ones kept", len(live) == 14, len(live))
        s.check("the new update has its own time", any(i["date_published"] == "2011-11-08T22:45:00Z" for i in live),
                sorted(i["date_published"] for i in live))

        start = time.time()
        daemon.send_signal(signal.SIGTERM)
        try:
            rc = daemon.wait(timeout=5)
        except subprocess.TimeoutExpired:
            rc = None
        s.check("SIGTERM stops the daemon within 5 s, exit 0", rc == 0, rc)
    except OSError as e:
        s.check("the daemon keeps serving", False, f"{e}; exit status {daemon.poll()}")
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
    log = daemon.stderr.read().decode()
    s.check("the daemon did not crash", daemon.returncode in (0, None) or daemon.returncode == -9,
            f"exit status {daemon.returncode}\n{log[-3000:]}")
    sent = requests()
    def times_of(path):
        return [q["time"] for q in sent if q["path"].startswith(path)]
    t429 = times_of("/status/429")
    s.check("Retry-After honoured: no second request within its 6 s",
            len(t429) >= 1 and all(b - a >= 5.5 for a, b in zip(t429, t429[1:])), t429)
    live_t = times_of("/feeds/homs-liveblog.rss")
    s.check("the live blog keeps its 2 s schedule beside a dripping feed", len(live_t) >= 3, live_t)
    s.check("the drip feed was still one request at a time", len(times_of("/drip")) == 1, times_of("/drip"))
    s.check("reload names the broken file and line",
            re.search(r"config error=\"[^\"]*feeds.d/news.feed:2: unknown key 'intervall'", log), log)
    # SIGHUP or the feeds.d watch, whichever saw the new files first, adds the feed.
    s.check("reload adds the new feed",
            re.search(r"(reload|feeds) feeds=6 added=1 removed=0 changed=0 errors=1", log), log)
    s.check("a handful of feeds is first polled at once, not spread over a minute",
            re.search(r"start version=\S+ feeds=\d+ first_polls_within=0s ", log), log[:600])
    s.check("the added feed is polled", times_of("/feeds/basic.rss"), "")
    s.check("a 301 is followed once: the running daemon polls the new URL from then on",
            len(times_of("/redirect/301/")) == 1 and len(times_of("/feeds/basic.atom")) >= 2,
            f"{len(times_of('/redirect/301/'))} requests of the old URL,"
            f" {len(times_of('/feeds/basic.atom'))} of the new")
    s.check("the news feed kept its old definition and was polled", len(times_of("/feeds/homs-news.atom")) >= 2, "")
    s.check("stop is logged", "stop reason=SIGTERM" in log, log)
    site = os.path.join(d, "site")
    s.check("[output] dir holds the four documents and nothing half-written",
            sorted(os.listdir(site)) == ["feed.atom", "feed.json", "feed.rss", "index.html"],
            os.listdir(site))
    if os.path.exists(os.path.join(site, "feed.json")):
        with open(os.path.join(site, "feed.json"), encoding="utf-8") as f:
            exported = json.load(f)["items"]
        s.check("the static export carries the newest update",
                any(i.get("_braid", {}).get("stamp") == "2245 GMT" for i in exported), len(exported))
        with open(os.path.join(site, "index.html"), encoding="utf-8") as f:
            s.check("the static HTML page shows the live blog's updates", "2245 GMT" in f.read(), "")
    db = sqlite3.connect(os.path.join(d, "braid.db"))
    s.check("store integrity after the run", db.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "")
    db.close()
finally:
    server.terminate()
    server.wait()
s.finish()
