"""The real Bolt app, served over HTTP on 127.0.0.1, driven with correctly signed requests; its Web API
calls go to a local stand-in for Slack. The workbook is a real file read back by openpyxl and calamine."""

from __future__ import annotations

import json
import time
from pathlib import Path

import openpyxl
import pytest
from slack_standin import BoltHTTP, SlackStandIn

from bot import blocks
from bot.app import LISTENER_THREADS, Settings, create_app
from bot.http_server import serve_in_thread
from bot.notifier import Notifier
from shared.domain import schema as s
from shared.owner import write_owner_file
from shared.reader import read_appendix, read_change_log

SECRET = "test-signing-secret"
OFFICER = "U07SLI0006"          # Sana Iqbal, officer
L7_LEAD = "U07SLI0002"          # Joanne Whitworth, lead of BwD Council Public Health (L7's lead organisation)
ELHT_LEAD = "U07SLI0012"        # Anita Patel, lead of ELHT


class Harness:
    def __init__(self, standin: SlackStandIn, workbook: Path, settings: Settings,
                 listener_threads: int = LISTENER_THREADS):
        self.standin, self.workbook, self.settings = standin, workbook, settings
        self.app = create_app(settings, listener_threads=listener_threads)
        self.server = serve_in_thread(self.app)
        self.http = BoltHTTP(f"http://127.0.0.1:{self.server.server_port}/slack/events", SECRET, standin=standin)

    def reply(self, count: int = 1) -> dict:
        """The latest response_url message (Bolt's respond(), after the ack)."""
        return self.standin.wait_for("response_url", count=count)[-1]["args"]

    def messages(self, count: int = 1) -> list[dict]:
        return [c["args"] for c in self.standin.wait_for("chat.postMessage", count=count)]

    def reply_to(self, key: str, timeout: float = 10.0) -> dict:
        """The response_url message posted to `standin.response_url(key)`, waiting up to `timeout` seconds."""
        deadline, count = time.monotonic() + timeout, 1
        while True:
            calls = self.standin.wait_for("response_url", count=count, timeout=max(0.0, deadline - time.monotonic()))
            for call in calls:
                if call["args"].get("_key") == key:
                    return call["args"]
            count = len(calls) + 1


def _harness(workbook: Path, listener_threads: int = LISTENER_THREADS):
    with SlackStandIn() as standin:
        settings = Settings(bot_token="xoxb-test", signing_secret=SECRET, api_url=standin.base_url,
                            workbook=workbook, poll_seconds=3600)
        harness = Harness(standin, workbook, settings, listener_threads)
        yield harness
        harness.server.shutdown()


@pytest.fixture
def bot(workbook: Path):
    yield from _harness(workbook)


@pytest.fixture
def serial_bot(workbook: Path):
    """The app with ONE listener thread: Bolt queues each request's listener before it answers the request,
    so listeners run one after another in the order requests were answered, and the bot's one writer thread
    takes their writes in that order too. A test that must show a request did nothing sends a later,
    distinct request and waits for that one's effect: whatever the first could have done, it would have
    done by then. No sleeping, and no passing because the wait was too short."""
    yield from _harness(workbook, listener_threads=1)


def test_status_and_keyword_queries(bot: Harness) -> None:
    status, _ = bot.http.command(text="status l07", user_id=ELHT_LEAD)
    assert status == 200
    reply = bot.reply()
    assert reply["text"].startswith("L7 (Off track)")
    assert reply["response_type"] == "ephemeral"
    assert any(b["type"] == "header" and "L7" in b["text"]["text"] for b in reply["blocks"])

    bot.http.command(text="status safer sleeping", user_id=ELHT_LEAD)
    reply = bot.reply(2)
    appendix = read_appendix(bot.workbook)
    expected = [r.ref for r in appendix.rows.values() if "Safer Sleeping" == r[s.PRIORITY]]
    assert expected and all(ref in reply["text"] for ref in expected)

    bot.http.command(text="list ELHT", user_id=ELHT_LEAD)
    reply = bot.reply(3)
    elht = [r.ref for r in appendix.rows.values() if "ELHT" in r.lead_org]
    assert f"({len(elht)})" in reply["text"]


def test_one_line_update_with_curly_quotes_and_uk_date(bot: Harness) -> None:
    text = 'update 7 status=\u201cAt risk\u201d next=\u201cAgree safer sleep audit with ELHT\u201d due=31/01/2027'
    status, body = bot.http.command(text=text, user_id=L7_LEAD)
    assert status == 200 and "Recorded your update to L7" in body
    reply = bot.reply()
    assert "L7 updated" in reply["text"]
    ws = openpyxl.load_workbook(bot.workbook)[s.MAIN_SHEET]
    row = next(r for r in ws.iter_rows(min_row=4) if r[0].value == "L7")
    assert (row[5].value, row[7].value, row[8].value.date().isoformat()) == (
        "At risk", "Agree safer sleep audit with ELHT", "2027-01-31")
    assert row[10].value == "Joanne Whitworth"
    log = read_change_log(bot.workbook)
    assert {e.field for e in log} == {s.STATUS, s.NEXT_STEPS, s.DUE}
    assert all(e.via == "Slack" and e.by == "Joanne Whitworth" for e in log)


def test_formula_is_refused_and_formula_like_text_kept_as_text(bot: Harness) -> None:
    before = bot.workbook.read_bytes()
    _, body = bot.http.command(text='update 7 next="=HYPERLINK(\\"http://x\\",\\"y\\")"', user_id=L7_LEAD)
    refusal = json.loads(body)  # refused at once, in the acknowledgement itself
    assert "not recorded" in refusal["text"] and "formula" in refusal["text"]
    assert bot.workbook.read_bytes() == before

    bot.http.command(text='update 7 next="-Agree audit, -then report"', user_id=L7_LEAD)
    assert "L7 updated" in bot.reply()["text"]
    cell = next(r for r in openpyxl.load_workbook(bot.workbook)[s.MAIN_SHEET].iter_rows(min_row=4)
                if r[0].value == "L7")[7]
    assert cell.value == "-Agree audit, -then report" and cell.data_type == "s" and cell.quotePrefix


def test_unauthorised_user_is_refused_and_told_who_can(bot: Harness) -> None:
    before = bot.workbook.read_bytes()
    _, body = bot.http.command(text='update L7 status="On track"', user_id=ELHT_LEAD)
    reply = json.loads(body)
    assert "Only the leads of BwD Council Public Health" in reply["text"]
    assert "Joanne Whitworth" in reply["text"] and "Sana Iqbal" in reply["text"]
    assert bot.workbook.read_bytes() == before


def _submission(view: dict, user_id: str, **values: str) -> dict:
    state = {"status": {"value": {"type": "static_select", "selected_option": {"value": values.get("status", "")}}},
             "summary": {"value": {"type": "plain_text_input", "value": values.get("summary")}},
             "next": {"value": {"type": "plain_text_input", "value": values.get("next")}},
             "due": {"value": {"type": "datepicker", "selected_date": values.get("due")}}}
    return {"type": "view_submission", "team": {"id": "T1"}, "user": {"id": user_id}, "api_app_id": "A1",
            "token": "x", "trigger_id": "1.2.t", "view": {**view, "state": {"values": state}}}


def _open_modal(bot: Harness, user_id: str, ref: str = "L7") -> dict:
    status, _ = bot.http.command(text=f"update {ref}", user_id=user_id, trigger_id="1.2.trig")
    assert status == 200
    opened = bot.standin.wait_for("views.open")[-1]["args"]
    assert opened["trigger_id"] == "1.2.trig" and "Reading" in json.dumps(opened["view"])
    return bot.standin.wait_for("views.update")[-1]["args"]["view"]


def test_modal_open_then_submit_writes_the_workbook(serial_bot: Harness) -> None:
    bot = serial_bot
    view = _open_modal(bot, L7_LEAD)
    by_block = {b.get("block_id"): b for b in view["blocks"]}
    assert by_block["status"]["element"]["initial_option"]["value"] == "Off track"
    assert by_block["due"]["element"]["initial_date"] == "2027-03-31"
    view = {**view, "id": "V1", "hash": "h1"}
    current = read_appendix(bot.workbook).rows["L7"]
    submitted = _submission(view, L7_LEAD, status="On track", summary=current[s.SUMMARY],
                            next="Recruit six peer supporters", due="2027-03-31")
    now = int(time.time())  # each delivery signed at its own second, as Slack does: not a replay of the same bytes
    status, body = bot.http.interactive(submitted, timestamp=now - 1)
    assert status == 200 and body == ""
    [dm] = bot.messages()
    assert dm["channel"] == L7_LEAD and "L7 updated" in dm["text"]
    row = read_appendix(bot.workbook).rows["L7"]
    assert (row.status, row[s.NEXT_STEPS]) == ("On track", "Recruit six peer supporters")
    # Only the fields changed in the form were sent: summary and due date are not in the log.
    assert sorted(e.field for e in read_change_log(bot.workbook)) == [s.NEXT_STEPS, s.STATUS]

    # A double-clicked submit: the same view again is acknowledged and acts no further. A later update,
    # listened to and written after anything the duplicate could have queued, is waited for first.
    assert bot.http.interactive(submitted, timestamp=now)[0] == 200
    bot.http.command(text="update 7 due=30/04/2027", user_id=L7_LEAD, response_url=bot.standin.response_url("later"))
    assert "L7 updated" in bot.reply_to("later")["text"]
    assert len(bot.standin.calls("chat.postMessage")) == 1  # the first submit's message only
    assert sorted(e.field for e in read_change_log(bot.workbook)) == [s.DUE, s.NEXT_STEPS, s.STATUS]
    assert len(bot.settings.store().journal().for_ref("L7")) == 2  # the submit and the later update


def test_invalid_modal_submit_shows_errors_inline_and_writes_nothing(bot: Harness) -> None:
    view = {**_open_modal(bot, OFFICER), "id": "V2", "hash": "h2"}
    before = bot.workbook.read_bytes()
    status, body = bot.http.interactive(_submission(view, OFFICER, status="At risk", summary="x", next="", due=None))
    assert status == 200
    answer = json.loads(body)
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"next", "due"}
    assert bot.workbook.read_bytes() == before
    assert bot.standin.calls("chat.postMessage") == []


def test_forged_or_stale_signature_is_refused(serial_bot: Harness) -> None:
    bot = serial_bot
    status_before = read_appendix(bot.workbook).rows["L7"].status
    assert status_before != "On track"
    status, _ = bot.http.command(text='update 7 status="On track"', user_id=L7_LEAD, bad_signature=True,
                                 response_url=bot.standin.response_url("forged"))
    assert status == 401
    status, _ = bot.http.command(text='update 7 status="On track"', user_id=L7_LEAD,
                                 timestamp=int(time.time()) - 6 * 60, response_url=bot.standin.response_url("stale"))
    assert status == 401
    # A later, correctly signed update is listened to and written after anything the refused ones could have
    # started: once it is told, the refused ones have left no trace.
    bot.http.command(text='update 7 next="Agree cover"', user_id=L7_LEAD,
                     response_url=bot.standin.response_url("later"))
    assert "L7 updated" in bot.reply_to("later")["text"]
    assert [c["args"]["_key"] for c in bot.standin.calls("response_url")] == ["later"]
    assert [e.field for e in read_change_log(bot.workbook)] == [s.NEXT_STEPS]
    assert read_appendix(bot.workbook).rows["L7"].status == status_before
    assert len(bot.settings.store().journal().for_ref("L7")) == 1


def test_retried_event_is_answered_once(serial_bot: Harness) -> None:
    bot = serial_bot
    event = {"type": "message", "channel_type": "im", "channel": "D1", "user": ELHT_LEAD, "text": "status of 7",
             "ts": "1.1"}
    now = int(time.time())  # Slack signs each retry afresh (its own timestamp): a same-signature resend is a replay
    assert bot.http.event(event, event_id="Ev42", timestamp=now - 2)[0] == 200
    assert bot.http.event(event, event_id="Ev42", retry_num=1, timestamp=now - 1)[0] == 200
    assert bot.http.event(event, event_id="Ev42", retry_num=2, timestamp=now)[0] == 200
    # A later, distinct event is listened to after any answer to the retries: its answer comes second.
    assert bot.http.event({**event, "text": "status of 3", "ts": "1.2"}, event_id="Ev43")[0] == 200
    assert [m["text"].split(" (")[0] for m in bot.messages(2)] == ["L7", "L3"]
    assert len(bot.standin.calls("chat.postMessage")) == 2


def test_pending_update_is_confirmed_when_applied(bot: Harness) -> None:
    owner = write_owner_file(bot.workbook, "Helen Lowey")
    before = bot.workbook.read_bytes()
    bot.http.command(text='update 7 status="On track" next="Recruit peer supporters"', user_id=L7_LEAD)
    reply = bot.reply()
    assert "not yet in the workbook" in reply["text"] and "Helen Lowey" in reply["text"]
    assert bot.workbook.read_bytes() == before

    notifier = Notifier(bot.settings.store(), bot.app.client)
    assert notifier.run_once() == 0  # still open in Excel: nothing written, nobody told
    assert bot.workbook.read_bytes() == before
    owner.unlink()
    assert notifier.run_once() == 1
    [dm] = bot.messages()
    assert dm["channel"] == L7_LEAD and "L7 updated" in dm["text"]
    assert read_appendix(bot.workbook).rows["L7"].status == "On track"
    assert notifier.run_once() == 0  # told once


def test_mention_home_and_help(bot: Harness) -> None:
    bot.http.event({"type": "app_mention", "channel": "C1", "user": ELHT_LEAD, "text": "<@UBOT> what is at risk?",
                    "ts": "5.5"}, event_id="Ev1")
    [mention] = bot.messages()
    at_risk = [r.ref for r in read_appendix(bot.workbook).rows.values() if r.status in ("At risk", "Off track")]
    assert mention["thread_ts"] == "5.5" and f"({len(at_risk)})" in mention["text"]  # Off track counts as at risk

    bot.http.event({"type": "message", "channel_type": "im", "channel": "D1", "user": ELHT_LEAD,
                    "text": "can you sing?", "ts": "6.6"}, event_id="Ev2")
    help_message = bot.messages(2)[-1]
    assert "didn't understand" in help_message["text"] and "/sli status L7" in help_message["text"]

    bot.http.event({"type": "app_home_opened", "user": ELHT_LEAD, "tab": "home"}, event_id="Ev3")
    home = bot.standin.wait_for("views.publish")[-1]["args"]
    buttons = [b["accessory"]["value"] for b in home["view"]["blocks"] if b.get("accessory")]
    elht = [r.ref for r in read_appendix(bot.workbook).rows.values() if "ELHT" in r.lead_org]
    assert buttons == elht
    assert home["user_id"] == ELHT_LEAD

    bot.http.interactive({"type": "block_actions", "user": {"id": ELHT_LEAD}, "team": {"id": "T1"},
                          "api_app_id": "A1", "trigger_id": "9.9.home", "token": "x",
                          "actions": [{"action_id": blocks.OPEN_UPDATE_ACTION, "value": elht[0], "type": "button",
                                       "block_id": "b1"}]})
    assert bot.standin.wait_for("views.open")[-1]["args"]["trigger_id"] == "9.9.home"
    updated = bot.standin.wait_for("views.update")[-1]["args"]["view"]
    assert f"Update {elht[0]}" == updated["title"]["text"] and updated.get("submit")


def test_rate_limited_post_is_retried(bot: Harness) -> None:
    bot.standin.fail_next("chat.postMessage", status=429, retry_after=0)
    bot.http.event({"type": "message", "channel_type": "im", "channel": "D1", "user": ELHT_LEAD,
                    "text": "status of 3", "ts": "7.7"}, event_id="Ev7")
    calls = bot.standin.wait_for("chat.postMessage", count=2, timeout=10)
    assert [c["status"] for c in calls] == [429, 200]
