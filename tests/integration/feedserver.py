#!/usr/bin/env python3
"""feedserver.py — a fault-injecting feed server for braid's tests (standard library only).

Run:  python3 feedserver.py [--fixtures DIR] [--port N] [--tls CERT KEY]
It listens on 127.0.0.1 (port 0 = any free port) and prints the chosen port alone on its first
stdout line, then serves until killed (SIGTERM/SIGINT). With --tls it speaks HTTPS only,
with the given PEM certificate and key. Every request except /_requests is
recorded; tests read the record to check conditional headers, User-Agent and timing.

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
  /drip                  200, then the body one byte every [interval=1] seconds, [bytes=100] in
                         all (Content-Length set).
  /endless               200 with a body that never ends (no Content-Length).
  /gzipbomb              Content-Encoding: gzip whose body inflates to [size=1073741824] zero
                         bytes; compressed on the fly as it is sent, never held in memory.
  /invalid               200 application/rss+xml that is not well-formed XML.
  /charset               UTF-8 body whose Content-Type header claims charset=iso-8859-1.
  /reset                 headers announcing 100000 bytes, some body, then a TCP reset.
  /slowheaders           sleeps [delay=5] seconds before sending anything, then a feed.
  /_requests             the record as JSON: [{"method", "path", "headers": {lower-case name:
                         value}, "time": epoch seconds (float)}]; [clear=1] empties it after.

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


class State:
    def __init__(self, fixtures):
        self.fixtures = os.path.abspath(fixtures)
        self.lock = threading.Lock()
        self.log = []

    def record(self, handler):
        entry = {
            "method": handler.command,
            "path": handler.path,
            "headers": {k.lower(): v for k, v in handler.headers.items()},
            "time": time.time(),
        }
        with self.lock:
            self.log.append(entry)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "braid-feedserver/1"
    # Headers and body go out in separate writes; with Nagle on, the body waits for the
    # client's delayed ACK of the headers (up to 40 ms on Linux) on every keep-alive request.
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):  # quiet: tests read /_requests instead
        pass

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
        if path != "/_requests":
            self.server.state.record(self)
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
            body = json.dumps(self.server.state.log).encode()
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
        mtime = int(os.stat(path).st_mtime)
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

    def route_slowheaders(self, rest):
        time.sleep(float(self.q("delay", "5")))
        self.route_feeds(["basic.rss"])


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):  # resets and aborted clients are expected
        pass


def start_server(fixtures=None):
    """Starts this server as a child process; returns (Popen, port)."""
    import subprocess
    cmd = [sys.executable, os.path.abspath(__file__)]
    if fixtures:
        cmd += ["--fixtures", fixtures]
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
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    args = ap.parse_args()
    srv = Server(("127.0.0.1", args.port), Handler)
    if args.tls:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls[0], args.tls[1])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.state = State(args.fixtures)
    print(srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
