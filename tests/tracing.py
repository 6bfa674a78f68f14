"""strace, which some tests use to count what an update asks of the kernel (syncs, bytes read, lock tries):
those tests run where strace can trace a child, and otherwise skip with a reason naming SLI_REQUIRE_STRACE,
which makes them required (the run's last line names the skipped suite, tests/conftest.py)."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess

import pytest


@functools.cache
def strace_works() -> bool:
    """strace is here and may trace (a container may forbid ptrace)."""
    if shutil.which("strace") is None:
        return False
    done = subprocess.run(["strace", "-f", "-qq", "-o", os.devnull, "true"], capture_output=True, timeout=30)
    return done.returncode == 0


def needs_strace(what: str) -> pytest.MarkDecorator:
    """Skip where strace cannot trace, unless SLI_REQUIRE_STRACE=1 (then the test runs, and fails)."""
    required = os.environ.get("SLI_REQUIRE_STRACE") == "1"
    return pytest.mark.skipif(not required and not strace_works(),
                              reason=f"{what}: strace cannot trace here (set SLI_REQUIRE_STRACE=1 to require)")
