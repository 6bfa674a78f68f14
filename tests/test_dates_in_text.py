"""A text field whose cell is not text: Excel turns an officer's typed `12/3` in Next steps into a date, `14:30`
into a time, `3` into a number. What the sender saw of such a cell goes through the journal (as JSON) before it
is compared with the file; it must come back as the same value, or every update to that field is a false
conflict (or, for a time, no update can be recorded at all). An officer's real edit of the cell after the
sender's view must still be a conflict. Through the command line, the Slack bot over HTTP and the Teams bot."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path

import openpyxl
import pytest
from test_bot import L7_LEAD, Harness, _harness, _open_modal, _submission
from test_teams import OFFICER as TEAMS_OFFICER
from test_teams import Harness as TeamsHarness
from test_teams import card_of

import sli
from shared import journal as j
from shared.domain import schema as s
from shared.domain.values import cell_text
from shared.owner import write_owner_file
from shared.reader import read_appendix, read_change_log
from shared.usecases import Store


def officer_sets(workbook: Path, ref: str, column: str, value: object, number_format: str | None = None) -> None:
    """A cell saved by a spreadsheet program (openpyxl stands in for Excel): no journal, no Change log row."""
    wb = openpyxl.load_workbook(workbook)
    ws = wb[s.MAIN_SHEET]
    header = next(r for r in ws.iter_rows(max_row=s.HEADER_SEARCH_ROWS) if any(c.value == column for c in r))
    col = next(c.column for c in header if c.value == column)
    row = next(r[0].row for r in ws.iter_rows(min_col=1, max_col=1) if r[0].value == ref)
    cell = ws.cell(row, col)
    cell.value = value
    if number_format:
        cell.number_format = number_format
    wb.save(workbook)


def update(workbook: Path, *args: str) -> int:
    return sli.main(["--workbook", str(workbook), "update", *args, "--by", "Helen Lowey"])


#: Cells Excel makes of what officers type in a text column, and what the readers give back for them.
NOT_TEXT = [
    pytest.param(s.NEXT_STEPS, datetime(2026, 3, 12), None, date, id="date-in-next-steps"),
    pytest.param(s.SUMMARY, datetime(2026, 3, 12), None, date, id="date-in-summary"),
    pytest.param(s.NEXT_STEPS, datetime(2026, 3, 12, 14, 30, 15), None, datetime, id="date-time"),
    pytest.param(s.NEXT_STEPS, time(14, 30), "hh:mm", time, id="time"),
    pytest.param(s.NEXT_STEPS, timedelta(hours=30), "[h]:mm", timedelta, id="duration"),
    pytest.param(s.NEXT_STEPS, 3, None, float, id="whole-number"),
    pytest.param(s.NEXT_STEPS, 3.25, None, float, id="decimal"),
]


@pytest.mark.parametrize(("column", "value", "number_format", "read_as"), NOT_TEXT)
def test_cli_update_of_a_text_field_that_excel_made_a_date_or_number_is_applied(
        workbook: Path, capsys, column: str, value: object, number_format: str | None, read_as: type) -> None:
    officer_sets(workbook, "L7", column, value, number_format)
    before = read_appendix(workbook).rows["L7"][column]
    assert type(before) is read_as  # the reader really gives the cell as a date, time or number
    option = "--next" if column == s.NEXT_STEPS else "--summary"

    assert update(workbook, "L7", option, "Agree safer sleep audit with ELHT") == sli.EXIT_OK
    out = capsys.readouterr().out
    assert "L7 updated" in out and "changed in the workbook" not in out
    assert read_appendix(workbook).rows["L7"][column] == "Agree safer sleep audit with ELHT"
    [logged] = [e for e in read_change_log(workbook) if e.ref == "L7"]
    assert (logged.field, logged.old_value) == (column, cell_text(before))


def test_the_change_log_keeps_a_date_in_next_steps_as_people_read_it(workbook: Path) -> None:
    officer_sets(workbook, "L7", s.NEXT_STEPS, datetime(2026, 3, 12))
    assert update(workbook, "L7", "--next", "Agree safer sleep audit with ELHT") == sli.EXIT_OK
    [logged] = read_change_log(workbook)
    assert (logged.old_value, logged.new_value) == ("12/03/2026", "Agree safer sleep audit with ELHT")


def test_an_officers_edit_of_such_a_cell_after_the_view_is_still_a_conflict(workbook: Path, capsys) -> None:
    """Three updates wait for Excel to close, each seeing a cell that is not text; meanwhile an officer changes
    two of those cells (another day; the same day at another time). Those two are conflicts, never written
    over; the third, whose cell nobody touched, is applied."""
    officer_sets(workbook, "L7", s.NEXT_STEPS, datetime(2026, 3, 12))
    officer_sets(workbook, "L3", s.SUMMARY, datetime(2026, 3, 12, 14, 30, 15))
    officer_sets(workbook, "L12", s.NEXT_STEPS, datetime(2026, 3, 12))
    owner = write_owner_file(workbook, "Sana Iqbal")
    assert update(workbook, "L7", "--next", "Mine for L7") == sli.EXIT_PENDING
    assert update(workbook, "L3", "--summary", "Mine for L3") == sli.EXIT_PENDING
    assert update(workbook, "L12", "--next", "Mine for L12") == sli.EXIT_PENDING
    officer_sets(workbook, "L7", s.NEXT_STEPS, datetime(2026, 3, 13))
    officer_sets(workbook, "L3", s.SUMMARY, datetime(2026, 3, 12, 16, 45))
    owner.unlink()
    capsys.readouterr()

    assert sli.main(["sync", "--workbook", str(workbook)]) == sli.EXIT_OK
    out = capsys.readouterr().out
    assert "L7: [conflict]" in out and "changed it to '13/03/2026'" in out
    assert "L3: [conflict]" in out and "changed it to '12/03/2026 16:45'" in out
    assert "L12: [applied]" in out
    rows = read_appendix(workbook).rows
    assert rows["L7"][s.NEXT_STEPS] == date(2026, 3, 13)
    assert rows["L3"][s.SUMMARY] == datetime(2026, 3, 12, 16, 45)
    assert rows["L12"][s.NEXT_STEPS] == "Mine for L12"


def test_a_due_date_kept_as_iso_text_is_not_a_false_conflict(workbook: Path) -> None:
    """The other way round: a due date cell holding the text 2027-03-12 (not a date; the rules warn) was
    journalled as that text and read back as the day, which no longer matched the cell."""
    officer_sets(workbook, "L7", s.DUE, "2027-03-12")
    assert read_appendix(workbook).rows["L7"][s.DUE] == "2027-03-12"
    assert update(workbook, "L7", "--due", "31/03/2027") == sli.EXIT_OK
    assert read_appendix(workbook).rows["L7"].due == date(2027, 3, 31)


def test_the_journal_gives_back_what_it_was_given(workbook: Path) -> None:
    """Every kind of value a reader gives for a cell comes back from the journal as the same value of the same
    type; and a row journalled before values were tagged (a due date as plain ISO text) still reads as a day."""
    journal = Store.for_workbook(workbook).journal()
    seen = {s.NEXT_STEPS: date(2026, 3, 12), s.SUMMARY: datetime(2026, 3, 12, 14, 30, 15), s.STATUS: time(14, 30),
            s.DUE: "2027-03-12", "a": timedelta(days=1, seconds=3, microseconds=7), "b": 3, "c": 3.0, "d": True,
            "e": None, "f": "12/03/2026", "g": {"sha256": "0" * 64, "chars": 2001}, "h": "2026-03-12"}
    entry, _ = journal.record(ref="L7", changes={s.DUE: date(2027, 3, 31), s.NEXT_STEPS: "x"}, seen=seen,
                              by="Helen Lowey", via=s.VIA_CLI, state=j.PENDING)
    back = journal.get(entry.id)
    assert back.seen == seen and {k: type(v) for k, v in back.seen.items()} == {k: type(v) for k, v in seen.items()}
    assert back.changes == {s.DUE: date(2027, 3, 31), s.NEXT_STEPS: "x"}

    with sqlite3.connect(journal.path) as db:  # as the journal wrote it before
        db.execute("UPDATE updates SET seen=? WHERE id=?", (json.dumps({s.DUE: "2027-01-31"}), entry.id))
    assert journal.get(entry.id).seen == {s.DUE: date(2027, 1, 31)}


# --- Slack ---------------------------------------------------------------------------------------

@pytest.fixture
def slack_bot(workbook: Path) -> Iterator[Harness]:
    officer_sets(workbook, "L7", s.NEXT_STEPS, datetime(2026, 3, 12))
    officer_sets(workbook, "L7", s.SUMMARY, datetime(2026, 3, 12, 14, 30, 15))
    yield from _harness(workbook, listener_threads=1)


def test_slack_one_line_update_of_a_date_in_next_steps_is_applied(slack_bot: Harness) -> None:
    status, _ = slack_bot.http.command(text='update 7 next="Agree safer sleep audit with ELHT"', user_id=L7_LEAD)
    assert status == 200
    reply = slack_bot.reply()
    assert "L7 updated" in reply["text"], reply["text"]
    assert read_appendix(slack_bot.workbook).rows["L7"][s.NEXT_STEPS] == "Agree safer sleep audit with ELHT"


def test_slack_form_over_a_date_in_next_steps_is_applied(slack_bot: Harness) -> None:
    view = _open_modal(slack_bot, L7_LEAD)
    shown = {b.get("block_id"): b for b in view["blocks"]}
    assert shown["next"]["element"]["initial_value"] == "12/03/2026"
    assert shown["summary"]["element"]["initial_value"] == "12/03/2026 14:30"
    submitted = _submission({**view, "id": "V1", "hash": "h1"}, L7_LEAD, status="Off track",
                            summary="Audit booked", next="Agree safer sleep audit with ELHT", due="2027-03-31")
    assert slack_bot.http.interactive(submitted)[0] == 200
    [dm] = slack_bot.messages()
    assert "L7 updated" in dm["text"], dm["text"]
    row = read_appendix(slack_bot.workbook).rows["L7"]
    assert (row[s.NEXT_STEPS], row[s.SUMMARY]) == ("Agree safer sleep audit with ELHT", "Audit booked")


# --- Teams ---------------------------------------------------------------------------------------

@pytest.fixture
def teams(workbook: Path) -> Iterator[TeamsHarness]:
    officer_sets(workbook, "L7", s.NEXT_STEPS, datetime(2026, 3, 12))
    harness = TeamsHarness(workbook)
    yield harness
    harness.close()


def test_teams_one_line_update_of_a_date_in_next_steps_is_applied(teams: TeamsHarness) -> None:
    _, outcome = teams.say('update 7 next="Agree safer sleep audit with ELHT"', aad=TEAMS_OFFICER, count=2)
    assert outcome["text"].startswith("✅ **L7 updated.**"), outcome["text"]
    assert read_appendix(teams.workbook).rows["L7"][s.NEXT_STEPS] == "Agree safer sleep audit with ELHT"


def test_teams_card_over_a_date_in_next_steps_is_applied(teams: TeamsHarness) -> None:
    [reply] = teams.say("update L7", aad=TEAMS_OFFICER)
    data = card_of(reply)["actions"][0]["data"]
    assert data["seen"][s.NEXT_STEPS] == "12/03/2026"
    mark = teams.standin.mark()
    teams.invoke({**data, "status": data["seen"][s.STATUS], "summary": data["seen"][s.SUMMARY],
                  "next": "Agree safer sleep audit with ELHT", "due": data["seen"][s.DUE]})
    [outcome] = teams.standin.wait_for(1, start=mark)
    assert outcome["text"].startswith("✅ **L7 updated.**"), outcome["text"]
    assert read_appendix(teams.workbook).rows["L7"][s.NEXT_STEPS] == "Agree safer sleep audit with ELHT"
