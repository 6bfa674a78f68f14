"""Assurance in Slack, through the real Bolt app over HTTP with signed requests against the Slack stand-in: a
claim lands, the holders of its accountable role get a DM with the evidence (inert) and *Assure* / *Send back*;
pressing goes through the core before the ack, the write follows on the writer thread; refusals name who can;
a claim sent back tells its lead the reason. The workbook is a real copy of the committed one."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from test_bot import L7_LEAD, Harness, _harness

import sli
from bot import assurance_blocks as ab
from bot.app import assurance_news
from bot.notifier import Notifier
from shared import usecases
from shared.domain import schema as s
from shared.reader import read_appendix, read_change_log

DPH = "U07SLI0019"          # Rebecca Lord, Director of Public Health (Leads: Accountable for)
LSCB_CHAIR = "U07SLI0020"   # Margaret Pearson, LSCB Chair
L5_LEAD = "U07SLI0008"      # Paul Robinson, BwD Council Children's Services (L5 is accountable to the LSCB Chair)
ELHT_LEAD = "U07SLI0012"    # Anita Patel: holds no accountable role
RISKY = 'See <@U123> and <!channel>, [x](http://evil.example) or =HYPERLINK("http://x","y")'


@pytest.fixture
def bot(workbook: Path):
    yield from _harness(workbook)


def _dms(bot: Harness, user: str, count: int = 1, timeout: float = 10.0) -> list[dict]:
    """The first `count` DMs to `user`, waiting up to `timeout` seconds for them."""
    deadline = time.monotonic() + timeout
    while True:
        found = [c["args"] for c in bot.standin.calls("chat.postMessage") if c["args"].get("channel") == user]
        if len(found) >= count:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(found)} DMs to {user}, expected {count}: {found}")
        time.sleep(0.02)


def _press(bot: Harness, user: str, action: str, ref: str, ts: str = "1.1") -> tuple[int, str]:
    return bot.http.interactive({
        "type": "block_actions", "user": {"id": user}, "team": {"id": "T1"}, "api_app_id": "A1", "token": "x",
        "trigger_id": f"{ts}.trigger", "container": {"type": "message", "message_ts": ts, "channel_id": f"D{user}"},
        "actions": [{"action_id": action, "value": ref, "type": "button", "block_id": f"assurance:{ref}"}]})


def _submit_reason(bot: Harness, user: str, view: dict, reason: str) -> tuple[int, str]:
    state = {ab.REASON_BLOCK: {ab.REASON_BLOCK: {"type": "plain_text_input", "value": reason}}}
    return bot.http.interactive({"type": "view_submission", "team": {"id": "T1"}, "user": {"id": user},
                                 "api_app_id": "A1", "token": "x", "trigger_id": "1.2.t",
                                 "view": {**view, "state": {"values": state}}})


def _claim(bot: Harness, user: str, ref: str, evidence: str) -> None:
    """Claim `ref` Complete from Slack and wait until it is written."""
    _, body = bot.http.command(text=f'update {ref} status=Complete evidence="{evidence}"', user_id=user,
                               response_url=bot.standin.response_url(f"claim-{ref}"))
    assert f"Recorded your update to {ref}" in body, body
    assert f"{ref} updated" in bot.reply_to(f"claim-{ref}")["text"]


def _all_text(message: dict) -> str:
    return json.dumps(message)


def test_claim_from_slack_goes_to_the_dph_who_assures_it(bot: Harness, capsys) -> None:
    _claim(bot, L7_LEAD, "L7", RISKY)
    [dm] = _dms(bot, DPH)
    text = _all_text(dm)
    assert "L7 is claimed Complete" in dm["text"] and "Joanne Whitworth" in text
    # The evidence is shown, inert: no live mention, broadcast or link.
    assert "See &lt;@U123&gt; and" in text and "<@U123>" not in text  # as typed, mentioning no one
    assert "<!channel>" not in text and "<http" not in text and "[x](http://evil.example)" in text
    assert all(part.get("verbatim") for block in dm["blocks"] for part in
               ([block["text"]] if block.get("type") == "section" and "text" in block else []))
    [actions] = [b for b in dm["blocks"] if b["type"] == "actions"]
    assert [(e["action_id"], e["value"]) for e in actions["elements"]] == [("assure", "L7"), ("send_back", "L7")]
    assert _dms(bot, L7_LEAD, 0) == []  # the claimant is not asked to assure

    # Someone who holds no accountable role is refused, told who can; nothing changes.
    before = bot.workbook.read_bytes()
    assert _press(bot, ELHT_LEAD, "assure", "L7")[0] == 200
    [refused] = _dms(bot, ELHT_LEAD)
    assert "Only a holder of Director of Public Health can assure L7" in refused["text"]
    assert "Rebecca Lord" in refused["text"]
    assert bot.workbook.read_bytes() == before

    assert _press(bot, DPH, "assure", "L7", ts="2.2")[0] == 200
    recorded, written = _dms(bot, DPH, 3)[1:]
    assert "Recorded" in recorded["text"] and "L7 updated" in written["text"]
    assert "Rebecca Lord" in _all_text(written)
    row = read_appendix(bot.workbook).rows["L7"]
    assert row[s.ASSURED_BY] == "Rebecca Lord" and row[s.ASSURED_ON] is not None

    assert sli.main(["--workbook", str(bot.workbook), "status", "7"]) == 0
    out = capsys.readouterr().out
    assert f"Assured by Rebecca Lord on {row[s.ASSURED_ON].strftime('%d/%m/%Y')}" in out

    # Pressed again later: already assured, said in a sentence; nothing more written.
    logged = len(read_change_log(bot.workbook))
    _press(bot, DPH, "assure", "L7", ts="3.3")
    again = _dms(bot, DPH, 4)[3]
    assert "already assured by Rebecca Lord" in again["text"]
    assert len(read_change_log(bot.workbook)) == logged


def test_the_claimant_cannot_assure_their_own_claim(bot: Harness) -> None:
    _claim(bot, DPH, "L2", "Audit report, November 2026")  # Rebecca Lord leads for BwD Council Public Health too
    before = bot.workbook.read_bytes()
    _press(bot, DPH, "assure", "L2")
    refused = [m for m in _dms(bot, DPH) if "cannot assure their own claim" in m["text"]]
    assert not [m for m in _dms(bot, DPH) if "is claimed Complete" in m["text"]]  # not asked to assure it
    assert refused and "Rebecca Lord claimed L2 Complete" in refused[0]["text"]
    assert bot.workbook.read_bytes() == before


def test_sent_back_by_the_lscb_chair_with_a_reason_the_lead_is_told(bot: Harness) -> None:
    before_status = read_appendix(bot.workbook).rows["L5"].status
    _claim(bot, L5_LEAD, "L5", "Pathway agreed at the LSCB, November 2026")
    [dm] = _dms(bot, LSCB_CHAIR)
    assert "L5 is claimed Complete" in dm["text"]

    # Send back opens the modal asking why.
    _press(bot, LSCB_CHAIR, "send_back", "L5")
    opened = bot.standin.wait_for("views.open")[-1]["args"]["view"]
    assert opened["callback_id"] == ab.SEND_BACK_CALLBACK and opened["private_metadata"] == "L5"
    view = {**opened, "id": "V1", "hash": "h1"}

    # The claimant submitting it is refused beside the field; nothing changes.
    before = bot.workbook.read_bytes()
    status, body = _submit_reason(bot, L5_LEAD, {**view, "id": "V0"}, "Not good enough")
    answer = json.loads(body)
    assert status == 200 and answer["response_action"] == "errors"
    assert "Only a holder of LSCB Chair can send back L5" in answer["errors"][ab.REASON_BLOCK]
    assert bot.workbook.read_bytes() == before

    reason = "The audit covers one ward only <@U123> [x](http://evil.example)"
    status, body = _submit_reason(bot, LSCB_CHAIR, view, reason)
    assert status == 200 and body == ""
    [told] = _dms(bot, L5_LEAD)
    text = _all_text(told)
    assert "L5 was sent back by Margaret Pearson" in told["text"]
    assert "The audit covers one ward only &lt;@U123&gt;" in text and "<@U123>" not in text
    row = read_appendix(bot.workbook).rows["L5"]
    assert row.status == before_status and not row[s.EVIDENCE]
    logged = read_change_log(bot.workbook)
    assert any(e.field == s.SENT_BACK and e.new_value == reason and e.by == "Margaret Pearson" for e in logged)


def test_a_claim_made_elsewhere_reaches_the_holder_on_the_next_pass(bot: Harness, capsys) -> None:
    """L3's claim was made outside the bot (the committed workbook has it waiting): a notifier pass finds
    it and DMs the Director of Public Health, once however many passes run; *Assure* then records it."""
    ctx = usecases.context(bot.settings)
    notifier = Notifier(ctx, bot.app.client, 3600, news=assurance_news(ctx, bot.app.client))
    assert notifier.news.tell() >= 1
    assert notifier.news.tell() == 0  # told once
    [dm] = [m for m in _dms(bot, DPH) if "L3 is claimed Complete" in m["text"]]
    assert "Record keeping audit" in dm["text"]
    _press(bot, DPH, "assure", "L3")
    written = [m for m in _dms(bot, DPH, 3) if "L3 updated" in m["text"]]
    assert written
    assert sli.main(["--workbook", str(bot.workbook), "status", "3"]) == 0
    assert "Assured by Rebecca Lord on " in capsys.readouterr().out


def _press_on(bot: Harness, user: str, message: dict, action: str, ts: str, click: int = 1) -> tuple[int, str]:
    """Press `action` on the DM `message` (posted at `ts`) as Slack sends it: the button's value and its block's
    id; each `click` its own trigger (a second click is a new request, not a replay)."""
    [actions] = [b for b in message["blocks"] if b["type"] == "actions"]
    [button] = [e for e in actions["elements"] if e["action_id"] == action]
    return bot.http.interactive({
        "type": "block_actions", "user": {"id": user}, "team": {"id": "T1"}, "api_app_id": "A1", "token": "x",
        "trigger_id": f"{ts}.{click}.trigger",
        "container": {"type": "message", "message_ts": ts, "channel_id": f"D{user}"},
        "actions": [{"action_id": action, "value": button["value"], "type": "button",
                     "block_id": actions["block_id"]}]})


def _dm_saying(bot: Harness, user: str, words: str, timeout: float = 10.0) -> dict:
    """The latest DM to `user` containing `words`, waiting up to `timeout` seconds for one."""
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in _dms(bot, user, 0) if words in m["text"]]
        if found:
            return found[-1]
        if time.monotonic() > deadline:
            raise AssertionError(f"no DM to {user} says {words!r}: {_dms(bot, user, 0)}")
        time.sleep(0.02)


def test_a_press_on_an_earlier_claim_s_dm_or_pressed_twice_records_nothing_more(bot: Harness) -> None:
    """The chair's DM of L5's first claim, pressed after it was sent back and claimed again on other evidence,
    assures nothing (the holder never saw the new evidence there); *Assure* pressed twice on the new DM while
    its write waits (the workbook open in Excel) is recorded once, and the second press says so."""
    from shared.owner import write_owner_file
    from shared.uow import Store

    _claim(bot, L5_LEAD, "L5", "Pathway agreed at the LSCB, November 2026")
    [first] = _dms(bot, LSCB_CHAIR)
    _press_on(bot, LSCB_CHAIR, first, "send_back", "1.1")
    view = {**bot.standin.wait_for("views.open")[-1]["args"]["view"], "id": "V1", "hash": "h1"}
    assert _submit_reason(bot, LSCB_CHAIR, view, "Only one ward audited") == (200, "")
    _dms(bot, L5_LEAD)  # told
    _claim(bot, L5_LEAD, "L5", "Audit of every ward, December 2026")
    second = _dm_saying(bot, LSCB_CHAIR, "Audit of every ward")
    before = bot.workbook.read_bytes()
    _press_on(bot, LSCB_CHAIR, first, "assure", "1.1")
    _dm_saying(bot, LSCB_CHAIR, "claimed again since this message")
    assert bot.workbook.read_bytes() == before and not read_appendix(bot.workbook).rows["L5"][s.ASSURED_BY]

    write_owner_file(bot.workbook, "Sana Iqbal")  # Excel has it open: the assurance waits to be written
    seen = len(_dms(bot, LSCB_CHAIR, 0))
    _press_on(bot, LSCB_CHAIR, second, "assure", "5.5")
    _press_on(bot, LSCB_CHAIR, second, "assure", "5.5", click=2)
    _dm_saying(bot, LSCB_CHAIR, "recorded from your first press")
    answers = [m["text"] for m in _dms(bot, LSCB_CHAIR, 0)[seen:]]
    assert len([a for a in answers if "Recorded your assurance of L5" in a]) == 1, answers
    journal = Store.for_workbook(bot.workbook).journal()
    assert len([e for e in journal.for_ref("L5") if s.ASSURED_BY in e.changes]) == 1
