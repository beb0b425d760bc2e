#!/usr/bin/env bash
# run.sh — builds braid's libFuzzer targets (clang, ASan + UBSan) and fuzzes each one.
#
# Usage: tests/fuzz/run.sh [TARGET...]      (default: every tests/fuzz/fuzz_*.c)
#   FUZZ_SECONDS=60      wall-clock seconds per target (libFuzzer -max_total_time)
#   FUZZ_CPU_SECONDS=    instead: stop each target once it has used this much CPU time
#   FUZZ_JOBS=$(nproc)   targets fuzzed at once
#   FUZZ_NICE=0          nice level for the fuzzers (19 to run them behind other work)
#   FUZZ_BUILD=build/fuzz
# Each target starts from its committed corpus (tests/fuzz/corpus/NAME, copied, so the
# checkout stays clean) with its dictionary (tests/fuzz/dict/NAME.dict). New interesting
# inputs land in $FUZZ_BUILD/corpus/NAME; crashes, leaks, timeouts and broken properties in
# $FUZZ_BUILD/findings/NAME/. Exit 1 if any target found anything: copy the file into
# tests/fuzz/regressions/NAME/ (the test suite replays it), fix the bug, run again.
# Every run appends "date target cpu_s execs result" lines to $FUZZ_BUILD/ledger.tsv.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${FUZZ_BUILD:-$root/build/fuzz}
seconds=${FUZZ_SECONDS:-60}
cpu_budget=${FUZZ_CPU_SECONDS:-}
jobs=${FUZZ_JOBS:-$(nproc)}
nice_level=${FUZZ_NICE:-0}

cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DBRAID_FUZZ=ON -DBRAID_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null

if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for src in "$here"/fuzz_*.c; do
    n=$(basename "$src" .c)
    targets+=("${n#fuzz_}")
  done
fi

# Input size caps: big enough for a real feed or body, small enough for many runs a second.
max_len() {
  case $1 in
    date) echo 512 ;;
    http) echo 8192 ;;
    config) echo 16384 ;;
    render) echo 8192 ;;
    *) echo 65536 ;;
  esac
}

cpu_seconds() { # utime + stime of a live pid, in whole seconds
  awk -v hz="$(getconf CLK_TCK)" '{ print int(($14 + $15) / hz) }' "/proc/$1/stat" 2>/dev/null || echo 0
}

fuzz_one() {
  local t=$1 bin="$build/fuzz_$1"
  local corpus="$build/corpus/$t" findings="$build/findings/$t" log="$build/logs/$t.log"
  mkdir -p "$corpus" "$findings" "$build/logs"
  local started="$build/logs/$t.started"
  touch "$started" # findings of earlier runs stay in findings/ but do not count again
  cp -n "$here/corpus/$t/"* "$corpus/" 2>/dev/null || true
  local limit=(-max_total_time="$seconds")
  [ -n "$cpu_budget" ] && limit=(-max_total_time=$((cpu_budget * 20)))
  # detect_leaks stays on: a leak per input is a finding like any other.
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    nice -n "$nice_level" "$bin" "${limit[@]}" -max_len="$(max_len "$t")" -timeout=10 \
      -rss_limit_mb=2048 -malloc_limit_mb=1024 -dict="$here/dict/$t.dict" \
      -artifact_prefix="$findings/" -print_final_stats=1 "$corpus" >"$log" 2>&1 &
  local pid=$! used=0 interrupted=0
  if [ -n "$cpu_budget" ]; then
    while kill -0 "$pid" 2>/dev/null; do
      used=$(cpu_seconds "$pid")
      if [ "$used" -ge "$cpu_budget" ]; then
        kill -INT "$pid" 2>/dev/null || true
        interrupted=1
        break
      fi
      sleep 5
    done
  fi
  local rc=0
  wait "$pid" || rc=$?
  # libFuzzer leaves with 72 (-interrupted_exit_code) when stopped with SIGINT: the budget.
  [ "$interrupted" = 1 ] && [ "$rc" = 72 ] && rc=0
  local execs cpu found
  execs=$({ grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" || true; } | grep -o '[0-9]*$' | tail -1 || true)
  cpu=$({ grep -o 'Done [0-9]* runs in [0-9]* second' "$log" || true; } | tail -1 | awk '{print $5}')
  [ -n "$cpu_budget" ] && cpu=$used
  found=$(find "$findings" -type f -newer "$started" | wc -l)
  local result=ok
  if [ "$rc" -ne 0 ] || [ "$found" -gt 0 ]; then
    result="FOUND($found files, exit $rc)"
  fi
  printf '%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$t" "${cpu:-?}" "${execs:-?}" "$result" \
    >>"$build/ledger.tsv"
  printf 'fuzz %-7s %8s execs  %5ss  %s\n' "$t" "${execs:-?}" "${cpu:-?}" "$result"
  [ "$result" = ok ]
}

failed=0
running=0
pids=()
for t in "${targets[@]}"; do
  [ -x "$build/fuzz_$t" ] || { echo "no such fuzz target: $t" >&2; exit 2; }
  fuzz_one "$t" &
  pids+=($!)
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || failed=1
    running=$((running - 1))
  fi
done
while [ "$running" -gt 0 ]; do
  wait -n || failed=1
  running=$((running - 1))
done
# What the ledger holds so far: the CPU each target has had over every run in this build dir.
awk -F'\t' '{ cpu[$2] += $3; execs[$2] += $4 }
  END { for (t in cpu) printf "ledger %-7s %7.1f CPU-minutes %12d execs in all runs\n", t, cpu[t] / 60, execs[t] }' \
  "$build/ledger.tsv" | sort
if [ "$failed" -ne 0 ]; then
  echo "fuzz: findings in $build/findings (logs in $build/logs)" >&2
  exit 1
fi
echo "fuzz: no finding"
