"""The monthly summary and the reminders: one in-process scheduler, and a durable "posted" record.

A summary is posted at most once per month whoever triggers it (the 09:00 job, a catch-up after a
restart, a second bot process, `sli summary --post`): the journal's claim decides who posts, and the
record written after posting stops the rest. Reminders go at most once per lead per month.

Two destinations behind one interface (`ChatDestination`), each with its own claims: Slack
(`SlackDestination`: a channel and leads' DMs, `SUMMARY`/`REMINDER`) and Microsoft Teams (the
partnership's team and leads' personal chats, `SUMMARY_TEAMS`/`REMINDER_TEAMS`, the Teams bot's
`TeamsDestination`), so each platform gets exactly one post a month, laid out from the same replies.
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
from shared import usecases
from shared.domain.values import plural
from shared.usecases import Context, replies
from shared.usecases import reporting as sm

log = logging.getLogger("sli.bot.scheduler")
SUMMARY, REMINDER = "summary", "reminder"
SUMMARY_TEAMS, REMINDER_TEAMS = "summary:teams", "reminder:teams"
#: How long the start-up catch-up waits for the updates that waited while the bot was down to be written
#: (so a summary due counts them) before it posts anyway: a lock held for minutes must not cost the month.
CATCH_UP_WAIT_SECONDS = 600.0


class ChatDestination(Protocol):
    """A chat platform's side of the monthly jobs: Slack's (`SlackDestination`) and Teams' (bot/teams/app.py).
    Each posts the summary and reminders laid out from the same replies, under claims of its own."""

    name: str
    #: The journal's claims: one summary a month, one reminder a month per lead, on this platform.
    summary_claim: str
    reminder_claim: str
    #: What a tick counts when it says what it sent: "reminder" (Slack), "Teams reminder".
    reminders_said: str

    def ready(self) -> bool:
        """Whether this platform is set up to get the summary at all."""

    def nowhere(self, key: str) -> str:
        """Why the summary for month `key` could not be posted: there is nowhere to post it."""

    def post_summary(self, figures: sm.MonthFigures, chart: bytes) -> dict | None:
        """Post the summary with its chart: what to keep about it (`where` it went), or None if there is
        nowhere to post yet (tried again later)."""

    def follow_up(self, summary: sm.MonthSummary, posted: dict) -> str | None:
        """What follows a summary once it counts as posted (Slack: the charts in its thread); a sentence if
        that failed (the month stays posted)."""

    def lead_key(self, reminder: sm.Reminder) -> str:
        """The lead as this platform knows them ('' when it does not)."""

    def remind(self, reminder: sm.Reminder, month_label: str) -> bool:
        """Send one lead their reminder; False if they cannot be reached there (nothing sent)."""

    def remind_assurance(self, store: Context, today: date) -> int:
        """The assurance reminders (claims waiting over 14 days, items sent back), each person once a week
        on this platform (bot/assurance_news.py); how many were sent."""


class SlackDestination:
    """Slack's side of the monthly jobs: the group's channel (the summary, its two charts in its thread) and
    each lead's DM (reminders)."""

    name = "Slack"
    summary_claim, reminder_claim, reminders_said = SUMMARY, REMINDER, "reminder"

    def __init__(self, client: WebClient, channel: str):
        self.client, self.channel = client, channel

    def ready(self) -> bool:
        return bool(self.channel)

    def nowhere(self, key: str) -> str:
        return "No channel to post to: set SLI_SUMMARY_CHANNEL."

    def post_summary(self, figures: sm.MonthFigures, chart: bytes) -> dict | None:
        if not self.channel:
            return None
        message = self.client.chat_postMessage(channel=self.channel, **blocks.render(replies.summary_reply(figures)))
        return {"where": message["channel"], "channel": message["channel"], "ts": message["ts"]}

    def follow_up(self, summary: sm.MonthSummary, posted: dict) -> str | None:
        figures = summary.figures
        try:  # the message is out and recorded: a failed chart upload must not make the month look unposted
            self.client.files_upload_v2(channel=posted["channel"], thread_ts=posted["ts"], file_uploads=[
                {"content": summary.chart, "filename": f"sli-summary-{figures.month}.png",
                 "title": f"SLI statuses by lead organisation, {figures.month}",
                 "alt_txt": "Stacked bars: each lead organisation's recommendations by status this month"},
                {"content": summary.trend, "filename": f"sli-trend-{figures.month}.png",
                 "title": f"SLI statuses by month, to {figures.month}",
                 "alt_txt": "Stacked bars: recommendations by status, month by month"}])
        except Exception as exc:  # noqa: BLE001
            log.warning("summary for %s posted, chart upload failed: %s", figures.month, exc)
            return f"the chart could not be uploaded ({exc})"
        return None

    def lead_key(self, reminder: sm.Reminder) -> str:
        return reminder.slack_user_id

    def remind(self, reminder: sm.Reminder, month_label: str) -> bool:
        self.client.chat_postMessage(channel=reminder.slack_user_id,
                                     **blocks.render(replies.reminder_of(reminder, month_label)))
        return True

    def remind_assurance(self, store: Context, today: date) -> int:
        from bot.app import assurance_news

        return assurance_news(store, self.client).remind(today)


@dataclass
class PostOutcome:
    posted: bool
    message: str
    ts: str | None = None


def post_summary_to(store: Context, destination: ChatDestination, year: int, month: int, *,
                    again: bool = False, now: datetime | None = None) -> PostOutcome:
    """Post the month's summary and its chart to one platform, unless it has been posted there already
    (each platform under its own claim)."""
    key = sm.month_key(year, month)
    if not destination.ready():
        return PostOutcome(False, destination.nowhere(key))

    made: list[sm.MonthSummary] = []

    def post(summary: sm.MonthSummary) -> dict | None:
        made.append(summary)  # figures and charts made together (in a worker process in a running bot)
        return destination.post_summary(summary.figures, summary.chart)

    ctx = usecases.as_context(store)
    outcome = sm.post_month_summary(ctx.at(now) if now else ctx, destination.summary_claim, year, month, post,
                                    again=again)
    if outcome.posted:
        problem = destination.follow_up(made[0], outcome.detail)
        where = outcome.detail.get("where", destination.name)
        return PostOutcome(True, f"Posted the summary for {key} to {where}" + (f"; {problem}." if problem else "."),
                           outcome.detail.get("ts"))
    if made:  # it was ours to post, but there is nowhere to post it yet
        return PostOutcome(False, destination.nowhere(key))
    when = replies.time_text(outcome.earlier["posted_at"]) if outcome.earlier else "just now, by another process"
    return PostOutcome(False, f"The summary for {key} was already posted to {destination.name} ({when}); "
                              "use --again to repost.")


def post_summary(store: Context, client: WebClient, channel: str, year: int, month: int, *,
                 again: bool = False, now: datetime | None = None) -> PostOutcome:
    """The month's summary and its two charts (today by lead organisation, the months before) to a Slack
    `channel`, unless it has been posted already."""
    return post_summary_to(store, SlackDestination(client, channel), year, month, again=again, now=now)


def send_reminders_to(store: Context, destination: ChatDestination, year: int, month: int) -> int:
    """One message per lead this platform knows with items not updated in the month; none twice, none for
    leads who are up to date. A lead it cannot reach yet is tried again on the next tick."""
    label = date(year, month, 1).strftime("%B %Y")
    sent = 0
    for reminder in sm.reminders_due(store, year, month):
        lead = destination.lead_key(reminder)
        if not lead:
            continue  # known only on the other platform: reminded there

        def post(reminder: sm.Reminder = reminder, lead: str = lead) -> dict | None:
            try:
                reached = destination.remind(reminder, label)
            except Exception:  # noqa: BLE001 - one failed reminder must not stop the others
                log.exception("%s reminder to %s failed", destination.name, lead)
                reached = False
            return {} if reached else None  # not reached: tried again next tick

        sent += usecases.post_once(store, destination.reminder_claim, f"{sm.month_key(year, month)}:{lead}",
                                   post).posted
    return sent


def send_reminders(store: Context, client: WebClient, year: int, month: int) -> int:
    """One DM per Slack lead with items not updated in the month (`send_reminders_to` Slack)."""
    return send_reminders_to(store, SlackDestination(client, ""), year, month)


class MonthlyJobs:
    """Runs every working day at 09:00 London: posts the summary when due, sends reminders when due,
    and snapshots the month just ended shortly after midnight on the 1st; at 09:30 working days, the
    assurance reminders (`assurance_tick`). `client` (Slack, with `channel`) and `teams` are the
    destinations; either may be absent (the Teams bot runs with no Slack client)."""

    def __init__(self, store: Context, client: WebClient | None, channel: str, hour: int = 9,
                 teams: ChatDestination | None = None):
        self.store, self.client, self.channel, self.hour = store, client, channel, hour
        self.teams = teams
        slack = [SlackDestination(client, channel)] if client is not None else []
        self.destinations: list[ChatDestination] = [*slack, *([teams] if teams is not None else [])]
        self.scheduler = BackgroundScheduler(timezone=sm.LONDON)

    def tick(self, now: datetime | None = None) -> list[str]:
        """Do whatever is due at `now` (also the catch-up at start-up); safe to call any number of times."""
        now = now or datetime.now(UTC)
        done = []
        due = sm.month_to_summarise(now, self.hour)
        for destination in self.destinations:
            if due and destination.ready() and not usecases.posted(self.store, destination.summary_claim,
                                                                   sm.month_key(*due)):
                done.append(post_summary_to(self.store, destination, *due, now=now).message)
        local = now.astimezone(sm.LONDON)
        if local.date() == sm.reminder_day(local.year, local.month) and local.hour >= self.hour:
            for destination in self.destinations:
                sent = send_reminders_to(self.store, destination, local.year, local.month)
                done.append(f"{plural(sent, destination.reminders_said)} sent.")
        return done

    def assurance_tick(self, now: datetime | None = None) -> list[str]:
        """The assurance reminders (bot/assurance_news.py): holders of claims waiting over 14 days, leads of
        items sent back; each person at most once a week on each platform, so any number of calls is safe."""
        local = (now or datetime.now(UTC)).astimezone(sm.LONDON)
        done = []
        for destination in self.destinations:
            try:
                sent = destination.remind_assurance(self.store, local.date())
            except Exception:  # noqa: BLE001 - one platform's failure must not stop the other's
                log.exception("%s assurance reminders failed", destination.name)
                continue
            done.append(f"{plural(sent, 'assurance reminder')} sent ({destination.name}).")
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
        self.scheduler.add_job(self.assurance_tick, CronTrigger(day_of_week="mon-fri", hour=self.hour, minute=30,
                                                                timezone=sm.LONDON),
                               id="assurance", coalesce=True, max_instances=1, misfire_grace_time=6 * 3600)
        self.scheduler.add_job(self.snapshot_last_month, CronTrigger(day=1, hour=0, minute=5, timezone=sm.LONDON),
                               id="snapshot", coalesce=True, max_instances=1, misfire_grace_time=12 * 3600)
        # Once, now, however late the scheduler gets to it; posting is idempotent (post_once), so meeting
        # the 09:00 job is harmless.
        self.scheduler.add_job(self.catch_up, args=[after], id="catch-up", misfire_grace_time=None)
        self.scheduler.start()

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
