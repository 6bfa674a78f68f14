"""The workbook lock's own cost (issue 18): taking and letting go of it asks the kernel for nothing but the
lock file and its `flock`; and a forked child still knows it does not hold its parent's lock."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from shared.workbook_lock import LockTimeout, WorkbookLock


def test_taking_the_lock_does_not_ask_for_the_process_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Which locks this process holds was checked against os.getpid() at every take and release (a call into
    the kernel, four an update); a fork now forgets them instead."""
    asked: list[int] = []
    real = os.getpid

    def counted() -> int:
        asked.append(1)
        return real()

    monkeypatch.setattr(os, "getpid", counted)
    lock = WorkbookLock(tmp_path / ".book.sli-lock", timeout=1)
    with lock, lock:  # taken, and taken again within (re-entry)
        pass
    assert asked == []


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
def test_a_forked_child_does_not_hold_its_parents_lock(tmp_path: Path) -> None:
    """The child shares the parent's `flock` but does not hold the lock: taking it there waits (and gives up),
    it is not taken again as the parent's re-entry."""
    path = tmp_path / ".book.sli-lock"
    with WorkbookLock(path, timeout=1):
        child = os.fork()
        if child == 0:  # pragma: no cover - the child's answer is its exit status
            code = 1
            try:
                with WorkbookLock(path, timeout=0.2):
                    code = 2  # taken as if it were the parent's
            except LockTimeout:
                code = 0
            finally:
                os._exit(code)
        _pid, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
