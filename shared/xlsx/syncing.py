"""Syncing the new file while the writer goes on: one fsync in a thread of its own while this thread works, and
the update's journal mark synced by this thread meanwhile, both before the rename (`sync_while`,
`before_replacing`)."""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from queue import SimpleQueue


class Job:
    """A call given to a `Worker`: `wait` returns once it has run, with what it raised (None if nothing)."""

    __slots__ = ("_done", "error")

    def __init__(self) -> None:
        self._done = threading.Lock()
        self._done.acquire()  # released by the worker's thread once the call has run
        self.error: BaseException | None = None

    def wait(self) -> BaseException | None:
        """Wait for the call to have run (at once if it has: a job can be waited for more than once); what it
        raised, or None."""
        self._done.acquire()
        self._done.release()
        return self.error


class Worker:
    """A thread of its own that runs the calls given to it one at a time, in order (`run`). A queue written in C
    and one lock a call, where a ThreadPoolExecutor's future and condition variables cost five times the
    instructions for the same hand-off (issue 18: at an empty log an update is mostly such fixed costs). The
    thread starts at the first call of a process (a forked child, which its parent's thread did not come with,
    starts its own); the calls given to it are run before the interpreter ends, as a pool's are."""

    def __init__(self, name: str):
        self._name = name
        self._jobs: SimpleQueue | None = None
        self._started_in = 0  # the process the thread was started in
        self._thread: threading.Thread | None = None
        self._starting = threading.Lock()
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._forget)

    def run(self, call: Callable[..., object], *args: object) -> Job:
        """Run `call(*args)` in the worker's thread, after the calls given before it; its `Job` to wait for."""
        if self._started_in != os.getpid():
            self._start()
        job = Job()
        assert self._jobs is not None
        self._jobs.put((job, call, args))
        return job

    def _start(self) -> None:
        with self._starting:
            if self._started_in == os.getpid():
                return
            self._jobs = SimpleQueue()
            self._thread = threading.Thread(target=_serve, args=(self._jobs,), name=self._name, daemon=True)
            self._thread.start()
            self._started_in = os.getpid()
            atexit.register(self._finish, self._jobs, self._thread)

    def _finish(self, jobs: SimpleQueue, thread: threading.Thread) -> None:
        """As the interpreter ends: the calls given are run, then the thread ends."""
        jobs.put(None)
        thread.join()

    def _forget(self) -> None:
        """In a forked child: the parent's thread and lock state did not come with it."""
        self._started_in, self._jobs, self._thread, self._starting = 0, None, None, threading.Lock()


def _serve(jobs: SimpleQueue) -> None:
    while (given := jobs.get()) is not None:
        job, call, args = given
        try:
            call(*args)
        except BaseException as exc:  # noqa: BLE001 - the waiter's to raise
            job.error = exc
        finally:
            job._done.release()  # noqa: SLF001 - the one place a job is done


#: The thread that waits in fsync while the writer works, started at the first save.
_syncer = Worker("sli-fsync")


#: Steps the next `sync_while` of a thread runs first while the disk syncs (`before_replacing`), by thread.
_before_replace = threading.local()


class Marked:
    """Whether the step given to `before_replacing` ran (it runs once, in the first sync of the block)."""

    ran = False


@contextmanager
def before_replacing(step: Callable[[], Callable[[], object] | None] | None) -> Iterator[Marked]:
    """Run `step` in this thread at the next file sync this thread makes in the block (`sync_while`: the new
    workbook's, before the rename), and the sync it returns (if any) right after it, in this thread too, while
    another thread waits for the file's: the update's journal mark, committed without its fsync, then synced
    while the disk syncs the new file, both done before the file is replaced, instead of one after the other.
    A save that fails before its sync never runs it (nothing was replaced). No step: nothing is run."""
    marked = Marked()
    if step is None:
        yield marked
        return
    _before_replace.step = (step, marked)
    try:
        yield marked
    finally:
        _before_replace.step = None


def sync_while(descriptor: int, work: Callable[[], object] | None) -> None:
    """fsync `descriptor` (the new workbook, before the rename), running `work` (if any) in this thread while
    another waits for the disk; returns once both are done, raising the sync's error if it failed (then
    `work`'s result must not be used). A step given to `before_replacing` runs first, in this thread, and the
    sync it returns runs next, in this thread too, while the other still waits for the file's: the two waits
    for the disk overlap all the same, and handing the second to a thread of its own cost a wake-up of that
    thread and one of this one (issue 18: at an empty log an update is mostly such fixed costs). `work` runs
    after it, while the file's sync may still be under way. This returns once every sync is done, raising the
    file's error first, else the journal's."""
    first = getattr(_before_replace, "step", None)
    _before_replace.step = None
    if work is None and first is None:
        os.fsync(descriptor)
        return
    syncing = _syncer.run(os.fsync, descriptor)
    try:
        if first is not None:
            step, marked = first
            also = step()
            marked.ran = True
            if also is not None:
                also()
        if work is not None:
            work()
    finally:
        failed = syncing.wait()
        if failed is not None:
            raise failed  # the file's sync's OSError before the journal's (or `work`'s) error
