"""Slack text is inert: a mention, `<!channel>` or link typed into a cell, an update, a `--by` name or the
Leads sheet shows as text in every message, modal and Home view, and notifies no one.

Cells of a workbook copy hold `EVIL`; the real Bolt app is driven over signed HTTP against the local Slack
stand-in (and the scheduler posts through a real WebClient to it); every `text` and `mrkdwn` string the
stand-in received is checked for live tokens, and `plain_text` for double escaping. The workbook is read
back with openpyxl. Also here: a form whose private_metadata was tampered with is refused cleanly.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import COMMITTED_WORKBOOK
from slack_sdk import WebClient
from slack_standin import SlackStandIn
from test_bot import ELHT_LEAD, L7_LEAD, OFFICER, SECRET, Harness, _submission

import sli
from bot.app import Settings
from bot.blocks import recommendation_message
from bot.console import run_console
from bot.notifier import Notifier
from bot.scheduler import post_summary, send_reminders
from bot.text import clip, inert, literal
from shared import summary as sm
from shared.domain import schema as s
from shared.domain.model import Recommendation
from shared.owner import write_owner_file
from shared.reader import read_appendix, read_change_log
from shared.usecases import Store, submit_update

EVIL = "<!channel> <@U0123> <https://evil.example|click here> & <#C1>"
ESCAPED = "&lt;!channel&gt; &lt;@U0123&gt; &lt;https://evil.example|click here&gt; &amp; &lt;#C1&gt;"
EVIL_NAME = f"Jo {EVIL}"
#: What Slack would read as a mention, special mention, channel or link (any `<` at all, in fact).
LIVE = re.compile(r"<[!@#]|<https?:|<mailto:|[<>]")
COLUMN = {name: index + 1 for index, name in enumerate(s.MAIN_COLUMNS)}
THIS_MONTH = (datetime.now(UTC).year, datetime.now(UTC).month)


def poison(workbook: Path) -> None:
    """L7's text, lead officer, summary, next steps and Updated by, and Joanne Whitworth's name (she leads
    L7's organisation), all hold EVIL; L7 is made overdue and stale so the summary and reminders list it."""
    wb = openpyxl.load_workbook(workbook)
    ws = wb[s.MAIN_SHEET]
    row = next(r[0].row for r in ws.iter_rows(min_row=4) if r[0].value == "L7")
    ws.cell(row, COLUMN[s.RECOMMENDATION]).value = f"Safer sleep {EVIL}"
    for column in (s.LEAD_OFFICER, s.SUMMARY, s.NEXT_STEPS, s.UPDATED_BY):
        ws.cell(row, COLUMN[column]).value = EVIL
    ws.cell(row, COLUMN[s.DUE]).value = datetime(2026, 1, 30)
    ws.cell(row, COLUMN[s.LAST_UPDATED]).value = datetime(2026, 1, 5)  # stale: in the reminders too
    leads = wb[s.LEADS_SHEET]
    leader = next(r for r in leads.iter_rows(min_row=2) if r[2].value == L7_LEAD)
    leader[1].value = EVIL_NAME
    wb.save(workbook)


def strings(payload: Any, parsed: list[str] | None = None, plain: list[str] | None = None
            ) -> tuple[list[str], list[str]]:
    """(every string Slack parses: message `text` and mrkdwn objects; every plain_text string and input value)."""
    parsed = [] if parsed is None else parsed
    plain = [] if plain is None else plain
    if isinstance(payload, dict):
        kind = payload.get("type")
        if kind == "plain_text":
            plain.append(payload.get("text", ""))
        elif kind == "mrkdwn":
            parsed.append(payload.get("text", ""))
        elif isinstance(payload.get("text"), str):
            parsed.append(payload["text"])  # a message's top-level text: Slack parses it as mrkdwn
        if isinstance(payload.get("initial_value"), str):
            plain.append(payload["initial_value"])
        for key, value in payload.items():
            if key != "text" or not isinstance(value, str):
                strings(value, parsed, plain)
    elif isinstance(payload, list):
        for item in payload:
            strings(item, parsed, plain)
    return parsed, plain


def objects(payload: Any, kind: str) -> list[dict]:
    """Every text object of `kind` in a payload."""
    if isinstance(payload, dict):
        found = [payload] if payload.get("type") == kind else []
        return found + [o for value in payload.values() for o in objects(value, kind)]
    if isinstance(payload, list):
        return [o for item in payload for o in objects(item, kind)]
    return []


def assert_inert(payload: Any, must_show: bool = True, shows: str = ESCAPED) -> None:
    """No live token anywhere Slack parses; plain_text not escaped; and (by default) EVIL is shown, escaped."""
    parsed, plain = strings(payload)
    assert parsed, payload
    assert all(o.get("verbatim") is True for o in objects(payload, "mrkdwn")), payload
    for text in parsed:
        assert not LIVE.search(text), f"live token in {text!r}"
    for text in plain:
        assert "&lt;" not in text and "&amp;" not in text, f"plain_text escaped: {text!r}"
    if must_show:
        assert any(shows in text for text in parsed), parsed


def _serve(workbook: Path):
    poison(workbook)
    with SlackStandIn() as standin:
        settings = Settings(bot_token="xoxb-test", signing_secret=SECRET, api_url=standin.base_url,
                            workbook=workbook, poll_seconds=3600)
        harness = Harness(standin, workbook, settings)
        yield harness
        harness.server.shutdown()


@pytest.fixture
def bot(workbook: Path):
    """A poisoned workbook of the test's own, for tests that write to it."""
    yield from _serve(workbook)


@pytest.fixture(scope="module")
def _reader_bot(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("book")
    shutil.copy2(COMMITTED_WORKBOOK, folder / "Appendix1.xlsx")
    yield from _serve(folder / "Appendix1.xlsx")


@pytest.fixture
def reader_bot(_reader_bot: Harness):
    """One poisoned workbook and one app for the tests that only read (starting an app costs ~0.5 s)."""
    _reader_bot.standin.reset()
    before = _reader_bot.workbook.read_bytes()
    yield _reader_bot
    assert _reader_bot.workbook.read_bytes() == before


def test_inert_and_literal() -> None:
    assert inert(EVIL) == ESCAPED
    assert literal(ESCAPED) == EVIL
    tricky = "a &lt; b & c <d> &amp;"  # already entity-looking text survives the round trip exactly
    assert literal(inert(tricky)) == tricky and inert(None) == ""
    assert clip(inert("x" * 9 + "&"), 12) == "x" * 9  # half an entity is never left at the end
    assert clip("abc", 12) == "abc"


def test_escaped_long_text_stays_within_slacks_limits(workbook: Path) -> None:
    row = read_appendix(workbook).rows["L7"]
    full = Recommendation("L7", {**row.values, s.SUMMARY: "<" * 2000, s.LEAD_OFFICER: "&" * 2000}, row.sheet_row)
    reply = recommendation_message(full)
    sections = [b["text"]["text"] for b in reply["blocks"] if b["type"] == "section" and "text" in b]
    fields = [f["text"] for b in reply["blocks"] for f in b.get("fields", [])]
    assert all(len(t) <= 3000 for t in sections) and all(len(t) <= 2000 for t in fields)
    assert any(t.endswith("&lt;") for t in sections) and any(t.endswith("&amp;") for t in fields)
    assert not any(re.search(r"&[a-z]{0,3}$", t) and not re.search(r"&(lt|gt|amp);$", t) for t in sections + fields)


def test_status_reply(reader_bot: Harness) -> None:
    reader_bot.http.command(text="status 7", user_id=ELHT_LEAD)
    reply = reader_bot.reply()
    assert_inert(reply)
    # Recommendation text, lead officer, summary, next steps and Updated by are each shown, escaped.
    assert reply["text"].count(ESCAPED) == 4  # text, summary, next steps, updated by
    assert sum(ESCAPED in t for t in strings(reply["blocks"])[0]) == 5


def test_list_and_search_replies_and_echoed_query(reader_bot: Harness) -> None:
    reader_bot.http.command(text="list off track", user_id=ELHT_LEAD)
    assert_inert(reader_bot.reply(), shows="L7* Safer sleep &lt;!channel&gt; &lt;@U0123&gt;")
    reader_bot.http.command(text="status <!here> zebra", user_id=ELHT_LEAD)  # a live @here, as Slack sends it
    reply = reader_bot.reply(2)
    assert_inert(reply, shows="Recommendations matching '@here zebra'")  # verbatim mrkdwn: text, not a mention
    reader_bot.http.command(text="&lt;!channel&gt;", user_id=ELHT_LEAD)  # a typed <!channel>, as Slack sends it
    reply = reader_bot.reply(3)
    assert_inert(reply, shows="I don't know '&lt;!channel&gt;'")


def test_mention_and_direct_message(reader_bot: Harness) -> None:
    reader_bot.http.event({"type": "app_mention", "channel": "C1", "user": ELHT_LEAD, "text": "<@UBOT> status of 7",
                           "ts": "5.5"}, event_id="Ev1")
    [mention] = reader_bot.messages()
    assert_inert(mention)
    reader_bot.http.event({"type": "message", "channel_type": "im", "channel": "D1", "user": ELHT_LEAD,
                           "text": "what is off track?", "ts": "6.6"}, event_id="Ev2")
    assert_inert(reader_bot.messages(2)[-1], shows="Safer sleep &lt;!channel&gt;")


def test_app_home_shows_the_leads_name_as_text(reader_bot: Harness) -> None:
    reader_bot.http.event({"type": "app_home_opened", "user": L7_LEAD, "tab": "home"}, event_id="Ev3")
    home = reader_bot.standin.wait_for("views.publish")[-1]["args"]["view"]
    assert_inert(home)
    assert any(f"Hello Jo {ESCAPED}" in t for t in strings(home)[0])


def test_update_modal_prefills_plain_text_unescaped(reader_bot: Harness) -> None:
    reader_bot.http.command(text="update 7", user_id=L7_LEAD, trigger_id="1.2.t")
    view = reader_bot.standin.wait_for("views.update")[-1]["args"]["view"]
    assert_inert(view)
    by_block = {b.get("block_id"): b for b in view["blocks"]}
    # plain_text_input shows its initial_value as it is: the cell's text, not &lt;...
    assert by_block["summary"]["element"]["initial_value"] == EVIL
    assert by_block["next"]["element"]["initial_value"] == EVIL


def test_refusal_modal_names_the_leads_as_text(reader_bot: Harness) -> None:
    reader_bot.http.command(text="update 7", user_id=ELHT_LEAD, trigger_id="1.2.t")
    view = reader_bot.standin.wait_for("views.update")[-1]["args"]["view"]
    assert "submit" not in view
    assert_inert(view)


def test_one_line_update_stores_the_literal_text_and_echoes_it_inert(bot: Harness) -> None:
    # Slack sends what people type with & < > escaped; the workbook gets what they typed.
    bot.http.command(text=f'update 7 next="Call {inert(EVIL)}" status="At risk"', user_id=L7_LEAD)
    reply = bot.reply()
    assert "L7 updated" in reply["text"]
    assert_inert(reply)
    row = next(r for r in openpyxl.load_workbook(bot.workbook)[s.MAIN_SHEET].iter_rows(min_row=4)
               if r[0].value == "L7")
    assert row[COLUMN[s.NEXT_STEPS] - 1].value == f"Call {EVIL}"
    assert row[COLUMN[s.UPDATED_BY] - 1].value == EVIL_NAME
    assert read_change_log(bot.workbook)[-1].by == EVIL_NAME

    _, body = bot.http.command(text=f'update 7 status="{inert(EVIL)}"', user_id=L7_LEAD)  # refused: not a status
    refusal = json.loads(body)  # a refusal is the acknowledgement itself
    assert "not recorded" in refusal["text"]
    assert_inert(refusal)


def test_pending_and_applied_messages(bot: Harness) -> None:
    owner = write_owner_file(bot.workbook, "Officer <!channel>")
    bot.http.command(text='update 7 status="At risk"', user_id=L7_LEAD)
    reply = bot.reply()
    assert "not yet in the workbook" in reply["text"] and "Officer &lt;!channel&gt;" in reply["text"]
    assert_inert(reply, must_show=False)
    owner.unlink()
    assert Notifier(bot.settings.store(), bot.app.client).run_once() == 1
    [dm] = bot.messages()
    assert "L7 updated" in dm["text"]
    assert_inert(dm, must_show=False)


def test_conflict_message(bot: Harness) -> None:
    bot.http.command(text="update 7", user_id=L7_LEAD, trigger_id="1.2.t")
    view = {**bot.standin.wait_for("views.update")[-1]["args"]["view"], "id": "V9", "hash": "h"}
    # Someone changes the next steps after the form was opened, not through this journal (another copy of
    # the tracker, with its own journal): a conflict, and the Change log names them (the --by path).
    store = Store.for_workbook(bot.workbook, journal=bot.workbook.with_name("elsewhere.journal.sqlite"))
    assert submit_update(store, "L7", {s.NEXT_STEPS: f"Officer's {EVIL}"}, by=EVIL, via=s.VIA_CLI).state == "applied"
    bot.http.interactive(_submission(view, L7_LEAD, status="Off track", summary=EVIL, next="Mine", due="2026-01-30"))
    [dm] = bot.messages()
    assert "changed after you saw it" in dm["text"] and f"{ESCAPED} (CLI) changed it to" in dm["text"]
    assert_inert(dm)


def test_summary_and_reminders_through_the_scheduler(workbook: Path) -> None:
    poison(workbook)
    store = Store.for_workbook(workbook)
    with SlackStandIn() as standin:
        client = WebClient(token="xoxb-test", base_url=standin.base_url)
        assert send_reminders(store, client, *THIS_MONTH) >= 1  # before any update: L7 is stale
        [to_joanne] = [c["args"] for c in standin.calls("chat.postMessage") if c["args"]["channel"] == L7_LEAD]
        assert_inert(to_joanne)
        assert f"Hello Jo {ESCAPED}" in strings(to_joanne["blocks"])[0][0]
        assert "L7" in to_joanne["text"]

        # A change by a --by name with a mention in it, and L7's overdue text, in the month's summary.
        assert submit_update(store, "L7", {s.STATUS: "At risk"}, by=EVIL, via=s.VIA_CLI).state == "applied"
        now = sm.summary_time(*THIS_MONTH) + timedelta(minutes=5)
        assert post_summary(store, client, "C_SLI", *THIS_MONTH, now=now).posted
        summary = standin.calls("chat.postMessage")[-1]["args"]
        assert summary["channel"] == "C_SLI"
        assert_inert(summary)
        for call in standin.calls("chat.postMessage"):
            assert not any(LIVE.search(t) for t in strings(call["args"])[0])


def test_console_shows_the_literal_text(workbook: Path, tmp_path: Path, capsys) -> None:
    poison(workbook)
    out = io.StringIO()
    run_console(Store.for_workbook(workbook), user_id=L7_LEAD, out=out,
                lines=["/sli status 7", 'update 7 next="Ring <@U999> & co"'])
    text = out.getvalue()
    assert f"you are {EVIL_NAME}" in text and f"Summary of status: {EVIL}" in text and "&lt;" not in text
    assert read_appendix(workbook).rows["L7"][s.NEXT_STEPS] == "Ring <@U999> & co"

    submit_update(Store.for_workbook(workbook), "L7", {s.STATUS: "At risk"}, by=EVIL, via=s.VIA_CLI)
    month = sm.month_key(*THIS_MONTH)
    assert sli.main(["summary", "--month", month, "--dry-run", "--chart", str(tmp_path / "c.png"),
                     "--workbook", str(workbook)]) == 0
    printed = capsys.readouterr().out
    assert EVIL in printed and "&lt;" not in printed


@pytest.mark.parametrize("metadata", ["not json", "[]", '{"ref": 7, "seen": {}}', '{"ref": "L7"}',
                                      '{"ref": "L7", "seen": {"Bogus": "x"}}', '{"ref": "L7", "seen": []}', ""])
def test_tampered_private_metadata_is_refused_with_a_sentence(reader_bot: Harness, metadata: str) -> None:
    bot = reader_bot
    bot.http.command(text="update 7", user_id=OFFICER, trigger_id="1.2.t")
    view = {**bot.standin.wait_for("views.update")[-1]["args"]["view"], "id": "V3", "hash": "h",
            "private_metadata": metadata}
    before = bot.workbook.read_bytes()
    status, body = bot.http.interactive(_submission(view, OFFICER, status="On track", next="x"))
    assert status == 200
    answer = json.loads(body)
    assert answer["response_action"] == "errors"
    assert "could not be read" in answer["errors"]["status"]
    assert bot.workbook.read_bytes() == before
    assert bot.standin.calls("chat.postMessage") == []


def test_a_form_naming_a_ref_that_is_not_one_is_refused_inert(reader_bot: Harness) -> None:
    bot = reader_bot
    bot.http.command(text="update 7", user_id=OFFICER, trigger_id="1.2.t")
    view = bot.standin.wait_for("views.update")[-1]["args"]["view"]
    seen = json.loads(view["private_metadata"])["seen"]
    view = {**view, "id": "V4", "hash": "h", "private_metadata": json.dumps({"ref": EVIL, "seen": seen})}
    status, body = bot.http.interactive(_submission(view, OFFICER, status="On track", next="x"))
    assert status == 200
    # Refused in the form itself: modal errors are plain text, which Slack never formats or links.
    answer = json.loads(body)
    assert answer["response_action"] == "errors" and "recommendation" in answer["errors"]["status"].lower()
    assert bot.standin.calls("chat.postMessage") == []
