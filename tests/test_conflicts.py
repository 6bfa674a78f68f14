"""Conflicts mean what they say: only a change in the file that did not come through the journal (an
officer in Excel) after the sender's view is a conflict. Updates arriving through the journal, from
any number of senders at once, are applied in arrival order and never refuse one another."""

from __future__ import annotations

import threading
from pathlib import Path

import openpyxl

from shared import journal as j
from shared.domain import schema as s
from shared.owner import write_owner_file
from shared.reader import read_appendix, read_change_log
from shared.usecases import (
    EXCEL_EDITOR,
    Store,
    UpdateRequest,
    open_form,
    process_pending,
    submit,
    submit_update,
    view_mark,
)

OFFICER = "U07SLI0006"  # Sana Iqbal, an officer in sheet Leads: may open any recommendation's form


def officer_sets(workbook: Path, ref: str, column: int, value: str) -> None:
    """An officer's edit saved by another program (openpyxl stands in for Excel): no journal, no log row."""
    wb = openpyxl.load_workbook(workbook)
    ws = wb[s.MAIN_SHEET]
    row = next(r[0].row for r in ws.iter_rows(min_col=1, max_col=1) if r[0].value == ref)
    ws.cell(row, column).value = value
    wb.save(workbook)


def test_many_senders_at_once_never_conflict_and_land_in_journal_order(workbook: Path) -> None:
    store = Store.for_workbook(workbook, keep_backups=2)
    refs = ["L3", "L7", "L12"]  # few rows, so senders really do race on the same fields
    results: list = []
    lock = threading.Lock()

    def sender(user: int) -> None:
        for n in range(5):
            result = submit_update(store, refs[(user + n) % len(refs)], {s.NEXT_STEPS: f"Sender {user} step {n}"},
                                   by=f"Sender {user}", via=s.VIA_SLACK)
            with lock:
                results.append(result)

    threads = [threading.Thread(target=sender, args=(user,)) for user in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert len(results) == 100
    assert [r for r in results if r.state != j.APPLIED] == []  # 0 conflicts, 0 refusals, 0 left waiting
    journal = store.journal()
    applied = journal.in_states(j.APPLIED)
    assert len(applied) == 100
    log_ids = [row.update_id for row in read_change_log(workbook)]
    assert log_ids == [entry.id for entry in applied]  # written in journal (arrival) order, each once
    appendix = read_appendix(workbook)
    for ref in refs:
        last = [e for e in applied if e.ref == ref][-1]
        assert appendix.rows[ref][s.NEXT_STEPS] == last.changes[s.NEXT_STEPS]


def test_one_sender_twenty_updates_in_a_row_keep_their_order(workbook: Path) -> None:
    store = Store.for_workbook(workbook, keep_backups=2)
    owner = write_owner_file(workbook, "Sana Iqbal")  # Excel open: all twenty wait, then land together
    sent = [submit_update(store, "L7", {s.NEXT_STEPS: f"Step {n}", s.STATUS: ["On track", "At risk"][n % 2],
                                        s.DUE: f"{1 + n}/03/2027"}, by="Joanne Whitworth", via=s.VIA_SLACK)
            for n in range(20)]
    assert {r.state for r in sent} == {j.PENDING}
    owner.unlink()
    results = process_pending(store)
    assert [r.state for r in results] == [j.APPLIED] * 20
    row = read_appendix(workbook).rows["L7"]
    assert row[s.NEXT_STEPS] == "Step 19" and row.status == "At risk"
    steps = [e.new_value for e in read_change_log(workbook) if e.field == s.NEXT_STEPS]
    assert steps == [f"Step {n}" for n in range(20)]


def test_officer_edit_after_a_form_was_opened_is_still_a_conflict(workbook: Path) -> None:
    store = Store.for_workbook(workbook)
    form = open_form(store, OFFICER, "L7")
    prefill, mark = form.row, form.view_seq
    officer_sets(workbook, "L7", 8, "Officer's own next step")
    result = submit_update(store, "L7", {s.NEXT_STEPS: "Sender's next step"}, by="Joanne Whitworth",
                           via=s.VIA_SLACK, seen={s.NEXT_STEPS: prefill[s.NEXT_STEPS]}, view_seq=mark)
    assert result.state == j.CONFLICT
    [conflict] = result.conflicts
    assert (conflict.current, conflict.proposed) == ("Officer's own next step", "Sender's next step")
    assert EXCEL_EDITOR in result.message
    assert "Officer's own next step" in result.message and "Sender's next step" in result.message
    assert read_appendix(workbook).rows["L7"][s.NEXT_STEPS] == "Officer's own next step"


def test_another_senders_update_after_a_form_was_opened_is_not_a_conflict(workbook: Path) -> None:
    store = Store.for_workbook(workbook)
    form = open_form(store, OFFICER, "L7")
    prefill, mark = form.row, form.view_seq
    other = submit_update(store, "L7", {s.NEXT_STEPS: "Other lead's step"}, by="Sana Iqbal", via=s.VIA_SLACK)
    assert other.state == j.APPLIED
    result = submit_update(store, "L7", {s.NEXT_STEPS: "Form sender's step"}, by="Joanne Whitworth",
                           via=s.VIA_SLACK, seen={s.NEXT_STEPS: prefill[s.NEXT_STEPS]}, view_seq=mark)
    assert result.state == j.APPLIED, result.message
    assert read_appendix(workbook).rows["L7"][s.NEXT_STEPS] == "Form sender's step"


def test_one_line_update_waiting_for_excel_conflicts_with_the_officers_edit(workbook: Path) -> None:
    store = Store.for_workbook(workbook)
    owner = write_owner_file(workbook, "Sana Iqbal")
    sent = submit_update(store, "L4", {s.NEXT_STEPS: "From Slack"}, by="Joanne Whitworth", via=s.VIA_SLACK)
    assert sent.state == j.PENDING
    officer_sets(workbook, "L4", 8, "Typed in Excel")
    owner.unlink()
    [result] = process_pending(store)
    assert result.state == j.CONFLICT
    assert f"{EXCEL_EDITOR} changed it to 'Typed in Excel'" in result.message


def test_conflict_names_who_made_the_other_change_from_the_change_log(workbook: Path) -> None:
    store = Store.for_workbook(workbook)
    owner = write_owner_file(workbook, "Sana Iqbal")
    sent = submit_update(store, "L9", {s.STATUS: "At risk"}, by="Joanne Whitworth", via=s.VIA_SLACK)
    owner.unlink()
    # Another copy of the tracker with its own journal (a second server, say) writes the same field:
    # the Change log says who, although this journal cannot explain it.
    elsewhere = Store.for_workbook(workbook, journal=workbook.with_name("other.journal.sqlite"))
    assert submit_update(elsewhere, "L9", {s.STATUS: "Complete", s.SUMMARY: "Done and audited",
                                           s.EVIDENCE: "Audit report"},
                         by="Helen Lowey", via=s.VIA_CLI).state == j.APPLIED
    [result] = process_pending(store)
    assert result.state == j.CONFLICT and result.update_id == sent.update_id
    assert "Helen Lowey (CLI) changed it to 'Complete'" in result.message


def test_an_earlier_waiting_update_that_conflicted_does_not_make_later_ones_conflict(workbook: Path) -> None:
    store = Store.for_workbook(workbook)
    owner = write_owner_file(workbook, "Sana Iqbal")
    first = submit_update(store, "L5", {s.STATUS: "At risk", s.DUE: "31/03/2027"}, by="A", via=s.VIA_SLACK)
    second = submit_update(store, "L5", {s.NEXT_STEPS: "Later, unrelated step"}, by="B", via=s.VIA_SLACK)
    officer_sets(workbook, "L5", 6, "Complete")  # the officer's edit conflicts with the first only
    owner.unlink()
    results = {r.update_id: r for r in process_pending(store)}
    assert results[first.update_id].state == j.CONFLICT
    assert results[second.update_id].state == j.APPLIED


def test_the_form_carries_the_journal_mark_it_was_read_at(workbook: Path) -> None:
    from bot import blocks

    store = Store.for_workbook(workbook)
    submit_update(store, "L2", {s.NEXT_STEPS: "Something earlier"}, by="A", via=s.VIA_CLI)
    mark = view_mark(store)
    form = blocks.update_modal(read_appendix(workbook).rows["L7"], list(s.STATUSES), mark)
    assert mark == 1 and blocks.modal_view_seq(form) == mark
    row = read_appendix(workbook).rows["L7"]
    with_base = blocks.update_modal(row, list(s.STATUSES), mark, row)
    assert blocks.modal_base(with_base) == blocks.form_values(row) and blocks.modal_base(form) is None
    assert blocks.modal_view_seq({"private_metadata": '{"ref": "L7", "seen": {}, "view": "1; DROP"}'}) is None
    assert blocks.modal_view_seq({"private_metadata": "not json"}) is None


def test_a_form_showing_a_waiting_update_that_never_lands_is_not_a_false_conflict(workbook: Path) -> None:
    store = Store.for_workbook(workbook)
    file_step = read_appendix(workbook).rows["L6"][s.NEXT_STEPS]
    owner = write_owner_file(workbook, "Sana Iqbal")
    # An update waits for Excel; the form opened now shows its next step over the file's own.
    doomed = submit_update(store, "L6", {s.NEXT_STEPS: "Doomed step", s.STATUS: "At risk", s.DUE: "30/04/2027"},
                           by="A", via=s.VIA_SLACK)
    form = open_form(store, OFFICER, "L6")
    assert form.row[s.NEXT_STEPS] == "Doomed step" and form.file_row[s.NEXT_STEPS] == file_step
    # The officer sets the status in Excel: the waiting update conflicts and never lands, so the next step
    # in the file is still the one the form was opened on.
    officer_sets(workbook, "L6", 6, "Complete")
    owner.unlink()
    [lost] = process_pending(store)
    assert lost.update_id == doomed.update_id and lost.state == j.CONFLICT
    assert read_appendix(workbook).rows["L6"][s.NEXT_STEPS] == file_step

    def send(base: dict | None) -> j.UpdateResult:
        return submit(store, UpdateRequest("L6", {s.NEXT_STEPS: "Form step"}, s.VIA_SLACK, sender=OFFICER,
                                           seen={s.NEXT_STEPS: form.row[s.NEXT_STEPS]}, base=base,
                                           view_seq=form.view_seq))

    # Without the file's values the next step looks edited by someone (a false conflict) ...
    assert send(None).state == j.CONFLICT
    # ... with them, it is the value the form was opened on: no one's edit, so the update lands.
    result = send({s.NEXT_STEPS: file_step})
    assert result.state == j.APPLIED, result.message
    assert read_appendix(workbook).rows["L6"][s.NEXT_STEPS] == "Form step"
