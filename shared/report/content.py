"""What the annual report says, with no file format: its figures, its sentences and notes, each table's rows,
the chart and its alt text, and who it is by. Both writers (`shared.report.docx`, `shared.report.xlsx`) lay
out the same `ReportContent`."""

from __future__ import annotations

import textwrap
import zipfile
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from shared import summary as sm
from shared import trend as tr
from shared.domain import schema as s
from shared.domain.assurance import shown_status
from shared.domain.values import cell_text, day_text, plural
from shared.reader import read_appendix
from shared.report import assurance as ra
from shared.uow import Store

FORMATS = ("docx", "xlsx")
#: The report's author when the workbook names none (or names a program): the team that publishes it.
ORGANISATION = "Blackburn with Darwen Public Health"
#: What programs write as a file's author: not a person or a team, so never given as the report's author.
PROGRAM_AUTHORS = {"", "sli tracker", "openpyxl", "python-docx", "microsoft office user", "unknown", "author"}
LANGUAGE = "en-GB"
TABLE_COLUMNS = ("Ref", "Recommendation", "Status", "Summary of status", "Recommendation for next steps")
MOVES_COLUMNS = ("Ref", "Recommendation", "Lead organisation", "Start of year", "Moved", "End of year")
#: The start-to-end arrows in words too, so a screen reader says "better", not "upwards arrow" alone.
MOVED = {"↑": "↑ better", "↓": "↓ worse", "=": "= unchanged", "": "not known"}
LEAD_COLUMNS = ("Lead organisation", "Recommendations", "Updates in year", "Last update", "At risk or off track",
                "Overdue next steps", "Not updated for 60 days")
TREND_COLUMNS = ("Month", *s.STATUSES, "Source")
DATE_FORMAT, MONTH_FORMAT = "dd/mm/yyyy", "mmm yyyy"


def risk_columns(year: int) -> tuple[str, ...]:
    return ("Ref", "Recommendation", "Status now", "At risk or Off track since", "Days since then",
            f"Days At risk in {year}", f"Days Off track in {year}")


@dataclass
class ReportContent:
    """What the report says, each table's cells as values both writers share: text, whole or tenth days as
    numbers, dates as dates (the docx writes them as text, the xlsx as real dates and numbers)."""

    year: int
    title: str
    as_at: str
    counts: dict[str, int]
    completed: list[tuple[str, str, str]]  # (ref, date, recommendation)
    rows: list[tuple[str, str, str, str, str]]
    chart_png: bytes
    trend: pd.DataFrame = field(default_factory=pd.DataFrame)
    moves: list[tuple[str, ...]] = field(default_factory=list)
    at_risk: list[tuple[object, ...]] = field(default_factory=list)
    leads: list[tuple[object, ...]] = field(default_factory=list)  # numbers and a date: numbers in the xlsx
    sentences: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    author: str = ORGANISATION
    chart_title: str = ""
    chart_alt: str = ""  # what the chart shows, with its numbers, for those who cannot see it
    risk_note: str = ""  # from when the days At risk / Off track are counted, when not from 1 January
    made: datetime = field(default_factory=lambda: datetime.now(UTC))  # the report's "now"
    #: The assurance table (`shared.report.assurance.ASSURANCE_TABLE_COLUMNS`), and the counts of claims
    #: assured and awaiting assurance; both empty for a workbook that asks for no assurance.
    assurance: list[tuple[object, ...]] = field(default_factory=list)
    assurance_counts: dict[str, int] = field(default_factory=dict)
    #: The board whose paper this is (`sli report --for BOARD`), or '' for the whole partnership's report.
    board: str = ""

    def trend_rows(self) -> list[tuple[object, ...]]:
        """Month by month: the month (a date, its first day), the count of each status (None: no record), and
        where the figures come from."""
        return [(datetime.strptime(month, "%Y-%m").date(),
                 *[None if pd.isna(row[st]) else int(row[st]) for st in s.STATUSES], row["source"])
                for month, row in self.trend.iterrows()]


def days_number(value: float) -> float | int | None:
    """Days as a reader wants them: whole days, or tenths below one (0.3, never a cryptic "<1"); None when
    not known."""
    if value is None or pd.isna(value):
        return None
    if value <= 0:
        return 0
    return max(0.1, round(value, 1)) if value < 1 else int(value + 0.5)


def workbook_author(workbook: Path) -> str:
    """Who the report is by: the person or team the workbook names as its author (its core properties'
    creator), unless that is a program's name or missing; then the public health team that publishes it."""
    from lxml import etree

    try:
        with zipfile.ZipFile(workbook) as archive:
            root = etree.fromstring(archive.read("docProps/core.xml"))
        creator = root.findtext("{http://purl.org/dc/elements/1.1/}creator") or ""
    except (OSError, KeyError, zipfile.BadZipFile, ValueError, etree.LxmlError):
        return ORGANISATION
    creator = " ".join(creator.split())
    return creator if creator.lower() not in PROGRAM_AUTHORS else ORGANISATION


def _month_name(month: str) -> str:
    return datetime.strptime(month, "%Y-%m").strftime("%B %Y")


def chart_description(trend: pd.DataFrame, total: int) -> str:
    """Alt text for the month-by-month chart: what it is, the months it covers, and the counts of its first
    and last month on record (every month's are in the table of statuses month by month)."""
    months = list(trend.index)
    first, last = _month_name(months[0]), _month_name(months[-1])
    if len(months) == 1:
        span = first
    elif first[-4:] == last[-4:]:
        span = f"{first[:-5]} to {last}"
    else:
        span = f"{first} to {last}"
    words = [f"Stacked bar chart of the {total} recommendations by status, month by month, {span}."]
    known = trend[trend["source"] != tr.NO_RECORD]
    if len(known) < len(trend):
        words.append(f"{len(trend) - len(known)} of its {len(trend)} months have no record.")
    for month in dict.fromkeys([known.index[0], known.index[-1]] if len(known) else []):
        row = known.loc[month]
        how = {tr.RECONSTRUCTED: " (reconstructed)", tr.NOW: " (now)"}.get(row["source"], "")
        words.append(f"{_month_name(month)}{how}: "
                     + ", ".join(f"{int(row[st])} {st.lower()}" for st in s.STATUSES) + ".")
    if (trend["source"] == tr.RECONSTRUCTED).any():
        words.append("Months marked with an asterisk were reconstructed from the Change log.")
    words.append("The counts of every month are in the table of statuses month by month.")
    return " ".join(words)


def report_content(store: Store, year: int, now: datetime | None = None, board: str | None = None) -> ReportContent:
    """What the report says, from the workbook (now), the journal's snapshots and its update history; with
    `board`, that board's paper (`shared.report.assurance.for_board`; `BoardError` for a board not on Lists)."""
    now = now or datetime.now(UTC)
    appendix = whole = read_appendix(store.workbook)
    board_name, refs = ra.board_refs(appendix, board) if board else ("", None)
    changes = tr.status_changes(store)  # read once: the figures, the trend, the moves and time at risk use it
    if refs is not None:  # a board's paper: every figure, table and chart of its own recommendations only
        appendix = replace(whole, rows={ref: row for ref, row in whole.rows.items() if ref in refs})
        changes = changes[changes["ref"].isin(refs)]
    frame = tr.appendix_frame(appendix)
    start, end = tr.year_window(year, now)
    month = (year, 12) if now.year > year else (now.year, now.month)
    months = [(year, m) for m in range(1, 13) if tr.month_start(year, m) < max(end, start + pd.Timedelta(days=1))]
    trend = tr.month_trend(store, appendix, months, now, changes, use_snapshots=refs is None)
    counts = sm.month_figures(store, *month, now=now, changes=changes).counts if refs is None else _counts_of(
        trend, tr.key(*month))
    known = trend[trend["source"] != tr.NO_RECORD]
    chart_trend = trend.loc[known.index[0]:] if len(known) else trend
    in_year = tr.since(changes, store, start)
    done = in_year[(in_year["new"] == s.COMPLETE) & (in_year["at"] < end)].drop_duplicates("ref", keep="last")
    completed = [(ref, day_text(at), cell_text(frame.at[ref, s.RECOMMENDATION]) if ref in frame.index else "")
                 for ref, at in zip(done["ref"], done["at"], strict=True)]

    moves = tr.year_moves(store, appendix, year, now, changes)
    risk = tr.time_at_risk(store, appendix, year, now, changes)
    if refs is not None:  # a board's paper: what moved and was completed among its recommendations
        moves, risk = moves[moves.index.isin(refs)], risk[risk.index.isin(refs)]
        completed = [c for c in completed if c[0] in refs]
    leads = tr.by_lead(store, appendix, year, now, overdue_as_of=min(end.date(), now.date()))
    as_at = day_text(min(end - pd.Timedelta(seconds=1), tr.utc_naive(now)))
    first = tr.first_record(store)

    # What is not known is said to be: records begin with the journal's first update (`began`).
    began = f"records began on {day_text(first)}" if first else "no update has been recorded yet"
    whole_year = first is not None and first <= start
    whose = f"the {board_name}'s {len(frame)} recommendations" if board_name else \
        f"the {sum(counts.values())} recommendations for individual localities"
    sentences = [f"Of {whose}, as at {as_at}: " + ", ".join(f"{counts.get(st, 0)} {st.lower()}" for st in s.STATUSES)
                 + "." if counts else f"The statuses as at {as_at} are not known: {began}."]
    assurance_counts = ra.assurance_counts(appendix, refs)
    if assurance_counts:
        sentence = ra.counts_sentence(assurance_counts)
        sentences.append(sentence.replace("Of the", f"Of the {board_name}'s", 1) if board_name else sentence)
    known_moves = moves[moves["move"] != ""]
    if len(known_moves):
        tally = known_moves["move"].value_counts()
        sentences.append(f"Since 1 January {year}: {tally.get('↑', 0)} moved to a better status, "
                         f"{tally.get('↓', 0)} to a worse one, {tally.get('=', 0)} stayed where they were.")
    done_when = f"in {year}" if whole_year else f"in {year} since {began}"
    if completed:
        sentences.append(f"{plural(len(completed), 'recommendation')} {'was' if len(completed) == 1 else 'were'} "
                         f"completed {done_when}: " + ", ".join(ref for ref, _, _ in completed) + ".")
    elif whole_year:
        sentences.append(f"No recommendation was marked complete in {year}.")
    elif first is not None:
        sentences.append(f"None was marked complete in {year} since {began}; before then it is not known.")
    else:
        sentences.append(f"Which recommendations were completed in {year} is not known: {began}.")
    behind = leads[(leads["overdue"] > 0) | (leads["at_risk"] > 0)].head(3)
    if len(behind):
        sentences.append("Most behind: " + "; ".join(
            f"{lead} ({plural(row.overdue, 'overdue next step')}, {row.at_risk} at risk or off track)"
            for lead, row in behind.iterrows()) + ".")
    notes = []
    if (trend["source"] == tr.RECONSTRUCTED).any():
        notes.append("Months marked * had no month-end snapshot: their counts were reconstructed by replaying "
                     "each recommendation's status changes from the Change log back from today's workbook.")
    if not whole_year:
        notes.append(f"Records began on {day_text(first)}: statuses before then, the start of the year and the "
                     "updates made before then are not known (Updates in year counts those since)." if first else
                     "No update has been recorded yet: statuses before today, the start of the year and the "
                     "updates made in it are not known.")
    if first is None or first >= end:
        risk_note = "No update is recorded in the year: the days At risk and Off track are not known."
    elif first > start:
        risk_note = f"Days are counted from {day_text(first)}, when records begin."
    else:
        risk_note = ""
    chart_title = f"Recommendations by status, month by month, {year}"
    content = ReportContent(
        year=year,
        title=f"Sector Led Improvement Review: Infant Mortality - progress on the individual locality "
              f"recommendations, {year}",
        as_at=as_at, counts=counts, completed=completed,
        rows=[(ref, cell_text(r[s.RECOMMENDATION]), shown_status(appendix, appendix.rows[ref]), cell_text(r[s.SUMMARY]),
               cell_text(r[s.NEXT_STEPS])) for ref, r in frame.iterrows()],
        chart_png=tr.trend_chart(chart_trend, chart_title, width_in=6.2, aspect=0.55),
        trend=trend,
        moves=[(ref, _short(r.recommendation, 70), r.lead, r.start or "not known", MOVED[r.move], r.end)
               for ref, r in moves.iterrows()],
        at_risk=[_risk_row(ref, r, frame, now) for ref, r in risk.iterrows()],
        leads=[(lead, int(r.recommendations), int(r.updates) if first else "not known",
                r.last_update.date() if pd.notna(r.last_update) else "none" if whole_year else "not known",
                int(r.at_risk), int(r.overdue), int(r.stale)) for lead, r in leads.iterrows()],
        sentences=sentences, notes=notes, author=workbook_author(store.workbook), chart_title=chart_title,
        chart_alt=chart_description(chart_trend, len(frame)), risk_note=risk_note, made=now,
        assurance=ra.assurance_rows(store, appendix, changes), assurance_counts=assurance_counts)
    return ra.for_board(content, board_name, refs, len(whole.rows)) if refs is not None else content


def _counts_of(trend: pd.DataFrame, month: str) -> dict[str, int]:
    """A month's counts by status from the trend (a board's, reconstructed from its rows' changes), or {}
    when the month has no record."""
    if month not in trend.index or trend.at[month, "source"] == tr.NO_RECORD:
        return {}
    return {st: int(trend.at[month, st]) for st in s.STATUSES}


def _risk_row(ref: str, r: pd.Series, frame: pd.DataFrame, now: datetime) -> tuple[object, ...]:
    """One row of the time At risk or Off track, in plain words where a number cannot say it: since when
    (a date; "before <the first record>, when records begin" when it was already so then; "not now: Off
    track until <date>" for one that came out of them), the days since (at least so many, when the start is
    not known), and the days of the year in each status."""
    spell = r["spell_since"]
    if r["status"] not in tr.RISK:  # listed for its days in the year: say when it came out, and from what
        since = (f"not now: {r['left_from']} until {day_text(r['left_at'])}" if pd.notna(r["left_at"])
                 else "not now")
        so_far = ""
    elif pd.isna(spell):
        since, so_far = "not known: no update is recorded yet", "not known"
    else:
        days = days_number((tr.utc_naive(now) - spell).total_seconds() / 86400)
        since, so_far = ((spell.date(), days) if r["since_known"] else
                         (f"before {day_text(spell)}, when records begin", f"at least {days}"))
    recommendation = _short(cell_text(frame.at[ref, s.RECOMMENDATION]), 90) if ref in frame.index else ""
    known = [days_number(r[st]) for st in tr.RISK]
    return (ref, recommendation, r["status"], since, so_far, *("not known" if d is None else d for d in known))


def _short(text: str, width: int) -> str:
    return textwrap.shorten(text, width, placeholder="…") if text else ""


def _shown(value: object) -> str:
    """A table value as the docx shows it: dates as 31/01/2027, numbers as written."""
    if isinstance(value, date):
        return day_text(value)
    return "" if value is None else str(value)
