"""Assurance buttons: *Assure* on a claim's DM is checked and journalled by the core before the ack, written on
the bot's writer thread after, and the holder is told the outcome; *Send back* opens a modal for the reason,
whose submit goes the same way (a refusal, such as no reason, stays in the modal beside the field). A refusal
is the core's sentence, naming who can. What each press does is bot/assurance_flows.py's, as in Teams."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import assurance_blocks as ab
from bot import assurance_flows, blocks, flows
from bot.listeners.views import writer_of
from shared.usecases import replies as r


def _message_key(body: dict, user_id: str, action: str) -> str:
    """One press per message, person and action: a double click records once."""
    container = body.get("container") or {}
    where = container.get("message_ts") or container.get("view_id") or body.get("trigger_id", "")
    return f"slack-{action}:{container.get('channel_id', '')}:{where}:{user_id}"


def _carry_out(context: dict, client: WebClient, user_id: str, answer: flows.Answer) -> None:
    """Tell the holder what the press did now (recorded, or the refusal), then queue its write: the outcome
    follows in the same DM."""
    client.chat_postMessage(channel=user_id, **blocks.render(answer.reply))
    if answer.write is not None:
        writer_of(context).write(answer.write, lambda result: client.chat_postMessage(
            channel=user_id, **blocks.render(r.result_reply(result))))


def assure_pressed(ack: Ack, body: dict, action: dict, client: WebClient, context: dict) -> None:
    user_id = body["user"]["id"]
    answer = assurance_flows.press(context["store"], flows.SLACK, r.ASSURE, str(action.get("value") or ""),
                                   user_id, idempotency_key=_message_key(body, user_id, r.ASSURE),
                                   claim_key=ab.claim_of_block(action.get("block_id")))
    ack()
    _carry_out(context, client, user_id, answer)


def send_back_pressed(ack: Ack, body: dict, action: dict, client: WebClient) -> None:
    ack()
    client.views_open(trigger_id=body["trigger_id"], view=ab.send_back_modal(
        str(action.get("value") or ""), ab.claim_of_block(action.get("block_id"))))


def send_back_submitted(ack: Ack, body: dict, view: dict, client: WebClient, context: dict) -> None:
    """Checked and journalled before the ack; a refusal keeps the modal open with the sentence under the reason
    (one too long for Slack's inline error closes it and is told in the DM, whole)."""
    user_id = body["user"]["id"]
    ref, _, claim_key = str(view.get("private_metadata") or "").partition(" ")
    answer = assurance_flows.press(context["store"], flows.SLACK, r.SEND_BACK, ref, user_id,
                                   text=ab.modal_reason(view), idempotency_key=f"slack-view:{view['id']}",
                                   claim_key=claim_key)
    refused = answer.reply if answer.write is None and isinstance(answer.reply, r.ResultReply) else None
    sentence = " ".join(refused.reasons) or refused.message if refused is not None else ""
    if sentence and len(sentence) <= blocks.MAX_ERROR:  # fits beside the field (Slack's limit): fix and resend
        ack(response_action="errors", errors={ab.REASON_BLOCK: sentence})
        return
    ack()
    _carry_out(context, client, user_id, answer)


def register(app: App) -> None:
    app.action(ab.ASSURE_ACTION)(assure_pressed)
    app.action(ab.SEND_BACK_ACTION)(send_back_pressed)
    app.view(ab.SEND_BACK_CALLBACK)(send_back_submitted)
