#!/bin/bash
# run.sh — requests/s and latency of braid's /feed.atom (100 entries) beside nginx serving the
# same bytes as a static file, both on 127.0.0.1, measured with wrk.
#
# Needs: a gcc build in build/gcc (libbraidcore.a), and the Debian packages wrk and nginx-light.
# Usage: tests/bench/serve/run.sh [SECONDS] [CONNECTIONS]      (from the project root)
# Environment: BUILD (default build/gcc), ENTRIES (default 100), NGINX_WORKERS (default 1:
# braid serves from one thread, so one nginx worker is the like-for-like peer).
set -euo pipefail

root=$(cd "$(dirname "$0")/../../.." && pwd)
build=${BUILD:-$root/build/gcc}
seconds=${1:-10}
conns=${2:-32}
entries=${ENTRIES:-100}
workers=${NGINX_WORKERS:-1}
braid_port=${BRAID_PORT:-18080}
nginx_port=${NGINX_PORT:-18081}

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

# shellcheck disable=SC2046
cc -O2 -D_GNU_SOURCE -DBRAID_VERSION='"bench"' -I"$root/aggregator" \
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
echo "document: /feed.atom, $entries entries, $size bytes; wrk -t2 -c$conns -d${seconds}s; nginx workers: $workers"
printf '%-8s %12s %10s %10s %10s\n' server "requests/s" "p50" "p90" "p99"
bench() { # name url
  wrk -t2 -c"$conns" -d"${seconds}s" --latency "$2" > "$tmp/$1.wrk"
  local rps p50 p90 p99
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$tmp/$1.wrk")
  p50=$(awk '$1 == "50%" {print $2}' "$tmp/$1.wrk")
  p90=$(awk '$1 == "90%" {print $2}' "$tmp/$1.wrk")
  p99=$(awk '$1 == "99%" {print $2}' "$tmp/$1.wrk")
  printf '%-8s %12s %10s %10s %10s\n' "$1" "$rps" "$p50" "$p90" "$p99"
  grep -q "Non-2xx" "$tmp/$1.wrk" && { echo "run.sh: $1 answered errors:" >&2; cat "$tmp/$1.wrk" >&2; }
  echo "$rps" > "$tmp/$1.rps"
}
bench braid "http://127.0.0.1:$braid_port/feed.atom"
bench nginx "http://127.0.0.1:$nginx_port/feed.atom"
awk -v b="$(cat "$tmp/braid.rps")" -v n="$(cat "$tmp/nginx.rps")" \
  'BEGIN { printf "braid/nginx: %.2f\n", b / n }'
