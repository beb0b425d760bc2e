"""packaging/build-deb.sh as README shows it, with a RELATIVE output directory: the .deb it
names on its last stdout line must exist, under the caller's directory (issue 17: a relative
path used to be resolved inside the script's temporary copy, and the printed file did not
exist). Also: one progress line per stage on stderr, and the package is braid's.
packaging/test-deb.sh does the same as root before installing; this runs it under CTest.
Skipped (visibly) where dpkg-buildpackage is missing or the build tools could not be
installed without root. Takes a minute or two: it is a full package build.
"""
import os
import re
import shutil
import subprocess

from braidtest import SOURCE, Suite

s = Suite("build_deb")
if not shutil.which("dpkg-buildpackage") or not shutil.which("dpkg-deb"):
    s.skip("dpkg-buildpackage is not installed (apt-get install dpkg-dev debhelper fakeroot)")
    s.finish()
if os.geteuid() != 0 and not shutil.which("sudo"):
    s.skip("build-deb.sh installs its build tools with apt-get: needs root or sudo")
    s.finish()

caller = os.path.join(s.tmp, "caller")
os.makedirs(caller)
script = os.path.join(SOURCE, "packaging", "build-deb.sh")
r = subprocess.run(["bash", script, "rel/deb"], cwd=caller, capture_output=True, text=True,
                   timeout=1200)
s.check("build-deb.sh rel/deb exits 0", r.returncode == 0, r.stderr[-3000:])
lines = r.stdout.strip().splitlines()
deb = lines[-1] if lines else ""
want_dir = os.path.join(os.path.realpath(caller), "rel", "deb")
s.check("its last stdout line is an absolute path under the caller's rel/deb",
        os.path.isabs(deb) and os.path.dirname(deb) == want_dir, (deb, want_dir))
s.check("the .deb it names exists", os.path.isfile(deb), (deb, os.listdir(caller)))
s.check("nothing went to the script's own directory",
        not os.path.exists(os.path.join(SOURCE, "packaging", "rel")), "packaging/rel exists")
if os.path.isfile(deb):
    f = subprocess.run(["dpkg-deb", "-f", deb, "Package"], capture_output=True, text=True)
    s.check("it is braid's package", f.stdout.strip() == "braid", f.stdout + f.stderr)
stages = re.findall(r"^build-deb: \[(\d)/6 \d+s\] ", r.stderr, re.M)
s.check("one progress line per stage on stderr", stages == [str(i) for i in range(1, 7)],
        r.stderr[-2000:])
s.finish()
