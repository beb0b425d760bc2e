"""A real feed reader, Debian's newsboat, subscribed to the running daemon's /feed.atom.

braid polls the offline demo feeds (file:// documents made from the seeds), serves the merged
stream on 127.0.0.1, and newsboat reloads it: its cache must hold the seed stories and each of
the live blog's updates as a separate article, titled by the update's own words.
Skipped (CTest shows it as Skipped) when newsboat is not installed.
"""
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request

from braidtest import BRAID, FIXTURES, Suite, newsboat_titles

s = Suite("reader")
newsboat = shutil.which("newsboat")
if not newsboat:
    s.skip("newsboat is not installed (apt-get install newsboat)")
    s.finish()

tmp = s.tmp
os.makedirs(os.path.join(tmp, "feeds.d"))
for doc in ("homs-liveblog.rss", "homs-news.atom", "homs-wire.rdf"):
    with open(os.path.join(tmp, "feeds.d", doc.split(".")[0] + ".feed"), "w") as f:
        f.write(f"url = file://{os.path.join(FIXTURES, 'feeds', doc)}\n")
with socket.socket() as so:
    so.bind(("127.0.0.1", 0))
    port = so.getsockname()[1]
with open(os.path.join(tmp, "braid.conf"), "w") as f:
    f.write(f"[store]\npath = braid.db\n[http]\nlisten = 127.0.0.1:{port}\n")
conf = os.path.join(tmp, "braid.conf")

r = subprocess.run([BRAID, "poll", "--once", "--config", conf], capture_output=True, timeout=60)
s.check("the demo feeds poll", r.returncode == 0, r.stderr.decode())

daemon = subprocess.Popen([BRAID, "run", "--config", conf], stderr=subprocess.PIPE)
try:
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz").close()
            break
        except OSError:
            time.sleep(0.1)
    nb, titles = newsboat_titles(newsboat, f"http://127.0.0.1:{port}/feed.atom", tmp)
    s.check("newsboat -x reload succeeds", nb.returncode == 0, nb.stdout + nb.stderr)
    exp = subprocess.run([BRAID, "export", "--format", "json", "-n", "500", "--config", conf],
                         capture_output=True, timeout=60)
    stored = json.loads(exp.stdout)["items"] if exp.returncode == 0 else []
    # Each update is titled by its own words (its headline or first sentence), not the blog's
    # title and its stamp repeated thirteen times.
    update_titles = [i["title"] for i in stored if i["_braid"].get("stamp")]
    s.check("the live blog's 13 updates have 13 distinct titles of their own",
            len(update_titles) == 13 and len(set(update_titles)) == 13 and
            not any("LiveBlog" in t for t in update_titles), update_titles)
    s.check("newsboat shows each of the live blog's 13 updates as its own article",
            all(t in titles for t in update_titles) and len(update_titles) == 13, titles)
    by_stamp = {i["_braid"]["stamp"]: i["title"] for i in stored if i["_braid"].get("stamp")}
    for stamp in ("0510 GMT", "1452 GMT", "2120 GMT"):
        s.check(f"the {stamp} update is an article", by_stamp.get(stamp) in titles,
                (by_stamp.get(stamp), titles))
    for story in ("Is the Homs massacre a sign that Assad is nearing his end?",
                  "Syrian army ready to launch", "Syrians defy assault on Homs",
                  "Syrian army flees Homs, cutting Assad off from coast"):
        s.check(f"newsboat shows the story {story!r}", any(story in t for t in titles), titles)
    s.check("nothing else, nothing twice", len(titles) == 17, len(titles))
finally:
    daemon.terminate()
    daemon.wait(timeout=10)
s.finish()
