"""Events: plain phrases in a DM or a mention, and App Home. Anything not understood gets short help."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from slack_bolt import App, Say
from slack_sdk import WebClient

from bot import blocks, parse
from bot.listeners.commands import answer_query, update_from_text
from shared.domain.access import display_name
from shared.domain.queries import rows_for_person
from shared.usecases import Store, WorkbookError
from shared.usecases import appendix as read_appendix_of


def reply_to_phrase(context: dict, text: str, user_id: str, tell: Callable[[dict], None]) -> dict:
    """The answer to a plain phrase, as message arguments; `tell` gets an update's written outcome later."""
    store: Store = context["store"]
    intent = parse.parse_message(text)
    if intent.kind == parse.UPDATE_MODAL:
        return blocks.message(f"To update {intent.ref}, use `/sli update {intent.ref}` for a form, or write "
                              f"`update {intent.ref} status=\"On track\" next=\"...\"`.")
    if intent.kind == parse.UPDATE:
        return update_from_text(context, intent, user_id, tell)
    return answer_query(store, intent, user_id)


def app_mention(event: dict, say: Say, context: dict) -> None:
    thread = event.get("thread_ts") or event.get("ts")
    reply = reply_to_phrase(context, event.get("text", ""), event.get("user", ""),
                            lambda later: say(thread_ts=thread, **later))
    say(thread_ts=thread, **reply)


def direct_message(event: dict, say: Say, context: dict) -> None:
    if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
        return
    say(**reply_to_phrase(context, event.get("text", ""), event.get("user", ""), lambda later: say(**later)))


def home_opened(event: dict, client: WebClient, context: dict) -> None:
    store: Store = context["store"]
    user_id = event["user"]
    try:
        appendix = read_appendix_of(store)
    except WorkbookError as exc:  # the Home tab says why it is empty, in the words `sli` uses
        client.views_publish(user_id=user_id, view=blocks.home_notice(str(exc)))
        return
    view = blocks.home_view(display_name(appendix, user_id), rows_for_person(appendix, user_id), date.today())
    client.views_publish(user_id=user_id, view=view)


def register(app: App) -> None:
    app.event("app_mention")(app_mention)
    app.event("message")(direct_message)
    app.event("app_home_opened")(home_opened)
