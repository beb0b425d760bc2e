"""Shared helpers for braid's integration tests (standard library only).

Each test file builds a Suite, calls check() for every assertion a user depends on, and ends
with suite.finish(), which prints each failure with its reason, then the line
"N passed, N failed" and exits non-zero on any failure.
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile

BRAID = os.environ.get("BRAID", "braid")
FIXTURES = os.environ.get("BRAID_FIXTURES", os.path.join(os.path.dirname(__file__), "..", "fixtures"))
SOURCE = os.environ.get("BRAID_SOURCE", os.path.join(os.path.dirname(__file__), "..", ".."))


class Suite:
    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = []
        self.tmp = tempfile.mkdtemp(prefix=f"braid-{name}-")

    def check(self, what, cond, detail=""):
        if cond:
            self.passed += 1
        else:
            self.failed.append(f"{what}: {detail}")
        return cond

    def finish(self):
        for f in self.failed:
            print(f"FAIL {self.name}: {f}")
        print(f"{self.name}: {self.passed} passed, {len(self.failed)} failed")
        if not self.failed:
            shutil.rmtree(self.tmp, ignore_errors=True)
        else:
            print(f"(scratch files kept in {self.tmp})")
        sys.exit(1 if self.failed else 0)


def run_braid(*args, stdin=None, timeout=60, env=None, input_bytes=None):
    """Runs braid with args; returns CompletedProcess with bytes stdout/stderr."""
    e = dict(os.environ)
    if env:
        e.update(env)
    return subprocess.run([BRAID, *args], input=input_bytes, stdin=stdin, capture_output=True,
                          timeout=timeout, env=e)


def free_port():
    """A TCP port free on 127.0.0.1 right now, for a braid.conf [http] listen."""
    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        return so.getsockname()[1]


def fixture(*parts):
    return os.path.join(FIXTURES, *parts)
