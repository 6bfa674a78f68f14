"""Adaptive Cards layout of assurance (`shared/usecases/replies/assurance.py`), as Slack's
bot/assurance_blocks.py: the claim put to its holders with *Assure* and *Send back* (which shows a reason
input), the sending back told to the lead, and the reminders. Every text from a person, a cell or the journal
goes through cards.py's `inert()`: evidence and reasons show as typed, mention and link nothing.
"""

from __future__ import annotations

from bot.teams.cards import card, card_message, inert, text_block
from shared.usecases import replies as r

#: The verbs of the two buttons (Action.Execute, with an Action.Submit fallback for older clients).
ASSURE_VERB, SEND_BACK_VERB = f"sli_{r.ASSURE}", f"sli_{r.SEND_BACK}"
VERBS = (ASSURE_VERB, SEND_BACK_VERB)
#: The verb a press carries, by the replies' name of its action.
ACTION_OF = {ASSURE_VERB: r.ASSURE, SEND_BACK_VERB: r.SEND_BACK}
REASON_MAX = 1000


def _execute(title: str, verb: str, ref: str, claim_key: str = "", **extra: object) -> dict:
    data = {"verb": verb, "ref": ref, **({"claim": claim_key} if claim_key else {})}
    return {"type": "Action.Execute", "title": title, "verb": verb, "data": data, **extra,
            "fallback": {"type": "Action.Submit", "title": title, "data": data}}


def _actions(ref: str, claim_key: str = "") -> list[dict]:
    """*Assure*, and *Send back*, which opens the reason input under the card and sends it from there."""
    reason = {"type": "Input.Text", "id": r.REASON_FIELD, "label": "Why is it sent back? Its lead is told.",
              "isMultiline": True, "maxLength": REASON_MAX, "isRequired": True,
              "errorMessage": "Say why it is sent back."}
    return [_execute("Assure", ASSURE_VERB, ref, claim_key, style="positive"),
            {"type": "Action.ShowCard", "title": "Send back",
             "card": {"type": "AdaptiveCard", "body": [reason],
                      "actions": [_execute("Send back", SEND_BACK_VERB, ref, claim_key)]}}]


def claim_card(reply: r.ClaimReply, error: str = "") -> dict:
    """The card to a holder (and what a refused press puts back in its place, with the sentence on top)."""
    body = [*([text_block(inert(error), color="Attention", id="error")] if error else []),
            text_block(f"**{inert(reply.title)}**", size="Medium"),
            text_block(f"**{inert(reply.ref)}**: {inert(reply.heading)}"),
            {"type": "FactSet", "facts": [{"title": "Claimed by", "value": inert(reply.claimed_by)},
                                          {"title": "When", "value": inert(reply.claimed_at or "not recorded")},
                                          {"title": "Accountable", "value": inert(reply.roles)}]},
            text_block("**Evidence**"), text_block(inert(reply.evidence) or "_none given_")]
    if reply.summary:
        body += [text_block("**Summary of status**"), text_block(inert(reply.summary))]
    return card(body, inert(f"{reply.title}. Claimed by {reply.claimed_by}; evidence: {reply.evidence}"),
                _actions(reply.ref, reply.claim_key))


def sent_back_card(reply: r.SentBackReply) -> dict:
    body = [text_block(f"**{inert(reply.title)}**", size="Medium"), text_block(inert(reply.heading)),
            text_block("**Reason**"), text_block(inert(reply.reason)),
            text_block(inert(f"It reads {reply.status} again: claim it Complete with evidence once the reason is "
                             "dealt with."), isSubtle=True, size="Small")]
    return card(body, inert(f"{reply.title}: {reply.reason}"))


def reminder_card(reply: r.AssuranceReminderReply) -> dict:
    body = [text_block(f"**{inert(reply.title)}**"), text_block(inert(reply.heading))]
    if reply.reason:
        body += [text_block("**Reason it was sent back**"), text_block(inert(reply.reason))]
    fallback = inert(reply.title + (f": {reply.reason}" if reply.reason else ""))
    return card(body, fallback, _actions(reply.ref, reply.claim_key) if reply.kind == "waiting" else None)


def render(reply: object) -> dict:
    """Any assurance reply as the activity to post (a message carrying its card)."""
    if isinstance(reply, r.ClaimReply):
        return card_message(claim_card(reply))
    if isinstance(reply, r.SentBackReply):
        return card_message(sent_back_card(reply))
    if isinstance(reply, r.AssuranceReminderReply):
        return card_message(reminder_card(reply))
    raise TypeError(f"not an assurance reply: {type(reply).__name__}")
