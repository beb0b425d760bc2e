#!/usr/bin/env bash
# tests/bench/soak/memory.sh [BRAID] — `braid run` for SECONDS_TO_RUN seconds (default 120)
# against tests/integration/feedserver.py with some 60 feeds polled every second: good feeds
# (most answer 304 after their first poll, two send Cache-Control max-age=5, one grows by an
# item every 5 s, three are broken XML that libxml2 recovers), 429 and 503 with
# Retry-After, 500, 404, 410, a dripping body, an endless body, a gzip bomb, a
# reset, redirects, a loop, a server too slow to answer. Samples the daemon's VmRSS every 5 s and
# gives a verdict: after the first 20 s (warm-up), the mean of the last third of the samples may
# exceed the mean of the first third by at most 10%. Counts each feed's poll lines to show that no
# feed starved, then stops the daemon with SIGTERM (it must exit 0 within 5 s) and the server.
# Exit status 0 when every verdict holds, 1 otherwise. Needs python3 and /usr/bin/time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
braid=${1:-$root/build/gcc/braid}
run_s=${SECONDS_TO_RUN:-120}
warmup_s=20
[ -x "$braid" ] || { echo "memory.sh: no braid at $braid (build it first)" >&2; exit 1; }

tmp=$(mktemp -d)
server_pid=
braid_pid=
cleanup() {
  [ -n "$braid_pid" ] && kill -KILL "$braid_pid" 2> /dev/null || true
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2> /dev/null || true
    wait "$server_pid" 2> /dev/null || true
  fi
  if [ "${KEEP:-0}" = 1 ]; then echo "memory.sh: kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

# ---- the server and its documents ----------------------------------------------------------
mkdir -p "$tmp/served"
cp "$root"/tests/fixtures/feeds/* "$root"/tests/fixtures/net/*.rss "$root"/tests/fixtures/net/*.atom \
   "$tmp/served/"
python3 "$root/tests/bench/poll/gen.py" "$tmp/served" 20 1700000000 > /dev/null
grow() { # rewrites grow.rss with one item per call so far: a feed that changes while we watch
  python3 - "$tmp/served/grow.rss" "$1" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
items = "".join("<item><title>Update %d</title><link>https://grow.example/%d</link><guid>urn:grow:%d</guid>"
                "<pubDate>Sat, 07 Dec 2024 %02d:%02d:00 GMT</pubDate><description>&lt;p&gt;Update %d of a "
                "story that keeps moving.&lt;/p&gt;</description></item>\n" % (i, i, i, i // 60 % 24, i % 60, i)
                for i in range(n, 0, -1))
open(path + ".tmp", "w").write('<?xml version="1.0"?>\n<rss version="2.0"><channel><title>Growing</title>'
                               "<link>https://grow.example/</link>\n%s</channel></rss>\n" % items)
import os
os.replace(path + ".tmp", path)
PY
}
grow 1

python3 "$root/tests/integration/feedserver.py" --fixtures "$tmp/served" --port 0 > "$tmp/port" &
server_pid=$!
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
base="http://127.0.0.1:$(head -1 "$tmp/port")"

# ---- braid's configuration: name kind path --------------------------------------------------
{
  for f in $(cd "$tmp/served" && ls f/); do echo "good-${f%%.*} good /feeds/f/$f"; done
  for f in homs-liveblog.rss homs-news.atom homs-wire.rdf basic.rss basic.atom; do
    echo "fixture-${f%%.*}-${f##*.} good /feeds/$f"
  done
  echo "maxage-1 maxage /feeds/basic.rss?cc=5"
  echo "maxage-2 maxage /feeds/basic.atom?cc=5"
  echo "grow good /feeds/grow.rss"
  echo "redirect-1 good /redirect/302/2?to=/feeds/basic.rss"
  echo "redirect-2 good /redirect/301/1?to=/feeds/homs-wire.rdf"
  echo "charset-1 good /charset"
  echo "charset-2 good /charset"
  for i in 1 2 3; do echo "throttled-429-$i error /status/429?retry_after=3"; done
  for i in 1 2 3; do echo "throttled-503-$i error /status/503?retry_after=5"; done
  for i in 1 2 3; do echo "error-500-$i error /status/500"; done
  for i in 1 2; do echo "error-404-$i error /status/404"; done
  echo "gone-410 gone /status/410"
  for i in 1 2; do echo "drip-$i error /drip?interval=1&bytes=100"; done
  for i in 1 2; do echo "endless-$i error /endless"; done
  for i in 1 2; do echo "gzipbomb-$i error /gzipbomb"; done
  # libxml2 recovers the items of this broken document: a 200 with items, polled as often as a good feed.
  for i in 1 2 3; do echo "invalid-$i good /invalid"; done
  for i in 1 2; do echo "reset-$i error /reset"; done
  echo "loop error /loop/a"
  echo "slowheaders error /slowheaders?delay=5"
} > "$tmp/feeds"
mkdir -p "$tmp/braid/feeds.d"
while read -r name kind path; do
  echo "url = $base$path" > "$tmp/braid/feeds.d/$name.feed"
done < "$tmp/feeds"
http_port=$(python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
cat > "$tmp/braid/braid.conf" <<EOF
[store]
path = braid.db
[http]
listen = 127.0.0.1:$http_port
[poll]
interval = 1s
concurrency = 8
per_host = 8
timeout = 3s
connect_timeout = 2s
low_speed_limit = 50
low_speed_time = 2s
max_bytes = 256K
max_redirects = 3
EOF

# ---- the run ------------------------------------------------------------------------------
"$braid" run --config "$tmp/braid/braid.conf" 2> "$tmp/braid/log" &
braid_pid=$!
start=$(date +%s)
: > "$tmp/rss"
step=0
while :; do
  sleep 5
  step=$((step + 1))
  now=$(date +%s)
  rss=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$braid_pid/status" 2> /dev/null || true)
  [ -n "$rss" ] || { echo "memory.sh: braid is gone; its log ends:" >&2; tail -5 "$tmp/braid/log" >&2; exit 1; }
  echo "$((now - start)) $rss" >> "$tmp/rss"
  grow $((step + 1))
  [ $((now - start)) -ge "$run_s" ] && break
done

kill -TERM "$braid_pid"
stop_start=$(date +%s%N)
status=0
for _ in $(seq 50); do kill -0 "$braid_pid" 2> /dev/null || break; sleep 0.1; done
if kill -0 "$braid_pid" 2> /dev/null; then
  stopped="still running 5 s after SIGTERM"
  status=1
else
  wait "$braid_pid" && rc=0 || rc=$?
  stopped="exit status $rc, $((($(date +%s%N) - stop_start) / 1000000)) ms after SIGTERM"
  [ "$rc" = 0 ] || status=1
fi
braid_pid=

# ---- the verdicts -------------------------------------------------------------------------
python3 - "$tmp/rss" "$tmp/feeds" "$tmp/braid/log" "$warmup_s" "$run_s" "$stopped" <<'PY' || status=1
import re, statistics, sys, calendar, time
rss_path, feeds_path, log_path, warmup, run_s, stopped = sys.argv[1:7]
warmup, run_s = int(warmup), int(run_s)
samples = [tuple(map(int, l.split())) for l in open(rss_path)]
print("VmRSS of `braid run` every 5 s (seconds since start: MB):")
print("  " + ", ".join("%d: %.1f" % (t, kb / 1024) for t, kb in samples))
after = [kb for t, kb in samples if t > warmup]
ok = True
if len(after) >= 3:
    third = len(after) // 3
    first, last = statistics.mean(after[:third]), statistics.mean(after[-third:])
    growth = 100 * (last - first) / first
    verdict = growth <= 10
    ok &= verdict
    print("memory: %s — after %d s of warm-up, mean of the first third %.1f MB, of the last third "
          "%.1f MB (%+.1f%%; at most +10%% allowed); peak %.1f MB" % (
              "PASS" if verdict else "FAIL", warmup, first / 1024, last / 1024, growth,
              max(kb for _, kb in samples) / 1024))
else:
    ok = False
    print("memory: FAIL — too few samples after warm-up (run longer)")

kinds = {}
for line in open(feeds_path):
    name, kind, _ = line.split()
    kinds[name] = kind
polls = {name: [] for name in kinds}
outcomes = {name: set() for name in kinds}
for line in open(log_path):
    m = re.match(r"(\S+) \S+ poll feed=(\S+) status=(\d+)(?: result=(\S+))?", line)
    if m and m.group(2) in polls:
        t = calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%SZ"))
        polls[m.group(2)].append(t)
        outcomes[m.group(2)].add(m.group(4) or m.group(3))
starved = []
print()
print("| feeds | kind | polls each (min–max) | longest gap s (max) | outcomes |")
print("|---|---|---|---|---|")
groups = {}
for name in kinds:
    key = re.sub(r"-\d+$", "", name) if not name.startswith("good-") else "good (generated)"
    groups.setdefault(key, []).append(name)
for key, names in groups.items():
    counts = [len(polls[n]) for n in names]
    gaps = [max((b - a for a, b in zip(polls[n], polls[n][1:])), default=0) for n in names]
    outs = sorted(set().union(*(outcomes[n] for n in names)))
    print("| %s ×%d | %s | %d–%d | %d | %s |" % (key, len(names), kinds[names[0]], min(counts),
                                              max(counts), max(gaps), " ".join(outs)))
    for n, c, g in zip(names, counts, gaps):
        # A good feed is due every second (±10%): a gap of more than 5 s means it waited for a
        # slot it should have had. Failing feeds back off (1, 2, 4... s) but must still be polled
        # more than once; a 410 is retired after its one poll.
        if kinds[n] == "good" and (c < (run_s - warmup) // 3 or g > 5):
            starved.append(n)
        if kinds[n] == "maxage" and (c < (run_s - warmup) // 10 or g > 5 + 5):  # max-age=5
            starved.append(n)
        if kinds[n] == "error" and c < 2:
            starved.append(n)
        if kinds[n] == "gone" and c != 1:
            starved.append(n)
verdict = not starved
ok &= verdict
print()
print("starvation: %s — %s" % ("PASS" if verdict else "FAIL",
                               "every feed was polled as its kind allows" if verdict
                               else "starved or over-polled: " + " ".join(starved)))
stop_ok = stopped.startswith("exit status 0,")
ok &= stop_ok
print("stop: %s — %s" % ("PASS" if stop_ok else "FAIL", stopped))
sys.exit(0 if ok else 1)
PY
exit "$status"
