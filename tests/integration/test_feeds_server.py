"""feedserver.py itself: the routes other tests rely on answer as documented."""
import http.client
import json
import os
import re
import shutil
import time
import zlib

from braidtest import Suite, fixture
from feedserver import start_server, stop_server

s = Suite("feeds_server")
# A private copy of the fixtures, so the test can change a feed under the server.
fx = os.path.join(s.tmp, "fixtures")
shutil.copytree(fixture("net"), fx)
proc, port = start_server(fx, hosts=3)
try:

    def get(path, headers=None, host="127.0.0.1"):
        c = http.client.HTTPConnection(host, port, timeout=10)
        c.request("GET", path, headers=headers or {})
        r = c.getresponse()
        return c, r

    c, r = get("/feeds/basic.rss")
    body = r.read()
    etag, lm = r.getheader("ETag"), r.getheader("Last-Modified")
    s.check("feed served", r.status == 200 and body.startswith(b"<?xml"), f"{r.status}")
    s.check("feed has ETag and Last-Modified", etag and lm, f"{etag} {lm}")
    c.close()
    c, r = get("/feeds/basic.rss", {"If-None-Match": etag})
    s.check("If-None-Match gives 304", r.status == 304, f"{r.status}")
    c.close()
    c, r = get("/feeds/basic.rss", {"If-Modified-Since": lm})
    s.check("If-Modified-Since gives 304", r.status == 304, f"{r.status}")
    c.close()
    c, r = get("/feeds/basic.rss", {"Accept-Encoding": "gzip"})
    s.check("gzip when accepted", r.getheader("Content-Encoding") == "gzip"
            and zlib.decompress(r.read(), 31) == body)
    c.close()
    c, r = get("/feeds/basic.rss?cc=300")
    s.check("cc= adds Cache-Control max-age", r.getheader("Cache-Control") == "public, max-age=300")
    c.close()
    c, r = get("/status/429?retry_after=120")
    s.check("429 with Retry-After", r.status == 429 and r.getheader("Retry-After") == "120")
    c.close()
    c, r = get("/status/410")
    s.check("410", r.status == 410)
    c.close()
    c, r = get("/redirect/301/2")
    s.check("redirect chain step", r.status == 301 and r.getheader("Location").startswith("/redirect/301/1?"),
            r.getheader("Location"))
    c.close()
    c, r = get("/redirect/308/1")
    s.check("redirect chain end", r.status == 308 and r.getheader("Location") == "/feeds/basic.rss")
    c.close()
    c, r = get("/loop/a")
    s.check("loop a -> b", r.getheader("Location") == "/loop/b")
    c.close()
    c, r = get("/gzipbomb")
    d = zlib.decompressobj(31)
    raw = r.read(64 * 1024)
    out = d.decompress(raw, 8 << 20)
    s.check("gzip bomb: small on the wire, zeros inside, no length",
            r.getheader("Content-Length") is None and len(out) >= 1 << 20 and out.count(0) == len(out),
            f"{len(raw)} -> {len(out)}")
    c.close()
    c, r = get("/charset")
    s.check("wrong charset header", "iso-8859-1" in r.getheader("Content-Type") and "Café".encode() in r.read())
    c.close()
    c, r = get("/reset")
    try:
        r.read()
        s.check("reset cuts the body", False, "read completed")
    except (http.client.IncompleteRead, ConnectionResetError):
        s.check("reset cuts the body", True)
    c.close()
    c, r = get("/_requests?clear=1")
    log = json.loads(r.read())
    c.close()
    paths = [e["path"] for e in log]
    s.check("requests are recorded in order", paths[:2] == ["/feeds/basic.rss", "/feeds/basic.rss"], repr(paths[:3]))
    s.check("request headers are recorded", log[1]["headers"].get("if-none-match") == etag)
    s.check("request times are recorded", all(abs(e["time"] - time.time()) < 120 for e in log))
    c, r = get("/_requests")
    s.check("clear=1 empties the record", json.loads(r.read()) == [])
    c.close()
    with open(os.path.join(fx, "basic.rss"), "a") as f:
        f.write("<!-- changed -->\n")
    c, r = get("/feeds/basic.rss", {"If-None-Match": etag})
    s.check("a rewritten fixture is served anew with a new ETag",
            r.status == 200 and r.getheader("ETag") != etag and r.read().endswith(b"<!-- changed -->\n"))
    c.close()

    # What the soak test relies on: --hosts, generated feeds, /as/NAME and the answered status.
    get("/_requests?clear=1")[0].close()
    c, r = get("/as/one/gen/x.rss?items=3", host="127.0.0.3")
    body = r.read()
    etag = r.getheader("ETag")
    s.check("--hosts 3: 127.0.0.3 answers on the same port", r.status == 200, f"{r.status}")
    s.check("/gen/ serves a feed of the items asked for",
            body.count(b"<item>") == 3 and b"urn:gen:x.rss:2" in body and etag, body[:200])
    c.close()
    c, r = get("/as/one/gen/x.rss?items=3", {"If-None-Match": etag}, host="127.0.0.2")
    s.check("/gen/ answers 304 to its ETag", r.status == 304, f"{r.status}")
    c.close()
    c, r = get("/gen/x.rss?items=3")
    s.check("/gen/ gives the same feed for the same name", r.read() == body)
    c.close()
    c, r = get("/gen/y.atom?items=2&live=1")
    live = r.read()
    s.check("/gen/ live=1: one Atom entry holding stamped updates",
            live.count(b"<entry>") == 1 and live.count(b"GMT:&lt;/strong&gt;") >= 2, live[:300])
    c.close()
    def newest(doc):
        return max(int(n) for n in re.findall(rb"urn:gen:z\.rss:(\d+)", doc))

    c, r = get("/gen/z.rss?items=2&every=0.5")
    first = r.read()
    c.close()
    time.sleep(1.1)
    c, r = get("/gen/z.rss?items=2&every=0.5")
    second = r.read()
    s.check("/gen/ every=S adds items as time passes", newest(second) >= newest(first) + 2,
            f"newest item {newest(first)}, then {newest(second)}")
    c.close()
    c, r = get("/as/two/redirect/302/2?to=/gen/x.rss")
    s.check("/as/NAME keeps its prefix across redirects",
            r.getheader("Location").startswith("/as/two/redirect/302/1?"), r.getheader("Location"))
    c.close()
    c, r = get("/as/two/loop/a")
    s.check("/as/NAME prefix on a loop", r.getheader("Location") == "/as/two/loop/b", r.getheader("Location"))
    c.close()
    c, r = get("/garbage")
    s.check("/garbage is 200 with bytes that are not XML", r.status == 200 and not r.read().startswith(b"<?xml"))
    c.close()
    c, r = get("/_requests?brief=1")
    log = json.loads(r.read())
    c.close()
    s.check("the record names the feed and the status answered, brief=1 leaves out headers",
            [(e["feed"], e["status"]) for e in log[:2]] == [("one", 200), ("one", 304)]
            and "headers" not in log[0], log[:2])
finally:
    stop_server(proc)
s.finish()
