"""`braid run` speaks systemd's notify protocol the way braid.service (Type=notify,
WatchdogSec=, ExecReload=kill -HUP) needs it, checked with a fake service manager: a datagram
socket in NOTIFY_SOCKET that records what arrives and from which process.

- READY=1 once started, sent by the main process (NotifyAccess=main drops anything else);
- WATCHDOG=1 keeps coming at less than the WATCHDOG_USEC interval;
- SIGHUP gives RELOADING=1 with MONOTONIC_USEC=, then READY=1;
- SIGTERM gives STOPPING=1 and exit status 0.
Skipped while `braid run` is not in this build.
"""
import os
import signal
import socket
import struct
import subprocess
import time

from braidtest import BRAID, Suite

s = Suite("packaging_notify")
WAIT_S = 30  # generous: a start-up under ASan on a busy 2-core machine


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


conf_dir = os.path.join(s.tmp, "etc")
os.makedirs(os.path.join(conf_dir, "feeds.d"))
conf = os.path.join(conf_dir, "braid.conf")
with open(conf, "w") as f:
    f.write(f"[store]\npath = {s.tmp}/braid.db\n[http]\nlisten = 127.0.0.1:{free_port()}\n")

notify_path = os.path.join(s.tmp, "notify")
manager = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
manager.bind(notify_path)
manager.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)

env = dict(os.environ, NOTIFY_SOCKET=notify_path, WATCHDOG_USEC="2000000")
env.pop("WATCHDOG_PID", None)
log_path = os.path.join(s.tmp, "braid.log")
log = open(log_path, "wb")
proc = subprocess.Popen([BRAID, "run", "--config", conf], stdin=subprocess.DEVNULL,
                        stdout=log, stderr=log, env=env)
received = []  # (fields dict, sender pid)


def next_message(deadline):
    """The next datagram as ({field: value}, pid), or None at the deadline or exit."""
    while time.monotonic() < deadline:
        manager.settimeout(0.2)
        try:
            data, anc, _, _ = manager.recvmsg(4096, socket.CMSG_SPACE(12))
        except socket.timeout:
            if proc.poll() is not None:
                return None
            continue
        pid = None
        for level, kind, payload in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("iii", payload[:12])[0]
        fields = dict(line.split("=", 1) for line in data.decode().split("\n") if "=" in line)
        received.append((fields, pid))
        return fields, pid
    return None


def wait_for(field, value=None, timeout=WAIT_S):
    """Reads messages until one sets field (to value, if given); returns (fields, pid)."""
    deadline = time.monotonic() + timeout
    while True:
        got = next_message(deadline)
        if got is None:
            return None
        if field in got[0] and (value is None or got[0][field] == value):
            return got


def daemon_log():
    log.flush()
    with open(log_path, "rb") as f:
        return f.read().decode(errors="replace")[-1500:]


try:
    ready = wait_for("READY", "1")
    if s.check("READY=1 after start", ready is not None, f"got {received}; log: {daemon_log()}"):
        s.check("READY=1 comes from the main process (NotifyAccess=main)",
                ready[1] == proc.pid, f"sender pid {ready[1]}, braid pid {proc.pid}")
        status = ready if "STATUS" in ready[0] else wait_for("STATUS")
        s.check("STATUS= says how many feeds braid polls",
                status is not None and "feeds" in status[0].get("STATUS", ""),
                f"got {received[-5:]}; log: {daemon_log()}")

        ping = wait_for("WATCHDOG", "1", timeout=10)
        s.check("WATCHDOG=1 within the 2 s interval's budget", ping is not None,
                f"got {received[-5:]}; log: {daemon_log()}")
        if ping:
            s.check("WATCHDOG=1 comes from the main process", ping[1] == proc.pid, ping[1])
            # Pings come at half of WATCHDOG_USEC (1 s): three more within 3.5 s, never
            # letting the 2 s budget run out.
            t0 = time.monotonic()
            more = [wait_for("WATCHDOG", "1", timeout=2) for _ in range(3)]
            s.check("WATCHDOG=1 keeps coming at half the interval",
                    all(m is not None for m in more) and time.monotonic() - t0 < 3.5,
                    f"{more}; {time.monotonic() - t0:.1f} s")

        before_us = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        proc.send_signal(signal.SIGHUP)
        reloading = wait_for("RELOADING", "1")
        if s.check("SIGHUP gives RELOADING=1", reloading is not None,
                   f"got {received[-5:]}; log: {daemon_log()}"):
            stamp = reloading[0].get("MONOTONIC_USEC", "")
            s.check("RELOADING=1 carries MONOTONIC_USEC of the reload",
                    stamp.isdigit() and int(stamp) >= before_us, reloading[0])
            s.check("reload ends with READY=1", wait_for("READY", "1") is not None,
                    f"got {received[-5:]}; log: {daemon_log()}")

        proc.send_signal(signal.SIGTERM)
        s.check("SIGTERM gives STOPPING=1", wait_for("STOPPING", "1") is not None,
                f"got {received[-5:]}; log: {daemon_log()}")
        try:
            code = proc.wait(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            code = None
        s.check("SIGTERM stops braid with exit status 0", code == 0,
                f"exit {code}; log: {daemon_log()}")
finally:
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    log.close()
    manager.close()
s.finish()
