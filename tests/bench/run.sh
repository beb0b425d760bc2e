#!/usr/bin/env bash
# tests/bench/run.sh — every benchmark in one run: parse, split, store (and ingest), poll and
# serve, each with braid beside its peers (sfeed, newsboat, xmllint, curl, nginx) on the same
# input in the same run. Prints one markdown table (ratios read the same way everywhere: above 1,
# braid did better) and a line naming the machine, and writes the table with every script's own
# report to tests/bench/results/latest.md (OUT). About 10-15 minutes on an idle 2-core machine.
#
# usage: bash tests/bench/run.sh
# Builds braid first (Release, in build/bench; BUILD names another build directory) unless it
# is up to date. Needs the peers: BRAID_DEPS_BENCH=1 bash packaging/install-deps.sh.
# Sizes (env): PARSE_RUNS (5), STORE_ENTRIES (200000), INGEST_FEEDS (2000), POLL_N (5000 feeds
# for braid and the curl floor), POLL_PEER_N (1000 feeds for braid, newsboat and sfeed_update:
# at 5000 the two take half an hour), POLL_LIMIT (600 s, after which a poll is stopped),
# SERVE_ROUNDS (5), SERVE_SECONDS (10). Each script under tests/bench/*/ also runs on its own.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${BUILD:-$root/build/bench}
out=${OUT:-$here/results/latest.md}

for tool in cmake cc pkg-config python3 /usr/bin/time sfeed sfeed_update newsboat xmllint curl nginx wrk; do
  command -v "$tool" > /dev/null || {
    echo "run.sh: $tool is missing; install the peers with BRAID_DEPS_BENCH=1 bash packaging/install-deps.sh" >&2
    exit 1
  }
done

tmp=$(mktemp -d)
child=
# A benchmark runs in its own process group, so that an interrupted run stops the whole of it
# (the servers a script started are then stopped by that script's own trap).
stop() {
  if [ -n "$child" ]; then
    kill -TERM -- "-$child" 2> /dev/null || true
    wait "$child" 2> /dev/null || true
  fi
  exit 130
}
trap stop INT TERM
trap 'rm -rf "$tmp"' EXIT
results=$tmp/results
echo "run.start_epoch $(date +%s)" > "$results"
echo "run.load_start $(cut -d' ' -f1-3 /proc/loadavg)" >> "$results"

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DBRAID_TESTS=OFF > /dev/null
fi
echo "run.sh: building braid in $build" >&2
cmake --build "$build" -j"$(nproc)" --target braid braidcore > "$tmp/build.log" ||
  { cat "$tmp/build.log" >&2; exit 1; }
echo "run.build_type $(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build/CMakeCache.txt")" >> "$results"
commit=$(git -C "$root" rev-parse --short=10 HEAD 2> /dev/null || echo unknown)
if [ -n "$(git -C "$root" status --porcelain --untracked-files=no 2> /dev/null)" ]; then
  commit="$commit (with uncommitted changes)"
fi
echo "run.commit $commit" >> "$results"
braid=$build/braid

# step NAME COMMAND...: one benchmark; its markdown report goes to $tmp/NAME.md, progress to stderr.
step() {
  local name=$1 t0=$SECONDS
  shift
  echo "run.sh: $name: $*" >&2
  BENCH_RESULTS=$results BUILD=$build setsid "$@" > "$tmp/$name.md" &
  child=$!
  wait "$child" || { echo "run.sh: $name failed (status $?); its report:" >&2; cat "$tmp/$name.md" >&2; exit 1; }
  child=
  echo "run.sh: $name took $((SECONDS - t0)) s" >&2
  echo "run.time.$name $((SECONDS - t0))" >> "$results"
}
step parse env RUNS="${PARSE_RUNS:-5}" sh "$here/parse/run.sh" "$braid"
step split env RUNS=3 bash "$here/split/run.sh" "$braid"
step store sh "$here/store/run.sh" "${STORE_ENTRIES:-200000}"
step ingest env FEEDS="${INGEST_FEEDS:-2000}" bash "$here/store/ingest.sh" "$braid"
step poll-peers env N="${POLL_PEER_N:-1000}" TOOLS="braid sfeed_update newsboat" \
  LIMIT="${POLL_LIMIT:-600}" bash "$here/poll/run.sh" "$braid"
step poll env N="${POLL_N:-5000}" TOOLS="braid curl" LIMIT="${POLL_LIMIT:-600}" \
  bash "$here/poll/run.sh" "$braid"
step serve env ROUNDS="${SERVE_ROUNDS:-5}" bash "$here/serve/run.sh" "${SERVE_SECONDS:-10}" 32

echo "run.end_epoch $(date +%s)" >> "$results"
echo "run.load_end $(cut -d' ' -f1-3 /proc/loadavg)" >> "$results"
python3 "$here/table.py" "$results" "$root" > "$tmp/table.md"
cat "$tmp/table.md"
mkdir -p "$(dirname "$out")"
{
  echo "# braid benchmarks: the latest run"
  echo
  echo "Made by \`bash tests/bench/run.sh\` (every figure below comes from that one command)."
  echo
  cat "$tmp/table.md"
  for name in parse split store ingest poll-peers poll serve; do
    echo
    echo "## $name (the script's own report)"
    echo
    cat "$tmp/$name.md"
  done
  echo
  echo "## Raw results (the \"key value\" lines the scripts wrote; the table is computed from these)"
  echo
  echo '```'
  cat "$results"
  echo '```'
} > "$out"
echo "run.sh: wrote $out" >&2
