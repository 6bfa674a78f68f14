"""Applies journalled updates once the workbook is free, and tells each sender once that theirs landed.

Each pass runs on the bot's writer thread (bot/writer.py) when it has one: the process keeps a single
writer, and the pass queues behind the updates sent before it. At start-up the first pass is queued
(`catch_up`) and the bot serves at once: updates that waited while it was down are written while it
answers, never before.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future

from apscheduler.schedulers.background import BackgroundScheduler
from slack_sdk import WebClient

from bot import blocks
from bot.writer import UpdateWriter
from shared.domain.access import entra_object_id
from shared.usecases import Context, UpdateResult, tell_senders

log = logging.getLogger("sli.bot.notifier")


class Notifier:
    """Slack's: tells Slack senders (the Teams bot's `TeamsNotifier` is the same with its own `tell`)."""

    job_id = "apply-pending"

    def __init__(self, store: Context, client: WebClient | None, poll_seconds: float = 30.0,
                 writer: UpdateWriter | None = None):
        self.store, self.client, self.poll_seconds, self.writer = store, client, poll_seconds, writer
        self.scheduler = BackgroundScheduler(timezone="Europe/London")

    def _send(self, user_id: str, result: UpdateResult) -> None:
        self.client.chat_postMessage(channel=user_id, **blocks.update_result_message(result))

    def tell(self) -> int:
        """One pass, here and now: apply what waits if Excel has let go, then tell the senders."""
        return tell_senders(self.store, self._send, accept=lambda to: entra_object_id(to) is None)

    def run_once(self) -> int:
        """One pass on the writer thread (waiting for it), or here without one. Returns messages sent."""
        return self.tell() if self.writer is None else self.writer.run(self.tell).result()

    def catch_up(self) -> Future[int]:
        """Start-up: queue the first pass on the writer thread and return at once (its future)."""
        if self.writer is None:
            raise ValueError("catch_up needs the bot's writer thread")
        return self.writer.run(self.tell)

    def start(self) -> None:
        """Passes every `poll_seconds`, the first one `poll_seconds` from now (`catch_up` is the first)."""
        self.scheduler.add_job(self.run_once, "interval", seconds=self.poll_seconds, id=self.job_id,
                               coalesce=True, max_instances=1, misfire_grace_time=None)
        self.scheduler.start()

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
