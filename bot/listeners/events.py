"""Events: plain phrases in a DM or a mention, and App Home. Anything not understood gets short help."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from slack_bolt import App, Say
from slack_sdk import WebClient

from bot import blocks, flows, parse
from bot.listeners.acking import early
from bot.listeners.commands import carry_out


def reply_to_phrase(context: dict, text: str, user_id: str, tell: Callable[[dict], None]) -> dict:
    """The answer to a plain phrase, as message arguments; `tell` gets an update's written outcome later."""
    return carry_out(context, flows.message(context["store"], flows.SLACK, parse.parse_message(text), user_id,
                                            context.get("replay_keys", ())), tell)


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
    user_id = event["user"]
    client.views_publish(user_id=user_id, view=blocks.home(flows.home(context["store"], user_id, date.today())))


def register(app: App) -> None:
    app.event("app_mention")(early(app, app_mention, event=True))
    app.event("message")(early(app, direct_message, event=True))
    app.event("app_home_opened")(early(app, home_opened, event=True))
