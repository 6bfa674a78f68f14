"""Honest from the first hour (issue 20, points 1 and 3), through the command line.

Point 1: `sli purge` removes from the journal the settled updates past the retention the admin sets
(`SLI_RETENTION_DAYS`, else what the workbook's Change log still keeps), month-end snapshots and post records of
months before it, and never an update still waiting or anything after it; the text it removed is gone from the
journal's files. (Refusals keeping no text is tests/test_refused_text.py's.)

Point 3: the trial copy's illustrative year (`add_sample_history`, made through the real use cases at pinned
times) ends exactly at the committed workbook; `sli history` agrees with the row's own Last updated and By;
`sli summary`, `sli export trend` and the report's Trend sheet give every month the same counts; and with no
record at all, each output says what is not known instead of "none" beside a count that says otherwise. The
workbook is read back with openpyxl, independently of the code.
"""

from __future__ import annotations

import csv
import re
import shutil
import sqlite3
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

import sli
from shared import sample_history as story
from shared.domain import schema as s
from shared.domain.update import UpdateRequest
from shared.owner import write_owner_file
from shared.usecases import Store

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "workbook" / "Appendix1.xlsx"
MONTHS = ["2025-12"] + [f"2026-{m:02d}" for m in range(1, 12)]
COUNTS = re.compile(r"(Not started|On track|At risk|Off track|Complete) (\d+)")


def rows_of(workbook: Path) -> dict[str, dict[str, object]]:
    """Appendix 1 as openpyxl reads it: ref -> {header: value}."""
    ws = openpyxl.load_workbook(workbook)[s.MAIN_SHEET]
    table = list(ws.iter_rows(values_only=True))
    header_at = next(i for i, row in enumerate(table) if row and row[0] == s.REF)
    header = table[header_at]
    return {row[0]: dict(zip(header, row, strict=False)) for row in table[header_at + 1:] if row and row[0]}


def table(sheet, first_header: str) -> list[tuple]:
    """The rows of a report sheet's table, under its header row (the sheet's title and notes above it)."""
    rows = list(sheet.iter_rows(values_only=True))
    start = next(i for i, row in enumerate(rows) if row and row[0] == first_header)
    return [row for row in rows[start + 1:] if row and row[0] is not None]


def month_of(value: object) -> str:
    return value.strftime("%Y-%m") if isinstance(value, (date, datetime)) else str(value)[:7]


def day(value: object) -> date:
    return value.date() if isinstance(value, datetime) else value


def run(capsys: pytest.CaptureFixture, *args: str) -> str:
    assert sli.main(list(args)) == sli.EXIT_OK, capsys.readouterr()
    return capsys.readouterr().out


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the committed workbook with the trial copy's year of history (made once for the module)."""
    from shared import usecases

    copy = tmp_path_factory.mktemp("trial") / "Appendix1.xlsx"
    shutil.copy2(COMMITTED, copy)
    assert usecases.add_sample_history(usecases.context(Store.for_workbook(copy))) > 22
    return copy


# --- point 3: a year of history, and outputs that agree ----------------------------------------------

def test_the_trial_year_ends_exactly_at_the_committed_workbook(year: Path, capsys: pytest.CaptureFixture) -> None:
    assert rows_of(year) == rows_of(COMMITTED)
    out = run(capsys, "history", "L7", "--workbook", str(year))
    lines = out.splitlines()
    # Its moves, then its last update: on the row's own Last updated day, by its own Updated by.
    assert any("Status: 'On track' -> 'At risk'  by Joanne Whitworth" in line for line in lines), out
    assert any("Status: 'At risk' -> 'Off track'  by Joanne Whitworth" in line for line in lines), out
    assert lines[-1].startswith("12/11/2026 ") and lines[-1].endswith("by Joanne Whitworth via Slack"), out
    assert "no change is in the Change log" not in out


def test_summary_export_trend_and_the_report_agree_month_by_month(year: Path, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture) -> None:
    summary = {}
    for month in MONTHS:
        out = run(capsys, "summary", "--month", month, "--dry-run", "--chart", str(tmp_path / f"{month}.png"),
                  "--workbook", str(year))
        head = "\n".join(out.splitlines()[:3])  # the title, the counts, what they are compared with
        summary[month] = {status: int(n) for status, n in COUNTS.findall(head)}
    run(capsys, "export", "trend", "--output", str(tmp_path / "trend.csv"), "--workbook", str(year))
    with open(tmp_path / "trend.csv", encoding="utf-8-sig", newline="") as handle:
        exported = {row["Month"][:7]: row for row in csv.DictReader(handle)}
    run(capsys, "report", "--year", "2026", "--format", "xlsx", "--output", str(tmp_path / "r.xlsx"),
        "--workbook", str(year))
    reported = {month_of(row[0]): row for row in table(openpyxl.load_workbook(tmp_path / "r.xlsx")["Trend"],
                                                         "Month")}
    for month in MONTHS:
        assert exported[month]["Source"] != "no record", month
        assert {st: int(exported[month][st]) for st in s.STATUSES} == summary[month], month
        if month in reported:
            assert dict(zip(s.STATUSES, reported[month][1:6], strict=True)) == summary[month], month
            assert reported[month][6] == exported[month]["Source"], month
    assert set(reported) >= {m for m in MONTHS if m.startswith("2026")}
    # Records began on the tracker's first day: December 2025 ends as the story's starting position, and
    # November 2026 as the committed workbook stands; the months the bot posted are its snapshots.
    assert summary["2025-12"] == {st: Counter(story.START.values())[st] for st in s.STATUSES}
    committed = Counter(row[s.STATUS] for row in rows_of(COMMITTED).values())
    assert summary["2026-11"] == {st: committed[st] for st in s.STATUSES}
    assert [exported[f"{y}-{m:02d}"]["Source"] for y, m in story.POSTED] == ["snapshot"] * len(story.POSTED)
    assert exported["2026-07"]["Source"] == "reconstructed"


def test_the_report_on_the_trial_year_shows_what_it_is_for(year: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture) -> None:
    run(capsys, "report", "--year", "2026", "--format", "xlsx", "--output", str(tmp_path / "r.xlsx"),
        "--workbook", str(year))
    book = openpyxl.load_workbook(tmp_path / "r.xlsx")
    overview = [r[0] for r in book["Overview"].iter_rows(values_only=True) if r[0]]
    rows = rows_of(COMMITTED)
    complete = sorted(ref for ref, row in rows.items() if row[s.STATUS] == s.COMPLETE)
    said = next(line for line in overview if "were completed in 2026" in line)
    assert sorted(re.findall(r"L\d+", said)) == complete and said.startswith(f"{len(complete)} recommendation")
    at_risk = {r[0]: r for r in table(book["At risk"], "Ref")}
    risky = {ref for ref, row in rows.items() if row[s.STATUS] in (s.AT_RISK, s.OFF_TRACK)}
    assert risky <= set(at_risk) and all(at_risk[ref][3] for ref in risky)
    leads = {r[0]: r for r in table(book["By lead"], "Lead organisation")}
    for lead, row in leads.items():
        theirs = [r for r in rows.values() if r[s.LEAD_ORG] == lead]
        assert row[2] >= len(theirs)  # each had its start and its last update this year at least
        assert day(row[3]) == max(day(r[s.LAST_UPDATED]) for r in theirs), lead


# --- point 3: with no record, say so ---------------------------------------------------------------------

def test_sli_history_says_what_the_row_says_when_the_change_log_has_nothing(
        workbook: Path, capsys: pytest.CaptureFixture) -> None:
    out = run(capsys, "history", "L7", "--workbook", str(workbook))
    row = rows_of(workbook)["L7"]
    assert f"last updated {day(row[s.LAST_UPDATED]):%d/%m/%Y} by {row[s.UPDATED_BY]}" in out, out
    assert "No changes recorded" not in out


def test_with_no_record_every_output_says_what_is_not_known(workbook: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture) -> None:
    out = run(capsys, "summary", "--month", "2026-11", "--dry-run", "--chart", str(tmp_path / "c.png"),
              "--workbook", str(workbook))
    head = "\n".join(out.splitlines()[:3])
    assert "counts by status not known: no update has been recorded yet" in head and not COUNTS.search(head)
    assert "Changed this month: not known" in out and "0 change" not in out
    run(capsys, "export", "trend", "--from", "2026-11-01", "--to", "2026-11-30", "--output", str(tmp_path / "t.csv"),
        "--workbook", str(workbook))
    with open(tmp_path / "t.csv", encoding="utf-8-sig", newline="") as handle:
        assert [row["Source"] for row in csv.DictReader(handle)] == ["no record"]

    run(capsys, "report", "--year", "2026", "--format", "xlsx", "--output", str(tmp_path / "r.xlsx"),
        "--workbook", str(workbook))
    book = openpyxl.load_workbook(tmp_path / "r.xlsx")
    overview = " ".join(r[0] for r in book["Overview"].iter_rows(values_only=True) if isinstance(r[0], str))
    assert "No recommendation was marked complete" not in overview
    assert "Which recommendations were completed in 2026 is not known" in overview
    rows = rows_of(workbook)
    at_risk = {r[0]: r for r in table(book["At risk"], "Ref")}
    assert set(at_risk) == {ref for ref, row in rows.items() if row[s.STATUS] in (s.AT_RISK, s.OFF_TRACK)}
    assert all(str(r[3]).startswith("not known") and r[5] == "not known" for r in at_risk.values())
    for lead, *figures in table(book["By lead"], "Lead organisation"):
        assert figures[1] == "not known", lead  # updates in the year: none recorded, not "0"
        assert day(figures[2]) == max(day(r[s.LAST_UPDATED]) for r in rows.values() if r[s.LEAD_ORG] == lead)


# --- point 1: sli purge --------------------------------------------------------------------------------------

def journal_bytes(workbook: Path) -> bytes:
    path = Store.for_workbook(workbook).journal_path
    return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())


def journal_rows(workbook: Path, table: str = "updates") -> list[sqlite3.Row]:
    db = sqlite3.connect(Store.for_workbook(workbook).journal_path)
    db.row_factory = sqlite3.Row
    try:
        return db.execute(f"SELECT * FROM {table}").fetchall()
    finally:
        db.close()


def test_sli_purge_removes_settled_updates_past_the_retention_and_never_a_waiting_one(
        workbook: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    from shared import usecases

    ctx = usecases.context(Store.for_workbook(workbook))
    at = [datetime(2026, 1, day, 10, tzinfo=UTC) for day in range(10, 14)]
    assert usecases.submit_update(ctx.at(at[0]), "L1", {s.NEXT_STEPS: "OLD-APPLIED-TEXT"}, by="Anita Patel",
                                  via=s.VIA_SLACK).state == "applied"
    assert usecases.submit_update(ctx.at(at[1]), "L2", {s.STATUS: "Amber-ish"}, by="Maryam Khan",
                                  via=s.VIA_SLACK).state == "rejected"
    write_owner_file(workbook, "Sana Iqbal")  # Excel has it open: the next update waits
    waiting = usecases.record_request(ctx.at(at[2]), UpdateRequest("L3", {s.NEXT_STEPS: "WAITING-TEXT"}, s.VIA_SLACK,
                                                                   by="Claire Duckworth"))
    assert waiting.state == "pending"
    assert usecases.submit_update(ctx.at(at[3]), "L4", {s.STATUS: "Sort of done"}, by="Ben Holden",
                                  via=s.VIA_SLACK).state == "rejected"  # older than the retention, behind it
    usecases.month_figures(ctx.at(datetime(2026, 2, 2, 9, tzinfo=UTC)), 2026, 1, freeze=True)
    usecases.post_once(ctx, "summary", "2026-01", lambda: {"ts": "1"})
    last_month = (datetime.now(UTC).replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    usecases.post_once(ctx, "summary", last_month, lambda: {"ts": "2"})
    assert b"OLD-APPLIED-TEXT" in journal_bytes(workbook) and len(journal_rows(workbook)) == 4

    monkeypatch.setenv("SLI_RETENTION_DAYS", "30")
    out = run(capsys, "purge", "--dry-run", "--workbook", str(workbook))
    assert "Would remove 2 settled update(s)" in out and "1 month-end snapshot(s)" in out, out
    assert len(journal_rows(workbook)) == 4 and len(journal_rows(workbook, "snapshots")) == 1

    out = run(capsys, "purge", "--workbook", str(workbook))
    assert "Keeping 30 day(s) of history (SLI_RETENTION_DAYS)" in out and "Removed 2 settled update(s)" in out, out
    assert "1 older update(s) kept behind one still waiting or not yet told" in out, out
    assert [(r["ref"], r["state"]) for r in journal_rows(workbook)] == [("L3", "pending"), ("L4", "rejected")]
    assert journal_rows(workbook, "snapshots") == []
    assert [r["key"] for r in journal_rows(workbook, "posts")] == [last_month]
    data = journal_bytes(workbook)
    assert b"OLD-APPLIED-TEXT" not in data and b"Anita Patel" not in data and b"WAITING-TEXT" in data

    # The waiting update is whole: once Excel closes, it is written.
    Store.for_workbook(workbook).workbook.with_name(f"~${workbook.name}").unlink()
    run(capsys, "sync", "--workbook", str(workbook))
    assert rows_of(workbook)["L3"][s.NEXT_STEPS] == "WAITING-TEXT"


def test_sli_purge_by_default_keeps_what_the_change_log_keeps(
        workbook: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    from shared import usecases

    monkeypatch.delenv("SLI_RETENTION_DAYS", raising=False)
    ctx = usecases.context(Store.for_workbook(workbook))
    for when, ref, text in ((datetime(2025, 6, 2, 10, tzinfo=UTC), "L1", "Written in 2025"),
                            (datetime(2026, 3, 2, 10, tzinfo=UTC), "L2", "Written in 2026")):
        assert usecases.submit_update(ctx.at(when), ref, {s.NEXT_STEPS: text}, by="Anita Patel",
                                      via=s.VIA_SLACK).state == "applied"
    assert "Change log 2025" in openpyxl.load_workbook(workbook).sheetnames  # filed by 2026's first update

    out = run(capsys, "purge", "--workbook", str(workbook))
    assert "keeps what the workbook's Change log keeps (from 2025 on)" in out and "Removed 0 settled" in out, out
    assert len(journal_rows(workbook)) == 2

    book = openpyxl.load_workbook(workbook)  # an officer deletes 2025's Change log in Excel
    del book["Change log 2025"]
    book.save(workbook)
    out = run(capsys, "purge", "--workbook", str(workbook))
    assert "(from 2026 on)" in out and "Removed 1 settled update(s) older than 01/01/2026" in out, out
    run(capsys, "export", "changes", "--output", str(tmp_path / "changes.csv"), "--workbook", str(workbook))
    with open(tmp_path / "changes.csv", encoding="utf-8-sig", newline="") as handle:
        assert [row["New value"] for row in csv.DictReader(handle)] == ["Written in 2026"]
    assert b"Written in 2025" not in journal_bytes(workbook)


@pytest.mark.parametrize("value", ["abc", "0", "-5", "1.5"])
def test_a_retention_that_is_not_a_number_of_days_is_one_sentence(
        value: str, workbook: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("SLI_RETENTION_DAYS", value)
    for command in (["purge"], ["status", "7"]):
        assert sli.main([*command, "--workbook", str(workbook)]) == sli.EXIT_USAGE
        err = capsys.readouterr().err
        assert err.startswith("sli: SLI_RETENTION_DAYS is ") and "1 or more" in err and len(err.splitlines()) == 1
    assert not Store.for_workbook(workbook).journal_path.exists()


# --- point 2: one working copy ---------------------------------------------------------------------------

def test_a_change_to_the_committed_workbook_beside_a_trial_copy_says_which_workbook_it_changes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    """Someone trying the README who left out the export: told, not silently writing the committed workbook;
    the default stays the committed workbook (what a real deployment points at). Named, the trial copy is used."""
    trial = tmp_path / "workbook" / "trial" / "Appendix1.xlsx"
    trial.parent.mkdir(parents=True)
    shutil.copy2(COMMITTED, tmp_path / "workbook" / "Appendix1.xlsx")
    shutil.copy2(COMMITTED, trial)
    monkeypatch.chdir(tmp_path)
    for name in ("SLI_WORKBOOK", "SLI_JOURNAL"):
        monkeypatch.delenv(name, raising=False)
    assert sli.main(["update", "L7", "--next", "Step one", "--by", "Helen Lowey"]) == sli.EXIT_OK
    err = capsys.readouterr().err
    assert "this changes workbook/Appendix1.xlsx, not the trial copy workbook/trial/Appendix1.xlsx" in err
    assert "export SLI_WORKBOOK=$PWD/workbook/trial/Appendix1.xlsx" in err
    assert rows_of(tmp_path / "workbook" / "Appendix1.xlsx")["L7"][s.NEXT_STEPS] == "Step one"
    monkeypatch.setenv("SLI_WORKBOOK", str(trial))
    assert sli.main(["update", "L7", "--next", "Step two", "--by", "Helen Lowey"]) == sli.EXIT_OK
    assert capsys.readouterr().err == "" and rows_of(trial)["L7"][s.NEXT_STEPS] == "Step two"
    assert sli.main(["status", "7"]) == sli.EXIT_OK and capsys.readouterr().err == ""  # reading: no note


def test_the_bot_console_beside_a_trial_copy_says_it_works_on_the_committed_workbook(tmp_path: Path) -> None:
    """The console (and the bots and the add-in, which write partner leads' updates) are told the same way as
    `sli update`: an update typed into `sli bot --console` without the export would change the committed workbook."""
    import os
    import subprocess
    import sys

    trial = tmp_path / "workbook" / "trial" / "Appendix1.xlsx"
    trial.parent.mkdir(parents=True)
    shutil.copy2(COMMITTED, tmp_path / "workbook" / "Appendix1.xlsx")
    shutil.copy2(COMMITTED, trial)
    root = Path(sli.__file__).resolve().parent.parent
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLI_", "SLACK_"))}
    env["PYTHONPATH"] = str(root)
    done = subprocess.run([sys.executable, str(root / "sli.py"), "bot", "--console"], cwd=tmp_path, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    assert "this changes workbook/Appendix1.xlsx, not the trial copy workbook/trial/Appendix1.xlsx" in done.stderr
    assert "Traceback" not in done.stderr
