"""Assurance in both chats, written once: a holder presses *Assure* or *Send back* (with its reason) on a claim;
the press is checked and journalled by the core before the chat acknowledges it, and written on the bot's one
writer thread after. The Slack listeners (bot/listeners/assurance.py) and the Teams handlers only read their
platform's payload, call `press`, lay the reply out and start the write, as for an update (bot/flows.py).
"""

from __future__ import annotations

from bot.flows import Answer, Chat, no_identity
from shared.domain.update import PENDING, refusal
from shared.usecases import (
    CHAT_TIMEOUT_SECONDS,
    AssuranceRequest,
    Context,
    WorkbookError,
    record_assurance,
    record_send_back,
)
from shared.usecases import replies as r


def press(store: Context, chat: Chat, action: str, ref: str, identity: str | None, text: str = "",
          idempotency_key: str | None = None, claim_key: str = "") -> Answer:
    """*Assure* (`replies.ASSURE`, `text` an optional note) or *Send back* (`replies.SEND_BACK`, `text` the
    reason): recorded (the answer says so, and the write follows), or refused with the core's sentence
    (not a holder, the claimant, already assured, no reason: each names who can or what to give). A press
    repeated with the same `idempotency_key` is recorded once, and said so; `claim_key` (the claim the message
    showed) refuses a press on an earlier claim's message."""
    if identity is None:
        return Answer(r.notice(no_identity(chat)))
    request = AssuranceRequest(ref, chat.via, sender=identity, text=text, idempotency_key=idempotency_key,
                               claim_key=claim_key)
    record = record_send_back if action == r.SEND_BACK else record_assurance
    try:
        recorded = record(store, request, journal_wait=CHAT_TIMEOUT_SECONDS)
    except WorkbookError as exc:
        recorded = refusal(ref, str(exc))  # the reader's sentence, as `sli` prints it: nothing journalled
    if recorded.duplicate:  # the same button again before the first press is written: recorded once
        done = "sending back" if action == r.SEND_BACK else "assurance"
        return Answer(r.notice(f"Your {done} of {recorded.ref} was recorded from your first press; this press "
                               "records nothing more. You'll be told when it is in the workbook.", ref=recorded.ref))
    if recorded.state != PENDING:
        return Answer(r.result_reply(recorded))
    what = "sending back of" if action == r.SEND_BACK else "assurance of"
    return Answer(r.recorded(recorded.ref, what), write=recorded)
