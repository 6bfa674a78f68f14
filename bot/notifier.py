"""Applies journalled updates once the workbook is free, and tells each sender once that theirs landed."""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from slack_sdk import WebClient

from bot import blocks
from shared.domain.access import entra_object_id
from shared.usecases import Store, UpdateResult, tell_senders

log = logging.getLogger("sli.bot.notifier")


class Notifier:
    def __init__(self, store: Store, client: WebClient, poll_seconds: float = 30.0):
        self.store, self.client, self.poll_seconds = store, client, poll_seconds
        self.scheduler = BackgroundScheduler(timezone="Europe/London")

    def _send(self, user_id: str, result: UpdateResult) -> None:
        self.client.chat_postMessage(channel=user_id, **blocks.update_result_message(result))

    def run_once(self) -> int:
        """One pass: apply what waits if Excel has let go, then tell the senders. Returns messages sent."""
        return tell_senders(self.store, self._send, accept=lambda to: entra_object_id(to) is None)

    def start(self) -> None:
        self.scheduler.add_job(self.run_once, "interval", seconds=self.poll_seconds, id="apply-pending",
                               coalesce=True, max_instances=1, misfire_grace_time=None)
        self.scheduler.start()

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
