#!/usr/bin/env bash
# End-to-end test of braid's Debian package on this machine (needs root; Debian 12):
#   build the .deb, lintian it, install it with apt-get, run the installed braid, poll once as
#   the braid user, upgrade to a higher version (the user's config and store must survive),
#   remove (config and store stay), purge (both go). Exits non-zero on any failure.
#
#   bash packaging/test-deb.sh
#
# Environment:
#   BRAID_DEB_SKIP_POLL=1   skip `runuser -u braid -- braid poll --once` (until the daemon lands)
#   BRAID_DEB_OUT=DIR       where the .deb files go (default: a temporary directory)
#   BRAID_DEB_UPGRADE_REBUILD=1   build the upgrade from source (BRAID_DEB_VERSION) instead
#                           of repacking the first build with a higher version (+10 s or so)
#
# It installs and purges the package `braid` on this machine: if one is installed already it
# is purged first. By default the upgrade installs the same build repacked with a higher
# version: what dpkg sees on a real upgrade (new version, same conffiles, maintainer scripts
# run as an upgrade), without compiling twice.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
started=$(date +%s)
passed=0
failed=0

step() { printf '=== %s (%ss)\n' "$*" "$(($(date +%s) - started))"; }
pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); printf 'FAIL: %s\n' "$*"; }
check() { # check DESCRIPTION COMMAND...
  local what=$1; shift
  if "$@"; then pass; else fail "$what"; fi
}
finish() {
  printf 'test-deb: %d passed, %d failed, %ss\n' "$passed" "$failed" "$(($(date +%s) - started))"
  exit $((failed > 0))
}

if [ "$(id -u)" -ne 0 ]; then
  echo "test-deb: must run as root (it installs and purges the braid package)" >&2
  exit 2
fi
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp /tmp/braid-test-deb-apt.XXXXXX.log)
# apt's chatter goes to a log, shown when a step fails.
apt_get() {
  if ! apt-get -y -q -o Dpkg::Use-Pty=0 "$@" </dev/null >>"$log" 2>&1; then
    tail -n 30 "$log"
    return 1
  fi
}

if ! dpkg-query -W -f='${Status}' lintian 2>/dev/null | grep -q 'install ok installed'; then
  apt_get update
  apt_get install --no-install-recommends lintian
fi

out=${BRAID_DEB_OUT:-$(mktemp -d /tmp/braid-test-deb.XXXXXX)}
mkdir -p "$out"

step "build"
# With a relative OUTDIR, as README shows it: it is relative to where the script is run from.
deb=$(cd "$out" && bash "$here/build-deb.sh" rel/deb | tail -n 1)
[ -f "$deb" ] || { fail "build-deb.sh produced no .deb ($deb)"; finish; }
pass
check "a relative OUTDIR is taken from the caller's directory" \
  test "$(dirname "$deb")" = "$(cd "$out" && pwd)/rel/deb"
version=$(dpkg-deb -f "$deb" Version)

step "lintian $deb"
# Errors and warnings fail; info tags are shown. Overrides are justified in
# packaging/debian/braid.lintian-overrides.
check "lintian is clean" lintian --fail-on error,warning --info "$deb"

if dpkg-query -W -f='${Status}' braid 2>/dev/null | grep -q 'installed'; then
  step "purging the braid package already installed"
  apt_get purge braid
fi

step "install"
check "apt-get install $deb" apt_get install "$deb"
check "installed version is $version" \
  test "$(dpkg-query -W -f='${Version}' braid)" = "$version"
check "braid --version runs" sh -c '/usr/bin/braid --version | grep -q "^braid "'
check "braid user exists" sh -c "id braid >/dev/null"
check "braid has no login shell" sh -c 'getent passwd braid | grep -q ":/usr/sbin/nologin$"'
check "/var/lib/braid belongs to braid, mode 750" \
  test "$(stat -c '%U:%G %a' /var/lib/braid)" = "braid:braid 750"
check "/etc/braid/braid.conf is a conffile" \
  sh -c 'dpkg-query -W -f="\${Conffiles}" braid | grep -q "/etc/braid/braid.conf "'
check "/etc/braid/feeds.d exists" test -d /etc/braid/feeds.d
check "unit is installed" test -f /lib/systemd/system/braid.service
check "unit is enabled" test -L /etc/systemd/system/multi-user.target.wants/braid.service
check "man page braid(1)" test -f /usr/share/man/man1/braid.1.gz
check "man page braid.conf(5)" test -f /usr/share/man/man5/braid.conf.5.gz
if command -v systemd-analyze >/dev/null; then
  # Installed, the unit's binary and Documentation= pages exist: verify must say nothing.
  check "systemd-analyze verify on the installed unit is clean" \
    sh -c 'out=$(systemd-analyze verify /lib/systemd/system/braid.service 2>&1) &&
           { [ -z "$out" ] || { echo "$out"; false; }; }'
fi

if [ "${BRAID_DEB_SKIP_POLL:-0}" = 1 ]; then
  step "poll --once as braid: SKIPPED (BRAID_DEB_SKIP_POLL=1)"
else
  step "poll --once as braid"
  # With no feeds (or the bundled demo feeds, which are local files) this must succeed and
  # leave a store owned by braid.
  if (cd /var/lib/braid && runuser -u braid -- /usr/bin/braid poll --once \
        --config /etc/braid/braid.conf); then
    pass
    check "store created, owned by braid" \
      test "$(stat -c %U /var/lib/braid/braid.db 2>/dev/null)" = braid
  else
    fail "runuser -u braid -- braid poll --once --config /etc/braid/braid.conf exited $?"
  fi
fi

step "upgrade to a higher version"
marker="# local change kept across upgrades $$"
echo "$marker" >>/etc/braid/braid.conf
runuser -u braid -- sh -c 'echo kept >/var/lib/braid/upgrade-marker'
new_version="$version+upgradetest1"
if [ "${BRAID_DEB_UPGRADE_REBUILD:-0}" = 1 ]; then
  new_deb=$(BRAID_DEB_VERSION=$new_version bash "$here/build-deb.sh" "$out" | tail -n 1)
else
  repack=$(mktemp -d /tmp/braid-repack.XXXXXX)
  dpkg-deb -R "$deb" "$repack/pkg"
  sed -i "s/^Version: .*/Version: $new_version/" "$repack/pkg/DEBIAN/control"
  new_deb="$out/braid_${new_version}_$(dpkg --print-architecture).deb"
  dpkg-deb --root-owner-group -b "$repack/pkg" "$new_deb" >/dev/null
  rm -rf "$repack"
fi
check "apt-get install (upgrade) $new_deb" apt_get install "$new_deb"
check "upgraded version is $new_version" \
  test "$(dpkg-query -W -f='${Version}' braid)" = "$new_version"
check "upgrade kept the edited braid.conf" grep -qxF "$marker" /etc/braid/braid.conf
check "upgrade left no .dpkg-new/.dpkg-dist config" \
  sh -c '! ls /etc/braid/braid.conf.dpkg-* 2>/dev/null | grep -q .'
check "upgrade kept the store" test -f /var/lib/braid/upgrade-marker
check "braid --version runs after upgrade" /usr/bin/braid --version

step "remove"
check "apt-get remove braid" apt_get remove braid
check "binary gone" test ! -e /usr/bin/braid
check "unit gone" test ! -e /lib/systemd/system/braid.service
check "remove kept braid.conf" grep -qxF "$marker" /etc/braid/braid.conf
check "remove kept the store" test -f /var/lib/braid/upgrade-marker
check "package is config-files only" \
  test "$(dpkg-query -W -f='${Status}' braid)" = "deinstall ok config-files"

step "purge"
check "apt-get purge braid" apt_get purge braid
check "purge removed /etc/braid" test ! -e /etc/braid
check "purge removed /var/lib/braid" test ! -e /var/lib/braid
check "purge removed the enablement symlink" \
  test ! -e /etc/systemd/system/multi-user.target.wants/braid.service
check "package is gone" sh -c '! dpkg-query -W -f="\${Status}" braid 2>/dev/null | grep -q installed'

[ -n "${BRAID_DEB_OUT:-}" ] || rm -rf "$out"
[ "$failed" -gt 0 ] || rm -f "$log"
finish
