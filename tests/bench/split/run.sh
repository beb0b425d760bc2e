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
bytes=$(stat -c %s "$tmp/body.html")
best="" best_cpu=""
TIMEFORMAT='%R %U %S'
for run in 1 2 3; do
  read -r real user sys < <( { time "$braid" split --date 2011-11-08T21:30:00Z "$tmp/body.html" > "$tmp/out.json"; } 2>&1 )
  cpu=$(echo "$user + $sys" | bc)
  if [ -z "$best" ] || [ "$(echo "$real < $best" | bc)" = 1 ]; then best=$real; fi
  if [ -z "$best_cpu" ] || [ "$(echo "$cpu < $best_cpu" | bc)" = 1 ]; then best_cpu=$cpu; fi
done
# libxml2's own HTML parse of the same file, for scale (the floor under any DOM-based split).
TIMEFORMAT='%U %S'
read -r xu xs < <( { time xmllint --html --noout "$tmp/body.html"; } 2>&1 )
updates=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["entries"]))' "$tmp/out.json")
printf 'body %d bytes, %s updates; best of 3: %.3f s wall, %.3f s CPU (user+sys); xmllint --html alone: %.3f s CPU\n' \
  "$bytes" "$updates" "$best" "$best_cpu" "$(echo "$xu + $xs" | bc)"
