"""The Teams bot at the protocol level: the real SDK app (`sli teams --local`) served over HTTP on
127.0.0.1, sent Bot Framework activities as Teams sends them; everything it posts goes to a local
stand-in for the connector (tests/teams_standin.py). The workbook is a real file, read back."""

from __future__ import annotations

import json
import re
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
import teams_standin as ts
from PIL import Image

import sli
from bot import blocks, parse
from bot.listeners.commands import answer_query
from bot.scheduler import REMINDER_TEAMS, SUMMARY, SUMMARY_TEAMS, MonthlyJobs, post_summary_to
from bot.teams import cards
from bot.teams.app import Running, TeamsBot
from bot.teams.package import write_package
from bot.text import literal
from shared import summary as sm
from shared.domain import schema as s
from shared.domain.access import entra_identity, may_update
from shared.reader import read_appendix, read_change_log
from shared.settings import Settings, TeamsSettings
from shared.usecases import Store

OFFICER = "5e1a0c3d-7b2f-4e81-9c4a-000000000006"     # Sana Iqbal, officer (Slack U07SLI0006)
ELHT_LEAD = "5e1a0c3d-7b2f-4e81-9c4a-000000000012"   # Anita Patel, lead of ELHT (Slack U07SLI0012)
STRANGER = "0badc0de-0000-4000-8000-000000000099"    # not in the Leads sheet
THIS_MONTH = (datetime.now(UTC).year, datetime.now(UTC).month)


class Harness:
    def __init__(self, workbook: Path):
        self.workbook = workbook
        self.standin = ts.ConnectorStandIn()
        self.bot = TeamsBot(Settings(workbook=workbook, poll_seconds=3600), local=True)
        self.running = Running(self.bot)

    def say(self, text: str, aad: str = ELHT_LEAD, count: int = 1, **kwargs) -> list[dict]:
        """Send a message as the person `aad`; the `count` messages the bot posts back."""
        mark = self.standin.mark()
        response = ts.post(self.running.url, ts.activity(self.standin, ts.user(aad), text=text, **kwargs))
        assert response.status_code in (200, 202), response.text
        got = self.standin.wait_for(count, start=mark)
        assert len(got) >= count, got
        return got

    def invoke(self, data: dict, aad: str = OFFICER) -> dict:
        """Press an Action.Execute button: the invoke's response (the card that replaces the form)."""
        body = ts.activity(self.standin, ts.user(aad), kind="invoke", name="adaptiveCard/action",
                           value={"action": {"type": "Action.Execute", "verb": data["verb"], "data": data},
                                  "trigger": "manual"})
        response = ts.post(self.running.url, body)
        assert response.status_code == 200, response.text
        return response.json()

    def close(self) -> None:
        self.running.stop()
        self.standin.close()


@pytest.fixture
def teams(workbook: Path):
    harness = Harness(workbook)
    yield harness
    harness.close()


def card_of(activity: dict) -> dict:
    [attachment] = [a for a in activity.get("attachments", []) if a["contentType"] == cards.CARD]
    return attachment["content"]


def texts(content: dict) -> list[str]:
    """Every TextBlock's text in a card (nested containers included)."""
    found = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TextBlock":
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(content.get("body", []))
    return found


def unescaped(text: str) -> str:
    """What a Teams reader sees of `cards.inert()` text: backslash escapes and entities undone."""
    return re.sub(r"\\(.)", r"\1", text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


# --- same words, same answers -------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["status 7", "status safer sleeping", "list at risk", "list ELHT", "mine"])
def test_questions_get_the_same_answers_as_in_slack(teams: Harness, typed: str) -> None:
    """The card's fallback text is, word for word, the Slack answer's text for the same person."""
    [reply] = teams.say(typed)
    slack = answer_query(Store.for_workbook(teams.workbook), parse.parse_command(typed), "U07SLI0012")
    assert unescaped(card_of(reply)["fallbackText"]) == literal(slack["text"])


def test_status_card_shows_the_row(teams: Harness) -> None:
    [reply] = teams.say("status 7")
    row = read_appendix(teams.workbook).rows["L7"]
    content = card_of(reply)
    facts = {f["title"]: f["value"] for f in content["body"][2]["facts"]}
    assert unescaped(facts["Status"]) == row.status and unescaped(facts["Lead"]) == row.lead_org
    assert any(unescaped(t) == str(row[s.NEXT_STEPS]) for t in texts(content))
    assert content["actions"][0]["data"] == {"verb": cards.OPEN_FORM_VERB, "ref": "L7"}


def test_channel_mention_is_stripped_and_answered(teams: Harness) -> None:
    mention = {"type": "mention", "text": "<at>SLI Tracker</at>", "mentioned": {"id": ts.BOT_ID, "name": "SLI Tracker"}}
    [reply] = teams.say("<at>SLI Tracker</at> status of 7?", conversation="19:general@thread.tacv2",
                        conversation_type="channel", team="19:general@thread.tacv2", entities=[mention])
    assert card_of(reply)["fallbackText"].startswith("L7 (")
    assert reply["conversation"]["id"] == "19:general@thread.tacv2"


def test_help_and_unknown_words(teams: Harness) -> None:
    [reply] = teams.say("help")
    assert "`list at risk`" in reply["text"] and "/sli" not in reply["text"]
    [reply] = teams.say("frobnicate")
    assert reply["text"].startswith("I didn") and "status L7" in reply["text"]


# --- updates ------------------------------------------------------------------------------------

def test_one_line_update_is_journalled_then_written_and_told(teams: Harness) -> None:
    first, outcome = teams.say('update 7 status=“At risk” next="Agree safer sleep audit with ELHT" due=31/1/27',
                               aad=OFFICER, count=2)
    assert first["text"].startswith("📥 Recorded your update to L7")
    assert outcome["text"].startswith("✅ **L7 updated.**") and "31/01/2027" in outcome["text"]
    row = read_appendix(teams.workbook).rows["L7"]
    assert row.status == "At risk" and row[s.NEXT_STEPS] == "Agree safer sleep audit with ELHT"
    assert row.due.isoformat() == "2027-01-31" and row[s.UPDATED_BY] == "Sana Iqbal"
    log = [e for e in read_change_log(teams.workbook) if e.ref == "L7"]
    assert {e.field for e in log} == {s.STATUS, s.NEXT_STEPS, s.DUE} and {e.via for e in log} == {"Teams"}
    entry = Store.for_workbook(teams.workbook).journal().get(log[0].update_id)
    assert entry.reply_to == entra_identity(OFFICER)


def test_field_twice_and_rules_refuse_with_a_sentence_and_change_nothing(teams: Harness) -> None:
    before = teams.workbook.read_bytes()
    [reply] = teams.say('update 7 status="At risk" status="On track"', aad=OFFICER)
    assert "twice" in reply["text"]
    [reply] = teams.say('update 7 status="At risk" due=soon', aad=OFFICER)
    assert reply["text"].startswith("❌ **L7: not recorded.**") and "date" in reply["text"]
    assert teams.workbook.read_bytes() == before


def test_unknown_person_may_ask_but_not_update(teams: Harness) -> None:
    before = teams.workbook.read_bytes()
    [reply] = teams.say('update 7 status="On track"', aad=STRANGER)
    assert "not recorded" in reply["text"] and "Sana Iqbal" in reply["text"] and "Leads sheet" in reply["text"]
    [reply] = teams.say("update 7", aad=STRANGER)
    assert reply["text"].startswith("Only the leads of")
    [reply] = teams.say("status 7", aad=STRANGER)
    assert card_of(reply)["fallbackText"].startswith("L7 (")
    assert teams.workbook.read_bytes() == before


def test_permission_by_either_identity_is_one_decision() -> None:
    appendix = read_appendix(Path(__file__).resolve().parents[1] / "workbook" / "Appendix1.xlsx")
    elht_ref = next(r.ref for r in appendix.rows.values() if r.lead_org.endswith("(ELHT)"))
    for who in ("U07SLI0012", entra_identity(ELHT_LEAD), entra_identity(ELHT_LEAD.upper())):
        assert may_update(appendix, who, elht_ref).allowed
        assert not may_update(appendix, who, "L7").allowed
    assert not may_update(appendix, ELHT_LEAD, elht_ref).allowed  # a bare GUID is not a Slack user ID
    assert not may_update(appendix, entra_identity(STRANGER), elht_ref).allowed


def test_card_form_prefilled_submitted_and_written(teams: Harness) -> None:
    [reply] = teams.say("update L7", aad=OFFICER)
    form = card_of(reply)
    row = read_appendix(teams.workbook).rows["L7"]
    inputs = {b["id"]: b for b in form["body"] if b["type"].startswith("Input.")}
    assert inputs["status"]["value"] == row.status and inputs["next"]["value"] == row[s.NEXT_STEPS]
    data = form["actions"][0]["data"]
    assert data["seen"][s.STATUS] == row.status and isinstance(data["view"], int)

    submitted = {**data, "status": "At risk", "summary": inputs["summary"]["value"],
                 "next": "Audit agreed with ELHT", "due": "2027-02-28"}
    mark = teams.standin.mark()
    response = teams.invoke(submitted)
    assert response["statusCode"] == 200 and "Recorded your update to L7" in json.dumps(response["value"])
    [outcome] = teams.standin.wait_for(1, start=mark)
    assert outcome["text"].startswith("✅ **L7 updated.**")
    row = read_appendix(teams.workbook).rows["L7"]
    assert (row.status, row[s.NEXT_STEPS], row.due.isoformat()) == ("At risk", "Audit agreed with ELHT", "2027-02-28")
    changed = {e.field for e in read_change_log(teams.workbook) if e.ref == "L7"}
    assert changed == {s.STATUS, s.NEXT_STEPS, s.DUE}  # the summary was left alone, so it is not sent

    # The same form pressed again is the same update: nothing is written twice.
    again = teams.invoke(submitted)
    assert "Recorded your update to L7" in json.dumps(again["value"])
    assert len([e for e in read_change_log(teams.workbook) if e.ref == "L7"]) == 3


def test_card_refusal_is_shown_inline_in_the_form(teams: Harness) -> None:
    before = teams.workbook.read_bytes()
    [reply] = teams.say("update 7", aad=OFFICER)
    data = card_of(reply)["actions"][0]["data"]
    response = teams.invoke({**data, "status": "Off track", "next": "x", "due": "", "summary": ""})
    form = response["value"]
    errors = [b for b in form["body"] if b.get("id", "").startswith("error_")]
    assert errors and all(b["color"] == "Attention" for b in errors)
    assert any(b["id"] == "error_due" for b in errors)
    inputs = {b["id"]: b for b in form["body"] if b["type"].startswith("Input.")}
    assert inputs["status"]["value"] == "Off track" and inputs["next"]["value"] == "x"  # what was typed stays
    assert form["actions"][0]["data"]["seen"] == data["seen"]  # still what was first shown
    assert teams.workbook.read_bytes() == before

    as_shown = {cards.INPUT_FOR[column]: value for column, value in data["seen"].items()}
    nothing = teams.invoke({**data, **as_shown})
    assert "Nothing has changed" in json.dumps(nothing["value"])
    bogus = teams.invoke({"verb": cards.UPDATE_VERB, "ref": "L7", "status": "Complete"})
    assert "could not be read" in json.dumps(bogus["value"])
    assert teams.workbook.read_bytes() == before


def test_form_conflict_with_an_officer_edit_after_it_was_opened(teams: Harness) -> None:
    [reply] = teams.say("update 7", aad=OFFICER)
    data = card_of(reply)["actions"][0]["data"]
    wb = openpyxl.load_workbook(teams.workbook)  # an officer edits Next steps in Excel meanwhile
    ws = wb[s.MAIN_SHEET]
    cell = next(r for r in ws.iter_rows() if r[0].value == "L7")[7]
    cell.value = "Officer's own next step"
    wb.save(teams.workbook)
    mark = teams.standin.mark()
    teams.invoke({**data, "status": data["seen"][s.STATUS], "summary": data["seen"][s.SUMMARY],
                  "next": "Mine instead", "due": data["seen"][s.DUE]})
    [outcome] = teams.standin.wait_for(1, start=mark)
    assert outcome["text"].startswith("⚠️ **L7: not applied") and "Officer's own next step" in unescaped(outcome["text"])
    assert read_appendix(teams.workbook).rows["L7"][s.NEXT_STEPS] == "Officer's own next step"


# --- text stays inert ---------------------------------------------------------------------------

HOSTILE = "<at>Sana Iqbal</at> **urgent** [click](https://evil.example) _x_ `code`\n# head\n- item &amp; <b>b</b>"


def test_inert_escapes_for_message_text_and_textblocks() -> None:
    escaped = cards.inert(HOSTILE)
    assert "<" not in escaped and ">" not in escaped
    assert re.search(r"(?<!\\)[*_`\[\]]", escaped) is None  # every emphasis, code and link mark escaped
    assert "\n\\- item" in escaped and "\\# head" in escaped  # list and heading marks too
    assert unescaped(escaped) == HOSTILE  # nothing lost: people read what was typed
    # message text renderer
    assert cards.sentence(HOSTILE)["text"] == escaped
    # TextBlock renderer
    assert cards.notice_card(HOSTILE)["body"][0]["text"] == escaped


def test_cell_contents_cannot_mention_or_format_in_teams(teams: Harness) -> None:
    wb = openpyxl.load_workbook(teams.workbook)
    ws = wb[s.MAIN_SHEET]
    row = next(r for r in ws.iter_rows() if r[0].value == "L7")
    row[7].value = HOSTILE
    wb.save(teams.workbook)
    [reply] = teams.say("status 7")
    blob = json.dumps(card_of(reply))
    assert "<at>" not in blob and "**urgent**" not in blob and "[click](" not in blob
    assert any(unescaped(t) == HOSTILE for t in texts(card_of(reply)))
    [listed] = teams.say("list all")
    assert "<at>" not in json.dumps(listed)
    [form] = teams.say("update 7", aad=OFFICER)
    inputs = {b["id"]: b for b in card_of(form)["body"] if b["type"].startswith("Input.")}
    assert inputs["next"]["value"] == HOSTILE  # an input shows its value as typed, never escaped


# --- installation, monthly summary and reminders ------------------------------------------------

def _install(teams: Harness, team: str = "19:partnership@thread.tacv2") -> None:
    body = ts.activity(teams.standin, ts.user(OFFICER), kind="conversationUpdate", conversation=team,
                       conversation_type="channel", team=team,
                       membersAdded=[{"id": ts.BOT_ID, "name": "SLI Tracker"}])
    body["channelData"]["eventType"] = "teamMemberAdded"
    assert ts.post(teams.running.url, body).status_code in (200, 202)


def test_summary_posted_to_the_team_once_a_month_with_its_chart(teams: Harness) -> None:
    store = Store.for_workbook(teams.workbook)
    nowhere = post_summary_to(store, teams.bot.destination(), *THIS_MONTH)
    assert not nowhere.posted and "install the app" in nowhere.message
    _install(teams)
    [(key, reference)] = store.journal().conversations("team")
    assert key == "team:19:partnership@thread.tacv2" and reference["conversation"]["id"] == key[5:]

    jobs = MonthlyJobs(store, None, "", teams=teams.bot.destination())
    now = sm.summary_time(*THIS_MONTH) + timedelta(minutes=30)
    mark = teams.standin.mark()
    [said] = jobs.tick(now)
    assert said.startswith("Posted the summary") and said.endswith("to Teams.")
    [post] = teams.standin.wait_for(1, start=mark)
    assert teams.standin.paths[-1].endswith("/v3/conversations/19:partnership@thread.tacv2/activities")  # new post
    content = card_of(post)
    assert content["fallbackText"].startswith("SLI infant mortality, ")
    [image] = [b for b in content["body"] if b["type"] == "Image"]
    assert image["url"].startswith("data:image/png;base64,iVBOR")
    assert len(json.dumps(post)) < 28_000  # Teams' limit for a bot message, attachments included
    # A restart, a second tick, a second process: no second post; Slack's own claim is untouched.
    assert MonthlyJobs(Store.for_workbook(teams.workbook), None, "", teams=teams.bot.destination()).tick(
        now + timedelta(hours=1)) == []
    assert not post_summary_to(store, teams.bot.destination(), *THIS_MONTH).posted
    assert len(teams.standin.messages(mark)) == 1
    assert store.journal().posted(SUMMARY_TEAMS, sm.month_key(*THIS_MONTH))
    assert store.journal().posted(SUMMARY, sm.month_key(*THIS_MONTH)) is None


def test_reminders_reach_leads_in_their_personal_chat(teams: Harness) -> None:
    store = Store.for_workbook(teams.workbook)
    day = sm.reminder_day(*THIS_MONTH)
    at_nine = datetime(day.year, day.month, day.day, 9, 5, tzinfo=sm.LONDON)
    due = {r.entra_object_id for r in sm.reminders_due(store, *THIS_MONTH)}
    assert ELHT_LEAD in due
    jobs = MonthlyJobs(store, None, "", teams=teams.bot.destination())
    def reminders(said: list[str]) -> list[str]:
        return [line for line in said if "reminder" in line]

    assert reminders(jobs.tick(at_nine)) == ["0 Teams reminders sent."]  # nobody has a chat with the bot yet
    teams.say("help", aad=ELHT_LEAD, conversation="a:anita-personal")
    mark = teams.standin.mark()
    assert reminders(jobs.tick(at_nine + timedelta(minutes=5))) == ["1 Teams reminder sent."]
    [reminder] = teams.standin.wait_for(1, start=mark)
    assert reminder["conversation"]["id"] == "a:anita-personal"
    content = card_of(reminder)
    assert content["fallbackText"].startswith("Reminder: ") and content["actions"][0]["data"]["verb"] == \
        cards.OPEN_FORM_VERB
    assert reminders(jobs.tick(at_nine + timedelta(minutes=10))) == ["0 Teams reminders sent."]
    assert store.journal().posted(REMINDER_TEAMS, f"{sm.month_key(*THIS_MONTH)}:{ELHT_LEAD}")


def test_reminder_button_opens_the_form(teams: Harness) -> None:
    [reply] = teams.say(None, aad=OFFICER, value={"verb": cards.OPEN_FORM_VERB, "ref": "L7"})
    assert card_of(reply)["actions"][0]["data"]["ref"] == "L7"


# --- starting, refusing, packaging --------------------------------------------------------------

def test_sli_teams_refuses_without_registration(capsys, monkeypatch) -> None:
    for name in ("SLI_TEAMS_CLIENT_ID", "SLI_TEAMS_TENANT_ID", "SLI_TEAMS_CLIENT_SECRET", "SLI_TEAMS_CERTIFICATE"):
        monkeypatch.delenv(name, raising=False)
    assert sli.main(["teams"]) == 2
    err = capsys.readouterr().err
    assert "SLI_TEAMS_CLIENT_ID" in err and "--local" in err and err.count("\n") == 1
    assert TeamsSettings(client_id="c", tenant_id="t").missing() == ["SLI_TEAMS_CLIENT_SECRET or SLI_TEAMS_CERTIFICATE"]
    assert TeamsSettings(client_id="c", tenant_id="t", client_secret="x").missing() == []


def test_local_mode_answers_only_a_connector_on_this_machine(teams: Harness) -> None:
    body = ts.activity(teams.standin, ts.user(OFFICER), text="status 7")
    body["serviceUrl"] = "https://smba.trafficmanager.net/emea/"
    mark = teams.standin.mark()
    response = ts.post(teams.running.url, body)
    assert response.status_code == 403 and "127.0.0.1" in response.text
    assert teams.standin.mark() == mark


def test_registered_mode_refuses_requests_without_a_token(workbook: Path) -> None:
    registration = TeamsSettings(client_id="1b2c3d4e-0000-4000-8000-123456789abc", tenant_id="t", client_secret="x")
    running = Running(TeamsBot(Settings(workbook=workbook, teams=registration)))
    standin = ts.ConnectorStandIn()
    try:
        response = ts.post(running.url, ts.activity(standin, ts.user(OFFICER), text="status 7"))
        assert response.status_code == 401
        assert standin.mark() == 0
    finally:
        running.stop()
        standin.close()


def test_app_package(tmp_path: Path) -> None:
    client = "1B2C3D4E-0000-4000-8000-123456789ABC"
    with zipfile.ZipFile(write_package(tmp_path / "sli.zip", client, "1.0.1")) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json"))
        with archive.open("color.png") as f:
            assert Image.open(f).size == (192, 192)
        with archive.open("outline.png") as f:
            outline = Image.open(f)
            assert outline.size == (32, 32) and outline.mode == "RGBA"
    assert manifest["bots"][0]["botId"] == client.lower() and manifest["version"] == "1.0.1"
    assert manifest["id"] != manifest["bots"][0]["botId"]
    assert set(manifest["bots"][0]["scopes"]) == {"personal", "team", "groupChat"}
    with pytest.raises(ValueError, match="client id"):
        write_package(tmp_path / "x.zip", "not-a-guid")
    assert sli.main(["teams-package", "--client-id", client, "--output", str(tmp_path / "cli.zip")]) == 0


def test_slack_still_answers_with_the_new_leads_column(workbook: Path) -> None:
    appendix = read_appendix(workbook)
    assert blocks.recommendation_message(appendix.rows["L7"])["text"].startswith("L7 (")
    assert {lead.entra_object_id for lead in appendix.leads if lead.slack_user_id == "U07SLI0012"} == {ELHT_LEAD}


def test_update_held_by_excel_is_told_in_teams_not_through_slack(teams: Harness) -> None:
    from slack_sdk import WebClient
    from slack_standin import SlackStandIn

    from bot.notifier import Notifier
    from bot.teams.app import TeamsNotifier
    from shared.owner import write_owner_file

    owner = write_owner_file(teams.workbook, "Helen Lowey")
    first, held = teams.say('update 7 next="Wait for Excel"', aad=OFFICER, count=2)
    assert held["text"].startswith("⏳ **L7: recorded, not yet in the workbook.**") and "Helen Lowey" in held["text"]
    owner.unlink()
    with SlackStandIn() as slack:
        slack_notifier = Notifier(Store.for_workbook(teams.workbook), WebClient(token="x", base_url=slack.base_url))
        assert slack_notifier.run_once() == 0  # written now, but its sender is not a Slack user
        assert slack.calls("chat.postMessage") == []
    assert read_appendix(teams.workbook).rows["L7"][s.NEXT_STEPS] == "Wait for Excel"
    mark = teams.standin.mark()
    assert TeamsNotifier(Store.for_workbook(teams.workbook), teams.bot.messenger).run_once() == 1
    [told] = teams.standin.wait_for(1, start=mark)
    assert told["text"].startswith("✅ **L7 updated.**") and told["conversation"]["id"] == "a:personal-chat"
    assert "replyToId" not in told  # a new message in their personal chat


def test_sli_teams_local_serves_on_loopback_only_whatever_host_says(workbook: Path) -> None:
    import socket
    import subprocess
    import sys

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "sli", "teams", "--local", "--host", "0.0.0.0", "--port",
                                str(port), "--workbook", str(workbook)], cwd=Path(sli.__file__).parent.parent,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    standin = ts.ConnectorStandIn()
    try:
        line = process.stdout.readline()
        assert f"listening on http://127.0.0.1:{port}/api/messages" in line and "anonymous" in line
        response = ts.post(f"http://127.0.0.1:{port}/api/messages", ts.activity(standin, ts.user(OFFICER),
                                                                               text="status 7"))
        assert response.status_code == 202
        [reply] = standin.wait_for(1)
        assert card_of(reply)["fallbackText"].startswith("L7 (")
    finally:
        process.terminate()
        process.wait(10)
        standin.close()


def test_a_sender_from_a_channel_is_told_once_they_have_a_personal_chat(teams: Harness) -> None:
    from bot.teams.app import TeamsNotifier
    from shared.owner import write_owner_file

    owner = write_owner_file(teams.workbook, "Helen Lowey")
    teams.say('update 7 next="Held while Excel is open"', aad=OFFICER, count=2, conversation="19:general@thread.tacv2",
              conversation_type="channel", team="19:general@thread.tacv2")
    owner.unlink()
    notifier = TeamsNotifier(Store.for_workbook(teams.workbook), teams.bot.messenger)
    assert notifier.run_once() == 0  # written now, but there is no personal chat to tell them in
    assert read_appendix(teams.workbook).rows["L7"][s.NEXT_STEPS] == "Held while Excel is open"
    teams.say("help", aad=OFFICER, conversation="a:sana-personal")
    mark = teams.standin.mark()
    assert notifier.run_once() == 1 and notifier.run_once() == 0
    [told] = teams.standin.wait_for(1, start=mark)
    assert told["conversation"]["id"] == "a:sana-personal" and "L7 updated" in told["text"]
