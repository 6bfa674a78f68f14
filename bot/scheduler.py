"""The monthly summary and the reminders: one in-process scheduler, and a durable "posted" record.

A summary is posted at most once per month whoever triggers it (the 09:00 job, a catch-up after a
restart, a second bot process, `sli summary --post`): the journal's claim decides who posts, and the
record written after posting stops the rest. Reminders go at most once per lead per month.

Two destinations, each with its own claims: Slack (a channel, `SUMMARY`/`REMINDER`) and Microsoft Teams
(the partnership's team and leads' personal chats, `SUMMARY_TEAMS`/`REMINDER_TEAMS`, through a
`ChatDestination` the Teams bot provides), so each platform gets exactly one post a month.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Protocol

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from slack_sdk import WebClient

from bot import blocks
from shared import summary as sm
from shared import usecases
from shared.usecases import Store

log = logging.getLogger("sli.bot.scheduler")
SUMMARY, REMINDER = "summary", "reminder"
SUMMARY_TEAMS, REMINDER_TEAMS = "summary:teams", "reminder:teams"
#: How long the start-up catch-up waits for the updates that waited while the bot was down to be written
#: (so a summary due counts them) before it posts anyway: a lock held for minutes must not cost the month.
CATCH_UP_WAIT_SECONDS = 600.0


class ChatDestination(Protocol):
    """A second chat platform's side of the monthly jobs (the Teams bot's, bot/teams/app.py)."""

    name: str

    def post_summary(self, figures: sm.MonthFigures, chart: bytes) -> str | None:
        """Post the summary with its chart; where it went, or None if there is nowhere to post yet."""

    def remind(self, reminder: sm.Reminder, month_label: str) -> bool:
        """Send one lead their reminder; False if they cannot be reached there (nothing sent)."""


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
    if not channel:
        return PostOutcome(False, "No channel to post to: set SLI_SUMMARY_CHANNEL.")
    figures: list[sm.MonthFigures] = []

    def post() -> dict:
        figures.append(sm.month_figures(store, year, month, now, freeze=True))
        message = client.chat_postMessage(channel=channel, **blocks.summary_message(figures[0]))
        return {"channel": message["channel"], "ts": message["ts"]}

    outcome = usecases.post_once(store, SUMMARY, key, post, again=again)
    if not outcome.posted:
        when = blocks.utc_text(outcome.earlier["posted_at"]) if outcome.earlier else "just now, by another process"
        return PostOutcome(False, f"The summary for {key} was already posted ({when}); use --again to repost.")
    posted = outcome.detail
    try:  # the message is out: a failed chart upload must not make the month look unposted
        client.files_upload_v2(channel=posted["channel"], thread_ts=posted["ts"], file_uploads=[
            {"content": sm.status_chart(figures[0]), "filename": f"sli-summary-{key}.png",
             "title": f"SLI statuses by lead organisation, {key}",
             "alt_txt": "Stacked bars: each lead organisation's recommendations by status this month"},
            {"content": sm.trend_chart(figures[0]), "filename": f"sli-trend-{key}.png",
             "title": f"SLI statuses by month, to {key}",
             "alt_txt": "Stacked bars: recommendations by status, month by month"}])
    except Exception as exc:  # noqa: BLE001
        log.warning("summary for %s posted, chart upload failed: %s", key, exc)
        return PostOutcome(True, f"Posted the summary for {key} to {channel}; the chart could not be uploaded "
                                 f"({exc}).", posted["ts"])
    return PostOutcome(True, f"Posted the summary for {key} to {channel}.", posted["ts"])


def send_reminders(store: Store, client: WebClient, year: int, month: int) -> int:
    """One DM per lead with items not updated in the month; none twice, none for leads who are up to date."""
    label = date(year, month, 1).strftime("%B %Y")
    sent = 0
    for reminder in sm.reminders_due(store, year, month):
        if not reminder.slack_user_id:
            continue  # a lead known only in Teams: reminded there (send_teams_reminders)

        def post(reminder: sm.Reminder = reminder) -> dict:
            client.chat_postMessage(channel=reminder.slack_user_id,
                                    **blocks.reminder_message(reminder.name, label, reminder.items))
            return {}

        try:
            sent += usecases.post_once(store, REMINDER, f"{sm.month_key(year, month)}:{reminder.slack_user_id}",
                                       post).posted
        except Exception:  # noqa: BLE001 - one failed reminder must not stop the others
            log.exception("reminder to %s failed", reminder.slack_user_id)
    return sent


def post_summary_to(store: Store, destination: ChatDestination, year: int, month: int, *,
                    again: bool = False, now: datetime | None = None) -> PostOutcome:
    """The month's summary to a second platform (Teams), once, under that platform's own claim."""
    key = sm.month_key(year, month)

    def post() -> dict | None:
        figures = sm.month_figures(store, year, month, now, freeze=True)
        where = destination.post_summary(figures, sm.status_chart(figures))
        return None if where is None else {"conversation": where}

    outcome = usecases.post_once(store, SUMMARY_TEAMS, key, post, again=again)
    if outcome.posted:
        return PostOutcome(True, f"Posted the summary for {key} to {destination.name}.")
    if outcome.earlier is not None or usecases.posted(store, SUMMARY_TEAMS, key):
        return PostOutcome(False, f"The summary for {key} was already posted to {destination.name}.")
    return PostOutcome(False, f"No {destination.name} team to post the summary for {key} to: install the app "
                              "in the partnership's team.")


def send_reminders_to(store: Store, destination: ChatDestination, year: int, month: int) -> int:
    """One personal message per lead with an Entra object ID and items not updated in the month, once."""
    label = date(year, month, 1).strftime("%B %Y")
    sent = 0
    for reminder in sm.reminders_due(store, year, month):
        if not reminder.entra_object_id:
            continue

        def post(reminder: sm.Reminder = reminder) -> dict | None:
            try:
                reached = destination.remind(reminder, label)
            except Exception:  # noqa: BLE001 - one failed reminder must not stop the others
                log.exception("%s reminder to %s failed", destination.name, reminder.entra_object_id)
                reached = False
            return {} if reached else None  # no chat with them yet: tried again next tick

        sent += usecases.post_once(store, REMINDER_TEAMS, f"{sm.month_key(year, month)}:{reminder.entra_object_id}",
                                   post).posted
    return sent


class MonthlyJobs:
    """Runs every working day at 09:00 London: posts the summary when due, sends reminders when due,
    and snapshots the month just ended shortly after midnight on the 1st. `client` (Slack) and `teams`
    are the destinations; either may be absent (the Teams bot runs with no Slack client)."""

    def __init__(self, store: Store, client: WebClient | None, channel: str, hour: int = 9,
                 teams: ChatDestination | None = None):
        self.store, self.client, self.channel, self.hour = store, client, channel, hour
        self.teams = teams
        self.scheduler = BackgroundScheduler(timezone=sm.LONDON)

    def tick(self, now: datetime | None = None) -> list[str]:
        """Do whatever is due at `now` (also the catch-up at start-up); safe to call any number of times."""
        now = now or datetime.now(UTC)
        done = []
        due = sm.month_to_summarise(now, self.hour)
        slack = self.client is not None
        if due and slack and self.channel and not usecases.posted(self.store, SUMMARY, sm.month_key(*due)):
            done.append(post_summary(self.store, self.client, self.channel, *due, now=now).message)
        if due and self.teams is not None and not usecases.posted(self.store, SUMMARY_TEAMS, sm.month_key(*due)):
            done.append(post_summary_to(self.store, self.teams, *due, now=now).message)
        local = now.astimezone(sm.LONDON)
        if local.date() == sm.reminder_day(local.year, local.month) and local.hour >= self.hour:
            if slack:
                done.append(f"{send_reminders(self.store, self.client, local.year, local.month)} reminder(s) sent.")
            if self.teams is not None:
                sent = send_reminders_to(self.store, self.teams, local.year, local.month)
                done.append(f"{sent} {self.teams.name} reminder(s) sent.")
        return done

    def snapshot_last_month(self, now: datetime | None = None) -> None:
        local = (now or datetime.now(UTC)).astimezone(sm.LONDON)
        sm.month_figures(self.store, *sm.previous_month(local.year, local.month), now, freeze=True)

    def catch_up(self, after: Future | None = None) -> list[str]:
        """The tick a start-up owes (the bot was down at 09:00), once `after` (the writer's first pass over
        the updates that waited) is done, so the summary counts them."""
        if after is not None:
            try:
                after.result(timeout=CATCH_UP_WAIT_SECONDS)
            except Exception:  # noqa: BLE001 - late or failed writing must not cost the month its summary
                log.warning("posting what is due without waiting any longer for the waiting updates", exc_info=True)
        return self.tick()

    def start(self, after: Future | None = None) -> None:
        """Schedule the jobs and the start-up catch-up, and return at once: the catch-up (which may post the
        summary: figures, charts, uploads) runs on the scheduler's thread, so the bot serves meanwhile."""
        self.scheduler.add_job(self.tick, CronTrigger(day_of_week="mon-fri", hour=self.hour, minute=0,
                                                      timezone=sm.LONDON),
                               id="monthly", coalesce=True, max_instances=1, misfire_grace_time=6 * 3600)
        self.scheduler.add_job(self.snapshot_last_month, CronTrigger(day=1, hour=0, minute=5, timezone=sm.LONDON),
                               id="snapshot", coalesce=True, max_instances=1, misfire_grace_time=12 * 3600)
        # Once, now, however late the scheduler gets to it; posting is idempotent (post_once), so meeting
        # the 09:00 job is harmless.
        self.scheduler.add_job(self.catch_up, args=[after], id="catch-up", misfire_grace_time=None)
        self.scheduler.start()

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
