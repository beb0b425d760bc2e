"""braid parse on 150 randomly broken copies of the fixtures (fixed seed, so a failure
reproduces): whatever the damage, it exits 0 or 1 (never a crash or a sanitizer report), and
when it exits 0 its output is valid JSON with the contract's keys."""
import json
import os
import random

from braidtest import Suite, fixture, run_braid

s = Suite("parse_mutations")
rng = random.Random(20261123)
files = sorted([fixture("parse", f) for f in os.listdir(fixture("parse")) if not f.endswith((".py", ".txt"))
                and os.path.isfile(fixture("parse", f))] +
               [fixture("parse", "feedparser", f) for f in os.listdir(fixture("parse", "feedparser"))] +
               [fixture("feeds", f) for f in os.listdir(fixture("feeds"))])
tokens = [b"<", b"&", b"]]>", b"<![CDATA[", b"<!--", b"-->", b'"', b"'", b">", b"&amp;", b"&nbsp", b"\xff",
          b"\xc3", b"\x00", b"</item>", b"<item>", b"<entry>", b'xml:base="../"', b"=", b"<?", b"?>",
          b"<!DOCTYPE x [", b"]>", b"{", b"}", b"&#x110000;", b"<div>" * 50, b"</title>", b"</b>",
          b"<p>", b"</channel>", b"<br>", b"&eacute;", b' a="&copy;&foo;"', b"<![CDATA[&nbsp;"]
path = os.path.join(s.tmp, "mutant.xml")
for n in range(150):
    src = rng.choice(files)
    data = bytearray(open(src, "rb").read())
    ops = []
    for _ in range(rng.randint(1, 8)):
        op, pos = rng.random(), rng.randint(0, len(data))
        if op < 0.4:
            data[pos:pos] = rng.choice(tokens)
        elif op < 0.7:
            del data[pos:pos + rng.randint(1, 20)]
        elif op < 0.9 and data:
            data[min(pos, len(data) - 1)] = rng.randint(0, 255)
        else:
            data = data[:pos]
    with open(path, "wb") as f:
        f.write(data)
    r = run_braid("parse", path)
    name = f"mutant {n} of {os.path.basename(src)}"
    ok = s.check(f"{name}: exit 0 or 1, no sanitizer report",
                 r.returncode in (0, 1) and b"Sanitizer" not in r.stderr and b"runtime error" not in r.stderr,
                 f"rc={r.returncode} {r.stderr[-400:]!r}")
    if ok and r.returncode == 0:
        try:
            d = json.loads(r.stdout)
            s.check(f"{name}: contract keys", list(d) == ["format", "encoding", "wellformed", "errors", "feed", "entries"], list(d))
        except ValueError as e:
            s.check(f"{name}: output is JSON", False, str(e))
    if not ok:
        with open(os.path.join(s.tmp, f"failing-{n}.xml"), "wb") as f:
            f.write(data)
s.finish()
