"""The use cases on an in-memory workbook (tests/memory_uow.py) with a fixed clock: permission, conflicts,
the order updates are planned in, telling and posting once, without a single file. Each test runs in an
empty folder and checks it is still empty at the end; the real-file tests of the same behaviour stay."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from memory_uow import MemoryWorkbook

from shared import usecases
from shared.domain import schema as s
from shared.domain import update as u
from shared.domain.update import UpdateRequest

#: The moment the tests' clock always says.
NOW = datetime(2027, 2, 15, 10, 30, tzinfo=UTC)
L7_LEAD, OFFICER, ELHT_LEAD = "U07SLI0002", "U07SLI0006", "U07SLI0012"


@pytest.fixture
def memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryWorkbook]:
    """A memory workbook, used from an empty working folder that must stay empty: no file is ever made."""
    folder = tmp_path / "cwd"
    folder.mkdir()
    monkeypatch.chdir(folder)
    book = MemoryWorkbook()
    yield book
    book.close()
    assert list(folder.iterdir()) == []
    assert not Path(usecases.Store.for_workbook(book.appendix.path).journal_path).exists()


def test_a_lead_of_another_organisation_is_refused_and_nothing_is_kept(memory: MemoryWorkbook) -> None:
    ctx = memory.context(NOW)
    before = memory.appendix
    result = usecases.submit(ctx, UpdateRequest("L7", {s.STATUS: "At risk"}, s.VIA_SLACK, sender=ELHT_LEAD))
    assert result.state == u.REJECTED and result.update_id is None
    assert "Only the leads of BwD Council Public Health" in result.message
    assert isinstance(usecases.open_form(ctx, ELHT_LEAD, "L7"), usecases.UpdateResult)
    assert memory.appendix is before and memory.change_log == [] and memory.saves == 0
    assert usecases.waiting(ctx) == []
    # The lead of L7's organisation may: the same request from them is written.
    allowed = usecases.submit(ctx, UpdateRequest("L7", {s.STATUS: "At risk"}, s.VIA_SLACK, sender=L7_LEAD))
    assert allowed.state == u.APPLIED and memory.appendix.rows["L7"].status == "At risk"


def test_an_officers_edit_after_the_view_is_a_conflict_never_overwritten(memory: MemoryWorkbook) -> None:
    ctx = memory.context(NOW)
    form = usecases.open_form(ctx, L7_LEAD, "L7")
    assert isinstance(form, usecases.Form)
    seen = {s.NEXT_STEPS: form.row[s.NEXT_STEPS]}
    memory.officer_edits("L7", {s.NEXT_STEPS: "Officer's own plan"})  # in Excel, after the lead opened the form
    result = usecases.submit(ctx, UpdateRequest("L7", {s.NEXT_STEPS: "Lead's plan"}, s.VIA_SLACK, sender=L7_LEAD,
                                                seen=seen, view_seq=form.view_seq))
    assert result.state == u.CONFLICT
    assert f"{u.EXCEL_EDITOR} changed it to 'Officer's own plan', you sent 'Lead's plan'" in result.message
    assert memory.appendix.rows["L7"][s.NEXT_STEPS] == "Officer's own plan"
    assert memory.change_log == [] and memory.saves == 0


def test_waiting_updates_are_planned_in_the_order_they_arrived_and_the_last_wins(memory: MemoryWorkbook) -> None:
    ctx = memory.context(NOW)
    memory.open_in_excel("Sana Iqbal")
    sent = ["First plan", "Second plan", "Third plan"]
    for text in sent:
        held = usecases.submit(ctx, UpdateRequest("L7", {s.NEXT_STEPS: text}, s.VIA_SLACK, sender=L7_LEAD))
        assert held.state == u.PENDING and "Sana Iqbal" in held.message
    held = usecases.submit(ctx, UpdateRequest("L8", {s.STATUS: "On track"}, s.VIA_CLI, by="Chris Entwistle"))
    assert held.state == u.PENDING and memory.saves == 0 and memory.change_log == []
    memory.close_in_excel()
    results = usecases.process_pending(ctx)
    assert [(r.ref, r.state) for r in results] == [("L7", u.APPLIED)] * 3 + [("L8", u.APPLIED)]
    row = memory.appendix.rows["L7"]
    assert row[s.NEXT_STEPS] == "Third plan" and row[s.UPDATED_BY] == "Joanne Whitworth"
    assert row[s.LAST_UPDATED] == NOW.date()  # the context's clock, not the machine's
    assert [(e.ref, e.new_value) for e in memory.change_log] == [("L7", t) for t in sent] + [("L8", "On track")]
    assert {e.when for e in memory.change_log} == {NOW.replace(tzinfo=None, microsecond=0)}
    assert usecases.waiting(ctx) == [] and usecases.pending_count(ctx) == 0


def test_the_rules_judge_by_the_clock_the_context_gives(memory: MemoryWorkbook) -> None:
    due = {s.DUE: date(2027, 6, 30)}
    before = usecases.submit(memory.context(NOW), UpdateRequest("L7", due, s.VIA_CLI, by="Sana Iqbal"))
    assert before.state == u.APPLIED and not [f for f in before.findings if f.rule == "overdue"]
    later = datetime(2027, 9, 1, 9, 0, tzinfo=UTC)
    after = usecases.submit(memory.context(later), UpdateRequest("L7", {**due, s.NEXT_STEPS: "Chase the tender"},
                                                                 s.VIA_CLI, by="Sana Iqbal"))
    assert [f.rule for f in after.findings if f.column == s.DUE] == ["overdue"]
    assert memory.appendix.rows["L7"][s.LAST_UPDATED] == later.date()


def test_senders_are_told_each_outcome_once(memory: MemoryWorkbook) -> None:
    ctx = memory.context(NOW)
    memory.open_in_excel("Sana Iqbal")
    held = usecases.submit(ctx, UpdateRequest("L7", {s.NEXT_STEPS: "Held plan"}, s.VIA_SLACK, sender=L7_LEAD))
    assert held.state == u.PENDING
    told: list[tuple[str, str, str]] = []

    def send(to: str, result: usecases.UpdateResult) -> None:
        told.append((to, result.ref, result.state))

    assert usecases.tell_senders(ctx, send) == 0 and told == []  # Excel still has it: no outcome yet
    memory.close_in_excel()
    assert usecases.tell_senders(ctx, send) == 1  # written now, and its sender told
    assert told == [(L7_LEAD, "L7", u.APPLIED)]
    assert usecases.tell_senders(ctx, send) == 0 and len(told) == 1  # never twice
    # An outcome told at once by the front end that made it is told once whoever else tries.
    applied = usecases.submit(ctx, UpdateRequest("L8", {s.STATUS: "On track"}, s.VIA_SLACK, sender=OFFICER))
    answers: list[str] = []
    assert usecases.tell_once(ctx, applied, lambda result: answers.append(result.state)) is True
    assert usecases.tell_once(ctx, applied, lambda result: answers.append(result.state)) is False
    assert usecases.tell_senders(ctx, send) == 0 and answers == [u.APPLIED]


def test_a_failed_message_is_told_again_on_the_next_pass(memory: MemoryWorkbook) -> None:
    ctx = memory.context(NOW)
    memory.open_in_excel("Sana Iqbal")
    usecases.submit(ctx, UpdateRequest("L7", {s.NEXT_STEPS: "Held plan"}, s.VIA_SLACK, sender=L7_LEAD))
    memory.close_in_excel()

    def unreachable(to: str, result: usecases.UpdateResult) -> None:
        raise ConnectionError("Slack is down")

    assert usecases.tell_senders(ctx, unreachable) == 0
    told: list[str] = []
    assert usecases.tell_senders(ctx, lambda to, result: told.append(to)) == 1 and told == [L7_LEAD]


def test_a_post_is_made_once_and_a_failed_one_is_made_next_time(memory: MemoryWorkbook) -> None:
    ctx = memory.context(NOW)
    posts: list[str] = []

    def post() -> dict:
        posts.append("summary")
        return {"channel": "C1", "ts": "1.0"}

    def failing() -> dict:
        raise ConnectionError("Slack is down")

    with pytest.raises(ConnectionError):
        usecases.post_once(ctx, "summary", "2027-01", failing)
    first = usecases.post_once(ctx, "summary", "2027-01", post)
    assert first.posted and first.detail == {"channel": "C1", "ts": "1.0"}
    second = usecases.post_once(ctx, "summary", "2027-01", post)
    assert not second.posted and second.earlier["channel"] == "C1" and posts == ["summary"]
    assert usecases.posted(ctx, "summary", "2027-01")["ts"] == "1.0"
    assert usecases.post_once(ctx, "summary", "2027-01", lambda: None, again=True).posted is False
    assert usecases.posted(ctx, "summary", "2027-01") is None  # nowhere to post: tried again later
    assert usecases.post_once(ctx, "summary", "2027-01", post).posted and posts == ["summary", "summary"]


#: The domain's value helpers: the vocabulary every file speaks (refs, values, rules, rows), not a step of the walk.
DOMAIN_HELPERS = {f"shared/domain/{name}.py" for name in ("schema", "values", "model", "rules", "access", "queries")}
ROOT = Path(__file__).resolve().parents[1]


def test_one_update_is_walked_through_the_use_case_the_domain_and_the_unit_of_work(memory: MemoryWorkbook) -> None:
    """Run `submit` under `sys.setprofile` and record every Python function the use case's own code calls:
    beside the domain's value helpers they are in updating.py itself, the domain's update.py and the unit of
    work's uow.py, plus the journal the unit of work holds (`uow.journal`, as cosmicpython's unit of work holds
    its repository). A newcomer following an update opens those files and no other file of the core."""
    import sys

    ctx = memory.context(NOW)
    request = UpdateRequest("L7", {s.NEXT_STEPS: "Walked plan"}, s.VIA_SLACK, sender=L7_LEAD)
    updating = str(ROOT / "shared" / "usecases" / "updating.py")
    called: set[str] = set()

    def profile(frame, event: str, arg: object) -> None:
        if event == "call" and frame.f_back is not None and frame.f_back.f_code.co_filename == updating:
            called.add(frame.f_code.co_filename)

    sys.setprofile(profile)
    try:
        result = usecases.submit(ctx, request)
    finally:
        sys.setprofile(None)
    assert result.state == u.APPLIED and memory.appendix.rows["L7"][s.NEXT_STEPS] == "Walked plan"
    core = {str(Path(f).relative_to(ROOT)) for f in called if Path(f).is_relative_to(ROOT / "shared")}
    assert core - DOMAIN_HELPERS == {"shared/usecases/updating.py", "shared/domain/update.py", "shared/uow.py",
                                     "shared/journal/updates.py"}
