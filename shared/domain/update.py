"""An update to one recommendation, from the request a person makes to the plan a writer carries out.

Pure decisions, no I/O: `prepare_update` runs the ref, the permission, the normalisation and the rules
once and gives a `Prepared` update or a refusal; `plan_update` decides, against the workbook's current
values, whether a journalled update conflicts, no longer fits, or which cells and Change log rows it
writes. The use cases (shared/usecases.py) run these inside the unit of work.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from shared.domain import rules
from shared.domain import schema as s
from shared.domain.access import display_name, may_update
from shared.domain.logrow import LogRow, log_text  # noqa: F401 (log_text: the use cases read it from here)
from shared.domain.model import Appendix, Recommendation
from shared.domain.values import DateParseError, canonical_status, cell_text, parse_date, plain_newlines
from shared.domain.verdicts import ErrorsMemo, VerdictMemo

# The states of a journalled update.
PENDING, WRITING, APPLIED, CONFLICT, REJECTED = "pending", "writing", "applied", "conflict", "rejected"
#: Written into the workbook open in Excel by the add-in; applied once the saved file holds it.
IN_EXCEL = "in_excel"
OPEN_STATES = (PENDING, WRITING, IN_EXCEL)
#: States in which an update's values are (or are about to be) in the workbook.
WRITTEN_STATES = (APPLIED, WRITING, IN_EXCEL)
#: Not a journal state: the journal could not be written, so nothing was recorded.
NOT_RECORDED = "not_recorded"
#: Who made a change the journal does not explain, when the Change log does not say either.
EXCEL_EDITOR = "someone editing the workbook in Excel"


@dataclass(frozen=True)
class JournalEntry:
    """One update as the journal keeps it."""

    seq: int
    id: str
    ref: str
    changes: dict[str, object]
    seen: dict[str, object]
    by: str
    via: str
    reply_to: str | None
    state: str
    detail: dict
    created_at: str
    updated_at: str
    notified_at: str | None
    #: The sender's view: every update up to this sequence number was settled in the file they saw, so
    #: a value written by a later update is explained by the journal and is not an officer's edit.
    view_seq: int | None = None


@dataclass(frozen=True)
class UpdateRequest:
    """What a person asks: change these fields of this recommendation.

    `sender` is their chat identity (checked against sheet Leads, and told when the update lands);
    without one (`sli update --by`) `by` names them. `seen` and `view_seq` say what a form showed them."""

    ref: str
    changes: Mapping[str, object]
    via: str
    by: str = ""
    sender: str | None = None
    seen: Mapping[str, object] | None = None
    view_seq: int | None = None
    idempotency_key: str | None = None
    #: Whom to tell when the update lands, for a request without a `sender` (default: the sender).
    reply_to: str | None = None
    #: A form's file values when it was opened, before waiting updates were laid over them (`seen`): if
    #: one of those never lands, the file still showing these values is no one's edit.
    base: Mapping[str, object] | None = None


@dataclass(frozen=True)
class Prepared:
    """An update checked once (ref, permission, values, rules) and ready to be journalled."""

    ref: str
    changes: dict[str, object]
    seen: dict[str, object]
    by: str
    via: str
    reply_to: str | None
    view_seq: int
    idempotency_key: str | None
    findings: list[rules.Finding]
    #: Errors the update brings: if any, it is journalled as rejected and never written.
    blocking: list[rules.Finding]
    #: The form's file values at its view, as text (see `UpdateRequest.base`); empty for a one-line update.
    base: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Conflict:
    """A field someone changed outside the journal after the sender saw it: both values, nothing overwritten."""

    column: str
    seen: object
    current: object
    proposed: object
    #: Who made the other change: "Helen Lowey (CLI)" from the Change log, else `EXCEL_EDITOR`.
    changed_by: str = EXCEL_EDITOR


@dataclass
class UpdateResult:
    """What happened to one update, for the front end to render."""

    update_id: str | None
    ref: str
    state: str
    message: str
    changes: dict[str, tuple[object, object]] = field(default_factory=dict)
    findings: list[rules.Finding] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    #: True when the same submission (same idempotency key) had already been received.
    duplicate: bool = False

    @property
    def errors(self) -> list[rules.Finding]:
        return rules.errors(self.findings)

    @property
    def warnings(self) -> list[rules.Finding]:
        return [f for f in self.findings if f.severity == rules.WARNING]


def refusal(ref: str, message: str, findings: list[rules.Finding] | None = None) -> UpdateResult:
    """An update refused before it was journalled, with the sentence saying what to fix."""
    return UpdateResult(None, ref, REJECTED, message, findings=list(findings or []))


#: The longest text the journal keeps as it is (the rules' limit for a cell's text). A longer value a form
#: sends back as what it showed (`seen`, `base`) is kept as its fingerprint, which compares the same.
MAX_KEPT_TEXT = rules.MAX_TEXT
#: The most characters of an idempotency key kept as sent; a longer one is kept as its SHA-256.
MAX_KEY = 200


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def is_fingerprint(value: object) -> bool:
    """A text too long to keep, kept as {"sha256": ..., "chars": n} (see `kept_text`)."""
    return isinstance(value, dict) and set(value) == {"sha256", "chars"}


def kept_text(value: object) -> object:
    """A value as the journal keeps it: itself, or for a text over `MAX_KEPT_TEXT` characters its
    fingerprint (what a person sees of it, spaces at the ends ignored), so a journal row has a bounded size
    and the conflict check still tells whether the file shows the same text."""
    text = cell_text(value).strip()
    if len(text) <= MAX_KEPT_TEXT or is_fingerprint(value):
        return value
    return {"sha256": _digest(text), "chars": len(text)}


def same_text(a: object, b: object) -> bool:
    """Two cell values read the same to a person (dates as 31/01/2027, spaces at the ends ignored)."""
    if is_fingerprint(a) or is_fingerprint(b):
        def digest(value: object) -> str:
            return value["sha256"] if is_fingerprint(value) else _digest(cell_text(value).strip())  # type: ignore
        return digest(a) == digest(b)
    return cell_text(a).strip() == cell_text(b).strip()


def shown_text(value: object) -> str:
    """A value as text for a message or a detail; a fingerprint as how long the text was."""
    if is_fingerprint(value):
        return f"(a text of {value['chars']:,} characters)"  # type: ignore[index]
    return cell_text(value)


#: What a refusal's reason says instead, when the rule's own sentence quotes what was refused.
_REASON_WITHOUT_TEXT = {
    "status_unknown": "{column} is not one of the statuses: " + ", ".join(s.STATUSES) + ".",
    "due_not_date": "{column} is not a date: write it like 31/01/2027.",
    "due_out_of_range": "{column} is outside the dates the tracker accepts.",
    "excel_escape": "{column} contains text that Excel reads as the code of another character.",
    "formula_like": "{column} starts with a character Excel may take as a formula.",
    "due_as_text": "{column} is text, not a date.",
    "lead_unknown": "{column} is not in the list of lead organisations (sheet Lists).",
}
_QUOTED = re.compile(r"'([^']{2,})'")


def _texts(values: Iterable[object]) -> list[str]:
    """The refused values as text, for spotting them in sentences (the statuses are vocabulary, not text
    someone typed, and one character says nothing)."""
    texts = {cell_text(v).strip() for v in values if not is_fingerprint(v)}
    return [t for t in texts if len(t) >= 2 and t not in s.STATUSES]


def quotes(sentence: str, values: Iterable[object]) -> bool:
    """Whether a sentence repeats any of `values`, whole or as a quoted part ('_x0041_' of a longer text)."""
    texts = _texts(values)
    return any(t in sentence for t in texts) or any(q in t for q in _QUOTED.findall(sentence) for t in texts)


def scrub(sentence: str, values: Iterable[object]) -> str:
    """`sentence` with every repetition of `values` (whole, or a quoted part) replaced by '…'."""
    texts = sorted(_texts(values), key=len, reverse=True)
    sentence = _QUOTED.sub(lambda m: "'…'" if any(m.group(1) in t for t in texts) else m.group(0), sentence)
    for text in texts:
        sentence = sentence.replace(text, "…")
    return sentence


def kept_reasons(findings: Iterable[rules.Finding], values: Iterable[object]) -> list[str]:
    """The reasons a refused update keeps in the journal: the rules' sentences, except that one quoting
    what was refused is replaced by the same reason in words of its own, so no refused text is kept."""
    values = list(values)
    kept = []
    for finding in findings:
        sentence = finding.message
        if quotes(sentence, values):
            column = finding.column or "The update"
            generic = _REASON_WITHOUT_TEXT.get(finding.rule)
            sentence = generic.format(column=column) if generic else scrub(sentence, values)
        kept.append(sentence)
    return kept


#: The fields an update may change.
_UPDATABLE_FIELDS = frozenset((*s.UPDATABLE, s.EVIDENCE))


def normalise_changes(changes: Mapping[str, object]) -> dict[str, object]:
    """What people typed, as cell values: statuses spelled as in the vocabulary, due dates as dates, line
    breaks as LF (`plain_newlines`: the journal, the Change log and the add-in then hold the same text).

    Values that cannot be read are kept as typed, so the shared rules report them with their sentence.
    """
    unknown = [c for c in changes if c not in _UPDATABLE_FIELDS]
    if unknown:
        raise ValueError(f"These fields cannot be updated: {', '.join(unknown)}.")
    out: dict[str, object] = {}
    for column, value in changes.items():
        if isinstance(value, str):
            value = plain_newlines(value.strip())
        if column == s.STATUS and value:
            value = canonical_status(value) or value
        elif column == s.DUE and value not in (None, ""):
            try:
                value = parse_date(value)
            except DateParseError:
                pass
        out[column] = value if value != "" else None
    return out


def follow_status(appendix: Appendix, row: Recommendation, changes: Mapping[str, object]) -> dict[str, object]:
    """An update's changes with what assurance asks of them (shared/domain/assurance.py): a status that
    changes (a new claim, or leaving Complete) clears an earlier assurance, which was of the claim before."""
    out = dict(changes)
    status = out.get(s.STATUS)
    if (appendix.has_assurance and status is not None and status != row.status
            and any(cell_text(row[c]).strip() for c in (s.ASSURED_BY, s.ASSURED_ON))):
        out.setdefault(s.ASSURED_BY, None)
        out.setdefault(s.ASSURED_ON, None)
    return out


#: The verdicts of `check_update` (asked when an update is prepared, and again when it is written).
_VERDICTS = VerdictMemo()
#: The errors of rows as they stand (`_check_update`'s "before"), by their values.
_ERRORS = ErrorsMemo()


def check_update(appendix: Appendix, row: Recommendation, changes: Mapping[str, object],
                 today: date) -> tuple[list[rules.Finding], list[rules.Finding]]:
    """The shared rules on the row as it would be after the update: (findings to show, blocking errors).

    Only errors the update brings block it: a problem already in the row (an officer renamed a lead
    organisation, say) is not the sender's to fix. The sender is shown the findings about the fields
    they change, plus the errors that block them, not warnings about fields they left alone.

    Asked again with the same model, row, changes and day (the update written against the very save it was
    prepared on), the verdict given then is given again (`shared.domain.verdicts`), not worked out twice.
    """
    shown, blocking = _VERDICTS.verdict(appendix, row, changes, today,
                                        lambda: _check_update(appendix, row, changes, today))
    return list(shown), list(blocking)


def _check_update(appendix: Appendix, row: Recommendation, changes: Mapping[str, object],
                  today: date) -> tuple[list[rules.Finding], list[rules.Finding]]:
    def locate(column: str) -> str:
        return appendix.locate(row.ref, column)

    lead_orgs = appendix.lead_orgs or None
    columns = tuple(appendix.header.columns)
    values_after = {**row.values, **changes}
    after = rules.check_row(values_after, locate, lead_orgs=lead_orgs, today=today)
    _ERRORS.remember(values_after, lead_orgs, today, columns,
                     frozenset((f.rule, f.column) for f in rules.errors(after)))
    before = _ERRORS.errors(row.values, lead_orgs, today, columns, lambda: frozenset(
        (f.rule, f.column) for f in rules.errors(rules.check_row(row.values, locate, lead_orgs=lead_orgs,
                                                                 today=today))))
    blocking = [f for f in rules.errors(after) if (f.rule, f.column) not in before or f.column in changes]
    shown = [f for f in after if f in blocking or f.column in changes or not f.column]
    return shown, blocking


def changed_only(submitted: Mapping[str, object], seen: Mapping[str, object]) -> dict[str, object]:
    """The fields of a form the person changed, so fields they left alone never conflict with an officer."""
    return {column: value for column, value in submitted.items() if not same_text(value, seen.get(column))}


def expected_row(row: Recommendation, waiting: list[JournalEntry]) -> Recommendation:
    """The row as it will be once the updates still waiting for it are written: what a form shows."""
    values: dict[str, object] = {}
    for entry in waiting:
        values.update(entry.changes)
    return row.with_values(values) if values else row


def prepare_update(appendix: Appendix, request: UpdateRequest, view_seq: int, today: date) -> Prepared | UpdateResult:
    """Check an update once: the ref, who may make it, its values, the rules. A refusal (an UpdateResult
    in state `rejected`, not journalled) says what to fix; a `Prepared` update goes to the journal.

    A one-line update's `seen` is the file as read now (its view is `view_seq`, taken before the read);
    a form's is what the form was prefilled with, at the form's own view."""
    try:
        ref = s.normalise_ref(request.ref)
    except s.RefError as exc:
        return refusal(str(request.ref), str(exc))
    row = appendix.rows.get(ref)
    if row is None:
        return refusal(ref, f"There is no {ref} in the workbook.")
    by = request.by
    if request.sender is not None:
        permission = may_update(appendix, request.sender, ref)
        if not permission.allowed:
            return refusal(ref, permission.message)
        by = display_name(appendix, request.sender)
    by = plain_newlines(by)  # as the cells will hold it, like the values (`normalise_changes`)
    try:
        changes = normalise_changes(request.changes)
    except ValueError as exc:
        return refusal(ref, str(exc))
    if not changes:
        return refusal(ref, "Nothing to update: give a status, summary, next steps or due date.")
    if s.EVIDENCE in changes and s.EVIDENCE not in appendix.header.columns:
        return refusal(ref, "This workbook has no Evidence column. " + s.HOW_TO_ADD_ASSURANCE)
    changes = follow_status(appendix, row, changes)
    by_errors = rules.errors(rules.check_text(by, s.UPDATED_BY)) if by.strip() else []
    if not by.strip() or by_errors:
        return refusal(ref, by_errors[0].message if by_errors else "Say who is making the update.")
    findings, blocking = check_update(appendix, row, changes, today)
    base: dict[str, object] = {}
    if request.seen:
        seen_values = normalise_changes({c: request.seen[c] for c in changes if c in request.seen})
        seen = {c: kept_text(seen_values.get(c, row[c])) for c in changes}
        # A form's view is never later than the journal now (a form cannot have seen the future).
        view = view_seq if request.view_seq is None or request.view_seq > view_seq else request.view_seq
        if request.base:
            base_values = normalise_changes({c: request.base[c] for c in changes if c in request.base})
            base = {c: kept_text(cell_text(v)) for c, v in base_values.items()}
    else:
        seen = {c: kept_text(row[c]) for c in changes}
        view = view_seq
    key = request.idempotency_key
    if key is not None and len(key) > MAX_KEY:
        key = "sha256:" + _digest(key)
    return Prepared(ref, changes, seen, by, request.via, request.sender or request.reply_to, view,
                    key, findings, blocking, base)


@dataclass
class Plan:
    """What one journalled update does to a workbook whose current values are known (file or open book).

    `state` is APPLIED when `edits` (cell address -> value on the main sheet) and `log_rows` are to be
    written; CONFLICT, REJECTED, or APPLIED with no edits (nothing to change) otherwise. Each log row is a
    `LogRow`: writers place its values by the Change log's header.
    """

    entry: JournalEntry
    state: str
    message: str
    detail: dict
    edits: dict[str, object] = field(default_factory=dict)
    log_rows: list[LogRow] = field(default_factory=list)
    changed: dict[str, tuple[object, object]] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    findings: list[rules.Finding] = field(default_factory=list)

    def result(self) -> UpdateResult:
        return UpdateResult(self.entry.id, self.entry.ref, self.state, self.message, changes=self.changed,
                            findings=self.findings, conflicts=self.conflicts)


def log_row(when: datetime, entry: JournalEntry, column: str, old: object, new: object) -> LogRow:
    """The Change log row an update writes for one changed field (its layout is `LogRow`'s)."""
    return LogRow.of_change(when, entry.ref, column, old, new, entry.by, entry.via, entry.id)


@dataclass(frozen=True)
class Given:
    """A value an update journalled between a sender's view and their update gave a field (see `last_given`).
    `written` once in the file (or the open workbook); then `old` is what it replaced, when it changed the
    field, and `at` when its Change log rows were stamped, when the journal kept it."""

    value: object
    written: bool = False
    old: object = None
    at: str | None = None

    def written_over(self, other: Given) -> bool:
        """Whether this write went in after `other` although journalled before it (journals from before
        writes kept their order): their stamps say so, or without stamps it replaced `other`'s value."""
        if self.at and other.at:
            return self.at > other.at
        return self.old is not None and same_text(self.old, other.value)


def last_given(given: Sequence[Given]) -> object:
    """The value a field should hold once the updates that gave it `given` (in journal order) are in.

    Updates of a recommendation are written strictly in journal order, and a pass stops a recommendation
    at its first update it cannot write, so the last one journalled is the last one written: the field
    holds its value, not any earlier one (an officer who sets it back to an earlier value in Excel made an
    edit nobody sending later saw). Only in a journal from before that order was kept may an earlier
    write have gone in last; then the one written last is followed, by stamps or by what it replaced."""
    last = given[-1]
    if not last.written:
        return last.value  # still waiting: it goes in after every written one
    writes = [g for g in given if g.written and g is not last]
    for _ in range(len(writes)):
        later = next((g for g in writes if g.written_over(last)), None)
        if later is None:
            break
        writes.remove(later)
        last = later
    return last.value


def plan_update(entry: JournalEntry, appendix: Appendix, now: datetime,
                written: Mapping[str, object] | None = None,
                editor: Callable[[str, str, object], str] | None = None) -> Plan:
    """Decide, from the workbook's current values, whether an update conflicts, no longer fits, or what it writes.

    `written` holds, by field, the value the updates journalled after the sender's view (and before this
    one) leave in the row (`last_given`): a field that differs from what the sender saw only because of
    them is not a conflict. Any other difference, an officer's edit back to an earlier of their values
    included, is an edit the sender could not have seen: a conflict, never overwritten. `editor` says who
    made it (from the Change log).
    """
    row = appendix.rows.get(entry.ref)
    held = entry.detail.get("was_held", 0)
    written = written or {}
    if row is None:
        message = f"{entry.ref} is no longer in the workbook; the update was not applied."
        return Plan(entry, REJECTED, message, {"message": message, "was_held": held})

    who = editor or (lambda ref, column, value: EXCEL_EDITOR)
    base = entry.detail.get("base") or {}

    def explained(column: str, proposed: object) -> bool:
        """The field is as the sender saw it or wants it, or was set by a journalled update after their
        view, or still shows the file value the form was opened on (a waiting update shown in it never
        landed): anything else is an edit they could not have seen."""
        current = row[column]
        return (same_text(current, entry.seen.get(column)) or same_text(current, proposed)
                or (column in written and same_text(current, written[column]))
                or (column in base and same_text(current, base[column])))

    conflicts = [Conflict(column, entry.seen.get(column), row[column], proposed, who(entry.ref, column, row[column]))
                 for column, proposed in entry.changes.items() if not explained(column, proposed)]
    if conflicts:
        listed = "; ".join(f"{c.column}: {c.changed_by} changed it to "
                           f"'{cell_text(c.current)}', you sent '{cell_text(c.proposed)}'" for c in conflicts)
        message = f"Not applied: {entry.ref} was changed in the workbook after you saw it ({listed})."
        detail = {"message": message, "was_held": held,
                  "conflicts": [{"column": c.column, "seen": shown_text(c.seen), "current": cell_text(c.current),
                                 "proposed": cell_text(c.proposed), "changed_by": c.changed_by}
                                for c in conflicts]}
        return Plan(entry, CONFLICT, message, detail, conflicts=conflicts)

    findings, blocking = check_update(appendix, row, entry.changes, today=now.date())
    if blocking:
        reasons = kept_reasons(blocking, entry.changes.values())  # kept once refused: no text of the update
        message = "Not applied: the row has changed since and the update no longer fits: " + " ".join(reasons)
        return Plan(entry, REJECTED, message, {"message": message, "reasons": reasons, "was_held": held},
                    findings=findings)

    changed = {c: (row[c], entry.changes[c]) for c in s.WRITTEN
               if c in entry.changes and not same_text(row[c], entry.changes[c])}
    missing = [c for c in changed if c not in s.LOG_ONLY_FIELDS and c not in appendix.header.columns]
    if missing:
        message = f"Not applied: the workbook no longer has the column {', '.join(missing)}."
        return Plan(entry, REJECTED, message, {"message": message, "was_held": held}, findings=findings)
    if not changed:
        message = f"{entry.ref} already shows these values; nothing needed changing."
        return Plan(entry, APPLIED, message, {"message": message, "changes": {}, "was_held": held},
                    findings=findings)

    edits: dict[str, object] = {appendix.locate(entry.ref, c): new for c, (_, new) in changed.items()
                                if c not in s.LOG_ONLY_FIELDS}
    if set(changed) - {s.ASSURED_BY, s.ASSURED_ON, s.ASSURANCE_NOTE}:  # an assurance is no progress update
        edits[appendix.locate(entry.ref, s.LAST_UPDATED)] = now.date()
        edits[appendix.locate(entry.ref, s.UPDATED_BY)] = entry.by
    stamp = now.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    log_rows = [log_row(stamp, entry, c, old, new) for c, (old, new) in changed.items()]
    message = _plan_message(entry.ref, changed)
    detail = {"message": message, "was_held": held, **LogRow.journal_record(stamp, changed)}
    return Plan(entry, APPLIED, message, detail, edits, log_rows, changed, findings=findings)


def _plan_message(ref: str, changed: Mapping[str, tuple[object, object]]) -> str:
    """What an applied update says: an assurance and a sending back in their own words, else each field."""
    if changed.get(s.ASSURED_BY, (None, None))[1]:
        on = changed.get(s.ASSURED_ON, (None, None))[1]
        return f"{ref} assured by {cell_text(changed[s.ASSURED_BY][1])}" + (f" on {cell_text(on)}." if on else ".")
    if s.SENT_BACK in changed:
        status = cell_text(changed[s.STATUS][1]) if s.STATUS in changed else ""
        return f"{ref} sent back" + (f": its status is {status} again" if status else "") + \
            f". Reason: {cell_text(changed[s.SENT_BACK][1]).rstrip('.')}."
    return f"{ref} updated: " + "; ".join(f"{c} '{cell_text(new)}'" for c, (_, new) in changed.items()) + "."


def result_of(entry: JournalEntry) -> UpdateResult:
    """The result of a journalled update, rebuilt from the journal (for retries and notifications)."""
    detail = entry.detail
    conflicts = [Conflict(c["column"], c["seen"], c["current"], c["proposed"], c.get("changed_by", EXCEL_EDITOR))
                 for c in detail.get("conflicts", [])]
    changes = {c: tuple(v) for c, v in detail.get("changes", {}).items()}
    return UpdateResult(entry.id, entry.ref, entry.state, detail.get("message", ""), changes=changes,
                        conflicts=conflicts)
