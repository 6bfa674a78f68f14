"""What people type to the bot, as an intent: the `/sli` grammar and plain phrases in messages.

Typed on phones: curly quotes, `status = "At risk"`, unquoted values with spaces, `31/1/27`.
The values are passed on as typed, as the command line passes them: only the quotes that delimit a value
are read as quotes, so `ELHT’s` stays `ELHT’s`. The core decides whether they are valid. Slack sends
text with `&`, `<` and `>` escaped and what Slack made into links as `<…>`; both are turned back
(`from_slack()`) so the workbook holds what was typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.text import literal
from shared.domain import schema as s
from shared.domain.values import canonical_status, straighten_quotes, suggest_status

HELP, STATUS, SEARCH, LIST, MINE, UPDATE_MODAL, UPDATE, UNKNOWN = (
    "help", "status", "search", "list", "mine", "update_modal", "update", "unknown")

#: Names people give the fields in the one-line form, and the column each means.
FIELD_NAMES = {
    "status": s.STATUS, "summary": s.SUMMARY, "progress": s.SUMMARY,
    "next": s.NEXT_STEPS, "nextstep": s.NEXT_STEPS, "nextsteps": s.NEXT_STEPS, "steps": s.NEXT_STEPS,
    "due": s.DUE, "duedate": s.DUE, "date": s.DUE,
    "evidence": s.EVIDENCE,
}


@dataclass
class Intent:
    kind: str
    ref: str | None = None
    query: str = ""
    changes: dict[str, str] = field(default_factory=dict)
    error: str = ""


_KNOWN_KEY = r"status|summary|progress|next[ _\-]?steps?|next|steps|due[ _\-]?date|due|date|evidence"
_ASSIGNMENT = re.compile(
    rf"(?:^|(?<=\s))(?P<known>{_KNOWN_KEY})\s*=\s*"          # status=...  anywhere
    rf"|(?:^|(?<=[;,\n]))\s*(?P<colon>{_KNOWN_KEY})\s*:\s*"  # status: ... at the start or after ; , or a new line
    rf"|(?:^|(?<=\s))(?P<other>[A-Za-z][\w\-]*)\s*=\s*",     # anything=  (to say it is not a field)
    re.IGNORECASE)


def _unquote(typed: str, straight: str, start: int = 0, end: int | None = None) -> str:
    """The value in typed[start:end], without the quotes that delimit it (found in `straight`, the same text
    with curly quotes straightened, character for character); quotes inside the value stay as typed."""
    end = len(typed) if end is None else end
    part = straight[start:end]
    start += len(part) - len(part.lstrip())
    value = part.strip().rstrip(";,").strip()
    end = start + len(value)
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return typed[start + 1:end - 1].strip()
    return typed[start:end]


def parse_assignments(text: str) -> tuple[dict[str, str], str]:
    """`status="At risk" next=Agree audit due=31/1/27` -> ({column: value}, error sentence or '').

    A field given twice (`status=... status=...`, or `next=` and `steps=`) is refused: which one was meant
    is a guess, and a guess must not reach the workbook.
    """
    typed = text.strip()
    text = straighten_quotes(typed)  # same length: fields and delimiting quotes are found here
    matches = [m for m in _ASSIGNMENT.finditer(text) if not _inside_quotes(text, m.start())]
    if not matches:
        return {}, ""
    if text[:matches[0].start()].strip():
        return {}, (f"I could not read '{typed[:matches[0].start()].strip()}'. "
                    "Write fields as status=\"At risk\" next=\"...\" due=31/01/2027 summary=\"...\".")
    changes: dict[str, str] = {}
    names: dict[str, str] = {}
    for index, match in enumerate(matches):
        name = match.group("known") or match.group("colon") or match.group("other")
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        column = FIELD_NAMES.get(re.sub(r"[\s_\-]", "", name).casefold())
        if column is None:
            return {}, f"I don't know the field '{name}'. Use status=, summary=, next=, due= or evidence=."
        if column in changes:
            again = f"twice ({names[column]} and {name})" if names[column] != name else "twice"
            return {}, f"You gave {column} {again}: give each field once, then send the update again."
        names[column] = name
        changes[column] = _unquote(typed, text, match.end(), end)
    return changes, ""


def _inside_quotes(text: str, position: int) -> bool:
    """Whether `position` falls inside a quoted value ("next=Ring the CCG: 2pm" must not split at the colon)."""
    quote = None
    for index, char in enumerate(text[:position]):
        if quote is None and char in "\"'" and re.search(r"[=:]\s*$", text[:index]):
            quote = char  # a quote opens a value only right after `=` or `:` (not the one in "It's")
        elif char == quote:
            quote = None
    return quote is not None


def _first_word(text: str) -> str:
    """Up to the first space of any kind: phones with full-width keyboards type the ideographic space (U+3000)
    between `update` and `Ｌ７`, which `s.normalise_ref` reads as L7."""
    return re.split(r"\s", text, maxsplit=1)[0]


def _ref(word: str) -> str | None:
    try:
        return s.normalise_ref(word)
    except s.RefError:
        return None


_SLACK_MARKUP = re.compile(r"<([^<>]*)>")


def _markup_as_typed(match: re.Match[str]) -> str:
    target, _, label = match.group(1).partition("|")
    if target.startswith("@"):
        return match.group(0)  # a person: Slack's own token, kept (the bot shows it as text)
    if target.startswith("!"):
        return label or "@" + target[1:].split("^")[0]  # <!here> -> @here, <!subteam^S1|@team> -> @team
    if target.startswith("#"):
        return f"#{label}" if label else target  # <#C1|general> -> #general
    if not label or target.endswith(label):
        return label or target  # a URL Slack linked as typed: <https://nhs.uk>, <http://nhs.uk|nhs.uk>
    return f"{label} ({target})"  # a link with other words: both, so nothing is hidden


def from_slack(text: str) -> str:
    """Text as Slack sends it (`A &amp; B`, `<http://nhs.uk|nhs.uk>`, `<!here>`) as the person typed it."""
    return literal(_SLACK_MARKUP.sub(_markup_as_typed, text or ""))


def parse_command(text: str) -> Intent:
    """The text after `/sli`, as Slack sends it (escaped, with links and mentions in `<…>`)."""
    return _command(from_slack(text))


def _command(typed: str) -> Intent:
    typed = typed.strip()
    verb = _first_word(straighten_quotes(typed))
    verb, rest = verb.casefold(), typed[len(verb):].strip()
    if verb in ("", "help", "?"):
        return Intent(HELP)
    if verb == "mine":
        return Intent(MINE)
    if verb in ("status", "show", "find", "search"):
        if not rest:
            return Intent(UNKNOWN, error="Say which recommendation: `/sli status L7` or `/sli status safer sleeping`.")
        ref = _ref(rest)
        return Intent(STATUS, ref=ref) if ref else Intent(SEARCH, query=rest)
    if verb == "list":
        return Intent(LIST, query=rest)
    if verb == "update":
        ref_word = _first_word(rest)
        ref, fields = _ref(ref_word), rest[len(ref_word):]
        if not ref:
            return Intent(UNKNOWN, error="Say which recommendation to update, e.g. `/sli update L7`.")
        if not fields.strip():
            return Intent(UPDATE_MODAL, ref=ref)
        changes, error = parse_assignments(fields)
        if not error and not changes:
            changes, error = _plain_update(fields, ref)
        return Intent(UPDATE, ref=ref, changes=changes, error=error)
    ref = _ref(verb)
    if ref and not rest:
        return Intent(STATUS, ref=ref)
    return Intent(UNKNOWN, error=f"I don't know '{verb}'.")


def _plain_update(fields: str, ref: str) -> tuple[dict[str, str], str]:
    """`status On track`, `next Agree the audit`: one field named by its first word."""
    typed = fields.strip()
    key, _, value = straighten_quotes(typed).partition(" ")
    column = FIELD_NAMES.get(re.sub(r"[\s_\-]", "", key).casefold())
    if column is None or not value.strip():
        return {}, ("Write the update as status=\"At risk\" next=\"...\" due=31/01/2027 summary=\"...\", "
                    f"or `/sli update {ref}` for a form.")
    return {column: _unquote(typed, straighten_quotes(typed), len(key) + 1)}, ""


_STATUS_OF = re.compile(r"^(?:what(?:'s| is)\s+(?:the\s+)?)?(?:status|progress|update)\s+(?:of|on|for)\s+(.+?)\??$")
_WHAT_IS = re.compile(r"^(?:what(?:'s| is| are)|which (?:are|is)|show( me)?|list)\s+(.+?)\??$")


def _question_query(query: str) -> str:
    """What a question lists: "what is at risk?" means everything at risk, Off track too (the list is titled
    so); `list at risk`, the command, lists the status At risk alone and says that Off track is left out."""
    if (canonical_status(query) or suggest_status(query)) == s.AT_RISK:
        return f"{s.AT_RISK} or {s.OFF_TRACK}"
    return query


def parse_message(text: str) -> Intent:
    """A plain phrase in a DM or a mention, as Slack sends it: "status of 7", "what is at risk?",
    "update 7 status On track". The bot's own mention (a live `<@U…>`) is dropped before unescaping."""
    return parse_typed(from_slack(re.sub(r"<@[A-Z0-9]+(?:\|[^>]*)?>", " ", text or "")))


def parse_typed(text: str) -> Intent:
    """A message as the person typed it, with no chat markup left in it (Slack's is undone by
    `parse_message`; Teams sends plain text once the bot's mention is removed): the same grammar for
    every chat front end, the `/sli` words and the plain phrases."""
    text = (text or "").strip()
    lowered = " ".join(straighten_quotes(text).split()).casefold().rstrip("?!. ")
    if not lowered:
        return Intent(HELP)
    if match := _STATUS_OF.match(lowered):
        target = match.group(1).strip()
        ref = _ref(target.removeprefix("recommendation ").strip())
        return Intent(STATUS, ref=ref) if ref else Intent(SEARCH, query=target)
    if lowered.split(" ", 1)[0] in ("help", "mine", "status", "list", "update", "search", "show", "find"):
        intent = _command(text)
        if intent.kind != UNKNOWN or lowered.split(" ", 1)[0] == "update":
            return intent
    if match := _WHAT_IS.match(lowered):
        return Intent(LIST, query=_question_query(match.group(2).strip()))
    if lowered in ("my recommendations", "mine", "my actions"):
        return Intent(MINE)
    ref = _ref(lowered)
    if ref:
        return Intent(STATUS, ref=ref)
    return Intent(UNKNOWN, error="I didn't understand that.")
