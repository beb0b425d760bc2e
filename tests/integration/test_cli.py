"""The CLI contract's outer shell: --version, --help, unknown commands, exit codes."""
import os
import subprocess
import sys

BRAID = os.environ["BRAID"]
failures = []


def run(*args):
    return subprocess.run([BRAID, *args], capture_output=True, text=True, timeout=30)


def check(name, cond, detail=""):
    if not cond:
        failures.append(f"{name}: {detail}")


r = run("--version")
check("--version exits 0", r.returncode == 0, r.stderr)
check("--version names braid", r.stdout.startswith("braid "), r.stdout)

r = run("--help")
check("--help exits 0", r.returncode == 0, r.stderr)
for cmd in ("run", "poll", "parse", "split", "tail", "export", "feeds", "import", "export-opml"):
    check(f"--help lists {cmd}", f"braid {cmd}" in r.stdout, r.stdout)

r = run()
check("no command exits 2", r.returncode == 2, str(r.returncode))

r = run("frobnicate")
check("unknown command exits 2", r.returncode == 2, str(r.returncode))
check("unknown command is named", "frobnicate" in r.stderr, r.stderr)

for f in failures:
    print("FAIL", f)
print(f"cli: {'ok' if not failures else 'FAILED'}")
sys.exit(1 if failures else 0)
