"""The monthly summary's figures and chart, and when summaries and reminders are due.

The figures for a month are frozen in a snapshot in the journal the first time they are computed
after the month has ended, so a summary can be reproduced later exactly as it was posted.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

from shared import journal as j
from shared.domain import schema as s
from shared.domain.model import Appendix
from shared.domain.rules import is_overdue
from shared.domain.values import cell_text
from shared.reader import read_appendix, read_change_log
from shared.usecases import Store

LONDON = ZoneInfo("Europe/London")
STALE_DAYS = 60
REMINDER_WORKING_DAYS_BEFORE = 5


# --- the calendar -----------------------------------------------------------------------------

def _bank_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("GB", subdiv="ENG", years=[year - 1, year, year + 1])


def is_working_day(day: date) -> bool:
    """Monday to Friday and not an English bank holiday."""
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def first_working_day(year: int, month: int) -> date:
    day = date(year, month, 1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def working_days_before(day: date, count: int) -> date:
    while count:
        day -= timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def parse_month(text: str) -> tuple[int, int]:
    """`2026-11` -> (2026, 11), with a sentence when it is not a month."""
    try:
        year, month = (int(part) for part in text.split("-"))
        date(year, month, 1)
    except ValueError:
        raise ValueError(f"'{text}' is not a month: write it like 2026-11.") from None
    return year, month


def month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def summary_time(year: int, month: int, hour: int = 9) -> datetime:
    """When the summary of (year, month) is posted: the first working day of the next month, 09:00 London."""
    day = first_working_day(*next_month(year, month))
    return datetime.combine(day, time(hour), LONDON)


def reminder_day(year: int, month: int) -> date:
    """Five working days before the summary of (year, month): leads are nudged about that month."""
    return working_days_before(summary_time(year, month).date(), REMINDER_WORKING_DAYS_BEFORE)


def month_to_summarise(now: datetime, hour: int = 9) -> tuple[int, int] | None:
    """The month whose summary is due at `now` (the previous month, once its posting time has come)."""
    local = now.astimezone(LONDON)
    year, month = previous_month(local.year, local.month)
    return (year, month) if local >= summary_time(year, month, hour) else None


# --- the figures ------------------------------------------------------------------------------

@dataclass
class Item:
    ref: str
    status: str
    lead: str
    text: str
    due: str = ""
    last_updated: str = ""


@dataclass
class Change:
    when: str
    ref: str
    field: str
    old: str
    new: str
    by: str
    via: str


@dataclass
class MonthFigures:
    """Everything a month's summary shows; stored as JSON in the journal's snapshot of the month."""

    month: str
    taken_at: str
    counts: dict[str, int]
    previous_counts: dict[str, int] | None
    by_lead: dict[str, dict[str, int]]
    changes: list[Change] = field(default_factory=list)
    overdue: list[Item] = field(default_factory=list)
    stale: list[Item] = field(default_factory=list)
    pending: int = 0
    conflicts: int = 0
    history: dict[str, dict[str, int]] = field(default_factory=dict)

    def delta(self, status: str) -> int | None:
        if self.previous_counts is None:
            return None
        return self.counts.get(status, 0) - self.previous_counts.get(status, 0)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> MonthFigures:
        data = json.loads(text)
        data["changes"] = [Change(**c) for c in data.get("changes", [])]
        data["overdue"] = [Item(**i) for i in data.get("overdue", [])]
        data["stale"] = [Item(**i) for i in data.get("stale", [])]
        return cls(**data)


def _item(row) -> Item:
    return Item(row.ref, row.status, row.lead_org, cell_text(row[s.RECOMMENDATION]), cell_text(row.due),
                cell_text(row[s.LAST_UPDATED]))


def _day(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return None


def compute_figures(store: Store, year: int, month: int, now: datetime | None = None) -> MonthFigures:
    """The month's figures from the workbook as it stands, the Change log and the journal."""
    now = now or datetime.now(UTC)
    appendix: Appendix = read_appendix(store.workbook)
    start = date(year, month, 1)
    end = date(*next_month(year, month), 1)
    as_of = min(now.astimezone(LONDON).date(), end)  # for a month gone by: as at the day it ended
    rows = sorted(appendix.rows.values(), key=lambda r: int(r.ref[1:]))
    counts = {status: sum(1 for r in rows if r.status == status) for status in s.STATUSES}
    by_lead: dict[str, dict[str, int]] = {}
    for row in rows:
        by_lead.setdefault(row.lead_org or "(none)", {st: 0 for st in s.STATUSES})
        if row.status in s.STATUSES:
            by_lead[row.lead_org or "(none)"][row.status] += 1
    changes = [Change(cell_text(e.when), e.ref, e.field, e.old_value, e.new_value, e.by, e.via)
               for e in read_change_log(store.workbook)
               if (d := _day(e.when)) is not None and start <= d < end]
    overdue = [_item(r) for r in rows if is_overdue(r.due, r.status, as_of)]
    stale = [_item(r) for r in rows if r.status != s.COMPLETE and (
        (d := _day(r[s.LAST_UPDATED])) is None or (as_of - d).days >= STALE_DAYS)]
    journal = store.journal()
    previous = journal.snapshot(month_key(*previous_month(year, month)))
    history = {m: f.counts for m, f in ((m, MonthFigures.from_json(t)) for m, t in journal.snapshots())}
    history[month_key(year, month)] = counts
    return MonthFigures(
        month=month_key(year, month), taken_at=now.astimezone(UTC).isoformat(timespec="seconds"),
        counts=counts, previous_counts=MonthFigures.from_json(previous).counts if previous else None,
        by_lead=by_lead, changes=changes, overdue=overdue, stale=stale,
        pending=len(journal.in_states(*j.OPEN_STATES)), conflicts=len(journal.in_states(j.CONFLICT)),
        history=dict(sorted(history.items())))


def month_figures(store: Store, year: int, month: int, now: datetime | None = None,
                  freeze: bool = False) -> MonthFigures:
    """The month's figures: from its snapshot when there is one, else computed from the workbook now.

    With `freeze` (the poster and the month-end job) they are kept as the month's snapshot, but only
    in the month right after it: figures computed later would describe a later workbook.
    """
    journal = store.journal()
    key = month_key(year, month)
    stored = journal.snapshot(key)
    if stored:
        return MonthFigures.from_json(stored)
    now = now or datetime.now(UTC)
    figures = compute_figures(store, year, month, now)
    today = now.astimezone(LONDON).date()
    if freeze and date(*next_month(year, month), 1) <= today < date(*next_month(*next_month(year, month)), 1):
        return MonthFigures.from_json(journal.save_snapshot(key, figures.to_json()))
    return figures


# --- the chart --------------------------------------------------------------------------------

STATUS_COLOURS = {s.NOT_STARTED: "#bfbfbf", s.ON_TRACK: "#5b9b44", s.AT_RISK: "#f0a30a",
                  s.OFF_TRACK: "#c0392b", s.COMPLETE: "#2e75b6"}


def status_chart(figures: MonthFigures) -> bytes:
    """A PNG: statuses by lead organisation this month, and statuses over the months when there is history."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    months = list(figures.history)
    two = len(months) > 1
    fig, axes = plt.subplots(1, 2 if two else 1, figsize=(11 if two else 7.5, 4.6), dpi=110,
                             gridspec_kw={"width_ratios": [3, 2]} if two else None)
    axes = list(axes) if two else [axes]
    leads = sorted(figures.by_lead, key=lambda name: -sum(figures.by_lead[name].values()))
    left = [0] * len(leads)
    for status in s.STATUSES:
        values = [figures.by_lead[lead].get(status, 0) for lead in leads]
        axes[0].barh(leads, values, left=left, color=STATUS_COLOURS[status], label=status)
        left = [a + b for a, b in zip(left, values, strict=True)]
    axes[0].invert_yaxis()
    axes[0].set_xlabel("recommendations")
    axes[0].set_title(f"By lead organisation, {figures.month}")
    axes[0].tick_params(axis="y", labelsize=8)
    if two:
        bottom = [0] * len(months)
        for status in s.STATUSES:
            values = [figures.history[m].get(status, 0) for m in months]
            axes[1].bar(months, values, bottom=bottom, color=STATUS_COLOURS[status])
            bottom = [a + b for a, b in zip(bottom, values, strict=True)]
        axes[1].set_title("Over the months")
        axes[1].tick_params(axis="x", labelrotation=45, labelsize=8)
    fig.legend(loc="lower center", ncol=5, frameon=False, fontsize=9)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


# --- who needs a reminder ---------------------------------------------------------------------

@dataclass
class Reminder:
    slack_user_id: str
    name: str
    items: list[Item]
    #: The lead's Entra object ID, for a reminder in Teams ('' when the Leads sheet gives none).
    entra_object_id: str = ""


def reminders_due(store: Store, year: int, month: int) -> list[Reminder]:
    """Each lead whose organisation has recommendations not updated in the month, with those items."""
    appendix = read_appendix(store.workbook)
    start = date(year, month, 1)
    people: list[list] = []  # [slack user ID, Entra object ID, name, organisations]: one entry a person
    for lead in appendix.leads:  # rows of the same person share a Slack user ID or an Entra object ID
        if lead.role != "lead" or not (lead.slack_user_id or lead.entra_object_id):
            continue
        same = next((p for p in people if (lead.slack_user_id and p[0] == lead.slack_user_id)
                     or (lead.entra_object_id and p[1] == lead.entra_object_id)), None)
        if same is None:
            people.append([lead.slack_user_id, lead.entra_object_id, lead.name, {lead.lead_organisation}])
        else:
            same[0], same[1] = same[0] or lead.slack_user_id, same[1] or lead.entra_object_id
            same[3].add(lead.lead_organisation)
    organisations = {(p[0], p[1]): p[3] for p in people}
    names = {(p[0], p[1]): p[2] for p in people}
    out = []
    for person, orgs in organisations.items():  # one reminder a person, whatever number of organisations
        stale = [_item(r) for r in sorted(appendix.rows.values(), key=lambda r: int(r.ref[1:]))
                 if r.lead_org in orgs and r.status != s.COMPLETE
                 and ((d := _day(r[s.LAST_UPDATED])) is None or d < start)]
        if stale:
            out.append(Reminder(person[0], names[person], stale, person[1]))
    return out
