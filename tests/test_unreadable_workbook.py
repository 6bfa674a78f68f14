"""A workbook that cannot be read (not a zip, its `Appendix 1` sheet renamed, a damaged sheet, no file at
all) while the bots run: every Slack and Teams handler answers within Slack's 3 s with the sentence the
command line prints for it (exit code 2), and an update is journalled nowhere.

Slack: the real Bolt app served over HTTP, sent signed requests; what it says goes to the Slack stand-in
(response_url, views, chat.postMessage). Teams: the real SDK app, sent Bot Framework activities; what it
says goes to the connector stand-in. The expected words come from `sli` itself, run on the same file."""

from __future__ import annotations

import io
import json
import os
import re
import time
import zipfile
from contextlib import redirect_stderr
from pathlib import Path

import openpyxl
import pytest
import teams_standin as ts
from slack_standin import BoltHTTP, SlackStandIn

import sli
from bot import blocks
from bot.app import Settings, create_app
from bot.http_server import serve_in_thread
from bot.teams import cards
from bot.teams.app import Running, TeamsBot
from shared.domain import schema as s
from shared.journal import FINAL_STATES, OPEN_STATES
from shared.usecases import Store

SECRET = "test-signing-secret"
L7_LEAD = "U07SLI0002"          # Joanne Whitworth, lead of BwD Council Public Health (L7's lead organisation)
ELHT_LEAD = "U07SLI0012"        # Anita Patel, lead of ELHT
OFFICER_AAD = "5e1a0c3d-7b2f-4e81-9c4a-000000000006"   # Sana Iqbal, officer, in Teams
ACK_BUDGET = 3.0                # Slack shows "dispatch_failed" after 3 s
STATES = ["not a zip", "sheet renamed", "damaged sheet", "missing"]


def make_unreadable(workbook: Path, how: str) -> None:
    """Spoil the workbook the way it happens on a shared drive, replacing the file (new identity)."""
    spoiled = workbook.with_name("spoiled.tmp")
    if how == "missing":
        workbook.unlink()
        return
    if how == "not a zip":
        spoiled.write_bytes(b"This was saved as something else entirely.\n")
    elif how == "sheet renamed":
        book = openpyxl.load_workbook(workbook)
        book[s.MAIN_SHEET].title = "Appendix 1 (old)"
        book.save(spoiled)
    elif how == "damaged sheet":  # a copy cut short inside Appendix 1's XML: the zip itself reads
        with zipfile.ZipFile(workbook) as source, zipfile.ZipFile(spoiled, "w", zipfile.ZIP_DEFLATED) as target:
            for name in source.namelist():
                data = source.read(name)
                target.writestr(name, data[: len(data) // 2] if name == "xl/worksheets/sheet1.xml" else data)
    os.replace(spoiled, workbook)


def cli_sentence(workbook: Path) -> str:
    """What `sli status 7` says about this workbook: the words every chat answer must carry."""
    err = io.StringIO()
    with redirect_stderr(err):
        assert sli.main(["status", "7", "--workbook", str(workbook)]) == 2
    line = err.getvalue().strip()
    assert line.startswith("sli: ") and "\n" not in line, line
    return line.removeprefix("sli: ")


def journalled(workbook: Path) -> list:
    store = Store.for_workbook(workbook)
    return store.journal().in_states(*OPEN_STATES, *FINAL_STATES) if store.journal_path.exists() else []


def timed(send):
    """(seconds, what `send()` returned)."""
    start = time.monotonic()
    result = send()
    return time.monotonic() - start, result


# --- Slack ---------------------------------------------------------------------------------------

class Slack:
    def __init__(self, standin: SlackStandIn, workbook: Path):
        self.standin, self.workbook = standin, workbook
        self.app = create_app(Settings(bot_token="xoxb-test", signing_secret=SECRET, api_url=standin.base_url,
                                       workbook=workbook, poll_seconds=3600))
        self.server = serve_in_thread(self.app)
        self.http = BoltHTTP(f"http://127.0.0.1:{self.server.server_port}/slack/events", SECRET, standin=standin)
        self._events = 0

    def event(self, event: dict) -> tuple[float, tuple[int, str]]:
        self._events += 1
        return timed(lambda: self.http.event(event, event_id=f"Ev{self._events}"))

    def later(self, method: str, count: int, started: float) -> dict:
        """The `count`-th call of `method` on the stand-in, which must come within the budget of `started`."""
        calls = self.standin.wait_for(method, count=count, timeout=max(0.1, ACK_BUDGET - (time.monotonic() - started)))
        return calls[count - 1]["args"]


@pytest.fixture
def slack(workbook: Path):
    with SlackStandIn() as standin:
        harness = Slack(standin, workbook)
        yield harness
        harness.server.shutdown()
        harness.server.server_close()


def section_texts(view: dict) -> str:
    return "\n".join(b["text"]["text"] for b in view["blocks"] if b.get("type") == "section")


@pytest.mark.parametrize("how", STATES)
def test_slack_questions_answer_with_the_command_lines_sentence(slack: Slack, how: str) -> None:
    make_unreadable(slack.workbook, how)
    sentence = cli_sentence(slack.workbook)
    for n, typed in enumerate(["status 7", "list at risk", "status safer sleeping", "mine", "list ELHT"], 1):
        started = time.monotonic()
        seconds, (status, _) = timed(lambda typed=typed: slack.http.command(text=typed, user_id=ELHT_LEAD))
        assert status == 200 and seconds < ACK_BUDGET, (typed, status, seconds)
        reply = slack.later("response_url", n, started)
        assert reply["text"] == sentence, (typed, reply["text"])


@pytest.mark.parametrize("how", STATES)
def test_slack_one_line_update_is_refused_with_the_sentence_and_journals_nothing(slack: Slack, how: str) -> None:
    make_unreadable(slack.workbook, how)
    sentence = cli_sentence(slack.workbook)
    seconds, (status, body) = timed(lambda: slack.http.command(text='update 7 status="On track"', user_id=L7_LEAD))
    assert status == 200 and seconds < ACK_BUDGET
    answer = json.loads(body)  # in the acknowledgement itself
    assert answer["text"].startswith(":x: L7: not recorded.") and sentence in answer["text"]
    assert journalled(slack.workbook) == []


@pytest.mark.parametrize("how", STATES)
def test_slack_update_form_and_update_button_show_the_sentence(slack: Slack, how: str) -> None:
    make_unreadable(slack.workbook, how)
    sentence = cli_sentence(slack.workbook)
    started = time.monotonic()
    seconds, (status, _) = timed(lambda: slack.http.command(text="update 7", user_id=L7_LEAD, trigger_id="1.2.t"))
    assert status == 200 and seconds < ACK_BUDGET
    assert slack.later("views.open", 1, started)["trigger_id"] == "1.2.t"  # opened before the trigger expires
    assert sentence in section_texts(slack.later("views.update", 1, started)["view"])

    started = time.monotonic()
    seconds, (status, _) = timed(lambda: slack.http.interactive({
        "type": "block_actions", "user": {"id": ELHT_LEAD}, "team": {"id": "T1"}, "api_app_id": "A1",
        "trigger_id": "9.9.home", "token": "x",
        "actions": [{"action_id": blocks.OPEN_UPDATE_ACTION, "value": "L3", "type": "button", "block_id": "b1"}]}))
    assert status == 200 and seconds < ACK_BUDGET
    assert slack.later("views.open", 2, started)["trigger_id"] == "9.9.home"
    assert sentence in section_texts(slack.later("views.update", 2, started)["view"])
    assert journalled(slack.workbook) == []


def _submission(view: dict, user_id: str, **values: str) -> dict:
    state = {"status": {"value": {"type": "static_select", "selected_option": {"value": values["status"]}}},
             "summary": {"value": {"type": "plain_text_input", "value": values.get("summary")}},
             "next": {"value": {"type": "plain_text_input", "value": values.get("next")}},
             "due": {"value": {"type": "datepicker", "selected_date": values.get("due")}}}
    return {"type": "view_submission", "team": {"id": "T1"}, "user": {"id": user_id}, "api_app_id": "A1",
            "token": "x", "trigger_id": "1.2.s", "view": {**view, "state": {"values": state}}}


@pytest.mark.parametrize("how", STATES)
def test_slack_modal_submission_shows_the_sentence_over_the_form_and_journals_nothing(slack: Slack,
                                                                                    how: str) -> None:
    slack.http.command(text="update 7", user_id=L7_LEAD, trigger_id="1.2.t")  # opened while the file read
    view = {**slack.standin.wait_for("views.update")[-1]["args"]["view"], "id": "V7", "hash": "h7"}
    assert view.get("submit"), "the form itself, not a notice"
    make_unreadable(slack.workbook, how)
    sentence = cli_sentence(slack.workbook)
    seconds, (status, body) = timed(lambda: slack.http.interactive(
        _submission(view, L7_LEAD, status="On track", next="Recruit six peer supporters", due="2027-03-31")))
    assert status == 200 and seconds < ACK_BUDGET
    answer = json.loads(body)
    # Pushed over the form, which stays underneath with what was typed; the whole sentence, not cut short.
    assert answer["response_action"] == "push"
    assert sentence in section_texts(answer["view"]) and "not recorded" in section_texts(answer["view"])
    assert journalled(slack.workbook) == []


@pytest.mark.parametrize("how", STATES)
def test_slack_app_home_direct_messages_and_mentions_say_the_sentence(slack: Slack, how: str) -> None:
    make_unreadable(slack.workbook, how)
    sentence = cli_sentence(slack.workbook)

    started = time.monotonic()
    seconds, (status, _) = slack.event({"type": "app_home_opened", "user": ELHT_LEAD, "tab": "home"})
    assert status == 200 and seconds < ACK_BUDGET
    home = slack.later("views.publish", 1, started)
    assert home["user_id"] == ELHT_LEAD and sentence in section_texts(home["view"])

    started = time.monotonic()
    seconds, (status, _) = slack.event({"type": "message", "channel_type": "im", "channel": "D1",
                                        "user": ELHT_LEAD, "text": "what is at risk?", "ts": "1.1"})
    assert status == 200 and seconds < ACK_BUDGET
    assert slack.later("chat.postMessage", 1, started)["text"] == sentence

    started = time.monotonic()
    seconds, (status, _) = slack.event({"type": "app_mention", "channel": "C1", "user": ELHT_LEAD,
                                        "text": "<@UBOT> status of 7", "ts": "5.5"})
    assert status == 200 and seconds < ACK_BUDGET
    mention = slack.later("chat.postMessage", 2, started)
    assert mention["text"] == sentence and mention["thread_ts"] == "5.5"

    started = time.monotonic()
    seconds, (status, _) = slack.event({"type": "message", "channel_type": "im", "channel": "D2", "user": L7_LEAD,
                                        "text": 'update 7 status="On track"', "ts": "2.2"})
    assert status == 200 and seconds < ACK_BUDGET
    refused = slack.later("chat.postMessage", 3, started)["text"]
    assert refused.startswith(":x: L7: not recorded.") and sentence in refused
    assert journalled(slack.workbook) == []


# --- Teams ---------------------------------------------------------------------------------------

class Teams:
    def __init__(self, workbook: Path):
        self.workbook = workbook
        self.standin = ts.ConnectorStandIn()
        self.bot = TeamsBot(Settings(workbook=workbook, poll_seconds=3600), local=True)
        self.running = Running(self.bot)

    def send(self, aad: str = OFFICER_AAD, **kwargs) -> tuple[float, dict]:
        """Send one activity; (seconds until the bot's reply reached the connector, that reply)."""
        mark = self.standin.mark()
        started = time.monotonic()
        response = ts.post(self.running.url, ts.activity(self.standin, ts.user(aad), **kwargs))
        assert response.status_code in (200, 202), response.text
        got = self.standin.wait_for(1, start=mark, timeout=ACK_BUDGET)
        assert got, "no answer within the budget"
        return time.monotonic() - started, got[0]

    def invoke(self, data: dict, aad: str = OFFICER_AAD) -> tuple[float, dict]:
        """Press an Action.Execute button: (seconds, the card that replaces the one pressed)."""
        body = ts.activity(self.standin, ts.user(aad), kind="invoke", name="adaptiveCard/action",
                           value={"action": {"type": "Action.Execute", "verb": data["verb"], "data": data},
                                  "trigger": "manual"})
        seconds, response = timed(lambda: ts.post(self.running.url, body))
        assert response.status_code == 200, response.text
        return seconds, response.json()["value"]

    def close(self) -> None:
        self.running.stop()
        self.standin.close()


@pytest.fixture
def teams(workbook: Path):
    harness = Teams(workbook)
    yield harness
    harness.close()


def shown(text: str) -> str:
    """What a Teams reader sees of escaped text (`cards.inert`)."""
    return re.sub(r"\\(.)", r"\1", text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def card_texts(content: dict) -> str:
    return "\n".join(shown(b["text"]) for b in content.get("body", []) if b.get("type") == "TextBlock")


def said(activity: dict) -> str:
    """A message's text, or its card's text blocks."""
    if activity.get("text"):
        return shown(activity["text"])
    return "\n".join(card_texts(a["content"]) for a in activity.get("attachments", [])
                     if a["contentType"] == cards.CARD)


@pytest.mark.parametrize("how", STATES)
def test_teams_questions_and_one_line_updates_answer_with_the_sentence(teams: Teams, how: str) -> None:
    make_unreadable(teams.workbook, how)
    sentence = cli_sentence(teams.workbook)
    for typed in ["status 7", "list at risk", "status safer sleeping", "mine", "what is at risk?"]:
        seconds, reply = teams.send(text=typed)
        assert said(reply) == sentence and seconds < ACK_BUDGET, (typed, said(reply), seconds)
    seconds, reply = teams.send(text='update 7 status="On track"')
    assert seconds < ACK_BUDGET
    assert said(reply).startswith("❌ **L7: not recorded.**") and sentence in said(reply)
    assert journalled(teams.workbook) == []


@pytest.mark.parametrize("how", STATES)
def test_teams_forms_opened_and_submitted_show_the_sentence_and_journal_nothing(teams: Teams, how: str) -> None:
    _, opened = teams.send(text="update 7")  # a form opened while the file read
    [form] = [a["content"] for a in opened["attachments"] if a["contentType"] == cards.CARD]
    data = form["actions"][0]["data"]
    assert data["verb"] == cards.UPDATE_VERB
    make_unreadable(teams.workbook, how)
    sentence = cli_sentence(teams.workbook)

    seconds, reply = teams.send(text="update 7")  # typed
    assert said(reply) == sentence and seconds < ACK_BUDGET
    seconds, reply = teams.send(value={"verb": cards.OPEN_FORM_VERB, "ref": "L7"})  # a card's Update button
    assert said(reply) == sentence and seconds < ACK_BUDGET
    seconds, card = teams.invoke({"verb": cards.OPEN_FORM_VERB, "ref": "L7"})  # the same, as Action.Execute
    assert card_texts(card) == sentence and seconds < ACK_BUDGET

    submitted = {**data, "status": "On track", "next": "Recruit six peer supporters"}
    seconds, card = teams.invoke(submitted)  # Save (Action.Execute): the card shown in the form's place
    assert seconds < ACK_BUDGET and card_texts(card) == f"L7: not recorded. {sentence}"
    seconds, reply = teams.send(value=submitted)  # Save on an older client (Action.Submit)
    assert seconds < ACK_BUDGET and said(reply) == f"L7: not recorded. {sentence}"
    assert journalled(teams.workbook) == []
