"""One door for every front end: the real Slack app (signed HTTP requests, the Slack stand-in) and the real
Teams app (Bot Framework activities, the connector stand-in) are given one `Context` (an in-memory workbook,
a fixed clock) and a form update from each goes through the same use-case functions into it, touching no
file. Which functions of shared/usecases/updating.py the front ends call is recorded with a profiler."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import teams_standin as ts
from memory_uow import MEMORY_WORKBOOK, MemoryWorkbook
from slack_standin import BoltHTTP, SlackStandIn

from bot.app import create_app
from bot.http_server import serve_in_thread
from bot.teams import cards
from bot.teams.app import Running, TeamsBot
from shared.domain import schema as s
from shared.settings import Settings

NOW = datetime(2027, 2, 15, 10, 30, tzinfo=UTC)
SECRET = "test-signing-secret"
L7_LEAD = "U07SLI0002"                                   # Joanne Whitworth, lead of L7's organisation
TEAMS_OFFICER = "5e1a0c3d-7b2f-4e81-9c4a-000000000006"  # Sana Iqbal, officer
ROOT = Path(__file__).resolve().parents[1]
UPDATING = str(ROOT / "shared" / "usecases" / "updating.py")


class UseCaseCalls:
    """The functions of updating.py that front-end code (bot/) calls, in every thread started meanwhile."""

    def __init__(self) -> None:
        self.called: set[str] = set()
        self._lock = threading.Lock()

    def _profile(self, frame, event: str, arg: object) -> None:
        if event == "call" and frame.f_code.co_filename == UPDATING and frame.f_back is not None \
                and Path(frame.f_back.f_code.co_filename).is_relative_to(ROOT / "bot"):
            with self._lock:
                self.called.add(frame.f_code.co_name)

    def __enter__(self) -> UseCaseCalls:
        threading.setprofile(self._profile)
        sys.setprofile(self._profile)
        return self

    def __exit__(self, *exc: object) -> None:
        sys.setprofile(None)
        threading.setprofile(None)  # type: ignore[arg-type]


@pytest.fixture
def memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryWorkbook]:
    folder = tmp_path / "cwd"
    folder.mkdir()
    monkeypatch.chdir(folder)
    book = MemoryWorkbook()
    yield book
    book.close()
    assert list(folder.iterdir()) == []  # no workbook, journal, lock or backup was made


def _slack_form_update(memory: MemoryWorkbook) -> None:
    with SlackStandIn() as standin:
        settings = Settings(bot_token="xoxb-test", signing_secret=SECRET, api_url=standin.base_url,
                            workbook=MEMORY_WORKBOOK, poll_seconds=3600)
        app = create_app(settings, listener_threads=1, ctx=memory.context(NOW))
        server = serve_in_thread(app)
        try:
            http = BoltHTTP(f"http://127.0.0.1:{server.server_port}/slack/events", SECRET, standin=standin)
            assert http.command(text="update L7", user_id=L7_LEAD, trigger_id="1.2.trig")[0] == 200
            view = standin.wait_for("views.update")[-1]["args"]["view"]
            values = {"status": {"value": {"type": "static_select", "selected_option": {"value": "At risk"}}},
                      "summary": {"value": {"type": "plain_text_input",
                                            "value": memory.appendix.rows["L7"][s.SUMMARY]}},
                      "next": {"value": {"type": "plain_text_input", "value": "Slack: recruit peer supporters"}},
                      "due": {"value": {"type": "datepicker", "selected_date": "2027-03-31"}}}
            submitted = {"type": "view_submission", "team": {"id": "T1"}, "user": {"id": L7_LEAD},
                         "api_app_id": "A1", "token": "x", "trigger_id": "1.2.t",
                         "view": {**view, "id": "V1", "hash": "h1", "state": {"values": values}}}
            assert http.interactive(submitted, timestamp=int(time.time()) - 1) == (200, "")
            [told] = standin.wait_for("chat.postMessage")
            assert told["args"]["channel"] == L7_LEAD and "L7 updated" in told["args"]["text"]
        finally:
            server.shutdown()
            server.server_close()


def _teams_card_update(memory: MemoryWorkbook) -> None:
    standin = ts.ConnectorStandIn()
    running = Running(TeamsBot(Settings(workbook=MEMORY_WORKBOOK, poll_seconds=3600), local=True,
                               ctx=memory.context(NOW)))
    try:
        mark = standin.mark()
        response = ts.post(running.url, ts.activity(standin, ts.user(TEAMS_OFFICER), text="update L8"))
        assert response.status_code in (200, 202), response.text
        [form] = standin.wait_for(1, start=mark)
        [card] = [a["content"] for a in form["attachments"] if a["contentType"] == cards.CARD]
        data = card["actions"][0]["data"]
        shown = {b["id"]: b.get("value") or "" for b in card["body"] if b["type"].startswith("Input.")}
        submitted = {**data, **shown, "next": "Teams: agree cover", "status": "On track"}
        mark = standin.mark()
        body = ts.activity(standin, ts.user(TEAMS_OFFICER), kind="invoke", name="adaptiveCard/action",
                           value={"action": {"type": "Action.Execute", "verb": data["verb"], "data": submitted},
                                  "trigger": "manual"})
        answer = ts.post(running.url, body)
        assert answer.status_code == 200 and "Recorded your update to L8" in json.dumps(answer.json()["value"])
        [outcome] = standin.wait_for(1, start=mark)
        assert "L8 updated" in outcome["text"]
    finally:
        running.stop()
        standin.close()


def test_a_slack_form_and_a_teams_card_update_go_through_the_same_use_cases(memory: MemoryWorkbook) -> None:
    with UseCaseCalls() as slack:
        _slack_form_update(memory)
    with UseCaseCalls() as teams:
        _teams_card_update(memory)
    # The same functions, in the same order of steps: the form, the record, then the commit.
    assert slack.called == teams.called == {"open_form", "record_request", "commit"}
    # Both landed in the workbook the context gave (in memory), stamped with the context's clock.
    l7, l8 = memory.appendix.rows["L7"], memory.appendix.rows["L8"]
    assert (l7.status, l7[s.NEXT_STEPS], l7[s.UPDATED_BY]) == ("At risk", "Slack: recruit peer supporters",
                                                               "Joanne Whitworth")
    assert (l8.status, l8[s.NEXT_STEPS], l8[s.UPDATED_BY]) == ("On track", "Teams: agree cover", "Sana Iqbal")
    assert l7[s.LAST_UPDATED] == l8[s.LAST_UPDATED] == NOW.date()
    assert {(e.ref, e.field, e.via) for e in memory.change_log} == {
        ("L7", s.STATUS, "Slack"), ("L7", s.NEXT_STEPS, "Slack"), ("L8", s.STATUS, "Teams"),
        ("L8", s.NEXT_STEPS, "Teams")}
    assert {e.when for e in memory.change_log} == {NOW.replace(tzinfo=None)}
