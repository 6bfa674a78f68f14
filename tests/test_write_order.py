"""Updates of one recommendation are written in the order they were journalled, even when a fault clears
part-way through a pass (issue 16, point 2).

The story each test tells: the workbook is marked read-only, so a command-line update A (exit 3) and then
a Slack update B from Sana Iqbal to the same field wait in the journal. Whoever manages the workbook makes
it writable again while a pass is between A and B (`shared.uow.between_updates` lets the test do that at
exactly that moment; the fault is real: the file's permissions). A must still go in before B, B is the
final value, and nobody is told of a conflict. Through each front end that runs a pass: the bot's writer
thread, the notifier, `sli sync`, and the add-in's *Apply pending updates* (after a pass of `sli sync`).
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from excel import server as addin_server

_root = logging.getLogger()
_root_state = (_root.level, list(_root.handlers))
APP = addin_server.build_app(local=True)  # before anything imports xlwings: see tests/test_addin.py
_root.setLevel(_root_state[0])
_root.handlers[:] = _root_state[1]

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient
from addin_support import serve  # noqa: E402
from officejs_payload import OfficeJsStandIn, get_cell  # noqa: E402
from slack_standin import BoltHTTP, SlackStandIn  # noqa: E402

import sli  # noqa: E402
from bot.app import Settings, create_app  # noqa: E402
from bot.http_server import serve_in_thread  # noqa: E402
from bot.notifier import Notifier  # noqa: E402
from shared import journal as j  # noqa: E402
from shared.domain import schema as s  # noqa: E402
from shared.owner import write_owner_file  # noqa: E402
from shared.reader import read_appendix, read_change_log  # noqa: E402
from shared.uow import between_updates  # noqa: E402
from shared.usecases import Store  # noqa: E402

SECRET = "test-signing-secret"
OFFICER = "U07SLI0006"  # Sana Iqbal, officer
A_TEXT = "Agree the safer sleep audit with ELHT"
B_TEXT = "Audit agreed with ELHT; report to the board in March"


class Bot:
    """The real Bolt app over HTTP, its Slack calls answered by the local stand-in."""

    def __init__(self, standin: SlackStandIn, workbook: Path):
        self.standin = standin
        self.settings = Settings(bot_token="xoxb-test", signing_secret=SECRET, api_url=standin.base_url,
                                 workbook=workbook, poll_seconds=3600)
        self.app = create_app(self.settings)
        self.server = serve_in_thread(self.app)
        self.http = BoltHTTP(f"http://127.0.0.1:{self.server.server_port}/slack/events", SECRET, standin=standin)

    def update(self, text: str, replies: int) -> str:
        """A one-line `/sli update` from Sana; waits until the writer thread's outcome reached her (the
        `replies`-th response_url message) and returns its text."""
        status, body = self.http.command(text=text, user_id=OFFICER)
        assert status == 200 and "Recorded your update" in body, body
        return self.standin.wait_for("response_url", count=replies, timeout=30)[replies - 1]["args"]["text"]


@pytest.fixture
def bot(workbook: Path) -> Iterator[Bot]:
    with SlackStandIn() as standin:
        harness = Bot(standin, workbook)
        yield harness
        harness.server.shutdown()
        harness.server.server_close()


def cli(workbook: Path, *args: str) -> int:
    return sli.main([*args, "--workbook", str(workbook)])


def a_then_b_waiting(workbook: Path, bot: Bot, capsys: pytest.CaptureFixture) -> tuple[str, str]:
    """A from the command line, then B from Slack, both waiting behind the read-only workbook: their IDs."""
    os.chmod(workbook, 0o444)
    assert cli(workbook, "update", "L7", "--next", A_TEXT, "--by", "Helen Lowey") == sli.EXIT_PENDING
    assert "marked read-only" in capsys.readouterr().out
    told = bot.update(f'update 7 next="{B_TEXT}"', replies=1)
    assert "not yet in the workbook" in told, told
    [a, b] = Store.for_workbook(workbook).journal().for_ref("L7")
    assert (a.by, a.state, b.by, b.state) == ("Helen Lowey", j.PENDING, "Sana Iqbal", j.PENDING)
    return a.id, b.id


def writable_after(workbook: Path, update_id: str):
    """A hook for `between_updates`: the workbook becomes writable once a pass has tried `update_id`."""
    def hook(tried: str) -> None:
        if tried == update_id:
            os.chmod(workbook, 0o644)
    return hook


def assert_a_then_b(workbook: Path, a: str, b: str) -> None:
    """A written before B (Change log order), B the final value, and no conflict anywhere."""
    rows = [(e.update_id, e.new_value) for e in read_change_log(workbook) if e.ref == "L7" and e.field == s.NEXT_STEPS]
    assert rows == [(a, A_TEXT), (b, B_TEXT)]
    assert read_appendix(workbook).rows["L7"][s.NEXT_STEPS] == B_TEXT
    journal = Store.for_workbook(workbook).journal()
    assert (journal.get(a).state, journal.get(b).state) == (j.APPLIED, j.APPLIED)
    assert journal.in_states(j.CONFLICT) == []


def no_conflict_told(bot: Bot) -> None:
    said = [c["args"].get("text", "") for c in bot.standin.calls() if c["method"] in ("chat.postMessage",
                                                                                        "response_url")]
    assert not [text for text in said if "changed" in text or "Not applied" in text], said


def test_the_bots_writer_thread_keeps_journal_order_when_the_fault_clears_mid_pass(
        workbook: Path, bot: Bot, capsys: pytest.CaptureFixture) -> None:
    a, b = a_then_b_waiting(workbook, bot, capsys)
    # Sana sends another update to L7's status: the writer thread's pass tries A (still read-only), then the
    # workbook is made writable; B and this one must wait behind A rather than overtake it.
    with between_updates(writable_after(workbook, a)):
        told = bot.update('update 7 status="At risk"', replies=2)
    assert "not yet in the workbook" in told and "earlier update to L7" in told, told
    assert read_appendix(workbook).rows["L7"][s.NEXT_STEPS] != B_TEXT
    # Her next update (another recommendation) runs the next pass on the writer thread: all in order.
    assert "L3 updated" in bot.update('update 3 next="Recruit two peer supporters"', replies=3)
    assert_a_then_b(workbook, a, b)
    assert read_appendix(workbook).rows["L7"].status == "At risk"
    no_conflict_told(bot)


def test_the_notifiers_pass_keeps_journal_order_when_the_fault_clears_mid_pass(
        workbook: Path, bot: Bot, capsys: pytest.CaptureFixture) -> None:
    a, b = a_then_b_waiting(workbook, bot, capsys)
    notifier = Notifier(bot.settings.store(), bot.app.client)
    with between_updates(writable_after(workbook, a)):
        assert notifier.run_once() == 0  # A failed, B waited behind it: nothing ended, nobody told
    assert Store.for_workbook(workbook).journal().get(b).state == j.PENDING
    assert notifier.run_once() == 1  # the next pass: A, then B, and Sana is told B went in
    assert_a_then_b(workbook, a, b)
    [dm] = [c["args"] for c in bot.standin.calls("chat.postMessage")]
    assert dm["channel"] == OFFICER and "L7 updated" in dm["text"]
    no_conflict_told(bot)


def test_sli_sync_keeps_journal_order_when_the_fault_clears_mid_pass(
        workbook: Path, bot: Bot, capsys: pytest.CaptureFixture) -> None:
    a, b = a_then_b_waiting(workbook, bot, capsys)
    with between_updates(writable_after(workbook, a)):
        assert cli(workbook, "sync") == sli.EXIT_PENDING
    out = capsys.readouterr().out
    assert "Waiting for an earlier update to L7" in out, out
    assert cli(workbook, "sync") == sli.EXIT_OK
    out = capsys.readouterr().out
    assert "[conflict]" not in out and out.count("L7: [applied]") == 2, out
    assert_a_then_b(workbook, a, b)


def test_the_addins_apply_keeps_journal_order_after_a_pass_the_fault_cleared_in(
        workbook: Path, bot: Bot, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = a_then_b_waiting(workbook, bot, capsys)
    with between_updates(writable_after(workbook, a)):
        assert cli(workbook, "sync") == sli.EXIT_PENDING  # a pass the fault cleared in; then Excel opens it
    write_owner_file(workbook, "Helen Lowey")
    in_excel = OfficeJsStandIn.for_workbook(workbook)
    serve(monkeypatch, workbook)
    with TestClient(APP) as http:
        response = http.post("/xlwings/custom-scripts-call/apply_pending_updates", json=in_excel.request())
    assert response.status_code == 200, response.text
    in_excel.apply(response.json())

    log = next(sh["values"] for sh in in_excel.payload["sheets"] if sh["name"] == s.LOG_SHEET)
    rows = [(row[7], row[4]) for row in log[1:] if row[1] == "L7" and row[2] == s.NEXT_STEPS]
    assert rows == [(a, A_TEXT), (b, B_TEXT)]
    assert get_cell(in_excel.payload, s.MAIN_SHEET, "H10") == B_TEXT
    alert = in_excel.alerts[-1]["prompt"]
    assert "Applied 2 updates" in alert and "conflict" not in alert, alert
    journal = Store.for_workbook(workbook).journal()
    assert (journal.get(a).state, journal.get(b).state) == (j.IN_EXCEL, j.IN_EXCEL)
    assert journal.in_states(j.CONFLICT) == []


def test_earlier_changes_explain_a_field_whatever_order_they_reached_the_file_in(
        workbook: Path, capsys: pytest.CaptureFixture) -> None:
    """The conflict rule counts every change journalled after the sender's view and before their update,
    not only the last one written: here (a journal from before writes kept their order) B reached the file
    before A, so the file shows A's text, and a form opened before both is still no conflict."""
    store = Store.for_workbook(workbook)
    journal = store.journal()
    original = read_appendix(workbook).rows["L7"][s.NEXT_STEPS]
    view = journal.view_mark()  # Sana opens the form
    a, _ = journal.record(ref="L7", changes={s.NEXT_STEPS: A_TEXT}, seen={s.NEXT_STEPS: original}, by="Helen Lowey",
                          via=s.VIA_CLI, state=j.PENDING, view_seq=view)
    b, _ = journal.record(ref="L7", changes={s.NEXT_STEPS: B_TEXT}, seen={s.NEXT_STEPS: original}, by="Aisha Khan",
                          via=s.VIA_SLACK, state=j.PENDING, view_seq=view)
    journal.set_state(b.id, j.APPLIED, {"changes": {s.NEXT_STEPS: [original, B_TEXT]}})
    journal.set_state(a.id, j.APPLIED, {"changes": {s.NEXT_STEPS: [B_TEXT, A_TEXT]}})
    book = openpyxl.load_workbook(workbook)
    book[s.MAIN_SHEET]["H10"] = A_TEXT  # the file as those two writes left it: A's text, written last
    book.save(workbook)
    form, _ = journal.record(ref="L7", changes={s.STATUS: "At risk", s.NEXT_STEPS: "Audit booked"},
                             seen={s.STATUS: "Off track", s.NEXT_STEPS: original}, by="Sana Iqbal",
                             via=s.VIA_SLACK, state=j.PENDING, view_seq=view)

    assert cli(workbook, "sync") == sli.EXIT_OK
    assert "L7: [applied]" in capsys.readouterr().out
    assert journal.get(form.id).state == j.APPLIED
    assert read_appendix(workbook).rows["L7"][s.NEXT_STEPS] == "Audit booked"
