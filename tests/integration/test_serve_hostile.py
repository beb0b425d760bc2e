"""Hostile HTTP clients and hostile stores against `braid run`'s server (issue 14).

Each part reproduces one attack on 127.0.0.1 with the real binary, a real feed server and the
real SQLite store, and checks what README promises instead ("## Security"):
  item 3   entries too big for one document: the stream still answers 200, bounded, once
  item 4   an item dated 2199: stored at its first-seen time; Last-Modified follows the store
  item 8   the Host header changes neither the links nor what the server renders
  item 10  slowloris: clients that trickle header bytes are cut off; /healthz keeps answering
  item 13  another process writes the store: the served stream shows it at once
  item 18  requests with a body or ambiguous framing (two lengths, CL+TE, no/two Host): 400
and, from issue 17, [http] token_file: required off loopback, then asked of every route but
/healthz.
"""
import email.utils
import json
import os
import resource
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request

from braidtest import BRAID, SOURCE, Suite, free_port, run_braid

s = Suite("serve-hostile")
tmp = s.tmp
served = os.path.join(tmp, "served")
os.makedirs(served)
RENDER_MAX = 64 * 1024 * 1024          # BRAID_RENDER_MAX_BYTES
HEADER_TIMEOUT = 10                    # BRAID_SERVE_HEADER_TIMEOUT_SECONDS
BASE_URL = "https://news.example/braid/"

server = subprocess.Popen([sys.executable, os.path.join(SOURCE, "tests/integration/feedserver.py"),
                           "--fixtures", served, "--port", "0"], stdout=subprocess.PIPE, text=True)
feed_port = int(server.stdout.readline())


def rfc822(t):
    return email.utils.formatdate(t, usegmt=True)


now = int(time.time())
with open(os.path.join(served, "future.rss"), "w") as f:
    f.write("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>future</title>"
            "<link>https://example.org/</link>"
            "<item><guid>g-2199</guid><title>From 2199</title><link>https://example.org/2199</link>"
            "<pubDate>Tue, 01 Dec 2199 00:00:00 GMT</pubDate><description>far ahead</description></item>"
            f"<item><guid>g-now</guid><title>An hour ago</title><link>https://example.org/now</link>"
            f"<pubDate>{rfc822(now - 3600)}</pubDate><description>recent</description></item>"
            "</channel></rss>")


def write_config(name, listen, extra="", broken=False):
    d = os.path.join(tmp, name)
    os.makedirs(os.path.join(d, "feeds.d"), exist_ok=True)
    with open(os.path.join(d, "feeds.d", "future.feed"), "w") as f:
        f.write(f"url = http://127.0.0.1:{feed_port}/feeds/future.rss\n")
    if broken:
        with open(os.path.join(d, "feeds.d", "broken.feed"), "w") as f:
            f.write(f"url = http://127.0.0.1:{feed_port}/status/500\n")
    with open(os.path.join(d, "braid.conf"), "w") as f:
        f.write(f"[store]\npath = braid.db\n[http]\nlisten = {listen}\n{extra}"
                "[poll]\ninterval = 1h\ntimeout = 4s\nconnect_timeout = 2s\n")
    return d, os.path.join(d, "braid.conf")


def get(url, headers=None, timeout=30):
    """(status, headers, body) of a GET; HTTP errors are answers too."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def raw(port, data, src="127.0.0.1", timeout=5):
    """Sends data as is; returns the status code of the answer (0 when none came)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                  source_address=(src, 0)) as so:
        so.sendall(data)
        got = b""
        try:
            while b"\r\n" not in got:
                chunk = so.recv(4096)
                if not chunk:
                    break
                got += chunk
        except OSError:
            pass
    parts = got.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def metric(url, name):
    _, _, body = get(f"{url}/metrics")
    for line in body.decode().splitlines():
        if line.startswith(name + " "):
            return int(float(line.split()[1]))
    return None


def add_entry(db, title, html, t):
    """Writes one entry the way another process would (sqlite3, braid's schema), beside the
    running daemon's own connection."""
    con = sqlite3.connect(db, timeout=30)
    try:
        item_id, feed_id = con.execute("SELECT id, feed_id FROM items LIMIT 1").fetchone()
        cur = con.execute(
            "INSERT INTO entries (uid, item_id, time, title, link, html, text, content_hash,"
            " first_seen, updated) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
            (f"tag:test,2026:{title}", item_id, t, title, f"https://example.org/{title}", html,
             None, t, t))
        con.execute("INSERT INTO entry_sources (entry_seq, item_id, update_key, feed_id, time)"
                    " VALUES (?, ?, ?, ?, ?)", (cur.lastrowid, item_id, title, feed_id, t))
        con.commit()
    finally:
        con.close()


daemon = None
try:
    # ------------------------------------------------- item 8: one listen parser, checked early
    for bad in ("example.org:8080", "localhost", "127.0.0.1:http"):
        _, conf = write_config("badlisten", bad)
        r = run_braid("run", "--config", conf, timeout=20)
        s.check(f"listen = {bad} is refused by the config check (exit 2)", r.returncode == 2,
                f"exit {r.returncode}: {r.stderr.decode()[-300:]}")
        s.check(f"listen = {bad}: the error names the key", b"listen" in r.stderr, r.stderr[-300:])
    for bad in ("javascript:alert(1)", "https://x.example/\"><script>", "ftp://x.example/"):
        _, conf = write_config("badbase", "127.0.0.1:8080", f"base_url = {bad}\n")
        r = run_braid("run", "--config", conf, timeout=20)
        s.check(f"base_url = {bad} is refused (exit 2)", r.returncode == 2,
                f"exit {r.returncode}: {r.stderr.decode()[-300:]}")

    # ------------------------------------ issue 17: [http] token_file, required off loopback
    _, conf = write_config("open", f"0.0.0.0:{free_port()}")
    r = run_braid("run", "--config", conf, timeout=20)
    s.check("a non-loopback listen without token_file is refused at start (exit 2)",
            r.returncode == 2 and b"token_file" in r.stderr,
            f"exit {r.returncode}: {r.stderr.decode()[-300:]}")
    token_path = os.path.join(tmp, "access.token")
    with open(token_path, "w") as f:
        f.write("short\n")
    _, conf = write_config("shorttoken", f"0.0.0.0:{free_port()}", f"token_file = {token_path}\n")
    r = run_braid("run", "--config", conf, timeout=20)
    s.check("a guessable token is refused (exit 2)", r.returncode == 2 and b"token_file" in r.stderr,
            f"exit {r.returncode}: {r.stderr.decode()[-300:]}")
    token = "s3cret-token-0123456789abcdef"
    with open(token_path, "w") as f:
        f.write(token + "\n")
    tok_port = free_port()
    _, conf = write_config("token", f"0.0.0.0:{tok_port}", f"token_file = {token_path}\n")
    tokd = subprocess.Popen([BRAID, "run", "--config", conf], stderr=subprocess.DEVNULL)
    try:
        turl = f"http://127.0.0.1:{tok_port}"
        for _ in range(100):
            try:
                if get(f"{turl}/healthz", timeout=1)[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        s.check("/healthz answers without the token", get(f"{turl}/healthz")[0] == 200)
        st, hdrs, _ = get(f"{turl}/feed.atom")
        s.check("the stream without the token: 401 with WWW-Authenticate",
                st == 401 and (hdrs.get("WWW-Authenticate") or "").startswith("Bearer"), st)
        s.check("a wrong token: 401",
                get(f"{turl}/feed.atom", {"Authorization": "Bearer " + token[:-1] + "X"})[0] == 401)
        s.check("Authorization: Bearer TOKEN: 200",
                get(f"{turl}/feed.atom", {"Authorization": "Bearer " + token})[0] == 200)
        s.check("?token=TOKEN: 200", get(f"{turl}/feed.json?token={token}")[0] == 200)
        s.check("/metrics wants the token too", get(f"{turl}/metrics")[0] == 401)
    finally:
        tokd.terminate()
        s.check("the token daemon stops cleanly (no sanitizer report)", tokd.wait(timeout=60) == 0,
                tokd.returncode)

    # ------------------------------------------------------------------------ braid run
    http_port = free_port()
    d, conf = write_config("run", f"127.0.0.1:{http_port}", f"base_url = {BASE_URL}\n",
                           broken=True)
    db = os.path.join(d, "braid.db")
    url = f"http://127.0.0.1:{http_port}"
    daemon = subprocess.Popen([BRAID, "run", "--config", conf], stderr=subprocess.DEVNULL)
    entries = []
    for _ in range(200):
        try:
            st, _, body = get(f"{url}/feed.json", timeout=2)
            entries = json.loads(body)["items"] if st == 200 else []
            if len(entries) >= 2:
                break
        except (OSError, ValueError):
            pass
        time.sleep(0.1)
    s.check("braid run serves the polled feed", len(entries) >= 2, f"{len(entries)} entries")

    # -------------------------------------------- issue 17: /status lists the feeds in trouble
    status = {}
    for _ in range(100):
        st, hdrs, body = get(f"{url}/status")
        status = json.loads(body) if st == 200 else {}
        if status.get("in_trouble"):
            break
        time.sleep(0.1)
    trouble = {f["name"]: f for f in status.get("in_trouble", [])}
    s.check("/status is JSON listing the failing feed",
            trouble.get("broken", {}).get("state") == "failing"
            and trouble["broken"].get("last_status") == 500, status)
    s.check("/status leaves the healthy feed out", "future" not in trouble, status)
    s.check("/status counts the feeds", status.get("feeds") == 2, status)

    # ------------------------------------------------------- item 4: the item dated 2199
    limit = int(time.time()) + 86400 + 60
    con = sqlite3.connect(db)
    times = [row[0] for row in con.execute("SELECT time FROM entries")]
    con.close()
    s.check("no stored entry is dated more than a day ahead", times and max(times) <= limit, times)
    dated = {e.get("title"): e.get("date_published", "") for e in entries}
    s.check("the 2199 item is dated when braid first saw it",
            dated.get("From 2199", "2199")[:4] == time.strftime("%Y", time.gmtime()), dated)

    # ------------------------------------------------------- item 8: Host is never reflected
    st, _, body = get(f"{url}/feed.atom", {"Host": "evil.example"})
    s.check("a request with a foreign Host still gets the stream", st == 200, st)
    s.check("the foreign Host appears nowhere in the document", b"evil.example" not in body,
            body[:300])
    s.check("rel=self and the Atom id use [http] base_url",
            f"<id>{BASE_URL}feed.atom</id>".encode() in body, body[:400])
    st, _, html = get(f"{url}/", {"Host": "evil.example"})
    s.check("the HTML page's links use base_url, not Host",
            b"evil.example" not in html and BASE_URL.encode() in html, html[:300])
    r = run_braid("export", "--config", conf, timeout=60)
    s.check("braid export links to [http] base_url",
            r.returncode == 0 and f"<id>{BASE_URL}feed.atom</id>".encode() in r.stdout,
            f"exit {r.returncode}: {r.stdout[:300]} {r.stderr[-300:]}")
    misses = metric(url, "braid_http_cache_misses_total")
    for i in range(32):
        get(f"{url}/feed.atom", {"Host": f"h{i}.example"})
    after = metric(url, "braid_http_cache_misses_total")
    s.check("32 different Host values render nothing again", after == misses,
            f"misses {misses} -> {after}")

    # ------------------------------------- items 13 and 4: another process writes the store
    st, hdrs, body = get(f"{url}/feed.atom")
    lm = hdrs.get("Last-Modified")
    st304, _, _ = get(f"{url}/feed.atom", {"If-Modified-Since": lm})
    s.check("If-Modified-Since = Last-Modified gets 304", st304 == 304, st304)
    s.check("Last-Modified is not an entry's date from the future",
            lm and email.utils.parsedate_to_datetime(lm).timestamp() <= time.time() + 5, lm)
    time.sleep(1.1)
    add_entry(db, "written-by-another-process", "<p>fresh</p>", int(time.time()))
    st, hdrs2, body = get(f"{url}/feed.atom")
    s.check("an entry another process stored is served at once",
            b"written-by-another-process" in body, body[:300])
    st, _, _ = get(f"{url}/feed.atom", {"If-Modified-Since": lm})
    s.check("after a store change, the old If-Modified-Since gets 200", st == 200, st)
    s.check("Last-Modified moved forward", hdrs2.get("Last-Modified") != lm,
            f"{lm} -> {hdrs2.get('Last-Modified')}")

    # ------------------------------------------------ item 3: entries too big for a document
    big = "<p>" + ("lorem ipsum dolor sit amet " * 120000) + "</p>"   # ~3.2 MB
    for i in range(24):
        add_entry(db, f"huge-{i}", big, int(time.time()) - 10 - i)
    t0 = time.time()
    st, hdrs, body = get(f"{url}/feed.atom?n=100", timeout=120)
    first = time.time() - t0
    s.check("a stream of 24 entries of 3 MB answers 200", st == 200, f"{st} {body[:200]}")
    s.check("the document stays under BRAID_RENDER_MAX_BYTES", len(body) <= RENDER_MAX, len(body))
    s.check("the newest big entries are in it", b"huge-0" in body, body[:200])
    for fmt in ("feed.rss", "feed.json", "", "feeds/future.atom"):
        st, _, _ = get(f"{url}/{fmt}?n=100", timeout=120)
        s.check(f"/{fmt} with the big entries answers 200", st == 200, st)
    hits = metric(url, "braid_http_cache_hits_total")
    t0 = time.time()
    st, _, _ = get(f"{url}/feed.atom?n=100", timeout=120)
    again = time.time() - t0
    s.check("the second request comes from the cache",
            st == 200 and metric(url, "braid_http_cache_hits_total") > hits,
            f"status {st}, first {first:.2f}s, again {again:.2f}s")

    # ------------------------------------------------- item 18: ambiguous requests get 400
    cases = [
        ("a plain GET", b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 200),
        ("HTTP/1.0 without Host", b"GET /healthz HTTP/1.0\r\n\r\n", 200),
        ("HTTP/1.1 without Host", b"GET /healthz HTTP/1.1\r\n\r\n", 400),
        ("two Host headers", b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        ("a GET with a body", b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
         400),
        ("two different Content-Length",
         b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
         400),
        ("Content-Length and Transfer-Encoding",
         b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked"
         b"\r\n\r\n0\r\n\r\n", 400),
        ("a chunked GET", b"GET /feed.atom HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
         b"5\r\nhello\r\n0\r\n\r\n", 400),
    ]
    for what, data, want in cases:
        got = raw(http_port, data)
        s.check(f"{what}: {want}", got == want, f"got {got}")

    # ---------------------------------------------------------------- item 10: slowloris
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 2048 and hard >= 2048:
        resource.setrlimit(resource.RLIMIT_NOFILE, (2048, hard))
    slow = []

    def open_slow(count, first_src):
        # 58 per source address: under the per-IP limit (64), as in the attack.
        for i in range(count):
            src = f"127.0.0.{first_src + i // 58}"
            try:
                so = socket.create_connection(("127.0.0.1", http_port), timeout=2,
                                              source_address=(src, 0))
                so.setblocking(False)
                so.send(b"GET /feed.atom HTTP/1.1\r\n")
                slow.append(so)
            except OSError:
                break

    def trickle():
        """One header byte on every slow socket; returns how many the server has closed."""
        closed = 0
        for so in slow:
            try:
                so.send(b"X")
                if so.recv(1) == b"":
                    closed += 1
            except BlockingIOError:
                pass
            except OSError:
                closed += 1
        return closed

    def healthz_ok():
        try:
            return get(f"{url}/healthz", timeout=1)[0] == 200
        except OSError:
            return False

    open_slow(300, 2)
    s.check("300 slow connections opened", len(slow) == 300, len(slow))
    trickle()
    s.check("/healthz answers beside 300 slow connections", healthz_ok())
    open_slow(240, 8)
    start = time.time()
    answered = None
    closed = 0
    # Those beyond the connection limit wait in the listen backlog until the first ones are
    # cut off, then get their own deadline: two deadlines and some slack in all.
    while time.time() - start < 2 * HEADER_TIMEOUT + 8:
        closed = max(closed, trickle())
        if answered is None and healthz_ok():
            answered = time.time() - start
        if answered is not None and closed == len(slow):
            break
        time.sleep(1)
    s.check(f"with {len(slow)} trickling connections /healthz answers within the header "
            "deadline", answered is not None and answered <= HEADER_TIMEOUT + 4,
            f"answered after {answered}s; closed {closed} of {len(slow)}")
    s.check("the server cuts off clients that trickle their headers",
            closed == len(slow), f"closed {closed} of {len(slow)}")
    for so in slow:
        so.close()
    s.check("/healthz answers after the attack", healthz_ok())
    s.check("braid run survived every part", daemon.poll() is None, daemon.poll())
    daemon.terminate()
    s.check("braid run stops cleanly (exit 0: no leak or sanitizer report)",
            daemon.wait(timeout=60) == 0, daemon.returncode)
finally:
    if daemon and daemon.poll() is None:
        daemon.terminate()
        try:
            daemon.wait(timeout=20)
        except subprocess.TimeoutExpired:
            daemon.kill()
    server.terminate()
    server.wait()
s.finish()
