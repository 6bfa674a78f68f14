"""The `/sli` slash command: ack at once, then answer from the core (reads are cached; writes may wait on the lock)."""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import blocks, manifest, parse
from bot.listeners.views import open_update_modal, writer_of
from shared.domain import schema as s
from shared.domain.queries import QueryError, filter_rows, rows_for_person, search
from shared.domain.update import PENDING, UpdateRequest
from shared.usecases import CHAT_TIMEOUT_SECONDS, Store, record_request
from shared.usecases import appendix as read_appendix_of


def answer_query(store: Store, intent: parse.Intent, user_id: str) -> dict:
    """The reply to a read-only intent (status, search, list, mine, help), as message arguments."""
    if intent.kind == parse.HELP:
        return blocks.help_message()
    if intent.kind == parse.UNKNOWN:
        return blocks.help_message(intent.error)
    appendix = read_appendix_of(store)
    try:
        if intent.kind == parse.STATUS:
            row = appendix.rows.get(intent.ref)
            if row is None:
                return blocks.message(f"There is no {intent.ref} in the workbook: "
                                      f"refs run L1 to L{len(appendix.rows)}.")
            return blocks.recommendation_message(row)
        if intent.kind == parse.SEARCH:
            rows = search(appendix, intent.query)
            if len(rows) == 1:
                return blocks.recommendation_message(rows[0])
            return blocks.list_message(f"Recommendations matching '{intent.query}'", rows)
        if intent.kind == parse.LIST:
            return _list(appendix, intent.query)
        if intent.kind == parse.MINE:
            rows = rows_for_person(appendix, user_id)
            if not rows:
                return blocks.message("The Leads sheet does not list you as a lead: ask an officer to add your "
                                      "Slack user ID. `/sli list ELHT` shows one organisation's recommendations.")
            return blocks.list_message("Your organisation's recommendations", rows)
    except QueryError as exc:
        return blocks.message(str(exc))
    return blocks.help_message()


def _list(appendix, query: str) -> dict:
    if not query.strip() or query.strip().casefold() == "all":
        return blocks.list_message("All recommendations", filter_rows(appendix))
    try:
        rows = filter_rows(appendix, status=query)
        return blocks.list_message(f"Recommendations {rows[0].status if rows else query}", rows)
    except QueryError:
        rows = filter_rows(appendix, lead=query)
        return blocks.list_message(f"Recommendations led by {rows[0].lead_org if rows else query}", rows)


def update_from_text(context: dict, intent: parse.Intent, user_id: str, tell: Callable[[dict], None]) -> dict:
    """The one-line update, journalled before the answer: the answer says it is recorded (or refused with a
    sentence saying what to fix, or that nothing was recorded); `tell` later gets what the write did."""
    if intent.error:
        return blocks.message(f":x: {intent.error}")
    request = UpdateRequest(intent.ref, intent.changes, s.VIA_SLACK, sender=user_id)
    recorded = record_request(context["store"], request, journal_wait=CHAT_TIMEOUT_SECONDS)
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
