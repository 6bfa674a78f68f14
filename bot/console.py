"""The local console: type what you would type in Slack, as a chosen user, through the same listeners.

No Slack workspace needed. `/sli ...` lines go to the slash-command listener, anything else to the
direct-message listener; the Web API calls they make are printed instead of sent. Lines are escaped as
Slack escapes what people type, and messages are shown as Slack shows them (`literal()`): a `<!channel>`
typed into a cell reads as `<!channel>`, as it does in Slack, not `&lt;!channel&gt;`.
"""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Iterable, Iterator
from typing import TextIO

from bot.listeners import commands, events
from bot.text import inert, literal
from bot.writer import UpdateWriter
from shared.domain.access import display_name
from shared.domain.values import DateParseError, parse_date
from shared.usecases import Context
from shared.usecases import appendix as read_appendix_of

DEFAULT_USER = "U07SLI0006"


def render(args: dict) -> str:
    """A message's plain-text fallback, as the console shows it (the literal text people read in Slack)."""
    return literal(args.get("text", "")).strip()


def _form_value(element: dict) -> str:
    """A form field's prefilled value as people read it (the date picker's ISO date as 31/01/2027)."""
    if element.get("initial_date"):
        try:
            return parse_date(element["initial_date"]).strftime("%d/%m/%Y")
        except DateParseError:
            return str(element["initial_date"])
    return (element.get("initial_option") or {}).get("value") or element.get("initial_value") or ""


def _form_ref(view: dict) -> str:
    """The ref a form is for (its private_metadata), for the hint; the title's last word otherwise."""
    try:
        ref = json.loads(view.get("private_metadata") or "{}").get("ref")
    except (ValueError, AttributeError):
        ref = None
    return ref if isinstance(ref, str) and ref else view.get("title", {}).get("text", "L7").split()[-1]


class ConsoleClient:
    """The few Web API methods the listeners call, printed to the console."""

    def __init__(self, out: TextIO):
        self.out = out
        self.views = itertools.count(1)

    def chat_postMessage(self, channel: str, **args: object) -> dict:  # noqa: N802 (slack_sdk's name)
        print(f"[message to {channel}]\n{render(args)}", file=self.out)
        return {"ok": True, "channel": channel, "ts": "1"}

    def views_open(self, trigger_id: str, view: dict) -> dict:
        view_id = f"V{next(self.views)}"
        return {"ok": True, "view": {**view, "id": view_id, "hash": "h"}}

    def views_update(self, view_id: str, view: dict, hash: str | None = None) -> dict:  # noqa: A002
        fields = [b for b in view.get("blocks", []) if b.get("type") in ("input", "section")]
        lines = [f"[form: {view.get('title', {}).get('text', '')}]"]
        for block in fields:
            if block["type"] == "section":
                lines.append(literal(block["text"]["text"]))
                continue
            lines.append(f"  {block['label']['text']}: {_form_value(block['element'])}")
        if any(b.get("type") == "input" for b in fields):
            lines.append(f"(In the console, send the update on one line: update {_form_ref(view)} "
                         "status=\"On track\" next=\"...\")")
        print("\n".join(lines), file=self.out)
        return {"ok": True, "view": {**view, "id": view_id}}

    def views_publish(self, user_id: str, view: dict) -> dict:
        return {"ok": True}


def _read_lines(lines: Iterable[str] | None, out: TextIO) -> Iterator[str]:
    if lines is not None:
        yield from lines
    elif sys.stdin.isatty():
        while True:
            try:
                yield input("> ")
            except EOFError:
                print(file=out)
                return
    else:
        yield from sys.stdin


def run_console(store: Context, user_id: str = DEFAULT_USER, lines: Iterable[str] | None = None,
                out: TextIO = sys.stdout) -> None:
    """Read lines (stdin by default) and answer each through the bot's listeners."""
    client = ConsoleClient(out)
    writer = UpdateWriter(store)
    context = {"store": store, "writer": writer}
    name = display_name(read_appendix_of(store), user_id)
    print(f"SLI bot console: you are {name} ({user_id}). Type /sli help, or a message such as "
          "'status of 7'. Ctrl-D to leave.", file=out)

    def show(**args: object) -> None:
        if args.get("text"):
            print(render(args), file=out)

    for count, raw in enumerate(_read_lines(lines, out)):
        line = inert(raw.strip())  # as Slack sends what people type: & < > escaped
        if line.startswith("/sli"):
            command = {"text": line[4:].strip(), "user_id": user_id, "trigger_id": f"console-{count}"}
            commands.sli_command(ack=show, command=command, respond=show, client=client, context=context)
        elif line:
            event = {"type": "message", "channel_type": "im", "text": line, "user": user_id}
            events.direct_message(event=event, say=show, context=context)
        writer.wait_idle()
