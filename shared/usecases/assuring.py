"""Assuring a Complete claim, or sending it back: the use cases every front end calls (the command line's `sli
assure` and `sli send-back`; the Slack and Teams *Assure* / *Send back* buttons; reminders).

Complete is a claim, with its evidence, until a holder of the recommendation's accountable role (Leads'
`Accountable for`) assures it; never the person who made it. The decisions are the domain's
(shared/domain/assurance.py); an assurance or a sending back is then an update like any other: journalled,
written after the updates that arrived before it, through the same unit of work, conflict rule and writer,
each field a Change log row with who, when and how (`Via`), the note or reason a row of its own.

For a chat, walked through:
- a claim lands (an update whose result sets Complete): `claim_notice(ctx, ref)` says whom to message (the
  holders, not the claimant) and what (the claim, its evidence): `replies.claim_reply(notice)`;
- *Assure* pressed: `record_assurance(ctx, AssuranceRequest(ref, via, sender=user_id, text=note))` before the
  acknowledgement, then `commit(ctx, recorded)` on the writer thread (shared.usecases.updating), as an update;
- *Send back* (with the reason the chat asked for): `record_send_back(...)` then `commit`; once applied,
  `sent_back_notice(ctx, ref)` says whom to tell (the claimant, else the leads of its organisation) and the
  reason: `replies.sent_back_reply(notice)`;
- reminders: `assurance_reminders(ctx)`: claims waiting over 14 days (nudge the holders) and items sent back
  and not claimed again (nudge the leads).
The command line's `assure` and `send_back` do record and commit at once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime

from shared import journal as j
from shared.domain import assurance as a
from shared.domain import schema as s
from shared.domain.assurance import AssuranceRequest, Claim
from shared.domain.logrow import LogRow
from shared.domain.model import Appendix, Board, Lead, Recommendation
from shared.domain.update import NOT_RECORDED, Prepared, UpdateResult
from shared.domain.values import cell_text
from shared.uow import AbstractUnitOfWork, Context, Store, as_context
from shared.usecases.updating import _log_update, commit, record

#: A claim waiting longer than this is nudged (its holders reminded).
WAITING_DAYS = 14

__all__ = ["WAITING_DAYS", "AssuranceItem", "AssuranceReminder", "AssuranceRequest", "Claim", "ClaimNotice",
           "SentBackNotice", "assurance_items", "assurance_reminders", "assure", "board_rows", "claim_notice",
           "claim_of", "record_assurance", "record_send_back", "send_back", "sent_back_notice"]


# --- the claim and whom it concerns ---------------------------------------------------------------

def _claim(reader: AbstractUnitOfWork, row: Recommendation) -> Claim:
    entries = reader.journal.for_ref(row.ref) if reader.has_journal() else []
    return a.find_claim(row, entries, reader.change_log(since=None) if not entries else [])


def claim_of(ctx: Context | Store, ref: str) -> Claim | None:
    """The claim a recommendation awaiting assurance carries (who, when, evidence, the status before), or
    None when it awaits none (not Complete, already assured, or no assurance asked)."""
    reader = as_context(ctx).read()
    current = reader.appendix()
    row = current.get(ref)
    if row is None or a.assurance_state(current, row) != a.AWAITING:
        return None
    return _claim(reader, row)


@dataclass(frozen=True)
class ClaimNotice:
    """A claim to put to the holders of its role (Slack DM, Teams personal chat): the row, the claim, and
    the `holders` to message (Leads rows: Slack user ID and Entra object ID), the claimant left out."""

    row: Recommendation
    claim: Claim
    roles: tuple[str, ...]
    holders: tuple[Lead, ...]


def claim_notice(ctx: Context | Store, ref: str) -> ClaimNotice | None:
    """Whom to message about a claim, and what: None when the recommendation awaits no assurance (so a
    front end may call it after every update that set Complete, and message only when there is a claim)."""
    reader = as_context(ctx).read()
    current = reader.appendix()
    row = current.get(ref)
    if row is None or a.assurance_state(current, row) != a.AWAITING:
        return None
    claim = _claim(reader, row)
    holders = tuple(lead for lead in a.holders(current, row) if lead.name.casefold() != claim.by.casefold())
    return ClaimNotice(row, claim, a.roles_of(row), holders)


@dataclass(frozen=True)
class SentBackNotice:
    """A claim sent back, for its lead: the row as it reads now, who sent it back, the reason, and whom to
    tell: the claimant's chat identity when the claim came from a chat (`identity`), and the leads of the
    recommendation's organisation (`leads`, Leads rows) to fall back on."""

    row: Recommendation
    by: str
    reason: str
    at: datetime | date | None
    identity: str | None
    leads: tuple[Lead, ...]


def sent_back_notice(ctx: Context | Store, ref: str) -> SentBackNotice | None:
    """Whom to tell that a claim was sent back, and why: from the recommendation's last sending back, None
    when it was claimed again since (or never sent back)."""
    reader = as_context(ctx).read()
    current = reader.appendix()
    row = current.get(ref)
    if row is None or not reader.has_journal():
        return None
    return _sent_back(current, row, reader.journal.for_ref(row.ref))


def _sent_back(current: Appendix, row: Recommendation, entries: list) -> SentBackNotice | None:
    for index in range(len(entries) - 1, -1, -1):
        entry = entries[index]
        changes = (entry.detail.get("changes") or {}) if entry.state == j.APPLIED else {}
        if (changes.get(s.STATUS) or [None, None])[1] == s.COMPLETE:
            return None  # claimed again since
        if s.SENT_BACK in changes:
            claim = a.find_claim(row, entries[:index], [])
            leads = tuple(lead for lead in current.leads if lead.lead_organisation == row.lead_org
                          and lead.role == "lead")
            return SentBackNotice(row, entry.by, str(changes[s.SENT_BACK][1]),
                                  LogRow.write_time(entry.detail), claim.identity, leads)
    return None


# --- assure and send back -------------------------------------------------------------------------

def _prepare(ctx: Context, request: AssuranceRequest, sending_back: bool, journal: j.Journal
             ) -> Prepared | UpdateResult:
    reader = ctx.read()
    try:
        mark = journal.view_mark()  # before the file is read, as for an update
    except j.JournalUnavailable as exc:
        return UpdateResult(None, str(request.ref), NOT_RECORDED, str(exc))
    current = reader.appendix()
    try:
        row = current.get(request.ref)
    except s.RefError:
        row = None
    claim = _claim(reader, row) if row is not None and a.assurance_state(current, row) == a.AWAITING else None
    return a.prepare_assurance(current, request, claim, mark, ctx.today(), sending_back=sending_back)


def _record(ctx: Context | Store, request: AssuranceRequest, sending_back: bool,
            journal_wait: float) -> UpdateResult:
    ctx = as_context(ctx)
    started = time.perf_counter()
    try:
        journal = ctx.read(journal_wait).journal
        with journal.session():
            prepared = _prepare(ctx, request, sending_back, journal)
            result = prepared if isinstance(prepared, UpdateResult) else record(ctx, prepared, journal_wait, journal)
    except j.JournalUnavailable as exc:
        result = UpdateResult(None, str(request.ref), NOT_RECORDED, str(exc))
    _log_update(result, started, "recorded")
    return result


def record_assurance(ctx: Context | Store, request: AssuranceRequest,
                     journal_wait: float = j.BUSY_TIMEOUT_SECONDS) -> UpdateResult:
    """Check and journal an assurance (what a chat does before it acknowledges *Assure*): `pending` (then
    `commit` it), a refusal in a sentence (not a holder, the claimant, nothing awaiting assurance, a note the
    text rules refuse: nothing journalled), or `not_recorded`. `request.text` is the optional note."""
    return _record(ctx, request, False, journal_wait)


def record_send_back(ctx: Context | Store, request: AssuranceRequest,
                     journal_wait: float = j.BUSY_TIMEOUT_SECONDS) -> UpdateResult:
    """Check and journal a sending back (`request.text`: the reason, required), as `record_assurance`. Once
    written, the status is what it was before the claim; tell the lead with `sent_back_notice`."""
    return _record(ctx, request, True, journal_wait)


def assure(ctx: Context | Store, ref: str, by: str, note: str = "", via: str = s.VIA_CLI) -> UpdateResult:
    """Assure a claim and write it (the command line: `sli assure REF --by NAME [--note TEXT]`)."""
    ctx = as_context(ctx)
    return commit(ctx, record_assurance(ctx, AssuranceRequest(ref, via, by=by, text=note)))


def send_back(ctx: Context | Store, ref: str, by: str, reason: str, via: str = s.VIA_CLI) -> UpdateResult:
    """Send a claim back with a reason and write it (`sli send-back REF --by NAME --reason TEXT`)."""
    ctx = as_context(ctx)
    return commit(ctx, record_send_back(ctx, AssuranceRequest(ref, via, by=by, text=reason)))


# --- reminders ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AssuranceReminder:
    """One nudge: `kind` "waiting" (a claim waiting over `WAITING_DAYS`: tell its `people`, the holders) or
    "sent_back" (sent back and not claimed again: tell its `people`, the recommendation's leads, and the
    claimant's chat `identity` when known). `since`: when it was claimed or sent back; `days` since then."""

    kind: str
    row: Recommendation
    since: datetime | date | None
    days: int | None
    people: tuple[Lead, ...]
    identity: str | None = None
    reason: str = ""
    claim_key: str = ""  # a waiting claim's `Claim.key`


WAITING, SENT_BACK = "waiting", "sent_back"


def _day(value: datetime | date | None) -> date | None:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).date()
    return value


def assurance_reminders(ctx: Context | Store, waiting_days: int = WAITING_DAYS) -> list[AssuranceReminder]:
    """Who to nudge today: the holders of claims waiting longer than `waiting_days`, and the leads of items
    sent back and not claimed again. Empty for a workbook that asks no assurance."""
    ctx = as_context(ctx)
    reader = ctx.read()
    current = reader.appendix()
    if not current.has_assurance:
        return []
    today = ctx.today()
    found: list[AssuranceReminder] = []
    for row in current.rows.values():
        entries = reader.journal.for_ref(row.ref) if reader.has_journal() else []
        state = a.assurance_state(current, row)
        if state == a.AWAITING:
            claim = a.find_claim(row, entries, [])
            day = _day(claim.at)
            days = (today - day).days if day else None
            if days is None or days > waiting_days:
                holders = tuple(h for h in a.holders(current, row) if h.name.casefold() != claim.by.casefold())
                found.append(AssuranceReminder(WAITING, row, claim.at, days, holders, claim_key=claim.key))
        elif state is None and a.asks_assurance(current, row) and entries:
            notice = _sent_back(current, row, entries)
            if notice is not None:
                day = _day(notice.at)
                found.append(AssuranceReminder(SENT_BACK, row, notice.at, (today - day).days if day else None,
                                               notice.leads, notice.identity, notice.reason))
    return found


# --- the figures and the boards' papers -----------------------------------------------------------

@dataclass(frozen=True)
class AssuranceItem:
    """One row of a report's assurance table: a recommendation claimed Complete: when and by whom, its
    evidence, who assured it when (empty while waiting), and since when it waits (None once assured)."""

    ref: str
    status: str
    claimed_by: str
    claimed_on: date | None
    evidence: str
    assured_by: str
    assured_on: date | None
    waiting_since: date | None


def assurance_items(ctx: Context | Store, refs: list[str] | None = None) -> list[AssuranceItem]:
    """The claims (awaiting or assured) among `refs` (all rows by default), in the sheet's order."""
    reader = as_context(ctx).read()
    current = reader.appendix()
    items = []
    for row in current.rows.values():
        state = a.assurance_state(current, row)
        if state is None or (refs is not None and row.ref not in refs):
            continue
        claim = _claim(reader, row)
        on = row[s.ASSURED_ON]
        items.append(AssuranceItem(row.ref, a.shown_status(current, row), claim.by, _day(claim.at),
                                   claim.evidence, cell_text(row[s.ASSURED_BY]).strip() if state == a.ASSURED else "",
                                   on if isinstance(on, date) and state == a.ASSURED else None,
                                   _day(claim.at) if state == a.AWAITING else None))
    return items


def board_rows(ctx: Context | Store, board: str) -> tuple[Board, list[Recommendation]]:
    """The board named (sheet Lists) and the recommendations its paper carries; `BoardError` (a sentence
    listing the boards) for a name not there."""
    current = as_context(ctx).read().appendix()
    found = a.find_board(current, board)
    return found, [row for row in current.rows.values() if a.board_sees(found, row)]

