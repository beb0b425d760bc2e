"""braid parse: the contract JSON for every format, encoding and hostile case in
tests/fixtures/parse/, plus generated big feeds that hit the caps with bounded memory."""
import json
import os
import subprocess
import sys

from braidtest import BRAID, Suite, fixture, run_braid

s = Suite("parse")
P = lambda name: fixture("parse", name)


def parse(path, *extra):
    r = run_braid("parse", path, *extra, timeout=120)
    try:
        doc = json.loads(r.stdout) if r.stdout else None
    except ValueError as e:
        doc = None
        s.check(f"{path}: output is JSON", False, str(e))
    return r, doc


def fields(path, want_feed=None, want_entries=None, **head):
    r, d = parse(path)
    name = os.path.basename(path)
    if not s.check(f"{name}: exit 0 and JSON", r.returncode == 0 and d is not None,
                   f"rc={r.returncode} stderr={r.stderr[-300:]!r}"):
        return None
    for k, v in head.items():
        s.check(f"{name}: {k}", d[k] == v, f"got {d[k]!r}, want {v!r}")
    for k, v in (want_feed or {}).items():
        s.check(f"{name}: feed.{k}", d["feed"][k] == v, f"got {d['feed'][k]!r}, want {v!r}")
    if want_entries is not None:
        s.check(f"{name}: entry count", len(d["entries"]) == len(want_entries),
                f"got {len(d['entries'])}, want {len(want_entries)}")
        for i, (got, want) in enumerate(zip(d["entries"], want_entries)):
            for k, v in want.items():
                s.check(f"{name}: entries[{i}].{k}", got[k] == v, f"got {got[k]!r}, want {v!r}")
    return d


# ---- the contract's shape ----
r, d = parse(P("seeds-rss2.rss"))
s.check("keys in contract order", list(d.keys()) == ["format", "encoding", "wellformed", "errors", "feed", "entries"], list(d.keys()))
s.check("feed keys", list(d["feed"].keys()) == ["title", "link", "id", "subtitle", "updated", "language", "author", "image", "ttl"], list(d["feed"].keys()))
s.check("entry keys", list(d["entries"][0].keys()) == ["id", "title", "link", "published", "updated", "author", "summary", "content", "categories", "enclosures"], list(d["entries"][0].keys()))

# ---- the seeds, in the three formats ----
seed_titles = ["Is the Homs massacre a sign that Assad is nearing his end?",
               "Syrian army ready to launch \u2018final offensive\u2019 in Homs?",
               "Syrian army flees Homs, cutting Assad off from coast",
               "Syrians defy assault on Homs",
               "Syria (and Beyond) LiveBlog: Noticing\u00a0Homs"]
seed_dates = ["2012-02-06T12:00:00Z", "2012-02-23T12:00:00Z", "2024-12-07T12:00:00Z",
              "2012-03-02T09:00:00Z", "2011-11-08T21:30:00Z"]
seed_text = {k: open(fixture("seeds", f), encoding="utf-8").read() for k, f in
             [("000", "000_f6656edf75e234ab.txt"), ("004", "004_887b92821c214543.txt")]}
for name, fmt, body_key in [("seeds-rss2.rss", "rss2.0", "content"), ("seeds-atom.atom", "atom1.0", "content"),
                            ("seeds-rss1.rdf", "rss1.0", "summary")]:
    d = fields(P(name), {"link": "https://example.org/homs/"},
               [{"title": t, "published": dt} for t, dt in zip(seed_titles, seed_dates)],
               format=fmt, encoding="utf-8", wellformed=True, errors=[])
    if d:
        body = d["entries"][0][body_key]
        s.check(f"{name}: seed 000 body holds its text twice", body.count("It is estimated that more than 400 people") == 2, body[:200])
        s.check(f"{name}: bodies are <p> paragraphs", body.startswith("<p>") and body.endswith("</p>"), body[:80])
        live = d["entries"][4][body_key]
        s.check(f"{name}: live blog stamps kept", "<p>2120 GMT: Back from an academic break" in live and "0510 GMT:" in live, live[:300])
d = fields(fixture("feeds", "homs-liveblog.rss"), {"title": "EA WorldView live blog"},
           [{"title": seed_titles[4], "published": "2011-11-08T21:30:00Z", "author": "Scott Lucas",
             "link": "https://example.org/homs/liveblog-noticing-homs"}], format="rss2.0")
fields(fixture("feeds", "homs-news.atom"), {"title": "Homs news"},
       [{"title": seed_titles[i], "published": seed_dates[i]} for i in (0, 1, 3)], format="atom1.0")
fields(fixture("feeds", "homs-wire.rdf"), {"title": "Homs wire"},
       [{"title": seed_titles[2], "published": seed_dates[2], "id": "https://example.org/homs/army-flees-homs"}], format="rss1.0")

# ---- the other formats ----
fields(P("rss091.xml"), {"title": "Old & gold", "language": "en-gb", "image": "http://example.com/logo.gif", "subtitle": "An RSS 0.91 channel"},
       [{"title": "First \u00e9t\u00e9 \u2014 item", "link": "http://example.com/1", "summary": "One & only"},
        {"title": "Second", "link": "http://example.com/2.html"}],
       format="rss0.9x", encoding="iso-8859-1", wellformed=True)
fields(P("rss092.xml"), {"title": "Ninety-two"},
       [{"title": None, "summary": "<p>Only a description</p>", "categories": ["Music"],
         "enclosures": [{"url": "http://example.com/a.mp3", "type": "audio/mpeg", "length": 4096}]}], format="rss0.9x")
fields(P("rss090.rdf"), {"title": "Mozilla Dot Org", "link": "http://www.mozilla.org"},
       [{"title": "New Status Updates", "link": "http://www.mozilla.org/status/"}], format="rss0.9x")
fields(P("atom03.xml"), {"title": "Atom zero three", "subtitle": "old Atom", "updated": "2003-12-13T18:30:02Z", "language": "fr", "author": "Mark"},
       [{"id": "tag:example.org,2003:3.2397", "published": "2003-12-13T12:29:29Z", "updated": "2003-12-13T18:30:02Z",
         "summary": "Some text.", "content": "<p>escaped <b>html</b></p>", "link": "http://example.org/2003/12/13/atom03"}], format="atom0.3")
fields(P("atom10-text.xml"),
       {"title": "Feed title", "subtitle": "a < b", "link": "http://example.org/", "id": "urn:uuid:feed", "image": "http://example.org/blog/logo.png"},
       [{"title": "Less <than> & more", "link": "http://example.org/blog/posts/1.html", "author": "Mark Pilgrim",
         "summary": "<p>html summary</p>", "categories": ["tech"],
         "content": '<p><i>[Update: The Atom draft is finished.]</i> see <a href="http://other.example/x">x</a></p>',
         "enclosures": [{"url": "http://example.org/audio/ph34r_my_podcast.mp3", "type": "audio/mpeg", "length": 1337}]},
        {"title": "Second", "link": "http://example.org/2", "content": None}], format="atom1.0")
fields(P("jsonfeed.json"), {"title": "JSON & feed", "link": "https://example.org/", "id": "https://example.org/feed.json", "author": "Jay", "image": "https://example.org/icon.png"},
       [{"id": "1", "title": "Hello", "link": "https://example.org/posts/1", "published": "2020-01-02T02:04:05Z", "updated": "2020-01-03T00:00:00Z",
         "summary": "a &lt; b", "content": "<p>Hi</p>", "categories": ["x", "y"],
         "enclosures": [{"url": "https://example.org/a.mp3", "type": "audio/mpeg", "length": 99}]},
        {"id": "2", "link": "https://elsewhere.example/2", "author": "Old", "content": "plain &amp; simple"}], format="jsonfeed1")
fields(P("rss-extensions.xml"), {"author": "Channel Person", "image": "http://example.com/cover.jpg", "updated": "2012-02-23T08:00:00Z"},
       [{"author": "Jo & Co", "published": "2012-02-06T12:00:00Z", "categories": ["Syria", "Homs"], "summary": "desc",
         "content": "<p>full <em>body</em></p>",
         "enclosures": [{"url": "http://example.com/v.mp4", "type": "video/mp4", "length": 1000},
                        {"url": "http://example.com/t.jpg", "type": None, "length": None}]}])
fields(P("raw-html-description.xml"), None,
       [{"title": "Markup in title bold", "summary": '<p>Unescaped <a href="http://x.example/?a=1&amp;b=2">markup</a><br>here</p>'}])
fields(P("xmlbase.xml"), None,
       [{"link": "http://example.com/site/a/1.html"}, {"link": "http://base.example/dir/2.html"},
        {"link": "http://base.example/dir/3.html"}, {"link": "http://example.com/guid/4", "id": "http://example.com/guid/4"},
        {"link": "http://example.com/5"}])

# ---- text: entities, double escaping ----
fields(P("html-entities.xml"), {"title": "Entities\u00a0\u2026", "link": "http://example.com/?a=1&b=2"},
       [{"title": "Caf\u00e9 \u201cquoted\u201d \u2014 \u20ac5 &unknownentity; \u00e9\u263a\u2013",
         "link": "http://example.com/p?a=1&b=\u00e9", "summary": "<p>x&nbsp;y</p>"}], wellformed=True)

# plain-text DTD entities are expanded (as feedparser does); anything that could nest is not
d = fields(P("dtd-entities.xml"), {"title": "AA"},
           [{"id": "C:\\data\\1\\new", "title": "&who;", "link": "http://e.x/?A=1"}])
if d:
    s.check("dtd entities: the refused one is reported", d["errors"] == ["line 3: entity 'who' declared in the DTD is not expanded"], d["errors"])
# people: "email (Name)" and "Name <email>" give the name
fields(P("rss-authors.xml"), {"author": "The Editor"},
       [{"author": "Example editor"}, {"author": "Jo Bloggs"}, {"author": "me@example.com"}])

# relative links inside content resolve against xml:base, else the document URL
fields(P("content-links.xml"), None,
       # Atom 0.3's application/xhtml+xml has no wrapper: its <div> is content (as in feedparser)
       [{"content": '<div>Example <a href="http://example.com/test/test.html">test</a> <img src="http://example.com/test/i.png" alt="x"></div>',
         "summary": '<div><a href="http://example.com/relative/uri">click here</a> <a href=http://abs.example/x>abs</a> '
                    '<a href="http://example.com/parent/#top">top</a></div>'}], format="atom0.3")

# bare '&' and stray '<' (which stop libxml2's recovery cold) are repaired, not fatal
d = fields(P("unescaped.xml"), {"title": "Lead ws"},
           [{"title": "AT&T & friends < 3", "link": "http://x/?a=1&b=2"}], wellformed=False)
if d:
    s.check("unescaped: repairs reported", "4 bare '&', stray '<' or unquoted attribute values were repaired" in d["errors"], d["errors"])

# an end tag that closes an element other than the open one closes up to it, so one unclosed
# <title> or <p> does not swallow the rest of the feed
d = fields(P("unclosed-tags.xml"), None,
           [{"title": "one"}, {"title": "two", "link": "http://x/2"}, {"title": "three", "summary": "<p>unclosed para</p>"},
            {"title": "four"}], wellformed=False)

# a stray end tag closes nothing
fields(P("stray-end-tag.xml"), {"link": None},
       [{"title": "a", "link": "http://x/1"}, {"title": "b", "link": "http://x/2"}], wellformed=False)

# entities inside attribute values (libxml2 would copy one byte of each: invalid UTF-8)
fields(P("attr-entities.xml"), None,
       [{"summary": '<p title="&lt;t&gt;" class="\u00e9">d</p>',
         "enclosures": [{"url": "http://x/?q=&r=\u00a9", "type": "a\u00e9b", "length": 1}]}])

# Atom 0.3 mode="base64", read as its type says
fields(P("atom03-base64.xml"), {"title": "Feed &amp; title"},
       [{"title": "b64", "summary": "a &lt; b &amp; c",
         "content": '<p>caf\u00e9 <a href="http://example.org/rel.html">link</a></p>'}], format="atom0.3")

# &amp; after a well-formedness error (libxml2 alone drops every entity once it saw one)
fields(P("entity-after-error.xml"), None, [{"title": "ax & y", "link": "http://x/?a=1&b=2"}], wellformed=False)

# ---- encodings ----
fields(P("cp1252-mislabeled.xml"), {"title": "Caf\u00e9 \u201cquoted\u201d \u2013 dash"},
       [{"title": "na\u00efve r\u00e9sum\u00e9 \u20ac 5 \u2014 real utf-8"}], encoding="utf-8")
fields(P("invalid-utf8.xml"), {"title": "Bad \ufffd bytes"}, [{"title": "A\ufffdB\ufffdC", "summary": "ok \ufffd \ufffd end"}])
fields(P("latin1-declared.xml"), {"title": "Gr\u00fc\u00dfe aus K\u00f6ln"}, [{"title": "\u00a9 \u00bd"}], encoding="iso-8859-1")
fields(P("koi8r.xml"), {"title": "\u041f\u0440\u0438\u0432\u0435\u0442"}, [{"title": "\u043c\u0438\u0440"}], encoding="koi8-r")
fields(P("utf16-bom.xml"), {"title": "Sixteen \u2603"}, [{"title": "snow \u2603 man"}], encoding="utf-16le")
fields(P("utf8-bom-latin1-decl.xml"), {"title": "BOM wins: \u00e9"}, encoding="utf-8")

# ---- broken and hostile ----
d = fields(P("truncated.xml"), {"title": "Cut short"},
           [{"title": "Complete", "link": "http://example.com/1"}, {"title": "Broken tag item", "summary": "a & b \u00a0c"},
            {"title": "Half", "link": "http://example.com/3"}], wellformed=False)
if d:
    s.check("truncated: errors name lines", d["errors"][0] == "line 4: Opening and ending tag mismatch: b line 4 and i", d["errors"])
    s.check("truncated: the cut item is reported", "item 3: the document ended inside it" in d["errors"], d["errors"])
d = fields(P("billion-laughs.xml"), {"title": "Laughs"}, [{"title": "&lol9;", "summary": "&lol9;"}])
if d:
    s.check("billion laughs: declared entities reported, not expanded",
            "line 12: entity 'lol9' declared in the DTD is not expanded" in d["errors"], d["errors"])
secret = open(P("xxe-secret.txt")).read().strip()
passwd_line = open("/etc/passwd").readline().strip()
for name in ("xxe.xml", "xxe-dtd.xml"):
    r, d = parse(P(name))
    out = r.stdout.decode("utf-8", "replace") + r.stderr.decode("utf-8", "replace")
    s.check(f"{name}: exit 0", r.returncode == 0, r.stderr)
    s.check(f"{name}: the local file's content never appears", secret not in out, out[:500])
    s.check(f"{name}: /etc/passwd never appears", passwd_line not in out, out[:500])
r, d = parse(P("xxe.xml"))
s.check("xxe: reference passes through as text", d["entries"][0]["title"] == "A &secret; B", d["entries"][0])

r, _ = parse(P("not-a-feed.html"))
s.check("not a feed: exit 1", r.returncode == 1, r.returncode)
s.check("not a feed: reason names the file", b"not-a-feed.html: nothing to read: not an RSS, Atom or JSON Feed document" in r.stderr, r.stderr)
s.check("not a feed: nothing on stdout", r.stdout == b"", r.stdout[:100])

# ---- an empty feed is a feed: format, encoding, feed fields, "entries": [], exit 0 ----
EMPTY = [
    ("rss20-empty.xml", '<?xml version="1.0"?><rss version="2.0"><channel></channel></rss>', "rss2.0", {}),
    ("rss20-titled.xml", '<rss version="2.0"><channel><title>T</title><link>http://e.com/</link>'
     '<description>D</description><language>en</language><ttl>5</ttl></channel></rss>', "rss2.0",
     {"title": "T", "link": "http://e.com/", "subtitle": "D", "language": "en", "ttl": 5}),
    ("rss091-empty.xml", '<rss version="0.91"><channel><title>N</title></channel></rss>', "rss0.9x", {"title": "N"}),
    ("rss-bare.xml", '<rss version="2.0"/>', "rss2.0", {"title": None}),
    ("rdf-empty.rdf", '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
     'xmlns="http://purl.org/rss/1.0/"><channel rdf:about="http://e.com/"><link>http://e.com/</link></channel></rdf:RDF>',
     "rss1.0", {"link": "http://e.com/", "title": None}),
    ("rss090-empty.rdf", '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
     'xmlns="http://my.netscape.com/rdf/simple/0.9/"><channel><title>Old</title></channel></rdf:RDF>', "rss0.9x",
     {"title": "Old"}),
    ("atom10-empty.xml", '<feed xmlns="http://www.w3.org/2005/Atom"><id>urn:x</id><updated>2024-01-02T03:04:05Z</updated></feed>',
     "atom1.0", {"id": "urn:x", "updated": "2024-01-02T03:04:05Z", "title": None}),
    ("atom10-bare.xml", '<feed xmlns="http://www.w3.org/2005/Atom"/>', "atom1.0", {"title": None}),
    ("atom03-empty.xml", '<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>Z</title></feed>', "atom0.3",
     {"title": "Z"}),
    ("jsonfeed-empty.json", '{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": []}', "jsonfeed1",
     {"title": "J"}),
    ("jsonfeed-noitems.json", '{"version": "https://jsonfeed.org/version/1"}', "jsonfeed1", {"title": None}),
]
for name, body, fmt, feed in EMPTY:
    path = os.path.join(s.tmp, name)
    with open(path, "w") as f:
        f.write(body)
    d = fields(path, feed, [], format=fmt, encoding="utf-8")
    if d:
        s.check(f"{name}: the whole feed object is printed", list(d["feed"].keys()) == ["title", "link", "id", "subtitle", "updated", "language", "author", "image", "ttl"], d["feed"])
with open(os.path.join(s.tmp, "empty16.xml"), "wb") as f:
    f.write('<?xml version="1.0" encoding="utf-16"?><rss version="2.0"><channel><title>\u00e9</title></channel></rss>'.encode("utf-16"))
fields(os.path.join(s.tmp, "empty16.xml"), {"title": "\u00e9"}, [], format="rss2.0", encoding="utf-16le")
# still not feeds: exit 1, nothing on stdout, the reason on stderr
NOT_FEEDS = [("html.xml", "<html><body><item><title>x</title></item></body></html>", b"not an RSS, Atom or JSON Feed document"),
             ("json-array.json", "[1, 2]", b"not an RSS, Atom or JSON Feed document"),
             ("json-other.json", '{"version": "2", "items": []}', b"not a JSON Feed"),
             ("zero.xml", "", b"empty document"),
             ("garbage.xml", "just some text", b"not an RSS, Atom or JSON Feed document")]
for name, body, why in NOT_FEEDS:
    path = os.path.join(s.tmp, name)
    with open(path, "w") as f:
        f.write(body)
    r, _ = parse(path)
    s.check(f"{name}: exit 1", r.returncode == 1, r.returncode)
    s.check(f"{name}: nothing on stdout", r.stdout == b"", r.stdout[:100])
    s.check(f"{name}: reason names the file", name.encode() in r.stderr and why in r.stderr, r.stderr)

# deep nesting: far past libxml2's own limit of 256
deep = os.path.join(s.tmp, "deep.xml")
with open(deep, "w") as f:
    f.write('<rss version="2.0"><channel><title>Deep</title><item><title>before</title></item><item><title>x</title><description>')
    f.write("<div>" * 100000)
    f.write("</div>" * 100000)
    f.write("</description></item></channel></rss>")
d = fields(deep, {"title": "Deep"}, None, wellformed=True)
if d:
    s.check("deep: the item before is kept", d["entries"][0]["title"] == "before", d["entries"][:1])
    s.check("deep: our depth cap is named", any("BRAID_PARSE_MAX_DEPTH (64)" in e for e in d["errors"]), d["errors"])

# content after the root element: libxml2 stops there, which is not a cap being hit
junk = os.path.join(s.tmp, "junk-after-root.xml")
with open(junk, "w") as f:
    f.write('<rss version="2.0"><channel><title>J</title><item><title>kept</title></item></channel></rss>\n')
    f.write("<rss>" + "junk " * 2000000)
d = fields(junk, {"title": "J"}, [{"title": "kept"}], wellformed=False)
if d:
    s.check("junk after root: libxml2's error, no cap", d["errors"] == ["line 2: Extra content at the end of the document"], d["errors"])

# ---- CLI ----
r = run_braid("parse", "--help")
s.check("--help: exit 0 with usage", r.returncode == 0 and b"usage: braid parse FILE|-" in r.stdout, r.stdout)
r = run_braid("parse")
s.check("no argument: exit 2", r.returncode == 2 and b"usage" in r.stderr, r.returncode)
r = run_braid("parse", "a", "b")
s.check("two arguments: exit 2", r.returncode == 2, r.returncode)
r = run_braid("parse", "--bogus")
s.check("unknown option: exit 2", r.returncode == 2, r.returncode)
r = run_braid("parse", os.path.join(s.tmp, "missing.xml"))
s.check("missing file: exit 1 naming it", r.returncode == 1 and b"missing.xml" in r.stderr, r.stderr)
with open(P("rss091.xml"), "rb") as f:
    r = run_braid("parse", "-", stdin=f)
d = json.loads(r.stdout)
s.check("stdin: parsed", r.returncode == 0 and d["entries"][1]["link"] == "http://example.com/2.html", r.stderr)
# relative links with no feed link resolve against file:// + the absolute path
rel = os.path.join(s.tmp, "rel.xml")
with open(rel, "w") as f:
    f.write('<rss version="2.0"><channel><title>R</title><item><link>sub/x.html</link></item></channel></rss>')
r, d = parse(rel)
s.check("file argument: base is file:// + absolute path", d["entries"][0]["link"] == "file://" + os.path.join(os.path.realpath(s.tmp), "sub/x.html"), d["entries"][0]["link"])
os.makedirs(os.path.join(s.tmp, "a b"))
with open(os.path.join(s.tmp, "a b", "rel.xml"), "w") as f:
    f.write('<rss version="2.0"><channel><title>R</title><item><link>sub/x.html</link></item></channel></rss>')
r, d = parse(os.path.join(s.tmp, "a b", "rel.xml"))
s.check("file argument: a path with a space is percent-encoded", d["entries"][0]["link"] == "file://" + os.path.join(os.path.realpath(s.tmp), "a%20b/sub/x.html"), d["entries"][0]["link"])


# ---- generated big feeds: caps hit with a clear error, memory bounded ----
def asan_build():
    with open(BRAID, "rb") as f:
        return b"__asan_init" in f.read()


TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


def run_measured(path, out_path):
    """Runs braid parse PATH > OUT_PATH; returns (status, stderr, peak RSS in KiB or 0).
    The peak is measured by /usr/bin/time: a child forked from this (large) Python process
    would count Python's pages as its own until it execs."""
    mem = os.path.join(s.tmp, "maxrss")
    cmd = [BRAID, "parse", path]
    if TIME:
        cmd = [TIME, "-f", "%M", "-o", mem] + cmd
    with open(out_path, "wb") as out:
        r = subprocess.run(cmd, stdout=out, stderr=subprocess.PIPE, timeout=300)
    kib = int(open(mem).read().split()[-1]) if TIME else 0
    return r.returncode, r.stderr, kib


gen = os.path.join(os.environ.get("BRAID_SOURCE", "../.."), "tests", "bench", "parse", "gen.py")
big = os.path.join(s.tmp, "big100.rss")
subprocess.run([sys.executable, gen, big, "100", "300"], check=True)
rc, err, rss_kib = run_measured(big, os.path.join(s.tmp, "big100.json"))
s.check("100 MB feed: exit 1 (a cap was hit)", rc == 1, (rc, err))
s.check("100 MB feed: error names BRAID_PARSE_MAX_ITEMS", b"feed has more than BRAID_PARSE_MAX_ITEMS (100000) items; stopped there" in err, err)
with open(os.path.join(s.tmp, "big100.json"), "rb") as f:
    d = json.load(f)
s.check("100 MB feed: the first 100000 items are printed", len(d["entries"]) == 100000, len(d["entries"]))
s.check("100 MB feed: last printed item", d["entries"][-1]["id"] == "urn:bench:100000", d["entries"][-1]["id"])
if TIME and not asan_build():
    s.check("100 MB feed: peak memory under 32 MB", rss_kib < 32 * 1024, f"{rss_kib} KiB")
os.unlink(big)
d = None

one = os.path.join(s.tmp, "single50.rss")
subprocess.run([sys.executable, gen, one, "50", "--single"], check=True)
rc, err, rss_kib = run_measured(one, os.path.join(s.tmp, "single50.json"))
with open(os.path.join(s.tmp, "single50.json"), "rb") as f:
    d = json.load(f)
s.check("50 MB item: exit 0, item delivered", rc == 0 and len(d["entries"]) == 1, (rc, err))
s.check("50 MB item: content cut to the cap", len(d["entries"][0]["content"].encode()) <= 2 * 1024 * 1024, len(d["entries"][0]["content"]))
s.check("50 MB item: error names the field and the cap",
        "item 1: content exceeds BRAID_PARSE_MAX_FIELD_BYTES (2097152 bytes); cut" in d["errors"], d["errors"])
if TIME and not asan_build():
    s.check("50 MB item: peak memory under 32 MB", rss_kib < 32 * 1024, f"{rss_kib} KiB")
os.unlink(one)

# one CDATA section of 50 MB: libxml2 would buffer it whole, so the text cap stops it
cdata = os.path.join(s.tmp, "cdata50.rss")
with open(cdata, "w") as f:
    f.write('<rss version="2.0"><channel><title>C</title><item><title>big cdata</title><description><![CDATA[')
    para = "<p>plain paragraph text with no entities at all</p>\n" * 1000
    for _ in range(1000):
        f.write(para)
    f.write("]]></description></item></channel></rss>")
rc, err, rss_kib = run_measured(cdata, os.path.join(s.tmp, "cdata50.json"))
with open(os.path.join(s.tmp, "cdata50.json"), "rb") as f:
    d = json.load(f)
s.check("50 MB CDATA: exit 1 naming BRAID_PARSE_MAX_TEXT_BYTES",
        rc == 1 and b"a CDATA section, comment or processing instruction longer than BRAID_PARSE_MAX_TEXT_BYTES (4194304 bytes); stopped there" in err, (rc, err))
s.check("50 MB CDATA: the cut item is reported", "item 1: the parse stopped inside it" in d["errors"], d["errors"])
s.check("50 MB CDATA: the item is delivered as far as it was read", [e["title"] for e in d["entries"]] == ["big cdata"], d["entries"][:1])
if TIME and not asan_build():
    s.check("50 MB CDATA: peak memory under 32 MB", rss_kib < 32 * 1024, f"{rss_kib} KiB")
os.unlink(cdata)

# one attribute value of 50 MB: nothing for libxml2 to report until it ends
attr = os.path.join(s.tmp, "attr50.rss")
with open(attr, "w") as f:
    f.write('<rss version="2.0"><channel><title>A</title><item><title>t</title><enclosure url="http://x/')
    for _ in range(50):
        f.write("a" * (1 << 20))
    f.write('"/></item></channel></rss>')
rc, err, rss_kib = run_measured(attr, os.path.join(s.tmp, "attr50.json"))
s.check("50 MB attribute: exit 1 naming BRAID_PARSE_MAX_TEXT_BYTES",
        rc == 1 and b"more than BRAID_PARSE_MAX_TEXT_BYTES (4194304 bytes) in one run the parser must buffer whole" in err, (rc, err))
if TIME and not asan_build():
    s.check("50 MB attribute: peak memory under 32 MB", rss_kib < 32 * 1024, f"{rss_kib} KiB")
os.unlink(attr)

s.finish()
