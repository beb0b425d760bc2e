#!/usr/bin/env bash
# tests/bench/store/ingest.sh [BRAID] — the same items into each tool's SQLite: braid and
# newsboat each read the same FEEDS generated feeds (tests/bench/poll/gen.py: RSS 2.0 and Atom,
# 5-20 KB) from local files through libcurl's file://, so no network and no server is involved,
# and write every item to their store: `braid poll --once` (each feed `liveblog = never`, so that
# a live blog stays one item, as newsboat keeps it) into a fresh braid.db, `newsboat -x reload`
# into a fresh cache.db. Both parse as well as store: newsboat has no way to take items other
# than from a feed. Counts the rows each wrote (braid's entries, newsboat's rss_item) and says so
# if they differ. Prints markdown.
# Env: FEEDS (1000), JOBS transfers at once for both (16), RUNS (1; the best counts),
# BENCH_RESULTS a file to append "key value" lines to (for tests/bench/run.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
braid=$(readlink -f "${1:-$root/build/gcc/braid}") # absolute: braid runs in its own directory
feeds=${FEEDS:-1000}
jobs=${JOBS:-16}
runs=${RUNS:-1}
for tool in newsboat python3 /usr/bin/time "$braid"; do
  command -v "$tool" > /dev/null || { echo "ingest.sh: $tool is missing" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
record() { [ -z "${BENCH_RESULTS:-}" ] || echo "ingest.$1 $2" >> "$BENCH_RESULTS"; }

python3 "$root/tests/bench/poll/gen.py" "$tmp/www" "$feeds" 1700000000 |
  sed "s|^|file://$tmp/www|" > "$tmp/urls"
mkdir -p "$tmp/braid/feeds.d" "$tmp/newsboat"
python3 - "$tmp/urls" "$tmp/braid/feeds.d" <<'PY'
import sys
for i, url in enumerate(open(sys.argv[1]).read().split()):
    with open("%s/f%05d.feed" % (sys.argv[2], i), "w") as f:
        f.write("url = %s\nliveblog = never\n" % url)
PY
printf '[store]\npath = braid.db\n[http]\nlisten = 127.0.0.1:1\n[poll]\nconcurrency = %s\nper_host = %s\n' \
  "$jobs" "$jobs" > "$tmp/braid/braid.conf"
printf 'reload-threads %s\n' "$jobs" > "$tmp/newsboat/config"

rows() { # rows DB TABLE
  python3 -c "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT count(*) FROM ' + sys.argv[2]).fetchone()[0])" "$1" "$2"
}
for _ in $(seq "$runs"); do
  rm -f "$tmp"/braid/braid.db* "$tmp/newsboat/cache.db"
  (cd "$tmp/braid" && python3 "$root/tests/bench/rusage.py" "$tmp/braid.t" \
     "$braid" poll --once --config braid.conf 2> "$tmp/braid.log") ||
    { echo "ingest.sh: braid poll failed:" >&2; tail -3 "$tmp/braid.log" >&2; exit 1; }
  HOME=$tmp/newsboat python3 "$root/tests/bench/rusage.py" "$tmp/newsboat.t" \
    newsboat -q -C "$tmp/newsboat/config" -u "$tmp/urls" -c "$tmp/newsboat/cache.db" -x reload
done
braid_items=$(rows "$tmp/braid/braid.db" entries)
newsboat_items=$(rows "$tmp/newsboat/cache.db" rss_item)
feed_mb=$(du -sb "$tmp/www" | awk '{ printf "%.1f", $1 / 1e6 }')
record feeds "$feeds"
record feed_mb "$feed_mb"

echo "### Ingest: $feeds feeds ($feed_mb MB) from local files into SQLite, best of $runs"
echo
echo "| tool | items stored | wall s | CPU s | peak MB | items/s (CPU) |"
echo "|---|---|---|---|---|---|"
report() { # report TOOL NAME ITEMS
  local wall cpu mb
  read -r wall cpu mb <<< "$(python3 "$root/tests/bench/rusage.py" --best "$tmp/$1.t")"
  echo "| $2 | $3 | $wall | $cpu | $mb | $(awk -v n="$3" -v c="$cpu" 'BEGIN { printf "%.0f", n / c }') |"
  record "$1.items" "$3"
  record "$1.wall_s" "$wall"
  record "$1.cpu_s" "$cpu"
  record "$1.rss_mb" "$mb"
}
report braid "braid poll --once (liveblog = never)" "$braid_items"
report newsboat "newsboat -x reload" "$newsboat_items"
echo
echo "$jobs transfers at once for both (braid: concurrency = per_host = $jobs). CPU s is user + sys," \
  "peak MB the process's max RSS."
if [ "$braid_items" != "$newsboat_items" ]; then
  echo
  echo "Note: the two stored different numbers of items (braid $braid_items, newsboat $newsboat_items)."
fi
