"""The workbook's cross-process lock, waited for without polling, so writers are served as they come.

`filelock` (which this replaces for the workbook) tries a non-blocking `flock` and sleeps between tries
(50 ms, then longer): with 8 `sli update`s at once, the unlucky ones slept through several hand-overs and
p95 was 20x p50. Here a waiter blocks in the kernel (`flock` without `LOCK_NB`) and is woken the moment the
lock is let go. A wait with a timeout blocks in a helper thread while the caller waits on an event for at most
that long (no signals, so it works in any thread); a helper whose caller gave up lets the lock go as soon as
it gets it. The lock is the same `flock` on the same file as `filelock`'s, so the two exclude each other.

Re-entrant within a thread: a pass that holds the workbook for all the updates waiting (`process_pending`)
opens a unit of work per update inside its own, and those take nothing more."""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path
from types import TracebackType

from filelock import Timeout

#: The locks this thread holds, by file, with how many times each was taken (re-entry).
_HELD = threading.local()


class LockTimeout(Timeout):
    """Another program held the workbook's lock for longer than the wait allowed (`filelock.Timeout`, so
    the callers that catch it keep doing so)."""


def _forget_held() -> None:
    """In a forked child: the parent's locks are not the child's (it shares their `flock`, it does not hold
    it). Forgotten at the fork, instead of asking the kernel for the process id at every take and release."""
    global _HELD
    _HELD = threading.local()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_held)


def _held() -> dict[str, list[int]]:
    try:
        return _HELD.locks
    except AttributeError:
        _HELD.locks = {}
        return _HELD.locks


class WorkbookLock:
    """`with WorkbookLock(path, timeout):` holds the exclusive `flock` on `path` (made if missing).

    `timeout` in seconds: None or a negative number waits for ever; `LockTimeout` when it runs out."""

    def __init__(self, path: Path | str, timeout: float | None = None):
        self.path = str(path)
        self.timeout = timeout

    def __enter__(self) -> WorkbookLock:
        self.acquire()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.release()

    def acquire(self) -> None:
        held = _held()
        if self.path in held:
            held[self.path][1] += 1
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._wait(fd)  # closes `fd` itself if it fails
        except BaseException:
            os.close(fd)
            raise
        held[self.path] = [fd, 1]

    def _wait(self, fd: int) -> None:
        """Block until the lock is ours (FIFO as the kernel wakes waiters), or `LockTimeout`."""
        if self.timeout is None or self.timeout < 0:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except BaseException:
                os.close(fd)
                raise
            return
        got = threading.Event()
        state: dict[str, object] = {"gave_up": False, "error": None}
        guard = threading.Lock()

        def wait() -> None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError as exc:
                state["error"] = exc
            with guard:
                if state["gave_up"] or state["error"] is not None:
                    os.close(fd)  # the caller left (or it failed): closing lets the lock go at once
                    return
                got.set()

        threading.Thread(target=wait, name="sli-workbook-lock", daemon=True).start()
        got.wait(self.timeout)
        with guard:
            if state["error"] is not None:
                raise state["error"]  # type: ignore[misc]  # an OSError, its fd already closed
            if not got.is_set():
                state["gave_up"] = True
                raise LockTimeout(self.path)

    def release(self) -> None:
        held = _held()
        entry = held.get(self.path)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] == 0:
            del held[self.path]
            os.close(entry[0])  # closing the only descriptor releases the flock
