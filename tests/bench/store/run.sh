#!/bin/sh
# tests/bench/store/run.sh — the store's insert rate and newest-100 query time.
#
# usage: tests/bench/store/run.sh [ENTRIES [ITEMS_PER_POLL [FEEDS]]]   (default $ENTRIES 20 100)
# ENTRIES (env or first argument) defaults to 100000; ENTRIES=1000000 is issue 16's "costs stay
# flat at a million entries" run (about 1.8 GB of store, some minutes).
# Builds bench_store.c against BUILD/libbraidcore.a (BUILD defaults to build/gcc; configured
# and built first if needed), writes a fresh store in a temporary directory and removes it
# afterwards. Prints the rates of the first and last 10,000 entries side by side (flat ratio)
# and issue 16's goal ratios. Then floor_store.c writes the same entries into a fresh store of
# the same schema with SQLite alone (the three INSERTs a new entry ends in, no lookups, no
# hashing) and the ratio of the two is printed: what braid's own work costs on top of SQLite's.
# FLOOR=0 skips it (it takes about as long again). Set BENCH_DIR to put the store
# elsewhere, BENCH_RESULTS to a file to append "key value" lines to (for tests/bench/run.sh).
set -eu
root=$(cd "$(dirname "$0")/../../.." && pwd)
# Every subsystem folder of aggregator/ and store/ (the layout of aggregator/README.md).
braid_includes=$(for d in "$root"/aggregator/*/ "$root/store"; do printf -- '-I%s ' "${d%/}"; done)
build=${BUILD:-$root/build/gcc}
lib="$build/libbraidcore.a"
if [ ! -f "$lib" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=gcc >/dev/null
  cmake --build "$build" -j2 --target braidcore >/dev/null
fi
work=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/braid-bench-store.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
# shellcheck disable=SC2046,SC2086  # pkg-config output is meant to split into words
cc -O2 -std=gnu11 -D_GNU_SOURCE $braid_includes \
  -o "$work/bench_store" "$root/tests/bench/store/bench_store.c" "$lib" \
  $(pkg-config --libs sqlite3 libuv libcurl libxml-2.0 libmicrohttpd inih jansson zlib) -lm
# shellcheck disable=SC2046,SC2086
cc -O2 -std=gnu11 -D_GNU_SOURCE $braid_includes \
  -o "$work/floor_store" "$root/tests/bench/store/floor_store.c" "$lib" \
  $(pkg-config --libs sqlite3 libuv libcurl libxml-2.0 libmicrohttpd inih jansson zlib) -lm
echo "braid store benchmark on $(nproc) cores, $(uname -m); load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ $# -eq 0 ]; then set -- "${ENTRIES:-100000}"; fi
"$work/bench_store" "$work/braid.db" "$@" | tee "$work/out"
if [ "${FLOOR:-1}" != 0 ]; then
  rm -f "$work/braid.db" "$work/braid.db-wal" "$work/braid.db-shm"
  "$work/floor_store" "$work/floor.db" "$@" | tee "$work/floor"
  rm -f "$work/floor.db" "$work/floor.db-wal" "$work/floor.db-shm"
  awk '/^insert rate, CPU:/ { braid_cpu = $4 } /^insert rate:/ { braid_wall = $3 }
       /^flat ratio:/ { braid_flat = $3 }
       /^floor rate, CPU:/ { floor_cpu = $4 } /^floor rate:/ { floor_wall = $3 }
       /^floor flat ratio:/ { floor_flat = $4 }
       END { if (floor_cpu > 0 && floor_wall > 0)
               printf "of SQLite floor:      CPU %.2f, wall %.2f (braid rate / SQLite alone writing the same rows)\n",
                      braid_cpu / floor_cpu, braid_wall / floor_wall
             if (floor_flat > 0 && braid_flat > 0)
               printf "flat ratio vs floor:  braid %.2f, SQLite alone %.2f\n", braid_flat, floor_flat }' \
      "$work/out" "$work/floor" | tee -a "$work/out"
fi
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "${BENCH_RESULTS:-}" ]; then
  # "insert rate:          1111 entries/s (900.0 s)" -> store.insert_per_s 1111 ...
  sed -n 's/^entries stored: *\([0-9]*\) in \([0-9]*\)-item polls over \([0-9]*\) feeds$/store.entries \1\nstore.per_poll \2\nstore.feeds \3/p
          s/^insert rate: *\([0-9.]*\) entries\/s (\([0-9.]*\) s)$/store.insert_per_s \1\nstore.insert_s \2/p
          s/^insert rate, CPU: *\([0-9.]*\) entries\/s (\([0-9.]*\) s user+sys)$/store.insert_per_cpu_s \1\nstore.insert_cpu_s \2/p
          s/^SQLite: *\(.*\)$/store.sqlite \1/p
          s/^transactions: *\([0-9]*\) .*/store.transactions \1/p
          s/^flat ratio: *\([0-9.]*\).*/store.flat_ratio \1/p
          s/^written per entry: *\([0-9.]*\) KB in the first [0-9]*, \([0-9.]*\) KB .*/store.written_first_kb \1\nstore.written_last_kb \2/p
          s/^unchanged items: *\([0-9.]*\) items\/s.*/store.unchanged_per_s \1/p
          s/^newest 100, first: *\([0-9.]*\) ms.*/store.newest_first_ms \1/p
          s/^newest 100, average: *\([0-9.]*\) ms.*/store.newest_avg_ms \1/p
          s/^store file: *\([0-9.]*\) MB$/store.file_mb \1/p
          s/^of SQLite floor: *CPU \([0-9.]*\), wall \([0-9.]*\) .*/store.floor_cpu_ratio \1\nstore.floor_wall_ratio \2/p
          s/^goal ratios: *CPU \([0-9.]*\) .*wall \([0-9.]*\) .*newest-100 \([0-9.]*\) .*/store.goal_cpu \1\nstore.goal_wall \2\nstore.goal_newest \3/p' "$work/out" >> "$BENCH_RESULTS"
fi
