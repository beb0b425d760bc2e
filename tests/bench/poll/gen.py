#!/usr/bin/env python3
"""gen.py DOCROOT N MTIME: writes N distinct feeds, DOCROOT/f/00000.rss ... (every third one
Atom, named .atom), each about 5-20 KB, and sets every file's mtime to MTIME (epoch seconds) so
that one If-Modified-Since date matches them all. Every tenth feed is a live blog: one item
whose body holds 15-40 updates stamped "HHMM GMT:", newest first, as news sites write them.
Prints one URL path per line (/f/00000.rss ...) on stdout. Deterministic for a given N."""
import os
import random
import sys

root, n, mtime = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(os.path.join(root, "f"), exist_ok=True)

WORDS = ("shelling overnight residents water power districts authorities situation control "
         "officials figure casualties convoy border talks ceasefire market council minister "
         "report village hospital refugees road bridge north south coast capital envoy").split()
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
DAYS = "Mon Tue Wed Thu Fri Sat Sun".split()


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def sentence(rnd, words):
    return " ".join(rnd.choice(WORDS) for _ in range(words)).capitalize() + "."


def para(rnd):
    return "<p>" + " ".join(sentence(rnd, rnd.randint(8, 16)) for _ in range(rnd.randint(2, 4))) + "</p>"


def liveblog_body(rnd, i):
    updates = rnd.randint(15, 40)
    minute = 21 * 60 + 30
    out = []
    for u in range(updates):
        hh, mm = (minute // 60) % 24, minute % 60
        out.append('<div class="post" id="p%d-%d"><p><strong>%02d%02d GMT:</strong> %s</p></div>'
                   % (i, updates - u, hh, mm, sentence(rnd, rnd.randint(20, 40))))
        minute -= rnd.randint(5, 25)
    return "\n".join(out)


def rfc822(rnd):
    d, h, m = rnd.randint(1, 28), rnd.randint(0, 23), rnd.randint(0, 59)
    return "%s, %02d %s 2024 %02d:%02d:00 +0000" % (DAYS[d % 7], d, MONTHS[(d * 7) % 12], h, m)


def iso(rnd):
    return "2024-%02d-%02dT%02d:%02d:00Z" % (rnd.randint(1, 12), rnd.randint(1, 28),
                                             rnd.randint(0, 23), rnd.randint(0, 59))


def rss(rnd, i, live):
    items = []
    if live:
        items.append("<item><title>Live: day %d of the siege</title><link>https://site%d.example/live</link>"
                     "<guid>urn:bench:%d:live</guid><pubDate>%s</pubDate><description>%s</description></item>"
                     % (i, i, i, "Tue, 08 Nov 2011 21:30:00 +0000", esc(liveblog_body(rnd, i))))
    target = rnd.randint(5000, 20000)
    k = 0
    while sum(map(len, items)) < target:
        k += 1
        body = "".join(para(rnd) for _ in range(rnd.randint(1, 3)))
        items.append("<item><title>%s</title><link>https://site%d.example/%d</link><guid>urn:bench:%d:%d</guid>"
                     "<pubDate>%s</pubDate><description>%s</description></item>"
                     % (esc(sentence(rnd, 6)), i, k, i, k, rfc822(rnd), esc(body)))
    return ('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
            "<title>Bench feed %d</title><link>https://site%d.example/</link><description>generated</description>\n%s\n"
            "</channel></rss>\n" % (i, i, "\n".join(items)))


def atom(rnd, i, live):
    entries = []
    if live:
        entries.append('<entry><title>Live: day %d of the siege</title><link href="https://site%d.example/live"/>'
                       "<id>urn:bench:%d:live</id><updated>2011-11-08T21:30:00Z</updated>"
                       '<content type="html">%s</content></entry>' % (i, i, i, esc(liveblog_body(rnd, i))))
    target = rnd.randint(5000, 20000)
    k = 0
    while sum(map(len, entries)) < target:
        k += 1
        body = "".join(para(rnd) for _ in range(rnd.randint(1, 3)))
        entries.append('<entry><title>%s</title><link href="https://site%d.example/%d"/><id>urn:bench:%d:%d</id>'
                       '<updated>%s</updated><content type="html">%s</content></entry>'
                       % (esc(sentence(rnd, 6)), i, k, i, k, iso(rnd), esc(body)))
    return ('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
            '<title>Bench feed %d</title><id>urn:bench:%d</id><updated>2024-12-07T12:00:00Z</updated>'
            '<link href="https://site%d.example/"/>\n%s\n</feed>\n' % (i, i, i, "\n".join(entries)))


for i in range(n):
    rnd = random.Random(i)
    live = i % 10 == 0
    is_atom = i % 3 == 1
    doc = atom(rnd, i, live) if is_atom else rss(rnd, i, live)
    rel = "f/%05d.%s" % (i, "atom" if is_atom else "rss")
    path = os.path.join(root, rel)
    with open(path, "w", encoding="utf-8") as f:
        f.write(doc)
    os.utime(path, (mtime, mtime))
    print("/" + rel)
