"""The write path: updates round-trip, refusals change nothing, text stays text, Excel's owner file
holds updates back, officers' edits are never overwritten. Files are read back by openpyxl and calamine."""

from __future__ import annotations

import os
import time
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pytest
import python_calamine

import sli
from shared import journal as j
from shared.domain import schema as s
from shared.owner import find_owner_file, owner_user, write_owner_file
from shared.reader import read_appendix, read_change_log
from shared.usecases import Store, process_pending, submit_update
from shared.xlsx.save import wait_for_pruning


def store_for(workbook: Path, keep: int = 20) -> Store:
    return Store.for_workbook(workbook, keep_backups=keep)


def main_sheet(workbook: Path):
    return openpyxl.load_workbook(workbook)[s.MAIN_SHEET]


def calamine_rows(workbook: Path, sheet: str) -> list[list[object]]:
    return python_calamine.CalamineWorkbook.from_path(str(workbook)).get_sheet_by_name(sheet).to_python()


def row_of(ws, ref: str) -> int:
    for row in ws.iter_rows(min_col=1, max_col=1):
        if row[0].value == ref:
            return row[0].row
    raise AssertionError(ref)


def test_update_round_trips_and_is_logged(workbook: Path) -> None:
    result = submit_update(store_for(workbook), "l07", {s.STATUS: "at risk", s.NEXT_STEPS: "Agree safer sleep audit",
                                                        s.DUE: "31/1/27"}, by="Anita Patel", via=s.VIA_SLACK)
    assert result.state == j.APPLIED, result.message
    ws = main_sheet(workbook)
    r = row_of(ws, "L7")
    assert ws.cell(r, 6).value == "At risk"
    assert ws.cell(r, 8).value == "Agree safer sleep audit"
    assert ws.cell(r, 9).value == datetime(2027, 1, 31)
    assert ws.cell(r, 10).value.date() == datetime.now(UTC).date()
    assert ws.cell(r, 11).value == "Anita Patel"
    log = [row for row in calamine_rows(workbook, s.LOG_SHEET)[1:] if row[1] == "L7"]
    assert {row[2] for row in log} == {s.STATUS, s.NEXT_STEPS, s.DUE}
    assert all(row[5] == "Anita Patel" and row[6] == "Slack" and row[7] == result.update_id for row in log)
    status_row = next(row for row in log if row[2] == s.STATUS)
    assert (status_row[3], status_row[4]) == ("Off track", "At risk")
    assert isinstance(log[0][0], datetime)
    assert store_for(workbook).journal().get(result.update_id).state == j.APPLIED


@pytest.mark.parametrize("changes, expected", [
    ({s.STATUS: "Amber"}, "Did you mean 'At risk'"),
    ({s.NEXT_STEPS: '=HYPERLINK("http://evil.example","click")'}, "formula"),
    ({s.NEXT_STEPS: "Agree audit\x07 with ELHT"}, "control characters"),
    ({s.SUMMARY: "x" * 2001}, "2,000"),
    ({s.DUE: "soon"}, "not a date"),
    ({s.NEXT_STEPS: "Call back about 943 476 5919"}, "NHS number"),
    ({s.STATUS: "Complete", s.SUMMARY: ""}, "say what was done"),
])
def test_refused_update_leaves_file_byte_identical(workbook: Path, changes: dict, expected: str) -> None:
    before = workbook.read_bytes()
    stat = workbook.stat()
    result = submit_update(store_for(workbook), "L7", changes, by="Anita Patel", via=s.VIA_CLI)
    assert result.state == j.REJECTED
    assert expected in result.message
    assert workbook.read_bytes() == before
    assert workbook.stat().st_mtime_ns == stat.st_mtime_ns
    assert store_for(workbook).journal().get(result.update_id).state == j.REJECTED


@pytest.mark.parametrize("text", ["-1+2 agree audit", "+44 1254 000000 call", "@SUM(A1:A3)", " -bullet point"])
def test_formula_like_text_is_stored_as_inert_text(workbook: Path, text: str) -> None:
    result = submit_update(store_for(workbook), "L3", {s.NEXT_STEPS: text}, by="Sana Iqbal", via=s.VIA_CLI)
    assert result.state == j.APPLIED
    assert any(f.rule == "formula_like" for f in result.warnings)
    ws = main_sheet(workbook)
    cell = ws.cell(row_of(ws, "L3"), 8)
    assert cell.value == text.strip() and cell.data_type == "s"
    assert cell.quotePrefix is True  # stays text when an officer edits the cell in Excel
    with zipfile.ZipFile(workbook) as package:
        for name in package.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in package.read(name) and b"<f " not in package.read(name)
    assert read_appendix(workbook).rows["L3"][s.NEXT_STEPS] == text.strip()
    log_new_values = [row[4] for row in calamine_rows(workbook, s.LOG_SHEET)[1:]]
    assert text.strip() in log_new_values


def test_owner_file_holds_update_until_excel_closes(workbook: Path, capsys) -> None:
    owner = write_owner_file(workbook, "Helen Lowey")
    assert find_owner_file(workbook).user == "Helen Lowey"
    before = workbook.read_bytes()
    result = submit_update(store_for(workbook), "L7", {s.STATUS: "On track"}, by="Joanne Whitworth",
                           via=s.VIA_SLACK, reply_to="U07SLI0002")
    assert result.state == j.PENDING
    assert "Helen Lowey" in result.message
    assert workbook.read_bytes() == before

    assert sli.main(["sync", "--workbook", str(workbook)]) == sli.EXIT_PENDING
    assert workbook.read_bytes() == before
    assert sli.main(["pending", "--workbook", str(workbook)]) == 0
    assert "L7" in capsys.readouterr().out

    owner.unlink()
    assert sli.main(["sync", "--workbook", str(workbook)]) == 0
    assert read_appendix(workbook).rows["L7"].status == "On track"
    assert [e.update_id for e in read_change_log(workbook)] == [result.update_id]
    journal = store_for(workbook).journal()
    assert journal.get(result.update_id).state == j.APPLIED
    # The sender is told once that the held update went in.
    assert [e.id for e in journal.to_notify()] == [result.update_id]
    assert journal.mark_notified(result.update_id) and not journal.mark_notified(result.update_id)
    assert journal.to_notify() == []


def test_stale_owner_file_is_reported_and_force_overrides(workbook: Path, capsys) -> None:
    owner = write_owner_file(workbook, "Chris Entwistle")
    old = time.time() - 13 * 3600
    os.utime(owner, (old, old))
    result = submit_update(store_for(workbook), "L7", {s.STATUS: "On track"}, by="Sana Iqbal", via=s.VIA_CLI)
    assert result.state == j.PENDING
    assert "probably left by a crash" in result.message and "--force" in result.message
    assert sli.main(["sync", "--workbook", str(workbook)]) == sli.EXIT_PENDING
    assert sli.main(["sync", "--force", "--workbook", str(workbook)]) == 0
    assert read_appendix(workbook).rows["L7"].status == "On track"


def test_owner_file_name_parsing_prefers_utf16() -> None:
    path_user = "Zoë Ashworth"
    data = bytes([3]) + b"abc".ljust(54, b" ") + len(path_user).to_bytes(2, "little") + path_user.encode("utf-16-le")
    assert owner_user(data) == "Zoë Ashworth"
    assert owner_user(bytes([5]) + b"Helen") == "Helen"


def test_officer_edit_after_sender_saw_it_is_a_conflict(workbook: Path) -> None:
    store = store_for(workbook)
    owner = write_owner_file(workbook, "Sana Iqbal")
    sent = submit_update(store, "L7", {s.STATUS: "At risk", s.NEXT_STEPS: "Escalate to the CCG"},
                         by="Joanne Whitworth", via=s.VIA_SLACK, reply_to="U07SLI0002")
    assert sent.state == j.PENDING
    # Meanwhile the officer, in Excel, sets the status herself (an independent writer: openpyxl).
    wb = openpyxl.load_workbook(workbook)
    ws = wb[s.MAIN_SHEET]
    ws.cell(row_of(ws, "L7"), 6).value = "Complete"
    wb.save(workbook)
    owner.unlink()

    [result] = process_pending(store)
    assert result.state == j.CONFLICT
    [conflict] = result.conflicts
    assert (conflict.column, conflict.current, conflict.proposed) == (s.STATUS, "Complete", "At risk")
    assert "Complete" in result.message and "At risk" in result.message
    row = read_appendix(workbook).rows["L7"]
    assert row.status == "Complete"  # not overwritten
    assert row[s.NEXT_STEPS] != "Escalate to the CCG"  # nothing of the update written
    entry = store.journal().get(sent.update_id)
    assert entry.state == j.CONFLICT and entry.detail["conflicts"][0]["current"] == "Complete"
    assert [e.id for e in store.journal().to_notify()] == [sent.update_id]


def test_seen_values_detect_conflict_without_excel(workbook: Path) -> None:
    result = submit_update(store_for(workbook), "L7", {s.STATUS: "On track"}, by="Joanne Whitworth",
                           via=s.VIA_SLACK, seen={s.STATUS: "At risk"})
    assert result.state == j.CONFLICT
    assert read_appendix(workbook).rows["L7"].status == "Off track"


def test_same_submit_twice_acts_once(workbook: Path) -> None:
    store = store_for(workbook)
    first = submit_update(store, "L4", {s.NEXT_STEPS: "Hold the workshop"}, by="A", via=s.VIA_SLACK,
                          idempotency_key="view-123")
    second = submit_update(store, "L4", {s.NEXT_STEPS: "Hold the workshop"}, by="A", via=s.VIA_SLACK,
                           idempotency_key="view-123")
    assert first.update_id == second.update_id
    assert len([e for e in read_change_log(workbook) if e.ref == "L4"]) == 1


def test_formula_in_target_cell_keeps_update_pending(workbook: Path) -> None:
    wb = openpyxl.load_workbook(workbook)
    ws = wb[s.MAIN_SHEET]
    ws.cell(row_of(ws, "L5"), 8).value = '=CONCAT("Agree ","audit")'
    wb.save(workbook)
    before = workbook.read_bytes()
    result = submit_update(store_for(workbook), "L5", {s.NEXT_STEPS: "Plain words"}, by="A", via=s.VIA_CLI)
    assert result.state == j.PENDING
    assert "formula" in result.message
    assert workbook.read_bytes() == before


def test_backups_roll(workbook: Path) -> None:
    store = store_for(workbook, keep=3)
    for n in range(5):
        assert submit_update(store, "L1", {s.NEXT_STEPS: f"Step {n}"}, by="A", via=s.VIA_CLI).state == j.APPLIED
    wait_for_pruning()  # the oldest go once the save is in place (tests/test_pruning.py)
    backups = sorted(store.backup_dir.glob("*.xlsx"))
    assert len(backups) == 3
    assert read_appendix(backups[-1]).rows["L1"][s.NEXT_STEPS] == "Step 3"


def test_unchanged_value_writes_nothing(workbook: Path) -> None:
    current = read_appendix(workbook).rows["L2"].status
    before = workbook.read_bytes()
    result = submit_update(store_for(workbook), "L2", {s.STATUS: current}, by="A", via=s.VIA_CLI)
    assert result.state == j.APPLIED and "nothing needed changing" in result.message
    assert workbook.read_bytes() == before


def test_cli_update_history_and_exit_codes(workbook: Path, capsys) -> None:
    args = ["--workbook", str(workbook)]
    assert sli.main(["update", "7", "--status", "On track", "--next", "Recruit peer supporters",
                     "--due", "2027-02-28", "--by", "Joanne Whitworth", *args]) == 0
    assert "L7 updated" in capsys.readouterr().out
    assert sli.main(["update", "7", "--status", "Amber", "--by", "Joanne Whitworth", *args]) == sli.EXIT_FINDINGS
    assert "Did you mean 'At risk'" in capsys.readouterr().out
    assert sli.main(["history", "L7", *args]) == 0
    out = capsys.readouterr().out
    assert "'Off track' -> 'On track'" in out and "rejected" in out
    assert sli.main(["update", "L99", "--status", "On track", "--by", "A", *args]) == sli.EXIT_FINDINGS
    assert read_appendix(workbook).rows["L7"].due == date(2027, 2, 28)
