"""Syncing the new file while the writer goes on: one fsync in a thread of its own while this thread works, and
the update's journal mark synced beside it, both before the rename (`sync_while`, `before_replacing`)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

#: The thread that waits in fsync while the writer works: one per process (a forked child, whose parent's
#: thread did not come with it, starts its own), started at the first save.
_syncer: tuple[int, ThreadPoolExecutor] | None = None
_syncer_lock = threading.Lock()


def _forget_syncer() -> None:
    """In a forked child: the parent's thread and lock state did not come with it."""
    global _syncer, _syncer_lock
    _syncer, _syncer_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_syncer)


#: Steps the next `sync_while` of a thread runs first while the disk syncs (`before_replacing`), by thread.
_before_replace = threading.local()


class Marked:
    """Whether the step given to `before_replacing` ran (it runs once, in the first sync of the block)."""

    ran = False


@contextmanager
def before_replacing(step: Callable[[], Callable[[], object] | None] | None) -> Iterator[Marked]:
    """Run `step` in this thread at the next file sync this thread makes in the block (`sync_while`: the new
    workbook's, before the rename), and the sync it returns (if any) in another thread beside the file's:
    the update's journal mark, committed without its fsync, then synced while the disk syncs the new file,
    both done before the file is replaced, instead of one after the other. A save that fails before its
    sync never runs it (nothing was replaced). No step: nothing is run."""
    marked = Marked()
    if step is None:
        yield marked
        return
    _before_replace.step = (step, marked)
    try:
        yield marked
    finally:
        _before_replace.step = None


def sync_while(descriptor: int, work: Callable[[], object] | None, before_replacing: bool = True) -> None:
    """fsync `descriptor`, running `work` (if any) in this thread while another waits for the disk; returns
    once both are done, raising the sync's error if it failed (then `work`'s result must not be used).
    A step given to `before_replacing` runs first, in this thread, and the sync it returns in a second
    syncing thread; this returns once every sync is done, raising the first one's error. A sync made after
    the file was replaced (the folder's) says `before_replacing=False` and never runs that step."""
    global _syncer
    first = getattr(_before_replace, "step", None) if before_replacing else None
    if before_replacing:
        _before_replace.step = None
    if work is None and first is None:
        os.fsync(descriptor)
        return
    with _syncer_lock:
        if _syncer is None or _syncer[0] != os.getpid():
            _syncer = (os.getpid(), ThreadPoolExecutor(max_workers=2, thread_name_prefix="sli-fsync"))
        pool = _syncer[1]
        syncing = [pool.submit(os.fsync, descriptor)]
    try:
        if first is not None:
            step, marked = first
            also = step()
            marked.ran = True
            if also is not None:
                syncing.append(pool.submit(also))
        if work is not None:
            work()
    finally:
        failed = [sync.exception() for sync in syncing]  # waits for each
        error = next((exc for exc in failed if exc is not None), None)
        if error is not None:
            raise error  # the file's sync's OSError first, else the journal's
