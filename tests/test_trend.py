"""Progress over time: months replayed from the history agree with a hand count; snapshots win and stay as
posted; time At risk / Off track, the start-to-end moves and the view by lead organisation; the report
and the monthly post show them.

The history is put into a real journal (its own schema, made by `Store.journal()`) with SQL, as it would
be after a year of updates (a year made through the write path, at pinned times, is tests/test_first_hour.py's).
The workbook's current statuses are read with openpyxl, independently of the code."""

from __future__ import annotations

import io
import json
import sqlite3
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import docx
import openpyxl
import pytest
from PIL import Image

from bot.blocks import summary_message
from shared import summary as sm
from shared import trend as tr
from shared.domain import schema as s
from shared.reader import read_appendix
from shared.report import report_content, write_docx
from shared.uow import Store

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
#: (UTC time written, ref, {column: [old, new]}, by): consistent with the committed workbook's statuses now.
HISTORY = [
    ("2025-11-20T10:00:00", "L1", {s.NEXT_STEPS: ["Plan audit", "Audit CO testing"]}, "Anita Patel"),
    ("2026-02-01T00:00:00", "L3", {s.STATUS: [s.NOT_STARTED, s.COMPLETE], s.SUMMARY: ["", "Done"]}, "Lee Cole"),
    ("2026-03-10T09:00:00", "L7", {s.STATUS: [s.ON_TRACK, s.AT_RISK]}, "Maryam Khan"),
    ("2026-06-15T12:00:00", "L7", {s.STATUS: [s.AT_RISK, s.OFF_TRACK]}, "Maryam Khan"),
]


def add_history(store: Store, history=HISTORY) -> None:
    store.journal()  # the journal's own schema
    with sqlite3.connect(store.journal_path) as db:
        for n, (when, ref, changes, by) in enumerate(history):
            db.execute("INSERT INTO updates (id, ref, changes, seen, by, via, state, detail, created_at, updated_at)"
                       " VALUES (?,?,?,?,?,?,?,?,?,?)",
                       (f"history{n}", ref, json.dumps({c: v[1] for c, v in changes.items()}),
                        json.dumps({c: v[0] for c, v in changes.items()}), by, s.VIA_SLACK, "applied",
                        json.dumps({"changes": changes, "written_at": when}), when + "+00:00", when + "+00:00"))


def statuses_now(workbook: Path) -> dict[str, str]:
    ws = openpyxl.load_workbook(workbook)[s.MAIN_SHEET]
    return {row[0]: row[5] for row in ws.iter_rows(min_row=4, values_only=True) if row[0]}


def counts(statuses: dict[str, str], **moved: str) -> dict[str, int]:
    tally = Counter({**statuses, **moved}.values())
    return {st: tally.get(st, 0) for st in s.STATUSES}


@pytest.fixture
def store(workbook: Path) -> Store:
    store = Store.for_workbook(workbook)
    add_history(store)
    return store


def test_months_are_replayed_from_the_history(store: Store) -> None:
    now = statuses_now(store.workbook)
    assert (now["L3"], now["L7"]) == (s.COMPLETE, s.OFF_TRACK)
    trend = tr.month_trend(store, read_appendix(store.workbook), tr.months_back(2026, 11, 14), NOW)
    assert list(trend.index) == ["2025-10", "2025-11", "2025-12"] + [f"2026-{m:02d}" for m in range(1, 12)]
    assert trend.loc["2025-10", "source"] == tr.NO_RECORD  # ended before the journal's first record
    assert trend.loc["2025-10", list(s.STATUSES)].isna().all()
    expected = {
        "2025-11": counts(now, L3=s.NOT_STARTED, L7=s.ON_TRACK),
        "2026-01": counts(now, L3=s.NOT_STARTED, L7=s.ON_TRACK),  # L3 moved at 00:00 on 1 February
        "2026-02": counts(now, L7=s.ON_TRACK),
        "2026-03": counts(now, L7=s.AT_RISK),
        "2026-05": counts(now, L7=s.AT_RISK),
        "2026-06": counts(now),
        "2026-10": counts(now),
    }
    for month, want in expected.items():
        assert trend.loc[month, "source"] == tr.RECONSTRUCTED
        assert {st: int(trend.loc[month, st]) for st in s.STATUSES} == want, month
    assert trend.loc["2026-11", "source"] == tr.NOW
    assert {st: int(trend.loc["2026-11", st]) for st in s.STATUSES} == counts(now)


def test_a_snapshot_wins_and_is_reproduced_exactly(store: Store) -> None:
    april = sm.compute_figures(store, 2026, 4, now=datetime(2026, 5, 1, 8, tzinfo=UTC))
    april.counts = {st: 10 + i for i, st in enumerate(s.STATUSES)}  # what was posted, whatever replay says now
    store.journal().save_snapshot("2026-04", april.to_json())
    trend = tr.month_trend(store, read_appendix(store.workbook), tr.months_back(2026, 5, 2), NOW)
    assert trend.loc["2026-04", "source"] == tr.SNAPSHOT
    assert {st: int(trend.loc["2026-04", st]) for st in s.STATUSES} == april.counts

    may = sm.compute_figures(store, 2026, 5, now=NOW)
    assert may.previous_counts == april.counts and not may.previous_reconstructed
    assert may.history["2026-04"] == april.counts and "2026-04" not in may.reconstructed
    assert "2026-03" in may.reconstructed
    # Frozen in June (the month after), then reproduced later: identical, every field.
    frozen = sm.month_figures(store, 2026, 5, now=datetime(2026, 6, 2, 9, tzinfo=UTC), freeze=True)
    assert sm.month_figures(store, 2026, 5, now=NOW).to_json() == frozen.to_json()
    assert sm.MonthFigures.from_json(store.journal().snapshot("2026-05")) == frozen


def test_a_past_month_is_counted_as_at_its_end(store: Store) -> None:
    now = statuses_now(store.workbook)
    may = sm.compute_figures(store, 2026, 5, now=NOW)
    assert may.counts == counts(now, L7=s.AT_RISK)
    assert may.set_aside == 1  # L7's June change, made after May ended
    assert may.previous_reconstructed and may.previous_counts == counts(now, L7=s.AT_RISK)
    assert sum(sum(v.values()) for v in may.by_lead.values()) == 22
    text = summary_message(may)["text"]
    blocks = json.dumps(summary_message(may)["blocks"], ensure_ascii=False)
    assert "May 2026" in text and "reconstructed from the Change log" in blocks and "set aside" in blocks
    assert "last month's counts reconstructed" in text and "1 later status change set aside" in text
    march = sm.compute_figures(store, 2026, 3, now=NOW)
    assert [(c.ref, c.field, c.old, c.new) for c in march.changes] == [("L7", s.STATUS, s.ON_TRACK, s.AT_RISK)]
    assert march.changes[0].when == "10/03/2026 09:00"


def test_time_at_risk_moves_and_leads(store: Store) -> None:
    appendix = read_appendix(store.workbook)
    now = statuses_now(store.workbook)
    risk = tr.time_at_risk(store, appendix, 2026, NOW)
    l7 = risk.loc["L7"]
    assert l7[s.AT_RISK] == pytest.approx((datetime(2026, 6, 15, 12) - datetime(2026, 3, 10, 9)).days + 0.125)
    assert l7[s.OFF_TRACK] == pytest.approx((NOW.replace(tzinfo=None) - datetime(2026, 6, 15, 12)).days)  # noon
    assert l7["since_known"] and l7["spell_since"] == datetime(2026, 3, 10, 9)  # At risk, then Off track
    steady = [ref for ref, st in now.items() if st in tr.RISK and ref != "L7"]
    assert set(risk.index) == {"L7", *steady}
    for ref in steady:  # At risk all year long, since before records began
        assert not risk.loc[ref, "since_known"]
        year_so_far = (NOW - datetime(2026, 1, 1, tzinfo=UTC)).total_seconds() / 86400
        assert risk.loc[ref, [s.AT_RISK, s.OFF_TRACK]].sum() == pytest.approx(year_so_far)

    moves = tr.year_moves(store, appendix, 2026, NOW)
    assert tuple(moves.loc["L7", ["start", "end", "move"]]) == (s.ON_TRACK, s.OFF_TRACK, "↓")
    assert tuple(moves.loc["L3", ["start", "end", "move"]]) == (s.NOT_STARTED, s.COMPLETE, "↑")
    assert set(moves.drop(["L3", "L7"])["move"]) == {"="}

    leads = tr.by_lead(store, appendix, 2026, NOW, NOW.date())
    ws = openpyxl.load_workbook(store.workbook)[s.MAIN_SHEET]
    lead_of = {row[0]: row[3] for row in ws.iter_rows(min_row=4, values_only=True) if row[0]}
    assert leads.loc[lead_of["L7"], "updates"] == 2 and leads.loc[lead_of["L3"], "updates"] == 1
    assert leads.loc[lead_of["L1"], "updates"] == 0  # its update was in 2025
    assert int(leads["recommendations"].sum()) == 22
    assert int(leads["at_risk"].sum()) == sum(st in tr.RISK for st in now.values())
    overdue = [ref for ref, row in zip(lead_of, ws.iter_rows(min_row=4, values_only=True), strict=False)
               if row[8] and row[8].date() < NOW.date() and row[5] != s.COMPLETE]
    assert int(leads["overdue"].sum()) == len(overdue)
    first = leads.iloc[0]
    assert first["overdue"] == leads["overdue"].max()  # the most behind first


def test_report_answers_how_the_position_moved(store: Store, tmp_path: Path) -> None:
    content = report_content(store, 2026, now=NOW)
    assert "Since 1 January 2026: 1 moved to a better status, 1 to a worse one, 20 stayed where they were." \
        in content.sentences
    document = docx.Document(str(write_docx(content, tmp_path / "r.docx")))
    tables = {t.rows[0].cells[0].text + "|" + t.rows[0].cells[-1].text: t for t in document.tables}
    moves = tables["Ref|End of year"]
    row = next(r for r in moves.rows if r.cells[0].text == "L7")
    assert [c.text for c in row.cells][3:] == [s.ON_TRACK, "↓ worse", s.OFF_TRACK]
    by_lead = tables["Lead organisation|Not updated for 60 days"]
    ws = openpyxl.load_workbook(store.workbook)[s.MAIN_SHEET]
    organisations = {r[3] for r in ws.iter_rows(min_row=4, values_only=True) if r[0]}
    assert sorted(r.cells[0].text for r in by_lead.rows[1:]) == sorted(organisations)
    risk = tables["Ref|Days Off track in 2026"]
    l7 = next(r for r in risk.rows if r.cells[0].text == "L7")
    assert [c.text for c in l7.cells][2:5] == [s.OFF_TRACK, "10/03/2026", "255"]  # to NOW, 20/11/2026 12:00
    assert len(document.inline_shapes) == 1
    assert Image.open(io.BytesIO(content.chart_png)).width >= 600
    november = sm.compute_figures(store, 2026, 11, now=NOW)
    trend = sm.figures_trend(november)  # the last twelve months, all on record (they began 20/11/2025)
    assert list(trend.index) == ["2025-12"] + [f"2026-{m:02d}" for m in range(1, 12)]
    assert list(trend["source"]) == [tr.RECONSTRUCTED] * 11 + [tr.NOW]  # November: the figures themselves
    chart = Image.open(io.BytesIO(sm.trend_chart(november)))
    assert chart.width == 600 and chart.height > 400  # fonts sized to be read at Slack's ~360 px preview
