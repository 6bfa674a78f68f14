"""Applies journalled updates once the workbook is free, and tells each sender once that theirs landed."""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import blocks
from shared import journal as j
from shared.updates import Store, process_pending, result_of

log = logging.getLogger("sli.bot.notifier")


class Notifier:
    def __init__(self, store: Store, client: WebClient, poll_seconds: float = 30.0):
        self.store, self.client, self.poll_seconds = store, client, poll_seconds
        self.scheduler = BackgroundScheduler(timezone="Europe/London")

    def run_once(self) -> int:
        """One pass: apply what waits if Excel has let go, then tell the senders. Returns messages sent."""
        journal = self.store.journal()
        if journal.in_states(*j.OPEN_STATES):
            process_pending(self.store)  # held back while Excel has the file; settles add-in deliveries
        sent = 0
        for entry in journal.to_notify():
            if not journal.mark_notified(entry.id):
                continue  # another bot process told them
            try:
                self.client.chat_postMessage(channel=entry.reply_to,
                                             **blocks.update_result_message(result_of(entry)))
                sent += 1
            except SlackApiError as exc:
                log.warning("could not tell %s about update %s: %s", entry.reply_to, entry.id, exc)
        return sent

    def start(self) -> None:
        self.scheduler.add_job(self.run_once, "interval", seconds=self.poll_seconds, id="apply-pending",
                               coalesce=True, max_instances=1, misfire_grace_time=None)
        self.scheduler.start()

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
