"""Progress over time, as pandas DataFrames: the update history from the journal, statuses replayed to any
moment, the month-by-status trend, time spent At risk or Off track, and the view by lead organisation.

Why the journal and not the Change log: every applied update in the journal keeps the Change log rows it
wrote, so the journal *is* the Change log's history, indexed and queryable by period. Parsing the Change log
sheet costs seconds at 100,000 rows and grows with history; a query of the journal for one period does not.
(A change typed straight into the workbook in Excel is in neither, so no replay can see it.)

Why replay backwards: the workbook's Appendix 1 is the truth for "now". A recommendation's status at an
earlier moment is the *old* value of its first status change after that moment, or its status now when it
has not changed since. That needs only the changes after the moment, never the whole history, and is
exact as long as the records reach back that far: moments before the journal's first record are "no record".

The journal's queries and what it keeps of each update are `shared/journal/`'s (read-only, `mode=ro`); the
Change log row is `LogRow`'s. This module only turns what they give into frames.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime

import pandas as pd

from shared.builder import STATUS_FILLS
from shared.domain import schema as s
from shared.domain.logrow import LogRow
from shared.domain.model import Appendix
from shared.domain.rules import is_overdue
from shared.uow import Store

RISK = (s.AT_RISK, s.OFF_TRACK)
SNAPSHOT, RECONSTRUCTED, NOW, NO_RECORD = "snapshot", "reconstructed", "now", "no record"
#: Better or worse, for the start-to-end arrow: Not started and Off track both mean "not moving".
RANK = {s.NOT_STARTED: 1, s.OFF_TRACK: 1, s.AT_RISK: 2, s.ON_TRACK: 3, s.COMPLETE: 4}


# --- reading the journal ----------------------------------------------------------------------

def utc_naive(moment: datetime | date) -> datetime:
    """The journal's and the Change log's clock: UTC, without a zone (the log keeps seconds; `now` keeps its
    microseconds, so a change written this second is before it)."""
    if not isinstance(moment, datetime):
        return datetime(moment.year, moment.month, moment.day)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _naive(moment: datetime | date | None) -> datetime | None:
    return utc_naive(moment) if moment is not None else None


def _at(frame: pd.DataFrame, column: str = "at") -> pd.DataFrame:
    """The time column as datetimes (to the microsecond, like `now`), so moments compare in pandas."""
    frame[column] = pd.to_datetime(frame[column], format="ISO8601").astype("datetime64[us]")
    return frame


def logged_changes(store: Store, start: datetime | date | None = None,
                   end: datetime | date | None = None) -> list[LogRow]:
    """Every Change log row written in [start, end), oldest first, as the Change log holds it (from the
    journal: due dates as the log writes them, 2027-01-31, not as messages show them)."""
    return store.journal().field_changes(_naive(start), _naive(end))


def field_changes(store: Store, start: datetime | date | None = None,
                  end: datetime | date | None = None) -> pd.DataFrame:
    """`logged_changes` as a frame: one column per `LogRow` field, by its name (`when` as datetimes)."""
    rows = store.journal().field_change_values(_naive(start), _naive(end))
    return _at(pd.DataFrame.from_records(rows, columns=list(LogRow.names())), "when")


def status_changes(store: Store, since: datetime | date | None = None) -> pd.DataFrame:
    """Status changes written at or after `since`: at, ref, old, new, seq."""
    rows = store.journal().status_changes(_naive(since))
    return _at(pd.DataFrame.from_records(rows, columns=["at", "ref", "old", "new", "seq"]))


def first_record(store: Store) -> datetime | None:
    """When the journal's history begins: the first update's time (None for an empty journal)."""
    first = store.journal().first_record()
    return utc_naive(datetime.fromisoformat(first)) if first else None


def snapshot_counts(store: Store) -> dict[str, dict[str, int]]:
    """The status counts of every month frozen in the journal, as they were posted."""
    return {month: json.loads(figures)["counts"] for month, figures in store.journal().snapshots()}


# --- the workbook now -------------------------------------------------------------------------

def ref_number(refs: pd.Series | pd.Index) -> pd.Series:
    """L7 -> 7: recommendations sort by number, not as text (L10 after L9, not after L1)."""
    return pd.Series(refs, dtype=str).str[1:].astype(int)


def appendix_frame(appendix: Appendix) -> pd.DataFrame:
    """Appendix 1 as it stands, one row per recommendation indexed by ref (L1, L2, ... in order), every
    column by its header name, plus `status` and `lead` as the code reads them."""
    rows = sorted(appendix.rows.values(), key=lambda r: int(r.ref[1:]))
    frame = pd.DataFrame([{c: r[c] for c in s.MAIN_COLUMNS} for r in rows], columns=list(s.MAIN_COLUMNS),
                         dtype=object)  # cell values as read: None stays None, dates stay dates
    frame["status"] = [r.status for r in rows]
    frame["lead"] = [r.lead_org or "(none)" for r in rows]
    frame["due"] = [r.due for r in rows]
    return frame.set_index(pd.Index([r.ref for r in rows], name="ref"))


def count_statuses(statuses: pd.Series) -> dict[str, int]:
    """Counts of the five statuses (each present, zero or not), as the figures and snapshots keep them."""
    counts = statuses.value_counts().reindex(list(s.STATUSES), fill_value=0)
    return {status: int(n) for status, n in counts.items()}


# --- replaying statuses -----------------------------------------------------------------------

def statuses_at(current: pd.Series, changes: pd.DataFrame, moments: Sequence[datetime]) -> pd.DataFrame:
    """Each recommendation's status at each moment (columns), from its status now (`current`, indexed by ref)
    and the status changes after the earliest moment: the old value of the first change at or after the
    moment, else the status now. One `merge_asof` for every (ref, moment) pair."""
    moments = [utc_naive(m) for m in moments]
    grid = pd.MultiIndex.from_product([current.index, moments], names=["ref", "moment"]).to_frame(index=False)
    grid = grid.astype({"ref": "str", "moment": "datetime64[us]"})
    later = (changes.loc[changes["ref"].isin(current.index), ["at", "ref", "old"]]
             .astype({"at": "datetime64[us]", "ref": "str", "old": object})
             .sort_values(["at"], kind="stable").drop_duplicates(["ref", "at"], keep="first"))
    merged = pd.merge_asof(grid.sort_values("moment", kind="stable"), later, left_on="moment", right_on="at",
                           by="ref", direction="forward", allow_exact_matches=True)
    merged["status"] = merged["old"].where(merged["at"].notna(), merged["ref"].map(current))
    table = merged.pivot(index="ref", columns="moment", values="status")
    return table.reindex(index=current.index, columns=pd.Index(moments, dtype="datetime64[us]"))


def month_start(year: int, month: int) -> datetime:
    return datetime(year, month, 1)


def month_end(year: int, month: int) -> datetime:
    """The first instant after the month (UTC): the moment a month's figures describe."""
    return datetime(year + 1, 1, 1) if month == 12 else datetime(year, month + 1, 1)


def key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def months_back(year: int, month: int, count: int) -> list[tuple[int, int]]:
    """The `count` months ending with (year, month), oldest first."""
    index = year * 12 + month - 1
    return [(i // 12, i % 12 + 1) for i in range(index - count + 1, index + 1)]


def since(changes: pd.DataFrame | None, store: Store, moment: datetime | date | None) -> pd.DataFrame:
    """Status changes at or after `moment`: from `changes` already read (a report reads them once), else
    from the journal."""
    if changes is None:
        return status_changes(store, moment)
    return changes[changes["at"] >= pd.Timestamp(utc_naive(moment))] if moment is not None else changes


def month_trend(store: Store, appendix: Appendix, months: Sequence[tuple[int, int]],
                now: datetime, changes: pd.DataFrame | None = None, use_snapshots: bool = True) -> pd.DataFrame:
    """Status counts per month (index `2026-11`, one column per status, and `source`).

    A month frozen in the journal keeps its snapshot's counts, exactly as posted; the month in progress
    is the workbook now; a month gone by without a snapshot is reconstructed by replaying status changes
    back from now, unless it ended before the journal's first record (then "no record", counts empty).
    `use_snapshots=False` reconstructs those months too: a board's paper counts only its own recommendations,
    and a snapshot holds the whole partnership's counts (pass `appendix` and `changes` limited to its rows)."""
    now = utc_naive(now)
    current = appendix_frame(appendix)["status"]
    snapshots = snapshot_counts(store) if use_snapshots else {}
    first = first_record(store)
    past = [(y, m) for y, m in months if key(y, m) not in snapshots and month_end(y, m) <= now
            and first is not None and month_end(y, m) >= first]
    replayed = pd.DataFrame(index=current.index)
    if past:
        ends = [month_end(y, m) for y, m in past]
        replayed = statuses_at(current, since(changes, store, min(ends)), ends)
    rows = []
    for y, m in months:
        month, end = key(y, m), month_end(y, m)
        if month in snapshots:
            counts, source = snapshots[month], SNAPSHOT
        elif end > now:
            counts, source = count_statuses(current), NOW
        elif (y, m) in past:
            counts, source = count_statuses(replayed[pd.Timestamp(end)]), RECONSTRUCTED
        else:
            counts, source = {}, NO_RECORD
        rows.append({"month": month, **{st: counts.get(st) for st in s.STATUSES}, "source": source})
    frame = pd.DataFrame(rows, columns=["month", *s.STATUSES, "source"]).set_index("month")
    frame[list(s.STATUSES)] = frame[list(s.STATUSES)].astype("Int64")
    return frame


# --- the year ---------------------------------------------------------------------------------

def year_window(year: int, now: datetime) -> tuple[datetime, datetime]:
    """[1 January, the earlier of 1 January next and now): the part of the year that has happened."""
    return datetime(year, 1, 1), min(datetime(year + 1, 1, 1), utc_naive(now))


def year_moves(store: Store, appendix: Appendix, year: int, now: datetime,
               changes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each recommendation's status at the start of the year and at its end (or now), with a direction:
    ↑ better, ↓ worse, = unchanged (by RANK). `start` is empty before the journal's first record."""
    start, end = year_window(year, now)
    frame = appendix_frame(appendix)
    table = statuses_at(frame["status"], since(changes, store, start), [start, end])
    first = first_record(store)
    out = pd.DataFrame({"recommendation": frame[s.RECOMMENDATION].fillna("").astype(str),
                        "lead": frame["lead"], "start": table.iloc[:, 0], "end": table.iloc[:, 1]})
    if first is None or first > start:
        out["start"] = ""  # before records began: unknown, not the status now
    rank_start, rank_end = out["start"].map(RANK), out["end"].map(RANK)
    out["move"] = "="
    out.loc[rank_end > rank_start, "move"] = "↑"
    out.loc[rank_end < rank_start, "move"] = "↓"
    out.loc[rank_start.isna() | rank_end.isna(), "move"] = ""
    return out


def time_at_risk(store: Store, appendix: Appendix, year: int, now: datetime,
                 changes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per recommendation At risk or Off track now, or at any time in the year as far as the records show
    (at the moment they began included: a status changed by the very first record was still that status
    then): days At risk and days Off track within the year (from when records began, if later; NaN when no
    record reaches into the year), its status now, and since when its current spell At risk / Off track has
    lasted (`since_known` False: it was already so when records began; NaT when nothing is recorded); for one
    not At risk or Off track now, the status it left them from (`left_from`) and when (`left_at`)."""
    start, end = year_window(year, now)
    first = first_record(store)
    frame = appendix_frame(appendix)
    now_status = frame["status"]
    if first is None or max(start, first) >= end:  # no record in the year: only what the workbook says now
        out = pd.DataFrame({"status": now_status[now_status.isin(RISK)]})
        out[s.AT_RISK] = out[s.OFF_TRACK] = float("nan")
        out["since_known"] = False
        out["spell_since"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[us]")
        if first is not None:  # records begin after the year: at risk now, and so since before they began
            out["spell_since"] = pd.Timestamp(first)
        out["left_from"], out["left_at"] = None, pd.Series(pd.NaT, index=out.index, dtype="datetime64[us]")
        return out[["status", s.AT_RISK, s.OFF_TRACK, "since_known", "spell_since", "left_from", "left_at"]]
    changes = since(changes, store, None)  # all of them: a spell may have begun years ago
    begin = max(start, first)
    in_year = changes[(changes["at"] >= begin) & (changes["at"] < end)]
    initial = statuses_at(frame["status"], changes, [begin]).iloc[:, 0]
    segments = pd.concat([pd.DataFrame({"ref": initial.index, "at": pd.Timestamp(begin), "status": initial.values}),
                          in_year[["ref", "at", "new"]].rename(columns={"new": "status"})], ignore_index=True)
    segments["at"] = segments["at"].astype("datetime64[us]")
    segments = segments.sort_values(["ref", "at"], kind="stable")
    segments["until"] = segments.groupby("ref")["at"].shift(-1).fillna(pd.Timestamp(end))
    segments["days"] = (segments["until"] - segments["at"]).dt.total_seconds() / 86400
    days = (segments[segments["status"].isin(RISK)]
            .pivot_table(index="ref", columns="status", values="days", aggfunc="sum", fill_value=0.0)
            .reindex(columns=list(RISK), fill_value=0.0))
    # The current spell: the last change into At risk / Off track from outside them.
    entered = changes[changes["new"].isin(RISK) & ~changes["old"].isin(RISK)].groupby("ref")["at"].max()
    listed = now_status.index[now_status.isin(RISK)].union(initial.index[initial.isin(RISK)])
    refs = days.index.union(listed)
    out = days.reindex(refs, fill_value=0.0)
    out = out[(out.sum(axis=1) > 0) | out.index.isin(listed)]
    refs = out.index
    out.insert(0, "status", now_status.reindex(refs))
    at_risk_now = out["status"].isin(RISK)
    entered_at = entered.reindex(refs)
    out["since_known"] = entered_at.notna() & at_risk_now
    out["spell_since"] = entered_at.where(at_risk_now).fillna(pd.Timestamp(first)).where(at_risk_now)
    left = (in_year[in_year["old"].isin(RISK) & ~in_year["new"].isin(RISK)].drop_duplicates("ref", keep="last")
            .set_index("ref").reindex(refs))
    out["left_from"] = left["old"].where(~at_risk_now)
    out["left_at"] = left["at"].where(~at_risk_now)
    out = out.iloc[ref_number(out.index).sort_values().index]
    return out


def by_lead(store: Store, appendix: Appendix, year: int, now: datetime, overdue_as_of: date,
            stale_days: int = 60) -> pd.DataFrame:
    """One row per lead organisation: recommendations, updates written in the year and the last one, how
    many are At risk or Off track now, overdue next steps, and not updated for `stale_days`; the most
    behind first."""
    start, end = year_window(year, now)
    frame = appendix_frame(appendix)
    updates = pd.DataFrame.from_records(store.journal().updates_by_ref(start, end),
                                        columns=["ref", "updates", "last_at"])
    updates = updates.set_index("ref").reindex(frame.index)
    frame["updates"] = updates["updates"].fillna(0).astype(int)
    # The last update: the journal's, or the row's own Last updated when later (a change made in Excel, or
    # before records began), within the period: never "none" beside a row that says when it was updated.
    written = pd.to_datetime(frame[s.LAST_UPDATED].where(frame[s.LAST_UPDATED].map(
        lambda v: isinstance(v, date))), errors="coerce")
    written = written.where(written < pd.Timestamp(end))
    frame["last_at"] = pd.concat([pd.to_datetime(updates["last_at"], format="ISO8601"), written], axis=1).max(axis=1)
    frame["at_risk"] = frame["status"].isin(RISK)
    frame["overdue"] = [is_overdue(due, status, overdue_as_of) for due, status in zip(frame["due"], frame["status"],
                                                                                       strict=True)]
    updated = pd.to_datetime(frame[s.LAST_UPDATED].where(frame[s.LAST_UPDATED].map(
        lambda v: isinstance(v, date))), errors="coerce")
    frame["stale"] = (frame["status"] != s.COMPLETE) & (
        updated.isna() | ((pd.Timestamp(overdue_as_of) - updated).dt.days >= stale_days))
    table = frame.groupby("lead").agg(recommendations=("status", "size"), updates=("updates", "sum"),
                                      last_update=("last_at", "max"), at_risk=("at_risk", "sum"),
                                      overdue=("overdue", "sum"), stale=("stale", "sum"))
    table = table.sort_values(["overdue", "at_risk", "stale", "updates"], ascending=[False, False, False, True])
    return table


# --- the chart --------------------------------------------------------------------------------

_EDGE = "#595959"


def trend_chart(trend: pd.DataFrame, title: str, width_in: float = 6.0, aspect: float = 0.95) -> bytes:
    """A PNG: stacked bars of status counts per month in the workbook's status colours, each segment's
    count written in it, month labels (with the year under January and the first month), a legend, and
    reconstructed months marked `*` and hatched. The default size stays readable at Slack's ~360 px
    preview; the report asks for a wider, flatter one (`aspect` = height / width) to leave room on the page."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    labels = []
    for month, source in zip(trend.index, trend["source"], strict=True):
        when = datetime.strptime(month, "%Y-%m")
        label = when.strftime("%b") + ("*" if source == RECONSTRUCTED else "")
        labels.append(label + (f"\n{when.year}" if when.month == 1 else ""))  # the title says the span
    fig, ax = plt.subplots(figsize=(width_in, width_in * aspect), dpi=100)
    positions = list(range(len(trend)))
    bottom = pd.Series(0, index=trend.index, dtype=float)
    total = trend[list(s.STATUSES)].fillna(0).sum(axis=1).max() or 1
    for status in s.STATUSES:
        values = trend[status].fillna(0).astype(float)
        bars = ax.bar(positions, values, bottom=bottom, color=f"#{STATUS_FILLS[status]}", edgecolor=_EDGE,
                      linewidth=0.6, label=status, width=0.8)
        for bar, source in zip(bars, trend["source"], strict=True):
            if source == RECONSTRUCTED:
                bar.set_hatch("///")
        for x, value, base in zip(positions, values, bottom, strict=True):
            if value >= 1:
                ax.text(x, base + value / 2, f"{int(value)}", ha="center", va="center",
                        fontsize=11 if value >= total / 22 * 1.5 else 9, color="#1a1a1a")
        bottom = bottom + values
    for x, source in zip(positions, trend["source"], strict=True):
        if source == NO_RECORD:
            ax.text(x, total / 2, "no record", rotation=90, ha="center", va="center", fontsize=9, color="#7f7f7f")
    ax.set_xticks(positions, labels, fontsize=11)
    ax.set_ylim(0, total * 1.02)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("recommendations", fontsize=11)
    ax.tick_params(axis="y", labelsize=10)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.suptitle(title, fontsize=14, fontweight="bold", x=0.02, ha="left")
    note = "* reconstructed from the Change log (no snapshot that month)" \
        if (trend["source"] == RECONSTRUCTED).any() else None
    keys = [Patch(facecolor=f"#{STATUS_FILLS[st]}", edgecolor=_EDGE, linewidth=0.6, label=st) for st in s.STATUSES]
    fig.legend(handles=keys, loc="lower center", bbox_to_anchor=(0.5, 0.045 if note else 0.0),
               ncol=3 if aspect > 0.8 else 5, frameon=False, fontsize=11, handlelength=1.2, columnspacing=1.0)
    if note:
        fig.text(0.5, 0.012, note, ha="center", fontsize=9, color="#595959")
    legend_rows = 2 if aspect > 0.8 else 1
    fig.tight_layout(rect=(0, (0.04 if note else 0) + 0.055 * legend_rows * 0.95 / aspect, 1, 1))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()
