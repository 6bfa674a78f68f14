"""Applies journalled updates once the workbook is free, and tells each sender once that theirs landed.

Each pass writes on the bot's writer thread (bot/writer.py) when it has one: the process keeps a single
writer, and the writing queues behind the updates sent before it. The senders are then told from the
notifier's own thread, never the writer's, so a slow Slack or Teams (seconds a post, rate-limit retries)
never holds a new update back. At start-up the first writing is queued (`catch_up`) and the bot serves
at once: updates that waited while it was down are written while it answers, never before.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future

from apscheduler.schedulers.background import BackgroundScheduler
from slack_sdk import WebClient

from bot import blocks
from bot.assurance_news import AssuranceNews
from bot.writer import UpdateWriter
from shared.domain.access import entra_object_id
from shared.usecases import Context, UpdateResult, tell_senders, write_waiting

log = logging.getLogger("sli.bot.notifier")
#: How long the start-up telling waits for the first writing before it tells whoever it can anyway.
CATCH_UP_WAIT_SECONDS = 600.0


class Notifier:
    """Slack's: tells Slack senders (the Teams bot's `TeamsNotifier` is the same with its own `tell`)."""

    job_id = "apply-pending"

    def __init__(self, store: Context, client: WebClient | None, poll_seconds: float = 30.0,
                 writer: UpdateWriter | None = None, news: AssuranceNews | None = None):
        """`news`: who is told about claims and sendings back (bot/assurance_news.py); each pass also looks
        for claims made elsewhere (`sli`, the add-in, Excel, another process) and tells their holders."""
        self.store, self.client, self.poll_seconds, self.writer = store, client, poll_seconds, writer
        self.news = news
        self.scheduler = BackgroundScheduler(timezone="Europe/London")

    def _send(self, user_id: str, result: UpdateResult) -> None:
        self.client.chat_postMessage(channel=user_id, **blocks.update_result_message(result))

    def tell(self, write: bool = True) -> int:
        """One pass, here and now: apply what waits if Excel has let go (unless `write` is False: the
        writer thread did), then tell the senders."""
        return tell_senders(self.store, self._send, accept=lambda to: entra_object_id(to) is None, write=write)

    def write(self) -> None:
        """The writing half of a pass: the writer thread's job."""
        write_waiting(self.store)

    def run_once(self) -> int:
        """One pass: the writing on the writer thread (waiting for it), the telling here; all here without
        a writer thread. Returns messages sent."""
        if self.writer is None:
            return self.tell()
        self.writer.run(self.write).result()
        return self.tell(write=False)

    def catch_up(self) -> Future[None]:
        """Start-up: queue the first writing on the writer thread and return at once (its future, which the
        summary's catch-up waits for); its senders are told from a thread of the notifier's once it is done."""
        if self.writer is None:
            raise ValueError("catch_up needs the bot's writer thread")
        written = self.writer.run(self.write)
        threading.Thread(target=self._tell_after, args=[written], name=f"sli-{self.job_id}-catch-up",
                         daemon=True).start()
        return written

    def _tell_after(self, written: Future[None]) -> int:
        try:
            written.result(timeout=CATCH_UP_WAIT_SECONDS)
        except Exception:  # noqa: BLE001 - whatever was written is told; the rest at the next pass
            log.warning("telling senders without waiting any longer for the first writing", exc_info=True)
        return self.tell(write=False)

    def start(self) -> None:
        """Passes every `poll_seconds`, the first one `poll_seconds` from now (`catch_up` is the first)."""
        self.scheduler.add_job(self.run_once, "interval", seconds=self.poll_seconds, id=self.job_id,
                               coalesce=True, max_instances=1, misfire_grace_time=None)
        if self.news is not None:
            self.scheduler.add_job(self.news.tell, "interval", seconds=self.poll_seconds, id=f"{self.job_id}-news",
                                   coalesce=True, max_instances=1, misfire_grace_time=None)
        self.scheduler.start()

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self.news is not None:
            self.news.stop()
