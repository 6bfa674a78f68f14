"""The `/sli` slash command: ack at once, then answer from the core (reads are cached; writes may wait on the lock)."""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import blocks, manifest, parse
from bot.listeners.views import open_update_modal, writer_of
from shared.domain import schema as s
from shared.domain.update import PENDING, UpdateRequest
from shared.usecases import CHAT_TIMEOUT_SECONDS, Store, WorkbookError, ask, record_request, unreadable_refusal


def answer_query(store: Store, intent: parse.Intent, user_id: str) -> dict:
    """The reply to a read-only intent (status, search, list, mine, help), as message arguments."""
    if intent.kind == parse.HELP:
        return blocks.help_message()
    if intent.kind == parse.UNKNOWN:
        return blocks.help_message(intent.error)
    if intent.kind not in (parse.STATUS, parse.SEARCH, parse.LIST, parse.MINE):
        return blocks.help_message()
    reply = ask(store, intent.kind, intent.ref if intent.kind == parse.STATUS else intent.query, user_id)
    if intent.kind == parse.MINE and not reply.rows and not reply.sentence:
        return blocks.message("The Leads sheet does not list you as a lead: ask an officer to add your "
                              "Slack user ID. `/sli list ELHT` shows one organisation's recommendations.")
    return blocks.reply_message(reply)


def update_from_text(context: dict, intent: parse.Intent, user_id: str, tell: Callable[[dict], None]) -> dict:
    """The one-line update, journalled before the answer: the answer says it is recorded (or refused with a
    sentence saying what to fix, or that nothing was recorded); `tell` later gets what the write did. A
    workbook that cannot be read is a refusal with its sentence: nothing journalled."""
    if intent.error:
        return blocks.message(f":x: {intent.error}")
    request = UpdateRequest(intent.ref, intent.changes, s.VIA_SLACK, sender=user_id)
    try:
        recorded = record_request(context["store"], request, journal_wait=CHAT_TIMEOUT_SECONDS)
    except WorkbookError as exc:
        recorded = unreadable_refusal(request, exc)
    if recorded.state != PENDING or recorded.duplicate:
        return blocks.update_result_message(recorded)
    writer_of(context).write(recorded, lambda result: tell(blocks.update_result_message(result)))
    return blocks.message(f":inbox_tray: Recorded your update to {recorded.ref}; writing it to the workbook…")


def sli_command(ack: Ack, command: dict, respond: Respond, client: WebClient, context: dict) -> None:
    store: Store = context["store"]
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
    app.command(manifest.COMMAND)(sli_command)
