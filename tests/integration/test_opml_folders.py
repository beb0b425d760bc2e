"""OPML folders round trip: `braid import` turns the folders a feed sits in into
`categories = Outer/Inner` in its feeds.d file, `braid export-opml` writes those folders back,
and importing the export into a fresh feeds.d gives the same feed files.
"""
import os
import xml.etree.ElementTree as ET

from braidtest import Suite, run_braid

s = Suite("opml_folders")


def setup(name):
    d = os.path.join(s.tmp, name)
    os.makedirs(os.path.join(d, "feeds.d"))
    conf = os.path.join(d, "braid.conf")
    with open(conf, "w") as f:
        f.write("[store]\npath = braid.db\n")
    return d, conf


def feed_files(d):
    fd = os.path.join(d, "feeds.d")
    return {n: open(os.path.join(fd, n)).read() for n in sorted(os.listdir(fd))}


src = os.path.join(s.tmp, "subs.opml")
with open(src, "w") as f:
    f.write("""<?xml version="1.0"?>
<opml version="2.0"><head><title>mine</title></head><body>
  <outline text="top" xmlUrl="http://top.example/rss"/>
  <outline text="News">
    <outline text="BBC" xmlUrl="http://bbc.example/rss"/>
    <outline title="World; wide, and/or" text="ignored">
      <outline text="Wire" xmlUrl="http://wire.example/rss"/>
    </outline>
    <outline text="After" xmlUrl="http://after.example/rss"/>
  </outline>
  <outline text="Empty folder"/>
  <outline text="Sport"><outline text="Ball" xmlUrl="http://ball.example/rss"/></outline>
  <outline text="last" xmlUrl="http://last.example/rss"/>
</body></opml>
""")

d1, conf1 = setup("one")
r = run_braid("import", "--config", conf1, src)
s.check("import exits 0", r.returncode == 0, r.stderr)
files = feed_files(d1)
s.check("a feed at top level has no categories",
        files.get("top.example.feed") == "url = http://top.example/rss\ntitle = top\n", files)
s.check("a feed in a folder gets the folder as its category",
        files.get("bbc.example.feed") == "url = http://bbc.example/rss\ntitle = BBC\ncategories = News\n", files)
s.check("nested folders give Outer/Inner; separators in a folder title become spaces",
        files.get("wire.example.feed") ==
        "url = http://wire.example/rss\ntitle = Wire\ncategories = News/World  wide  and or\n", files)
s.check("a feed after a nested folder closes is back in the outer folder only",
        "categories = News\n" in files.get("after.example.feed", ""), files)
s.check("folders after an empty one are still read", "categories = Sport\n" in files.get("ball.example.feed", ""), files)
s.check("a feed after the last folder is at top level", "categories" not in files.get("last.example.feed", "x"), files)

r = run_braid("feeds", "list", "--config", conf1)
s.check("the imported files load (categories is a known key)", r.returncode == 0, r.stderr)

r = run_braid("export-opml", "--config", conf1)
s.check("export-opml exits 0", r.returncode == 0, r.stderr)
try:
    body = ET.fromstring(r.stdout).find("body")
except ET.ParseError as e:
    body = None
    s.check("export-opml writes well-formed XML", False, f"{e}: {r.stdout!r}")


def tree(node):
    """(folder title, [children]) or feed URL."""
    out = []
    for o in node.findall("outline"):
        if o.get("xmlUrl"):
            out.append(o.get("xmlUrl"))
        else:
            out.append((o.get("text"), tree(o)))
    return out


if body is not None:
    s.check("export-opml writes the categories back as nested folders",
            tree(body) == ["http://last.example/rss", "http://top.example/rss",
                           ("News", ["http://after.example/rss", "http://bbc.example/rss",
                                     ("World  wide  and or", ["http://wire.example/rss"])]),
                           ("Sport", ["http://ball.example/rss"])], tree(body))

exported = os.path.join(s.tmp, "exported.opml")
with open(exported, "wb") as f:
    f.write(r.stdout)
d2, conf2 = setup("two")
r = run_braid("import", "--config", conf2, exported)
s.check("the export imports", r.returncode == 0, r.stderr)
s.check("round trip: the same feed files, categories included", feed_files(d2) == files,
        f"{feed_files(d2)!r}\nvs\n{files!r}")

# A hand-written feed with two categories is exported in the folder of the first.
d3, conf3 = setup("three")
with open(os.path.join(d3, "feeds.d", "x.feed"), "w") as f:
    f.write("url = http://x.example/rss\ncategories = Tech/Linux, Weekly\n")
r = run_braid("export-opml", "--config", conf3)
b3 = ET.fromstring(r.stdout).find("body") if r.returncode == 0 else None
s.check("the first category of several names the folder",
        b3 is not None and tree(b3) == [("Tech", [("Linux", ["http://x.example/rss"])])],
        r.stdout)
s.finish()
