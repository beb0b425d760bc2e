#!/usr/bin/env bash
# Benchmark: `braid split` on a generated 10 MB live blog of 20,000 updates (newest first,
# "HHMM GMT:" stamps in <strong>, two paragraphs each, crossing midnight many times).
# Usage: tests/bench/split/run.sh [path/to/braid]   (default: build/gcc/braid)
# Prints the body's size, the number of updates found, the best wall and CPU times of 3 runs,
# and libxml2's bare HTML parse of the same file for scale (wall time suffers on a shared machine).
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
braid=${1:-$root/build/gcc/braid}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$tmp/body.html" <<'PY'
import sys
n = 20000
filler = ("Residents described heavy shelling overnight and said that water and power had been cut "
          "in several districts, while the authorities insisted that the situation was under control. ")
with open(sys.argv[1], "w") as f:
    f.write("<h1>Generated live blog</h1>\n<p>Preface paragraph.</p>\n")
    for i in range(n):
        minute = (n - 1 - i) * 7  # one update every 7 minutes, newest first
        hh, mm = (minute // 60) % 24, minute % 60
        f.write(f'<div class="post" id="p{n - i}"><p><strong>{hh:02d}{mm:02d} GMT:</strong> '
                f'Update {n - i}. {filler}</p>\n<p>{filler} Officials gave no figure for the number of casualties.</p></div>\n')
PY
# Best wall and CPU (user+sys) time of 3 runs, measured by python so that no bc is needed.
python3 - "$braid" "$tmp/body.html" "$tmp/out.json" <<'PY'
import json, os, resource, shutil, subprocess, sys, time
braid, body, out = sys.argv[1:4]

def run(cmd, stdout):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    subprocess.run(cmd, stdout=stdout, check=True)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

best_wall = best_cpu = None
for _ in range(3):
    with open(out, "wb") as f:
        wall, cpu = run([braid, "split", "--date", "2011-11-08T21:30:00Z", body], f)
    best_wall = wall if best_wall is None else min(best_wall, wall)
    best_cpu = cpu if best_cpu is None else min(best_cpu, cpu)
updates = len(json.load(open(out))["entries"])
# libxml2's own HTML parse of the same file, for scale (the floor under any DOM-based split).
parse = "n/a"
if shutil.which("xmllint"):
    parse = "%.3f s CPU" % run(["xmllint", "--html", "--noout", body], subprocess.DEVNULL)[1]
print("body %d bytes, %d updates; best of 3: %.3f s wall, %.3f s CPU (user+sys); "
      "xmllint --html alone: %s" % (os.path.getsize(body), updates, best_wall, best_cpu, parse))
PY
# The splitter alone, in-process (no JSON written): what the daemon pays per live blog.
lib=$root/build/gcc/libbraidcore.a
[ -f "$lib" ] || cmake --build "$root/build/gcc" -j2 --target braidcore >/dev/null
# shellcheck disable=SC2046  # pkg-config output is meant to split into words
cc -O2 -std=gnu11 -D_GNU_SOURCE -I"$root/aggregator" -o "$tmp/bench_split" \
  "$root/tests/bench/split/bench_split.c" "$lib" \
  $(pkg-config --cflags --libs libxml-2.0 jansson libcurl) -lm
"$tmp/bench_split" "$tmp/body.html" 3
