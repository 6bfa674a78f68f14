"""The update modal: opened at once (the trigger expires in 3 s), filled from the workbook after; on
submit the update is checked and journalled by the core before the ack (errors inline, nothing
written), then written on the bot's writer thread, and the sender is told what happened. What each step
says is bot/flows.py's, the same as in Teams; here only Slack's payloads and answers."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import blocks, flows
from bot.listeners.acking import early
from bot.writer import UpdateWriter
from shared.usecases import Context
from shared.usecases import replies as r


def writer_of(context: dict) -> UpdateWriter:
    """The app's one writer thread (see bot/writer.py), made on first use for callers without one."""
    if "writer" not in context:
        context["writer"] = UpdateWriter(context["store"])
    return context["writer"]


def open_update_modal(client: WebClient, trigger_id: str, store: Context, ref: str, user_id: str) -> None:
    """Open a placeholder modal first, then fill it with the row's current values (or why there is no form)."""
    opened = client.views_open(trigger_id=trigger_id, view=blocks.loading_modal(ref))
    view_id, view_hash = opened["view"]["id"], opened["view"].get("hash")
    view = blocks.modal(flows.open_update_form(store, flows.SLACK, ref, user_id))
    client.views_update(view_id=view_id, hash=view_hash, view=view)


def update_submitted(ack: Ack, body: dict, view: dict, client: WebClient, context: dict) -> None:
    """Checked and journalled before the ack: a refusal, or a journal that cannot record it, keeps the form
    open with the sentence beside the field; an outcome that is not a refusal of the form (the workbook
    cannot be read) is pushed over it whole, the form underneath as typed."""
    user_id = body["user"]["id"]
    answer = flows.submit_form(context["store"], flows.SLACK, blocks.modal_metadata(view),
                               blocks.modal_submission(view), user_id, idempotency_key=f"view:{view['id']}",
                               replay_keys=context.get("replay_keys", ()))
    reply = answer.reply
    if isinstance(reply, r.NoticeReply) and reply.tone == r.RECORDED:
        ack()
    elif isinstance(reply, r.NoticeReply) and reply.headline:
        ack(response_action="push", view=blocks.modal(reply))
    else:
        ack(response_action="errors", errors=blocks.form_errors(reply))
    if answer.write is not None:
        writer_of(context).write(answer.write, lambda result: client.chat_postMessage(
            channel=user_id, **blocks.render(r.result_reply(result))))


def register(app: App) -> None:
    app.view(blocks.UPDATE_CALLBACK)(early(app, update_submitted))
