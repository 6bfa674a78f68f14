"""One voice: the console (the bot's own listeners), Slack and the command line say and store things the
same way. Typed apostrophes are kept; a no-op update says nothing changed; hints name the ref asked for;
dates people read are dd/mm/yyyy (only the date picker's own value is ISO); list lines carry a title and
status, lead and due date. Read back from a workbook copy with openpyxl."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest

import sli
from bot import blocks
from bot.console import run_console
from shared import summary as sm
from shared.domain import schema as s
from shared.owner import write_owner_file
from shared.reader import read_appendix
from shared.usecases import Store, process_pending, result_of, submit_update

L7_LEAD = "U07SLI0002"  # Joanne Whitworth: leads BwD Council Public Health, L7's organisation
OFFICER = "U07SLI0006"
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def console(workbook: Path, *lines: str, user: str = L7_LEAD) -> str:
    out = io.StringIO()
    run_console(Store.for_workbook(workbook), user_id=user, out=out, lines=list(lines))
    return out.getvalue()


def cell(workbook: Path, ref: str, column: str) -> object:
    ws = openpyxl.load_workbook(workbook)[s.MAIN_SHEET]
    index = s.MAIN_COLUMNS.index(column)
    return next(r for r in ws.iter_rows(min_row=4) if r[0].value == ref)[index].value


def test_typographic_apostrophes_are_kept_as_on_the_command_line(workbook: Path) -> None:
    console(workbook, "update 7 next=\u201cAgree ELHT\u2019s audit\u201d summary=It\u2019s agreed",
            user=OFFICER)
    assert sli.main(["update", "L8", "--next", "Agree ELHT\u2019s audit", "--by", "Helen Lowey",
                     "--workbook", str(workbook)]) == sli.EXIT_OK
    assert cell(workbook, "L7", s.NEXT_STEPS) == cell(workbook, "L8", s.NEXT_STEPS) == "Agree ELHT\u2019s audit"
    assert cell(workbook, "L7", s.SUMMARY) == "It\u2019s agreed"


def test_a_no_op_update_says_nothing_changed(workbook: Path, capsys) -> None:
    status = read_appendix(workbook).rows["L7"].status
    before = workbook.read_bytes()
    said = console(workbook, f'update 7 status="{status}"')
    assert "L7: nothing changed" in said
    assert "L7 updated" not in said and ":white_check_mark:" not in said
    assert sli.main(["update", "L7", "--status", status, "--by", "Helen Lowey",
                     "--workbook", str(workbook)]) == sli.EXIT_OK
    cli_sentence = capsys.readouterr().out.strip().splitlines()[-1]
    assert cli_sentence in said  # the same sentence as the command line
    assert workbook.read_bytes() == before


def test_a_field_given_twice_is_refused_and_nothing_written(workbook: Path) -> None:
    before = workbook.read_bytes()
    said = console(workbook, 'update 7 status="On track" status="At risk"')
    assert "You gave Status twice" in said
    assert workbook.read_bytes() == before


@pytest.mark.parametrize("ref", ["L12", "L3"])
def test_hints_name_the_ref_asked_for(workbook: Path, ref: str) -> None:
    said = console(workbook, f"/sli update {ref[1:]}", f"update {ref[1:]} frobnicate", user=OFFICER)
    assert f'send the update on one line: update {ref} status="On track"' in said
    assert f"`/sli update {ref}` for a form" in said
    assert "L7" not in said


def test_dates_people_read_are_day_month_year(workbook: Path) -> None:
    said = console(workbook, "/sli status 7", "/sli update 7", "what is at risk?", "/sli list all",
                   "update 7 due=2027-02-28", "/sli mine", user=OFFICER)
    assert "Next step due: 31/03/2027" in said and "31/03/2027 → 28/02/2027" in said
    assert not ISO_DATE.search(said), ISO_DATE.findall(said)

    # The form keeps the ISO date Slack's date picker needs.
    row = read_appendix(workbook).rows["L7"]
    modal = blocks.update_modal(row, list(s.STATUSES))
    due = next(b for b in modal["blocks"] if b.get("block_id") == "due")
    assert due["element"]["initial_date"] == "2027-02-28"

    # A conflict from the form (the picker's ISO value) and a confirmation rebuilt from the journal.
    store = Store.for_workbook(workbook)
    owner = write_owner_file(workbook, "Helen Lowey")
    waiting = submit_update(store, "L7", {s.DUE: "2027-04-30"}, by="Sana Iqbal", via=s.VIA_SLACK)
    assert waiting.state == "pending"
    owner.unlink()
    process_pending(store)
    confirmation = blocks.update_result_message(result_of(store.journal().get(waiting.update_id)))
    assert "28/02/2027 → 30/04/2027" in confirmation["text"] and not ISO_DATE.search(str(confirmation))
    submit_update(store, "L7", {s.DUE: "31/05/2027"}, by="Sana Iqbal", via=s.VIA_CLI)
    conflict = submit_update(store, "L7", {s.DUE: "2027-06-30"}, by="Sana Iqbal", via=s.VIA_SLACK,
                             seen={s.DUE: "2027-04-30"})
    assert conflict.state == "conflict"
    shown = blocks.update_result_message(conflict)["text"]
    assert "31/05/2027" in shown and "30/06/2027" in shown and not ISO_DATE.search(shown)

    summary = blocks.summary_message(sm.month_figures(store, 2026, 11))
    stamp = summary["blocks"][-1]["elements"][0]["text"]
    assert re.search(r"Figures as at \d\d/\d\d/\d{4} \d\d:\d\d (GMT|BST)", stamp), stamp  # UK time, named
    assert not ISO_DATE.search(str(summary))


def test_list_lines_carry_a_title_status_lead_and_due_date(workbook: Path) -> None:
    said = console(workbook, "/sli list at risk")
    at_risk = [r for r in read_appendix(workbook).rows.values() if r.status == "At risk"]
    assert at_risk
    for row in at_risk:
        [line] = [x for x in said.splitlines() if x.startswith(f"{row.ref} ")]
        title = str(row[s.RECOMMENDATION])[:25]
        due = f"due {row.due:%d/%m/%Y}" if row.due else "no due date"
        assert title in line and "At risk" in line and row.lead_org in line and due in line, line
    message = blocks.list_message("At risk", at_risk)
    section = message["blocks"][1]["text"]["text"]
    assert f"*{at_risk[0].ref}* {str(at_risk[0][s.RECOMMENDATION])[:25]}" in section
    assert at_risk[0].lead_org.replace("&", "&amp;") in section


def test_reminder_lines_carry_a_title_status_and_due_date(workbook: Path) -> None:
    [reminder, *_] = sm.reminders_due(Store.for_workbook(workbook), 2026, 12)
    message = blocks.reminder_message(reminder.name, "December 2026", reminder.items)
    first = reminder.items[0]
    section = message["blocks"][1]["text"]["text"]
    assert section.startswith(f"*{first.ref}* {first.text[:25]}")
    assert first.status in section and (f"due {first.due}" if first.due else "no due date") in section
    assert not ISO_DATE.search(str(message))
