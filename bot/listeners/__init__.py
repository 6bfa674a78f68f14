"""Bolt listeners grouped by kind, as in Slack's starter app: each a plain callback over the core."""

from __future__ import annotations

from slack_bolt import App

from bot.listeners import actions, assurance, commands, events, views


def register(app: App) -> None:
    """Attach every listener to the app."""
    commands.register(app)
    views.register(app)
    actions.register(app)
    assurance.register(app)
    events.register(app)
