#!/usr/bin/env python3
"""`braid split` in its default (auto) mode on the live-blog corpus of tests/fixtures/split/corpus:
bodies written in the markup and stamp styles of many outlets, and bodies that are not live blogs
(schedules, match commentaries, bylines, datelines). expected.json gives, per body, the post's date
(--date), the zone (--tz, or null) and every update it must yield: its instant and the opening
words of its text. An update is found exactly when an entry has that instant and its text starts
with those words; a negative body must give {"liveblog": false, "entries": []}; a positive body
must give no entry that is not expected. Prints the found-exactly percentage (README quotes it)."""
import datetime
import json
import os

from braidtest import Suite, fixture, run_braid

s = Suite("split_corpus")
corpus = fixture("split", "corpus")
with open(os.path.join(corpus, "expected.json"), encoding="utf-8") as f:
    EXPECTED = json.load(f)


def utc(instant):
    t = datetime.datetime.fromisoformat(instant)
    return t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


expected_total = found_total = invented = 0
outlets = set()
negatives = 0
for name, e in sorted(EXPECTED.items()):
    args = ["split", "--date", e["date"]]
    if e.get("tz"):
        args += ["--tz", e["tz"]]
    p = run_braid(*args, os.path.join(corpus, name))
    if not s.check(f"{name}: exits 0", p.returncode == 0, p.stderr.decode(errors="replace")):
        expected_total += len(e["updates"])
        continue
    d = json.loads(p.stdout.decode("utf-8"))
    got = d["entries"]
    if not e["updates"]:
        negatives += 1
        s.check(f"{name} ({e['negative']}): not a live blog",
                d["liveblog"] is False and got == [],
                f"liveblog={d['liveblog']} {[(g['time'], g['stamp'], g['text'][:40]) for g in got]}")
        invented += len(got)
        continue
    outlets.add(e["outlet"])
    used = [False] * len(got)
    for instant, words in e["updates"]:
        want = utc(instant)
        expected_total += 1
        hit = next((i for i, g in enumerate(got)
                    if not used[i] and g["time"] == want and g["text"].startswith(words)), None)
        if hit is not None:
            used[hit] = True
            found_total += 1
        s.check(f"{name}: update at {want} opening \"{words}\"", hit is not None,
                f"got {[(g['time'], g['stamp'], g['text'][:40]) for g in got]}")
    extra = [(g["time"], g["stamp"], g["text"][:40]) for g, u in zip(got, used) if not u]
    invented += len(extra)
    s.check(f"{name}: no update that is not expected", not extra, str(extra))

pct = 100.0 * found_total / expected_total if expected_total else 0.0
print(f"split corpus: {len(EXPECTED) - negatives} live blogs from {len(outlets)} outlets, "
      f"{negatives} negatives; auto mode found {found_total} of {expected_total} updates exactly "
      f"({pct:.1f} %), {invented} invented")
s.check("the corpus holds >= 60 live blogs from >= 20 outlets and >= 15 negatives",
        len(EXPECTED) - negatives >= 60 and len(outlets) >= 20 and negatives >= 15)
s.finish()
