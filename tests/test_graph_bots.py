"""Both bots on a workbook in SharePoint (issue 19): the real Bolt app over HTTP (Slack stand-in) and the real
Teams app (connector stand-in), with Microsoft Graph played by tests/graph_standin.py over a real .xlsx.
Each: a question, an update written into the remote file, and a busy workbook then an officer's edit, which
holds the update, tells the sender once, and ends as a conflict that keeps the officer's words."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
import teams_standin as ts
from slack_standin import SlackStandIn
from test_bot import L7_LEAD, SECRET, Harness

from bot.notifier import Notifier
from bot.teams.app import Running, TeamsBot, TeamsNotifier
from shared import usecases
from shared.domain import schema as s
from shared.settings import Settings
from tests.graph_standin import GraphStandIn

OFFICER_AAD = "5e1a0c3d-7b2f-4e81-9c4a-000000000006"  # Sana Iqbal, officer (tests/test_teams.py)


def graph_settings(standin: GraphStandIn, state: Path) -> Settings:
    return Settings.from_env(env={"SLI_WORKBOOK": standin.share_url, "SLI_GRAPH_URL": standin.url,
                                  "SLI_GRAPH_TOKEN": standin.token, "SLI_STATE_DIR": str(state),
                                  "SLI_POLL_SECONDS": "3600"})


def row_of(path: Path, ref: str) -> list:
    return next(r for r in openpyxl.load_workbook(path)[s.MAIN_SHEET].iter_rows() if r[0].value == ref)


@pytest.fixture
def standin(workbook: Path):
    served = GraphStandIn(workbook)
    yield served
    served.close()


@pytest.fixture
def slack(standin: GraphStandIn, tmp_path: Path):
    with SlackStandIn() as fake_slack:
        settings = dataclasses.replace(graph_settings(standin, tmp_path / "state"), bot_token="xoxb-test",
                                       signing_secret=SECRET, api_url=fake_slack.base_url)
        harness = Harness(fake_slack, standin.path, settings)
        yield harness
        harness.server.shutdown()


def test_slack_answers_from_the_sharepoint_file(slack: Harness, standin: GraphStandIn) -> None:
    slack.http.command(text="status l07", user_id=L7_LEAD)
    assert slack.reply()["text"].startswith("L7 (Off track)")
    standin.edit(s.MAIN_SHEET, row_of(standin.path, "L7")[5].coordinate, "At risk")  # an officer, in the browser
    slack.http.command(text="status l07", user_id=L7_LEAD)
    assert slack.reply(2)["text"].startswith("L7 (At risk)")


def test_slack_update_is_written_into_the_sharepoint_file(slack: Harness, standin: GraphStandIn) -> None:
    text = 'update 7 status="At risk" next="07/08/2026 +44 7700 900123" due=31/01/2027'
    status, body = slack.http.command(text=text, user_id=L7_LEAD)
    assert status == 200 and "Recorded your update to L7" in body
    assert "L7 updated" in slack.reply()["text"]
    row = row_of(standin.path, "L7")
    assert (row[5].value, row[7].value, row[7].data_type) == ("At risk", "07/08/2026 +44 7700 900123", "s")
    assert row[8].value == datetime(2027, 1, 31) and row[8].number_format == "dd/mm/yyyy"
    assert row[10].value == "Joanne Whitworth"
    assert not any(method == "PUT" for method, _ in standin.requests)


def test_slack_busy_workbook_then_an_officers_edit_is_a_conflict_told_once(slack: Harness,
                                                                          standin: GraphStandIn) -> None:
    standin.fail("POST", "createSession", 423, "resourceLocked", times=100)
    slack.http.command(text='update 7 next="Recruit peer supporters"', user_id=L7_LEAD)
    held = slack.reply()["text"]
    assert "not yet in the workbook" in held and "busy" in held
    standin.faults.clear()
    standin.edit(s.MAIN_SHEET, row_of(standin.path, "L7")[7].coordinate, "Officer's own next step")
    notifier = Notifier(usecases.context(slack.settings), slack.app.client)
    assert notifier.run_once() == 1
    [dm] = slack.messages()
    assert dm["channel"] == L7_LEAD and "not applied" in dm["text"] and "Officer" in dm["text"]
    assert row_of(standin.path, "L7")[7].value == "Officer's own next step"
    assert notifier.run_once() == 0  # told once


@pytest.fixture
def teams(standin: GraphStandIn, tmp_path: Path):
    connector = ts.ConnectorStandIn()
    bot = TeamsBot(graph_settings(standin, tmp_path / "state"), local=True)
    running = Running(bot)
    yield connector, bot, running
    running.stop()
    connector.close()


def say(teams, text: str, count: int) -> list[dict]:
    connector, _, running = teams
    mark = connector.mark()
    response = ts.post(running.url, ts.activity(connector, ts.user(OFFICER_AAD), text=text))
    assert response.status_code in (200, 202), response.text
    return connector.wait_for(count, start=mark)


def test_teams_answers_and_writes_the_sharepoint_file(teams, standin: GraphStandIn) -> None:
    [reply] = say(teams, "status 7", 1)
    assert "L7" in str(reply) and "Off track" in str(reply)
    first, outcome = say(teams, 'update 7 status="At risk" next="Agree safer sleep audit" due=31/1/27', 2)
    assert first["text"].startswith("📥 Recorded your update to L7")
    assert outcome["text"].startswith("✅ **L7 updated.**")
    row = row_of(standin.path, "L7")
    assert (row[5].value, row[7].value, row[10].value) == ("At risk", "Agree safer sleep audit", "Sana Iqbal")
    assert row[8].value == datetime(2027, 1, 31)


def test_teams_busy_workbook_then_an_officers_edit_is_a_conflict_told_once(teams, standin: GraphStandIn) -> None:
    connector, bot, _ = teams
    standin.fail("POST", "createSession", 409, "accessConflict", times=100)
    first, held = say(teams, 'update 7 next="Wait for SharePoint"', 2)
    assert held["text"].startswith("⏳ **L7: recorded, not yet in the workbook.**") and "busy" in held["text"]
    standin.faults.clear()
    standin.edit(s.MAIN_SHEET, row_of(standin.path, "L7")[7].coordinate, "Officer's own next step")
    mark = connector.mark()
    notifier = TeamsNotifier(bot.store, bot.messenger)
    assert notifier.run_once() == 1
    [told] = connector.wait_for(1, start=mark)
    assert told["text"].startswith("⚠️ **L7: not applied") and "Officer" in told["text"]
    assert row_of(standin.path, "L7")[7].value == "Officer's own next step"
    assert notifier.run_once() == 0


def test_slack_answers_see_an_officers_edit_while_an_update_still_waits(slack: Harness, standin: GraphStandIn) -> None:
    from test_bot import OFFICER

    l2_status = row_of(standin.path, "L2")[5].coordinate
    standin.fail("GET", f"range(address='{l2_status}:", 409, "accessConflict", times=1000)  # L2's row stays busy
    slack.http.command(text='update 2 status="Complete" evidence="Audit 2026"', user_id=OFFICER)
    assert "busy" in slack.reply()["text"]
    slack.http.command(text='update 3 next="Book the venue"', user_id=OFFICER)
    assert "L3 updated" in slack.reply(2)["text"]  # written in a pass that left L2 waiting (its session open)
    standin.edit(s.MAIN_SHEET, row_of(standin.path, "L9")[5].coordinate, "Off track")  # an officer, in the browser
    slack.http.command(text="status l09", user_id=OFFICER)
    assert slack.reply(3)["text"].startswith("L9 (Off track)")
