"""Every sender is told the outcome of their update exactly once, whoever gets there first (the bot's
writer thread or the notifier), and a message that fails to send is sent again later. A workbook lock
held by another program keeps an update waiting with a sentence, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from filelock import FileLock

import sli
from bot import blocks
from bot.writer import UpdateWriter
from shared import uow
from shared.domain import schema as s
from shared.domain import update as j
from shared.owner import write_owner_file
from shared.usecases import Store, UpdateRequest, process_pending, record_request, submit_update, tell_senders

LEAD = "U07SLI0002"  # Joanne Whitworth, who leads L7's organisation


def one_line(store: Store, text: str) -> j.UpdateResult:
    recorded = record_request(store, UpdateRequest("L7", {s.NEXT_STEPS: text}, s.VIA_SLACK, sender=LEAD))
    assert recorded.state == j.PENDING, recorded.message
    return recorded


def test_held_by_the_notifier_then_written_by_the_writer_is_told_once(workbook: Path) -> None:
    store = Store.for_workbook(workbook)
    told: list[tuple[str, str]] = []
    owner = write_owner_file(workbook, "Sana Iqbal")
    recorded = one_line(store, "Told once")
    # The notifier's pass finds Excel open and holds the update: nothing has ended, nobody is told yet.
    assert tell_senders(store, lambda to, result: told.append(("notifier", result.state))) == 0
    owner.unlink()
    # Excel closed; the writer thread gets to it first, writes it and tells its sender.
    UpdateWriter(store).write(recorded, lambda result: told.append(("writer", result.state))).result(30)
    assert tell_senders(store, lambda to, result: told.append(("notifier", result.state))) == 0
    assert told == [("writer", j.APPLIED)]


def test_the_writer_telling_a_waiting_update_leaves_the_outcome_to_the_notifier(workbook: Path) -> None:
    store = Store.for_workbook(workbook)
    told: list[tuple[str, str]] = []
    owner = write_owner_file(workbook, "Sana Iqbal")
    recorded = one_line(store, "Waits for Excel")
    UpdateWriter(store).write(recorded, lambda result: told.append(("writer", result.state))).result(30)
    owner.unlink()
    assert tell_senders(store, lambda to, result: told.append(("notifier", result.state))) == 1
    assert tell_senders(store, lambda to, result: told.append(("notifier", result.state))) == 0
    assert told == [("writer", j.PENDING), ("notifier", j.APPLIED)]


def test_a_message_that_fails_to_send_is_sent_on_the_next_pass(workbook: Path) -> None:
    store = Store.for_workbook(workbook)
    owner = write_owner_file(workbook, "Sana Iqbal")
    one_line(store, "Slack was down")
    process_pending(store)
    owner.unlink()
    attempts: list[str] = []

    def flaky(to: str, result: j.UpdateResult) -> None:
        attempts.append(result.state)
        if len(attempts) == 1:
            raise ConnectionError("Slack is unreachable")

    assert tell_senders(store, flaky) == 0
    assert tell_senders(store, flaky) == 1
    assert tell_senders(store, flaky) == 0
    assert attempts == [j.APPLIED, j.APPLIED]


def test_an_update_left_in_the_open_workbook_reads_as_waiting_not_refused() -> None:
    result = j.UpdateResult("abc", "L7", j.IN_EXCEL, "L7 updated: Status 'On track'. (in the open workbook; "
                            "applied when it is saved)")
    text = blocks.update_result_message(result)["text"]
    assert "recorded, not yet in the workbook" in text and "not recorded" not in text


def test_a_workbook_lock_held_by_another_program_keeps_the_update_waiting(
        workbook: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setattr(uow, "LOCK_TIMEOUT_SECONDS", 0.3)
    store = Store.for_workbook(workbook)
    before = workbook.read_bytes()
    with FileLock(str(store.lock_path)):
        result = submit_update(store, "L7", {s.NEXT_STEPS: "Behind a stuck writer"}, by="Helen Lowey", via=s.VIA_CLI)
        assert result.state == j.PENDING and "another program" in result.message
        code = sli.main(["update", "L7", "--next", "Also waits", "--by", "Helen Lowey", "--workbook", str(workbook)])
        assert code == sli.EXIT_PENDING
        assert "Traceback" not in capsys.readouterr().err
    assert workbook.read_bytes() == before
    assert [r.state for r in process_pending(store)] == [j.APPLIED, j.APPLIED]
