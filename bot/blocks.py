"""Block Kit builders: every message, modal and App Home view the bot shows, each with a plain-text fallback.

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
from datetime import UTC, date, datetime

from bot.text import clip, inert
from shared.domain import schema as s
from shared.domain import update as j
from shared.domain.model import Recommendation
from shared.domain.rules import is_overdue
from shared.domain.update import UpdateResult
from shared.domain.values import cell_text, short_text, shown
from shared.usecases import Reply

UPDATE_CALLBACK = "sli_update"
OPEN_UPDATE_ACTION = "open_update"
#: Modal input block for each updatable column (inline errors are keyed by block).
BLOCK_FOR = {s.STATUS: "status", s.SUMMARY: "summary", s.NEXT_STEPS: "next", s.DUE: "due"}
STATUS_EMOJI = {s.NOT_STARTED: ":white_circle:", s.ON_TRACK: ":large_green_circle:", s.AT_RISK: ":large_orange_circle:",
                s.OFF_TRACK: ":red_circle:", s.COMPLETE: ":large_blue_circle:"}
MAX_SECTION = 2900
MAX_FIELD = 1990  # Slack: 2,000 characters per section field

HELP_TEXT = (
    "*Ask me about the SLI infant mortality recommendations*\n"
    "• `/sli status L7` (or `7`): one recommendation in full\n"
    "• `/sli status safer sleeping`: search the recommendations\n"
    "• `/sli list at risk` or `/sli list ELHT`: by status or lead organisation\n"
    "• `/sli mine`: the recommendations your organisation leads\n"
    "• `/sli update L7`: a form to update one\n"
    "• `/sli update L7 status=\"At risk\" next=\"Agree safer sleep audit\" due=31/01/2027 summary=\"...\"`\n"
    "In a direct message, plain words work too: _status of 7_, _what is at risk?_, _update 7 status On track_."
)


def _mrkdwn(text: str, limit: int = MAX_SECTION) -> dict:
    """A mrkdwn text object from text as people should read it: escaped here, and only here.

    `verbatim` stops Slack's automatic parsing too (bare URLs, channel names, "certain mentions"), so a
    bare `@channel` or `#general` typed into a cell stays text as well; *bold* and :emoji: still render."""
    return {"type": "mrkdwn", "text": clip(inert(text), limit), "verbatim": True}


def _section(text: str) -> dict:
    return {"type": "section", "text": _mrkdwn(text)}






def status_label(status: str) -> str:
    return f"{STATUS_EMOJI.get(status, ':grey_question:')} {status or 'No status'}"


def message(text: str, blocks: list[dict] | None = None) -> dict:
    """Arguments for chat_postMessage / respond: blocks and the fallback `text` (which Slack also parses, so
    it is escaped too). `text` is as people should read it; `blocks` come from the builders here."""
    return {"text": inert(text), "blocks": blocks if blocks is not None else [_section(text)]}


def help_message(prefix: str = "") -> dict:
    text = f"{prefix}\n{HELP_TEXT}" if prefix else HELP_TEXT
    return message(text)


def recommendation_message(row: Recommendation) -> dict:
    due = cell_text(row.due) or "no date"
    updated = cell_text(row[s.LAST_UPDATED]) or "never"
    by = cell_text(row[s.UPDATED_BY]) or "unknown"
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": f"{row.ref} · {row.status}"[:150]}},
        _section(f"*{row.ref}*: {cell_text(row[s.RECOMMENDATION])}"),
        {"type": "section", "fields": [
            _mrkdwn(f"*Status*\n{status_label(row.status)}", MAX_FIELD),
            _mrkdwn(f"*Next step due*\n{due}", MAX_FIELD),
            _mrkdwn(f"*Lead*\n{row.lead_org or '-'}", MAX_FIELD),
            _mrkdwn(f"*Lead officer*\n{cell_text(row[s.LEAD_OFFICER]) or '-'}", MAX_FIELD),
        ]},
        _section(f"*Summary of status*\n{cell_text(row[s.SUMMARY]) or '_none yet_'}"),
        _section(f"*Next steps*\n{cell_text(row[s.NEXT_STEPS]) or '_none_'}"),
        {"type": "context", "elements": [_mrkdwn(f"Last updated {updated} by {by}")]},
    ]
    text = (f"{row.ref} ({row.status}): {cell_text(row[s.RECOMMENDATION])}\nSummary: {cell_text(row[s.SUMMARY])}\n"
            f"Next steps: {cell_text(row[s.NEXT_STEPS])} (due {due})\nLead: {row.lead_org}. "
            f"Last updated {updated} by {by}.")
    return message(text, blocks)


def short_title(row: Recommendation) -> str:
    """The recommendation's text cut to a line: what a list shows beside the ref."""
    return short_text(row[s.RECOMMENDATION], 70) or "(no recommendation text)"


def _facts(row: Recommendation, status: str) -> str:
    due = f" · due {cell_text(row.due)}" if row.due else " · no due date"
    return f"{status} · {row.lead_org or 'no lead organisation'}{due}"


def _row_line(row: Recommendation) -> str:
    """Two lines: the ref and a short title, then status, lead organisation and due date."""
    return f"*{row.ref}* {short_title(row)}\n{_facts(row, status_label(row.status))}"


def list_message(title: str, rows: list[Recommendation]) -> dict:
    if not rows:
        return message(f"{title}: none.")
    lines = [_row_line(row) for row in rows]
    blocks = [_section(f"*{title}* ({len(rows)})")]
    for start in range(0, len(lines), 6):
        blocks.append(_section("\n".join(lines[start:start + 6])))
    text = f"{title} ({len(rows)}):\n" + "\n".join(
        f"{r.ref} {short_title(r)}: {_facts(r, r.status or 'No status')}" for r in rows)
    return message(text, blocks[:50])


def reply_message(reply: Reply) -> dict:
    """A chat-neutral answer (`shared.usecases.ask`) as a Slack message."""
    if reply.row is not None:
        return recommendation_message(reply.row)
    if reply.sentence:
        return message(reply.sentence)
    return list_message(reply.title, list(reply.rows))


def update_result_message(result: UpdateResult) -> dict:
    """What the sender is told: recorded, waiting for Excel, in conflict, or refused and why."""
    if result.state == j.APPLIED and not result.changes:
        lines = [f":information_source: *{result.ref}: nothing changed.*",
                 result.message or f"{result.ref} already shows these values."]
    elif result.state == j.APPLIED:
        lines = [f":white_check_mark: *{result.ref} updated.*"]
        lines += [f"• {column}: {shown(old, column) or '(empty)'} → *{shown(new, column) or '(empty)'}*"
                  for column, (old, new) in result.changes.items()]
    elif result.state in j.OPEN_STATES:  # waiting, being written, or in the workbook open in Excel
        lines = [f":hourglass_flowing_sand: *{result.ref}: recorded, not yet in the workbook.*", result.message,
                 "I'll tell you when it is in."]
    elif result.state == j.CONFLICT:
        lines = [f":warning: *{result.ref}: not applied: it was changed after you saw it.*"]
        lines += [f"• {c.column}: {c.changed_by} changed it to *{shown(c.current, c.column) or '(empty)'}*; "
                  f"you sent *{shown(c.proposed, c.column) or '(empty)'}*" for c in result.conflicts]
        lines.append("Check the new values, then send your update again if it still stands.")
    else:
        outcome = "not applied" if result.message.startswith("Not applied") else "not recorded"
        lines = [f":x: *{result.ref}: {outcome}.*"]
        reasons = [f"• {f.message}" for f in result.errors] or [result.message]
        lines += reasons
    lines += [f"_Note: {f.message}_" for f in result.warnings]
    text = "\n".join(lines)
    return message(text.replace("*", ""), [_section(text)])


def loading_modal(ref: str) -> dict:
    return {"type": "modal", "callback_id": UPDATE_CALLBACK, "title": {"type": "plain_text", "text": f"Update {ref}"},
            "blocks": [_section(f"Reading {ref} from the workbook…")]}


def notice_modal(ref: str, text: str) -> dict:
    return {"type": "modal", "title": {"type": "plain_text", "text": f"Update {ref}"},
            "close": {"type": "plain_text", "text": "Close"}, "blocks": [_section(text)]}


def _option(status: str) -> dict:
    return {"text": {"type": "plain_text", "text": status}, "value": status}


def form_values(row: Recommendation) -> dict[str, str]:
    """A row's updatable fields as a form carries them: text, the due date ISO (Slack's date picker)."""
    return {column: cell_text(row[column]) if column != s.DUE else (row.due.isoformat() if row.due else "")
            for column in BLOCK_FOR}


def update_modal(row: Recommendation, statuses: list[str], view_seq: int | None = None,
                 file_row: Recommendation | None = None) -> dict:
    """The update form, prefilled; what it was prefilled with travels in private_metadata as `seen`, with
    the journal's mark when it was read (`view`), so updates others send meanwhile are not conflicts, and
    the file's own values (`base`, when waiting updates are shown over them)."""
    seen = form_values(row)
    status_element = {"type": "static_select", "action_id": "value",
                      "options": [_option(status) for status in statuses]}
    if row.status in statuses:
        status_element["initial_option"] = _option(row.status)

    def text_input(column: str, label: str, multiline: bool) -> dict:
        element = {"type": "plain_text_input", "action_id": "value", "multiline": multiline, "max_length": 2000}
        if row[column]:
            element["initial_value"] = cell_text(row[column])[:2000]
        return {"type": "input", "block_id": BLOCK_FOR[column], "optional": True,
                "label": {"type": "plain_text", "text": label}, "element": element}

    due_element = {"type": "datepicker", "action_id": "value"}
    if row.due:
        due_element["initial_date"] = row.due.isoformat()
    return {
        "type": "modal", "callback_id": UPDATE_CALLBACK,
        "title": {"type": "plain_text", "text": f"Update {row.ref}"},
        "submit": {"type": "plain_text", "text": "Save"}, "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps({"ref": row.ref, "seen": seen, "view": view_seq,
                                        "base": form_values(file_row) if file_row is not None else None}),
        "blocks": [
            _section(f"*{row.ref}*: {short_text(row[s.RECOMMENDATION], 400)}"),
            {"type": "input", "block_id": BLOCK_FOR[s.STATUS], "label": {"type": "plain_text", "text": "Status"},
             "element": status_element},
            text_input(s.SUMMARY, "Summary of status", True),
            text_input(s.NEXT_STEPS, "Next steps", True),
            {"type": "input", "block_id": BLOCK_FOR[s.DUE], "optional": True,
             "label": {"type": "plain_text", "text": "Next step due"}, "element": due_element},
        ],
    }


class ModalError(ValueError):
    """A submitted form this bot cannot read (its private_metadata is not what `update_modal` wrote)."""


_UNREADABLE = "This form could not be read. Close it and open it again with /sli update and the ref."


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def read_modal(view: dict) -> tuple[str, dict[str, str], dict[str, str]]:
    """(ref, values submitted by column, values the form was prefilled with by column).

    Raises ModalError with a sentence for the person when `private_metadata` is not the JSON object
    `update_modal` wrote (a ref and the prefilled text values): it is the only record of what they saw.
    """
    try:
        meta = json.loads(view.get("private_metadata") or "")
    except (TypeError, ValueError):
        raise ModalError(_UNREADABLE) from None
    seen = meta.get("seen") if isinstance(meta, dict) else None
    if not isinstance(meta, dict) or not isinstance(meta.get("ref"), str) or not meta["ref"] \
            or not isinstance(seen, dict) or not set(seen) <= set(BLOCK_FOR) \
            or not all(isinstance(value, str) for value in seen.values()):
        raise ModalError(_UNREADABLE)
    state = _dict(_dict(view.get("state")).get("values"))
    values: dict[str, str] = {}
    for column, block in BLOCK_FOR.items():
        element = _dict(_dict(state.get(block)).get("value"))
        if column == s.STATUS:
            chosen = _dict(element.get("selected_option")).get("value")
        elif column == s.DUE:
            chosen = element.get("selected_date")
        else:
            chosen = element.get("value")
        values[column] = chosen if isinstance(chosen, str) else ""
    return meta["ref"], values, seen


def modal_base(view: dict) -> dict[str, str] | None:
    """The file values `update_modal` kept beside what it showed (`base`), or None."""
    try:
        base = json.loads(view.get("private_metadata") or "").get("base")
    except (TypeError, ValueError, AttributeError):
        return None
    if isinstance(base, dict) and set(base) <= set(BLOCK_FOR) and all(isinstance(v, str) for v in base.values()):
        return base
    return None


def modal_view_seq(view: dict) -> int | None:
    """The journal mark `update_modal` kept in the form, or None (an older form: its view is the submit)."""
    try:
        mark = json.loads(view.get("private_metadata") or "").get("view")
    except (TypeError, ValueError, AttributeError):
        return None
    return mark if isinstance(mark, int) and not isinstance(mark, bool) and mark >= 0 else None


def update_button(ref: str) -> dict:
    return {"type": "button", "action_id": OPEN_UPDATE_ACTION, "value": ref,
            "text": {"type": "plain_text", "text": "Update"}}


def home_notice(text: str) -> dict:
    """App Home when the workbook cannot be read: the sentence saying why, nothing else."""
    return {"type": "home", "blocks": [{"type": "header", "text": {"type": "plain_text",
                                                                   "text": "SLI infant mortality"}},
                                       _section(f":warning: {text}")]}


def home_view(name: str, rows: list[Recommendation], today: date) -> dict:
    """App Home: the person's own recommendations, each with an Update button."""
    blocks: list[dict] = [{"type": "header", "text": {"type": "plain_text", "text": "SLI infant mortality"}}]
    if not rows:
        blocks.append(_section(f"Hello {name}. No recommendations are led by your organisation in the Leads sheet. "
                               "Type `/sli help` to ask about any of them."))
    else:
        blocks.append(_section(f"Hello {name}. Your organisation leads {len(rows)} recommendation(s)."))
        for row in rows[:45]:
            overdue = " · :alarm_clock: overdue" if is_overdue(row.due, row.status, today) else ""
            section = _section(f"{_row_line(row)}{overdue}")
            section["accessory"] = update_button(row.ref)
            blocks.append(section)
    return {"type": "home", "blocks": blocks[:100]}


def utc_text(stamp: str) -> str:
    """An ISO timestamp from the journal as people read it: 01/12/2026 09:00 UTC."""
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    return when.strftime("%d/%m/%Y %H:%M UTC")


def _delta(value: int | None) -> str:
    if value is None:
        return ""
    return f" ({'+' if value > 0 else ''}{value})" if value else " (=)"


def summary_message(figures) -> dict:
    """The monthly summary (a `shared.summary.MonthFigures`): counts and change, what changed, what needs a look."""
    month = datetime.strptime(figures.month, "%Y-%m").strftime("%B %Y")
    counts = " · ".join(f"{status_label(st)} *{figures.counts.get(st, 0)}*{_delta(figures.delta(st))}"
                        for st in s.STATUSES)
    since = "change since last month in brackets" if figures.previous_counts is not None else \
        "no earlier month to compare with"
    if figures.previous_reconstructed:
        since += " (last month's counts reconstructed from the Change log: no snapshot was taken then)"
    if figures.set_aside:
        since += (f"; counts as at the end of the month, {figures.set_aside} status change(s) made since "
                  f"set aside")
    blocks_: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"SLI infant mortality: {month}"}},
        _section(f"{counts}\n_{since}_"),
    ]
    changed_refs = sorted({c.ref for c in figures.changes}, key=lambda r: int(r[1:]))
    status_moves = [f"• *{c.ref}* {c.old or '(none)'} → {c.new} ({c.by}, via {c.via})"
                    for c in figures.changes if c.field == s.STATUS]
    lines = status_moves[:12] + ([f"…and {len(status_moves) - 12} more"] if len(status_moves) > 12 else [])
    blocks_.append(_section(f"*Changed this month*: {len(figures.changes)} change(s) to "
                            f"{len(changed_refs)} recommendation(s)" + ("\n" + "\n".join(lines) if lines else "")))
    if figures.overdue:
        blocks_.append(_section("*Overdue next steps*\n" + "\n".join(
            f"• *{i.ref}* {i.status}, due {shown(i.due, s.DUE)}: {short_text(i.text, 80)} ({i.lead})"
            for i in figures.overdue[:15])))
    if figures.stale:
        blocks_.append(_section(f"*Not updated for {60} days or more*\n" + "\n".join(
            f"• *{i.ref}* last updated {shown(i.last_updated, s.LAST_UPDATED) or 'never'} ({i.lead})"
            for i in figures.stale[:15])))
    if figures.pending or figures.conflicts:
        blocks_.append(_section(f"*Waiting*: {figures.pending} update(s) not yet in the workbook, "
                                f"{figures.conflicts} in conflict with an officer's edit."))
    blocks_.append({"type": "context", "elements": [_mrkdwn(
                    f"Figures as at {utc_text(figures.taken_at)} · `/sli list at risk` for detail")]})
    text_counts = ", ".join(f"{st} {figures.counts.get(st, 0)}{_delta(figures.delta(st))}" for st in s.STATUSES)
    if figures.previous_reconstructed:
        text_counts += " (last month's counts reconstructed from the Change log)"
    if figures.set_aside:
        text_counts += f" (as at the month's end: {figures.set_aside} later status change(s) set aside)"
    text = (f"SLI infant mortality, {month}: {text_counts}. {len(figures.changes)} change(s) this month; "
            f"{len(figures.overdue)} overdue; {len(figures.stale)} not updated for 60 days; "
            f"{figures.pending} waiting, {figures.conflicts} in conflict.")
    return message(text, blocks_)


def reminder_message(name: str, month_label: str, items: list) -> dict:
    """The one DM a lead gets before the summary: their items not yet updated this month, each with a button."""
    blocks_: list[dict] = [_section(f"Hello {name}. The SLI summary for {month_label} goes to the group soon. "
                                    f"These have not been updated this month:")]
    for item in items[:40]:
        due = f"due {shown(item.due, s.DUE)}" if item.due else "no due date"
        section = _section(f"*{item.ref}* {short_text(item.text, 70)}\n{status_label(item.status)} · {due}")
        section["accessory"] = update_button(item.ref)
        blocks_.append(section)
    text = f"Reminder: {', '.join(i.ref for i in items)} not updated this month ({month_label})."
    return message(text, blocks_)
