"""The bot's one writer thread: updates are journalled by the listener (fast, inside Slack's 3 s) and
written to the workbook here, one at a time and in arrival order, so a slow or stuck write (Excel's
lock, a busy file server) never holds one of Bolt's listener threads and questions keep being answered.

The notifier's passes (the updates that waited while the bot was down or Excel had the file) write here
too (`run`; they tell their senders from their own thread), so this thread is the only one in the process
that writes the workbook, and the start-up catch-up is simply the first job in its queue: the bot answers
while it works through it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from shared.usecases import Context, UpdateResult, commit, tell_once

log = logging.getLogger("sli.bot.writer")
T = TypeVar("T")


class UpdateWriter:
    """Applies recorded updates on a single background thread and hands each result to a callback."""

    def __init__(self, store: Context):
        self.store = store
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sli-writer")
        self._idle = threading.Event()
        self._idle.set()
        self._listeners: list[Callable[[UpdateResult], None]] = []

    def listen(self, after_write: Callable[[UpdateResult], None]) -> None:
        """Have `after_write` see each outcome this thread writes, once its sender is told (the assurance
        news: a claim landed, a claim sent back). It should return at once: it runs on this thread."""
        self._listeners.append(after_write)

    def write(self, recorded: UpdateResult, tell: Callable[[UpdateResult], None]) -> Future:
        """Queue `recorded` for writing; `tell` receives the outcome (applied, pending, conflict, refused).
        Once the writer is stopping (`stop`), the update is left journalled for the next start to write."""
        return self._submit(self._write, recorded, tell)

    def run(self, work: Callable[[], T]) -> Future[T]:
        """Queue other writing work (a notifier's pass over what waits) behind the writes queued so far."""
        return self._submit(work)

    def _submit(self, work: Callable[..., T], *args: object) -> Future[T]:
        def tracked() -> T:
            self._idle.clear()
            try:
                return work(*args)
            finally:
                self._idle.set()
        try:
            return self._pool.submit(tracked)
        except RuntimeError:  # stopped: what was journalled stays pending, and the next start writes it
            left: Future[T] = Future()
            left.cancel()
            return left

    def stop(self, timeout: float) -> bool:
        """Stop for a shutdown: the write in progress finishes (and its sender is told), the queued ones are
        dropped from the queue (they stay `pending` in the journal; the next start writes them and tells
        their senders). True when the write in progress ended within `timeout` seconds."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        return self._idle.wait(timeout)

    def _write(self, recorded: UpdateResult, tell: Callable[[UpdateResult], None]) -> None:
        try:
            result = commit(self.store, recorded)
        except Exception:  # noqa: BLE001 - the update stays in the journal; the notifier writes it and tells
            log.exception("update %s could not be written now; it stays pending", recorded.update_id)
            return
        try:
            tell_once(self.store, result, tell)  # an outcome is told once, by this thread or the notifier
        except Exception:  # noqa: BLE001 - a failed reply must not stop the next write; the notifier retells
            log.exception("could not tell the sender of update %s", recorded.update_id)
        for after_write in self._listeners:
            try:
                after_write(result)
            except Exception:  # noqa: BLE001 - nor may a listener's failure
                log.exception("after writing update %s", recorded.update_id)

    def wait_idle(self, timeout: float | None = None) -> None:
        """Return once every write queued so far is done (the console waits, so answers print in order)."""
        self._pool.submit(lambda: None).result(timeout)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)
