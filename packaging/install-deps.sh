#!/usr/bin/env bash
# Installs what braid needs to build, test and run on Debian 12, with apt-get.
# Idempotent: it asks apt only for what is missing, so a set-up machine pays nothing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config clang gcc
  # clang's sanitizer and libFuzzer runtimes (tests/fuzz)
  libclang-rt-14-dev
  libuv1-dev libcurl4-openssl-dev libxml2-dev libsqlite3-dev libmicrohttpd-dev
  libsystemd-dev libinih-dev libjansson-dev zlib1g-dev libcmocka-dev
  tzdata ca-certificates sqlite3 python3 libxml2-utils openssl
  # What the integration tests read braid's output with: a real feed reader, Universal Feed
  # Parser, an HTML5 parser, and systemd's own unit checks.
  newsboat python3-feedparser python3-html5lib systemd man-db groff-base
  # store/pg/ (several nodes on PostgreSQL, in progress): libpq to build, and the server whose
  # initdb/postgres tests/pg/pgcluster.py runs as a private cluster for its tests.
  libpq-dev postgresql
)
# Peers and tools the benchmarks and the slower tests use.
if [ "${BRAID_DEPS_BENCH:-0}" = 1 ]; then
  packages+=(sfeed newsboat nginx-light wrk curl time valgrind)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
