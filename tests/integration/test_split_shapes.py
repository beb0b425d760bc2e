#!/usr/bin/env python3
"""`braid split` (auto mode) over tests/fixtures/liveblog/: whole pages written in the shapes of
real live blogs (stamps doubled as 12h and 24h, 'Timestamp:' labels, '8:30 p.m. —', '11:35 AM,
November 7' headings, stamps in <span>/<time>/custom elements, '1h ago' with <time datetime>,
day separators, 'BREAKING' labels, JSON-LD beside the HTML) and a page that is not a live blog.
expected.json gives, per page, the post's date, the zone and every update (instant, opening words
of its text). An update is found when an entry has that instant and its text starts with those
words. Prints found/expected per page and overall (the README quotes it); every update must be
found and nothing else. test_page_shapes.c runs the page reader over the same pages."""
import datetime
import json
import os

from braidtest import Suite, fixture, run_braid

s = Suite("split_shapes")
folder = fixture("liveblog")
with open(os.path.join(folder, "expected.json"), encoding="utf-8") as f:
    EXPECTED = json.load(f)


def utc(instant):
    t = datetime.datetime.fromisoformat(instant)
    return t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


found_total = expected_total = invented = 0
for name, e in sorted(EXPECTED.items()):
    args = ["split", "--date", e["date"]]
    if e.get("tz"):
        args += ["--tz", e["tz"]]
    p = run_braid(*args, os.path.join(folder, name))
    expected_total += len(e["updates"])
    if not s.check(f"{name}: exits 0", p.returncode == 0, p.stderr.decode(errors="replace")):
        continue
    d = json.loads(p.stdout.decode("utf-8"))
    got = d["entries"]
    if not e["updates"]:
        s.check(f"{name}: not a live blog", d["liveblog"] is False and got == [],
                f"{[(g['time'], g['stamp'], g['text'][:40]) for g in got]}")
        invented += len(got)
        print(f"{name:32} negative {len(got)} found")
        continue
    used = [False] * len(got)
    found = 0
    for instant, words in e["updates"]:
        want = utc(instant)
        hit = next((i for i, g in enumerate(got)
                    if not used[i] and g["time"] == want and g["text"].startswith(words)), None)
        if hit is not None:
            used[hit] = True
            found += 1
        s.check(f"{name}: update at {want} opening \"{words}\"", hit is not None,
                f"got {[(g['time'], g['stamp'], g['text'][:40]) for g in got]}")
    extra = [(g["time"], g["stamp"], g["text"][:40]) for g, u in zip(got, used) if not u]
    invented += len(extra)
    found_total += found
    s.check(f"{name}: no update that is not expected", not extra, str(extra))
    print(f"{name:32} {found}/{len(e['updates'])}" + (f" +{len(extra)} not expected" if extra else ""))

pct = 100.0 * found_total / expected_total if expected_total else 0.0
print(f"split shapes: {len(EXPECTED)} pages; auto mode found {found_total} of {expected_total} "
      f"updates ({pct:.1f} %), {invented} not expected")
s.finish()
