#!/usr/bin/env python3
"""tests/bench/parse/mutate.py OLD_BRAID NEW_BRAID [SECONDS] [SEED] — compare.sh on broken input.

Mutates the parser's fixtures and fuzz seeds at random (inserting references, "]]>", CR, stray
'<', tags, quotes; deleting and repeating bytes), runs `braid parse` of both binaries on each
and keeps every input whose stdout, stderr or exit status differs in /tmp/braid-mutate/SEED-N.xml.
For changes meant to leave the output alone (speed work), beside compare.sh. Exit 1 if any
differ.
"""
import glob
import os
import random
import subprocess
import sys
import tempfile
import time

old, new = sys.argv[1], sys.argv[2]
secs = float(sys.argv[3]) if len(sys.argv) > 3 else 60
seed = int(sys.argv[4]) if len(sys.argv) > 4 else 1
random.seed(seed)
root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
files = [f for f in glob.glob(os.path.join(root, "tests/fixtures/parse/**"), recursive=True)
         if os.path.isfile(f)]
files += glob.glob(os.path.join(root, "tests/fuzz/corpus/parse/*"))
toks = [b"&lt;", b"&gt;", b"&amp;", b"&quot;", b"&apos;", b"]", b"]]>", b"\r", b"\r\n", b"<",
        b"</", b"/>", b">", b"&", b"&#233;", b"&nbsp;", b"<![CDATA[", b"<!--", b"-->", b'"',
        b"'", b"</item>", b"<item>", b"<title>", b"</title>", b"<description>",
        b"</description>", b"\x00", b"\xff", b"&lt", b"<b/>", b"< ", b"&#x5D;"]
keep = "/tmp/braid-mutate"
os.makedirs(keep, exist_ok=True)
n = bad = 0
start = time.time()
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "in.xml")
    while time.time() - start < secs:
        d = bytearray(open(random.choice(files), "rb").read()[:20000])
        for _ in range(random.randint(1, 6)):
            op, pos = random.random(), random.randint(0, len(d))
            if op < 0.6:
                d[pos:pos] = random.choice(toks)
            elif op < 0.8 and len(d) > 1:
                del d[pos:pos + random.randint(1, 8)]
            else:
                at = random.randint(0, max(0, len(d) - 20))
                d[pos:pos] = d[at:at + random.randint(1, 40)]
        with open(path, "wb") as f:
            f.write(d)
        a = subprocess.run([old, "parse", path], capture_output=True)
        b = subprocess.run([new, "parse", path], capture_output=True)
        n += 1
        if (a.returncode, a.stdout, a.stderr) != (b.returncode, b.stdout, b.stderr):
            bad += 1
            with open(os.path.join(keep, "%d-%d.xml" % (seed, bad)), "wb") as f:
                f.write(d)
print("%d inputs, %d differ" % (n, bad))
sys.exit(1 if bad else 0)
