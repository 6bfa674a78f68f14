"""The Change log row has one owner (`LogRow`), and the history has one reader (`shared/journal/`).

Through the command line: the history exported from the journal matches the Change log row for row even
where the journal's text and the log's text used to part ways (a number an officer typed, a due date with a
time), and a damaged journal is one sentence for every history reader (export, summary, report), not a
traceback. And the row itself: by header in any column order, and read back from the journal exactly."""

from __future__ import annotations

import csv
import sqlite3
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

import sli
from shared.domain import schema as s
from shared.domain.logrow import LogRow, log_text
from shared.domain.values import NotADate
from shared.reader import read_change_log
from shared.uow import Store


def _csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def _officer_types(workbook: Path, edits: dict[tuple[str, str], object]) -> None:
    """Values typed into Appendix 1 in Excel (numbers, a date), cell types kept."""
    wb = openpyxl.load_workbook(workbook)
    ws = wb[s.MAIN_SHEET]
    header = {c.value: c.column for c in ws[3]}
    rows = {ws.cell(r, header[s.REF]).value: r for r in range(4, ws.max_row + 1)}
    for (ref, column), value in edits.items():
        ws.cell(rows[ref], header[column]).value = value
    wb.save(workbook)


def test_the_export_matches_the_change_log_where_an_officer_typed_a_number_or_a_time(workbook: Path,
                                                                                     tmp_path: Path) -> None:
    """The journal keeps values as people were shown them (3, not 3.0: Excel stores every number as a
    float), the Change log as its own text: both come from LogRow now, so `sli export changes` (from the
    journal) and the Change log agree, and the log says what the officer typed."""
    _officer_types(workbook, {("L5", s.SUMMARY): 3, ("L6", s.NEXT_STEPS): 2027, ("L8", s.DUE): datetime(2027, 3, 1)})
    for args in (["L5", "--summary", "Three sites live"], ["L6", "--next", "Audit in April"],
                 ["L8", "--due", "2027-04-30", "--status", "At risk"]):
        assert sli.main(["update", *args, "--by", "Ben Ng", "--workbook", str(workbook)]) == sli.EXIT_OK

    log = read_change_log(workbook)
    assert [(e.ref, e.field, e.old_value, e.new_value) for e in log] == [
        ("L5", s.SUMMARY, "3", "Three sites live"),
        ("L6", s.NEXT_STEPS, "2027", "Audit in April"),
        ("L8", s.STATUS, log[2].old_value, s.AT_RISK),
        ("L8", s.DUE, "2027-03-01", "2027-04-30")]
    out = tmp_path / "changes.csv"
    assert sli.main(["export", "changes", "--format", "csv", "--output", str(out), "--workbook", str(workbook)]) == 0
    exported = _csv(out)
    assert exported[0] == list(LogRow.HEADER)
    assert exported[1:] == [[e.when.strftime("%Y-%m-%d %H:%M:%S"), *e.values()[1:]] for e in log]


def _damaged_history(workbook: Path) -> Path:
    """A journal holding 400 applied updates, one of whose table pages is overwritten: it opens, and its
    waiting updates can be looked up by index, but a scan of the history meets the damage."""
    store = Store.for_workbook(workbook)
    store.journal()  # the schema
    rows = []
    for n in range(400):
        at = f"2026-{1 + n % 12:02d}-{1 + n % 28:02d}T10:00:00"
        rows.append((f"u{n:04d}", "L7", '{"Next steps": "x"}', '{"Next steps": "y"}', "Ben Ng", s.VIA_CLI, "applied",
                     f'{{"changes": {{"Next steps": ["marker-{n:04d}", "{"z" * 200}"]}}, "written_at": "{at}"}}',
                     at + "+00:00", at + "+00:00"))
    with sqlite3.connect(store.journal_path) as db:
        db.executemany("INSERT INTO updates (id, ref, changes, seen, by, via, state, detail, created_at, updated_at)"
                       " VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every page in the file itself
    db.close()
    data = bytearray(store.journal_path.read_bytes())
    page = data.index(b"marker-0200") // page_size
    assert page > 1
    data[page * page_size:(page + 1) * page_size] = b"\xff" * page_size
    store.journal_path.write_bytes(bytes(data))
    return store.journal_path


@pytest.mark.parametrize("command", [
    ["export", "changes", "--format", "csv"],
    ["export", "trend", "--format", "csv"],
    ["summary", "--dry-run", "--month", "2026-11"],
    ["report", "--year", "2026", "--format", "xlsx"],
], ids=lambda c: " ".join(c[:2]))
def test_a_damaged_journal_is_one_sentence_for_every_history_reader(workbook: Path, tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str],
                                                                     command: list[str]) -> None:
    """The history is read through the journal's own read-only connection, whose failures are sentences
    (`JournalUnavailable`): `sli` says what happened and what to do, writes nothing, and exits 5."""
    journal = _damaged_history(workbook)
    before = journal.read_bytes()
    out = tmp_path / "out" / "file"
    out.parent.mkdir()
    option = ["--chart", str(out)] if command[0] == "summary" else ["--output", str(out)]
    code = sli.main([*command, *option, "--workbook", str(workbook)])
    err = capsys.readouterr().err
    assert code == sli.EXIT_NOT_RECORDED, err
    assert err.startswith("sli: The history of updates could not be read: ") and "damaged" in err
    assert "Traceback" not in err and err.count("\n") == 1
    assert not list(out.parent.iterdir())
    assert journal.read_bytes() == before  # read-only: the damage is left for an officer to look at


# --- the row itself -------------------------------------------------------------------------------

def test_a_row_goes_to_a_sheet_and_back_by_header_in_any_column_order() -> None:
    row = LogRow(datetime(2027, 1, 31, 9, 5, 7), "L7", s.DUE, "2027-01-31", "2027-02-28", "Zoë O’Brien", "Slack",
                 "abc123")
    header = ("Notes", *reversed(LogRow.HEADER))  # an officer's column first, the log's reversed
    columns = {name: index for index, name in enumerate(header)}
    cells = row.to_sheet_row(columns)
    assert cells[columns["Update ID"]] == "abc123" and cells[columns["When (UTC)"]] == row.when
    sheet_row = [cells.get(index, "an officer's note") for index in range(len(header))]
    assert LogRow.from_sheet_row(columns, sheet_row) == row
    assert LogRow.from_sheet_row(columns, ["a note only"]) is None  # empty in every log column
    midnight = [datetime(2027, 1, 31) if i == columns["When (UTC)"] else v for i, v in enumerate(sheet_row)]
    assert LogRow.from_sheet_row(columns, midnight).when == date(2027, 1, 31)  # a date cell read as 00:00


VALUES = [None, "", "Step 1", "31/12/2026 and after", 3.0, 3.5, 10**17 + 0.0, NotADate()]
DATES = [date(2027, 1, 31), datetime(2027, 1, 31), datetime(2027, 1, 31, 14, 30, 12), date(999, 1, 2)]


@pytest.mark.parametrize(("field", "old"), [(field, v) for field in (s.DUE, s.SUMMARY, s.NEXT_STEPS)
                                            for v in VALUES + DATES])
def test_the_journal_gives_back_the_row_the_update_wrote(field: str, old: object) -> None:
    """What the journal keeps of a row (`journal_record`, values as shown) reads back (`from_journal`) as
    the row the sheet got (`of_change`), for every kind of value a cell may hold."""
    when = datetime(2027, 2, 1, 8, 30, 0)
    new = date(2027, 2, 28) if field == s.DUE else "Agreed"
    written = LogRow.of_change(when, "L7", field, old, new, "Ben Ng", "CLI", "id1")
    record = LogRow.journal_record(when, {field: (old, new)})
    assert record["written_at"] == "2027-02-01T08:30:00"
    assert LogRow.from_journal(record["written_at"], "L7", field, *record["changes"][field], "Ben Ng", "CLI",
                               "id1") == written


def test_log_text_is_what_people_read_with_iso_days() -> None:
    assert [log_text(v, s.DUE) for v in (3.0, 3.5, None, date(2027, 1, 31), datetime(2027, 1, 31),
                                         datetime(2027, 1, 31, 14, 30, 12))] == [
        "3", "3.5", "", "2027-01-31", "2027-01-31", "2027-01-31 14:30"]
    assert log_text(date(2027, 1, 31)) == "2027-01-31" and log_text(date(2027, 1, 31), s.SUMMARY) == "31/01/2027"
