"""Block Kit layout: every reply (`shared/usecases/replies/`) as a Slack message, modal or App Home view,
each message with a plain-text fallback. What is said is decided in the replies; this only lays it out.

Kept readable on a phone: short sections, the status first, at most 50 blocks a message.

Everything here is written as people should read it, and escaped on the way out: every `mrkdwn` object
and every message `text` passes through `bot.text.inert()` (in `_mrkdwn` and `message`), so a mention,
`<!channel>` or link typed into a cell, an update or a name shows as text and notifies no one (mrkdwn
objects are also `verbatim`: no automatic parsing of bare URLs, channel names or mentions). No builder
escapes by itself, so nothing is escaped twice; `plain_text` (headers, titles, options, prefilled inputs)
is shown by Slack as it is and is left alone. Dates people read are 31/01/2027; only the date picker's
own value is ISO, as Slack requires.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date

from bot.text import clip, inert
from shared.usecases import replies as r
from shared.usecases.replies import Recommendation, UpdateResult

UPDATE_CALLBACK = "sli_update"
OPEN_UPDATE_ACTION = "open_update"
#: Modal input block for each updatable column (inline errors are keyed by block): the replies' field names.
BLOCK_FOR = r.FIELD_FOR
#: Where a refusal that names no field is shown (Slack's inline errors belong to a block).
FIRST_BLOCK = "status"
STATUS_EMOJI = dict(zip(r.STATUSES, (":white_circle:", ":large_green_circle:", ":large_orange_circle:",
                                     ":red_circle:", ":large_blue_circle:"), strict=True))
ICONS = {r.RECORDED: ":inbox_tray:", r.REFUSED: ":x:"}
RESULT_ICONS = {r.UNCHANGED: ":information_source:", r.UPDATED: ":white_check_mark:",
                r.WAITING: ":hourglass_flowing_sand:", r.CONFLICTED: ":warning:", r.NOT_DONE: ":x:"}
MAX_SECTION = 2900
MAX_FIELD = 1990  # Slack: 2,000 characters per section field
MAX_ERROR = 150  # Slack: an inline modal error
MAX_TITLE = 24  # Slack: a modal's title


def _mrkdwn(text: str, limit: int = MAX_SECTION) -> dict:
    """A mrkdwn text object from text as people should read it: escaped here, and only here.

    `verbatim` stops Slack's automatic parsing too (bare URLs, channel names, "certain mentions"), so a
    bare `@channel` or `#general` typed into a cell stays text as well; *bold* and :emoji: still render."""
    return {"type": "mrkdwn", "text": clip(inert(text), limit), "verbatim": True}


def _section(text: str) -> dict:
    return {"type": "section", "text": _mrkdwn(text)}


def _plain(text: str, limit: int = 150) -> dict:
    return {"type": "plain_text", "text": text[:limit]}


def _command(words: str) -> str:
    return f"`/sli {words}`"


def status_label(status: str) -> str:
    return f"{STATUS_EMOJI.get(status, ':grey_question:')} {status or 'No status'}"


def message(text: str, blocks: list[dict] | None = None) -> dict:
    """Arguments for chat_postMessage / respond: blocks and the fallback `text` (which Slack also parses, so
    it is escaped too). `text` is as people should read it; `blocks` come from the builders here."""
    return {"text": inert(text), "blocks": blocks if blocks is not None else [_section(text)]}


# --- messages ------------------------------------------------------------------------------------

def render(reply: r.ChatReply) -> dict:
    """Any reply that is a message (not a form or App Home) as chat_postMessage / respond arguments."""
    if isinstance(reply, r.NoticeReply):
        return _notice(reply)
    if isinstance(reply, r.HelpReply):
        return message(_help_text(reply))
    if isinstance(reply, r.RecommendationReply):
        return _recommendation(reply)
    if isinstance(reply, r.ListReply):
        return _list(reply)
    if isinstance(reply, r.ResultReply):
        return _result(reply)
    if isinstance(reply, r.SummaryReply):
        return _summary(reply)
    if isinstance(reply, r.ReminderReply):
        return _reminder(reply)
    raise TypeError(f"not a message: {type(reply).__name__}")


def _notice(reply: r.NoticeReply) -> dict:
    icon = ICONS.get(reply.tone)
    return message(f"{icon} {reply.plain}" if icon else reply.plain)


def _help_text(reply: r.HelpReply) -> str:
    lines = [f"*{reply.title}*"]
    for line in reply.lines:
        alternative = f" (or `{line.alternative}`)" if line.alternative else ""
        what = f": {line.what}" if line.what else ""
        lines.append(f"• {' or '.join(_command(c) for c in line.commands)}{alternative}{what}")
    lines.append("In a direct message, plain words work too: " + ", ".join(f"_{w}_" for w in reply.plain_words)
                 + ".")
    text = "\n".join(lines)
    return f"{reply.prefix}\n{text}" if reply.prefix else text


def _recommendation(reply: r.RecommendationReply) -> dict:
    blocks = [
        {"type": "header", "text": _plain(reply.header)},
        _section(f"*{reply.ref}*: {reply.title}"),
        {"type": "section", "fields": [
            _mrkdwn(f"*{fact.label}*\n{status_label(fact.value) if fact.status else fact.value}", MAX_FIELD)
            for fact in reply.facts]},
        *(_section(f"*{part.label}*\n{part.text or f'_{part.empty}_'}") for part in reply.sections),
        {"type": "context", "elements": [_mrkdwn(reply.footer)]},
    ]
    return message(reply.plain, blocks)


def _item_lines(item: r.ListItem) -> str:
    """Two lines: the ref and a short title, then status, lead organisation and due date (and overdue)."""
    overdue = " · :alarm_clock: overdue" if item.overdue else ""
    return f"*{item.ref}* {item.title}\n{status_label(item.status)}{item.details}{overdue}"


def _list(reply: r.ListReply) -> dict:
    if not reply.items:
        return message(reply.plain)
    lines = [_item_lines(item) for item in reply.items]
    blocks = [_section(f"*{reply.title}* ({len(reply.items)})")]
    for start in range(0, len(lines), 6):
        blocks.append(_section("\n".join(lines[start:start + 6])))
    return message(reply.plain, blocks[:50])


def _result(reply: r.ResultReply) -> dict:
    """What the sender is told: recorded, waiting for Excel, in conflict, or refused and why."""
    lines = [f"{RESULT_ICONS[reply.outcome]} *{reply.headline}*", *([reply.said] if reply.said else [])]
    lines += [f"• {c.column}: {c.old} → *{c.new}*" for c in reply.changes]
    lines += [f"• {c.column}: {c.changed_by} changed it to *{c.current}*; you sent *{c.proposed}*"
              for c in reply.conflicts]
    lines += [f"• {reason}" for reason in reply.reasons] + ([reply.closing] if reply.closing else [])
    lines += [f"_Note: {note}_" for note in reply.notes]
    return message(f"{RESULT_ICONS[reply.outcome]} {reply.plain}", [_section("\n".join(lines))])


def update_button(ref: str) -> dict:
    return {"type": "button", "action_id": OPEN_UPDATE_ACTION, "value": ref,
            "text": {"type": "plain_text", "text": "Update"}}


def _summary(reply: r.SummaryReply) -> dict:
    """The monthly summary: counts and change (with its caveats), what changed, what needs a look."""
    counts = " · ".join(f"{status_label(c.status)} *{c.count}*{c.change}" for c in reply.counts)
    blocks: list[dict] = [{"type": "header", "text": _plain(reply.title)},
                          _section(f"{counts}\n_{'; '.join((reply.comparison, *reply.caveats))}_")]
    moves = [f"• *{m.ref}* {m.old} → {m.new} ({m.by}, via {m.via})" for m in reply.moves]
    moves += [f"…and {reply.more_moves} more"] if reply.more_moves else []
    blocks.append(_section(f"*{reply.CHANGED}*: {reply.changed_line}" + ("\n" + "\n".join(moves) if moves else "")))
    if reply.overdue:
        blocks.append(_section(f"*{reply.OVERDUE}*\n" + "\n".join(
            f"• *{i.ref}* {i.status}, due {i.due}: {i.text} ({i.lead})" for i in reply.overdue)))
    if reply.stale:
        blocks.append(_section(f"*{reply.stale_heading}*\n" + "\n".join(
            f"• *{i.ref}* last updated {i.last_updated} ({i.lead})" for i in reply.stale)))
    if reply.waiting_line:
        blocks.append(_section(f"*{reply.WAITING}*: {reply.waiting_line}"))
    blocks.append({"type": "context", "elements": [_mrkdwn(
        f"{reply.as_at} · {_command(reply.hint)} for detail")]})
    return message(reply.plain, blocks)


def _reminder(reply: r.ReminderReply) -> dict:
    """The one DM a lead gets before the summary: their items not yet updated this month, each with a button."""
    blocks: list[dict] = [_section(reply.greeting)]
    for item in reply.items[:40]:
        section = _section(f"*{item.ref}* {item.title}\n{status_label(item.status)} · {item.due}")
        section["accessory"] = update_button(item.ref)
        blocks.append(section)
    return message(reply.plain, blocks)


# --- the update form (a modal) -------------------------------------------------------------------

def _title(ref: str) -> dict:
    return _plain(f"Update {ref}".strip(), MAX_TITLE)


def loading_modal(ref: str) -> dict:
    """What the form shows for the moment it takes to read the row (Slack's trigger expires in 3 s)."""
    return {"type": "modal", "callback_id": UPDATE_CALLBACK, "title": _title(ref),
            "blocks": [_section(r.reading(ref).text)]}


def _option(status: str) -> dict:
    return {"text": {"type": "plain_text", "text": status}, "value": status}


def _input(field: r.FormField) -> dict:
    if field.kind == r.CHOICE:
        element = {"type": "static_select", "action_id": "value", "options": [_option(c) for c in field.choices]}
        if field.value:
            element["initial_option"] = _option(field.value)
        block = {"type": "input", "block_id": field.name, "label": _plain(field.label), "element": element}
        return block
    if field.kind == r.DATE:
        element = {"type": "datepicker", "action_id": "value"}
        if field.value:
            element["initial_date"] = field.value
    else:
        element = {"type": "plain_text_input", "action_id": "value", "multiline": True, "max_length": r.MAX_INPUT}
        if field.value:
            element["initial_value"] = field.value
    return {"type": "input", "block_id": field.name, "optional": True, "label": _plain(field.label),
            "element": element}


def modal(reply: r.FormReply | r.NoticeReply) -> dict:
    """The update form, prefilled (what travels with it in private_metadata: `replies.form_metadata`), or a
    notice in its place (why there is no form, or an outcome over it)."""
    if isinstance(reply, r.NoticeReply):
        text = f"*{reply.headline}* {reply.text}" if reply.headline else reply.text
        return {"type": "modal", "title": _title(reply.ref), "close": {"type": "plain_text", "text": "Close"},
                "blocks": [_section(text)]}
    return {
        "type": "modal", "callback_id": UPDATE_CALLBACK, "title": _title(reply.ref),
        "submit": {"type": "plain_text", "text": "Save"}, "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps(r.form_metadata(reply)),
        "blocks": [_section(f"*{reply.ref}*: {reply.heading}"), *(_input(field) for field in reply.fields)],
    }


def form_errors(reply: r.FormReply | r.NoticeReply) -> dict[str, str]:
    """A refused form's sentences as Slack's inline errors, by block; one naming no field goes with the
    first block's own."""
    if isinstance(reply, r.NoticeReply):
        return {FIRST_BLOCK: reply.plain[:MAX_ERROR]}
    errors = {field.name: field.error for field in reply.fields if field.error}
    if reply.error:
        errors[FIRST_BLOCK] = " ".join(x for x in (reply.error, errors.get(FIRST_BLOCK)) if x)
    return {name: text[:MAX_ERROR] for name, text in errors.items()}


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def modal_metadata(view: dict) -> object:
    """What a submitted modal carried (its private_metadata as JSON), or None when it is not JSON."""
    try:
        return json.loads(view.get("private_metadata") or "")
    except (TypeError, ValueError):
        return None


def modal_submission(view: dict) -> dict[str, object]:
    """A submitted modal's values by field name, read from each input as its kind keeps it."""
    state = _dict(_dict(view.get("state")).get("values"))
    values: dict[str, object] = {}
    for name, kind in r.FIELD_KINDS.items():
        element = _dict(_dict(state.get(name)).get("value"))
        if kind == r.CHOICE:
            values[name] = _dict(element.get("selected_option")).get("value")
        elif kind == r.DATE:
            values[name] = element.get("selected_date")
        else:
            values[name] = element.get("value")
    return values


def modal_base(view: dict) -> dict[str, str] | None:
    """The file values the form kept beside what it showed (`base`), or None."""
    return r.base_of(modal_metadata(view))


def modal_view_seq(view: dict) -> int | None:
    """The journal mark the form kept, or None (an older form: its view is the submit)."""
    return r.view_mark_of(modal_metadata(view))


# --- App Home ------------------------------------------------------------------------------------

def home(reply: r.HomeReply | r.NoticeReply) -> dict:
    """App Home: the person's own recommendations, each with an Update button; or why it is empty."""
    blocks: list[dict] = [{"type": "header", "text": _plain("SLI infant mortality")}]
    if isinstance(reply, r.NoticeReply):
        blocks.append(_section(f":warning: {reply.plain}"))
        return {"type": "home", "blocks": blocks}
    if not reply.items:
        blocks.append(_section(f"{reply.greeting} Type {_command('help')} to ask about any of them."))
    else:
        blocks.append(_section(reply.greeting))
        for item in reply.items[:45]:
            section = _section(_item_lines(item))
            section["accessory"] = update_button(item.ref)
            blocks.append(section)
    return {"type": "home", "blocks": blocks[:100]}


# --- the same, from the core's results (for callers that hold those) -----------------------------

def recommendation_message(row: Recommendation) -> dict:
    return render(r.recommendation_reply(row))


def list_message(title: str, rows: Iterable[Recommendation], today: date | None = None) -> dict:
    return render(r.list_reply(title, rows, today))


def update_result_message(result: UpdateResult) -> dict:
    return render(r.result_reply(result))


def summary_message(figures: r.MonthFigures) -> dict:
    return render(r.summary_reply(figures))


def reminder_message(name: str, month_label: str, items: Sequence) -> dict:
    return render(r.reminder_reply(name, month_label, items))


def form_values(row: Recommendation) -> dict[str, str]:
    return r.form_values(row)


def update_modal(row: Recommendation, statuses: Sequence[str], view_seq: int | None = None,
                 file_row: Recommendation | None = None) -> dict:
    return modal(r.form_reply(row, statuses, view_seq, file_row))
