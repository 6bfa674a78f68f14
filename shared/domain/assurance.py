"""Assurance, decided with no I/O: a recommendation set to Complete is a *claim* (with its evidence) until a
holder of its accountable role assures it, or sends it back with a reason.

The paper this tracker serves exists to give the Director of Public Health and the LSCB Chair assurance that
the recommendations are being actioned, so Complete alone is not done. Appendix 1's optional columns say who
is accountable (`Accountable`, roles from Lists' `Accountable roles`), what the claim rests on (`Evidence`),
and who assured it when (`Assured by`, `Assured on`); Leads' `Accountable for` says who holds each role.
A workbook without the columns asks for no assurance, exactly as before (`Appendix.has_assurance`).

An assurance and a sending back are updates like any other: prepared here (who may, what changes), then
journalled, planned and written by the same unit of work and writer, each field a Change log row; the
assurance note and the reason for sending back are Change log rows of their own (`schema.LOG_ONLY_FIELDS`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from shared.domain import rules
from shared.domain import schema as s
from shared.domain.access import Permission, is_person
from shared.domain.logrow import LogRow
from shared.domain.model import Appendix, Board, Lead, Recommendation
from shared.domain.update import APPLIED, JournalEntry, Prepared, UpdateResult, kept_text, normalise_changes, refusal
from shared.domain.values import cell_text, plain_newlines

#: A recommendation's assurance state: claimed Complete and waiting, or assured.
AWAITING, ASSURED = "awaiting", "assured"
#: The status a sent-back claim returns to when the records do not say what it was before.
FALLBACK_STATUS = s.ON_TRACK
#: How to add assurance to a workbook made before it: said once, by `sli validate` and `sli status`.
HOW_TO_ADD = s.HOW_TO_ADD_ASSURANCE


#: Quotes a name may arrive wrapped in (pasted from a document or an email: “Rebecca Lord”).
_QUOTES = "\"'“”‘’«»"


def _key(text: str) -> str:
    """A name or role as compared: spacing, case and wrapping quotes ignored."""
    return " ".join(text.split()).strip(_QUOTES).strip().casefold()


def roles_of(row: Recommendation) -> tuple[str, ...]:
    """The accountable roles a row names (its `Accountable` cell, `;`-separated)."""
    return s.split_list(row[s.ACCOUNTABLE])


def asks_assurance(appendix: Appendix, row: Recommendation) -> bool:
    """Whether a Complete claim on this row waits for assurance: the workbook has the columns and the row
    names an accountable role (a row naming none is complete as before; validation warns of it)."""
    return appendix.has_assurance and bool(roles_of(row))


def _blank(value: object) -> bool:
    return value is None or not cell_text(value).strip()


def row_state(row: Recommendation) -> str | None:
    """`assurance_state` from the row alone: a row read from a workbook with the assurance columns carries
    them among its values (a row read without them carries none, and asks for no assurance)."""
    if row.status != s.COMPLETE or not all(c in row.values for c in s.ASSURANCE_COLUMNS) or not roles_of(row):
        return None
    return AWAITING if _blank(row[s.ASSURED_BY]) else ASSURED


def assurance_state(appendix: Appendix, row: Recommendation) -> str | None:
    """`AWAITING` (Complete, not yet assured), `ASSURED`, or None (not Complete, or no assurance asked)."""
    return row_state(row) if appendix.has_assurance else None


def status_as_read(row: Recommendation) -> str:
    """The status as people read it everywhere (status, lists, summary, report, chats): "Complete, awaiting
    assurance" until assured."""
    return s.AWAITING_ASSURANCE if row_state(row) == AWAITING else row.status


def shown_status(appendix: Appendix, row: Recommendation) -> str:
    """`status_as_read`, for a row of `appendix`."""
    return s.AWAITING_ASSURANCE if assurance_state(appendix, row) == AWAITING else row.status


def holders(appendix: Appendix, row: Recommendation) -> tuple[Lead, ...]:
    """The people (sheet Leads, one row each, first row per name) who hold one of the row's accountable roles."""
    wanted = {_key(role) for role in roles_of(row)}
    found: dict[str, Lead] = {}
    for lead in appendix.leads:
        if lead.name and wanted & {_key(role) for role in lead.accountable_for}:
            found.setdefault(_key(lead.name), lead)
    return tuple(found.values())


def holder_names(appendix: Appendix, row: Recommendation) -> str:
    """"Rebecca Lord (Director of Public Health)", or who should be added, for a refusal's sentence."""
    names = [lead.name for lead in holders(appendix, row)]
    roles = " or ".join(roles_of(row)) or "its accountable role"
    if not names:
        return f"no one yet: an officer adds the holder of {roles} to sheet Leads (column Accountable for)"
    return f"{', '.join(names)} ({roles})"


#: The words the summary, the report and `sli status` count claims in.
ASSURED_LABEL, AWAITING_LABEL = "complete and assured", "awaiting assurance"


def assurance_counts(appendix: Appendix, refs: set[str] | None = None) -> dict[str, int]:
    """How many Complete recommendations are assured and how many await assurance (among `refs`): the one
    count the summary, the report and the export give. Empty for a workbook that asks for no assurance."""
    if not appendix.has_assurance:
        return {}
    states = [assurance_state(appendix, row) for ref, row in appendix.rows.items() if refs is None or ref in refs]
    return {ASSURED_LABEL: states.count(ASSURED), AWAITING_LABEL: states.count(AWAITING)}


def counts_sentence(counts: dict[str, int]) -> str:
    """"Of the 5 complete: 3 complete and assured, 2 awaiting assurance." ('' without assurance)."""
    if not counts:
        return ""
    total = sum(counts.values())
    return (f"Of the {total} complete: {counts[ASSURED_LABEL]} {ASSURED_LABEL}, {counts[AWAITING_LABEL]} "
            f"{AWAITING_LABEL}.")


# --- the claim ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Claim:
    """The Complete claim a recommendation carries: who made it (`by`, and `identity` to tell them in a
    chat, when it came from one), when (`at`), its evidence as the row holds it now, and what the fields it
    changed were before (`before`: the status sending back returns to, by column)."""

    ref: str
    by: str
    evidence: str
    at: datetime | date | None = None
    identity: str | None = None
    before: Mapping[str, str] | None = None

    @property
    def key(self) -> str:
        """Which claim this is, short (the day it was made and the evidence it rests on): a claim's message
        carries it on its buttons, so a press on the message of an earlier claim (sent back and claimed again
        since, or its evidence changed) assures nothing the holder did not see."""
        day = self.at.date() if isinstance(self.at, datetime) else self.at
        text = f"{self.ref}\x1f{day.isoformat() if day else ''}\x1f{' '.join(self.evidence.split())}"
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]

    @property
    def status_before(self) -> str:
        before = (self.before or {}).get(s.STATUS, "")
        return before if before in s.STATUSES and before != s.COMPLETE else FALLBACK_STATUS


def find_claim(row: Recommendation, entries: Sequence[JournalEntry], log: Sequence[LogRow]) -> Claim:
    """The claim behind a Complete row: the last applied update that set its status to Complete (the journal
    keeps the old values it replaced and whom to tell), unless a later one set another status (then the claim
    was typed into Excel since: what the row says, from the status that update wrote); else the last such
    Change log row (a journal purged; the same rule); else what the row says (`Updated by`, `Last updated`:
    a claim typed into Excel)."""
    evidence = cell_text(row[s.EVIDENCE]).strip()
    for entry in reversed(entries):
        changes = entry.detail.get("changes") or {}
        status = changes.get(s.STATUS)
        if entry.state == APPLIED and status and status[1] == s.COMPLETE:
            return Claim(row.ref, entry.by, evidence, LogRow.write_time(entry.detail),
                         entry.reply_to, {column: str(old) for column, (old, _) in changes.items()})
        if entry.state == APPLIED and status:
            # The last status the tracker wrote was not Complete (a sending back, an update): the row was
            # claimed in Excel since, by whom it says, from the status the tracker last wrote.
            return _typed_claim(row, evidence, str(status[1]))
    for logged in reversed(log):
        if logged.ref == row.ref and logged.field == s.STATUS and logged.new_value == s.COMPLETE:
            when = logged.when if isinstance(logged.when, datetime | date) else None
            return Claim(row.ref, logged.by, evidence, when, None, {s.STATUS: logged.old_value})
        if logged.ref == row.ref and logged.field == s.STATUS:
            return _typed_claim(row, evidence, cell_text(logged.new_value))
    return _typed_claim(row, evidence, None)


def _typed_claim(row: Recommendation, evidence: str, before: str | None) -> Claim:
    """A claim typed into Excel: by whom and when the row says, from `before` when a record says it."""
    at = row[s.LAST_UPDATED]
    return Claim(row.ref, cell_text(row[s.UPDATED_BY]).strip(), evidence,
                 at if isinstance(at, datetime | date) else None, None, {s.STATUS: before} if before else None)


# --- who may, and what an assurance or a sending back writes ---------------------------------------

@dataclass(frozen=True)
class AssuranceRequest:
    """A holder's answer to a claim: `sli assure`/`sli send-back` name the person (`by`), a chat gives their
    identity (`sender`: a Slack user ID or `entra:<object id>`, matched against Leads). `text` is the note of
    an assurance (optional) or the reason for sending back (required). `idempotency_key`: a button pressed
    twice records once."""

    ref: str
    via: str
    by: str = ""
    sender: str | None = None
    text: str = ""
    idempotency_key: str | None = None
    #: The `Claim.key` of the claim the holder was shown (a chat's message), '' when not known.
    claim_key: str = ""


def _acting(appendix: Appendix, request: AssuranceRequest) -> tuple[str, set[str]]:
    """Who is acting (their name as Leads spells it) and the roles they hold."""
    if request.sender is not None:
        rows = [lead for lead in appendix.leads if is_person(lead, request.sender)]
        name = rows[0].name if rows else request.sender
    else:
        rows = [lead for lead in appendix.leads if lead.name and _key(lead.name) == _key(request.by)]
        name = rows[0].name if rows else plain_newlines(request.by.strip())
    return name, {_key(role) for lead in rows for role in lead.accountable_for}


def may_assure(appendix: Appendix, row: Recommendation, name: str, roles: set[str], claim: Claim | None,
               sending_back: bool = False) -> Permission:
    """Only a holder of the row's accountable role may assure it (or send it back), and never the person who
    made the claim; the refusal names who can."""
    verb = "send back" if sending_back else "assure"
    if not roles & {_key(role) for role in roles_of(row)}:
        return Permission(False, f"Only a holder of {' or '.join(roles_of(row))} can {verb} {row.ref}: "
                                 f"{holder_names(appendix, row)}.")
    if not sending_back and claim is not None and claim.by and _key(claim.by) == _key(name):
        others = [lead.name for lead in holders(appendix, row) if _key(lead.name) != _key(name)]
        who = ", ".join(others) or "another holder, once an officer adds one to sheet Leads"
        return Permission(False, f"{name} claimed {row.ref} Complete and cannot assure their own claim: "
                                 f"{who} can.")
    return Permission(True)


def _refused_before(appendix: Appendix, request: AssuranceRequest, sending_back: bool
                    ) -> tuple[Recommendation | None, UpdateResult | None]:
    """The row, or the sentence saying why there is nothing to assure or send back."""
    try:
        ref = s.normalise_ref(request.ref)
    except s.RefError as exc:
        return None, refusal(str(request.ref), str(exc))
    row = appendix.rows.get(ref)
    if row is None:
        return None, refusal(ref, f"There is no {ref} in the workbook.")
    if not appendix.has_assurance:
        return None, refusal(ref, "This workbook asks for no assurance. " + HOW_TO_ADD)
    if not roles_of(row):
        return None, refusal(ref, f"{ref} names no accountable role: an officer fills its Accountable column "
                                  "(from the list on sheet Lists) first.")
    state = assurance_state(appendix, row)
    if state is None:
        return None, refusal(ref, f"{ref} is not awaiting assurance: its status is {row.status or 'empty'}.")
    if state == ASSURED:
        return None, refusal(ref, f"{ref} was already assured by {cell_text(row[s.ASSURED_BY])} on "
                                  f"{cell_text(row[s.ASSURED_ON]) or 'a day not given'}.")
    return row, None


def prepare_assurance(appendix: Appendix, request: AssuranceRequest, claim: Claim | None, view_seq: int,
                      today: date, *, sending_back: bool = False) -> Prepared | UpdateResult:
    """Check an assurance (or, `sending_back`, a sending back) once: the ref, that the row awaits
    assurance, who may, the note or reason (screened by the same text rules as every cell). A refusal says
    why in a sentence and nothing is journalled; a `Prepared` update goes to the journal like any other.

    An assurance writes `Assured by` and `Assured on` (and logs its note); a sending back returns the status
    to what it was before the claim (`Claim.status_before`), clears the evidence, puts back next steps and
    a due date the claim emptied, and logs the reason."""
    row, refused = _refused_before(appendix, request, sending_back)
    if refused is not None or row is None:
        return refused  # type: ignore[return-value]
    if request.claim_key and claim is not None and request.claim_key != claim.key:
        return refusal(row.ref, f"{row.ref} has been claimed again since this message, on the evidence in the newer "
                                "message: nothing was recorded; assure or send back the claim there.")
    if request.sender is None and not _key(request.by):
        return refusal(row.ref, f"Say who {'sends it back' if sending_back else 'assures it'}: --by NAME, as on "
                                "sheet Leads.")
    name, roles = _acting(appendix, request)
    permission = may_assure(appendix, row, name, roles, claim, sending_back)
    if not permission.allowed:
        return refusal(row.ref, permission.message)
    text = plain_newlines(request.text.strip())
    column = s.SENT_BACK if sending_back else s.ASSURANCE_NOTE
    if sending_back and not text:
        return refusal(row.ref, f"Say why {row.ref} is sent back: the lead is told the reason.")
    findings = rules.check_text(text, column, ref=row.ref) if text else []
    errors = rules.errors(findings)
    if errors:
        return refusal(row.ref, errors[0].message, findings)
    changes: dict[str, object]
    if sending_back:
        before = (claim.before if claim else None) or {}
        changes = {s.STATUS: claim.status_before if claim else FALLBACK_STATUS, s.EVIDENCE: None}
        for restored in (s.NEXT_STEPS, s.DUE):
            if _blank(row[restored]) and before.get(restored):
                changes[restored] = before[restored]
        if s.DUE in changes:  # kept as the text people read: a day again
            changes[s.DUE] = normalise_changes({s.DUE: changes[s.DUE]})[s.DUE]
        changes[s.SENT_BACK] = text
    else:
        changes = {s.ASSURED_BY: name, s.ASSURED_ON: today}
        if text:
            changes[s.ASSURANCE_NOTE] = text
    seen = {c: kept_text(row[c]) if c in row.values else None for c in changes}
    reply_to = request.sender
    return Prepared(row.ref, changes, seen, name, request.via, reply_to, view_seq, request.idempotency_key,
                    findings, [], {})


# --- boards ---------------------------------------------------------------------------------------

class BoardError(ValueError):
    """No board of that name on sheet Lists; the sentence lists those there are."""


def find_board(appendix: Appendix, name: str) -> Board:
    """The board named (case and spacing ignored), or `BoardError` naming the boards on sheet Lists."""
    for board in appendix.boards:
        if _key(board.name) == _key(name):
            if not appendix.has_assurance and _key(s.ALL_ROLES) not in {_key(role) for role in board.roles}:
                raise BoardError(f"The {board.name}'s paper carries the recommendations accountable to its roles, "
                                 f"and Appendix 1 has no {s.ACCOUNTABLE} column to say which they are: "
                                 f"{s.HOW_TO_ADD_ASSURANCE}")
            return board
    known = ", ".join(board.name for board in appendix.boards)
    if not known:
        raise BoardError(f"The workbook lists no boards: add the columns {s.LIST_BOARD} and {s.LIST_BOARD_ROLES} "
                         "to sheet Lists (README, 'Assurance').")
    raise BoardError(f"There is no board called '{name}' on sheet Lists: use one of {known}.")


def board_sees(board: Board, row: Recommendation) -> bool:
    """Whether a board's paper carries this recommendation: accountable to a role that reports to it (or
    the board sees all), and among its only priorities when it names some."""
    roles = {_key(role) for role in board.roles}
    if _key(s.ALL_ROLES) not in roles and not roles & {_key(role) for role in roles_of(row)}:
        return False
    priorities = {_key(p) for p in board.priorities}
    return not priorities or _key(cell_text(row[s.PRIORITY])) in priorities
