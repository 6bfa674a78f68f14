"""Block Kit builders: every message, modal and App Home view the bot shows, each with a plain-text fallback.

Kept readable on a phone: short sections, the status first, at most 50 blocks a message.
"""

from __future__ import annotations

import json
import textwrap
from datetime import date

from shared import journal as j
from shared import schema as s
from shared.reader import Recommendation
from shared.updates import UpdateResult
from shared.values import cell_text

UPDATE_CALLBACK = "sli_update"
OPEN_UPDATE_ACTION = "open_update"
#: Modal input block for each updatable column (inline errors are keyed by block).
BLOCK_FOR = {s.STATUS: "status", s.SUMMARY: "summary", s.NEXT_STEPS: "next", s.DUE: "due"}
STATUS_EMOJI = {s.NOT_STARTED: ":white_circle:", s.ON_TRACK: ":large_green_circle:", s.AT_RISK: ":large_orange_circle:",
                s.OFF_TRACK: ":red_circle:", s.COMPLETE: ":large_blue_circle:"}
MAX_SECTION = 2900

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


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:MAX_SECTION]}}


def _short(text: object, width: int) -> str:
    return textwrap.shorten(cell_text(text), width, placeholder="…") if text else ""


def status_label(status: str) -> str:
    return f"{STATUS_EMOJI.get(status, ':grey_question:')} {status or 'No status'}"


def message(text: str, blocks: list[dict] | None = None) -> dict:
    """Arguments for chat_postMessage / respond: blocks and the plain-text fallback."""
    return {"text": text, "blocks": blocks if blocks is not None else [_section(text)]}


def help_message(prefix: str = "") -> dict:
    text = f"{prefix}\n{HELP_TEXT}" if prefix else HELP_TEXT
    return message(text)


def recommendation_message(row: Recommendation) -> dict:
    due = cell_text(row.due) or "no date"
    updated = cell_text(row[s.LAST_UPDATED]) or "never"
    by = row[s.UPDATED_BY] or "unknown"
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": f"{row.ref} · {row.status}"[:150]}},
        _section(f"*{row.ref}*: {cell_text(row[s.RECOMMENDATION])}"),
        {"type": "section", "fields": [
            {"type": "mrkdwn", "text": f"*Status*\n{status_label(row.status)}"},
            {"type": "mrkdwn", "text": f"*Next step due*\n{due}"},
            {"type": "mrkdwn", "text": f"*Lead*\n{row.lead_org or '-'}"},
            {"type": "mrkdwn", "text": f"*Lead officer*\n{cell_text(row[s.LEAD_OFFICER]) or '-'}"},
        ]},
        _section(f"*Summary of status*\n{cell_text(row[s.SUMMARY]) or '_none yet_'}"),
        _section(f"*Next steps*\n{cell_text(row[s.NEXT_STEPS]) or '_none_'}"),
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"Last updated {updated} by {by}"}]},
    ]
    text = (f"{row.ref} ({row.status}): {cell_text(row[s.RECOMMENDATION])}\nSummary: {cell_text(row[s.SUMMARY])}\n"
            f"Next steps: {cell_text(row[s.NEXT_STEPS])} (due {due})\nLead: {row.lead_org}. "
            f"Last updated {updated} by {by}.")
    return message(text, blocks)


def _row_line(row: Recommendation) -> str:
    due = f" · due {cell_text(row.due)}" if row.due else ""
    return f"*{row.ref}* {status_label(row.status)}{due} · {_short(row[s.RECOMMENDATION], 110)}"


def list_message(title: str, rows: list[Recommendation]) -> dict:
    if not rows:
        return message(f"{title}: none.")
    lines = [_row_line(row) for row in rows]
    blocks = [_section(f"*{title}* ({len(rows)})")]
    for start in range(0, len(lines), 8):
        blocks.append(_section("\n".join(lines[start:start + 8])))
    text = f"{title} ({len(rows)}): " + "; ".join(f"{r.ref} {r.status}" for r in rows)
    return message(text, blocks[:50])


def update_result_message(result: UpdateResult) -> dict:
    """What the sender is told: recorded, waiting for Excel, in conflict, or refused and why."""
    if result.state == j.APPLIED:
        lines = [f":white_check_mark: *{result.ref} updated.*"]
        lines += [f"• {column}: {cell_text(old) or '(empty)'} → *{cell_text(new) or '(empty)'}*"
                  for column, (old, new) in result.changes.items()]
        if not result.changes:
            lines.append(result.message)
    elif result.state == j.PENDING:
        lines = [f":hourglass_flowing_sand: *{result.ref}: recorded, not yet in the workbook.*", result.message,
                 "I'll tell you when it is in."]
    elif result.state == j.CONFLICT:
        lines = [f":warning: *{result.ref}: not applied: an officer changed it after you saw it.*"]
        lines += [f"• {c.column}: the workbook now says *{cell_text(c.current) or '(empty)'}*; you sent "
                  f"*{cell_text(c.proposed) or '(empty)'}*" for c in result.conflicts]
        lines.append("Check the new values, then send your update again if it still stands.")
    else:
        lines = [f":x: *{result.ref}: not recorded.*"]
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


def update_modal(row: Recommendation, statuses: list[str]) -> dict:
    """The update form, prefilled; what it was prefilled with travels in private_metadata as `seen`."""
    seen = {column: cell_text(row[column]) if column != s.DUE else (row.due.isoformat() if row.due else "")
            for column in BLOCK_FOR}
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
        "private_metadata": json.dumps({"ref": row.ref, "seen": seen}),
        "blocks": [
            _section(f"*{row.ref}*: {_short(row[s.RECOMMENDATION], 400)}"),
            {"type": "input", "block_id": BLOCK_FOR[s.STATUS], "label": {"type": "plain_text", "text": "Status"},
             "element": status_element},
            text_input(s.SUMMARY, "Summary of status", True),
            text_input(s.NEXT_STEPS, "Next steps", True),
            {"type": "input", "block_id": BLOCK_FOR[s.DUE], "optional": True,
             "label": {"type": "plain_text", "text": "Next step due"}, "element": due_element},
        ],
    }


def read_modal(view: dict) -> tuple[str, dict[str, str], dict[str, str]]:
    """(ref, values submitted by column, values the form was prefilled with by column)."""
    meta = json.loads(view.get("private_metadata") or "{}")
    state = view.get("state", {}).get("values", {})
    values: dict[str, str] = {}
    for column, block in BLOCK_FOR.items():
        element = state.get(block, {}).get("value", {})
        if column == s.STATUS:
            values[column] = ((element.get("selected_option") or {}).get("value")) or ""
        elif column == s.DUE:
            values[column] = element.get("selected_date") or ""
        else:
            values[column] = element.get("value") or ""
    return meta.get("ref", ""), values, meta.get("seen", {})


def update_button(ref: str) -> dict:
    return {"type": "button", "action_id": OPEN_UPDATE_ACTION, "value": ref,
            "text": {"type": "plain_text", "text": "Update"}}


def home_view(name: str, rows: list[Recommendation], today: date) -> dict:
    """App Home: the person's own recommendations, each with an Update button."""
    blocks: list[dict] = [{"type": "header", "text": {"type": "plain_text", "text": "SLI infant mortality"}}]
    if not rows:
        blocks.append(_section(f"Hello {name}. No recommendations are led by your organisation in the Leads sheet. "
                               "Type `/sli help` to ask about any of them."))
    else:
        blocks.append(_section(f"Hello {name}. Your organisation leads {len(rows)} recommendation(s)."))
        for row in rows[:45]:
            overdue = " · :alarm_clock: overdue" if row.due and row.due < today and row.status != s.COMPLETE else ""
            section = _section(f"{_row_line(row)}{overdue}")
            section["accessory"] = update_button(row.ref)
            blocks.append(section)
    return {"type": "home", "blocks": blocks[:100]}
