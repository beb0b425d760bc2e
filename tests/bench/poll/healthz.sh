#!/usr/bin/env bash
# tests/bench/poll/healthz.sh [BRAID] — is the loop responsive while `braid run` takes its first
# poll of N generated feeds (default 2000, env N) from a local nginx into an empty store?
# Asks GET /healthz every 20 ms from the start until every feed has logged its poll, and
# prints the answers' latency (median, 99th percentile, max) and the slowest moments, with the
# poll's own figures. A benchmark, not a test: it asserts nothing (issue 16's goal is a max
# under 100 ms). Env: N (2000), JOBS transfers at once (16), KEEP=1 keeps the temp dir,
# BENCH_RESULTS a file to append "key value" lines to.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
braid=$(readlink -f "${1:-$root/build/gcc/braid}")
n=${N:-2000}
jobs=${JOBS:-16}
for tool in nginx curl python3; do
  command -v "$tool" > /dev/null || { echo "healthz.sh: $tool is missing" >&2; exit 1; }
done
# shellcheck source=tests/bench/poll/nginx.sh
. "$here/nginx.sh"
tmp=$(mktemp -d)
braid_pid=
cleanup() {
  if [ -n "$braid_pid" ]; then
    kill "$braid_pid" 2> /dev/null || true
    wait "$braid_pid" 2> /dev/null || true
  fi
  stop_nginx
  if [ "${KEEP:-0}" = 1 ]; then echo "healthz.sh: kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

python3 "$here/gen.py" "$tmp/www" "$n" 1700000000 > "$tmp/paths"
start_nginx "$tmp/nginx" "$tmp/www"
http_port=$(python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
mkdir -p "$tmp/braid/feeds.d"
python3 - "$tmp/paths" "$tmp/braid/feeds.d" "$nginx_port" <<'PY'
import sys
for i, path in enumerate(open(sys.argv[1]).read().split()):
    with open("%s/f%05d.feed" % (sys.argv[2], i), "w") as f:
        f.write("url = http://127.0.0.1:%s%s\n" % (sys.argv[3], path))
PY
cat > "$tmp/braid/braid.conf" <<CONF
[store]
path = braid.db
[http]
listen = 127.0.0.1:$http_port
[poll]
concurrency = $jobs
per_host = $jobs
timeout = 30s
CONF
cd "$tmp/braid"
"$braid" run --config braid.conf 2> "$tmp/braid.log" &
braid_pid=$!
python3 - "$http_port" "$tmp/braid.log" "$n" "$braid_pid" <<'PY'
import http.client, os, re, sys, time
port, log, n, pid = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def cpu():  # user + sys seconds of braid so far
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
lat, start, polled = [], time.monotonic(), 0
deadline = start + 900
while time.monotonic() < deadline:
    t0 = time.monotonic()
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", "/healthz")
        c.getresponse().read()
        c.close()
        lat.append((time.monotonic() - t0, t0 - start))
    except OSError:
        if lat:  # the server was up: a failure is a latency too
            lat.append((time.monotonic() - t0, t0 - start))
    text = open(log, errors="replace").read()
    polled = len(re.findall(r" poll feed=\S+ status=", text))
    if polled >= n:
        break
    if not os.path.exists("/proc/%d" % pid):
        sys.exit("healthz.sh: braid exited before polling every feed; its log:\n" + text[-2000:])
    time.sleep(0.02)
wall, cpu_s = time.monotonic() - start, cpu()
entries = sum(int(x) for x in re.findall(r" poll feed=\S+ status=200 .*?new_entries=(\d+)", text))
ms = sorted(l * 1000 for l, _ in lat)
q = lambda p: ms[min(len(ms) - 1, int(p * len(ms)))] if ms else float("nan")
load = " ".join(open("/proc/loadavg").read().split()[:3])
print("### /healthz during a first poll of %d feeds (braid run, %d polled)" % (n, polled))
print()
print("| requests | median ms | p99 ms | max ms | first poll wall s | braid CPU s | entries |")
print("|---|---|---|---|---|---|---|")
print("| %d | %.1f | %.1f | %.1f | %.1f | %.1f | %d |" % (len(ms), q(0.5), q(0.99), ms[-1] if ms else 0,
                                                    wall, cpu_s, entries))
print()
slow = sorted(lat, reverse=True)[:5]
print("Slowest answers (ms at s into the poll): " +
      ", ".join("%.0f at %.1f" % (l * 1000, t) for l, t in slow))
print("Machine: %d CPU(s); load average at the end: %s" % (os.cpu_count(), load))
out = os.environ.get("BENCH_RESULTS")
if out:
    with open(out, "a") as f:
        f.write("healthz.n%d.median_ms %.1f\nhealthz.n%d.p99_ms %.1f\nhealthz.n%d.max_ms %.1f\n"
                "healthz.n%d.wall_s %.1f\nhealthz.n%d.cpu_s %.1f\n" % (
                    n, q(0.5), n, q(0.99), n, ms[-1] if ms else 0, n, wall, n, cpu_s))
PY
