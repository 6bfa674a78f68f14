"""What the chats say about assurance, chat-neutral: the claim put to its holders (with *Assure* and *Send back*),
the sending back told to the lead, and the reminders. Built from `shared.usecases.assuring`'s notices; Slack
blocks and Teams cards only lay these out (each escaping the texts: evidence, notes and reasons are people's).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from shared.domain import schema as s
from shared.domain.values import cell_text, short_text, uk_time_text

if TYPE_CHECKING:
    from shared.usecases.assuring import AssuranceReminder, ClaimNotice, SentBackNotice

#: The two actions a claim offers, by the name both chats give their buttons (and read back on press).
ASSURE, SEND_BACK = "assure", "send_back"
#: The input a sending back asks for (the reason), by the name both chats give it.
REASON_FIELD = "reason"
#: The optional note an assurance may carry, by the name both chats give its input.
NOTE_FIELD = "note"


def _when(value: object) -> str:
    """A claim's time as people read it (UK time, zone named); a day alone (a claim typed in Excel) as a day."""
    return uk_time_text(value) if isinstance(value, datetime) else cell_text(value)


@dataclass(frozen=True)
class ClaimReply:
    """A claim to assure: the recommendation, who claimed it Complete and when, the evidence, the summary, the
    roles it is accountable to; with the actions `ASSURE` and `SEND_BACK` (the latter asks for a reason)."""

    ref: str
    heading: str
    claimed_by: str
    claimed_at: str
    evidence: str
    summary: str
    roles: str
    actions: tuple[str, ...] = (ASSURE, SEND_BACK)
    #: Which claim this is (`Claim.key`): the actions carry it back, so a press on an older claim's message
    #: is refused rather than assuring a newer claim the holder has not seen.
    claim_key: str = ""

    @property
    def title(self) -> str:
        return f"{self.ref} is claimed Complete: please assure it or send it back"

    def must_show(self) -> tuple[str, ...]:
        return tuple(x for x in (self.ref, self.heading, self.claimed_by, self.claimed_at, self.evidence,
                                 self.roles) if x)


def claim_reply(notice: ClaimNotice) -> ClaimReply:
    """The message to a claim's holders, from `assuring.claim_notice` (a `ClaimNotice`)."""
    row, claim = notice.row, notice.claim
    return ClaimReply(row.ref, short_text(row[s.RECOMMENDATION], 400), claim.by or "someone in Excel",
                      _when(claim.at), short_text(claim.evidence, 1000), short_text(row[s.SUMMARY], 1000),
                      " or ".join(notice.roles), claim_key=claim.key)


@dataclass(frozen=True)
class SentBackReply:
    """A claim sent back, for its lead: by whom, why, and the status it reads again."""

    ref: str
    heading: str
    by: str
    reason: str
    status: str

    @property
    def title(self) -> str:
        return f"{self.ref} was sent back by {self.by}"

    def must_show(self) -> tuple[str, ...]:
        return (self.ref, self.heading, self.by, self.reason, self.status)


def sent_back_reply(notice: SentBackNotice) -> SentBackReply:
    """The message to the lead, from `assuring.sent_back_notice` (a `SentBackNotice`)."""
    row = notice.row
    return SentBackReply(row.ref, short_text(row[s.RECOMMENDATION], 400), notice.by,
                         short_text(notice.reason, 1000), row.status)


@dataclass(frozen=True)
class AssuranceReminderReply:
    """A nudge: a claim waiting for assurance for `days` days (to its holders, with the claim's actions), or
    an item sent back and not claimed again (to its lead, with the reason)."""

    kind: str
    ref: str
    heading: str
    days: int | None
    reason: str = ""
    claim_key: str = ""  # a waiting claim's `Claim.key`, carried by its actions

    @property
    def title(self) -> str:
        waited = f"for {self.days} days" if self.days is not None else "since before records began"
        if self.kind == "waiting":
            return f"{self.ref} has waited for assurance {waited}"
        return f"{self.ref} was sent back {waited.removeprefix('for ')} ago and is not claimed again" \
            if self.days is not None else f"{self.ref} was sent back and is not claimed again"

    def must_show(self) -> tuple[str, ...]:
        return tuple(x for x in (self.ref, self.heading, self.reason) if x)


def assurance_reminder_reply(reminder: AssuranceReminder) -> AssuranceReminderReply:
    """The nudge for one `assuring.AssuranceReminder`."""
    row = reminder.row
    return AssuranceReminderReply(reminder.kind, row.ref, short_text(row[s.RECOMMENDATION], 400),
                                  reminder.days, short_text(reminder.reason, 1000), reminder.claim_key)
