"""A full disk under braid run (issue 14 item 15): /healthz stays 503 until a write succeeds,
the failing feed is polled with a growing backoff, and the failure is logged once.

A real full disk needs root (a small tmpfs); RLIMIT_FSIZE on the braid process is the same
failure for SQLite (writes past the limit fail with EFBIG, SIGXFSZ ignored), with no mock:
the store is a real file, the feeds come from feedserver.py on 127.0.0.1.
"""
import os
import resource
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

from braidtest import BRAID, SOURCE, Suite, free_port

s = Suite("store-full")
fixdir = os.path.join(s.tmp, "served")
os.makedirs(fixdir)
with open(os.path.join(fixdir, "small.rss"), "w") as f:
    f.write('<?xml version="1.0"?><rss version="2.0"><channel><title>small</title>'
            '<item><title>one</title><guid>s1</guid><description>x</description></item>'
            '</channel></rss>')
items = "".join(f"<item><title>big {i}</title><guid>b{i}</guid><description>{'word%d ' % i * 900}"
                "</description></item>" for i in range(300))
with open(os.path.join(fixdir, "big.rss"), "w") as f:
    f.write(f'<?xml version="1.0"?><rss version="2.0"><channel><title>big</title>{items}'
            '</channel></rss>')

server = subprocess.Popen([sys.executable, os.path.join(SOURCE, "tests/integration/feedserver.py"),
                           "--fixtures", fixdir, "--port", "0"], stdout=subprocess.PIPE, text=True)
port = int(server.stdout.readline())
base = f"http://127.0.0.1:{port}"
d = os.path.join(s.tmp, "conf")
os.makedirs(os.path.join(d, "feeds.d"))
with open(os.path.join(d, "feeds.d", "small.feed"), "w") as f:
    f.write(f"url = {base}/as/small/feeds/small.rss\ninterval = 1s\n")
http_port = free_port()
with open(os.path.join(d, "braid.conf"), "w") as f:
    f.write(f"[store]\npath = braid.db\n[http]\nlisten = 127.0.0.1:{http_port}\n"
            "[poll]\ninterval = 1s\nmax_bytes = 4M\n")


def limit_file_size():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))


def health():
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/healthz", timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


def requests_of(feed):
    import json
    with urllib.request.urlopen(f"{base}/_requests?brief=1") as r:
        return [e for e in json.load(r) if e["feed"] == feed]


# First a run without the big feed, so the store exists and the small feed is stored.
LIMIT = resource.RLIM_INFINITY
daemon = subprocess.Popen([BRAID, "run", "--config", os.path.join(d, "braid.conf")],
                          stderr=subprocess.PIPE)
time.sleep(2.5)
daemon.send_signal(signal.SIGTERM)
daemon.wait(timeout=10)
daemon.stderr.close()
db = os.path.join(d, "braid.db")
LIMIT = os.path.getsize(db) + 64 * 1024
with open(os.path.join(d, "feeds.d", "big.feed"), "w") as f:
    f.write(f"url = {base}/as/big/feeds/big.rss\ninterval = 1s\n")
logf = open(os.path.join(s.tmp, "braid.log"), "w+")
daemon = subprocess.Popen([BRAID, "run", "--config", os.path.join(d, "braid.conf")],
                          stderr=logf, preexec_fn=limit_file_size)
try:
    t0 = time.time()
    while time.time() - t0 < 10 and health() != 503:
        time.sleep(0.2)
    s.check("/healthz says 503 once the big feed cannot be stored", health() == 503)
    seen = set()
    for _ in range(30):  # 6 s: the small feed's 304s keep succeeding meanwhile
        seen.add(health())
        time.sleep(0.2)
    s.check("/healthz stays 503 (no flapping) while the write keeps failing", seen == {503},
            repr(seen))
    big = requests_of("big")
    s.check("the failing feed backs off (at most 5 fetches in ~8 s at interval 1s)",
            1 <= len(big) <= 5, f"{len(big)} fetches")
    small = requests_of("small")
    s.check("the other feed keeps its 1 s schedule", len(small) >= 5, f"{len(small)} fetches")
finally:
    daemon.send_signal(signal.SIGTERM)
    daemon.wait(timeout=10)
    server.terminate()
    server.wait()
logf.seek(0)
log = logf.read()
logf.close()
s.check("the store failure is logged at error level once for the feed",
        len([l for l in log.splitlines() if " error store feed=big " in l]) == 1, log[-3000:])
s.check("the failing state is logged once", log.count("store state=failing") == 1, log[-3000:])
s.finish()
