"""What people type to the bot, read as meant: the `/sli` grammar (`parse_command`) and plain phrases in
DMs and mentions (`parse_message`), as typed on phones (curly quotes, colons, `x=1` inside a value)."""

from __future__ import annotations

import pytest

from bot.parse import HELP, LIST, SEARCH, STATUS, UNKNOWN, UPDATE, UPDATE_MODAL, parse_command, parse_message
from shared.domain import schema as s

BOTH = pytest.mark.parametrize("parse", [parse_command, parse_message], ids=["command", "message"])


def update_of(parse, text: str) -> dict[str, str]:
    intent = parse(text)
    assert (intent.kind, intent.ref, intent.error) == (UPDATE, "L7", ""), intent
    return intent.changes


@BOTH
def test_colon_inside_next_steps_is_kept(parse) -> None:
    assert update_of(parse, "update 7 next=Call Jo re progress: awaiting data") == {
        s.NEXT_STEPS: "Call Jo re progress: awaiting data"}


@BOTH
def test_equals_inside_a_quoted_value_is_kept(parse) -> None:
    assert update_of(parse, 'update 7 summary="Met x=1 people" status=At risk') == {
        s.SUMMARY: "Met x=1 people", s.STATUS: "At risk"}


@BOTH
def test_colon_form_separated_by_commas(parse) -> None:
    assert update_of(parse, "update 7 status: At risk, next: agree audit, due: 31/1/27") == {
        s.STATUS: "At risk", s.NEXT_STEPS: "agree audit", s.DUE: "31/1/27"}


@BOTH
def test_field_word_after_a_full_stop_stays_in_the_summary(parse) -> None:
    assert update_of(parse, "update 7 summary=Agreed. Date: to be agreed") == {
        s.SUMMARY: "Agreed. Date: to be agreed"}


@BOTH
@pytest.mark.parametrize("text", ["update 7 status=\u201cAt risk\u201d next=\u2018Agree audit, then report\u2019",
                                  "update 7 status = \u201cAt risk\u201d next = \u201cAgree audit, then report\u201d"])
def test_curly_quotes(parse, text: str) -> None:
    assert update_of(parse, text) == {s.STATUS: "At risk", s.NEXT_STEPS: "Agree audit, then report"}


@BOTH
def test_unknown_field_is_named(parse) -> None:
    intent = parse("update 7 foo=bar")
    assert intent.kind == UPDATE and intent.changes == {}
    assert "'foo'" in intent.error


@BOTH
def test_plain_words_update(parse) -> None:
    assert update_of(parse, "update 7 status On track") == {s.STATUS: "On track"}


@BOTH
@pytest.mark.parametrize("text", ["update 7", "update l07", "update #7"])
def test_update_without_fields_opens_the_form(parse, text: str) -> None:
    intent = parse(text)
    assert (intent.kind, intent.ref, intent.changes, intent.error) == (UPDATE_MODAL, "L7", {}, "")


@pytest.mark.parametrize("text, kind, ref, query", [
    ("status of 7", STATUS, "L7", ""),
    ("what is at risk?", LIST, None, "At risk or Off track"),  # the question: Off track is at risk too
    ("<@UBOT> what's the status of L12?", STATUS, "L12", ""),
    ("<@UBOT>", HELP, None, ""),
    ("status of safer sleeping", SEARCH, None, "safer sleeping"),
])
def test_plain_phrases(text: str, kind: str, ref: str | None, query: str) -> None:
    intent = parse_message(text)
    assert (intent.kind, intent.ref, intent.query) == (kind, ref, query), intent


def test_unknown_message() -> None:
    intent = parse_message("hello")
    assert intent.kind == UNKNOWN and intent.error


@pytest.mark.parametrize("text", ["status L7", "status 7", "status l07", "status #7", "l07", "#7"])
def test_command_refs(text: str) -> None:
    intent = parse_command(text)
    assert (intent.kind, intent.ref) == (STATUS, "L7"), intent


def test_command_other_verbs() -> None:
    assert parse_command("").kind == HELP
    assert parse_command("status safer sleeping").query == "safer sleeping"
    assert parse_command("list at risk").kind == LIST
    unknown = parse_command("frobnicate")
    assert unknown.kind == UNKNOWN and "frobnicate" in unknown.error
    assert parse_command("update").kind == UNKNOWN


@BOTH
@pytest.mark.parametrize("apostrophe", ["'", "\u2019"])
def test_apostrophe_in_an_unquoted_value_does_not_swallow_later_fields(parse, apostrophe: str) -> None:
    # The apostrophe is kept as typed (as the command line keeps it): only delimiting quotes are straightened.
    assert update_of(parse, f"update 7 summary=It{apostrophe}s done status=Complete") == {
        s.SUMMARY: f"It{apostrophe}s done", s.STATUS: "Complete"}


@BOTH
@pytest.mark.parametrize("fields, named", [('status="On track" status="At risk"', "Status twice:"),
                                           ("next=Agree audit steps=Report", "Next steps twice (next and steps)")])
def test_a_field_given_twice_is_refused(parse, fields: str, named: str) -> None:
    intent = parse(f"update 7 {fields}")
    assert intent.kind == UPDATE and intent.changes == {}
    assert named in intent.error and "give each field once" in intent.error


@BOTH
def test_slack_escaping_of_what_was_typed_is_undone(parse) -> None:
    # Slack sends `A & B <x>` typed in a message or a command as `A &amp; B &lt;x&gt;`.
    assert update_of(parse, 'update 7 next="A &amp; B &lt;x&gt; &amp;lt;"') == {s.NEXT_STEPS: "A & B <x> &lt;"}


def test_typed_quotes_inside_values_are_kept() -> None:
    intent = parse_command("update 7 next=\u201cAgree ELHT\u2019s audit\u201d "
                           "summary=\u2018Met \u201cthe\u201d lead\u2019")
    assert intent.changes == {s.NEXT_STEPS: "Agree ELHT\u2019s audit", s.SUMMARY: "Met \u201cthe\u201d lead"}
    assert parse_command("update 7 next ELHT\u2019s audit").changes == {s.NEXT_STEPS: "ELHT\u2019s audit"}


@pytest.mark.parametrize("sent, typed", [
    ("see <https://www.nhs.uk/start>", "see https://www.nhs.uk/start"),
    ("see <http://nhs.uk|nhs.uk>", "see nhs.uk"),
    ("mail <mailto:jo@example.org|jo@example.org>", "mail jo@example.org"),
    ("<https://evil.example|click here>", "click here (https://evil.example)"),
    ("tell <!here> and <!subteam^S1|@midwives> in <#C1|safer-sleep>", "tell @here and @midwives in #safer-sleep"),
    ("ask <@U0123> &amp; co &lt;soon&gt;", "ask <@U0123> & co <soon>"),
])
def test_slack_markup_is_stored_as_typed(sent: str, typed: str) -> None:
    assert parse_command(f'update 7 next="{sent}"').changes == {s.NEXT_STEPS: typed}
