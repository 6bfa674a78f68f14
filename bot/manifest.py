"""The Slack app manifest (bot/manifest.json) as the code reads it: the command the bot answers and the
events and scopes it asks for come from that one file, and tests/test_manifest.py checks that every scope
is used and every event has a listener."""

from __future__ import annotations

import json
from pathlib import Path

MANIFEST_PATH = Path(__file__).with_name("manifest.json")
MANIFEST: dict = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))

#: The slash command, e.g. "/sli".
COMMAND: str = MANIFEST["features"]["slash_commands"][0]["command"]
#: Events the app subscribes to, as the manifest names them ("message.im").
BOT_EVENTS: tuple[str, ...] = tuple(MANIFEST["settings"]["event_subscriptions"]["bot_events"])
#: OAuth scopes the bot token is granted.
SCOPES: tuple[str, ...] = tuple(MANIFEST["oauth_config"]["scopes"]["bot"])
