#!/usr/bin/env python3
"""feedserver.py — a fault-injecting feed server for braid's tests (standard library only).

Run:  python3 feedserver.py [--fixtures DIR] [--port N] [--hosts N] [--tls CERT KEY]
It listens on 127.0.0.1 (port 0 = any free port) and prints the chosen port alone on its first
stdout line, then serves until killed (SIGTERM/SIGINT). --hosts N listens on the same port of
127.0.0.1 ... 127.0.0.N as well (Linux routes all of 127/8 to loopback), so that a client's
per-host limits see N hosts. With --tls it speaks HTTPS only, with the given PEM certificate
and key. Every request except /_requests is recorded; tests read the record to check
conditional headers, User-Agent and timing.

Routes (GET unless said; N, S are integers; query parameters in brackets are optional):
  /feeds/FILE            FILE from the fixture directory (default tests/fixtures/net), with a
                         strong ETag (sha1 of the content) and Last-Modified (file mtime);
                         304 when If-None-Match matches or If-Modified-Since is not older;
                         gzip Content-Encoding when the client accepts it. [cc=S] adds
                         Cache-Control: max-age=S; [expires=S] adds Expires now+S and Date.
  /status/CODE           an HTTP error CODE (404, 410, 500, 429, 503...) with a small body.
                         [retry_after=S] adds Retry-After: S; [retry_date=S] adds Retry-After
                         as an HTTP date S seconds ahead.
  /redirect/CODE/N       a chain of N redirects with status CODE (301, 302, 303, 307, 308),
                         ending at [to=PATH] (default /feeds/basic.rss). PATH may itself be a
                         /redirect/... URL (percent-encoded) to mix kinds.
  /loop/a, /loop/b       a redirect loop: a -> b -> a (302).
  /redirect-file         302 to file:///etc/passwd (a fetcher must refuse it).
  /badvalidators         200 basic.rss whose ETag and Last-Modified hold a bare CR followed
                         by an injected header (a fetcher must not store or echo them).
  /drip                  200, then the body one byte every [interval=1] seconds, [bytes=100] in
                         all (Content-Length set).
  /endless               200 with a body that never ends (no Content-Length).
  /gzipbomb              Content-Encoding: gzip whose body inflates to [size=1073741824] zero
                         bytes; compressed on the fly as it is sent, never held in memory.
  /invalid               200 application/rss+xml that is not well-formed XML.
  /charset               UTF-8 body whose Content-Type header claims charset=iso-8859-1.
  /reset                 headers announcing 100000 bytes, some body, then a TCP reset.
  /slowheaders           sleeps [delay=5] seconds before sending anything, then a feed.
  /gen/NAME.rss|.atom    a feed generated from NAME (same NAME, same items), [items=5] items,
                         with ETag, Last-Modified and 304s as for /feeds/. [every=S] adds one
                         item every S seconds after the server started (the oldest drops out);
                         [live=1] makes it one live-blog item whose body gains a stamped
                         update every S seconds instead.
  /garbage               200 application/rss+xml whose body is random bytes, not a feed.
  /as/NAME/ROUTE         ROUTE (any of the above), recorded as a request of feed NAME; a
                         redirect to an absolute path keeps the /as/NAME prefix, so every hop
                         of a chain is recorded as the same feed.
  /_requests             the record as JSON: [{"method", "path", "feed": NAME or null,
                         "status": the status answered (null if none), "headers": {lower-case
                         name: value}, "time": epoch seconds (float)}]; [clear=1] empties it
                         after; [brief=1] leaves out the headers.

Fixture files are read on every request, so a test changes a feed between polls by rewriting
it in its own --fixtures directory (ETag and Last-Modified follow).

From another test (PYTHONPATH holds tests/integration):
    from feedserver import start_server, stop_server
    proc, port = start_server(fixtures_dir)      # fixtures_dir=None: tests/fixtures/net
    ...
    stop_server(proc)
"""
import argparse
import email.utils
import gzip
import hashlib
import json
import os
import random
import re
import socket
import struct
import sys
import threading
import time
import urllib.parse
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_FIXTURES = os.path.join(HERE, "..", "fixtures", "net")

INVALID_XML = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Broken & unescaped</title>
<item><title>Unclosed item<description>never closed</item></channel>
"""

CHARSET_BODY = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Caf\u00e9 \u2014 na\u00efve r\u00e9sum\u00e9</title>
<item><title>\u00dcber \u20ac</title><guid>charset-1</guid><description>\u00e9</description></item>
</channel></rss>
""".encode("utf-8")


GEN_WORDS = ("shelling overnight residents water power districts authorities situation control "
             "officials figure casualties convoy border talks ceasefire market council minister "
             "report village hospital refugees road bridge north south coast capital envoy "
             "harbour railway station bakery school clinic mayor ferry storm harvest tunnel "
             "garrison checkpoint airport satellite generator pipeline quarry vineyard orchard "
             "monastery embassy courtroom ballot budget tariff strike protest curfew siege").split()


def gen_text(rnd, words):
    return " ".join(rnd.choice(GEN_WORDS) for _ in range(words)).capitalize() + "."


def gen_feed(name, items, step, live):
    """The document /gen/NAME serves once step items (or live-blog updates) were added to
    its first `items`: the same bytes for the same arguments, so validators and 304s work."""
    seed = int(hashlib.sha1(name.encode()).hexdigest()[:12], 16)
    atom = name.endswith(".atom")
    base = 1733443200 + seed % 600 * 60  # 6 Dec 2024, 00:00-10:00, a minute of its own
    title = "Generated " + name
    link = "https://gen.example/" + name
    entries = []
    if live:
        # One item; updates newest first, two minutes apart, at most 30 kept.
        ups = []
        for u in range(step + items, max(0, step + items - 30), -1):
            rnd = random.Random(seed * 1000003 + u)
            t = base + u * 120
            stamp = time.strftime("%H%M GMT", time.gmtime(t))
            ups.append(f'<div id="u{u}"><p><strong>{stamp}:</strong> {gen_text(rnd, 24)}</p></div>')
        entries.append((f"urn:gen:{name}:live", f"Live: {title}", link + "/live", base,
                        "\n".join(ups)))
        newest = base + (step + items) * 120
    else:
        for i in range(step + items - 1, step - 1, -1):
            rnd = random.Random(seed * 1000003 + i)
            entries.append((f"urn:gen:{name}:{i}", f"{name} item {i}: {gen_text(rnd, 5)}",
                            f"{link}/{i}", base + i * 60,
                            "<p>" + " ".join(gen_text(rnd, 12) for _ in range(3)) + "</p>"))
        newest = base + (step + items - 1) * 60

    def esc(t):
        return t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    out = ['<?xml version="1.0" encoding="utf-8"?>\n']
    if atom:
        out.append(f'<feed xmlns="http://www.w3.org/2005/Atom"><title>{esc(title)}</title>'
                   f'<id>{link}</id><link href="{link}"/>'
                   f'<updated>{time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(newest))}</updated>\n')
        for guid, t, href, when, html in entries:
            out.append(f"<entry><id>{guid}</id><title>{esc(t)}</title><link href=\"{href}\"/>"
                       f"<updated>{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(when))}</updated>"
                       f'<content type="html">{esc(html)}</content></entry>\n')
        out.append("</feed>\n")
    else:
        out.append(f'<rss version="2.0"><channel><title>{esc(title)}</title><link>{link}</link>\n')
        for guid, t, href, when, html in entries:
            out.append(f"<item><title>{esc(t)}</title><guid>{guid}</guid><link>{href}</link>"
                       f"<pubDate>{email.utils.formatdate(when, usegmt=True)}</pubDate>"
                       f"<description>{esc(html)}</description></item>\n")
        out.append("</channel></rss>\n")
    return "".join(out).encode()


class State:
    def __init__(self, fixtures):
        self.fixtures = os.path.abspath(fixtures)
        self.lock = threading.Lock()
        self.log = []
        self.started = time.time()
        self.gen_cache = {}  # (name, items, step, live) -> body of /gen/

    def record(self, handler, feed):
        """Appends the request to the record; the handler fills in "status" when it answers.
        Every key is there from the start, so a concurrent dump never sees the dict grow."""
        entry = {
            "method": handler.command,
            "path": handler.path,
            "feed": feed,
            "status": None,
            "headers": {k.lower(): v for k, v in handler.headers.items()},
            "time": time.time(),
        }
        with self.lock:
            self.log.append(entry)
        return entry


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "braid-feedserver/1"
    # Headers and body go out in separate writes; with Nagle on, the body waits for the
    # client's delayed ACK of the headers (up to 40 ms on Linux) on every keep-alive request.
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):  # quiet: tests read /_requests instead
        pass

    def send_response(self, code, message=None):
        rec = getattr(self, "rec", None)
        if rec is not None and rec["status"] is None:
            rec["status"] = code
        super().send_response(code, message)

    # ---- helpers ----
    def send_body(self, status, body, ctype="text/plain; charset=utf-8", extra=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def stream_headers(self, status, ctype, extra=None):
        """Headers for a body of unknown length: the connection closes at its end."""
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Connection", "close")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.close_connection = True

    def q(self, name, default):
        v = self.query.get(name)
        return v[0] if v else default

    # ---- dispatch ----
    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        self.query = urllib.parse.parse_qs(url.query)
        path = url.path
        self.rec = None
        self.prefix = ""
        feed = None
        m = re.match(r"/as/([^/]+)(/.*)", path)
        if m:
            feed, path = urllib.parse.unquote(m.group(1)), m.group(2)
            self.prefix = "/as/" + m.group(1)
        if path != "/_requests":
            self.rec = self.server.state.record(self, feed)
        try:
            if path == "/_requests":
                return self.route_requests()
            parts = path.strip("/").split("/")
            route = getattr(self, "route_" + parts[0].replace("-", "_"), None)
            if route is None:
                return self.send_body(404, b"no such route\n")
            return route(parts[1:])
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_HEAD = do_GET

    def route_requests(self):
        with self.server.state.lock:
            log = self.server.state.log
            if self.q("brief", "0") == "1":
                log = [{k: v for k, v in e.items() if k != "headers"} for e in log]
            body = json.dumps(log).encode()
            if self.q("clear", "0") == "1":
                self.server.state.log.clear()
        self.send_body(200, body, "application/json")

    def route_feeds(self, rest):
        name = "/".join(rest)
        fixtures = self.server.state.fixtures
        path = os.path.abspath(os.path.join(fixtures, name))
        if not path.startswith(fixtures + os.sep) or not os.path.isfile(path):
            return self.send_body(404, b"no such feed\n")
        with open(path, "rb") as f:
            body = f.read()
        self.send_feed(name, body, int(os.stat(path).st_mtime))

    def send_feed(self, name, body, mtime):
        """body as a feed document changed at mtime: validators, 304, gzip, [cc], [expires]."""
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        last_modified = email.utils.formatdate(mtime, usegmt=True)
        extra = {"ETag": etag, "Last-Modified": last_modified}
        if "cc" in self.query:
            extra["Cache-Control"] = "public, max-age=" + self.q("cc", "0")
        if "expires" in self.query:
            now = time.time()
            extra["Date"] = email.utils.formatdate(now, usegmt=True)
            extra["Expires"] = email.utils.formatdate(now + int(self.q("expires", "0")), usegmt=True)
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        not_modified = False
        if inm is not None:
            not_modified = etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*"
        elif ims is not None:
            try:
                not_modified = email.utils.parsedate_to_datetime(ims).timestamp() >= mtime
            except (TypeError, ValueError):
                not_modified = False
        if not_modified:
            self.send_response(304)
            for k, v in extra.items():
                self.send_header(k, v)
            self.end_headers()
            return
        ctype = "application/atom+xml" if name.endswith(".atom") else "application/rss+xml"
        ctype += "; charset=utf-8"
        if "gzip" in self.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body)
            extra["Content-Encoding"] = "gzip"
            extra["Vary"] = "Accept-Encoding"
        self.send_body(200, body, ctype, extra)

    def route_status(self, rest):
        code = int(rest[0]) if rest and rest[0].isdigit() else 500
        extra = {}
        if "retry_after" in self.query:
            extra["Retry-After"] = self.q("retry_after", "0")
        if "retry_date" in self.query:
            extra["Retry-After"] = email.utils.formatdate(
                time.time() + int(self.q("retry_date", "0")), usegmt=True)
        self.send_body(code, f"status {code}\n".encode(), extra=extra)

    def redirect(self, code, location):
        if location.startswith("/"):
            location = self.prefix + location
        self.send_body(code, b"moved\n", extra={"Location": location})

    def route_redirect(self, rest):
        code = int(rest[0])
        n = int(rest[1]) if len(rest) > 1 else 1
        to = self.q("to", "/feeds/basic.rss")
        if n <= 1:
            return self.redirect(code, to)
        qs = urllib.parse.urlencode({"to": to})
        return self.redirect(code, f"/redirect/{code}/{n - 1}?{qs}")

    def route_loop(self, rest):
        self.redirect(302, "/loop/b" if rest and rest[0] == "a" else "/loop/a")

    def route_badvalidators(self, rest):
        with open(os.path.join(self.server.state.fixtures, "basic.rss"), "rb") as f:
            body = f.read()
        self.send_body(200, body, "application/rss+xml", extra={
            "ETag": '"v1"\rHost: injected.example',
            "Last-Modified": "Tue, 01 Jan 2030 00:00:00 GMT\rAuthorization: Basic eDp5"})

    def route_redirect_file(self, rest):
        self.redirect(302, "file:///etc/passwd")

    def route_drip(self, rest):
        total = int(self.q("bytes", "100"))
        interval = float(self.q("interval", "1"))
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(total))
        self.end_headers()
        for _ in range(total):
            self.wfile.write(b"<")
            self.wfile.flush()
            time.sleep(interval)

    def route_endless(self, rest):
        self.stream_headers(200, "application/rss+xml")
        chunk = b"<item><title>again</title></item>\n" * 512
        self.wfile.write(b'<?xml version="1.0"?><rss version="2.0"><channel>\n')
        while True:
            self.wfile.write(chunk)

    def route_gzipbomb(self, rest):
        size = int(self.q("size", str(1 << 30)))
        self.stream_headers(200, "application/rss+xml", {"Content-Encoding": "gzip"})
        comp = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip wrapper
        block = bytes(1 << 20)
        left = size
        while left > 0:
            take = min(left, len(block))
            out = comp.compress(block[:take])
            left -= take
            if out:
                self.wfile.write(out)
        self.wfile.write(comp.flush())

    def route_invalid(self, rest):
        self.send_body(200, INVALID_XML, "application/rss+xml; charset=utf-8")

    def route_charset(self, rest):
        self.send_body(200, CHARSET_BODY, "application/rss+xml; charset=iso-8859-1")

    def route_reset(self, rest):
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        self.wfile.write(b'<?xml version="1.0"?><rss version="2.0"><channel><title>cut')
        self.wfile.flush()
        # SO_LINGER with a zero timeout turns close() into a TCP RST.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def route_gen(self, rest):
        name = "/".join(rest)
        items = max(1, int(self.q("items", "5")))
        every = float(self.q("every", "0"))
        started = self.server.state.started
        step = int((time.time() - started) / every) if every > 0 else 0
        live = self.q("live", "0") == "1"
        # Made once per state of the feed: most requests of a soak are for unchanged feeds.
        cache = self.server.state.gen_cache
        body = cache.get((name, items, step, live))
        if body is None:
            if len(cache) > 50000:
                cache.clear()
            body = cache[(name, items, step, live)] = gen_feed(name, items, step, live)
        self.send_feed(name, body, int(started + step * every))

    def route_garbage(self, rest):
        self.send_body(200, random.randbytes(4096), "application/rss+xml")

    def route_slowheaders(self, rest):
        time.sleep(float(self.q("delay", "5")))
        self.route_feeds(["basic.rss"])


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog of 5 drops the SYNs of a client that opens dozens of
    # connections at once (braid with concurrency 48): they time out instead of being served.
    request_queue_size = 128

    def handle_error(self, request, client_address):  # resets and aborted clients are expected
        pass


def start_server(fixtures=None, hosts=1):
    """Starts this server as a child process; returns (Popen, port)."""
    import subprocess
    cmd = [sys.executable, os.path.abspath(__file__)]
    if fixtures:
        cmd += ["--fixtures", fixtures]
    if hosts > 1:
        cmd += ["--hosts", str(hosts)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    line = proc.stdout.readline()
    if not line.strip().isdigit():
        proc.kill()
        proc.wait()
        raise RuntimeError("feedserver.py did not start")
    return proc, int(line)


def stop_server(proc):
    """Stops a server from start_server (by its pid) and waits for it."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except Exception:
        proc.kill()
        proc.wait()
    if proc.stdout:
        proc.stdout.close()


def main():
    ap = argparse.ArgumentParser(description="fault-injecting feed server for braid tests")
    ap.add_argument("--fixtures", default=DEFAULT_FIXTURES)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--hosts", type=int, default=1, help="listen on 127.0.0.1 ... 127.0.0.N")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    args = ap.parse_args()
    if not 1 <= args.hosts <= 254:
        ap.error("--hosts must be 1..254")
    servers = listen(args.port, args.hosts)
    state = State(args.fixtures)
    for srv in servers:
        if args.tls:
            import ssl
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(args.tls[0], args.tls[1])
            srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        srv.state = state
    print(servers[0].server_address[1], flush=True)
    for srv in servers[1:]:
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        servers[0].serve_forever()
    except KeyboardInterrupt:
        pass


def listen(port, hosts):
    """One server per address 127.0.0.1 ... 127.0.0.hosts, all on one port (port 0: the
    first free one that is free on every address)."""
    for _ in range(20):
        servers = [Server(("127.0.0.1", port), Handler)]
        try:
            for k in range(2, hosts + 1):
                servers.append(Server((f"127.0.0.{k}", servers[0].server_address[1]), Handler))
            return servers
        except OSError:
            for srv in servers:
                srv.server_close()
            if port:
                raise
    raise OSError("no port free on every address")


if __name__ == "__main__":
    main()
