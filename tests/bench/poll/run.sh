#!/usr/bin/env bash
# tests/bench/poll/run.sh [BRAID] — one poll of N feeds (default 5000, env N) served by a local
# nginx, side by side: `braid poll --once`, the floor (xargs -P16 -n50 curl, then `braid parse` on
# every file, the ratio of braid's first poll to their sum printed), sfeed_update and
# `newsboat -x reload`; then a second poll of the same, unchanged feeds by each, counting the 304s
# nginx gave (and, for braid, the status=304 lines it logged). Prints markdown.
# Needs nginx (nginx-light), curl, sfeed, newsboat, python3 and /usr/bin/time (package time).
# Env: N feeds (5000), JOBS parallel transfers for braid, curl and newsboat (16), SFEED_N how
# many of the N feeds sfeed_update polls (default N; it starts some ten processes per feed, so at
# 5000 feeds it alone takes many minutes), TOOLS which pollers to run ("braid curl sfeed_update
# newsboat"), LIMIT seconds after which a poll is stopped and marked so (600), KEEP=1 keeps the
# temp dir (its path goes to stderr), BENCH_RESULTS a file to append "key value" lines to (for
# tests/bench/run.sh; keys poll.nN.TOOL.pPASS.FIELD).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
braid=${1:-$root/build/gcc/braid}
n=${N:-5000}
jobs=${JOBS:-16}
sfeed_n=${SFEED_N:-$n}
tools=" ${TOOLS:-braid curl sfeed_update newsboat} "
limit=${LIMIT:-600}
for tool in nginx curl sfeed_update newsboat python3 /usr/bin/time; do
  command -v "$tool" > /dev/null || { echo "run.sh: $tool is missing" >&2; exit 1; }
done
if [ ! -x "$braid" ]; then
  (cd "$root" && cmake -S . -B build/gcc -DCMAKE_C_COMPILER=gcc > /dev/null &&
     cmake --build build/gcc -j2 > /dev/null)
fi

# shellcheck source=tests/bench/poll/nginx.sh
. "$here/nginx.sh"
tmp=$(mktemp -d)
cleanup() {
  stop_nginx
  if [ "${KEEP:-0}" = 1 ]; then echo "run.sh: kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

# ---- the feeds and the server ----------------------------------------------------------------
mtime=1700000000
http_date=$(python3 -c "import email.utils; print(email.utils.formatdate($mtime, usegmt=True))")
python3 "$here/gen.py" "$tmp/www" "$n" "$mtime" > "$tmp/paths"
feed_bytes=$(du -sb "$tmp/www" | cut -f1)
start_nginx "$tmp/nginx" "$tmp/www"
sed "s|^|http://127.0.0.1:$nginx_port|" "$tmp/paths" > "$tmp/urls"
: > "$tmp/nginx/access.log"

# ---- the pollers' configurations ------------------------------------------------------------
mkdir -p "$tmp/braid/feeds.d"
python3 - "$tmp/urls" "$tmp/braid/feeds.d" <<'PY'
import sys
for i, url in enumerate(open(sys.argv[1]).read().split()):
    with open("%s/f%05d.feed" % (sys.argv[2], i), "w") as f:
        f.write("url = %s\n" % url)
PY
cat > "$tmp/braid/braid.conf" <<EOF
[store]
path = braid.db
[http]
listen = 127.0.0.1:1
[poll]
concurrency = $jobs
per_host = $jobs
timeout = 30s
EOF

mkdir -p "$tmp/sfeed"
{
  echo "sfeedpath=\"$tmp/sfeed/feeds\""
  echo "feeds() {"
  head -n "$sfeed_n" "$tmp/urls" | awk '{ printf "  feed \"f%05d\" \"%s\"\n", NR - 1, $0 }'
  echo "}"
} > "$tmp/sfeed/sfeedrc"

mkdir -p "$tmp/newsboat"
printf 'reload-threads %s\n' "$jobs" > "$tmp/newsboat/config"

# ---- measuring ------------------------------------------------------------------------------
results=$tmp/results # tool pass feeds wall user sys maxrss_kb requests n200 n304 other done|stopped
: > "$results"
measure() { # measure NAME PASS FEEDS COMMAND...
  local name=$1 pass=$2 feeds=$3
  shift 3
  local before
  before=$(wc -l < "$tmp/nginx/access.log")
  local rc=0 ended="done"
  /usr/bin/time -f '%e %U %S %M' -o "$tmp/time" timeout "$limit" "$@" > "$tmp/out" 2> "$tmp/err" ||
    rc=$?
  if [ "$rc" = 124 ]; then
    ended=stopped
  elif [ "$rc" != 0 ]; then
    echo "run.sh: $name (poll $pass) exited with status $rc; the end of its stderr:" >&2
    tail -3 "$tmp/err" >&2
  fi
  sleep 0.2 # let nginx write the last lines of its log
  local counts
  counts=$(tail -n +"$((before + 1))" "$tmp/nginx/access.log" |
             awk '{ t++; if ($1 == 200) a++; else if ($1 == 304) b++; else o++ }
                  END { printf "%d %d %d %d", t, a, b, o }')
  echo "$name $pass $feeds $(tail -1 "$tmp/time") $counts $ended" >> "$results"
}
wanted() { [[ $tools == *" $1 "* ]]; }

: > "$tmp/braid/log1"
: > "$tmp/braid/log2"
if wanted braid; then
  cd "$tmp/braid"
  for pass in 1 2; do
    measure braid "$pass" "$n" "$braid" poll --once --config "$tmp/braid/braid.conf"
    cp "$tmp/err" "$tmp/braid/log$pass"
  done
  cd "$tmp"
fi
if wanted curl; then
  # Bodies go to xargs's stdout, /dev/null: curl's -o would name only the first of 50 URLs.
  floor="xargs -P$jobs -n50 curl -s"
  measure curl 1 "$n" sh -c "$floor < '$tmp/urls' > /dev/null"
  # The other half of the floor: `braid parse` on every file, as many at once as cores.
  (cd "$tmp/www" && sed 's|^/||' "$tmp/paths") > "$tmp/files"
  measure parse 1 "$n" sh -c "cd '$tmp/www' && xargs -P$(nproc) -n1 '$braid' parse < '$tmp/files' > /dev/null"
  # Every file has the same mtime, so one If-Modified-Since makes the floor's conditional poll.
  measure curl 2 "$n" sh -c "$floor -H 'If-Modified-Since: $http_date' < '$tmp/urls' > /dev/null"
fi
if wanted sfeed_update; then
  for pass in 1 2; do
    measure sfeed_update "$pass" "$sfeed_n" env HOME="$tmp/sfeed" sfeed_update "$tmp/sfeed/sfeedrc"
  done
fi
if wanted newsboat; then
  nb=(env HOME="$tmp/newsboat" newsboat -q -C "$tmp/newsboat/config" -u "$tmp/urls"
      -c "$tmp/newsboat/cache.db" -x reload)
  for pass in 1 2; do
    measure newsboat "$pass" "$n" "${nb[@]}"
  done
fi

# 304s are logged at debug; the run's last line counts them at info.
braid304=$(sed -n 's/.* done .*not_modified=\([0-9]*\).*/\1/p' "$tmp/braid/log2" | tail -1)
braid304=${braid304:-0}
braid200=$(grep -c ' poll feed=[^ ]* status=200 ' "$tmp/braid/log1" || true)
braid_entries=$(sed -n 's/.* done .*new_entries=\([0-9]*\).*/\1/p' "$tmp/braid/log1" | tail -1)

# ---- the report -----------------------------------------------------------------------------
python3 - "$results" "$n" "$feed_bytes" "$jobs" "$braid200" "$braid304" "${braid_entries:-?}" <<'PY'
import os, platform, sys
path, n, feed_bytes, jobs, b200, b304, entries = sys.argv[1:8]
nproc = os.cpu_count()
n = int(n)
rows = {}
for line in open(path):
    tool, p, feeds, wall, user, sys_, rss, t, a, b, o, ended = line.split()
    rows[(tool, int(p))] = dict(feeds=int(feeds), wall=float(wall), cpu=float(user) + float(sys_),
                                mb=int(rss) / 1024, req=int(t), ok=int(a), nm=int(b), other=int(o),
                                stopped=ended == "stopped")
cpu_model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                  if l.startswith("model name")), "?")
print("Machine: %d CPU(s), %s, Linux %s; load average at the end: %s" % (
    os.cpu_count(), cpu_model, platform.release(), " ".join(open("/proc/loadavg").read().split()[:3])))
print()
print("%d feeds (%.1f MB in all, %.1f KB on average, 1 in 10 a live blog) served by nginx (static "
      "files, etag on, no gzip) on 127.0.0.1; %s transfers at once for braid (concurrency = per_host "
      "= %s: every feed is on one host), curl and newsboat; sfeed_update runs its own default of 8." % (
          n, int(feed_bytes) / 1e6, int(feed_bytes) / n / 1e3, jobs, jobs))
print()
results = os.environ.get("BENCH_RESULTS")
names = {"braid": "braid poll --once", "curl": "curl floor: xargs -P%s -n50 curl -s" % jobs,
         "sfeed_update": "sfeed_update (maxjobs 8, a curl per feed)",
         "newsboat": "newsboat -x reload (reload-threads %s)" % jobs,
         "parse": "parse floor: braid parse FILE, %d at once" % nproc}
for p, title in ((1, "First poll (nothing cached)"), (2, "Second poll (every feed unchanged)")):
    print("**%s**" % title)
    print()
    print("| tool | feeds | wall s | CPU s | peak MB | wall × curl | CPU × curl | 200 | 304 | other |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    floor = rows.get(("curl", p))
    for tool in ("braid", "curl", "parse", "sfeed_update", "newsboat"):
        r = rows.get((tool, p))
        if not r:
            continue
        def ratio(key):  # per feed, so that a row over fewer feeds compares fairly
            if not floor or not floor[key]:
                return "-"
            return "%.2f" % ((r[key] / r["feeds"]) / (floor[key] / floor["feeds"]))
        if r["stopped"]:  # what it did before the limit, not a rate
            print("| %s | %d | > %.0f (stopped, %d requests made) | %.2f | %.1f | > %s | > %s | %d | %d | %d |" % (
                names[tool], r["feeds"], r["wall"], r["req"], r["cpu"], r["mb"], ratio("wall"),
                ratio("cpu"), r["ok"], r["nm"], r["other"]))
            continue
        print("| %s | %d | %.2f | %.2f | %.1f | %s | %s | %d | %d | %d |" % (
            names[tool], r["feeds"], r["wall"], r["cpu"], r["mb"], ratio("wall"), ratio("cpu"),
            r["ok"], r["nm"], r["other"]))
    print()
if results:
    with open(results, "a") as out:
        out.write("poll.n%d.feed_mb %.1f\npoll.n%d.jobs %s\n" % (n, int(feed_bytes) / 1e6, n, jobs))
        out.write("poll.n%d.braid.p1.status200 %s\npoll.n%d.braid.p2.status304 %s\n"
                  "poll.n%d.braid.p1.entries %s\n" % (n, b200, n, b304, n, entries))
        for (tool, p), r in sorted(rows.items()):
            for key, value in r.items():
                out.write("poll.n%d.%s.p%d.%s %s\n" % (n, tool, p, key, round(float(value), 3)))
b1, c1, p1 = rows.get(("braid", 1)), rows.get(("curl", 1)), rows.get(("parse", 1))
if b1 and c1 and p1 and not b1["stopped"]:
    floor_wall, floor_cpu = c1["wall"] + p1["wall"], c1["cpu"] + p1["cpu"]
    n_entries = int(entries) if entries.isdigit() else 0
    print("**Ratios, first poll** (issue 16's goal: wall at most 2x the floor): braid %.2f s wall, "
          "%.2f s CPU; floor (curl + braid parse, run one after the other) %.2f s wall, %.2f s CPU: "
          "**wall %.2fx, CPU %.2fx the floor**; %s entries stored, %.0f entries/s of CPU, %.0f/s "
          "wall." % (b1["wall"], b1["cpu"], floor_wall, floor_cpu, b1["wall"] / floor_wall,
                     b1["cpu"] / floor_cpu, entries, n_entries / b1["cpu"] if b1["cpu"] else 0,
                     n_entries / b1["wall"] if b1["wall"] else 0))
    print()
    if results:
        with open(results, "a") as out:
            out.write("poll.n%d.ratio_wall %.3f\npoll.n%d.ratio_cpu %.3f\n" % (
                n, b1["wall"] / floor_wall, n, b1["cpu"] / floor_cpu))
b2 = rows.get(("braid", 2))
if b2:
    print("braid, second poll: %s of %d feeds counted not_modified (%.1f%%); nginx answered %d of its %d "
          "requests with 304 (%.1f%%). First poll: %s feeds logged status=200, %s new entries stored." % (
              b304, n, 100 * int(b304) / n, b2["nm"], b2["req"],
              100 * b2["nm"] / b2["req"] if b2["req"] else 0, b200, entries))
    print()
print("200/304/other: nginx's access log for that run. Peak MB is the largest single process (GNU "
      "time's %M): for curl and sfeed_update one curl or sfeed process, not the sum of those running "
      "at once. CPU s is user + sys of the tool and all its children (not nginx's). Ratios are per "
      "feed.")
PY
