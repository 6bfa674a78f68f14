"""Assurance in Teams, through the real SDK app (`sli teams --local`) over HTTP with Bot Framework activities,
posting to the connector stand-in: a claim lands, the holders get an Adaptive Card in their personal chat with
the evidence (inert), *Assure* and *Send back* (with a reason input); the press is an Action.Execute invoke
answered with the card that replaces it; refusals name who can; the lead is told the reason of a sending back."""

from __future__ import annotations

import json
import time

import pytest
import teams_standin as ts
from test_teams import Harness, card_of, texts, unescaped

import sli
from bot.teams import assurance_cards as ac
from shared.domain import schema as s
from shared.reader import read_appendix, read_change_log

DPH = "5e1a0c3d-7b2f-4e81-9c4a-000000000019"          # Rebecca Lord, Director of Public Health
LSCB_CHAIR = "5e1a0c3d-7b2f-4e81-9c4a-000000000020"   # Margaret Pearson, LSCB Chair
L7_LEAD = "5e1a0c3d-7b2f-4e81-9c4a-000000000002"      # Joanne Whitworth
L5_LEAD = "5e1a0c3d-7b2f-4e81-9c4a-000000000008"      # Paul Robinson
ELHT_LEAD = "5e1a0c3d-7b2f-4e81-9c4a-000000000012"    # Anita Patel: holds no accountable role
RISKY = 'See <at>Rebecca</at> and **bold** [x](http://evil.example) or =HYPERLINK("http://x","y")'


@pytest.fixture
def teams(workbook):
    harness = Harness(workbook)
    for person in (DPH, LSCB_CHAIR, L7_LEAD, L5_LEAD, ELHT_LEAD):  # each has a personal chat with the bot
        harness.say("help", aad=person, conversation=_chat(person))
    yield harness
    harness.close()


def _chat(aad: str) -> str:
    return f"a:chat-{aad[-2:]}"


def _in_chat(teams: Harness, aad: str, words: str, timeout: float = 10.0) -> dict:
    """The first message posted in `aad`'s personal chat whose JSON holds `words`, waiting for it."""
    deadline = time.monotonic() + timeout
    while True:
        for message in teams.standin.messages():
            if message["conversation"]["id"] == _chat(aad) and words in unescaped(json.dumps(message)):
                return message
        if time.monotonic() > deadline:
            raise AssertionError(f"no message with {words!r} in {aad}'s chat")
        time.sleep(0.02)


def _press(teams: Harness, aad: str, verb: str, ref: str, card: str = "1", **inputs: str) -> dict:
    body = ts.activity(teams.standin, ts.user(aad), kind="invoke", name="adaptiveCard/action",
                       conversation=_chat(aad), replyToId=f"card-{ref}-{aad[-2:]}-{card}",
                       value={"action": {"type": "Action.Execute", "verb": verb,
                                         "data": {"verb": verb, "ref": ref, **inputs}}, "trigger": "manual"})
    response = ts.post(teams.running.url, body)
    assert response.status_code == 200, response.text
    return response.json()["value"]


def _claim(teams: Harness, aad: str, ref: str, evidence: str) -> None:
    teams.say(f'update {ref} status=Complete evidence="{evidence}"', aad=aad, conversation=_chat(aad), count=2)
    _in_chat(teams, aad, f"{ref} updated")


def test_claim_from_teams_reaches_the_dph_who_assures_it(teams: Harness, capsys) -> None:
    _claim(teams, L7_LEAD, "L7", RISKY)
    claim = card_of(_in_chat(teams, DPH, "L7 is claimed Complete"))
    shown = "\n".join(texts(claim))
    assert "Joanne Whitworth" in json.dumps(claim)
    # The evidence is inert: no <at> mention, no markdown link or bold; read back, it is what was typed.
    assert "<at>" not in shown and "[x](" not in shown and "**bold**" not in shown
    assert any(unescaped(t) == RISKY for t in texts(claim))
    verbs = [a.get("verb") for a in claim["actions"]] + [a.get("verb") for a in claim["actions"][1]["card"]["actions"]]
    assert ac.ASSURE_VERB in verbs and ac.SEND_BACK_VERB in verbs
    assert [i["id"] for i in claim["actions"][1]["card"]["body"]] == ["reason"]

    before = teams.workbook.read_bytes()
    refused = _press(teams, ELHT_LEAD, ac.ASSURE_VERB, "L7")
    assert "Only a holder of Director of Public Health can assure L7" in unescaped(json.dumps(refused))
    assert "Rebecca Lord" in unescaped(json.dumps(refused)) and refused["actions"]  # the buttons stay
    assert teams.workbook.read_bytes() == before

    recorded = _press(teams, DPH, ac.ASSURE_VERB, "L7")
    assert "Recorded your assurance of L7" in json.dumps(recorded)
    _in_chat(teams, DPH, "L7 updated")
    row = read_appendix(teams.workbook).rows["L7"]
    assert row[s.ASSURED_BY] == "Rebecca Lord"
    assert sli.main(["--workbook", str(teams.workbook), "status", "7"]) == 0
    assert f"Assured by Rebecca Lord on {row[s.ASSURED_ON].strftime('%d/%m/%Y')}" in capsys.readouterr().out

    again = _press(teams, DPH, ac.ASSURE_VERB, "L7", card="2")  # on another card (a reminder's): said, not written
    assert "already assured by Rebecca Lord" in unescaped(json.dumps(again))


def test_sent_back_with_a_reason_the_lead_is_told(teams: Harness) -> None:
    before_status = read_appendix(teams.workbook).rows["L5"].status
    _claim(teams, L5_LEAD, "L5", "Pathway agreed at the LSCB, November 2026")
    _in_chat(teams, LSCB_CHAIR, "L5 is claimed Complete")

    before = teams.workbook.read_bytes()
    no_reason = _press(teams, LSCB_CHAIR, ac.SEND_BACK_VERB, "L5")
    assert "Say why L5 is sent back" in unescaped(json.dumps(no_reason)) and no_reason["actions"]
    assert teams.workbook.read_bytes() == before

    reason = "The audit covers one ward only <at>Paul</at> [x](http://evil.example)"
    recorded = _press(teams, LSCB_CHAIR, ac.SEND_BACK_VERB, "L5", reason=reason)
    assert "Recorded your sending back of L5" in json.dumps(recorded)
    told = card_of(_in_chat(teams, L5_LEAD, "L5 was sent back by Margaret Pearson"))
    assert any(unescaped(t) == reason for t in texts(told))
    assert "<at>" not in "\n".join(texts(told)) and "[x](" not in "\n".join(texts(told))
    row = read_appendix(teams.workbook).rows["L5"]
    assert row.status == before_status
    assert any(e.field == s.SENT_BACK and e.new_value == reason and e.via == "Teams"
               for e in read_change_log(teams.workbook))


def test_an_older_client_s_action_submit_assures_too(teams: Harness, capsys) -> None:
    """Clients without Action.Execute send the fallback Action.Submit as a message carrying the data: L3's claim
    (waiting in the committed workbook) is assured the same way."""
    mark = teams.standin.mark()
    response = ts.post(teams.running.url, ts.activity(teams.standin, ts.user(DPH), conversation=_chat(DPH),
                                                      value={"verb": ac.ASSURE_VERB, "ref": "L3"}))
    assert response.status_code in (200, 202)
    first = teams.standin.wait_for(1, start=mark)[0]
    assert "Recorded" in json.dumps(first)
    _in_chat(teams, DPH, "L3 updated")
    assert sli.main(["--workbook", str(teams.workbook), "status", "3"]) == 0
    assert "Assured by Rebecca Lord on " in capsys.readouterr().out


def test_assure_on_an_earlier_claim_s_card_is_refused_and_shows_the_newer_claim(teams: Harness) -> None:
    """L5's first claim card, pressed after it was sent back and claimed again on other evidence, assures
    nothing: the card is replaced by the newer claim (its evidence) with the sentence on top."""
    _claim(teams, L5_LEAD, "L5", "Pathway agreed at the LSCB, November 2026")
    first = card_of(_in_chat(teams, LSCB_CHAIR, "Pathway agreed at the LSCB"))
    [claim_key] = {a["data"].get("claim") for a in [first["actions"][0], first["actions"][1]["card"]["actions"][0]]}
    assert claim_key
    _press(teams, LSCB_CHAIR, ac.SEND_BACK_VERB, "L5", reason="One ward only", claim=claim_key)
    _in_chat(teams, L5_LEAD, "L5 was sent back by Margaret Pearson")
    _claim(teams, L5_LEAD, "L5", "Audit of every ward, December 2026")
    _in_chat(teams, LSCB_CHAIR, "Audit of every ward")
    before = teams.workbook.read_bytes()
    refused = _press(teams, LSCB_CHAIR, ac.ASSURE_VERB, "L5", card="2", claim=claim_key)
    shown = unescaped(json.dumps(refused))
    assert "claimed again since this message" in shown and "Audit of every ward" in shown and refused["actions"]
    assert teams.workbook.read_bytes() == before and not read_appendix(teams.workbook).rows["L5"][s.ASSURED_BY]
