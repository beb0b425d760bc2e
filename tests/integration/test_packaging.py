"""The service files, man pages and install rules, checked as the system tools see them.

- systemd-analyze verifies packaging/braid.service (pointed at the built binary) and scores its
  sandbox at or under 2.0 ("OK");
- sysusers.d and tmpfiles.d files give a braid user and a 0750 /var/lib/braid owned by it;
- both man pages render without a groff warning;
- every key in the default braid.conf is documented in braid.conf(5), and with every default
  uncommented the file still loads (once a command that reads it exists);
- `cmake --install` puts each file where the Debian package and systemd expect it.
A tool that is missing (a minimal container without systemd or man) skips its checks, saying so.
"""
import os
import re
import shutil
import subprocess

from braidtest import BRAID, SOURCE, Suite, run_braid

s = Suite("packaging")
pkg = os.path.join(SOURCE, "packaging")
unit_src = os.path.join(pkg, "braid.service")
man1 = os.path.join(pkg, "man", "braid.1")
man5 = os.path.join(pkg, "man", "braid.conf.5")
conf = os.path.join(pkg, "braid.conf")


def run(*args, env=None, cwd=None):
    e = dict(os.environ)
    if env:
        e.update(env)
    return subprocess.run(args, capture_output=True, text=True, env=e, cwd=cwd, timeout=120)


skip = s.skip


# ---- the unit -------------------------------------------------------------------------------
with open(unit_src) as f:
    unit = f.read()
for line in ("Type=notify", "ExecStart=/usr/bin/braid run --config /etc/braid/braid.conf",
             "ExecReload=/bin/kill -HUP $MAINPID", "User=braid", "StateDirectory=braid",
             "WatchdogSec=60s", "ProtectSystem=strict", "CapabilityBoundingSet="):
    s.check(f"unit has {line}", re.search(rf"^{re.escape(line)}$", unit, re.M) is not None)

if shutil.which("systemd-analyze"):
    # A copy that runs the binary just built, with the man pages on MANPATH, so that verify
    # checks everything it can (executable present, Documentation= pages found).
    man_root = os.path.join(s.tmp, "man")
    for sec, page in (("1", man1), ("5", man5)):
        os.makedirs(os.path.join(man_root, f"man{sec}"), exist_ok=True)
        shutil.copy(page, os.path.join(man_root, f"man{sec}"))
    unit_copy = os.path.join(s.tmp, "braid.service")
    with open(unit_copy, "w") as f:
        f.write(unit.replace("/usr/bin/braid", os.path.abspath(BRAID)))
    r = run("systemd-analyze", "verify", unit_copy, env={"MANPATH": man_root})
    s.check("systemd-analyze verify is clean", r.returncode == 0 and not r.stderr.strip(),
            f"exit {r.returncode}: {r.stderr}")
    r = run("systemd-analyze", "security", "--offline=true", unit_copy)
    m = re.search(r"Overall exposure level for braid.service: ([0-9.]+) (\w+)", r.stdout)
    s.check("systemd-analyze security gives a score", m is not None, r.stdout[-300:] + r.stderr)
    if m:
        s.check("exposure score <= 2.0", float(m.group(1)) <= 2.0, m.group(0))
        print(f"systemd-analyze security: {m.group(1)} {m.group(2)}")
else:
    skip("systemd-analyze checks: systemd-analyze not installed")

# ---- sysusers.d and tmpfiles.d --------------------------------------------------------------
if shutil.which("systemd-sysusers") and shutil.which("systemd-tmpfiles") and os.geteuid() == 0:
    root = os.path.join(s.tmp, "root")
    os.makedirs(os.path.join(root, "etc"))
    r = run("systemd-sysusers", f"--root={root}", os.path.join(pkg, "braid.sysusers"))
    s.check("systemd-sysusers accepts braid.sysusers", r.returncode == 0, r.stderr)
    passwd = open(os.path.join(root, "etc", "passwd")).read() if r.returncode == 0 else ""
    m = re.search(r"^braid:x:(\d+):(\d+):[^:]*:/var/lib/braid:(\S+)$", passwd, re.M)
    s.check("braid user with home /var/lib/braid", m is not None, passwd)
    if m:
        s.check("braid user cannot log in", m.group(3).endswith("nologin"), m.group(3))
        r = run("systemd-tmpfiles", f"--root={root}", "--create",
                os.path.join(pkg, "braid.tmpfiles"))
        s.check("systemd-tmpfiles accepts braid.tmpfiles", r.returncode == 0, r.stderr)
        st = os.stat(os.path.join(root, "var", "lib", "braid"))
        s.check("/var/lib/braid is 0750 braid:braid",
                (st.st_mode & 0o7777, st.st_uid, st.st_gid) ==
                (0o750, int(m.group(1)), int(m.group(2))),
                f"{oct(st.st_mode)} {st.st_uid}:{st.st_gid}")
else:
    skip("sysusers/tmpfiles checks: need root and systemd-sysusers, systemd-tmpfiles")

# ---- man pages ------------------------------------------------------------------------------
if shutil.which("man"):
    for page in (man1, man5):
        r = run("man", "--warnings", "-E", "UTF-8", "-l", page,
                env={"MANWIDTH": "80", "LC_ALL": "C.UTF-8", "MANPAGER": "cat", "PAGER": "cat"})
        name = os.path.basename(page)
        s.check(f"{name} renders", r.returncode == 0 and "NAME" in r.stdout, r.stderr)
        s.check(f"{name} has no groff warnings", r.stderr.strip() == "", r.stderr)
else:
    skip("man page rendering: man not installed")

man1_text = open(man1).read()
for cmd in ("run", "poll", "parse", "split", "tail", "export", "feeds", "import", "export-opml"):
    in_troff = re.escape(cmd.replace("-", "\\-"))
    s.check(f"braid(1) documents {cmd}", re.search(rf"^\.B[IR]? {in_troff}\b", man1_text, re.M)
            is not None)
for word in ("BRAID_CONFIG", "SIGHUP", "SIGTERM", "EXIT STATUS", "FILES", "EXAMPLES"):
    s.check(f"braid(1) mentions {word}", word in man1_text)

# ---- braid.conf against braid.conf(5) -------------------------------------------------------
man5_text = open(man5).read()
sections = {}
current = None
for line in open(conf):
    m = re.match(r"^\[(\w+)\]", line)
    if m:
        current = m.group(1)
        continue
    m = re.match(r"^;(\w+) =(.*)$", line)
    if m:
        sections.setdefault(current, []).append((m.group(1), m.group(2).strip()))
s.check("braid.conf lists keys", sum(len(v) for v in sections.values()) >= 15, sections)
for section, keys in sections.items():
    # The man page has one ".SH "[section] SECTION"" per section, keys as ".B key" under it.
    m = re.search(rf'^\.SH "\[{section}\] SECTION"\n(.*?)(?=^\.SH )', man5_text, re.M | re.S)
    s.check(f"braid.conf(5) has a [{section}] section", m is not None)
    for key, default in keys:
        body = m.group(1) if m else ""
        s.check(f"braid.conf(5) documents [{section}] {key}",
                re.search(rf"^\.B {key}$", body, re.M) is not None)
        if default and "VERSION" not in default:
            shown = default.replace("-", "\\-")
            s.check(f"braid.conf(5) gives [{section}] {key}'s default {default}",
                    shown in body, body[:200])
s.check("store path default", ("path", "/var/lib/braid/braid.db") in sections.get("store", []))
s.check("listen default", ("listen", "127.0.0.1:8080") in sections.get("http", []))

# Every default, uncommented, must be a valid configuration.
uncommented = os.path.join(s.tmp, "conf", "braid.conf")
os.makedirs(os.path.join(s.tmp, "conf", "feeds.d"))
with open(uncommented, "w") as f:
    for line in open(conf):
        m = re.match(r"^;(\w+) =(.*)$", line)
        if m and not m.group(2).strip():
            continue  # a key with no default stays unset
        f.write(line[1:] if m else line)
r = run_braid("feeds", "list", "--config", uncommented)
s.check("braid.conf with every default uncommented loads", r.returncode == 0,
        f"exit {r.returncode}: {r.stderr!r}")

# ---- install rules --------------------------------------------------------------------------
# Installs the build the binary came from into a scratch DESTDIR, with the prefix it was
# configured with (/usr/local unless told otherwise; /usr gives exactly the package's tree).
build_dir = os.path.dirname(os.path.abspath(BRAID))
cache = os.path.join(build_dir, "CMakeCache.txt")
if shutil.which("cmake") and os.path.exists(os.path.join(build_dir, "cmake_install.cmake")):
    prefix = re.search(r"^CMAKE_INSTALL_PREFIX:PATH=(.*)$", open(cache).read(), re.M).group(1)
    sysconfdir = "/etc" if prefix == "/usr" else prefix + "/etc"
    dest = os.path.join(s.tmp, "dest")
    r = run("cmake", "--install", build_dir, env={"DESTDIR": dest})
    s.check("cmake --install succeeds", r.returncode == 0, r.stderr)
    unitdir = run("pkg-config", "--variable=systemdsystemunitdir", "systemd").stdout.strip() \
        or "/lib/systemd/system"

    def at(path):
        return os.path.join(dest, path.lstrip("/"))

    for path in (f"{prefix}/bin/braid", f"{sysconfdir}/braid/braid.conf",
                 f"{sysconfdir}/braid/feeds.d", f"{unitdir}/braid.service",
                 "/usr/lib/sysusers.d/braid.conf", "/usr/lib/tmpfiles.d/braid.conf",
                 f"{prefix}/share/man/man1/braid.1", f"{prefix}/share/man/man5/braid.conf.5"):
        s.check(f"installs {path}", os.path.exists(at(path)))
    feeds_src = os.path.join(SOURCE, "feeds.d")
    if os.path.isdir(feeds_src):
        for name in os.listdir(feeds_src):
            if name.endswith(".feed"):
                s.check(f"installs feeds.d/{name}",
                        os.path.exists(at(f"{sysconfdir}/braid/feeds.d/{name}")))
    installed_unit = at(f"{unitdir}/braid.service")
    if os.path.exists(installed_unit):
        text = open(installed_unit).read()
        s.check("installed unit runs the installed binary with the installed config",
                f"ExecStart={prefix}/bin/braid run --config {sysconfdir}/braid/braid.conf\n"
                in text, text[:600])
        if prefix == "/usr":
            s.check("unit installed under /usr is the packaged one", text == unit)
else:
    skip("install rules: no cmake or no cmake_install.cmake beside the binary")

s.finish()
