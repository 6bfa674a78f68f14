"""One reply model for both chats (shared/usecases/replies.py): every kind of reply, built from real core
results on a workbook copy, is laid out by the Slack renderer (bot/blocks.py) and the Teams renderer
(bot/teams/cards.py), and every fact the reply holds (refs, numbers, names, dates, caveats) is read back
from what each chat would show: the text of the Slack blocks, and the text of the Adaptive Card or Teams
message. Then the real front ends: the monthly summary posted to both through the same destination
interface, a list's overdue marks, and a form refused, said the same way by the real Bolt app and the real
Teams app; and the renderers only lay out (they import no more of the core than the replies)."""

from __future__ import annotations

import ast
import dataclasses
import json
import re
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from slack_sdk import WebClient
from slack_standin import SlackStandIn
from test_bot import _harness, _submission
from test_teams import OFFICER, Harness, _install
from test_trend import NOW, add_history

from bot import blocks, flows, plain
from bot.scheduler import ChatDestination, MonthlyJobs, SlackDestination, post_summary_to
from bot.teams import cards
from bot.teams.app import TeamsDestination
from bot.text import literal
from shared import summary as sm
from shared.domain import schema as s
from shared.owner import write_owner_file
from shared.reader import read_appendix
from shared.usecases import Store, submit_update
from shared.usecases import replies as r

ROOT = Path(__file__).resolve().parents[1]
SLACK_OFFICER = "U07SLI0006"  # Sana Iqbal, officer (OFFICER is her Entra object ID)


# --- what each chat shows ------------------------------------------------------------------------

def _teams_unescaped(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _normal(text: str) -> str:
    """Text without emphasis marks and with single spaces: the words, as both chats show them."""
    return " ".join(re.sub(r"[*_`]", "", text).split())


def slack_text(payload: object) -> str:
    """Everything a Slack reader sees in blocks or a view: mrkdwn (unescaped) and plain_text objects, and
    the values an input is prefilled with (text, the chosen option, the picker's date)."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text"):
                found.append(literal(node["text"]))
            found.extend(node[key] for key in ("initial_value", "initial_date") if isinstance(node.get(key), str))
            for key, value in node.items():
                if key != "private_metadata":
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
    walk(payload)
    return _normal("\n".join(found))


def teams_text(payload: object) -> str:
    """Everything a Teams reader sees in a message or card: message text, TextBlocks, facts (title then
    value), inputs (label, value, choices) and buttons; never the data a button carries."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            kind = node.get("type", "")
            if kind in ("message", "TextBlock") and isinstance(node.get("text"), str):
                found.append(_teams_unescaped(node["text"]))
            if kind == "FactSet":
                found.extend(f"{_teams_unescaped(f['title'])} {_teams_unescaped(f['value'])}" for f in node["facts"])
            if kind.startswith("Input."):
                found.extend([node.get("label", ""), str(node.get("value", ""))])
                found.extend(choice["title"] for choice in node.get("choices", []))
            if kind.startswith("Action."):
                found.append(node.get("title", ""))
            for key, value in node.items():
                if key not in ("data", "fallback", "facts"):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
    walk(payload)
    return _normal("\n".join(found))


def in_slack(reply: r.ChatReply) -> str:
    if isinstance(reply, r.FormReply):  # the modal, and its refusals (Slack shows them beside the blocks)
        return slack_text(blocks.modal(reply)) + " " + _normal(" ".join(blocks.form_errors(reply).values()))
    if isinstance(reply, r.NoticeReply) and reply.headline:  # an outcome shown in a form's place
        return slack_text(blocks.modal(reply))
    return slack_text(blocks.render(reply)["blocks"])


def in_teams(reply: r.ChatReply) -> str:
    if isinstance(reply, r.FormReply) or (isinstance(reply, r.NoticeReply) and reply.headline):
        return teams_text(cards.card_for(reply))
    return teams_text(cards.render(reply))


# --- every kind of reply, from real results ------------------------------------------------------

@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, r.ChatReply]:
    folder = tmp_path_factory.mktemp("replies")
    workbook = folder / "Appendix1.xlsx"
    workbook.write_bytes((ROOT / "workbook" / "Appendix1.xlsx").read_bytes())
    store = Store.for_workbook(workbook)
    add_history(store)  # a year of status changes: the summary's moves and its caveats
    rows = read_appendix(workbook).rows
    figures = sm.compute_figures(store, 2026, 3, now=NOW)
    figures = dataclasses.replace(figures, pending=2, conflicts=1, overdue=[
        sm.Item("L7", s.AT_RISK, "Blackburn with Darwen Council", "Safer sleep audit with ELHT", "31/01/2026")],
        stale=[sm.Item("L4", s.ON_TRACK, "ELHT", "x", "", "05/01/2026")])
    [reminder, *_] = sm.reminders_due(store, 2026, 12)

    updated = submit_update(store, "L7", {s.NEXT_STEPS: "+1 audit agreed", s.DUE: "28/02/2027"}, by="Sana Iqbal",
                            via=s.VIA_CLI)
    unchanged = submit_update(store, "L7", {s.NEXT_STEPS: "+1 audit agreed"}, by="Sana Iqbal", via=s.VIA_CLI)
    refused = submit_update(store, "L7", {s.STATUS: "Off track", s.DUE: "soon"}, by="Sana Iqbal", via=s.VIA_CLI)
    owner = write_owner_file(workbook, "Helen Lowey")
    waiting = submit_update(store, "L8", {s.NEXT_STEPS: "Wait for Excel"}, by="Sana Iqbal", via=s.VIA_CLI)
    owner.unlink()
    conflict = submit_update(store, "L7", {s.DUE: "30/06/2027"}, by="Anita Patel", via=s.VIA_SLACK,
                             seen={s.DUE: "2027-01-31"})
    assert [x.state for x in (updated, unchanged, refused, waiting, conflict)] == \
        ["applied", "applied", "rejected", "pending", "conflict"]
    assert updated.warnings and refused.errors and conflict.conflicts  # notes, reasons and both values to show

    row = read_appendix(workbook).rows["L7"]
    form = r.form_reply(row, s.STATUSES, 4, rows["L7"])
    at_risk = [x for x in rows.values() if x.status == s.AT_RISK]
    return {
        "notice": r.notice("There is no L99 in the workbook: refs run L1 to L22."),
        "refusal": r.notice("You gave Status twice: give each field once, then send the update again.", r.REFUSED),
        "recorded": r.recorded("L7"),
        "outcome in a form's place": r.notice("There is no workbook at /srv/sli/Appendix1.xlsx.",
                                              headline="L7: not recorded.", ref="L7"),
        "help": r.help_reply("I don't know 'frobnicate'."),
        "recommendation": r.recommendation_reply(rows["L7"]),
        "list": r.list_reply("Recommendations At risk", at_risk, today=date(2027, 6, 1)),
        "empty list": r.list_reply("Recommendations Complete", []),
        "updated": r.result_reply(updated),
        "nothing changed": r.result_reply(unchanged),
        "refused": r.result_reply(refused),
        "waiting": r.result_reply(waiting),
        "conflict": r.result_reply(conflict),
        "form": form,
        "form refused": r.with_errors(r.refused_form(form, refused), {
            "": "Nothing has changed: edit a field, then press Save.", s.STATUS: "Pick a status.",
            s.DUE: refused.errors[0].message}),
        "summary": r.summary_reply(figures),
        "reminder": r.reminder_of(reminder, "December 2026"),
    }


KINDS = ["notice", "refusal", "recorded", "outcome in a form's place", "help", "recommendation", "list",
         "empty list", "updated", "nothing changed", "refused", "waiting", "conflict", "form", "form refused",
         "summary", "reminder"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_reply_shows_the_same_facts_in_slack_and_teams(made: dict[str, r.ChatReply], kind: str) -> None:
    reply = made[kind]
    facts = [_normal(fact) for fact in reply.must_show() if fact]
    assert len(facts) >= 1
    slack, teams = in_slack(reply), in_teams(reply)
    assert [f for f in facts if f not in slack] == [], slack
    assert [f for f in facts if f not in teams] == [], teams
    carded = isinstance(reply, r.RecommendationReply | r.SummaryReply | r.ReminderReply) or \
        (isinstance(reply, r.ListReply) and reply.items)
    if carded:  # a client that cannot show blocks or cards shows the same words in both chats
        assert literal(blocks.render(reply)["text"]) == _teams_unescaped(cards.card_for(reply)["fallbackText"]) \
            == reply.plain


@pytest.mark.parametrize("kind", KINDS)
def test_every_reply_shows_the_same_facts_as_plain_text(made: dict[str, r.ChatReply], kind: str) -> None:
    """The console and `sli summary` print replies with bot/plain.py: the same facts as both chats (a form's
    date as people read it, 31/03/2027, where only the chats' date pickers need ISO), and no Slack markup."""
    reply = made[kind]
    shown = _normal(plain.render(reply))
    facts = [_normal(re.sub(r"^(\d{4})-(\d\d)-(\d\d)$", r"\3/\2/\1", fact)) for fact in reply.must_show() if fact]
    assert [f for f in facts if f not in shown] == [], shown
    assert not re.search(r":[a-z_]+:|\*\S", plain.render(reply)), plain.render(reply)


def test_the_replies_hold_what_the_summary_must_say(made: dict[str, r.ChatReply]) -> None:
    """The cases above are not empty: the summary carries both caveats, moves, overdue and stale items and
    the figures' time; the list marks overdue rows; the refused form has refusals beside and above fields."""
    summary = made["summary"]
    assert isinstance(summary, r.SummaryReply) and len(summary.caveats) == 2
    assert "reconstructed" in summary.caveats[0] and "set aside" in summary.caveats[1]
    assert summary.moves and summary.overdue and summary.stale and summary.waiting_line and summary.taken_at
    assert any(item.overdue for item in made["list"].items)
    refused = made["form refused"]
    assert refused.error and {f.name for f in refused.fields if f.error} == {"status", "due"}
    # The checker itself sees a missing fact: a Teams summary without the caveats, as it was before.
    bare = dataclasses.replace(summary, caveats=())
    assert summary.caveats[0] not in in_teams(bare)


# --- forms read the same way ---------------------------------------------------------------------

def test_a_form_is_read_back_the_same_way_from_a_slack_modal_and_a_teams_card(made: dict[str, r.ChatReply]) -> None:
    form = made["form"]
    typed = {"status": "Complete", "summary": "Audit done", "next": "", "due": "2027-03-31"}
    view = blocks.modal(form)
    slack = _submission({**view, "id": "V1"}, SLACK_OFFICER, **typed)["view"]
    save = cards.card_for(form)["actions"][0]
    teams = {**save["data"], **typed}  # Action.Submit/Execute: the inputs' values beside the action's data
    assert r.submitted_values(blocks.modal_submission(slack)) == r.submitted_values(teams) == {
        s.STATUS: "Complete", s.SUMMARY: "Audit done", s.NEXT_STEPS: "", s.DUE: "2027-03-31"}
    from_slack, from_teams = r.form_state(blocks.modal_metadata(slack)), r.form_state(teams, need_form_id=True)
    assert from_slack == from_teams and from_teams.seen == form.seen and from_teams.view_seq == 4
    assert {b["block_id"] for b in view["blocks"] if b["type"] == "input"} == \
        {i["id"] for i in cards.card_for(form)["body"] if i["type"].startswith("Input.")} == set(r.FIELD_KINDS)


# --- through the real front ends -----------------------------------------------------------------

def test_the_summary_reaches_slack_and_teams_through_one_interface_with_the_same_caveats(workbook: Path) -> None:
    """The monthly jobs post to Slack through `SlackDestination` as to Teams through `TeamsDestination`;
    Teams' summary now says what Slack's says: last month reconstructed, later changes set aside."""
    store = Store.for_workbook(workbook)
    add_history(store)
    teams = Harness(workbook)
    try:
        _install(teams)  # the partnership's team, where Teams' summary goes
        with SlackStandIn() as standin:
            jobs = MonthlyJobs(store, WebClient(token="xoxb-test", base_url=standin.base_url), "C_SLI",
                               teams=teams.bot.destination())
            assert [type(d) for d in jobs.destinations] == [SlackDestination, TeamsDestination]
            interface = [name for name in vars(ChatDestination) if not name.startswith("_")]
            assert {"post_summary", "remind", "follow_up"} <= set(interface)
            assert all(hasattr(d, name) for d in jobs.destinations for name in interface)
            mark = teams.standin.mark()
            said = [post_summary_to(store, d, 2026, 5, now=NOW).message for d in jobs.destinations]
            assert said == ["Posted the summary for 2026-05 to C_SLI.", "Posted the summary for 2026-05 to Teams."]
            [slack_post] = [c["args"] for c in standin.calls("chat.postMessage")]
            assert len(standin.uploads) == 2  # Slack's two charts, in the summary's thread
        [teams_post] = teams.standin.wait_for(1, start=mark)
    finally:
        teams.close()
    slack, shown_in_teams = slack_text(slack_post["blocks"]), teams_text(teams_post)
    for words in ("May 2026", "last month's counts reconstructed from the Change log",
                  "1 status change made since set aside", "Figures as at"):
        assert words in slack and words in shown_in_teams, words
    expected = r.summary_reply(sm.month_figures(store, 2026, 5, NOW))
    assert [_normal(f) for f in expected.must_show() if f and _normal(f) not in shown_in_teams] == []
    assert teams_post["conversation"]["id"] == "19:partnership@thread.tacv2"


def _overdue(workbook: Path, ref: str) -> None:
    wb = openpyxl.load_workbook(workbook)
    ws = wb[s.MAIN_SHEET]
    row = next(r_ for r_ in ws.iter_rows(min_row=4) if r_[0].value == ref)
    row[s.MAIN_COLUMNS.index(s.STATUS)].value = s.AT_RISK
    row[s.MAIN_COLUMNS.index(s.DUE)].value = datetime(2024, 1, 30)
    wb.save(workbook)


def test_a_list_marks_overdue_rows_in_slack_as_in_teams(workbook: Path) -> None:
    _overdue(workbook, "L7")
    serving = _harness(workbook)
    slack = next(serving)
    try:
        slack.http.command(text="list at risk", user_id=SLACK_OFFICER)
        listed = "\n".join(literal(b["text"]["text"]) for b in slack.reply()["blocks"])
    finally:
        next(serving, None)  # the harness shuts its server down
    teams = Harness(workbook)
    try:
        [reply] = teams.say("list at risk", aad=OFFICER)
    finally:
        teams.close()
    [card] = [a["content"] for a in reply["attachments"] if a["contentType"] == cards.CARD]
    in_teams_ = [_teams_unescaped(b["text"]) for b in card["body"] if b["text"].startswith("**L7**")]
    for shown in (re.search(r"\*L7\*[^\n]*\n([^\n]*)", listed).group(1), *in_teams_):
        assert "At risk" in shown and "due 30/01/2024" in shown and shown.endswith("overdue"), shown
    others = re.findall(r"\*L\d+\*[^\n]*\n([^\n]*)", listed)
    assert len(others) > 1 and sum(line.endswith("overdue") for line in others) < len(others)


def test_a_form_is_refused_in_the_same_words_by_the_slack_and_teams_apps(workbook: Path) -> None:
    """The form-submit flow is written once: the real Bolt app and the real Teams app refuse a form that
    changes nothing, one that breaks the rules and one that is not theirs with the same sentences."""
    serving = _harness(workbook)
    slack = next(serving)
    try:
        slack.http.command(text="update 7", user_id=SLACK_OFFICER, trigger_id="1.2.t")
        view = {**slack.standin.wait_for("views.update")[-1]["args"]["view"], "id": "V1", "hash": "h"}
        seen = json.loads(view["private_metadata"])["seen"]
        as_shown = {"status": seen[s.STATUS], "summary": seen[s.SUMMARY], "next": seen[s.NEXT_STEPS],
                    "due": seen[s.DUE]}

        def slack_errors(**typed: str) -> dict[str, str]:
            status, body = slack.http.interactive(_submission(view, SLACK_OFFICER, **typed))
            assert status == 200
            answer = json.loads(body)
            assert answer["response_action"] == "errors"
            return answer["errors"]

        slack_nothing = slack_errors(**as_shown)
        slack_rules = slack_errors(**{**as_shown, "status": "Off track", "due": ""})
        tampered = {**view, "private_metadata": "not json"}
        status, body = slack.http.interactive(_submission(tampered, SLACK_OFFICER, **as_shown))
        assert status == 200
        slack_tampered = json.loads(body)["errors"]
    finally:
        next(serving, None)  # the harness shuts its server down

    teams = Harness(workbook)
    try:
        [reply] = teams.say("update 7", aad=OFFICER)
        data = [a for a in reply["attachments"] if a["contentType"] == cards.CARD][0]["content"]["actions"][0]["data"]

        def teams_errors(**typed: str) -> dict[str, str]:
            card = teams.invoke({**data, **typed})["value"]
            return {b["id"].removeprefix("error_"): _teams_unescaped(b["text"]) for b in card["body"]
                    if b.get("id", "").startswith("error_")}

        teams_nothing = teams_errors(**as_shown)
        teams_rules = teams_errors(**{**as_shown, "status": "Off track", "due": ""})
        teams_tampered = teams.invoke({"verb": cards.UPDATE_VERB, "ref": "L7", **as_shown})["value"]
    finally:
        teams.close()

    assert slack_nothing == {"status": "Nothing has changed: edit a field, then press Save."}
    assert teams_nothing == {"form": slack_nothing["status"]}
    assert slack_rules and teams_rules and slack_rules == teams_rules  # beside the same fields, the same words
    assert flows.TEAMS.words(slack_tampered["status"]) == _teams_unescaped(teams_tampered["body"][0]["text"])
    assert "could not be read" in slack_tampered["status"] and "/sli" not in teams_tampered["body"][0]["text"]
    assert read_appendix(workbook).rows["L7"].status == seen[s.STATUS]  # nothing written by either


# --- the renderers only lay out ------------------------------------------------------------------

RENDERERS = [ROOT / "bot" / "blocks.py", ROOT / "bot" / "teams" / "cards.py"]
#: What a renderer may take from the core: the replies, and the domain's value formatting.
MAY_IMPORT = ("shared.usecases.replies", "shared.domain.values")


def core_imports(source: str) -> set[str]:
    """Every name imported from `shared`, as a dotted path (`from shared.usecases import replies` is
    `shared.usecases.replies`; `from shared.usecases import Reply` is `shared.usecases.Reply`)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name == "shared" or name.startswith("shared.")}


def outside(names: set[str]) -> set[str]:
    return {n for n in names if not any(n == m or n.startswith(m + ".") for m in MAY_IMPORT)}


@pytest.mark.parametrize("path", RENDERERS, ids=lambda p: str(p.relative_to(ROOT)))
def test_renderers_import_nothing_from_the_core_but_the_replies(path: Path) -> None:
    names = core_imports(path.read_text(encoding="utf-8"))
    assert names and outside(names) == set(), outside(names)
    # The check sees what main's renderers imported: the schema, the update, the use cases' Reply.
    assert outside(core_imports("from shared.domain import schema as s\nfrom shared.usecases import Reply\n"
                                "import shared.summary\nfrom shared.usecases.replies import FormReply")) == \
        {"shared.domain.schema", "shared.usecases.Reply", "shared.summary"}


def test_the_slack_fallback_shows_what_people_typed_asterisks_included() -> None:
    """The text fallback (notifications, screen readers) is the reply's own plain text: asterisks a person typed
    stay; only the blocks carry Slack's bold."""
    from shared.usecases.replies.results import UPDATED, ResultReply, ValueChange

    reply = ResultReply("L7", UPDATED, "L7 updated", changes=(ValueChange("Next steps", "Audit *draft*", "2*3 wards"),))
    text = blocks.render(reply)["text"]
    assert "Audit *draft*" in text and "2*3 wards" in text
    assert text == f"{blocks.RESULT_ICONS[reply.outcome]} {plain.render(reply)}"
