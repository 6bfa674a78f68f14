"""Notices and help: a sentence with its tone, the help text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # for the type hints only: the summary pulls in pandas and matplotlib
    pass


# --- notices and help ----------------------------------------------------------------------------

#: A notice's tone: how a renderer marks it (an icon), never what it says.
RECORDED, REFUSED, PLAIN = "recorded", "refused", ""


@dataclass(frozen=True)
class NoticeReply:
    """One sentence (a refusal, a query's error, "recorded"); `headline` leads it when the sentence is an
    outcome ("L7: not recorded."), and `ref` names the recommendation a form notice is about."""

    text: str
    tone: str = PLAIN
    headline: str = ""
    ref: str = ""

    @property
    def plain(self) -> str:
        return f"{self.headline} {self.text}".strip()

    def must_show(self) -> tuple[str, ...]:
        return tuple(x for x in (self.headline, self.text) if x)


def notice(text: str, tone: str = PLAIN, *, headline: str = "", ref: str = "") -> NoticeReply:
    """A sentence as a reply: each chat shows it as text (an icon for its tone), never rephrased."""
    return NoticeReply(text, tone, headline, ref)


def recorded(ref: str, what: str = "update to") -> NoticeReply:
    """What the sender reads once an update is journalled: its outcome follows. `what` names the kind of
    update when it is not a progress update ("assurance of", "sending back of"), so a holder who pressed
    *Assure* reads what they did."""
    return NoticeReply(f"Recorded your {what} {ref}; writing it to the workbook…", RECORDED, ref=ref)


def reading(ref: str) -> NoticeReply:
    """What a form shows while the row is read."""
    return NoticeReply(f"Reading {ref} from the workbook…", ref=ref)


@dataclass(frozen=True)
class HelpLine:
    """One way to ask: the command(s), typed without the chat's prefix, an alternative, and what it gives."""

    commands: tuple[str, ...]
    alternative: str = ""
    what: str = ""


@dataclass(frozen=True)
class HelpReply:
    """What the bot understands; `prefix` is the sentence before it (what was not understood)."""

    prefix: str
    title: str
    lines: tuple[HelpLine, ...]
    plain_words: tuple[str, ...]

    def must_show(self) -> tuple[str, ...]:
        return (self.prefix, self.title, *(c for line in self.lines for c in line.commands),
                *(line.what for line in self.lines), *self.plain_words)


HELP_LINES = (
    HelpLine(("status L7",), "7", "one recommendation in full"),
    HelpLine(("status safer sleeping",), "", "search the recommendations"),
    HelpLine(("list at risk", "list ELHT"), "", "by status or lead organisation"),
    HelpLine(("mine",), "", "the recommendations your organisation leads"),
    HelpLine(("update L7",), "", "a form to update one"),
    HelpLine(('update L7 status="At risk" next="Agree safer sleep audit" due=31/01/2027 summary="..."',)),
)


def help_reply(prefix: str = "") -> HelpReply:
    """Help, after `prefix` (why it is shown: a word not understood); the commands without a chat's prefix."""
    return HelpReply(prefix, "Ask me about the SLI infant mortality recommendations", HELP_LINES,
                     ("status of 7", "what is at risk?", "update 7 status On track"))


