"""braid feeds add SITE-URL: feed discovery against real web pages on a local HTTP server.

A person pastes what their browser shows — a home page, an article, the feed itself. braid
fetches it once, adds a feed as it is, finds the feeds a page advertises (<link
rel="alternate">, else the common paths), adds the first that answers as a feed and lists the
others, and refuses a page that leads to none.
"""
import os
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from braidtest import Suite, run_braid

s = Suite("discover")

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Site news</title>
<link>http://site/</link><item><title>One</title><link>http://site/1</link></item></channel></rss>"""
ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>Atom news</title><id>urn:x</id><updated>2026-01-01T00:00:00Z</updated></feed>"""
COMMENTS = RSS.replace(b"Site news", b"Comments")

PAGES = {
    # A home page that advertises a comments feed first, then the main feed (relative, with
    # an upper-case REL and a charset parameter in the type), and a stylesheet that is no feed.
    "/home/": ("text/html", b"""<!doctype html><html><head><title>Home</title>
<link rel="stylesheet" href="/s.css" type="text/css">
<link rel="alternate" type="application/rss+xml" title="Site \xc2\xbb Comments Feed" href="/home/comments/feed">
<link REL="alternate" type="application/atom+xml; charset=utf-8" title="Site \xc2\xbb Feed" href="feed.atom">
<link rel="alternate" type="application/rss+xml" title="Also" href="http://127.0.0.1:PORT/home/feed.rss">
</head><body><p>Hello</p></body></html>"""),
    "/home/comments/feed": ("application/rss+xml", COMMENTS),
    "/home/feed.atom": ("application/atom+xml", ATOM),
    "/home/feed.rss": ("application/rss+xml", RSS),
    # An article page under a <base>, whose first advertised feed is broken (404).
    "/news/2026/story.html": ("text/html; charset=utf-8", b"""<html><head>
<base href="/feeds/"><link rel="alternate" type="application/rss+xml" href="gone.rss">
<link rel="alternate" type="application/rss+xml" href="news.rss" title="News"></head>
<body>Story</body></html>"""),
    "/feeds/news.rss": ("text/xml", RSS),
    # A page that advertises nothing, on a site with a feed at one of the common paths.
    "/plain/": ("text/html", b"<html><head><title>Plain</title></head><body>no links</body></html>"),
    "/rss.xml": ("application/rss+xml", RSS),
    # The feed itself, served as text/plain: the content decides, not the label.
    "/direct/feed": ("text/plain", RSS),
}

requests = []


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        requests.append(self.path)
        page = PAGES.get(self.path)
        if page is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = page[1].replace(b"PORT", str(self.server.server_port).encode())
        self.send_response(200)
        self.send_header("Content-Type", page[0])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
port = server.server_port
thread = threading.Thread(target=server.serve_forever, daemon=True)
thread.start()
base = f"http://127.0.0.1:{port}"

conf_dir = os.path.join(s.tmp, "conf")
os.makedirs(conf_dir)
conf = os.path.join(conf_dir, "braid.conf")
open(conf, "w").close()
feeds_dir = os.path.join(conf_dir, "feeds.d")


def add(url, *extra):
    requests.clear()
    r = run_braid("feeds", "add", url, *extra, "--config", conf)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def feed_url_in(name):
    path = os.path.join(feeds_dir, name + ".feed")
    if not os.path.isfile(path):
        return None
    for line in open(path):
        if line.startswith("url"):
            return line.split("=", 1)[1].strip()
    return None


try:
    # -- a home page with link tags: the main feed, not the comments feed --
    rc, out, err = add(f"{base}/home/", "--name", "home")
    s.check("home page: exit 0", rc == 0, f"rc={rc} err={err}")
    s.check("home page: the main feed is picked over the comments feed listed first",
            feed_url_in("home") == f"{base}/home/feed.atom", f"{feed_url_in('home')!r} err={err}")
    s.check("home page: stdout says name and the feed URL",
            out == f"home\t{base}/home/feed.atom\n", repr(out))
    s.check("home page: stderr lists all three advertised feeds",
            all(u in err for u in (f"{base}/home/comments/feed", f"{base}/home/feed.atom",
                                   f"{base}/home/feed.rss")), err)
    s.check("home page: stderr shows the titles", "Site \u00bb Feed" in err, err)
    s.check("home page: the stylesheet is not a feed", "s.css" not in err, err)
    s.check("home page: two requests, the page and the picked feed",
            requests == ["/home/", "/home/feed.atom"], repr(requests))

    # -- an article under <base>, whose first advertised feed is broken --
    rc, out, err = add(f"{base}/news/2026/story.html", "--name", "story")
    s.check("article: exit 0", rc == 0, f"rc={rc} err={err}")
    s.check("article: links resolve against <base>; the broken one is passed over",
            feed_url_in("story") == f"{base}/feeds/news.rss", f"{feed_url_in('story')!r} {err}")
    s.check("article: the broken feed was tried first",
            requests == ["/news/2026/story.html", "/feeds/gone.rss", "/feeds/news.rss"],
            repr(requests))

    # -- no link tags: the common paths on the origin --
    rc, out, err = add(f"{base}/plain/", "--name", "plain")
    s.check("plain page: exit 0", rc == 0, f"rc={rc} err={err}")
    s.check("plain page: the feed at /rss.xml is found",
            feed_url_in("plain") == f"{base}/rss.xml", f"{feed_url_in('plain')!r} {err}")
    s.check("plain page: says where it found it", f"found one at {base}/rss.xml" in err, err)
    s.check("plain page: common paths tried in order, stopping at the first feed",
            requests == ["/plain/", "/feed", "/rss", "/feed.xml", "/rss.xml"], repr(requests))

    # -- the feed itself (labelled text/plain): added as given, one request --
    rc, out, err = add(f"{base}/direct/feed", "--name", "direct")
    s.check("feed URL: exit 0 and added as given",
            rc == 0 and feed_url_in("direct") == f"{base}/direct/feed", f"rc={rc} err={err}")
    # Only whether a daemon will pick the feed up (test_liveconfig checks that line).
    s.check("feed URL: one request, nothing said about discovery", requests == ["/direct/feed"]
            and re.fullmatch(r"braid: (no braid is running on this store|a running braid \(pid \d+\))"
                             r"[^\n]*\n", err), f"{requests!r} {err!r}")

    # -- a page that leads nowhere is refused, and nothing is written --
    del PAGES["/rss.xml"]
    rc, out, err = add(f"{base}/plain/", "--name", "nowhere")
    s.check("no feed anywhere: exit 1", rc == 1, f"rc={rc} err={err}")
    s.check("no feed anywhere: says so, naming the content type",
            "not a feed (text/html)" in err and "nothing added" in err, err)
    s.check("no feed anywhere: no file written", feed_url_in("nowhere") is None)
    s.check("no feed anywhere: at most 10 requests", len(requests) <= 10, repr(requests))

    # -- the same feed found again through its page is a duplicate --
    rc, out, err = add(f"{base}/home/", "--name", "home2")
    s.check("rediscovered feed: refused as already configured",
            rc == 1 and "already configured as 'home'" in err, f"rc={rc} err={err}")

    # -- unreachable: added as given with a warning; --no-discover makes no request --
    rc, out, err = add("http://127.0.0.1:9/x.rss", "--name", "down")
    s.check("unreachable: added as given", rc == 0 and feed_url_in("down") == "http://127.0.0.1:9/x.rss",
            f"rc={rc} err={err}")
    s.check("unreachable: warns that it could not check", "could not check" in err, err)
    rc, out, err = add(f"{base}/plain/", "--name", "asis", "--no-discover")
    s.check("--no-discover: the page URL is added as given, no request",
            rc == 0 and feed_url_in("asis") == f"{base}/plain/" and requests == [],
            f"rc={rc} {requests!r} {err}")
    # -- the daemon, given a page where a feed belongs, says what it is and the way out --
    poll_dir = os.path.join(s.tmp, "poll")
    os.makedirs(os.path.join(poll_dir, "feeds.d"))
    poll_conf = os.path.join(poll_dir, "braid.conf")
    with open(poll_conf, "w") as f:
        f.write("[store]\npath = braid.db\n")
    with open(os.path.join(poll_dir, "feeds.d", "page.feed"), "w") as f:
        f.write(f"url = {base}/plain/\n")
    r = run_braid("poll", "--once", "--config", poll_conf)
    err = r.stderr.decode()
    s.check("poll of a page: exit 1 (the feed failed)", r.returncode == 1, f"rc={r.returncode} {err}")
    s.check("poll of a page: the log names the page and the way out",
            'error="not a feed (text/html); try braid feeds add URL to discover"' in err, err)
finally:
    server.shutdown()
    server.server_close()

s.finish()
