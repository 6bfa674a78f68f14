"""The conflict rule compares a field with the LAST value the updates journalled after the sender's view
gave it (issue 16, point 2, as reviewed): updates of a recommendation are written strictly in journal
order, so that one value is what the file should hold. An officer who sets a field in Excel back to an
earlier journalled value has made an edit the sender never saw: a conflict, never overwritten.

Through the front ends: the Slack form over HTTP (the other updates from `sli update`), and the add-in's
*Apply pending updates*, including a workbook closed without saving and opened again before the next pass.
"""

from __future__ import annotations

import json
import logging
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
from officejs_payload import OfficeJsStandIn, get_cell, set_cell  # noqa: E402
from slack_standin import BoltHTTP, SlackStandIn  # noqa: E402

import sli  # noqa: E402
from bot.app import Settings, create_app  # noqa: E402
from bot.http_server import serve_in_thread  # noqa: E402
from shared import journal as j  # noqa: E402
from shared.domain import schema as s  # noqa: E402
from shared.owner import write_owner_file  # noqa: E402
from shared.reader import read_appendix, read_change_log  # noqa: E402
from shared.usecases import Store  # noqa: E402

SECRET = "test-signing-secret"
L7_LEAD = "U07SLI0002"  # Joanne Whitworth, lead of L7's organisation
X, Y = "Step X: agree the audit", "Step Y: report to the board"
NEXT_CELL = "H10"  # L7's Next steps


def cli(workbook: Path, *args: str) -> int:
    return sli.main([*args, "--workbook", str(workbook)])


def officer_sets_next_steps(workbook: Path, value: str) -> None:
    """An officer's edit saved in Excel (openpyxl stands in): no journal, no Change log row."""
    book = openpyxl.load_workbook(workbook)
    book[s.MAIN_SHEET][NEXT_CELL] = value
    book.save(workbook)


class Bot:
    def __init__(self, standin: SlackStandIn, workbook: Path):
        self.standin = standin
        self.settings = Settings(bot_token="xoxb-test", signing_secret=SECRET, api_url=standin.base_url,
                                 workbook=workbook, poll_seconds=3600)
        self.server = serve_in_thread(create_app(self.settings, listener_threads=1))
        self.http = BoltHTTP(f"http://127.0.0.1:{self.server.server_port}/slack/events", SECRET, standin=standin)

    def open_form(self, user_id: str, ref: str) -> dict:
        """`/sli update L7`: the form as the bot filled it in (views.update after the loading view)."""
        status, _ = self.http.command(text=f"update {ref}", user_id=user_id, trigger_id="1.2.trig")
        assert status == 200
        return {**self.standin.wait_for("views.update")[-1]["args"]["view"], "id": "V1", "hash": "h1"}

    def submit(self, view: dict, user_id: str, next_steps: str) -> None:
        """The form sent back with only Next steps changed (the other fields as the form showed them)."""
        blocks = {b.get("block_id"): b for b in view["blocks"]}
        status = blocks["status"]["element"]["initial_option"]["value"]
        due = blocks["due"]["element"].get("initial_date")
        state = {"status": {"value": {"type": "static_select", "selected_option": {"value": status}}},
                 "summary": {"value": {"type": "plain_text_input",
                                       "value": blocks["summary"]["element"].get("initial_value")}},
                 "next": {"value": {"type": "plain_text_input", "value": next_steps}},
                 "due": {"value": {"type": "datepicker", "selected_date": due}}}
        payload = {"type": "view_submission", "team": {"id": "T1"}, "user": {"id": user_id}, "api_app_id": "A1",
                   "token": "x", "trigger_id": "1.2.t", "view": {**view, "state": {"values": state}}}
        status_code, body = self.http.interactive(payload)
        assert status_code == 200 and body == "", body


@pytest.fixture
def bot(workbook: Path) -> Iterator[Bot]:
    with SlackStandIn() as standin:
        harness = Bot(standin, workbook)
        yield harness
        harness.server.shutdown()
        harness.server.server_close()


def test_an_officer_setting_a_field_back_to_an_earlier_journalled_value_is_a_conflict_on_the_slack_form(
        workbook: Path, bot: Bot) -> None:
    # 1. Joanne opens L7's form: the bot takes the journal's mark and shows the file's values.
    view = bot.open_form(L7_LEAD, "L7")
    original = read_appendix(workbook).rows["L7"][s.NEXT_STEPS]
    assert json.loads(view["private_metadata"])["seen"]  # the form carries what it showed
    # 2. Two other updates land from the command line: Step X, then Step Y.
    assert cli(workbook, "update", "L7", "--next", X, "--by", "Helen Lowey") == sli.EXIT_OK
    assert cli(workbook, "update", "L7", "--next", Y, "--by", "Helen Lowey") == sli.EXIT_OK
    # 3. In Excel an officer sets Next steps back to Step X: an edit no update explains.
    officer_sets_next_steps(workbook, X)
    # 4. Joanne sends her form.
    bot.submit(view, L7_LEAD, "Joanne's own step")
    [dm] = [c["args"] for c in bot.standin.wait_for("chat.postMessage", timeout=30)]
    assert dm["channel"] == L7_LEAD and "not applied" in dm["text"] and X in dm["text"], dm["text"]
    assert read_appendix(workbook).rows["L7"][s.NEXT_STEPS] == X  # the officer's value is kept
    [*_, sent] = Store.for_workbook(workbook).journal().for_ref("L7")
    assert sent.state == j.CONFLICT and sent.by == "Joanne Whitworth"
    assert [e.new_value for e in read_change_log(workbook) if e.field == s.NEXT_STEPS] == [X, Y]
    assert original not in (X, Y)


def test_without_the_officers_edit_the_same_form_still_lands(workbook: Path, bot: Bot) -> None:
    """The other side of the rule: the file showing the last journalled value is explained."""
    view = bot.open_form(L7_LEAD, "L7")
    assert cli(workbook, "update", "L7", "--next", X, "--by", "Helen Lowey") == sli.EXIT_OK
    assert cli(workbook, "update", "L7", "--next", Y, "--by", "Helen Lowey") == sli.EXIT_OK
    bot.submit(view, L7_LEAD, "Joanne's own step")
    [dm] = [c["args"] for c in bot.standin.wait_for("chat.postMessage", timeout=30)]
    assert "L7 updated" in dm["text"], dm["text"]
    assert read_appendix(workbook).rows["L7"][s.NEXT_STEPS] == "Joanne's own step"


def apply_pending(monkeypatch: pytest.MonkeyPatch, workbook: Path, book: OfficeJsStandIn) -> str:
    """The add-in's *Apply pending updates* on the open book; returns the alert it showed."""
    serve(monkeypatch, workbook)
    with TestClient(APP) as http:
        response = http.post("/xlwings/custom-scripts-call/apply_pending_updates", json=book.request())
    assert response.status_code == 200, response.text
    book.apply(response.json())
    return book.alerts[-1]["prompt"]


def test_the_addin_keeps_an_officers_edit_back_to_an_earlier_delivered_value(
        workbook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store.for_workbook(workbook)
    write_owner_file(workbook, "Sana Iqbal")  # Excel has the workbook open
    view = store.journal().view_mark()  # a form opened now, on the file's value
    original = read_appendix(workbook).rows["L7"][s.NEXT_STEPS]
    assert cli(workbook, "update", "L7", "--next", X, "--by", "Helen Lowey") == sli.EXIT_PENDING
    assert cli(workbook, "update", "L7", "--next", Y, "--by", "Helen Lowey") == sli.EXIT_PENDING
    book = OfficeJsStandIn.for_workbook(workbook)
    assert "Applied 2 updates" in apply_pending(monkeypatch, workbook, book)
    set_cell(book.payload, s.MAIN_SHEET, NEXT_CELL, X)  # the officer types Step X back in the open book
    form, _ = store.journal().record(ref="L7", changes={s.NEXT_STEPS: "Form step"}, seen={s.NEXT_STEPS: original},
                                     by="Joanne Whitworth", via=s.VIA_SLACK, state=j.PENDING, view_seq=view)
    alert = apply_pending(monkeypatch, workbook, book)
    assert "Kept 1 conflict" in alert and X in alert, alert
    assert get_cell(book.payload, s.MAIN_SHEET, NEXT_CELL) == X
    assert store.journal().get(form.id).state == j.CONFLICT


def test_the_addin_holds_later_updates_behind_one_the_open_book_lost(
        workbook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Updates delivered into Excel, which is then closed without saving and opened again before the next
    pass: a later update of the same recommendation must not go into the book ahead of them."""
    store = Store.for_workbook(workbook)
    owner = write_owner_file(workbook, "Sana Iqbal")
    assert cli(workbook, "update", "L7", "--next", X, "--by", "Helen Lowey") == sli.EXIT_PENDING
    first = OfficeJsStandIn.for_workbook(workbook)
    assert "Applied 1 update" in apply_pending(monkeypatch, workbook, first)
    [a] = store.journal().for_ref("L7")
    assert a.state == j.IN_EXCEL
    # Closed without saving, opened again (the owner file is Excel's again) before any pass ran.
    owner.unlink()
    write_owner_file(workbook, "Sana Iqbal")
    assert cli(workbook, "update", "L7", "--next", Y, "--by", "Helen Lowey") == sli.EXIT_PENDING
    reopened = OfficeJsStandIn.for_workbook(workbook)
    assert get_cell(reopened.payload, s.MAIN_SHEET, NEXT_CELL) != X
    alert = apply_pending(monkeypatch, workbook, reopened)
    assert "Applied" not in alert, alert
    assert get_cell(reopened.payload, s.MAIN_SHEET, NEXT_CELL) not in (X, Y)
    [_, b] = store.journal().for_ref("L7")
    assert b.state == j.PENDING
    # Excel closes: the next pass writes them in journal order, Y last, and nobody's update conflicts.
    (workbook.parent / f"~${workbook.name}").unlink()
    assert cli(workbook, "sync") == sli.EXIT_OK
    rows = [(e.update_id, e.new_value) for e in read_change_log(workbook) if e.field == s.NEXT_STEPS]
    assert rows == [(a.id, X), (b.id, Y)]
    assert read_appendix(workbook).rows["L7"][s.NEXT_STEPS] == Y
    assert store.journal().in_states(j.CONFLICT) == []


def test_a_book_that_holds_its_delivered_updates_takes_later_ones_before_it_is_saved(
        workbook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The ordinary case is not held: applied, a later update arrives, applied again before saving."""
    store = Store.for_workbook(workbook)
    write_owner_file(workbook, "Sana Iqbal")
    assert cli(workbook, "update", "L7", "--next", X, "--by", "Helen Lowey") == sli.EXIT_PENDING
    book = OfficeJsStandIn.for_workbook(workbook)
    assert "Applied 1 update" in apply_pending(monkeypatch, workbook, book)
    assert cli(workbook, "update", "L7", "--next", Y, "--by", "Helen Lowey") == sli.EXIT_PENDING
    assert "Applied 1 update" in apply_pending(monkeypatch, workbook, book)
    assert get_cell(book.payload, s.MAIN_SHEET, NEXT_CELL) == Y
    assert [e.state for e in store.journal().for_ref("L7")] == [j.IN_EXCEL, j.IN_EXCEL]


@pytest.mark.parametrize("stamps, file_shows, outcome", [
    # A journal from before writes kept their order: X was journalled first and written last (its stamp).
    (("2026-11-02T10:00:05", "2026-11-02T10:00:01"), X, j.APPLIED),
    # Written in order, Y last: the officer's Step X in the file is theirs, not the journal's.
    (("2026-11-02T10:00:01", "2026-11-02T10:00:05"), X, j.CONFLICT),
], ids=["written-out-of-order", "written-in-order"])
def test_sli_sync_follows_the_write_stamps_to_the_value_written_last(
        workbook: Path, capsys: pytest.CaptureFixture, stamps: tuple[str, str], file_shows: str,
        outcome: str) -> None:
    store = Store.for_workbook(workbook)
    journal = store.journal()
    original = read_appendix(workbook).rows["L7"][s.NEXT_STEPS]
    view = journal.view_mark()  # a form opened now
    first, _ = journal.record(ref="L7", changes={s.NEXT_STEPS: X}, seen={s.NEXT_STEPS: original}, by="Helen Lowey",
                              via=s.VIA_CLI, state=j.PENDING, view_seq=view)
    second, _ = journal.record(ref="L7", changes={s.NEXT_STEPS: Y}, seen={s.NEXT_STEPS: original}, by="Aisha Khan",
                               via=s.VIA_SLACK, state=j.PENDING, view_seq=view)
    # Each replaced what the other left, as two writes in some order would; the stamps say which went last.
    journal.set_state(first.id, j.APPLIED, {"changes": {s.NEXT_STEPS: [Y, X]}, "written_at": stamps[0]})
    journal.set_state(second.id, j.APPLIED, {"changes": {s.NEXT_STEPS: [X, Y]}, "written_at": stamps[1]})
    officer_sets_next_steps(workbook, file_shows)
    form, _ = journal.record(ref="L7", changes={s.NEXT_STEPS: "Form step"}, seen={s.NEXT_STEPS: original},
                             by="Sana Iqbal", via=s.VIA_SLACK, state=j.PENDING, view_seq=view)
    cli(workbook, "sync")
    assert journal.get(form.id).state == outcome, capsys.readouterr().out
    expected = "Form step" if outcome == j.APPLIED else file_shows
    assert read_appendix(workbook).rows["L7"][s.NEXT_STEPS] == expected
