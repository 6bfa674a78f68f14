"""The monthly summary with its caveats, and the reminders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.domain import schema as s
from shared.domain.assurance import counts_sentence
from shared.domain.values import cell_text, plural, short_text, shown, uk_time_text
from shared.usecases.replies.common import STALE_DAYS

if TYPE_CHECKING:  # for the type hints only: the summary pulls in pandas and matplotlib
    from shared.summary import MonthFigures, Reminder


# --- the monthly summary and the reminders -------------------------------------------------------

@dataclass(frozen=True)
class StatusCount:
    status: str
    count: int
    #: The change since last month as shown: " (+2)", " (-1)", " (=)", or "" with nothing to compare.
    change: str

    @property
    def shown(self) -> str:
        return f"{self.count}{self.change}"


@dataclass(frozen=True)
class Move:
    """A status change this month."""

    ref: str
    old: str
    new: str
    by: str
    via: str


@dataclass(frozen=True)
class Flagged:
    """A recommendation the summary points out: overdue (status, due, text) or stale (last updated)."""

    ref: str
    lead: str
    status: str = ""
    due: str = ""
    text: str = ""
    last_updated: str = ""


@dataclass(frozen=True)
class SummaryReply:
    """The monthly summary: counts by status with the change since last month and the caveats on them,
    what changed, what is overdue or stale, what waits; with the time the figures were taken."""

    title: str
    month: str
    month_key: str
    counts: tuple[StatusCount, ...]
    comparison: str
    caveats: tuple[str, ...]
    changes: int
    changed_refs: int
    moves: tuple[Move, ...]
    more_moves: int
    overdue: tuple[Flagged, ...]
    stale: tuple[Flagged, ...]
    pending: int
    conflicts: int
    taken_at: str
    plain: str
    hint: str = "list at risk or off track"
    stale_days: int = STALE_DAYS
    #: False for a month that ended before records began: its counts and changes are not known.
    known: bool = True

    #: The headings every chat shows, decided here once.
    CHANGED, OVERDUE, WAITING = "Changed this month", "Overdue next steps", "Waiting"

    @property
    def stale_heading(self) -> str:
        return f"Not updated for {self.stale_days} days or more"

    @property
    def as_at(self) -> str:
        return f"Figures as at {self.taken_at}"

    @property
    def changed_line(self) -> str:
        if not self.known:
            return "not known (no record of the month)"
        return f"{plural(self.changes, 'change')} to {plural(self.changed_refs, 'recommendation')}"

    @property
    def waiting_line(self) -> str:
        return (f"{plural(self.pending, 'update')} not yet in the workbook, {self.conflicts} in conflict with an "
                "officer's edit.") if self.pending or self.conflicts else ""

    @property
    def chart_alt(self) -> str:
        return f"SLI statuses, {self.month_key}"

    def must_show(self) -> tuple[str, ...]:
        return (self.month, *(f"{c.status} {c.shown}" for c in self.counts), self.comparison, *self.caveats,
                self.changed_line, *(x for m in self.moves for x in (m.ref, m.old, m.new, m.by, m.via)),
                *(x for i in self.overdue for x in (i.ref, i.status, i.due, i.text, i.lead)),
                *(x for i in self.stale for x in (i.ref, i.last_updated, i.lead)), self.waiting_line, self.taken_at)


def time_text(stamp: str) -> str:
    """An ISO timestamp from the journal as people read it, in UK time with the zone named:
    01/12/2026 09:00 GMT (the chats, the summary and `sli history` say times the same way)."""
    return uk_time_text(stamp)


def _change(value: int | None) -> str:
    if value is None:
        return ""
    return f" ({'+' if value > 0 else ''}{value})" if value else " (=)"


def _moves(changes: list) -> list[Move]:
    """The month's status moves, and its assurance: a claim assured reads as a move of its own, and a claim
    sent back says so with its reason (short), so the summary shows both, not only the counts."""
    reasons = {(c.ref, c.when, c.by): c.new for c in changes if c.field == s.SENT_BACK and c.new}
    moves = []
    for c in changes:
        if c.field == s.STATUS:
            reason = reasons.get((c.ref, c.when, c.by))
            new = f"{c.new} (sent back: {short_text(cell_text(reason), 80)})" if reason else c.new
            moves.append(Move(c.ref, c.old or "(none)", new, c.by, c.via))
        elif c.field == s.ASSURED_BY and c.new:
            moves.append(Move(c.ref, s.AWAITING_ASSURANCE, "complete and assured", c.by, c.via))
    return moves


def summary_reply(figures: MonthFigures) -> SummaryReply:
    """A month's figures (`shared.summary.MonthFigures`) as the summary both chats post."""
    month = datetime.strptime(figures.month, "%Y-%m").strftime("%B %Y")
    counts = tuple(StatusCount(st, figures.counts.get(st, 0), _change(figures.delta(st))) for st in s.STATUSES)
    comparison = ("change since last month in brackets" if figures.previous_counts is not None
                  else "no earlier month to compare with")
    if not figures.counts:  # the month ended before records began: not known, and said so
        began = (f"records began on {datetime.fromisoformat(figures.records_begin):%d/%m/%Y}"
                 if figures.records_begin else "no update has been recorded yet")
        counts, comparison = (), f"counts by status not known: {began}"
    caveats, short = [], []
    if figures.counts and figures.assurance:  # Complete counted apart: assured, and awaiting assurance
        caveats.append("of" + counts_sentence(figures.assurance).rstrip(".").removeprefix("Of"))
        short.append(f" ({counts_sentence(figures.assurance).rstrip('.').removeprefix('Of the ')})")
    if figures.previous_reconstructed:
        caveats.append("last month's counts reconstructed from the Change log: no snapshot was taken then")
        short.append(" (last month's counts reconstructed from the Change log)")
    if figures.unrecorded:
        caveats.append("counts as the workbook stood when this was posted: no update was recorded before the month "
                       "ended")
        short.append(" (as the workbook stood when posted: no record of the month's end)")
    if figures.set_aside:
        caveats.append(f"counts as at the end of the month: {plural(figures.set_aside, 'status change')} made "
                       "since set aside")
        short.append(f" (as at the month's end: {plural(figures.set_aside, 'later status change')} set aside)")
    status_moves = _moves(figures.changes)
    overdue = tuple(Flagged(i.ref, i.lead, i.status, shown(i.due, s.DUE), short_text(i.text, 80))
                    for i in figures.overdue[:15])
    stale = tuple(Flagged(i.ref, i.lead, last_updated=shown(i.last_updated, s.LAST_UPDATED) or "never")
                  for i in figures.stale[:15])
    text_counts = (", ".join(f"{c.status} {c.shown}" for c in counts) or comparison) + "".join(short)
    changed = f"{plural(len(figures.changes), 'change')} this month" if figures.counts else "Changes not known"
    plain = (f"SLI infant mortality, {month}: {text_counts}. {changed}; "
             f"{len(figures.overdue)} overdue; {len(figures.stale)} not updated for {STALE_DAYS} days; "
             f"{figures.pending} waiting, {figures.conflicts} in conflict.")
    return SummaryReply(f"SLI infant mortality: {month}", month, figures.month, counts, comparison, tuple(caveats),
                        len(figures.changes), len({c.ref for c in figures.changes}), tuple(status_moves[:12]),
                        max(0, len(status_moves) - 12), overdue, stale, figures.pending, figures.conflicts,
                        time_text(figures.taken_at), plain, known=bool(figures.counts))


@dataclass(frozen=True)
class ReminderItem:
    ref: str
    title: str
    status: str
    due: str


@dataclass(frozen=True)
class ReminderReply:
    """The one message a lead gets before the summary: their recommendations not updated this month."""

    name: str
    month: str
    greeting: str
    items: tuple[ReminderItem, ...]
    plain: str

    def must_show(self) -> tuple[str, ...]:
        return (self.greeting, *(x for i in self.items for x in (i.ref, i.title, i.status, i.due)))


def reminder_reply(name: str, month_label: str, items: Sequence[Any]) -> ReminderReply:
    """A reminder from a `shared.summary.Reminder`'s name and items (`Item`s), for the month named."""
    shown_items = tuple(ReminderItem(i.ref, short_text(i.text, 70), i.status,
                                     f"due {shown(i.due, s.DUE)}" if i.due else "no due date") for i in items)
    return ReminderReply(name, month_label, f"Hello {name}. The SLI summary for {month_label} goes to the group "
                         "soon. These have not been updated this month:", shown_items,
                         f"Reminder: {', '.join(i.ref for i in items)} not updated this month ({month_label}).")


def reminder_of(reminder: Reminder, month_label: str) -> ReminderReply:
    return reminder_reply(reminder.name, month_label, reminder.items)

