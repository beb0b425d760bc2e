#!/usr/bin/env bash
# Benchmark: `braid split` on a generated 10 MB live blog of 20,000 updates (newest first,
# "HHMM GMT:" stamps in <strong>, two paragraphs each, crossing midnight many times).
# Usage: tests/bench/split/run.sh [path/to/braid]   (default: build/gcc/braid)
# Prints the body's size, the number of updates found, the best wall and CPU times of 3 runs and
# peak RSS, libxml2's bare HTML parse of the same file for scale (wall time suffers on a shared
# machine), and the splitter alone, in-process (bench_split.c against BUILD/libbraidcore.a).
# Env: RUNS (3), BUILD (build/gcc), BENCH_RESULTS a file to append "key value" lines to.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
# Every subsystem folder of aggregator/ and store/ (the layout of aggregator/README.md).
braid_includes=$(for d in "$root"/aggregator/*/ "$root/store"; do printf -- '-I%s ' "${d%/}"; done)
braid=${1:-$root/build/gcc/braid}
build=${BUILD:-$root/build/gcc}
runs=${RUNS:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
record() { [ -z "${BENCH_RESULTS:-}" ] || echo "split.$1 $2" >> "$BENCH_RESULTS"; }
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
# Best wall and CPU (user+sys) time of $runs runs and the peak RSS, of `braid split` and of
# libxml2's bare HTML parse of the same file (the floor under any DOM-based split).
rusage() { python3 "$root/tests/bench/rusage.py" "$@"; }
best() { python3 "$root/tests/bench/rusage.py" --best "$1"; } # "wall cpu peak_mb" of the runs
for _ in $(seq "$runs"); do
  rusage "$tmp/split.t" "$braid" split --date 2011-11-08T21:30:00Z "$tmp/body.html" > "$tmp/out.json"
  if command -v xmllint > /dev/null; then
    rusage "$tmp/xmllint.t" xmllint --html --noout "$tmp/body.html"
  fi
done
read -r split_wall split_cpu split_rss <<< "$(best "$tmp/split.t")"
updates=$(python3 -c "import json, sys; print(len(json.load(open(sys.argv[1]))['entries']))" "$tmp/out.json")
bytes=$(stat -c %s "$tmp/body.html")
record body_bytes "$bytes"
record updates "$updates"
record runs "$runs"
record cmd.wall_s "$split_wall"
record cmd.cpu_s "$split_cpu"
record cmd.rss_mb "$split_rss"
floor="n/a"
if [ -s "$tmp/xmllint.t" ]; then
  read -r x_wall x_cpu x_rss <<< "$(best "$tmp/xmllint.t")"
  record xmllint.cpu_s "$x_cpu"
  record xmllint.rss_mb "$x_rss"
  floor="$x_cpu s CPU, $x_wall s wall, $x_rss MB peak"
fi
echo "body $bytes bytes, $updates updates; \`braid split\`, best of $runs: $split_wall s wall," \
  "$split_cpu s CPU (user+sys), $split_rss MB peak; xmllint --html --noout alone: $floor"
# The splitter alone, in-process (no JSON written): what the daemon pays per live blog.
lib=$build/libbraidcore.a
[ -f "$lib" ] || cmake --build "$build" -j2 --target braidcore >/dev/null
# shellcheck disable=SC2046,SC2086  # pkg-config output is meant to split into words
cc -O2 -std=gnu11 -D_GNU_SOURCE $braid_includes -o "$tmp/bench_split" \
  "$root/tests/bench/split/bench_split.c" "$lib" \
  $(pkg-config --cflags --libs libxml-2.0 jansson libcurl) -lm
"$tmp/bench_split" "$tmp/body.html" "$runs" | tee "$tmp/lib.out"
record lib.cpu_s "$(sed -n 's/.*best of [0-9]*: \([0-9.]*\) s CPU.*/\1/p' "$tmp/lib.out")"
