#!/usr/bin/env python3
"""`braid split` end to end: the seed live blog (three renderings), the four seeds that are not
live blogs, bodies modelled on several outlets' live-blog markup, and the command's errors."""
import json
import os

from braidtest import Suite, fixture, run_braid

s = Suite("split")


def split(*args, input_bytes=None):
    p = run_braid("split", *args, input_bytes=input_bytes)
    if p.returncode != 0:
        return p, None
    try:
        return p, json.loads(p.stdout.decode("utf-8"))
    except ValueError as e:
        return p, {"error": str(e)}


# (time, stamp, opening words of text, closing words of text) of seed 004, oldest first
SEED004 = [
    ("2011-11-08T05:10:00Z", "0510 GMT", "This may be the official moment of recognition",
     "more than 3,000 civilians have been killed."),
    ("2011-11-08T05:40:00Z", "0540 GMT", "Snapshots of protest and clashes in Bahrain",
     "A march in Alqarya:"),
    ("2011-11-08T08:55:00Z", "0855 GMT", "The month-long journey of the Bahraini opposition",
     "reaches Barbar village on Monday:"),
    ("2011-11-08T10:00:00Z", "1000 GMT", "The presence of police",
     "in Buri this morning:"),
    ("2011-11-08T14:35:00Z", "1435 GMT", "James Miller takes the liveblog.",
     "We will keep protesting.\""),
    ("2011-11-08T14:52:00Z", "1452 GMT", "In the first entry of the day, Scott Lucas writes:",
     "This is war, and Assad intends to win."),
    ("2011-11-08T15:20:00Z", "1520 GMT", "The AP shares raw video from sources in Syria.",
     "could be heard. (Nov. 8)"),
    ("2011-11-08T15:43:00Z", "1543 GMT", "I put my newest assessment to Blake Hounshell",
     "Strategic defeat? Likely."),
    ("2011-11-08T15:57:00Z", "1557 GMT", "Protesters chant \"Come on, leave, Bashar\"",
     "just northeast of the city (MAP):"),
    ("2011-11-08T16:06:00Z", "1606 GMT", "This video was reportedly taken in Qaboun",
     "directly outside of Damascus:"),
    ("2011-11-08T16:15:00Z", "1615 GMT", "As if on cue, the Syrian Observatory",
     "in the rural town of Ariha."),
    ("2011-11-08T17:03:00Z", "1703 GMT", "Anas Shami, a Syrian Member of Parliament",
     "has hit 3,500."),
    ("2011-11-08T21:20:00Z", "2120 GMT", "Back from an academic break",
     "outside the Syrian capital Damascus:"),
]
# paragraphs each multi-paragraph update must hold, in order
PARAGRAPHS = {"1452 GMT": 7, "1435 GMT": 7, "1615 GMT": 4, "1543 GMT": 3, "0510 GMT": 8,
              "0540 GMT": 2, "1520 GMT": 2, "2120 GMT": 1}


def check_seed004(name, args):
    p, d = split(*args, fixture("split", name))
    if not s.check(f"{name}: exits 0", p.returncode == 0, p.stderr.decode(errors="replace")):
        return
    s.check(f"{name}: only the keys liveblog and entries", sorted(d) == ["entries", "liveblog"], str(sorted(d)))
    s.check(f"{name}: is a live blog", d.get("liveblog") is True)
    entries = d.get("entries", [])
    s.check(f"{name}: 13 updates", len(entries) == 13, str(len(entries)))
    for e in entries:
        s.check(f"{name}: entry keys are exactly time, stamp, text, html",
                list(e) == ["time", "stamp", "text", "html"], str(list(e)))
    for want, e in zip(SEED004, entries):
        t, stamp, first, last = want
        s.check(f"{name}: {stamp} time", e["time"] == t, e["time"])
        s.check(f"{name}: {stamp} stamp", e["stamp"] == stamp, e["stamp"])
        s.check(f"{name}: {stamp} text opens with its own words", e["text"].startswith(first),
                e["text"][:80])
        s.check(f"{name}: {stamp} text runs to its last words", e["text"].endswith(last),
                e["text"][-80:])
        s.check(f"{name}: {stamp} text has no stamp", "GMT:" not in e["text"][:12], e["text"][:20])
        s.check(f"{name}: {stamp} html holds the stamp", stamp in e["html"], e["html"][:80])
        if stamp in PARAGRAPHS:
            n = e["text"].count("\n\n") + 1
            s.check(f"{name}: {stamp} has {PARAGRAPHS[stamp]} paragraphs", n == PARAGRAPHS[stamp], str(n))
    s.check(f"{name}: page furniture is not glued to the last update",
            all("originally appeared" not in e["text"] for e in entries))
    s.check(f"{name}: the preface is not an update",
            all("See also Middle East Video" not in e["text"] for e in entries))
    by = {e["stamp"]: e for e in entries}
    if "1452 GMT" in by:
        s.check(f"{name}: 1452 GMT quotes 0510's words inside itself",
                "Pretty sure we are not getting the whole story" in by["1452 GMT"]["text"])


check_seed004("seed004.html", ["--date", "2011-11-08T21:30:00Z"])
check_seed004("seed004-strong.html", ["--date", "2011-11-08T21:30:00Z"])
check_seed004("seed004-br.html", ["--date", "2011-11-08T21:30:00Z"])
# Without --date the body's own date line ("Tuesday, November 8, 2011 at 21:30") dates it.
check_seed004("seed004.html", [])
# Zone-less --tz does not move stamps that name GMT.
check_seed004("seed004.html", ["--date", "2011-11-08T21:30:00Z", "--tz", "America/New_York"])

# The seed as plain text (no tags at all): blank lines are paragraphs.
p, d = split("--date", "2011-11-08T21:30:00Z", os.path.join(fixture("seeds"), "004_887b92821c214543.txt"))
s.check("plain-text seed 004: 13 updates with their times",
        d is not None and [e["time"] for e in d["entries"]] == [w[0] for w in SEED004], str(d)[:300])
s.check("plain-text seed 004: 1452 GMT runs to its last paragraph",
        d is not None and d["entries"][5]["text"].endswith("This is war, and Assad intends to win."))

p, d = split("--date", "2011-11-08T21:30:00Z", "--mode", "never", fixture("split", "seed004.html"))
s.check("--mode never: not a live blog", d == {"liveblog": False, "entries": []}, str(d))
with open(fixture("split", "seed004.html"), "rb") as f:
    body = f.read()
p, d = split("--date", "2011-11-08T21:30:00Z", "-", input_bytes=body)
s.check("reads the body from stdin", d is not None and len(d.get("entries", [])) == 13, str(d)[:200])

for n in ("000", "001", "002", "003"):
    p, d = split(fixture("split", f"seed{n}.html"))
    s.check(f"seed{n}: exits 0", p.returncode == 0, p.stderr.decode(errors="replace"))
    s.check(f"seed{n}: not a live blog", d == {"liveblog": False, "entries": []}, str(d)[:200])


def outlet(name, args, want):
    """want: list of (time, stamp, text) in order; text compared exactly."""
    p, d = split(*args, fixture("split", name))
    if not s.check(f"{name}: exits 0", p.returncode == 0, p.stderr.decode(errors="replace")):
        return None
    got = [(e["time"], e["stamp"], e["text"]) for e in d["entries"]]
    s.check(f"{name}: live blog", d["liveblog"] is True)
    s.check(f"{name}: updates", got == want, json.dumps(got, indent=1))
    return d


d = outlet("guardian-style.html", ["--date", "2024-02-24T13:00:00Z"], [
    ("2024-02-24T09:40:00Z", "9.40am GMT", "Good morning and welcome to our live coverage."),
    ("2024-02-24T10:15:22Z", "10.15am GMT", "Here is a quote from the morning briefing:\n\n"
     "9.00am GMT: we are not in a position to confirm numbers."),
    ("2024-02-24T11:02:10Z", "11.02am GMT", "Convoy reaches the border\n\n"
     "A convoy of forty lorries has reached the crossing, officials say."),
    ("2024-02-24T12:31:05Z", "12.31pm GMT", "The ministry says the ceasefire talks will resume on "
     "Monday.\n\nDelegations are expected in Geneva by the evening.\n\nUpdated at 12.40pm GMT"),
])
if d:
    s.check("guardian-style: html is the whole block",
            d["entries"][0]["html"].startswith('<div id="block-c1"') and d["entries"][0]["html"].endswith("</div>"),
            d["entries"][0]["html"][:60])
    s.check("guardian-style: the ad slot between blocks is in no update",
            all("ad-slot" not in e["html"] for e in d["entries"]))
outlet("bbc-style.html", ["--date", "2024-02-24T17:00:00Z"], [
    ("2024-02-24T09:30:00Z", "09:30", "Storm warning issued\n\nA red warning covers the whole coast until midnight."),
    ("2024-02-24T14:52:00Z", "14:52", "Schools to stay shut\n\nThe council has confirmed all schools "
     "remain closed tomorrow.\n\nParents will be told by text message."),
    ("2024-02-24T16:05:00Z", "16:05", "Power restored in the north\n\nEngineers say supply is back for most homes."),
])
d = outlet("nyt-style.html", ["--date", "2020-11-04T05:00:00Z"], [
    ("2020-11-03T19:52:00Z", "Nov. 3, 2:52 p.m. ET", "Long lines reported\n\nVoters waited for up to two hours at some sites."),
    ("2020-11-04T02:20:00Z", "Nov. 3, 9:20 p.m. ET", "Early returns\n\nEarly returns show a close race in three counties."),
    ("2020-11-04T04:48:00Z", "Nov. 3, 11:48 p.m. ET", "Polls close in the West\n\nVoting has ended in the last of the western states."),
])
if d:
    s.check("nyt-style: trailing copyright line is not part of the last update",
            "Copyright" not in d["entries"][-1]["html"], d["entries"][-1]["html"][-80:])
outlet("kyiv-style.html", ["--tz", "Europe/Kyiv", "--date", "2022-07-13T19:00:00Z"], [
    ("2022-07-13T04:15:00Z", "07:15", "Overnight shelling reported in Kharkiv"),
    ("2022-07-13T15:40:00Z", "18:40", "Grain ship leaves Odesa port"),
    ("2022-07-13T18:05:00Z", "21:05", "Air raid alert lifted in the capital"),
])
outlet("timesofisrael-style.html", ["--tz", "Asia/Jerusalem", "--date", "2023-10-10T21:30:00Z"], [
    ("2023-10-10T18:05:00Z", "9:05 pm", "Talks set for tomorrow\n\nA delegation will travel in the morning."),
    ("2023-10-10T20:35:00Z", "11:35 pm", "Sirens in the south\n\nNo injuries were reported."),
    ("2023-10-10T21:10:00Z", "12:10 am", "Cabinet meeting ends after midnight\n\nMinisters left without a statement."),
])
outlet("abc-au-style.html", ["--date", "2020-01-10T00:00:00Z"], [
    ("2020-01-09T20:30:00Z", "7:30am AEDT", "Ana Ruiz\n\nGood morning, here is what we know so far."),
    ("2020-01-09T21:47:00Z", "8:47am AEDT", "Sam Lee\n\nEvacuation centres have opened in two towns."),
    ("2020-01-09T23:02:00Z", "10:02am AEDT", "Sam Lee\n\nCrews have contained the fire near the highway."),
])
d = outlet("ap-style.html", ["--date", "2024-02-07T06:00:00Z"], [
    ("2024-02-07T01:02:00Z", "8:02 PM EST", "Polls close\n\nPolls have closed across the state."),
    ("2024-02-07T04:40:00Z", "11:40 PM EST", "Turnout record\n\nTurnout passed the previous record "
     "before polls closed.\n\nThe state says more than four million ballots were cast."),
    ("2024-02-07T06:05:00Z", "1:05 AM EST", "Count continues overnight\n\nOfficials in two counties "
     "say counting will go on until morning."),
])
if d:
    s.check("ap-style: the page footer is in no update", all("Copyright" not in e["html"] for e in d["entries"]))
outlet("regional-oldest-first.html", ["--tz", "Europe/Berlin", "--date", "2024-02-06T21:30:00Z"], [
    ("2024-02-06T21:40:00Z", "22:40", "The river has reached 4.1 metres at the old bridge."),
    ("2024-02-06T22:55:00Z", "23:55", "Sandbags are being handed out at the fire station.\n\n"
     "Volunteers are asked to bring spades."),
    ("2024-02-06T23:30:00Z", "00:30", "Police have closed the riverside road."),
    ("2024-02-07T01:15:00Z", "02:15", "The level has stopped rising, the water authority says.\n\n"
     "We will resume coverage in the morning."),
])
p, d = split("--date", "2011-11-08T15:00:00Z", fixture("split", "wire-update.html"))
s.check("wire story with UPDATE 3- and mid-sentence times: not a live blog",
        d == {"liveblog": False, "entries": []}, str(d)[:200])

# A generated blog of 2,000 updates, newest first over two days, splits into all of them.
rows = []
for i in range(2000):
    minute = 2 * 24 * 60 - 1 - i  # one update a minute, back from 23:59 on day two
    rows.append(f"<p><strong>{(minute // 60) % 24:02d}{minute % 60:02d} GMT:</strong> Update number {2000 - i}.</p>")
p, d = split("--date", "2011-11-09T23:59:30Z", "-", input_bytes=("\n".join(rows)).encode())
if s.check("generated blog: exits 0", d is not None, p.stderr.decode(errors="replace")):
    es = d["entries"]
    s.check("generated blog: 2000 updates", len(es) == 2000, str(len(es)))
    s.check("generated blog: oldest first across midnight",
            es[0]["time"] == "2011-11-08T14:40:00Z" and es[-1]["time"] == "2011-11-09T23:59:00Z",
            es[0]["time"] + " .. " + es[-1]["time"])
    s.check("generated blog: text of the oldest", es[0]["text"] == "Update number 1.", es[0]["text"])

# Errors: bad options exit 2 naming the option, unreadable files exit 1 naming the file.
p = run_braid("split", "--date", "yesterday", fixture("split", "seed004.html"))
s.check("bad --date exits 2", p.returncode == 2, str(p.returncode))
s.check("bad --date is named", b"--date" in p.stderr, p.stderr.decode(errors="replace"))
for bad in ("Mars/Olympus", "../../../../etc/passwd", "Europe/../../etc/passwd", "/etc/passwd"):
    p = run_braid("split", "--tz", bad, fixture("split", "seed004.html"))
    s.check(f"--tz {bad} exits 2", p.returncode == 2, str(p.returncode))
    s.check(f"--tz {bad} is named", b"--tz" in p.stderr, p.stderr.decode(errors="replace"))
missing = os.path.join(s.tmp, "no-such-body.html")
p = run_braid("split", missing)
s.check("missing file exits 1", p.returncode == 1, str(p.returncode))
s.check("missing file is named", missing.encode() in p.stderr, p.stderr.decode(errors="replace"))
p = run_braid("split", s.tmp)
s.check("a directory as FILE exits 1 naming it", p.returncode == 1 and s.tmp.encode() in p.stderr,
        p.stderr.decode(errors="replace"))
p = run_braid("split", "--mode", "sometimes", fixture("split", "seed004.html"))
s.check("bad --mode exits 2", p.returncode == 2 and b"--mode" in p.stderr, p.stderr.decode(errors="replace"))
p = run_braid("split", "--tz", "A" * 300, fixture("split", "seed004.html"))
s.check("an overlong --tz exits 2", p.returncode == 2 and b"--tz" in p.stderr, p.stderr.decode(errors="replace"))
# Bytes that are not UTF-8 still come out as valid JSON.
p, d = split("--mode", "always", "--date", "2011-11-08T21:30:00Z", "-",
             input_bytes=b"<p>2120 GMT: caf\xe9 \xff\xfe</p><p>1703 GMT: \xc3\x28 ok</p>")
s.check("non-UTF-8 body: valid JSON with both updates", d is not None and len(d.get("entries", [])) == 2,
        repr(p.stdout[:200]))
p = run_braid("split", "--help")
s.check("--help exits 0", p.returncode == 0 and b"usage" in p.stdout)
for tz in ("Europe/London", "GMT+3", "+01:00", "EST", "Kyiv time"):
    p, d = split("--tz", tz, fixture("split", "seed001.html"))
    s.check(f"--tz {tz} is accepted", p.returncode == 0, p.stderr.decode(errors="replace"))

s.finish()
