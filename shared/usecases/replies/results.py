"""The outcome of an update: what changed, what waits, what clashed, what to fix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from shared.domain import update as u
from shared.domain.update import UpdateResult
from shared.usecases.replies.common import shown_or_empty

if TYPE_CHECKING:  # for the type hints only: the summary pulls in pandas and matplotlib
    pass


# --- the outcome of an update --------------------------------------------------------------------

UNCHANGED, UPDATED, WAITING, CONFLICTED, NOT_DONE = "unchanged", "updated", "waiting", "conflict", "refused"


@dataclass(frozen=True)
class ValueChange:
    column: str
    old: str
    new: str


@dataclass(frozen=True)
class Clash:
    """A field changed after the sender saw it: who changed it to what, and what they sent."""

    column: str
    changed_by: str
    current: str
    proposed: str


@dataclass(frozen=True)
class ResultReply:
    """What became of an update: updated (old → new), nothing changed, waiting (and why), a conflict (both
    values), or refused (the reasons); with the rules' warnings as notes."""

    ref: str
    outcome: str
    headline: str
    message: str = ""
    changes: tuple[ValueChange, ...] = ()
    conflicts: tuple[Clash, ...] = ()
    reasons: tuple[str, ...] = ()
    closing: str = ""
    notes: tuple[str, ...] = ()

    @property
    def said(self) -> str:
        """The core's sentence, where the outcome shows it (a refusal with reasons shows those instead)."""
        shows = self.outcome in (UNCHANGED, WAITING) or (self.outcome == NOT_DONE and not self.reasons)
        return self.message if shows else ""

    @property
    def plain(self) -> str:
        """The whole outcome as plain lines: the console's answer and the chats' text fallback, so what a
        person typed (asterisks included) is shown as typed, never stripped of markup meant for others."""
        lines = [self.headline, *([self.said] if self.said else [])]
        lines += [f"  {c.column}: {c.old} → {c.new}" for c in self.changes]
        lines += [f"  {c.column}: {c.changed_by} changed it to {c.current}; you sent {c.proposed}"
                  for c in self.conflicts]
        lines += [f"  - {reason}" for reason in self.reasons] + ([self.closing] if self.closing else [])
        lines += [f"Note: {note}" for note in self.notes]
        return "\n".join(lines)

    def must_show(self) -> tuple[str, ...]:
        return (self.ref, self.headline, self.said, *(x for c in self.changes for x in (c.column, c.old, c.new)),
                *(x for c in self.conflicts for x in (c.column, c.changed_by, c.current, c.proposed)),
                *self.reasons, self.closing, *self.notes)


def result_reply(result: UpdateResult) -> ResultReply:
    ref = result.ref
    notes = tuple(f.message for f in result.warnings)
    if result.state == u.APPLIED and not result.changes:
        return ResultReply(ref, UNCHANGED, f"{ref}: nothing changed.",
                           result.message or f"{ref} already shows these values.", notes=notes)
    if result.state == u.APPLIED:
        changes = tuple(ValueChange(column, shown_or_empty(old, column), shown_or_empty(new, column))
                        for column, (old, new) in result.changes.items())
        return ResultReply(ref, UPDATED, f"{ref} updated.", changes=changes, notes=notes)
    if result.state in u.OPEN_STATES:  # waiting, being written, or in the workbook open in Excel
        return ResultReply(ref, WAITING, f"{ref}: recorded, not yet in the workbook.", result.message,
                           closing="I'll tell you when it is in.", notes=notes)
    if result.state == u.CONFLICT:
        clashes = tuple(Clash(c.column, c.changed_by, shown_or_empty(c.current, c.column),
                              shown_or_empty(c.proposed, c.column)) for c in result.conflicts)
        return ResultReply(ref, CONFLICTED, f"{ref}: not applied: it was changed after you saw it.",
                           conflicts=clashes,
                           closing="Check the new values, then send your update again if it still stands.",
                           notes=notes)
    outcome = "not applied" if result.message.startswith("Not applied") else "not recorded"
    return ResultReply(ref, NOT_DONE, f"{ref}: {outcome}.", result.message,
                       reasons=tuple(f.message for f in result.errors), notes=notes)


