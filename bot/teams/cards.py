"""Adaptive Cards layout: every reply (`shared/usecases/replies/`) as a Teams message or card, each card
with a plain-text fallback. What is said is decided in the replies, the same for Slack (bot/blocks.py);
this only lays it out.

Teams reads markdown in message text and in a TextBlock, and HTML in message text; a `<at>Name</at>` in
message text is a mention. So every piece of text that comes from a person, a cell or the journal passes
through `inert()` here, and only here, before it goes into a message's text or a TextBlock: it then shows
as typed and notifies no one. Values prefilled into inputs (`Input.Text.value`, choices) are shown by
Teams as they are and are never escaped.
"""

from __future__ import annotations

import base64
import io
import re
from typing import Any

from shared.usecases import replies as r

CARD = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
#: Teams shows Adaptive Cards up to schema 1.5 on desktop, web and mobile.
VERSION = "1.5"
UPDATE_VERB, OPEN_FORM_VERB = "sli_update", "sli_open_form"
#: Input ids of the form, one per updatable column: the replies' field names.
INPUT_FOR = r.FIELD_FOR
#: The id of the sentence that names no field (above the fields): `error_form`.
FORM_ERROR = "form"
ICONS = {r.RECORDED: "📥", r.REFUSED: "❌"}
RESULT_ICONS = {r.UNCHANGED: "ℹ️", r.UPDATED: "✅", r.WAITING: "⏳", r.CONFLICTED: "⚠️", r.NOT_DONE: "❌"}

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


def sentence(text: str) -> dict:
    """One sentence (a refusal, a query error), shown as text."""
    return message(inert(text))


def notice_card(text: str) -> dict:
    """A card holding one sentence (what replaces a form that cannot be shown)."""
    return card([text_block(inert(text), wrap=True)], inert(text))


def _fact(title: str, value: str) -> dict:
    return {"title": title, "value": value}


def _open_form_action(ref: str, title: str = "Update") -> dict:
    return {"type": "Action.Submit", "title": title, "data": {"verb": OPEN_FORM_VERB, "ref": ref}}


# --- messages ------------------------------------------------------------------------------------

def render(reply: r.ChatReply, chart_png: bytes | None = None) -> dict:
    """Any reply as the activity to send (a message, or a message carrying a card); `chart_png` goes
    inside the summary's card."""
    if isinstance(reply, r.NoticeReply):
        icon = ICONS.get(reply.tone)
        return message(f"{icon} {inert(reply.plain)}" if icon else inert(reply.plain))
    if isinstance(reply, r.HelpReply):
        return message(_help_text(reply))
    if isinstance(reply, r.ResultReply):
        return message(_result_text(reply))
    if isinstance(reply, r.ListReply) and not reply.items:
        return sentence(reply.plain)
    return card_message(card_for(reply, chart_png))


def card_for(reply: r.ChatReply, chart_png: bytes | None = None) -> dict:
    """A reply as a card's content (what an Action.Execute's answer puts in place of the card pressed)."""
    if isinstance(reply, r.NoticeReply):
        if reply.tone == r.RECORDED:
            return card([text_block(f"{ICONS[r.RECORDED]} {inert(reply.plain)}")], inert(reply.plain))
        return notice_card(reply.plain)
    if isinstance(reply, r.RecommendationReply):
        return _recommendation(reply)
    if isinstance(reply, r.ListReply):
        return _list(reply)
    if isinstance(reply, r.FormReply):
        return _form(reply)
    if isinstance(reply, r.SummaryReply):
        return _summary(reply, chart_png)
    if isinstance(reply, r.ReminderReply):
        return _reminder(reply)
    if isinstance(reply, r.HelpReply | r.ResultReply):
        text = render(reply)["text"]
        return card([text_block(text)], text)
    raise TypeError(f"not a Teams reply: {type(reply).__name__}")


def _help_text(reply: r.HelpReply) -> str:
    lines = []
    for line in reply.lines:
        alternative = f" (or `{line.alternative}`)" if line.alternative else ""
        what = f": {line.what}" if line.what else ""
        lines.append(f"- {' or '.join(f'`{c}`' for c in line.commands)}{alternative}{what}")
    text = (f"**{reply.title}**\n\n" + "\n".join(lines) + "\n\nIn a channel, mention me first: @SLI Tracker status 7. "
            "Plain words work too: " + ", ".join(f"_{w}_" for w in reply.plain_words) + ".")
    return f"{inert(reply.prefix)}\n\n{text}" if reply.prefix else text


def _recommendation(reply: r.RecommendationReply) -> dict:
    """One recommendation in full: what `status L7` shows (the same facts as in Slack)."""
    body = [
        text_block(f"**{inert(reply.header)}**", size="Large"),
        text_block(f"**{inert(reply.ref)}**: {inert(reply.title)}"),
        {"type": "FactSet", "facts": [_fact(fact.label, inert(fact.value)) for fact in reply.facts]},
    ]
    for part in reply.sections:
        body += [text_block(f"**{part.label}**"), text_block(inert(part.text) or f"_{part.empty}_")]
    body.append(text_block(inert(reply.footer), isSubtle=True, size="Small"))
    return card(body, inert(reply.plain), [_open_form_action(reply.ref)])


def _list(reply: r.ListReply) -> dict:
    """Several recommendations, two lines each: ref and title, then status, lead and due date."""
    body = [text_block(f"**{inert(reply.title)}** ({len(reply.items)})", size="Medium")]
    for item in reply.items[:40]:
        overdue = " · overdue" if item.overdue else ""
        body.append(text_block(f"**{inert(item.ref)}** {inert(item.title)}\n\n{inert(item.status + item.details)}"
                               f"{overdue}", spacing="Small", separator=True))
    return card(body, inert(reply.plain))


def _result_text(reply: r.ResultReply) -> str:
    """What the sender is told: updated, waiting for Excel, in conflict, or refused and why (as in Slack)."""
    lines = [f"{RESULT_ICONS[reply.outcome]} **{inert(reply.headline)}**", *([inert(reply.said)] if reply.said else [])]
    lines += [f"- {inert(c.column)}: {inert(c.old)} → **{inert(c.new)}**" for c in reply.changes]
    lines += [f"- {inert(c.column)}: {inert(c.changed_by)} changed it to **{inert(c.current)}**; "
              f"you sent **{inert(c.proposed)}**" for c in reply.conflicts]
    lines += [f"- {inert(reason)}" for reason in reply.reasons] + ([inert(reply.closing)] if reply.closing else [])
    lines += [f"_Note: {inert(note)}_" for note in reply.notes]
    return "\n\n".join(lines)


# --- the update form -----------------------------------------------------------------------------

def _input(field: r.FormField) -> dict:
    if field.kind == r.CHOICE:
        return {"type": "Input.ChoiceSet", "id": field.name, "label": field.label, "style": "compact",
                "choices": [{"title": c, "value": c} for c in field.choices], "value": field.value}
    if field.kind == r.DATE:
        return {"type": "Input.Date", "id": field.name, "label": field.label, "value": field.value}
    return {"type": "Input.Text", "id": field.name, "label": field.label, "isMultiline": True,
            "maxLength": r.MAX_INPUT, "value": field.value}


def _error(text: str, name: str) -> list[dict]:
    return [text_block(inert(text), color="Attention", size="Small", spacing="None", id=f"error_{name}")] \
        if text else []


def _form(reply: r.FormReply) -> dict:
    """The update form, prefilled (or with what was submitted and the refusals beside the fields). What
    travels with it (`replies.form_metadata`) is the action's data; its id makes a second Save the same
    update."""
    data = {"verb": UPDATE_VERB, **r.form_metadata(reply)}
    body = [text_block(f"**{inert(reply.title)}**", size="Medium"),
            text_block(f"**{inert(reply.ref)}**: {inert(reply.heading)}"), *_error(reply.error, FORM_ERROR)]
    for field in reply.fields:
        body += [_input(field), *_error(field.error, field.name)]
    save = {"type": "Action.Execute", "title": "Save", "verb": UPDATE_VERB, "data": data,
            "fallback": {"type": "Action.Submit", "title": "Save", "data": data}}
    fallback = inert(f"{reply.title}: this form needs a client that shows Adaptive Cards. Type "
                     f"update {reply.ref} status=\"At risk\" next=\"...\" due=31/01/2027 instead.")
    return card(body, fallback, [save])


# --- the monthly summary and reminders -----------------------------------------------------------

#: Teams refuses a bot message over about 28 KB, attachments included; the chart inside the card is made
#: smaller (fewer colours, narrower) to leave room for the text.
MAX_CHART_BYTES = 14_000


def small_chart(png: bytes, width: int = 700) -> bytes:
    """The chart as a palette PNG at most `width` pixels wide (41 KB becomes about 14 KB)."""
    from PIL import Image  # here, not at import: the Teams bot loads Pillow only to post a summary

    image = Image.open(io.BytesIO(png)).convert("RGB")
    while True:
        height = round(image.height * min(1, width / image.width))
        small = image.resize((min(width, image.width), height), Image.LANCZOS).quantize(colors=32)
        out = io.BytesIO()
        small.save(out, "PNG", optimize=True)
        if out.tell() <= MAX_CHART_BYTES or width <= 300:
            return out.getvalue()
        width -= 100


def _summary(reply: r.SummaryReply, chart_png: bytes | None) -> dict:
    """The monthly summary as a card (its caveats under the counts), the chart inside it as an image."""
    body = [text_block(f"**{inert(reply.title)}**", size="Large"),
            {"type": "FactSet", "facts": [_fact(c.status, c.shown) for c in reply.counts]},
            text_block(f"_{inert('; '.join((reply.comparison, *reply.caveats)))}_", isSubtle=True, size="Small")]
    moves = [f"- **{inert(m.ref)}** {inert(m.old)} → {inert(m.new)} ({inert(m.by)}, via {inert(m.via)})"
             for m in reply.moves]
    moves += [f"…and {reply.more_moves} more"] if reply.more_moves else []
    body.append(text_block(f"**{reply.CHANGED}**: {inert(reply.changed_line)}"
                           + ("\n\n" + "\n".join(moves) if moves else "")))
    if reply.overdue:
        body.append(text_block(f"**{reply.OVERDUE}**\n\n" + "\n".join(
            f"- **{inert(i.ref)}** {inert(i.status)}, due {inert(i.due)}: {inert(i.text)} ({inert(i.lead)})"
            for i in reply.overdue)))
    if reply.stale:
        body.append(text_block(f"**{reply.stale_heading}**\n\n" + "\n".join(
            f"- **{inert(i.ref)}** last updated {inert(i.last_updated)} ({inert(i.lead)})" for i in reply.stale)))
    if reply.waiting_line:
        body.append(text_block(f"**{reply.WAITING}**: {inert(reply.waiting_line)}"))
    if chart_png:
        data_uri = "data:image/png;base64," + base64.b64encode(small_chart(chart_png)).decode()
        body.append({"type": "Image", "url": data_uri, "altText": reply.chart_alt, "size": "Stretch"})
    body.append(text_block(f"{inert(reply.as_at)} · Ask me: {inert(reply.hint)}", isSubtle=True,
                           size="Small"))
    return card(body, inert(reply.plain))


def _reminder(reply: r.ReminderReply) -> dict:
    """The one personal message a lead gets before the summary: their items not updated this month."""
    body = [text_block(inert(reply.greeting))]
    for item in reply.items[:20]:
        body.append(text_block(f"**{inert(item.ref)}** {inert(item.title)}\n\n{inert(item.status)} · "
                               f"{inert(item.due)}", separator=True))
    actions = [_open_form_action(item.ref, f"Update {item.ref}") for item in reply.items[:6]]
    return card(body, inert(reply.plain), actions)
