#!/bin/sh
# tests/bench/store/run.sh — the store's insert rate and newest-100 query time.
#
# usage: tests/bench/store/run.sh [ENTRIES [ITEMS_PER_POLL [FEEDS]]]   (default 1000000 20 100)
# Builds bench_store.c against build/gcc/libbraidcore.a (configuring and building it first
# if needed), writes a fresh store in a temporary directory (about 2 GB for a million
# entries) and removes it afterwards. Set BENCH_DIR to put the store elsewhere.
set -eu
root=$(cd "$(dirname "$0")/../../.." && pwd)
lib="$root/build/gcc/libbraidcore.a"
if [ ! -f "$lib" ]; then
  cmake -S "$root" -B "$root/build/gcc" -DCMAKE_C_COMPILER=gcc >/dev/null
  cmake --build "$root/build/gcc" -j2 --target braidcore >/dev/null
fi
work=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/braid-bench-store.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
# shellcheck disable=SC2046  # pkg-config output is meant to split into words
cc -O2 -std=gnu11 -D_GNU_SOURCE -I"$root/store" -I"$root/aggregator" \
  -o "$work/bench_store" "$root/tests/bench/store/bench_store.c" "$lib" \
  $(pkg-config --libs sqlite3 libuv libcurl libxml-2.0 libmicrohttpd inih jansson zlib) -lm
echo "braid store benchmark on $(nproc) cores, $(uname -m)"
"$work/bench_store" "$work/braid.db" "$@"
