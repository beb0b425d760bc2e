#!/usr/bin/env bash
# tests/bench/pg/run.sh [BRAID] — one full round of `braid run` on the same generated feeds:
# SQLite (one node), then 1, 2 and 3 nodes on PostgreSQL, then a new node replaying the log;
# wall time, polls per second, CPU per poll of the nodes and of PostgreSQL, the ingest rate and
# a projection for more machines, as markdown on stdout. It runs inside a private PostgreSQL
# cluster (tests/pg/pgcluster.py: stopped and removed at the end) and starts nginx itself.
# Needs nginx (nginx-light), the postgresql package and python3. Env: see bench.py (N feeds,
# HOSTS, PER_HOST, CONCURRENCY, NODES, LIMIT, KEEP).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
braid=${1:-$root/build/gcc/braid}
for tool in nginx python3; do
  command -v "$tool" > /dev/null || { echo "run.sh: $tool is missing" >&2; exit 1; }
done
if [ ! -x "$braid" ]; then
  (cd "$root" && cmake -S . -B build/gcc -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null &&
     cmake --build build/gcc -j2 --target braid > /dev/null)
fi
braid=$(cd "$(dirname "$braid")" && pwd)/$(basename "$braid")
exec python3 "$root/tests/pg/pgcluster.py" run -- python3 "$here/bench.py" "$braid"
