#!/bin/bash
# run.sh — requests/s and latency of braid's /feed.atom (100 entries) beside nginx serving the
# same bytes as a static file, both on 127.0.0.1, measured with wrk.
#
# Needs: a gcc build in build/gcc (libbraidcore.a), and the Debian packages wrk and nginx-light.
# Usage: tests/bench/serve/run.sh [SECONDS] [CONNECTIONS]      (from the project root)
# Environment: BUILD (default build/gcc), ENTRIES (default 100), NGINX_WORKERS (default 1:
# braid serves from one thread, so one nginx worker is the like-for-like peer), ROUNDS (default
# 1) runs of each server, alternating, of which the median counts, BENCH_RESULTS a file to
# append "key value" lines to (for tests/bench/run.sh).
# Besides wrk's figures it reads each server's CPU time (user + sys, from /proc; for nginx the
# master and its workers) before and after each run, giving CPU per request, which the other
# jobs on a shared machine disturb far less than requests/s; and each server's peak RSS (VmHWM).
set -euo pipefail

root=$(cd "$(dirname "$0")/../../.." && pwd)
# Every subsystem folder of aggregator/ and store/ (the layout of aggregator/README.md).
braid_includes=$(for d in "$root"/aggregator/*/ "$root/store"; do printf -- '-I%s ' "${d%/}"; done)
build=${BUILD:-$root/build/gcc}
seconds=${1:-10}
conns=${2:-32}
entries=${ENTRIES:-100}
workers=${NGINX_WORKERS:-1}
braid_port=${BRAID_PORT:-18080}
nginx_port=${NGINX_PORT:-18081}
rounds=${ROUNDS:-1}
record() { [ -z "${BENCH_RESULTS:-}" ] || echo "serve.$1 $2" >> "$BENCH_RESULTS"; }

for tool in wrk nginx curl pkg-config cc; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool not found (apt-get install -y wrk nginx-light curl)" >&2; exit 2; }
done
[ -f "$build/libbraidcore.a" ] || { echo "run.sh: $build/libbraidcore.a missing: build first" >&2; exit 2; }

tmp=$(mktemp -d)
braid_pid=
nginx_pid=
cleanup() {
  [ -n "$braid_pid" ] && kill "$braid_pid" 2>/dev/null && wait "$braid_pid" 2>/dev/null || true
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# shellcheck disable=SC2046,SC2086
cc -O2 -D_GNU_SOURCE -DBRAID_VERSION='"bench"' $braid_includes \
  -o "$tmp/bench_server" "$root/tests/bench/serve/bench_server.c" "$build/libbraidcore.a" \
  $(pkg-config --cflags --libs libuv libcurl libxml-2.0 sqlite3 libmicrohttpd inih jansson zlib) \
  $(pkg-config --libs libsystemd 2>/dev/null || true) -lm

"$tmp/bench_server" "127.0.0.1:$braid_port" "$entries" > "$tmp/braid.log" 2>&1 &
braid_pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$braid_port/healthz" >/dev/null && break; sleep 0.1; done

mkdir -p "$tmp/www" "$tmp/logs"
curl -sf "http://127.0.0.1:$braid_port/feed.atom" > "$tmp/www/feed.atom"
chmod 755 "$tmp" "$tmp/www" && chmod 644 "$tmp/www/feed.atom"  # nginx workers run as nobody
cat > "$tmp/nginx.conf" <<CONF
worker_processes $workers;
daemon off;
pid $tmp/nginx.pid;
error_log $tmp/logs/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $tmp/body; proxy_temp_path $tmp/proxy; fastcgi_temp_path $tmp/fastcgi;
  uwsgi_temp_path $tmp/uwsgi; scgi_temp_path $tmp/scgi;
  sendfile on; tcp_nopush on; keepalive_requests 1000000;
  types { application/atom+xml atom; }
  server {
    listen 127.0.0.1:$nginx_port;
    root $tmp/www;
    add_header Cache-Control "public, max-age=60";
  }
}
CONF
nginx -p "$tmp" -c "$tmp/nginx.conf" &
nginx_pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$nginx_port/feed.atom" >/dev/null && break; sleep 0.1; done

size=$(stat -c %s "$tmp/www/feed.atom")
ticks=$(getconf CLK_TCK)
pids_of() { # pids_of PID: PID and its children (nginx's workers)
  # shellcheck disable=SC2046,SC2086  # a list of pids, one word each
  echo "$1" $(cat /proc/"$1"/task/*/children 2>/dev/null)
}
cpu_ticks() { # cpu_ticks PID...: utime + stime of the processes, in clock ticks
  local t=0 p
  for p in "$@"; do
    t=$((t + $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' /proc/"$p"/stat)))
  done
  echo "$t"
}
peak_kb() { # peak_kb PID...: the largest VmHWM of the processes
  local p
  for p in "$@"; do awk '/^VmHWM:/ { print $2 }' /proc/"$p"/status; done | sort -n | tail -1
}
echo "document: /feed.atom, $entries entries, $size bytes; wrk -t2 -c$conns -d${seconds}s; nginx workers: $workers; rounds: $rounds"
printf '%-8s %12s %10s %10s %10s %12s\n' server "requests/s" "p50" "p90" "p99" "CPU us/req"
bench() { # bench NAME URL PID: one wrk run; appends "rps p50 p90 p99 cpu_us_per_req" to NAME.runs
  local pids before after
  pids=$(pids_of "$3")
  # shellcheck disable=SC2086  # a list of pids
  before=$(cpu_ticks $pids)
  wrk -t2 -c"$conns" -d"${seconds}s" --latency "$2" > "$tmp/$1.wrk"
  # shellcheck disable=SC2086
  after=$(cpu_ticks $pids)
  local rps p50 p90 p99 requests us
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$tmp/$1.wrk")
  p50=$(awk '$1 == "50%" {print $2}' "$tmp/$1.wrk")
  p90=$(awk '$1 == "90%" {print $2}' "$tmp/$1.wrk")
  p99=$(awk '$1 == "99%" {print $2}' "$tmp/$1.wrk")
  requests=$(awk '/ requests in / {print $1}' "$tmp/$1.wrk")
  us=$(awk -v t=$((after - before)) -v hz="$ticks" -v n="$requests" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
  printf '%-8s %12s %10s %10s %10s %12s\n' "$1" "$rps" "$p50" "$p90" "$p99" "$us"
  grep -q "Non-2xx" "$tmp/$1.wrk" && { echo "run.sh: $1 answered errors:" >&2; cat "$tmp/$1.wrk" >&2; }
  echo "$rps $p50 $p90 $p99 $us" >> "$tmp/$1.runs"
}
for _ in $(seq "$rounds"); do
  bench braid "http://127.0.0.1:$braid_port/feed.atom" "$braid_pid"
  bench nginx "http://127.0.0.1:$nginx_port/feed.atom" "$nginx_pid"
done
# shellcheck disable=SC2046,SC2086
braid_peak=$(peak_kb $(pids_of "$braid_pid"))
# shellcheck disable=SC2046,SC2086
nginx_peak=$(peak_kb $(pids_of "$nginx_pid"))
python3 - "$tmp" "$size" "$braid_peak" "$nginx_peak" <<'PY'
import os, statistics, sys
tmp, size, braid_peak, nginx_peak = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def ms(v):  # wrk prints 5.01ms, 812.00us, 1.02s
    for unit, scale in (("us", 1e-3), ("ms", 1.0), ("s", 1e3)):
        if v.endswith(unit):
            return float(v[:-len(unit)]) * scale
    return float(v)
med = {}
for name in ("braid", "nginx"):
    runs = [l.split() for l in open("%s/%s.runs" % (tmp, name))]
    med[name] = dict(rps=statistics.median(float(r[0]) for r in runs),
                     p50=statistics.median(ms(r[1]) for r in runs),
                     p99=statistics.median(ms(r[3]) for r in runs),
                     us=statistics.median(float(r[4]) for r in runs), n=len(runs))
b, n = med["braid"], med["nginx"]
print("median of %d: braid %.0f req/s, %.1f us CPU/req, p99 %.1f ms, peak %.1f MB; "
      "nginx %.0f req/s, %.1f us CPU/req, p99 %.1f ms, peak %.1f MB (largest process)"
      % (b["n"], b["rps"], b["us"], b["p99"], braid_peak / 1024, n["rps"], n["us"], n["p99"],
         nginx_peak / 1024))
print("braid/nginx: %.2f (requests/s); nginx/braid: %.2f (CPU per request)"
      % (b["rps"] / n["rps"], n["us"] / b["us"]))
results = os.environ.get("BENCH_RESULTS")
if results:
    with open(results, "a") as out:
        out.write("serve.bytes %d\nserve.rounds %d\n" % (size, b["n"]))
        for name, peak in (("braid", braid_peak), ("nginx", nginx_peak)):
            m = med[name]
            out.write("serve.%s.rps %.0f\nserve.%s.cpu_us_per_req %.1f\nserve.%s.p50_ms %.2f\n"
                      "serve.%s.p99_ms %.2f\nserve.%s.rss_mb %.1f\n" % (
                          name, m["rps"], name, m["us"], name, m["p50"], name, m["p99"], name,
                          peak / 1024))
PY
