"""The CLI contract's outer shell: --version, --help, unknown commands, exit codes."""
from braidtest import Suite, run_braid

s = Suite("cli")
r = run_braid("--version")
s.check("--version exits 0", r.returncode == 0, r.stderr)
s.check("--version names braid", r.stdout.startswith(b"braid "), r.stdout)

r = run_braid("--help")
s.check("--help exits 0", r.returncode == 0, r.stderr)
for cmd in ("run", "poll", "parse", "split", "tail", "export", "feeds", "import", "export-opml"):
    s.check(f"--help lists {cmd}", f"braid {cmd}".encode() in r.stdout, r.stdout)

r = run_braid()
s.check("no command exits 2", r.returncode == 2, r.returncode)
r = run_braid("frobnicate")
s.check("unknown command exits 2", r.returncode == 2, r.returncode)
s.check("unknown command is named", b"frobnicate" in r.stderr, r.stderr)
s.finish()
