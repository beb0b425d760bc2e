"""The HTML page a person reads, end to end (issue 13, item 4), parsed with html5lib.

braid polls the offline demo feeds (a live blog of 13 updates and two news feeds, file://),
`braid export --format html` writes the page: the live blog must be one group holding all its
updates newest first, titled once, with its sources and "13 updates"; each update's stamp once;
the group placed among the other stories by the time of its newest update.
"""
import re

from braidtest import Suite, demo_feeds, run_braid

s = Suite("render_page")
try:
    import html5lib
except ImportError:
    s.skip("python3-html5lib is not installed (apt-get install python3-html5lib)")
    s.finish()

conf = demo_feeds(s.tmp)
r = run_braid("poll", "--once", "--config", conf)
s.check("the demo feeds poll", r.returncode == 0, r.stderr.decode())
r = run_braid("export", "--format", "html", "--config", conf)
s.check("export --format html succeeds", r.returncode == 0, r.stderr.decode())
page = r.stdout.decode()

parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
try:
    tree = parser.parse(page)
except html5lib.html5parser.ParseError as e:
    s.check("the page parses as HTML5 without an error", False, str(e))
    s.finish()


def text(e):
    return "".join(e.itertext()).strip()


def cls(e):
    return (e.get("class") or "").split()


main = tree.find(".//main")
groups = [c for c in main if c.tag == "section" and "live" in cls(c)]
s.check("the live blog is exactly one group", len(groups) == 1, [text(g)[:80] for g in groups])
if groups:
    g = groups[0]
    updates = [a for a in g.iter("article") if "update" in cls(a)]
    s.check("the group holds all 13 updates", len(updates) == 13, len(updates))
    heads = list(g.iter("h2"))
    s.check("the blog's title is written once", len(heads) == 1, [text(h) for h in heads])
    title = text(heads[0]).removeprefix("Live") if heads else ""
    s.check("no update repeats the blog's title",
            all(title not in text(a) for a in updates), title)
    count = [text(e) for e in g.iter("span") if "count" in cls(e)]
    s.check('the group says "13 updates"', count == ["13 updates"], count)
    meta = next((p for p in g.iter("p") if "meta" in cls(p)), None)
    s.check("the group names its source", meta is not None and len(list(meta.iter("a"))) >= 1,
            text(meta) if meta is not None else None)
    stamps = [(t.get("datetime"), text(t)) for a in updates for t in a.iter("time") if "stamp" in cls(t)]
    s.check("one stamp per update", len(stamps) == len(updates), stamps)
    s.check("each stamp printed once in its update",
            all(text(a).count(st) == 1 for a, (_, st) in zip(updates, stamps)),
            [text(a)[:60] for a in updates])
    times = [d for d, _ in stamps]
    s.check("updates newest first", times == sorted(times, reverse=True), times)

# Every top-level block's time: a group's is its newest update's, a story's its <time>.
tops = []
for c in main:
    t = c.find(".//time")
    if t is not None:
        tops.append((c.tag, t.get("datetime")))
s.check("several stories beside the live blog", len(tops) >= 4, tops)
s.check("the group sits among the stories by its newest update's time",
        [d for _, d in tops] == sorted([d for _, d in tops], reverse=True), tops)
s.check("every datetime is UTC RFC 3339",
        all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", d or "") for _, d in tops), tops)
s.finish()
