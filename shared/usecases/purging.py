"""Keeping personal data no longer than needed (`sli purge`): the journal's settled updates, month-end figures,
"posted once" records and replay guards past the retention the admin sets (`SLI_RETENTION_DAYS`), or, when
none is set, past what the workbook's own Change log still keeps. Never an update still waiting, and never
one whose sender has not been told. README, "Personal data", is the data map this serves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from shared.domain.values import day_text
from shared.uow import Context, Store, as_context

#: The replay guards (retried Slack events, Teams activities) are only needed for a day (see `first_time`).
KEYS_KEPT = timedelta(days=1)


@dataclass(frozen=True)
class Purged:
    """What `purge` removed (or would remove, `dry_run`), and the rule it followed."""

    #: Settled updates older than this went (UTC); None: no update was old enough to go by the rule.
    before: datetime | None
    #: Why that moment: the retention set, or the Change log's first year.
    rule: str
    updates: int = 0
    #: Settled updates older than `before` kept because an update still waiting (or not yet told) is older.
    kept: int = 0
    snapshots: int = 0
    posts: int = 0
    seen_keys: int = 0
    dry_run: bool = False
    #: Nothing was ever journalled: there is nothing to remove.
    no_journal: bool = False

    @property
    def sentence(self) -> str:
        """What was done, in one or two sentences, for the command line."""
        verb = "Would remove" if self.dry_run else "Removed"
        if self.no_journal:
            return "There is no journal yet: nothing to remove."
        if self.before is None:
            done = f"{self.rule}: no update is old enough to remove."
        else:
            done = (f"{self.rule}. {verb} {self.updates} settled update(s) older than {day_text(self.before)}, "
                    f"{self.snapshots} month-end snapshot(s) and {self.posts} record(s) of posts of months "
                    "before then")
            done += f"; {self.kept} older update(s) kept behind one still waiting or not yet told." \
                if self.kept else "."
        return f"{done} {verb} {self.seen_keys} replay guard(s) older than a day."


def purge(ctx: Context | Store, retention_days: int | None, dry_run: bool = False) -> Purged:
    """Remove from the journal what it need no longer keep (see `Journal.purge`): with `retention_days` (the
    admin's `SLI_RETENTION_DAYS`), what was settled longer ago than that; without, what is older than the
    first year the workbook's Change log still holds (an officer who deletes the sheet `Change log 2025`
    lets the journal's 2025 go too). Nothing when there is no journal yet."""
    ctx = as_context(ctx)
    now = ctx.clock().astimezone(UTC)
    reader = ctx.read()
    if retention_days is not None:
        before: datetime | None = now - timedelta(days=retention_days)
        rule = f"Keeping {retention_days} day(s) of history (SLI_RETENTION_DAYS)"
    else:
        years = [row.when.year for row in reader.change_log() if isinstance(row.when, datetime)]
        before = datetime(min(years), 1, 1, tzinfo=UTC) if years else None
        rule = ("SLI_RETENTION_DAYS is not set, so the journal keeps what the workbook's Change log keeps"
                + (f" (from {min(years)} on)" if years else " (it holds no rows yet)"))
    if not reader.has_journal():
        return Purged(None, rule, dry_run=dry_run, no_journal=True)
    months_before = None
    if before is not None:
        # A month's records go once the month ended before `before`, and never last month's or this month's:
        # the scheduler still looks at last month's "posted" record before it posts.
        last_month = (now.replace(day=1) - timedelta(days=1)).replace(day=1)
        months_before = min(f"{before.year:04d}-{before.month:02d}", f"{last_month.year:04d}-{last_month.month:02d}")
    counts = reader.journal.purge(before, months_before, now - KEYS_KEPT, dry_run=dry_run)
    return Purged(before, rule, dry_run=dry_run, **counts)
