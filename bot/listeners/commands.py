"""The `/sli` slash command: ack at once, then answer from the core (reads are cached; writes may wait on the lock)."""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import blocks, flows, manifest, parse
from bot.listeners.acking import early
from bot.listeners.views import open_update_modal, writer_of
from shared.usecases import Context
from shared.usecases.replies import result_reply


def answer_query(store: Context, intent: parse.Intent, user_id: str) -> dict:
    """The reply to a read-only intent (status, search, list, mine, help), as message arguments."""
    return blocks.render(flows.question(store, flows.SLACK, intent, user_id))


def carry_out(context: dict, answer: flows.Answer, tell: Callable[[dict], None]) -> dict:
    """An answer as message arguments, its update (if any) queued on the writer thread first: `tell` later
    gets what the write did."""
    if answer.write is not None:
        writer_of(context).write(answer.write, lambda result: tell(blocks.render(result_reply(result))))
    return blocks.render(answer.reply)


def update_from_text(context: dict, intent: parse.Intent, user_id: str, tell: Callable[[dict], None]) -> dict:
    """The one-line update (bot/flows.py), journalled before the answer; `tell` later gets what the write did."""
    return carry_out(context, flows.one_line_update(context["store"], flows.SLACK, intent, user_id,
                                                    context.get("replay_keys", ())), tell)


def sli_command(ack: Ack, command: dict, respond: Respond, client: WebClient, context: dict) -> None:
    store: Context = context["store"]
    intent = parse.parse_command(command.get("text", ""))
    user_id = command["user_id"]
    if intent.kind == parse.UPDATE_MODAL:
        ack()
        open_update_modal(client, command["trigger_id"], store, intent.ref, user_id)
        return
    if intent.kind == parse.UPDATE:
        # Journalled before the ack, so the order updates arrive in is the order they are written.
        def tell(reply: dict) -> None:
            respond(response_type="ephemeral", replace_original=False, **reply)
        ack(**update_from_text(context, intent, user_id, tell))
        return
    ack()
    respond(response_type="ephemeral", **answer_query(store, intent, user_id))


def register(app: App) -> None:
    app.command(manifest.COMMAND)(early(app, sli_command))
