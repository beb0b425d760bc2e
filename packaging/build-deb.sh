#!/usr/bin/env bash
# Builds braid's binary Debian package from this source tree.
#
#   bash packaging/build-deb.sh [OUTDIR]        (default OUTDIR: build/deb)
#
# A relative OUTDIR is relative to the directory the script is run from. Progress goes to
# stderr, one line per stage; the last line on stdout is the absolute path of braid's .deb.
#
# Debian wants debian/ at the root of the source; braid keeps it in packaging/debian. So this
# copies the source tree (the files git knows, tracked or new, not build/ or ignored ones; a
# plain copy without build*/ when there is no git) to a temporary directory, puts
# packaging/debian at its root as debian/, runs `dpkg-buildpackage -us -uc -b` there and copies
# the .deb files to OUTDIR. Installs what the build needs with apt-get (idempotent).
#
# Environment:
#   BRAID_DEB_VERSION=V   package version V instead of debian/changelog's (adds an entry)
#   BRAID_DEB_KEEP=1      keep the temporary build directory (its path is printed)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
# Resolved now, against the caller's directory: the script cds into its temporary copy later.
out=$(realpath -m -- "${1:-$src/build/deb}")
started=$(date +%s)
stage_no=0
progress() { # progress MESSAGE: "build-deb: [N/6 12s] MESSAGE" on stderr
  stage_no=$((stage_no + 1))
  printf 'build-deb: [%d/6 %ss] %s\n' "$stage_no" "$(($(date +%s) - started))" "$*" >&2
}

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

# What dpkg-buildpackage needs beyond the project's own build dependencies.
progress "checking build dependencies"
bash "$here/install-deps.sh"
tools=(debhelper dpkg-dev fakeroot)
missing=()
for p in "${tools[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi

work=$(mktemp -d /tmp/braid-deb.XXXXXX)
if [ "${BRAID_DEB_KEEP:-0}" = 1 ]; then
  echo "build-deb: keeping $work"
else
  trap 'rm -rf "$work"' EXIT
fi
stage=$work/braid
mkdir -p "$stage"

# Copy the source: what git knows when it can tell, else everything but build output.
progress "copying the source to $stage"
cd "$src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do
      # Tracked files deleted in the work tree are not part of this build.
      [ -e "$f" ] && printf '%s\0' "$f"
    done |
    tar --null --no-recursion -T - -cf - | tar -xf - -C "$stage"
else
  tar --exclude='./build*' --exclude='./.git' -cf - . | tar -xf - -C "$stage"
fi
rm -rf "$stage/debian"
cp -a "$here/debian" "$stage/debian"

if [ -n "${BRAID_DEB_VERSION:-}" ]; then
  {
    printf 'braid (%s) unstable; urgency=medium\n\n' "$BRAID_DEB_VERSION"
    printf '  * Local build of version %s.\n\n' "$BRAID_DEB_VERSION"
    printf ' -- braid developers <braid@braid-feeds.invalid>  %s\n\n' "$(date -R)"
    cat "$here/debian/changelog"
  } >"$stage/debian/changelog"
fi

# The package version should carry the version braid reports (CMake's project version).
cmake_version=$(sed -n 's/^project(braid VERSION \([^ )]*\).*/\1/p' "$src/CMakeLists.txt")
deb_version=$(cd "$stage" && dpkg-parsechangelog -S Version)
case "$deb_version" in
  "$cmake_version"*) ;;
  *) echo "build-deb: warning: package version $deb_version does not start with" \
          "CMakeLists.txt's $cmake_version (update packaging/debian/changelog)" >&2 ;;
esac

cd "$stage"
progress "checking dpkg-checkbuilddeps for version $deb_version"
dpkg-checkbuilddeps
progress "building with dpkg-buildpackage (a few minutes; log: $work/build.log)"
jobs=$(nproc)
DEB_BUILD_OPTIONS="parallel=$jobs ${DEB_BUILD_OPTIONS:-}" \
  dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1 || {
  tail -n 60 "$work/build.log" >&2
  echo "build-deb: dpkg-buildpackage failed (log above)" >&2
  exit 1
}

progress "copying the packages to $out"
mkdir -p "$out"
cp "$work"/*.deb "$out"/
arch=$(dpkg --print-architecture)
deb=$out/braid_${deb_version}_${arch}.deb
[ -f "$deb" ] || { echo "build-deb: $deb was not built (see $out)" >&2; exit 1; }
progress "done: $deb"
echo "$deb"
