"""The local console: type what you would type in Slack, as a chosen user, and read the bot's answers.

No Slack workspace needed. `/sli ...` lines are read as Slack's slash command, anything else as a direct
message, and each is answered by the conversations both chats have (bot/flows.py, as Slack: the sender is
a Slack user ID, updates are logged via Slack) with the same replies. The replies are printed as plain text
(bot/plain.py), not as Slack's markup: a terminal would show `:inbox_tray:` and `*bold*` as typed. Lines are
escaped as Slack escapes what people type before they are parsed, so a line reads exactly as it would in
Slack, and the text of a reply is shown as it is: a `<!channel>` typed into a cell reads as `<!channel>`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TextIO

from bot import flows, parse, plain
from bot.text import inert
from bot.writer import UpdateWriter
from shared.domain.access import display_name
from shared.usecases import Context
from shared.usecases import appendix as read_appendix_of
from shared.usecases import replies as r

DEFAULT_USER = "U07SLI0006"


def form_hint(ref: str) -> str:
    """What the console says under a form, which it cannot show as one."""
    return f'(In the console, send the update on one line: update {ref} status="On track" next="...")'


def answer(store: Context, line: str, user_id: str) -> flows.Answer:
    """The answer to one typed line (already escaped as Slack sends it), as the Slack bot gives it."""
    if line.startswith("/sli"):
        intent = parse.parse_command(line[4:].strip())
        if intent.kind == parse.UPDATE_MODAL:
            return flows.Answer(flows.open_update_form(store, flows.SLACK, intent.ref, user_id))
        if intent.kind == parse.UPDATE:
            return flows.one_line_update(store, flows.SLACK, intent, user_id)
        return flows.Answer(flows.question(store, flows.SLACK, intent, user_id))
    return flows.message(store, flows.SLACK, parse.parse_message(line), user_id)


def shown(reply: r.ChatReply) -> str:
    """A reply as the console prints it."""
    return plain.render(reply, form_hint=form_hint(reply.ref) if isinstance(reply, r.FormReply) else "")


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
    """Read lines (stdin by default) and answer each; an update's outcome is printed once it is written."""
    writer = UpdateWriter(store)
    name = display_name(read_appendix_of(store), user_id)
    print(f"SLI bot console: you are {name} ({user_id}). Type /sli help, or a message such as "
          "'status of 7'. Ctrl-D to leave.", file=out)
    try:
        for raw in _read_lines(lines, out):
            line = inert(raw.strip())  # as Slack sends what people type: & < > escaped
            if not line:
                continue
            said = answer(store, line, user_id)
            print(shown(said.reply), file=out)
            if said.write is not None:
                writer.write(said.write, lambda result: print(shown(r.result_reply(result)), file=out))
            writer.wait_idle()
    finally:
        writer.shutdown()
