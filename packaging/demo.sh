#!/usr/bin/env bash
# Runs braid from this source tree on the bundled offline demo feeds, installing nothing but
# its build dependencies:
#
#   bash packaging/demo.sh
#
# It builds braid (build/demo), writes a throw-away configuration in a temporary directory
# (store there too), copies feeds.d/*.feed into it with their file:///usr/share/braid/demo/
# URLs (where the package installs the demo documents) pointed at this tree's feeds.d/demo/,
# polls every feed once and prints the merged stream. On a terminal it then serves the stream
# at http://127.0.0.1:8080/ until Ctrl-C.
#
# Environment: BRAID_DEMO_PORT (default 8080), BRAID_DEMO_SERVE=0|1 (default: 1 on a terminal).
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
port=${BRAID_DEMO_PORT:-8080}
if [ -t 0 ] && [ -t 1 ]; then serve=${BRAID_DEMO_SERVE:-1}; else serve=${BRAID_DEMO_SERVE:-0}; fi

bash "$src/packaging/install-deps.sh"
echo "=== building braid (build/demo)"
cmake -S "$src" -B "$src/build/demo" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBRAID_TESTS=OFF >/dev/null
cmake --build "$src/build/demo" -j "$(nproc)" >/dev/null
braid=$src/build/demo/braid

shopt -s nullglob
feeds=("$src"/feeds.d/*.feed)
if [ ${#feeds[@]} -eq 0 ]; then
  echo "demo: no demo feeds in $src/feeds.d yet" >&2
  exit 1
fi

work=$(mktemp -d /tmp/braid-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/feeds.d"
for f in "${feeds[@]}"; do
  sed "s|file:///usr/share/braid/demo/|file://$src/feeds.d/demo/|" "$f" \
    >"$work/feeds.d/$(basename "$f")"
done
cat >"$work/braid.conf" <<EOF
[store]
path = $work/braid.db

[http]
listen = 127.0.0.1:$port
EOF
export BRAID_CONFIG=$work/braid.conf

echo "=== braid poll --once (${#feeds[@]} demo feeds)"
"$braid" poll --once
echo "=== braid tail -n 20"
"$braid" tail -n 20

if [ "$serve" = 1 ]; then
  echo "=== braid run: the stream is at http://127.0.0.1:$port/ (and /feed.atom, /feed.rss," \
       "/feed.json); Ctrl-C stops"
  "$braid" run
fi
