"""When summaries and reminders are due (the calendar), what a month's summary and a reminder hold, and who
needs a reminder: everything the monthly jobs decide without pandas or matplotlib.

Why a module of its own: a running bot asks these every day, and the figures' computing and charts
(shared/summary.py) import some 100 MB of libraries; kept apart, the bot imports them only when it makes
a summary, and then in a worker process (shared/worker.py).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta

from shared.domain import schema as s
from shared.domain import values
from shared.domain.values import cell_text, parse_month  # noqa: F401 (the domain's, for every month option)
from shared.reader import read_appendix
from shared.uow import Store

LONDON = values.uk_zone()
REMINDER_WORKING_DAYS_BEFORE = 5


# --- the calendar -----------------------------------------------------------------------------

def england_bank_holidays(years: tuple[int, ...]) -> frozenset[date]:
    """England's bank holidays in `years`, from the `holidays` package (about 17 MB once imported: a running
    bot asks a worker process for them, see `bank_holidays_from`)."""
    import holidays

    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=list(years)))


_source: Callable[[tuple[int, ...]], frozenset[date]] = england_bank_holidays


def bank_holidays_from(source: Callable[[tuple[int, ...]], frozenset[date]]) -> None:
    """Where this process gets England's bank holidays from (`england_bank_holidays`, or a worker's)."""
    global _source
    _source = source
    _bank_holidays.cache_clear()


@functools.lru_cache(maxsize=8)
def _bank_holidays(year: int) -> frozenset[date]:
    return _source((year - 1, year, year + 1))


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


# --- what a month's summary holds --------------------------------------------------------------

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
    """Everything a month's summary shows; stored as JSON in the journal's snapshot of the month.

    Fields added later have defaults, so a snapshot taken before them reads back exactly as posted."""

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
    #: Months of `history` with no snapshot, whose counts were replayed from the Change log's history.
    reconstructed: list[str] = field(default_factory=list)
    #: The previous month's counts were reconstructed (no snapshot of it was taken).
    previous_reconstructed: bool = False
    #: Status changes made after the month ended, set aside so the counts are as at its end.
    set_aside: int = 0
    #: When the journal's records begin (ISO date; "" with none). A month that ended before then has no counts
    #: (`counts` and `by_lead` empty): they are not known, and the summary says so rather than guess.
    records_begin: str = ""
    #: The month ended before records began, and these are the workbook's counts when it was posted.
    unrecorded: bool = False
    #: Of the Complete ones, how many are assured and how many await assurance (`assurance_counts`), as the
    #: workbook stood when the figures were taken; empty without assurance, or for a month whose statuses
    #: changed since it ended (its assurances are not replayed).
    assurance: dict[str, int] = field(default_factory=dict)

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


def item_of(row: object) -> Item:
    """A recommendation's row as a summary or reminder lists it."""
    return Item(row.ref, row.status, row.lead_org, cell_text(row[s.RECOMMENDATION]), cell_text(row.due),
                cell_text(row[s.LAST_UPDATED]))


def day_of(value: object) -> date | None:
    """The day of a cell's date or date-time; None for anything else (text, empty)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return None


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
        stale = [item_of(r) for r in sorted(appendix.rows.values(), key=lambda r: int(r.ref[1:]))
                 if r.lead_org in orgs and r.status != s.COMPLETE
                 and ((d := day_of(r[s.LAST_UPDATED])) is None or d < start)]
        if stale:
            out.append(Reminder(person[0], names[person], stale, person[1]))
    return out
