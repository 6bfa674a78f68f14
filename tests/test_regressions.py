"""Regression tests for the bugs a review found (one focused test each): each asserts what a user sees
and fails on the behaviour before the fix. Workbooks are private copies (fixture `workbook`), edited
as officers would with openpyxl, and read back with openpyxl and calamine."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from slack_sdk import WebClient
from slack_standin import SlackStandIn

import sli
from bot import blocks
from bot.notifier import Notifier
from bot.scheduler import SUMMARY, MonthlyJobs, post_summary, send_reminders
from shared import journal as j
from shared import summary as sm
from shared.domain import schema as s
from shared.owner import write_owner_file
from shared.reader import read_appendix, read_change_log
from shared.usecases import (
    Store,
    deliver_to_open_book,
    process_pending,
    submit_as_person,
    submit_update,
)
from shared.writers import PackageWriter

OFFICER = "U07SLI0006"      # Sana Iqbal, officer
ELHT_LEAD = "U07SLI0012"    # Anita Patel, lead of ELHT


def this_month() -> tuple[int, int]:
    now = datetime.now(UTC)
    return now.year, now.month


def row_of(ws, ref: str) -> int:
    for row in ws.iter_rows(min_col=1, max_col=1):
        if row[0].value == ref:
            return row[0].row
    raise AssertionError(ref)


def header_index(ws, name: str, header_row: int = 1) -> int:
    """1-based column of the header `name` in `ws` (openpyxl)."""
    for cell in ws[header_row]:
        if cell.value == name:
            return cell.column
    raise AssertionError(name)


@pytest.fixture
def slack():
    with SlackStandIn() as standin:
        yield standin, WebClient(token="x", base_url=standin.base_url)


# 1. A bad `by` is refused with a sentence; a journalled update that cannot be written blocks nothing.

@pytest.mark.parametrize("by", ["Helen\x0bLowey", "Helen \uffff Lowey"])
def test_bad_by_is_refused_and_later_updates_still_apply(workbook: Path, by: str) -> None:
    store = Store.for_workbook(workbook)
    before = workbook.read_bytes()
    refused = submit_update(store, "L7", {s.NEXT_STEPS: "Agree interim cover"}, by=by, via=s.VIA_CLI)
    assert refused.state == j.REJECTED
    assert "Updated by" in refused.message and "control characters" in refused.message
    assert refused.message.rstrip().endswith(".")
    assert refused.update_id is None or store.journal().get(refused.update_id).state == j.REJECTED
    assert store.journal().in_states(*j.OPEN_STATES) == []
    assert workbook.read_bytes() == before

    later = submit_update(store, "L7", {s.NEXT_STEPS: "Agree interim cover"}, by="Joanne Whitworth", via=s.VIA_CLI)
    assert later.state == j.APPLIED, later.message
    assert read_appendix(workbook).rows["L7"][s.NEXT_STEPS] == "Agree interim cover"
    assert [(e.ref, e.by) for e in read_change_log(workbook)] == [("L7", "Joanne Whitworth")]


def test_journalled_update_that_cannot_be_written_does_not_block_later_ones(workbook: Path) -> None:
    store = Store.for_workbook(workbook)
    journal = store.journal()
    current = read_appendix(workbook).rows["L3"][s.NEXT_STEPS]
    # Journalled directly, past validation: its Updated by cannot go into an .xlsx, so writing it fails.
    stuck, _ = journal.record(ref="L3", changes={s.NEXT_STEPS: "Plain words"}, seen={s.NEXT_STEPS: current},
                              by="X \uffff", via="CLI", state=j.PENDING)
    # The brief's own example (the bad text in the change itself) must not block the next update either.
    bad_text, _ = journal.record(ref="L3", changes={s.NEXT_STEPS: "bad \uffff text"},
                                 seen={s.NEXT_STEPS: current}, by="X", via="CLI", state=j.PENDING)

    result = submit_update(store, "L5", {s.NEXT_STEPS: "Run two extra sessions"}, by="Lisa Taylor", via=s.VIA_CLI)
    assert result.state == j.APPLIED, result.message
    rows = read_appendix(workbook).rows
    assert rows["L5"][s.NEXT_STEPS] == "Run two extra sessions"
    assert rows["L3"][s.NEXT_STEPS] == current
    assert [e.ref for e in read_change_log(workbook)] == ["L5"]

    entry = journal.get(stuck.id)
    assert entry.state == j.PENDING
    assert entry.detail["message"].startswith("Not written yet")
    assert journal.get(bad_text.id).state in (j.PENDING, j.REJECTED)  # kept or refused, never written


# 2. The Change log still lands under the right headers after an officer inserts a column.

def test_change_log_with_inserted_column_gets_values_under_their_headers(workbook: Path) -> None:
    wb = openpyxl.load_workbook(workbook)
    ws = wb[s.LOG_SHEET]
    ws.insert_cols(2)
    ws.cell(1, 2).value = "Officer note"
    wb.save(workbook)

    result = submit_update(Store.for_workbook(workbook), "L7", {s.NEXT_STEPS: "Agree interim cover"},
                           by="Joanne Whitworth", via=s.VIA_SLACK)
    assert result.state == j.APPLIED, result.message
    [entry] = read_change_log(workbook)
    assert (entry.ref, entry.field, entry.new_value, entry.by, entry.via, entry.update_id) == (
        "L7", s.NEXT_STEPS, "Agree interim cover", "Joanne Whitworth", s.VIA_SLACK, result.update_id)
    assert isinstance(entry.when, datetime)

    ws = openpyxl.load_workbook(workbook)[s.LOG_SHEET]
    assert ws.max_row == 2
    assert ws.cell(2, header_index(ws, "Update ID")).value == result.update_id
    assert ws.cell(2, header_index(ws, "Ref")).value == "L7"
    assert ws.cell(2, header_index(ws, "Officer note")).value is None


# 3. Correcting one's own waiting update is not a conflict.

def test_sender_correcting_own_waiting_update_is_not_a_conflict(workbook: Path) -> None:
    store = Store.for_workbook(workbook)
    owner = write_owner_file(workbook, "Helen")
    first = submit_update(store, "L6", {s.STATUS: "At risk", s.NEXT_STEPS: "Chase the Stage 3 assessment date",
                                        s.DUE: "31/03/2027"}, by="Rachel Hughes", via=s.VIA_SLACK)
    second = submit_update(store, "L6", {s.STATUS: "Off track"}, by="Rachel Hughes", via=s.VIA_SLACK)
    assert (first.state, second.state) == (j.PENDING, j.PENDING), (first.message, second.message)
    owner.unlink()

    results = {r.update_id: r for r in process_pending(store)}
    assert results[first.update_id].state == j.APPLIED, results[first.update_id].message
    assert results[second.update_id].state == j.APPLIED, results[second.update_id].message
    assert not results[second.update_id].conflicts
    row = read_appendix(workbook).rows["L6"]
    assert (row.status, row[s.NEXT_STEPS], row.due) == ("Off track", "Chase the Stage 3 assessment date",
                                                        date(2027, 3, 31))
    assert store.journal().in_states(j.CONFLICT) == []


# 4. A failed chart upload does not make the month look unposted.

def test_summary_not_posted_again_when_chart_upload_fails(workbook: Path, slack) -> None:
    standin, client = slack
    store = Store.for_workbook(workbook)
    year, month = this_month()
    now = sm.summary_time(year, month) + timedelta(minutes=30)
    standin.fail_next("files.getUploadURLExternal", status=200, error="not_allowed_token_type")

    first = post_summary(store, client, "C1", year, month, now=now)
    assert first.posted and "chart" in first.message
    assert store.journal().posted(SUMMARY, sm.month_key(year, month))

    again = post_summary(store, client, "C1", year, month, now=now)
    assert not again.posted and "already posted" in again.message
    assert MonthlyJobs(Store.for_workbook(workbook), client, "C1").tick(now) == []
    assert len(standin.calls("chat.postMessage")) == 1


# 5. A due date typed with a time is a day everywhere.

def test_due_date_typed_with_a_time(workbook: Path) -> None:
    wb = openpyxl.load_workbook(workbook)
    ws = wb[s.MAIN_SHEET]
    ws.cell(row_of(ws, "L7"), header_index(ws, s.DUE, header_row=3)).value = datetime(2027, 1, 31, 14, 0)
    wb.save(workbook)
    store = Store.for_workbook(workbook)

    row = read_appendix(workbook).rows["L7"]
    assert row.due == date(2027, 1, 31) and type(row.due) is date
    sm.compute_figures(store, *this_month())  # does not raise
    figures = sm.compute_figures(store, 2027, 2, now=datetime(2027, 2, 10, 12, tzinfo=UTC))
    assert "L7" in {item.ref for item in figures.overdue}

    modal = blocks.update_modal(row, list(s.STATUSES))
    [due_block] = [b for b in modal["blocks"] if b.get("block_id") == blocks.BLOCK_FOR[s.DUE]]
    assert due_block["element"]["initial_date"] == "2027-01-31"
    seen = json.loads(modal["private_metadata"])["seen"]  # what the form was prefilled with

    result = submit_update(store, "L7", {s.DUE: "28/02/2027"}, by="Joanne Whitworth", via=s.VIA_SLACK, seen=seen)
    assert result.state == j.APPLIED, result.message
    assert not result.conflicts
    assert read_appendix(workbook).rows["L7"].due == date(2027, 2, 28)


# 6. An officer's problem elsewhere in the row does not block the sender, nor is it theirs to read about
#    (a sender sees the findings about the fields they change, and the errors that block them); the
#    sender's own problem blocks.

def test_officers_problem_elsewhere_in_row_does_not_refuse_partner_update(workbook: Path) -> None:
    old_name = read_appendix(workbook).rows["L8"].lead_org
    wb = openpyxl.load_workbook(workbook)
    lists = wb[s.LISTS_SHEET]
    [cell] = [c for row in lists.iter_rows() for c in row if c.value == old_name]
    cell.value = "NHS Lancashire and South Cumbria ICB"
    wb.save(workbook)
    store = Store.for_workbook(workbook)

    result = submit_update(store, "L8", {s.NEXT_STEPS: "Scope the pathway with the ICB"}, by="Hannah Fielding",
                           via=s.VIA_SLACK)
    assert result.state == j.APPLIED, result.message
    assert not any(f.rule == "lead_unknown" for f in result.findings)  # the officers' to fix: `sli validate`
    assert read_appendix(workbook).rows["L8"][s.NEXT_STEPS] == "Scope the pathway with the ICB"

    before = workbook.read_bytes()
    refused = submit_update(store, "L8", {s.STATUS: "At risk", s.DUE: ""}, by="Hannah Fielding", via=s.VIA_SLACK)
    assert refused.state == j.REJECTED
    assert "due date" in refused.message
    assert "lead organisations" not in refused.message  # not told to fix what is not theirs
    assert workbook.read_bytes() == before
    assert read_appendix(workbook).rows["L8"].status == "Not started"


# 7. A dry run leaves no snapshot behind.

def _previous_month() -> str:
    local = datetime.now(UTC).astimezone(sm.LONDON)
    return sm.month_key(*sm.previous_month(local.year, local.month))


@pytest.mark.parametrize("month", ["2026-03", _previous_month()])
def test_summary_dry_run_leaves_no_snapshot(workbook: Path, tmp_path: Path, capsys, month: str) -> None:
    chart = tmp_path / "chart.png"
    assert sli.main(["summary", "--month", month, "--dry-run", "--chart", str(chart),
                     "--workbook", str(workbook)]) == 0
    assert "SLI infant mortality" in capsys.readouterr().out
    assert chart.read_bytes().startswith(b"\x89PNG")
    assert Store.for_workbook(workbook).journal().snapshot(month) is None


# 8. An update the add-in put into the open workbook is confirmed once saved, while Excel stays open.

class OfficersOpenBook:
    """The workbook open in Excel, as a writer: takes the plans now, and is saved by the officer later
    (here: the file writer, run when the test says the officer pressed Save)."""

    def __init__(self, workbook: Path):
        self.workbook, self.plans = workbook, []

    def apply(self, plan) -> None:
        self.plans.append(plan)

    def finish(self) -> None:
        pass

    def save(self) -> None:
        writer = PackageWriter(self.workbook, None, 0)
        for plan in self.plans:
            writer.apply(plan)
        writer.finish()


def test_notifier_confirms_update_delivered_by_addin_while_excel_open(workbook: Path, slack) -> None:
    standin, client = slack
    store = Store.for_workbook(workbook)
    write_owner_file(workbook, "Sana Iqbal")
    sent = submit_as_person(store, OFFICER, "L4", {s.NEXT_STEPS: "Review the leaflets with the LSCB each year"},
                            via=s.VIA_SLACK)
    assert sent.state == j.PENDING, sent.message

    book = OfficersOpenBook(workbook)
    plans = deliver_to_open_book(store, read_appendix(workbook), book)
    [plan] = plans
    assert plan.edits and store.journal().get(sent.update_id).state == j.IN_EXCEL
    notifier = Notifier(store, client)
    assert notifier.run_once() == 0  # not saved yet: nothing to confirm

    # The officer saves the workbook with the delivered values; Excel stays open (owner file present).
    book.save()
    assert workbook.with_name(f"~${workbook.name}").exists()

    assert notifier.run_once() == 1
    [dm] = standin.calls("chat.postMessage")
    assert dm["args"]["channel"] == OFFICER
    assert "L4" in json.dumps(dm["args"]["blocks"])
    assert store.journal().get(sent.update_id).state == j.APPLIED
    assert notifier.run_once() == 0  # told once
    assert [e.update_id for e in read_change_log(workbook)] == [sent.update_id]


# 9. One reminder for a person who leads for two organisations.

def test_one_reminder_for_a_lead_of_two_organisations(workbook: Path, slack) -> None:
    standin, client = slack
    wb = openpyxl.load_workbook(workbook)
    wb[s.LEADS_SHEET].append(["Pan-Lancashire CDOP", "Anita Patel", ELHT_LEAD, "lead"])
    wb.save(workbook)
    store = Store.for_workbook(workbook)
    rows = read_appendix(workbook).rows
    # Reminders depend only on each row's Last updated: in January 2027 every row dates from 2026.
    year, month = 2027, 1
    elht = {ref for ref, r in rows.items() if r.lead_org.endswith("(ELHT)") and r.status != s.COMPLETE}
    cdop = {ref for ref, r in rows.items() if r.lead_org == "Pan-Lancashire CDOP" and r.status != s.COMPLETE}
    assert elht and cdop

    [reminder] = [r for r in sm.reminders_due(store, year, month) if r.slack_user_id == ELHT_LEAD]
    assert {item.ref for item in reminder.items} == elht | cdop

    assert send_reminders(store, client, year, month) >= 1
    [dm] = [c for c in standin.calls("chat.postMessage") if c["args"]["channel"] == ELHT_LEAD]
    listed = {b["accessory"]["value"] for b in dm["args"]["blocks"] if "accessory" in b}
    assert listed == elht | cdop
    assert send_reminders(store, client, year, month) == 0
