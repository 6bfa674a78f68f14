"""The monthly summary and the reminders: one in-process scheduler, and a durable "posted" record.

A summary is posted at most once per month whoever triggers it (the 09:00 job, a catch-up after a
restart, a second bot process, `sli summary --post`): the journal's claim decides who posts, and the
record written after posting stops the rest. Reminders go at most once per lead per month.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from slack_sdk import WebClient

from bot import blocks
from shared import summary as sm
from shared.updates import Store

log = logging.getLogger("sli.bot.scheduler")
SUMMARY, REMINDER = "summary", "reminder"


@dataclass
class PostOutcome:
    posted: bool
    message: str
    ts: str | None = None


def post_summary(store: Store, client: WebClient, channel: str, year: int, month: int, *,
                 again: bool = False, now: datetime | None = None) -> PostOutcome:
    """Post the month's summary and its two charts (today by lead organisation, the months before) to
    `channel`, unless it has been posted already."""
    key = sm.month_key(year, month)
    journal = store.journal()
    if again:
        journal.forget_post(SUMMARY, key)
    if not channel:
        return PostOutcome(False, "No channel to post to: set SLI_SUMMARY_CHANNEL.")
    if not journal.claim_post(SUMMARY, key):
        done = journal.posted(SUMMARY, key)
        when = blocks.utc_text(done["posted_at"]) if done else "just now, by another process"
        return PostOutcome(False, f"The summary for {key} was already posted ({when}); use --again to repost.")
    try:
        figures = sm.month_figures(store, year, month, now, freeze=True)
        posted = client.chat_postMessage(channel=channel, **blocks.summary_message(figures))
    except Exception:
        journal.release_post(SUMMARY, key)
        raise
    journal.finish_post(SUMMARY, key, {"channel": posted["channel"], "ts": posted["ts"]})
    try:  # the message is out: a failed chart upload must not make the month look unposted
        client.files_upload_v2(channel=posted["channel"], thread_ts=posted["ts"], file_uploads=[
            {"content": sm.status_chart(figures), "filename": f"sli-summary-{key}.png",
             "title": f"SLI statuses by lead organisation, {key}",
             "alt_txt": "Stacked bars: each lead organisation's recommendations by status this month"},
            {"content": sm.trend_chart(figures), "filename": f"sli-trend-{key}.png",
             "title": f"SLI statuses by month, to {key}",
             "alt_txt": "Stacked bars: recommendations by status, month by month"}])
    except Exception as exc:  # noqa: BLE001
        log.warning("summary for %s posted, chart upload failed: %s", key, exc)
        return PostOutcome(True, f"Posted the summary for {key} to {channel}; the chart could not be uploaded "
                                 f"({exc}).", posted["ts"])
    return PostOutcome(True, f"Posted the summary for {key} to {channel}.", posted["ts"])


def send_reminders(store: Store, client: WebClient, year: int, month: int) -> int:
    """One DM per lead with items not updated in the month; none twice, none for leads who are up to date."""
    journal = store.journal()
    label = date(year, month, 1).strftime("%B %Y")
    sent = 0
    for reminder in sm.reminders_due(store, year, month):
        key = f"{sm.month_key(year, month)}:{reminder.slack_user_id}"
        if not journal.claim_post(REMINDER, key):
            continue
        try:
            client.chat_postMessage(channel=reminder.slack_user_id,
                                    **blocks.reminder_message(reminder.name, label, reminder.items))
        except Exception:
            journal.release_post(REMINDER, key)
            log.exception("reminder to %s failed", reminder.slack_user_id)
            continue
        journal.finish_post(REMINDER, key)
        sent += 1
    return sent


class MonthlyJobs:
    """Runs every working day at 09:00 London: posts the summary when due, sends reminders when due,
    and snapshots the month just ended shortly after midnight on the 1st."""

    def __init__(self, store: Store, client: WebClient, channel: str, hour: int = 9):
        self.store, self.client, self.channel, self.hour = store, client, channel, hour
        self.scheduler = BackgroundScheduler(timezone=sm.LONDON)

    def tick(self, now: datetime | None = None) -> list[str]:
        """Do whatever is due at `now` (also the catch-up at start-up); safe to call any number of times."""
        now = now or datetime.now(UTC)
        done = []
        due = sm.month_to_summarise(now, self.hour)
        if due and self.channel and not self.store.journal().posted(SUMMARY, sm.month_key(*due)):
            done.append(post_summary(self.store, self.client, self.channel, *due, now=now).message)
        local = now.astimezone(sm.LONDON)
        if local.date() == sm.reminder_day(local.year, local.month) and local.hour >= self.hour:
            done.append(f"{send_reminders(self.store, self.client, local.year, local.month)} reminder(s) sent.")
        return done

    def snapshot_last_month(self, now: datetime | None = None) -> None:
        local = (now or datetime.now(UTC)).astimezone(sm.LONDON)
        sm.month_figures(self.store, *sm.previous_month(local.year, local.month), now, freeze=True)

    def start(self) -> None:
        self.scheduler.add_job(self.tick, CronTrigger(day_of_week="mon-fri", hour=self.hour, minute=0,
                                                      timezone=sm.LONDON),
                               id="monthly", coalesce=True, max_instances=1, misfire_grace_time=6 * 3600)
        self.scheduler.add_job(self.snapshot_last_month, CronTrigger(day=1, hour=0, minute=5, timezone=sm.LONDON),
                               id="snapshot", coalesce=True, max_instances=1, misfire_grace_time=12 * 3600)
        self.scheduler.start()
        self.tick()  # catch up, once, if the bot was down at 09:00

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
