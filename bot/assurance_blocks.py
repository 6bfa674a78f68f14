"""Block Kit layout of assurance (`shared/usecases/replies/assurance.py`): the claim put to its holders with
*Assure* and *Send back*, the modal asking why it is sent back, the sending back told to the lead, and the
reminders. What is said is decided in the replies; this only lays it out, escaping as bot/blocks.py does
(every mrkdwn text through its `_mrkdwn`, every fallback through `message`): evidence and reasons are
people's text, shown as typed, mentioning and linking nothing.
"""

from __future__ import annotations

from bot.blocks import MAX_FIELD, MAX_TITLE, _mrkdwn, _plain, _section, message
from shared.usecases import replies as r

#: The buttons' action ids are the replies' names for the two actions, so both chats read a press the same way.
ASSURE_ACTION, SEND_BACK_ACTION = r.ASSURE, r.SEND_BACK
#: The modal asking for the reason a claim is sent back, and its one input block (the replies' field name).
SEND_BACK_CALLBACK = "sli_send_back"
REASON_BLOCK = r.REASON_FIELD
REASON_MAX = 1000


def _buttons(ref: str, claim_key: str = "") -> dict:
    """*Assure* and *Send back*; the block id carries the claim shown (`claim_of_block`)."""
    return {"type": "actions", "block_id": f"assurance:{ref}" + (f":{claim_key}" if claim_key else ""), "elements": [
        {"type": "button", "action_id": ASSURE_ACTION, "style": "primary", "value": ref,
         "text": _plain("Assure")},
        {"type": "button", "action_id": SEND_BACK_ACTION, "value": ref, "text": _plain("Send back")}]}


def claim_message(reply: r.ClaimReply) -> dict:
    """The DM to a holder: what is claimed, by whom and when, on what evidence; *Assure* and *Send back*."""
    blocks = [
        {"type": "header", "text": _plain(reply.title)},
        _section(f"*{reply.ref}*: {reply.heading}"),
        {"type": "section", "fields": [
            _mrkdwn(f"*Claimed by*\n{reply.claimed_by}", MAX_FIELD),
            _mrkdwn(f"*When*\n{reply.claimed_at or 'not recorded'}", MAX_FIELD),
            _mrkdwn(f"*Accountable*\n{reply.roles}", MAX_FIELD)]},
        _section(f"*Evidence*\n{reply.evidence or '_none given_'}"),
        *([_section(f"*Summary of status*\n{reply.summary}")] if reply.summary else []),
        _buttons(reply.ref, reply.claim_key),
    ]
    return message(f"{reply.title}. Claimed by {reply.claimed_by}; evidence: {reply.evidence}", blocks)


def sent_back_message(reply: r.SentBackReply) -> dict:
    """The DM to the lead: who sent the claim back, why, and the status it reads again."""
    blocks = [
        _section(f":leftwards_arrow_with_hook: *{reply.title}*\n{reply.heading}"),
        _section(f"*Reason*\n{reply.reason}"),
        {"type": "context", "elements": [_mrkdwn(f"It reads {reply.status} again: claim it Complete with "
                                                 "evidence once the reason is dealt with.")]},
    ]
    return message(f"{reply.title}: {reply.reason}", blocks)


def reminder_message(reply: r.AssuranceReminderReply) -> dict:
    """A nudge: a claim waiting (with its buttons) or an item sent back (with the reason)."""
    blocks = [_section(f":hourglass_flowing_sand: *{reply.title}*\n{reply.heading}")]
    if reply.reason:
        blocks.append(_section(f"*Reason it was sent back*\n{reply.reason}"))
    if reply.kind == "waiting":
        blocks.append(_buttons(reply.ref, reply.claim_key))
    return message(reply.title + (f": {reply.reason}" if reply.reason else ""), blocks)


def render(reply: object) -> dict:
    """Any assurance reply as chat_postMessage arguments."""
    if isinstance(reply, r.ClaimReply):
        return claim_message(reply)
    if isinstance(reply, r.SentBackReply):
        return sent_back_message(reply)
    if isinstance(reply, r.AssuranceReminderReply):
        return reminder_message(reply)
    raise TypeError(f"not an assurance reply: {type(reply).__name__}")


def claim_of_block(block_id: object) -> str:
    """The claim key a pressed button's block carries ('' from a message made before keys were)."""
    parts = str(block_id or "").split(":")
    return parts[2] if len(parts) == 3 and parts[0] == "assurance" else ""


def send_back_modal(ref: str, claim_key: str = "") -> dict:
    """The modal *Send back* opens: the reason, which the lead is told (`private_metadata`: the ref, and the
    claim shown after a space)."""
    metadata = f"{ref} {claim_key}" if claim_key else ref
    return {"type": "modal", "callback_id": SEND_BACK_CALLBACK, "private_metadata": metadata,
            "title": _plain(f"Send back {ref}", MAX_TITLE), "submit": _plain("Send back"),
            "close": _plain("Cancel"),
            "blocks": [
                _section(f"Say why *{ref}* is sent back. Its lead is told the reason, and it reads as it did "
                         "before the claim."),
                {"type": "input", "block_id": REASON_BLOCK, "label": _plain("Reason"),
                 "element": {"type": "plain_text_input", "action_id": REASON_BLOCK, "multiline": True,
                             "max_length": REASON_MAX}}]}


def modal_reason(view: dict) -> str:
    """The reason typed into the send-back modal ('' if none)."""
    value = ((view.get("state") or {}).get("values") or {}).get(REASON_BLOCK, {}).get(REASON_BLOCK, {})
    return value.get("value") or "" if isinstance(value, dict) else ""
