"""The monthly summary's figures and chart, and when summaries and reminders are due.

The figures for a month are frozen in a snapshot in the journal the first time they are computed
after the month has ended, so a summary can be reproduced later exactly as it was posted.
"""

from __future__ import annotations

import io
import json
import textwrap
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import holidays
import pandas as pd

from shared import journal as j
from shared import trend as tr
from shared.builder import STATUS_FILLS
from shared.domain import schema as s
from shared.domain import values
from shared.domain.assurance import assurance_counts
from shared.domain.model import Appendix
from shared.domain.rules import is_overdue
from shared.domain.values import cell_text, parse_month  # noqa: F401 (the domain's, for every month option)
from shared.reader import read_appendix
from shared.uow import Store

LONDON = values.uk_zone()
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


def _item(row) -> Item:
    return Item(row.ref, row.status, row.lead_org, cell_text(row[s.RECOMMENDATION]), cell_text(row.due),
                cell_text(row[s.LAST_UPDATED]))


def _day(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return None


#: How many months the trend in the monthly post shows (the month summarised and the eleven before it).
TREND_MONTHS = 12


def compute_figures(store: Store, year: int, month: int, now: datetime | None = None,
                    changes: pd.DataFrame | None = None, posting: bool = False) -> MonthFigures:
    """The month's figures from the workbook as it stands and the journal's history (never the whole
    Change log, so the cost does not grow with it).

    For a month gone by, the counts are as at its end: status changes made since are set aside by
    replaying them backwards. Earlier months come from their snapshots, or are reconstructed. `changes`:
    status changes already read from the journal (the annual report reads them once for everything).

    A month that ended before records began is not known (`counts` empty), as `sli export trend` and the
    report say; except when it is being posted (`posting`, in the month right after): then the counts are
    the workbook's as it stands, later recorded changes set aside, marked `unrecorded`, and once frozen they
    are the month's record everywhere."""
    now = now or datetime.now(UTC)
    appendix: Appendix = read_appendix(store.workbook)
    frame = tr.appendix_frame(appendix)
    end = tr.month_end(year, month)
    as_of = min(now.astimezone(LONDON).date(), end.date())  # for a month gone by: as at the day it ended
    statuses = frame["status"]
    months = tr.months_back(year, month, TREND_MONTHS)
    history_changes = tr.since(changes, store, tr.month_end(*months[0]))  # one read: the counts and the trend
    later = tr.since(history_changes, store, end)  # none for the month in progress
    if len(later):  # a month gone by: its counts as at its end, changes made since set aside
        statuses = tr.statuses_at(statuses, later, [end]).iloc[:, 0]
    counts = tr.count_statuses(statuses)
    crossed = pd.crosstab(frame["lead"], statuses).reindex(columns=list(s.STATUSES), fill_value=0)
    by_lead = {lead: {st: int(n) for st, n in row.items()} for lead, row in crossed.iterrows()}
    changes = [Change(cell_text(row.when), row.ref, row.field, row.old_value, row.new_value, row.by, row.via)
               for row in tr.logged_changes(store, tr.month_start(year, month), end)]
    rows = sorted(appendix.rows.values(), key=lambda r: int(r.ref[1:]))
    overdue = [_item(r) for r in rows if is_overdue(r.due, r.status, as_of)]
    stale = [_item(r) for r in rows if r.status != s.COMPLETE and (
        (d := _day(r[s.LAST_UPDATED])) is None or (as_of - d).days >= STALE_DAYS)]
    journal = store.journal()
    key = month_key(year, month)
    # One source for every month, this one too: the trend `sli export trend` and the report read. A month
    # gone by that ended before records began is not known, here as there.
    trend = tr.month_trend(store, appendix, months, now, history_changes)
    known = trend[trend["source"] != tr.NO_RECORD]
    history = {m: {st: int(row[st]) for st in s.STATUSES} for m, row in known.iterrows()}
    unrecorded = key not in history and posting
    if key in history or posting:
        history[key] = counts
    else:
        counts, by_lead = {}, {}
    first = tr.first_record(store)
    reconstructed = [m for m in known.index[known["source"] == tr.RECONSTRUCTED] if m != key]
    previous = month_key(*previous_month(year, month))
    return MonthFigures(
        month=key, taken_at=now.astimezone(UTC).isoformat(timespec="seconds"),
        counts=counts, previous_counts=history.get(previous), by_lead=by_lead, changes=changes,
        overdue=overdue, stale=stale,
        pending=len(journal.in_states(*j.OPEN_STATES)), conflicts=len(journal.in_states(j.CONFLICT)),
        history=dict(sorted(history.items())), reconstructed=reconstructed,
        previous_reconstructed=previous in reconstructed, set_aside=len(later) if counts else 0,
        records_begin=first.date().isoformat() if first else "", unrecorded=unrecorded,
        assurance=assurance_counts(appendix) if counts and not len(later) else {})


def month_figures(store: Store, year: int, month: int, now: datetime | None = None,
                  freeze: bool = False, changes: pd.DataFrame | None = None) -> MonthFigures:
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
    today = now.astimezone(LONDON).date()
    posting = freeze and date(*next_month(year, month), 1) <= today < date(*next_month(*next_month(year, month)), 1)
    figures = compute_figures(store, year, month, now, changes, posting=posting)
    if posting:
        return MonthFigures.from_json(journal.save_snapshot(key, figures.to_json()))
    return figures


# --- the chart --------------------------------------------------------------------------------

#: The workbook's status fills (shared/builder.py), so a chart reads like the sheet's colours.
STATUS_COLOURS = {status: f"#{fill}" for status, fill in STATUS_FILLS.items()}


def _figure_png(fig) -> bytes:
    from matplotlib import pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def records_began(figures: MonthFigures) -> str:
    """Why a month's counts are not known: "records began on 15/12/2025", or that none has been recorded."""
    if figures.records_begin:
        return f"records began on {date.fromisoformat(figures.records_begin):%d/%m/%Y}"
    return "no update has been recorded yet"


def status_chart(figures: MonthFigures) -> bytes:
    """A PNG: this month's statuses by lead organisation (stacked bars, counts in the bars), sized to stay
    readable at Slack's ~360 px preview. The months before are `trend_chart`'s."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    title = f"By lead organisation, {datetime.strptime(figures.month, '%Y-%m'):%B %Y}"
    if not figures.by_lead:  # the month ended before records began: said, not drawn as if known
        fig, ax = plt.subplots(figsize=(6, 2.6), dpi=100)
        ax.axis("off")
        ax.text(0.5, 0.5, textwrap.fill(f"Not known: {records_began(figures)}.", 48), ha="center", va="center",
                fontsize=12, color="#595959")
        fig.suptitle(title, fontsize=14, fontweight="bold", x=0.02, ha="left")
        return _figure_png(fig)
    table = pd.DataFrame(figures.by_lead).T.reindex(columns=list(s.STATUSES), fill_value=0).fillna(0)
    table = table.loc[table.sum(axis=1).sort_values(ascending=True, kind="stable").index]
    fig, ax = plt.subplots(figsize=(6, 0.9 + 0.55 * max(len(table), 4) + 1.0), dpi=100)
    left = pd.Series(0.0, index=table.index)
    for status in s.STATUSES:
        bars = ax.barh(table.index, table[status], left=left, color=STATUS_COLOURS[status], edgecolor="#595959",
                       linewidth=0.6, label=status)
        ax.bar_label(bars, labels=[str(int(v)) if v else "" for v in table[status]], label_type="center",
                     fontsize=11)
        left = left + table[status]
    ax.set_yticks(range(len(table)), [textwrap.fill(name, 24) for name in table.index], fontsize=10)
    ax.set_xlabel("recommendations", fontsize=11)
    fig.suptitle(title, fontsize=14, fontweight="bold", x=0.02, ha="left")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.legend(loc="lower center", ncol=3, frameon=False, fontsize=11, handlelength=1.2)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return _figure_png(fig)


def figures_trend(figures: MonthFigures) -> pd.DataFrame:
    """The trend a month's figures carry (as posted, for a frozen month): the TREND_MONTHS months to it."""
    rows = []
    for year, month in tr.months_back(*parse_month(figures.month), TREND_MONTHS):
        counts = figures.history.get(month_key(year, month))
        source = tr.NO_RECORD if counts is None else tr.NOW if month_key(year, month) == figures.month else \
            tr.RECONSTRUCTED if month_key(year, month) in figures.reconstructed else tr.SNAPSHOT
        rows.append({"month": month_key(year, month), **{st: (counts or {}).get(st) for st in s.STATUSES},
                     "source": source})
    frame = pd.DataFrame(rows).set_index("month")
    frame[list(s.STATUSES)] = frame[list(s.STATUSES)].astype("Int64")
    known = frame.index[frame["source"] != tr.NO_RECORD]
    return frame.loc[known[0]:] if len(known) else frame.iloc[-1:]


def trend_chart(figures: MonthFigures) -> bytes:
    """A PNG: status counts month by month up to the month summarised (the small chart beside today's)."""
    frame = figures_trend(figures)
    first = datetime.strptime(frame.index[0], "%Y-%m")
    last = datetime.strptime(figures.month, "%Y-%m")
    span = f"{last:%B %Y}" if len(frame) == 1 else f"{first:%b %Y} to {last:%b %Y}"
    return tr.trend_chart(frame, f"Statuses by month, {span}")


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
