#!/usr/bin/env python3
"""pgcluster.py — a private PostgreSQL cluster for one test, never a system service.

    pgcluster.py run -- PROGRAM [ARGS...]   initdb in a new temporary directory, start postgres on
                                             127.0.0.1 at a free port and on a Unix socket in that
                                             directory, create database `braidtest`, run PROGRAM
                                             with the cluster in its environment, stop postgres by
                                             its pid, remove the directory, exit with PROGRAM's code
    pgcluster.py kill DIR                    stop the cluster in DIR at once (SIGQUIT to the
                                             postmaster: what `pg_ctl stop -m immediate` sends)
    pgcluster.py start DIR                   start it again on the same port and socket

PROGRAM sees BRAID_PG_CONNINFO (a libpq keyword string over TCP), BRAID_PG_URI (the same as a
postgresql:// URI), BRAID_PG_SOCKET_CONNINFO (over the Unix socket), BRAID_PG_DIR, and
BRAID_PG_KILL / BRAID_PG_START: shell commands that run `kill` and `start` on this cluster, for
tests that take the server away mid-test. TCP connections need a password (scram-sha-256), a
random one that only PGPASSFILE (a .pgpass file in the directory) holds: where a `[store] url`
is meant to find its password. The Unix socket trusts local users.

initdb and postgres refuse to run as root: as root (CI's fresh Debian 12) they run as `nobody`,
the directory chowned to it. Without the PostgreSQL server binaries (the `postgresql` package)
the program is not run and the exit code is 77, which CTest reports as a visible SKIP.
"""
import ctypes
import glob
import json
import os
import pwd
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SKIP_CODE = 77
DB_USER = "braid"
DB_NAME = "braidtest"
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 60


def find_bindir():
    """The directory holding initdb, pg_ctl and postgres, or None."""
    candidates = []
    if os.environ.get("BRAID_PG_BINDIR"):  # given: only there (tests the SKIP path too)
        candidates.append(os.environ["BRAID_PG_BINDIR"])
    # Debian keeps the server binaries out of PATH, one directory per major version.
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                         key=lambda d: int(d.split("/")[-2]) if d.split("/")[-2].isdigit() else 0,
                         reverse=True)
    which = shutil.which("initdb")
    if which:
        candidates.append(os.path.dirname(which))
    if os.environ.get("BRAID_PG_BINDIR"):
        candidates = candidates[:1]
    for d in candidates:
        if all(os.access(os.path.join(d, b), os.X_OK) for b in ("initdb", "pg_ctl", "postgres")):
            return d
    return None


def server_user():
    """(uid, gid) to run the server as: ourselves, or `nobody` when we are root."""
    if os.geteuid() != 0:
        return None
    pw = pwd.getpwnam("nobody")
    return pw.pw_uid, pw.pw_gid


def as_server_user():
    ids = server_user()
    if ids is None:
        return {}
    return {"user": ids[0], "group": ids[1], "extra_groups": []}


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load(d):
    with open(os.path.join(d, "cluster.json")) as f:
        return json.load(f)


def postmaster_pid(d):
    """The postmaster's pid from its lock file, or None when it is not running."""
    try:
        with open(os.path.join(d, "data", "postmaster.pid")) as f:
            return int(f.readline().strip())
    except (OSError, ValueError):
        return None


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is gone for our purpose.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def start(d):
    c = load(d)
    opts = " ".join([
        f"-p {c['port']}", "-c listen_addresses=127.0.0.1",
        f"-c unix_socket_directories={d}",
        # Tests kill the server, never the machine: fsync can go, but a commit must reach the
        # WAL before it is acknowledged (no synchronous_commit=off), or a killed server forgets
        # transactions its clients saw commit.
        "-c fsync=off", "-c full_page_writes=off",
        "-c max_connections=40", "-c shared_buffers=16MB",
    ])
    # pg_ctl detaches postgres from us, so a `kill` from another process finds no zombie.
    r = subprocess.run([os.path.join(c["bindir"], "pg_ctl"), "start", "-w",
                        "-t", str(START_TIMEOUT_S), "-D", os.path.join(d, "data"),
                        "-l", os.path.join(d, "server.log"), "-o", opts],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **as_server_user())
    if r.returncode != 0:
        sys.stderr.write(f"pgcluster: pg_ctl start failed: {r.stderr.decode(errors='replace')}\n")
        log_tail(d)
        return 1
    return 0


def stop(d, sig):
    """Signals the postmaster by pid and waits until it is gone (SIGKILL after the timeout)."""
    pid = postmaster_pid(d)
    if pid is None:
        return 0
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return 0
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return 0
        time.sleep(0.05)
    sys.stderr.write(f"pgcluster: postmaster {pid} ignored signal {sig}; killing it\n")
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return 1


def log_tail(d):
    try:
        with open(os.path.join(d, "server.log"), errors="replace") as f:
            sys.stderr.write("pgcluster: server.log:\n" + "".join(f.readlines()[-30:]))
    except OSError:
        pass


def create(bindir):
    d = tempfile.mkdtemp(prefix="braidpg-")
    ids = server_user()
    if ids is not None:
        os.chown(d, ids[0], ids[1])
    os.chmod(d, 0o700)
    port = free_port()
    with open(os.path.join(d, "cluster.json"), "w") as f:
        json.dump({"bindir": bindir, "port": port}, f)
    password = secrets.token_hex(16)
    pwfile = os.path.join(d, "pwfile")
    with open(pwfile, "w") as f:
        f.write(password + "\n")
    if ids is not None:
        os.chown(pwfile, ids[0], ids[1])
    # libpq reads a password file only when it is the reader's and private (0600).
    passfile = os.path.join(d, "pgpass")
    with os.fdopen(os.open(passfile, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
        f.write(f"127.0.0.1:{port}:*:{DB_USER}:{password}\n")
    r = subprocess.run([os.path.join(bindir, "initdb"), "-D", os.path.join(d, "data"),
                        "-U", DB_USER, "--pwfile", pwfile, "--auth-local=trust",
                        "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **as_server_user())
    os.unlink(pwfile)
    if r.returncode != 0:
        sys.stderr.write(f"pgcluster: initdb failed: {r.stderr.decode(errors='replace')}\n")
        shutil.rmtree(d, ignore_errors=True)
        return None
    return d


def conninfo(d, tcp):
    c = load(d)
    host = "127.0.0.1" if tcp else d
    return f"host={host} port={c['port']} dbname={DB_NAME} user={DB_USER}"


def become_subreaper():
    """Makes the postmasters pg_ctl detaches our children again, so we reap them: PID 1 of a
    container may not."""
    PR_SET_CHILD_SUBREAPER = 36
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def stop_on_signals():
    """A timeout (CTest's) or Ctrl-C ends the test through the `finally` that stops the cluster,
    rather than leave a postmaster behind."""
    def handler(signum, frame):
        raise SystemExit(128 + signum)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, handler)


def run(argv):
    stop_on_signals()
    bindir = find_bindir()
    if bindir is None:
        print("SKIP: PostgreSQL server binaries (initdb, pg_ctl, postgres) not found; "
              "install the postgresql package (packaging/install-deps.sh does)")
        return SKIP_CODE
    become_subreaper()
    d = create(bindir)
    if d is None:
        return 1
    try:
        if start(d) != 0:
            return 1
        c = load(d)
        r = subprocess.run([os.path.join(bindir, "createdb"), "-h", d, "-p", str(c["port"]),
                            "-U", DB_USER, DB_NAME], stderr=subprocess.PIPE)
        if r.returncode != 0:
            sys.stderr.write(f"pgcluster: createdb failed: {r.stderr.decode(errors='replace')}\n")
            return 1
        me = [sys.executable, os.path.abspath(__file__)]
        env = dict(os.environ,
                   PGPASSFILE=os.path.join(d, "pgpass"),
                   BRAID_PG_CONNINFO=conninfo(d, True),
                   BRAID_PG_URI=f"postgresql://{DB_USER}@127.0.0.1:{c['port']}/{DB_NAME}",
                   BRAID_PG_SOCKET_CONNINFO=conninfo(d, False),
                   BRAID_PG_DIR=d,
                   BRAID_PG_KILL=shlex.join(me + ["kill", d]),
                   BRAID_PG_START=shlex.join(me + ["start", d]))
        try:
            rc = subprocess.run(argv, env=env).returncode
        except OSError as e:
            sys.stderr.write(f"pgcluster: cannot run {argv[0]}: {e}\n")
            return 1
        if rc not in (0, SKIP_CODE):
            log_tail(d)
        return rc
    finally:
        # A fast shutdown (SIGINT): postgres rolls back and exits without waiting for clients.
        stop(d, signal.SIGINT)
        reap()
        shutil.rmtree(d, ignore_errors=True)


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "run" and sys.argv[2] == "--":
        if len(sys.argv) == 3:
            sys.exit("usage: pgcluster.py run -- PROGRAM [ARGS...]")
        return run(sys.argv[3:])
    if len(sys.argv) == 3 and sys.argv[1] == "kill":
        return stop(sys.argv[2], signal.SIGQUIT)
    if len(sys.argv) == 3 and sys.argv[1] == "start":
        return start(sys.argv[2])
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
