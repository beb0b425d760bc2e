#!/usr/bin/env python3
"""rusage.py [-n RUNS] OUT COMMAND [ARG...]: runs COMMAND RUNS times (default once; stdin, stdout and
stderr as given) and appends one line a run to OUT: "WALL_S CPU_S MAXRSS_KB STATUS", wall and CPU
(user + sys) seconds to the microsecond (from wait4(2), so python's own start-up is not counted; GNU
time prints CPU to the hundredth of a second only, which is 3% of a 0.3 s run) and the peak RSS of
COMMAND and its children. The peak comes from GNU time run between the two: a child forked from
python would inherit python's 10 MB as its high-water mark, one forked from GNU time only time's 1-2
MB. Exits with the status of COMMAND's last failing run, else 0. Needs /usr/bin/time (package time).
For the benchmark scripts.

rusage.py --best OUT: prints "WALL_S CPU_S PEAK_MB" over the runs OUT holds: the least wall and
the least CPU time (the runs the other jobs on a shared machine disturbed least) and the
largest peak RSS."""
import os
import subprocess
import sys
import tempfile
import time

if len(sys.argv) == 3 and sys.argv[1] == "--best":
    runs = [line.split() for line in open(sys.argv[2])]
    print("%.3f %.3f %.1f" % (min(float(r[0]) for r in runs), min(float(r[1]) for r in runs),
                              max(int(r[2]) for r in runs) / 1024))
    sys.exit(0)
runs = 1
if len(sys.argv) > 2 and sys.argv[1] == "-n":
    runs = int(sys.argv[2])
    del sys.argv[1:3]
if len(sys.argv) < 3:
    sys.exit("usage: rusage.py [-n RUNS] OUT COMMAND [ARG...] | rusage.py --best OUT")
failed = 0
for _ in range(runs):
    with tempfile.NamedTemporaryFile("r") as peak:
        start = time.monotonic()
        child = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", peak.name, "--"] + sys.argv[2:])
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.monotonic() - start
        maxrss_kb = int(peak.read().split()[-1])
    code = os.waitstatus_to_exitcode(status)
    failed = code if code else failed
    with open(sys.argv[1], "a") as out:
        out.write("%.6f %.6f %d %d\n" % (wall, usage.ru_utime + usage.ru_stime, maxrss_kb, code))
sys.exit(failed if failed >= 0 else 128 - failed)
