"""The bot's one writer thread: updates are journalled by the listener (fast, inside Slack's 3 s) and
written to the workbook here, one at a time and in arrival order, so a slow or stuck write (Excel's
lock, a busy file server) never holds one of Bolt's listener threads and questions keep being answered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from shared.usecases import Store, UpdateResult, commit, tell_once

log = logging.getLogger("sli.bot.writer")


class UpdateWriter:
    """Applies recorded updates on a single background thread and hands each result to a callback."""

    def __init__(self, store: Store):
        self.store = store
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sli-writer")

    def write(self, recorded: UpdateResult, tell: Callable[[UpdateResult], None]) -> Future:
        """Queue `recorded` for writing; `tell` receives the outcome (applied, pending, conflict, refused)."""
        return self._pool.submit(self._write, recorded, tell)

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

    def wait_idle(self, timeout: float | None = None) -> None:
        """Return once every write queued so far is done (the console waits, so answers print in order)."""
        self._pool.submit(lambda: None).result(timeout)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)
