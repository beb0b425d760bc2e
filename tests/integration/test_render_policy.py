"""What served and exported documents publish (issue 14 items 5 and 17, issue 17's stream title).

Three feeds whose URLs are secrets (a token in the query, user:password@, a local file:// path)
are polled from a real HTTP server on 127.0.0.1 and from disk; `braid export` in every format
and `braid run`'s documents must not name any of them, must carry `[stream] title`, and the HTML
page must load nothing from another host. With `[http] publish_feed_queries = yes` the token
URL may be published; with `remote_images = yes` the page's policy allows remote images.
"""
import os
import socket
import subprocess
import time
import urllib.request

from braidtest import BRAID, FIXTURES, Suite, run_braid
from feedserver import start_server, stop_server

s = Suite("render_policy")
tmp = s.tmp
SECRETS = ("SECRET42", "hunter2", "alice", "file:", FIXTURES.rstrip("/"))
TITLE = "Homs & Aleppo <desk>"

server, fport = start_server(fixtures=os.path.join(FIXTURES, "feeds"))
try:
    feeds = os.path.join(tmp, "feeds.d")
    os.makedirs(feeds)
    urls = {
        "news": f"http://127.0.0.1:{fport}/feeds/homs-news.atom?token=SECRET42",
        "wire": f"http://alice:hunter2@127.0.0.1:{fport}/feeds/homs-wire.rdf",
        "blog": "file://" + os.path.join(FIXTURES, "feeds", "homs-liveblog.rss"),
    }
    for name, url in urls.items():
        with open(os.path.join(feeds, name + ".feed"), "w") as f:
            f.write(f"url = {url}\n")
    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        port = so.getsockname()[1]

    def write_conf(extra=""):
        path = os.path.join(tmp, "braid.conf")
        with open(path, "w") as f:
            f.write(f"[store]\npath = braid.db\n[stream]\ntitle = {TITLE}\n"
                    f"[http]\nlisten = 127.0.0.1:{port}\n{extra}")
        return path

    conf = write_conf()
    r = run_braid("poll", "--once", "--config", conf)
    s.check("the three feeds poll", r.returncode == 0, r.stderr.decode())
    requests = urllib.request.urlopen(f"http://127.0.0.1:{fport}/_requests").read().decode()
    s.check("the token feed was fetched", "SECRET42" in requests, requests[:500])

    docs = {}
    for fmt in ("atom", "rss", "json", "html"):
        r = run_braid("export", "--format", fmt, "--config", conf)
        s.check(f"export --format {fmt} succeeds", r.returncode == 0, r.stderr.decode())
        docs[fmt] = r.stdout.decode()
        for secret in SECRETS:
            s.check(f"export {fmt} does not publish {secret!r}", secret not in docs[fmt],
                    docs[fmt][max(0, docs[fmt].find(secret) - 200):docs[fmt].find(secret) + 100])
    s.check("atom carries [stream] title", "<title>Homs &amp; Aleppo &lt;desk&gt;</title>" in docs["atom"],
            docs["atom"][:600])
    s.check("rss carries [stream] title", "<title>Homs &amp; Aleppo &lt;desk&gt;</title>" in docs["rss"],
            docs["rss"][:600])
    s.check("json carries [stream] title", '"title": "Homs & Aleppo <desk>"' in docs["json"],
            docs["json"][:600])
    s.check("html carries [stream] title", "<h1>Homs &amp; Aleppo &lt;desk&gt;</h1>" in docs["html"],
            docs["html"][:1500])
    s.check("the page loads images only from itself", "img-src 'self' data:;" in docs["html"],
            docs["html"][:600])
    s.check("the blog's site stands for the file feed", "<source url=\"" in docs["rss"], docs["rss"][:2000])

    try:
        import html5lib
        tree = html5lib.parse(docs["html"], namespaceHTMLElements=False)
        remote = [e.get("src") for tag in ("img", "video", "audio", "iframe", "source")
                  for e in tree.iter(tag) if not (e.get("src") or "data:").startswith("data:")]
        s.check("html5lib finds no remote img/video/audio/iframe/source", remote == [], remote)
        csp = [m.get("content") for m in tree.iter("meta") if m.get("http-equiv") == "Content-Security-Policy"]
        s.check("the page has one CSP meta without remote images",
                len(csp) == 1 and "http:" not in csp[0].split("img-src")[1].split(";")[0], csp)
    except ImportError:
        s.skip("python3-html5lib is not installed")

    conf = write_conf("publish_feed_queries = yes\nremote_images = yes\n")
    r = run_braid("export", "--format", "atom", "--config", conf)
    atom = r.stdout.decode()
    s.check("publish_feed_queries = yes publishes the token URL",
            "homs-news.atom?token=SECRET42" in atom, atom[:3000])
    s.check("userinfo is never published", "hunter2" not in atom and "alice" not in atom)
    s.check("file paths are never published", "file:" not in atom)

    daemon = subprocess.Popen([BRAID, "run", "--config", write_conf()], stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz").close()
                break
            except OSError:
                time.sleep(0.1)
        for path in ("feed.atom", "feed.rss", "feed.json", "", "feeds/news.atom", "feeds/wire.atom",
                     "feeds/blog.atom"):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/{path}") as resp:
                    body = resp.read().decode()
                    csp = resp.headers.get("Content-Security-Policy")
            except OSError as e:
                s.check(f"/{path} answers", False, str(e))
                continue
            for secret in SECRETS:
                s.check(f"/{path} does not publish {secret!r}", secret not in body,
                        body[max(0, body.find(secret) - 200):body.find(secret) + 100])
            if path in ("feed.atom", ""):
                s.check(f"/{path} carries [stream] title", "Homs &amp; Aleppo &lt;desk&gt;" in body, body[:800])
            if path == "":
                s.check("the served page's CSP header blocks remote images",
                        csp and "img-src 'self' data:;" in csp, csp)
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)
        daemon.stderr.close()
finally:
    stop_server(server)
s.finish()
