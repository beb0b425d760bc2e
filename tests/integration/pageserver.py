"""A tiny HTTP server for test_pages.py: serves the files of a directory with an ETag (and
answers If-None-Match with 304), /status/N with status N, and appends one JSON line per
request (path, If-None-Match, status) to DIR/_requests.log. Prints its port, then serves."""
import hashlib
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = sys.argv[1]


class Handler(BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def record(self, status):
        with open(os.path.join(ROOT, "_requests.log"), "a") as f:
            f.write(json.dumps({"path": self.path, "inm": self.headers.get("If-None-Match"),
                                "ua": self.headers.get("User-Agent"), "status": status}) + "\n")

    def do_GET(self):
        path = self.path.split("?")[0]
        if path.startswith("/status/"):
            code = int(path[8:])
            self.record(code)
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        fn = os.path.join(ROOT, path.lstrip("/"))
        if not os.path.isfile(fn) or ".." in path:
            self.record(404)
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        with open(fn, "rb") as f:
            body = f.read()
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self.record(304)
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.record(200)
        self.send_response(200)
        ctype = "text/html; charset=utf-8" if fn.endswith(".html") else "application/rss+xml"
        self.send_header("Content-Type", ctype)
        self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
