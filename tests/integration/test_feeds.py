"""braid feeds / import / export-opml against real configuration directories."""
import os
import xml.etree.ElementTree as ET

from braidtest import Suite, fixture, run_braid

s = Suite("feeds")


def setup(name, conf="", feeds=None):
    d = os.path.join(s.tmp, name)
    os.makedirs(d)
    path = os.path.join(d, "braid.conf")
    with open(path, "w") as f:
        f.write(conf)
    for fname, text in (feeds or {}).items():
        os.makedirs(os.path.join(d, "feeds.d"), exist_ok=True)
        with open(os.path.join(d, "feeds.d", fname), "w") as f:
            f.write(text)
    return d, path


def braid(conf, *args):
    r = run_braid(*args, "--config", conf)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


# -- empty configuration, add, list, remove --
d, conf = setup("basic")
rc, out, err = braid(conf, "feeds")
s.check("list with no feeds.d exits 0", rc == 0, f"rc={rc} err={err}")
s.check("list with no feeds.d prints nothing", out == "", repr(out))

rc, out, err = braid(conf, "feeds", "add", "https://www.example.org/news/live.rss", "--title", "Live coverage")
s.check("add exits 0", rc == 0, f"rc={rc} err={err}")
s.check("add prints name and URL", out == "example.org-live\thttps://www.example.org/news/live.rss\n", repr(out))
feed_file = os.path.join(d, "feeds.d", "example.org-live.feed")
s.check("add writes feeds.d/NAME.feed", os.path.isfile(feed_file))
if os.path.isfile(feed_file):
    text = open(feed_file).read()
    s.check("feed file holds url and title",
            text == "url = https://www.example.org/news/live.rss\ntitle = Live coverage\n", repr(text))
s.check("no temporary files left", sorted(os.listdir(os.path.join(d, "feeds.d"))) == ["example.org-live.feed"],
        repr(os.listdir(os.path.join(d, "feeds.d"))))

rc, out, err = braid(conf, "feeds", "add", "http://127.0.0.1:9/x.rss", "--name", "local")
s.check("add with --name exits 0", rc == 0, f"rc={rc} err={err}")
rc, out, err = braid(conf, "feeds", "list")
s.check("list exits 0", rc == 0, f"rc={rc} err={err}")
s.check("list prints one tab-separated line per feed, sorted",
        out == "example.org-live\thttps://www.example.org/news/live.rss\tLive coverage\t15m\n"
               "local\thttp://127.0.0.1:9/x.rss\t-\t15m\n", repr(out))

rc, out, err = braid(conf, "feeds", "add", "https://www.example.org/news/live.rss", "--name", "again")
s.check("add of a configured URL is refused with 1", rc == 1, f"rc={rc}")
s.check("refusal names the existing feed", "already configured as 'example.org-live'" in err, err)
rc, out, err = braid(conf, "feeds", "add", "https://other.example/feed", "--name", "local")
s.check("add never overwrites (exit 1)", rc == 1, f"rc={rc}")
s.check("overwrite refusal names the file", "local.feed already exists" in err, err)
s.check("existing file untouched", "127.0.0.1:9" in open(os.path.join(d, "feeds.d", "local.feed")).read())
rc, out, err = braid(conf, "feeds", "add", "ftp://example.org/feed")
s.check("add of a non-http URL is a usage error (2)", rc == 2, f"rc={rc}")
rc, out, err = braid(conf, "feeds", "add", "https://x.example/", "--name", "../evil")
s.check("add with an invalid name is a usage error (2)", rc == 2, f"rc={rc}")
s.check("invalid name wrote nothing", not os.path.exists(os.path.join(d, "evil.feed")))

rc, out, err = braid(conf, "feeds", "remove", "local")
s.check("remove exits 0", rc == 0, f"rc={rc} err={err}")
s.check("remove deletes the file", not os.path.exists(os.path.join(d, "feeds.d", "local.feed")))
rc, out, err = braid(conf, "feeds", "remove", "local")
s.check("remove of an unknown feed exits 1", rc == 1, f"rc={rc}")
s.check("remove error names the feed", "no feed named 'local'" in err, err)
rc, out, err = braid(conf, "feeds", "frobnicate")
s.check("unknown subcommand is a usage error", rc == 2, f"rc={rc}")

# -- import / export --
d, conf = setup("opml")
rc, out, err = braid(conf, "import", fixture("net", "subscriptions.opml"))
s.check("import exits 0", rc == 0, f"rc={rc} err={err}")
names = sorted(f[:-5] for f in os.listdir(os.path.join(d, "feeds.d")))
s.check("import writes one file per new feed, nested outlines included",
        names == ["enduringamerica.com", "feeds.bbci.co.uk-world", "theguardian.com-live"], repr(names))
s.check("import names the duplicate it skipped",
        "skipped https://feeds.bbci.co.uk/news/world/rss.xml: already configured" in err, err)
s.check("import names the unusable URL it skipped", "skipped gopher://example.org/feed" in err, err)
s.check("import summarises", "3 added, 2 skipped" in err, err)
bbc = open(os.path.join(d, "feeds.d", "feeds.bbci.co.uk-world.feed")).read()
s.check("imported feed keeps the OPML title", "title = BBC News - World\n" in bbc, bbc)
rc, out, err = braid(conf, "import", fixture("net", "subscriptions.opml"))
s.check("importing again adds nothing", rc == 0 and "0 added, 5 skipped" in err, f"rc={rc} {err}")

rc, out, err = braid(conf, "export-opml")
s.check("export-opml exits 0", rc == 0, f"rc={rc} err={err}")
try:
    root = ET.fromstring(out)
    s.check("export is OPML 2.0", root.tag == "opml" and root.get("version") == "2.0")
    # Folders (outlines without xmlUrl) hold the feeds imported from folders.
    urls = sorted(o.get("xmlUrl") for o in root.iter("outline") if o.get("xmlUrl"))
    s.check("export lists every feed", urls == sorted([
        "http://www.enduringamerica.com/feed/", "https://feeds.bbci.co.uk/news/world/rss.xml",
        "https://www.theguardian.com/world/live/rss"]), repr(urls))
except ET.ParseError as e:
    s.check("export is well-formed XML", False, str(e))

# Round trip: export, import into an empty configuration, same feeds.
opml_out = os.path.join(s.tmp, "exported.opml")
with open(opml_out, "w") as f:
    f.write(out)
d2, conf2 = setup("roundtrip")
rc, _, err = braid(conf2, "import", opml_out)
rc2, listed, _ = braid(conf2, "feeds", "list")
rc3, listed_orig, _ = braid(conf, "feeds", "list")
s.check("export then import gives the same feeds", rc == 0 and listed == listed_orig, f"{listed!r} vs {listed_orig!r}")

rc, out, err = braid(conf, "import", os.path.join(s.tmp, "missing.opml"))
s.check("import of a missing file exits 1", rc == 1, f"rc={rc}")
s.check("import error names the file", "missing.opml: No such file or directory" in err, err)
bad = os.path.join(s.tmp, "bad.opml")
with open(bad, "w") as f:
    f.write("<opml><body><outline xmlUrl='http://a.example/'></body></opml>")
rc, out, err = braid(conf, "import", bad)
s.check("import of malformed OPML exits 1 naming file and line", rc == 1 and "bad.opml:1:" in err, f"rc={rc} {err}")

d, conf = setup("opml-newline")
odd = os.path.join(d, "odd.opml")
with open(odd, "w") as f:
    f.write('<opml version="2.0"><body><outline title="Two&#10;lines" xmlUrl="http://a.example/x"/>'
            '<outline text="Same name" xmlUrl="http://a.example/x.rss?v=2"/></body></opml>')
rc, out, err = braid(conf, "import", odd)
s.check("import of odd titles and clashing names exits 0", rc == 0, f"rc={rc} {err}")
s.check("a line break in an OPML title becomes a space",
        open(os.path.join(d, "feeds.d", "a.example-x.feed")).read() == "url = http://a.example/x\ntitle = Two lines\n")
s.check("a derived name taken by another URL gets a suffix",
        os.path.isfile(os.path.join(d, "feeds.d", "a.example-x-2.feed")), repr(os.listdir(os.path.join(d, "feeds.d"))))

# -- configuration errors --
d, conf = setup("badconf", "[poll]\nintervall = 5m\n")
rc, out, err = braid(conf, "feeds", "list")
s.check("config error exits 2", rc == 2, f"rc={rc}")
s.check("config error names file and line", "braid.conf:2: unknown key 'intervall' in [poll]" in err, err)

d, conf = setup("badfeed", "", {"good.feed": "url = https://good.example/\ninterval = 5m\n",
                                "bad.feed": "url = https://bad.example/\nintervall = 5m\n"})
rc, out, err = braid(conf, "feeds", "list")
s.check("a broken feed file makes list exit 2", rc == 2, f"rc={rc}")
s.check("the error names feed file and line", "bad.feed:2: unknown key 'intervall'" in err, err)
s.check("good feeds are still listed", out == "good\thttps://good.example/\t-\t5m\n", repr(out))

rc, out, err = braid(os.path.join(s.tmp, "nope", "braid.conf"), "feeds", "list")
s.check("a named config file that does not exist exits 2", rc == 2, f"rc={rc}")
s.check("missing config error names the file", "nope/braid.conf: No such file or directory" in err, err)

# [feeds] dir relative to the config file; $BRAID_CONFIG when --config is absent.
d, conf = setup("feedsdir", "[feeds]\ndir = subs\n", None)
os.makedirs(os.path.join(d, "subs"))
with open(os.path.join(d, "subs", "x.feed"), "w") as f:
    f.write("url = file:///srv/x.xml\n")
r = run_braid("feeds", "list", env={"BRAID_CONFIG": conf})
s.check("$BRAID_CONFIG and a relative [feeds] dir are honoured",
        r.returncode == 0 and r.stdout.decode() == "x\tfile:///srv/x.xml\t-\t15m\n",
        f"rc={r.returncode} out={r.stdout!r} err={r.stderr!r}")

for cmd in (["feeds", "--help"], ["import", "--help"], ["export-opml", "--help"]):
    r = run_braid(*cmd)
    s.check(f"{' '.join(cmd)} exits 0 with usage", r.returncode == 0 and b"usage: braid" in r.stdout,
            f"rc={r.returncode}")

# -- hostile feeds.d and OPML files (issue 14 items 11 and 16) --
d, conf = setup("hostile", "[store]\npath = braid.db\n",
                {"good.feed": "url = file:///nonexistent/braid/x.xml\n"})
fd = os.path.join(d, "feeds.d")
os.mkfifo(os.path.join(fd, "fifo.feed"))
secret = os.path.join(s.tmp, "secret.txt")
with open(secret, "w") as f:
    f.write("topsecretkey:x:0:0\nurl = https://leak.example/\n")
os.symlink(secret, os.path.join(fd, "passwd.feed"))
with open(os.path.join(fd, "inside.target"), "w") as f:
    f.write("url = https://inside.example/\n")
os.symlink("inside.target", os.path.join(fd, "inside.feed"))
feed_fifo = os.path.join(s.tmp, "feed.fifo")
os.mkfifo(feed_fifo)
with open(os.path.join(fd, "pipe.feed"), "w") as f:
    f.write(f"url = file://{feed_fifo}\n")
try:
    rc, out, err = braid(conf, "feeds", "list")
    s.check("a FIFO in feeds.d does not hang feeds list (exit 2)", rc == 2, f"rc={rc} {err}")
    s.check("the FIFO is named as not a regular file", "fifo.feed: not a regular file" in err, err)
    s.check("a symlink out of feeds.d is refused, naming it",
            "passwd.feed: a symlink that leads out of the feeds directory is not read" in err, err)
    s.check("nothing of the linked file is echoed", "topsecret" not in err and "leak" not in out + err,
            err)
    s.check("a symlink inside feeds.d is read", "inside\thttps://inside.example/" in out, out)
    r = run_braid("poll", "--once", "--config", conf, timeout=30)
    log = r.stderr.decode()
    s.check("poll --once with a FIFO feed file and a file:// FIFO URL ends (exit 1)",
            r.returncode == 1, f"rc={r.returncode}\n{log}")
    s.check("the file:// FIFO is reported as not a regular file", "not a regular file" in log
            and "feed=pipe" in log, log)
except Exception as e:  # a hang shows up as subprocess.TimeoutExpired
    s.check("hostile feeds.d handled without hanging", False, repr(e))

d, conf = setup("importfile")
opml = os.path.join(s.tmp, "file.opml")
with open(opml, "w") as f:
    f.write('<?xml version="1.0"?><opml version="2.0"><head/><body>'
            '<outline type="rss" text="s" xmlUrl="file:///etc/shadow"/>'
            '<outline type="rss" text="w" xmlUrl="https://web.example/feed"/></body></opml>')
rc, out, err = braid(conf, "import", opml)
s.check("import skips a file:// URL without --allow-file", rc == 0 and "1 added, 1 skipped" in err
        and "skipped file:///etc/shadow: a file URL (give --allow-file to import it)" in err, f"rc={rc} {err}")
s.check("no feed file for the file:// URL", sorted(os.listdir(os.path.join(d, "feeds.d"))) == ["web.example.feed"],
        repr(os.listdir(os.path.join(d, "feeds.d"))))
rc, out, err = braid(conf, "import", "--allow-file", opml)
s.check("import --allow-file takes the file:// URL", rc == 0 and "1 added, 1 skipped" in err
        and len(os.listdir(os.path.join(d, "feeds.d"))) == 2, f"rc={rc} {err}")

s.finish()
