"""Telling people about assurance, in either chat: a claim landed (its holders get it with *Assure* and *Send
back*), a claim was sent back (its lead gets the reason), and the reminders (claims waiting over 14 days nudge
their holders; items sent back and not claimed again nudge their leads).

A claim can land from any front end (a chat, `sli update`, the add-in, Excel itself), in any process, so who
is told is decided from the workbook and the journal, not from the write that made it: after each write of
this bot that set Complete or sent a claim back (`after_write`), and on a pass every few seconds for the rest
(`tell`). Each message goes once per person across processes and restarts (the journal's `post_once`, under a
claim of its own per chat), so both passes and both chats may look at the same claim safely.

What differs between Slack and Teams is a `Channel`: how a Leads row is reached there, and how each reply is
sent (laid out by bot/assurance_blocks.py or bot/teams/assurance_cards.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime

from shared.domain import schema as s
from shared.domain.model import Lead
from shared.domain.update import APPLIED, UpdateResult
from shared.usecases import (
    Context,
    appendix,
    assurance_reminders,
    claim_notice,
    post_once,
    sent_back_notice,
)
from shared.usecases import replies as r

log = logging.getLogger("sli.bot.assurance")


@dataclass(frozen=True)
class Channel:
    """One chat's side: `name` keys its claims in the journal ("slack", "teams"); `address` is how a Leads row
    is reached there ('' when not: they are told in the other chat, or not at all); `owns` says whether a
    claimant's chat identity is this chat's; `send(address, reply)` posts a reply (False: not reachable yet,
    tried again on the next pass)."""

    name: str
    address: Callable[[Lead], str]
    owns: Callable[[str], bool]
    send: Callable[[str, object], bool]


def _when(value: datetime | date | None, fallback: str) -> str:
    return value.isoformat() if value is not None else fallback


def _once(store: Context, kind: str, key: str, post: Callable[[], bool]) -> bool:
    def attempt() -> dict | None:
        try:
            return {} if post() else None
        except Exception:  # noqa: BLE001 - one failed message must not stop the others; tried next pass
            log.exception("could not post %s %s", kind, key)
            return None
    return post_once(store, kind, key, attempt).posted


class AssuranceNews:
    """Tells one chat's people about claims and sendings back, each once; `after_write` hands the telling
    to a thread of its own, so neither the writer thread nor a listener waits on a slow chat."""

    def __init__(self, store: Context, channel: Channel):
        self.store, self.channel = store, channel
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"sli-assurance-{channel.name}")

    # --- when ----------------------------------------------------------------------------------

    def after_write(self, result: UpdateResult) -> None:
        """A write of this bot's: tell about it if it set Complete (a claim) or sent a claim back."""
        if result.state != APPLIED or not result.changes:
            return
        status = (result.changes.get(s.STATUS) or (None, None))[1]
        if status == s.COMPLETE or s.SENT_BACK in result.changes:
            try:
                self._pool.submit(self.tell, [result.ref])
            except RuntimeError:  # shutting down: the next start's pass tells
                pass

    def tell(self, refs: Iterable[str] | None = None) -> int:
        """Tell whoever is owed a message about the claims and sendings back of `refs` (every row by default).
        Returns messages sent."""
        try:
            current = appendix(self.store)
            if not current.has_assurance:
                return 0
            wanted = list(refs) if refs is not None else list(current.rows)
            return sum(self._claim(ref) + self._sent_back(ref) for ref in wanted)
        except Exception:  # noqa: BLE001 - a scheduled pass must never die; the next one tries again
            log.exception("could not tell about assurance")
            return 0

    def _claim(self, ref: str) -> int:
        notice = claim_notice(self.store, ref)
        if notice is None:
            return 0
        reply = r.claim_reply(notice)
        claim = f"{_when(notice.claim.at, notice.claim.by)}:{notice.claim.key}"  # a claim again, even that second
        sent = 0
        for holder in notice.holders:
            address = self.channel.address(holder)
            if address:
                sent += _once(self.store, f"claim:{self.channel.name}", f"{ref}:{claim}:{address}",
                              lambda address=address: self.channel.send(address, reply))
        return sent

    def _sent_back(self, ref: str) -> int:
        notice = sent_back_notice(self.store, ref)
        if notice is None:
            return 0
        reply = r.sent_back_reply(notice)
        sent = 0
        for address in self._leads_of(notice.identity, notice.leads):
            sent += _once(self.store, f"sent-back:{self.channel.name}", f"{ref}:{_when(notice.at, '')}:{address}",
                          lambda address=address: self.channel.send(address, reply))
        return sent

    def _leads_of(self, identity: str | None, leads: tuple[Lead, ...]) -> list[str]:
        """The claimant when their claim came from this chat; none when from the other chat (told there);
        else the leads of the recommendation's organisation this chat reaches."""
        if identity:
            return [identity] if self.channel.owns(identity) else []
        return [address for address in dict.fromkeys(self.channel.address(lead) for lead in leads) if address]

    # --- reminders -----------------------------------------------------------------------------

    def remind(self, today: date) -> int:
        """The assurance reminders due (`assuring.assurance_reminders`), each person once a week in this chat:
        holders of claims waiting over 14 days (with the claim's buttons), leads of items sent back."""
        year, week, _ = today.isocalendar()
        sent = 0
        for reminder in assurance_reminders(self.store):
            reply = r.assurance_reminder_reply(reminder)
            if reminder.kind == "waiting":
                people = [self.channel.address(person) for person in reminder.people]
            else:
                people = self._leads_of(reminder.identity, reminder.people)
            for address in dict.fromkeys(a for a in people if a):
                sent += _once(self.store, f"assurance-reminder:{self.channel.name}",
                              f"{year}-W{week:02d}:{reminder.kind}:{reminder.row.ref}:{address}",
                              lambda address=address, reply=reply: self.channel.send(address, reply))
        return sent

    def stop(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def wait_idle(self, timeout: float | None = None) -> None:
        """Return once the telling queued so far is done (tests, and an orderly stop)."""
        self._pool.submit(lambda: None).result(timeout)
