#!/usr/bin/env python3
"""gen.py OUT MB [ITEM_BYTES] [--single]: writes an RSS 2.0 feed of about MB megabytes.
Items carry a title, link, guid, pubDate, dc:creator, category and an HTML description
(escaped, as most feeds do); --single writes one item whose content:encoded is MB megabytes."""
import sys

out, mb = sys.argv[1], float(sys.argv[2])
item_bytes = int(sys.argv[3]) if len(sys.argv) > 3 and not sys.argv[3].startswith("-") else 2000
single = "--single" in sys.argv
target = int(mb * 1024 * 1024)
para = ("&lt;p&gt;Syrian government forces abandoned the key city of Homs on Saturday after less than "
        "a day of fighting &amp;mdash; caf\u00e9 &lt;a href=&quot;https://example.org/x?a=1&amp;amp;b=2&quot;&gt;"
        "link&lt;/a&gt;&lt;/p&gt;\n")
with open(out, "w", encoding="utf-8") as f:
    f.write('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/">\n<channel>\n'
            '<title>Generated</title><link>https://example.org/</link><description>bench</description>\n')
    written = 200
    if single:
        f.write('<item><title>One big item</title><link>https://example.org/big</link><content:encoded>')
        chunk = para * 64
        while written < target:
            f.write(chunk)
            written += len(chunk)
        f.write('</content:encoded></item>\n')
    else:
        n = 0
        reps = max(1, item_bytes // len(para))
        body = para * reps
        while written < target:
            n += 1
            s = ('<item><title>Item %d: Homs &amp; the coast</title><link>https://example.org/p/%d</link>'
                 '<guid isPermaLink="false">urn:bench:%d</guid><pubDate>Sat, 07 Dec 2024 12:%02d:00 GMT</pubDate>'
                 '<dc:creator>Reporter %d</dc:creator><category>Syria</category>'
                 '<description>%s</description></item>\n' % (n, n, n, n % 60, n % 7, body))
            f.write(s)
            written += len(s)
    f.write('</channel>\n</rss>\n')
