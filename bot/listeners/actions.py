"""Buttons: "Update" on App Home and in reminders opens the update modal."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import blocks
from bot.listeners.acking import early
from bot.listeners.views import open_update_modal
from shared.usecases import Context


def update_button_clicked(ack: Ack, body: dict, action: dict, client: WebClient, context: dict) -> None:
    ack()
    store: Context = context["store"]
    open_update_modal(client, body["trigger_id"], store, action["value"], body["user"]["id"])


def register(app: App) -> None:
    app.action(blocks.OPEN_UPDATE_ACTION)(early(app, update_button_clicked))
