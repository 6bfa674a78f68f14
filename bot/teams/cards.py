"""Everything the Teams bot shows: message text and Adaptive Cards, each card with a plain-text fallback.

The wording follows the Slack bot's (bot/blocks.py): the same facts in the same order, the same
sentences from the core. Teams reads markdown in message text and in a TextBlock, and HTML in message
text; a `<at>Name</at>` in message text is a mention. So every piece of text that comes from a person,
a cell or the journal passes through `inert()` here, and only here, before it goes into a message's
text or a TextBlock: it then shows as typed and notifies no one. Values prefilled into inputs
(`Input.Text.value`, choices) are shown by Teams as they are and are never escaped.
"""

from __future__ import annotations

import base64
import io
import re
import uuid
from datetime import date, datetime
from typing import Any

from PIL import Image

from shared.domain import schema as s
from shared.domain import update as j
from shared.domain.model import Recommendation
from shared.domain.rules import is_overdue
from shared.domain.update import UpdateResult
from shared.domain.values import cell_text, short_text, shown

CARD = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
#: Teams shows Adaptive Cards up to schema 1.5 on desktop, web and mobile.
VERSION = "1.5"
UPDATE_VERB, OPEN_FORM_VERB = "sli_update", "sli_open_form"
#: Input ids of the form, one per updatable column.
INPUT_FOR = {s.STATUS: "status", s.SUMMARY: "summary", s.NEXT_STEPS: "next", s.DUE: "due"}
#: Where a sentence that names no field goes in the form (above the fields).
FORM_ERROR = "_form"
MAX_TEXT = 2000

HELP_TEXT = (
    "**Ask me about the SLI infant mortality recommendations**\n\n"
    "- `status L7` (or `7`): one recommendation in full\n"
    "- `status safer sleeping`: search the recommendations\n"
    "- `list at risk` or `list ELHT`: by status or lead organisation\n"
    "- `mine`: the recommendations your organisation leads\n"
    "- `update L7`: a form to update one\n"
    "- `update L7 status=\"At risk\" next=\"Agree safer sleep audit\" due=31/01/2027 summary=\"...\"`\n\n"
    "In a channel, mention me first: @SLI Tracker status 7. Plain words work too: "
    "_status of 7_, _what is at risk?_, _update 7 status On track_."
)

# --- the one escaping function ------------------------------------------------------------------

_HTML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
#: Characters that start or end markdown anywhere in a line: emphasis, code, links, images, tables.
_MARKDOWN_ANYWHERE = re.compile(r"([\\`*_~\[\]|!])")
#: Markdown that only counts at the start of a line: headings, quotes, lists, numbered lists, rules.
_MARKDOWN_LINE_START = re.compile(r"^(\s*)([#+\-=]|\d+(?=[.)]))", re.MULTILINE)


def inert(text: object) -> str:
    """`text` (any value; None is '') made safe for Teams message text and Adaptive Card TextBlocks.

    HTML's `&`, `<`, `>` become entities (so `<at>` is never a mention and no tag renders), and
    markdown's punctuation is escaped with a backslash (so `**`, `[label](url)`, `# heading` or a list
    typed into a cell show as typed). Both renderers turn `\\*` and `&lt;` back into `*` and `<`."""
    if text is None:
        return ""
    escaped = _MARKDOWN_ANYWHERE.sub(r"\\\1", str(text).translate(_HTML))
    return _MARKDOWN_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), escaped)






# --- building blocks -----------------------------------------------------------------------------

def text_block(markdown: str, **extra: Any) -> dict:
    """A TextBlock whose `markdown` is already escaped where it holds people's text."""
    return {"type": "TextBlock", "text": markdown, "wrap": True, **extra}


def card(body: list[dict], fallback: str, actions: list[dict] | None = None) -> dict:
    """An Adaptive Card; `fallback` (plain, escaped) is what a client that cannot show cards shows."""
    content: dict[str, Any] = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": VERSION, "body": body,
                               "fallbackText": fallback, "msteams": {"width": "Full"}}
    if actions:
        content["actions"] = actions
    return content


def message(text: str) -> dict:
    """A plain message (markdown; `text` already escaped where it holds people's text)."""
    return {"type": "message", "text": text, "textFormat": "markdown"}


def card_message(content: dict, attachments: list[dict] | None = None) -> dict:
    """A message carrying one card (and, say, an inline image), with the card's fallback as `summary`."""
    return {"type": "message", "summary": content.get("fallbackText", "")[:200],
            "attachments": [{"contentType": CARD, "content": content}, *(attachments or [])]}


def help_message(prefix: str = "") -> dict:
    return message(f"{inert(prefix)}\n\n{HELP_TEXT}" if prefix else HELP_TEXT)


def sentence(text: str) -> dict:
    """One sentence from the core (a refusal, a query error), shown as text."""
    return message(inert(text))


# --- answers -------------------------------------------------------------------------------------

def _fact(title: str, value: str) -> dict:
    return {"title": title, "value": value}


def recommendation_card(row: Recommendation) -> dict:
    """One recommendation in full: what `status L7` shows (the same facts as in Slack)."""
    due = cell_text(row.due) or "no date"
    updated = cell_text(row[s.LAST_UPDATED]) or "never"
    by = cell_text(row[s.UPDATED_BY]) or "unknown"
    body = [
        text_block(f"**{row.ref} · {inert(row.status or 'No status')}**", size="Large"),
        text_block(f"**{row.ref}**: {inert(cell_text(row[s.RECOMMENDATION]))}"),
        {"type": "FactSet", "facts": [
            _fact("Status", inert(row.status or "No status")), _fact("Next step due", due),
            _fact("Lead", inert(row.lead_org or "-")),
            _fact("Lead officer", inert(cell_text(row[s.LEAD_OFFICER]) or "-")),
        ]},
        text_block("**Summary of status**"), text_block(inert(cell_text(row[s.SUMMARY])) or "_none yet_"),
        text_block("**Next steps**"), text_block(inert(cell_text(row[s.NEXT_STEPS])) or "_none_"),
        text_block(f"Last updated {updated} by {inert(by)}", isSubtle=True, size="Small"),
    ]
    fallback = inert(f"{row.ref} ({row.status}): {cell_text(row[s.RECOMMENDATION])}\n"
                     f"Summary: {cell_text(row[s.SUMMARY])}\n"
                     f"Next steps: {cell_text(row[s.NEXT_STEPS])} (due {due})\nLead: {row.lead_org}. "
                     f"Last updated {updated} by {by}.")
    actions = [_open_form_action(row.ref)]
    return card_message(card(body, fallback, actions))


def _facts_line(row: Recommendation) -> str:
    due = f" · due {cell_text(row.due)}" if row.due else " · no due date"
    return f"{row.status or 'No status'} · {row.lead_org or 'no lead organisation'}{due}"


def list_card(title: str, rows: list[Recommendation], today: date | None = None) -> dict:
    """Several recommendations, two lines each: ref and title, then status, lead and due date."""
    if not rows:
        return message(f"{inert(title)}: none.")
    body = [text_block(f"**{inert(title)}** ({len(rows)})", size="Medium")]
    for row in rows[:40]:
        overdue = " · overdue" if today and is_overdue(row.due, row.status, today) else ""
        body.append(text_block(f"**{row.ref}** {inert(short_text(row[s.RECOMMENDATION], 70))}\n\n"
                               f"{inert(_facts_line(row))}{overdue}", spacing="Small", separator=True))
    fallback = inert(f"{title} ({len(rows)}):\n" + "\n".join(
        f"{r.ref} {short_text(r[s.RECOMMENDATION], 70)}: {_facts_line(r)}" for r in rows))
    return card_message(card(body, fallback))


def result_message(result: UpdateResult) -> dict:
    """What the sender is told: updated, waiting for Excel, in conflict, or refused and why (as in Slack)."""
    ref = result.ref
    if result.state == j.APPLIED and not result.changes:
        lines = [f"ℹ️ **{ref}: nothing changed.**", inert(result.message or f"{ref} already shows these values.")]
    elif result.state == j.APPLIED:
        lines = [f"✅ **{ref} updated.**"]
        lines += [f"- {inert(column)}: {inert(shown(old, column) or '(empty)')} → "
                  f"**{inert(shown(new, column) or '(empty)')}**" for column, (old, new) in result.changes.items()]
    elif result.state in j.OPEN_STATES:  # waiting, being written, or in the workbook open in Excel
        lines = [f"⏳ **{ref}: recorded, not yet in the workbook.**", inert(result.message),
                 "I'll tell you when it is in."]
    elif result.state == j.CONFLICT:
        lines = [f"⚠️ **{ref}: not applied: it was changed after you saw it.**"]
        lines += [f"- {inert(c.column)}: {inert(c.changed_by)} changed it to "
                  f"**{inert(shown(c.current, c.column) or '(empty)')}**; "
                  f"you sent **{inert(shown(c.proposed, c.column) or '(empty)')}**" for c in result.conflicts]
        lines.append("Check the new values, then send your update again if it still stands.")
    else:
        outcome = "not applied" if result.message.startswith("Not applied") else "not recorded"
        lines = [f"❌ **{inert(ref)}: {outcome}.**"]
        lines += [f"- {inert(f.message)}" for f in result.errors] or [inert(result.message)]
    lines += [f"_Note: {inert(f.message)}_" for f in result.warnings]
    return message("\n\n".join(lines))


# --- the update form -----------------------------------------------------------------------------

def _open_form_action(ref: str) -> dict:
    return {"type": "Action.Submit", "title": "Update", "data": {"verb": OPEN_FORM_VERB, "ref": ref}}


def seen_values(row: Recommendation) -> dict[str, str]:
    """What a form is prefilled with, by column, as text (the due date ISO): kept in the card's data."""
    return {column: cell_text(row[column]) if column != s.DUE else (row.due.isoformat() if row.due else "")
            for column in INPUT_FOR}


def update_form(row: Recommendation, statuses: list[str], view_seq: int | None, *,
                values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                seen: dict[str, str] | None = None, form_id: str | None = None,
                base: dict[str, str] | None = None) -> dict:
    """The update form, prefilled from the workbook (or with what was submitted, when it comes back with
    errors beside the fields). What the sender saw (`seen`) and the journal's mark (`view`) travel in the
    action's data, for the conflict check; `form` makes a second press of Save the same update."""
    seen = seen if seen is not None else seen_values(row)
    values = values if values is not None else seen
    errors = errors or {}
    form_id = form_id or uuid.uuid4().hex
    data = {"verb": UPDATE_VERB, "ref": row.ref, "seen": seen, "view": view_seq, "form": form_id, "base": base}

    def error(column: str) -> list[dict]:
        message_ = errors.get(column)
        return [text_block(inert(message_), color="Attention", size="Small", spacing="None",
                           id=f"error_{INPUT_FOR.get(column, 'form')}")] if message_ else []

    status_input = {"type": "Input.ChoiceSet", "id": INPUT_FOR[s.STATUS], "label": "Status", "style": "compact",
                    "choices": [{"title": status, "value": status} for status in statuses],
                    "value": values.get(s.STATUS, "") if values.get(s.STATUS, "") in statuses else ""}
    body = [
        text_block(f"**Update {row.ref}**", size="Medium"),
        text_block(f"**{row.ref}**: {inert(short_text(row[s.RECOMMENDATION], 400))}"),
        *error(FORM_ERROR),
        status_input, *error(s.STATUS),
        {"type": "Input.Text", "id": INPUT_FOR[s.SUMMARY], "label": "Summary of status", "isMultiline": True,
         "maxLength": MAX_TEXT, "value": values.get(s.SUMMARY, "")[:MAX_TEXT]}, *error(s.SUMMARY),
        {"type": "Input.Text", "id": INPUT_FOR[s.NEXT_STEPS], "label": "Next steps", "isMultiline": True,
         "maxLength": MAX_TEXT, "value": values.get(s.NEXT_STEPS, "")[:MAX_TEXT]}, *error(s.NEXT_STEPS),
        {"type": "Input.Date", "id": INPUT_FOR[s.DUE], "label": "Next step due",
         "value": values.get(s.DUE, "")}, *error(s.DUE),
    ]
    save = {"type": "Action.Execute", "title": "Save", "verb": UPDATE_VERB, "data": data,
            "fallback": {"type": "Action.Submit", "title": "Save", "data": data}}
    fallback = inert(f"Update {row.ref}: this form needs a client that shows Adaptive Cards. Type "
                     f"update {row.ref} status=\"At risk\" next=\"...\" due=31/01/2027 instead.")
    return card(body, fallback, [save])



class FormError(ValueError):
    """Submitted data this bot cannot read as its form (not what `update_form` wrote)."""


UNREADABLE = "This form could not be read. Type update and the ref (e.g. update L7) for a new one."


def read_form(data: object) -> tuple[str, dict[str, str], dict[str, str], int | None, str]:
    """(ref, submitted values by column, what the form showed by column, the view mark, the form id).

    Raises FormError with a sentence when the data is not what `update_form` put in the card: what the
    sender saw is the only basis of the conflict check, so a form that does not carry it is refused."""
    if not isinstance(data, dict):
        raise FormError(UNREADABLE)
    ref, seen, view, form = data.get("ref"), data.get("seen"), data.get("view"), data.get("form")
    updatable = set(INPUT_FOR)
    if not isinstance(ref, str) or not ref or not isinstance(seen, dict) or not set(seen) <= updatable \
            or not all(isinstance(v, str) for v in seen.values()) or not isinstance(form, str) or not form:
        raise FormError(UNREADABLE)
    if view is not None and (not isinstance(view, int) or isinstance(view, bool) or view < 0):
        view = None
    values = {}
    for column in updatable:
        value = data.get(INPUT_FOR[column], "")
        values[column] = value if isinstance(value, str) else ""
    return ref, values, seen, view, form


def form_base(data: object) -> dict[str, str] | None:
    """The file values `update_form` kept beside what it showed (`base`), or None."""
    base = data.get("base") if isinstance(data, dict) else None
    if isinstance(base, dict) and set(base) <= set(INPUT_FOR) and all(isinstance(v, str) for v in base.values()):
        return base
    return None


def inline_errors(refused: UpdateResult) -> dict[str, str]:
    """A refusal as sentences beside the form's fields (above them when no field is named)."""
    errors: dict[str, str] = {}
    for finding in refused.errors:
        errors.setdefault(finding.column if finding.column in INPUT_FOR else FORM_ERROR, finding.message)
    return errors or {FORM_ERROR: refused.message}


def recorded_card(ref: str) -> dict:
    """What replaces the form once the update is journalled: the outcome follows as a message."""
    return card([text_block(f"📥 Recorded your update to {inert(ref)}; writing it to the workbook…")],
                f"Recorded your update to {inert(ref)}.")


def notice_card(text: str) -> dict:
    return card([text_block(inert(text), wrap=True)], inert(text))


# --- the monthly summary and reminders -----------------------------------------------------------

def _delta(value: int | None) -> str:
    if value is None:
        return ""
    return f" ({'+' if value > 0 else ''}{value})" if value else " (=)"


#: Teams refuses a bot message over about 28 KB, attachments included; the chart inside the card is made
#: smaller (fewer colours, narrower) to leave room for the text.
MAX_CHART_BYTES = 14_000


def small_chart(png: bytes, width: int = 700) -> bytes:
    """The chart as a palette PNG at most `width` pixels wide (41 KB becomes about 14 KB)."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    while True:
        height = round(image.height * min(1, width / image.width))
        small = image.resize((min(width, image.width), height), Image.LANCZOS).quantize(colors=32)
        out = io.BytesIO()
        small.save(out, "PNG", optimize=True)
        if out.tell() <= MAX_CHART_BYTES or width <= 300:
            return out.getvalue()
        width -= 100


def summary_message(figures, chart_png: bytes | None = None) -> dict:
    """The monthly summary (a `shared.summary.MonthFigures`) as a card, its chart inside it as an image."""
    month = datetime.strptime(figures.month, "%Y-%m").strftime("%B %Y")
    since = ("change since last month in brackets" if figures.previous_counts is not None
             else "no earlier month to compare with")
    body = [text_block(f"**SLI infant mortality: {month}**", size="Large"),
            {"type": "FactSet", "facts": [_fact(st, f"{figures.counts.get(st, 0)}{_delta(figures.delta(st))}")
                                          for st in s.STATUSES]},
            text_block(f"_{since}_", isSubtle=True, size="Small")]
    changed_refs = {c.ref for c in figures.changes}
    moves = [f"- **{c.ref}** {inert(c.old or '(none)')} → {inert(c.new)} ({inert(c.by)}, via {inert(c.via)})"
             for c in figures.changes if c.field == s.STATUS]
    lines = moves[:12] + ([f"…and {len(moves) - 12} more"] if len(moves) > 12 else [])
    body.append(text_block(f"**Changed this month**: {len(figures.changes)} change(s) to {len(changed_refs)} "
                           "recommendation(s)" + ("\n\n" + "\n".join(lines) if lines else "")))
    if figures.overdue:
        body.append(text_block("**Overdue next steps**\n\n" + "\n".join(
            f"- **{i.ref}** {inert(i.status)}, due {shown(i.due, s.DUE)}: {inert(short_text(i.text, 80))} "
            f"({inert(i.lead)})"
            for i in figures.overdue[:15])))
    if figures.stale:
        body.append(text_block("**Not updated for 60 days or more**\n\n" + "\n".join(
            f"- **{i.ref}** last updated {shown(i.last_updated, s.LAST_UPDATED) or 'never'} ({inert(i.lead)})"
            for i in figures.stale[:15])))
    if figures.pending or figures.conflicts:
        body.append(text_block(f"**Waiting**: {figures.pending} update(s) not yet in the workbook, "
                               f"{figures.conflicts} in conflict with an officer's edit."))
    if chart_png:
        data_uri = "data:image/png;base64," + base64.b64encode(small_chart(chart_png)).decode()
        body.append({"type": "Image", "url": data_uri,
                     "altText": f"SLI statuses, {figures.month}", "size": "Stretch"})
    body.append(text_block("Ask me: list at risk", isSubtle=True, size="Small"))
    text_counts = ", ".join(f"{st} {figures.counts.get(st, 0)}{_delta(figures.delta(st))}" for st in s.STATUSES)
    fallback = (f"SLI infant mortality, {month}: {text_counts}. {len(figures.changes)} change(s) this month; "
                f"{len(figures.overdue)} overdue; {len(figures.stale)} not updated for 60 days; "
                f"{figures.pending} waiting, {figures.conflicts} in conflict.")
    return card_message(card(body, fallback))


def reminder_message(name: str, month_label: str, items: list) -> dict:
    """The one personal message a lead gets before the summary: their items not updated this month."""
    body = [text_block(f"Hello {inert(name)}. The SLI summary for {month_label} goes to the group soon. "
                       "These have not been updated this month:")]
    actions = []
    for item in items[:20]:
        due = f"due {shown(item.due, s.DUE)}" if item.due else "no due date"
        body.append(text_block(f"**{item.ref}** {inert(short_text(item.text, 70))}\n\n{inert(item.status)} · {due}",
                               separator=True))
        actions.append({"type": "Action.Submit", "title": f"Update {item.ref}",
                        "data": {"verb": OPEN_FORM_VERB, "ref": item.ref}})
    fallback = f"Reminder: {', '.join(i.ref for i in items)} not updated this month ({month_label})."
    return card_message(card(body, fallback, actions[:6]))
