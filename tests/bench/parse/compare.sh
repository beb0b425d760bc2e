#!/bin/sh
# tests/bench/parse/compare.sh OLD_BRAID NEW_BRAID [FILE...] — runs `braid parse` of both
# binaries on every file under tests/fixtures and the parser's fuzz corpus and regressions (or the files given) and reports each whose
# stdout, stderr or exit status differs. A speed change must not change the output: run this
# against main's binary (built in a copy) before committing one. Exit 1 if any differs.
set -u
old=$1 new=$2
shift 2
root=$(cd "$(dirname "$0")/../../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ $# -gt 0 ] || set -- $(find "$root/tests/fixtures" "$root/tests/fuzz/corpus/parse" "$root/tests/fuzz/regressions/parse" -type f 2>/dev/null | sort)
n=0 bad=0
for f in "$@"; do
  n=$((n + 1))
  "$old" parse "$f" > "$tmp/o.out" 2> "$tmp/o.err"; echo "exit $?" >> "$tmp/o.err"
  "$new" parse "$f" > "$tmp/n.out" 2> "$tmp/n.err"; echo "exit $?" >> "$tmp/n.err"
  if ! cmp -s "$tmp/o.out" "$tmp/n.out" || ! cmp -s "$tmp/o.err" "$tmp/n.err"; then
    bad=$((bad + 1))
    echo "DIFFERS: $f"
    diff "$tmp/o.out" "$tmp/n.out" | head -5
    diff "$tmp/o.err" "$tmp/n.err" | head -5
  fi
done
echo "$n files, $bad differ"
[ "$bad" -eq 0 ]
