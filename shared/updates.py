"""Applying an update to Appendix 1: the one write path every front end (CLI, Slack, Excel) goes through.

One unit of work: validate -> journal -> lock -> owner-file check -> conflict check -> patch the
package -> change log -> atomic replace -> mark applied. An update the rules refuse writes nothing;
one that cannot be written now (Excel has the file open, a part we cannot keep) stays pending in
the journal and is applied later by `process_pending`, which also runs at every start-up.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from filelock import FileLock

from shared import journal as j
from shared import rules
from shared import schema as s
from shared.access import display_name, may_update
from shared.owner import STALE_AFTER, find_owner_file
from shared.package import Package, PackageError, save_atomically
from shared.reader import Appendix, Recommendation, read_appendix, read_change_log
from shared.values import DateParseError, canonical_status, cell_text, parse_date

log = logging.getLogger("sli.updates")
DEFAULT_WORKBOOK = Path("workbook/Appendix1.xlsx")
DEFAULT_KEEP_BACKUPS = 20


@dataclass(frozen=True)
class Store:
    """Where the workbook and everything kept beside it live."""

    workbook: Path
    journal_path: Path
    lock_path: Path
    backup_dir: Path
    keep_backups: int = DEFAULT_KEEP_BACKUPS
    stale_owner_after: timedelta = STALE_AFTER

    @classmethod
    def for_workbook(cls, workbook: Path | str, journal: Path | str | None = None,
                     keep_backups: int | None = None) -> Store:
        """Defaults beside the workbook; `SLI_JOURNAL` and `SLI_KEEP_BACKUPS` override them."""
        workbook = Path(workbook)
        journal = journal or os.environ.get("SLI_JOURNAL") or workbook.with_name(f"{workbook.name}.journal.sqlite")
        keep = keep_backups if keep_backups is not None else int(os.environ.get("SLI_KEEP_BACKUPS",
                                                                                  DEFAULT_KEEP_BACKUPS))
        return cls(workbook=workbook, journal_path=Path(journal),
                   lock_path=workbook.with_name(f".{workbook.name}.sli-lock"),
                   backup_dir=workbook.parent / ".backups", keep_backups=keep)

    def journal(self, busy_timeout: float = j.BUSY_TIMEOUT_SECONDS) -> j.Journal:
        return j.Journal(self.journal_path, busy_timeout)


@dataclass(frozen=True)
class Conflict:
    """A field an officer changed after the sender saw it: both values, nothing overwritten."""

    column: str
    seen: object
    current: object
    proposed: object
    #: Who made the other change: "Helen Lowey (CLI)" from the Change log, else someone in Excel.
    changed_by: str = "someone editing the workbook in Excel"


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


def _same(a: object, b: object) -> bool:
    return cell_text(a).strip() == cell_text(b).strip()


def normalise_changes(changes: dict[str, object]) -> dict[str, object]:
    """What people typed, as cell values: statuses spelled as in the vocabulary, due dates as dates.

    Values that cannot be read are kept as typed, so the shared rules report them with their sentence.
    """
    unknown = [c for c in changes if c not in s.UPDATABLE]
    if unknown:
        raise ValueError(f"These fields cannot be updated: {', '.join(unknown)}.")
    out: dict[str, object] = {}
    for column, value in changes.items():
        if isinstance(value, str):
            value = value.strip()
        if column == s.STATUS and value:
            value = canonical_status(value) or value
        elif column == s.DUE and value not in (None, ""):
            try:
                value = parse_date(value)
            except DateParseError:
                pass
        out[column] = value if value != "" else None
    return out


def check_update(appendix: Appendix, row: Recommendation, changes: dict[str, object],
                 today: date | None = None) -> tuple[list[rules.Finding], list[rules.Finding]]:
    """The shared rules on the row as it would be after the update: (all findings, blocking errors).

    Only errors the update brings block it: a problem already in the row (an officer renamed a lead
    organisation, say) is shown but is not the sender's to fix.
    """
    today = today or date.today()

    def locate(column: str) -> str:
        return appendix.locate(row.ref, column)

    lead_orgs = appendix.lead_orgs or None
    after = rules.check_row({**row.values, **changes}, locate, lead_orgs=lead_orgs, today=today)
    before = {(f.rule, f.column) for f in rules.errors(rules.check_row(row.values, locate, lead_orgs=lead_orgs,
                                                                        today=today))}
    blocking = [f for f in rules.errors(after) if (f.rule, f.column) not in before or f.column in changes]
    return after, blocking


def expected_row(store: Store, row: Recommendation) -> Recommendation:
    """The row as it will be once the updates still waiting for it are written: what a sender sees as
    current, so that correcting one's own waiting update is not taken for an officer's edit."""
    values = dict(row.values)
    if store.journal_path.exists():
        for entry in store.journal().in_states(*j.OPEN_STATES, ref=row.ref):
            values.update(entry.changes)
    return Recommendation(row.ref, values, row.sheet_row)


def changed_only(submitted: dict[str, object], seen: dict[str, object]) -> dict[str, object]:
    """The fields of a form the person changed, so fields they left alone never conflict with an officer."""
    return {column: value for column, value in submitted.items() if not _same(value, seen.get(column))}


def _refusal(ref: str, message: str) -> UpdateResult:
    return UpdateResult(None, ref, j.REJECTED, message)


def prepare_update(store: Store, ref: str, changes: dict[str, object], by: str
                   ) -> tuple[UpdateResult | None, Appendix | None, dict[str, object], list[rules.Finding],
                              list[rules.Finding]]:
    """Everything decided before journalling: (refusal or None, appendix, normalised changes, findings, blocking)."""
    try:
        ref = s.normalise_ref(ref)
    except s.RefError as exc:
        return _refusal(str(ref), str(exc)), None, {}, [], []
    appendix = read_appendix(store.workbook)
    row = appendix.rows.get(ref)
    if row is None:
        return _refusal(ref, f"There is no {ref} in the workbook."), None, {}, [], []
    try:
        changes = normalise_changes(changes)
    except ValueError as exc:
        return _refusal(ref, str(exc)), None, {}, [], []
    if not changes:
        return _refusal(ref, "Nothing to update: give a status, summary, next steps or due date."), None, {}, [], []
    by_errors = rules.errors(rules.check_text(by, s.UPDATED_BY)) if by.strip() else []
    if not by.strip() or by_errors:
        reason = by_errors[0].message if by_errors else "Say who is making the update."
        return _refusal(ref, reason), None, {}, [], []
    findings, blocking = check_update(appendix, row, changes)
    return None, appendix, changes, findings, blocking


#: Not a journal state: the journal could not be written, so nothing was recorded (see `JournalUnavailable`).
NOT_RECORDED = "not_recorded"


def record_update(store: Store, ref: str, changes: dict[str, object], *, by: str, via: str,
                  seen: dict[str, object] | None = None, view_seq: int | None = None,
                  reply_to: str | None = None, idempotency_key: str | None = None,
                  journal_wait: float = j.BUSY_TIMEOUT_SECONDS) -> UpdateResult:
    """Validate an update and journal it, without writing the workbook: fast, so a chat front end can
    answer within Slack's 3 seconds. The result is `pending` (recorded; `apply_update` writes it),
    `rejected` (with the sentences saying what to fix) or `not_recorded` (the journal failed: nothing kept).

    `seen` holds the values the sender saw (a form's prefill) and `view_seq` the journal's mark when they
    saw them; a one-line update sees the file as it is when journalled. Only a change in the file that
    did not come through the journal after that view (an officer in Excel) is a conflict.
    """
    try:
        journal = store.journal(journal_wait)
        # The mark is read before the file: whatever is written after it is known to be the journal's.
        mark = journal.view_mark()
    except j.JournalUnavailable as exc:
        return UpdateResult(None, str(ref), NOT_RECORDED, str(exc))
    refusal, appendix, changes, findings, blocking = prepare_update(store, ref, changes, by)
    if refusal is not None:
        return refusal
    ref = s.normalise_ref(ref)
    current = appendix.rows[ref]
    if seen:
        seen_values = normalise_changes({c: seen[c] for c in changes if c in seen})
        seen = {c: seen_values.get(c, current[c]) for c in changes}
        view = view_seq if view_seq is not None else mark
    else:
        seen = {c: current[c] for c in changes}
        view = mark
    try:
        if blocking:
            reasons = [f.message for f in blocking]
            message = "Not recorded: " + " ".join(reasons)
            entry, new = journal.record(ref=ref, changes=changes, seen=seen, by=by, via=via, state=j.REJECTED,
                                        detail={"reasons": reasons, "message": message}, reply_to=reply_to,
                                        idempotency_key=idempotency_key, view_seq=view)
            return UpdateResult(entry.id, ref, j.REJECTED, message, findings=findings, duplicate=not new)
        entry, new = journal.record(ref=ref, changes=changes, seen=seen, by=by, via=via, state=j.PENDING,
                                    reply_to=reply_to, idempotency_key=idempotency_key, view_seq=view)
    except j.JournalUnavailable as exc:
        return UpdateResult(None, ref, NOT_RECORDED, str(exc), findings=findings)
    if not new:  # the same submission arrived before: report what became of it, act no further
        result = result_of(entry)
        result.duplicate = True
        return result
    return UpdateResult(entry.id, ref, j.PENDING, f"{ref}: update recorded; writing it to the workbook.",
                        findings=findings)


def apply_update(store: Store, recorded: UpdateResult) -> UpdateResult:
    """Write a recorded update, after the older ones still waiting (updates land in the order they
    arrived). If the journal fails now, the update is kept and written later: never "not recorded"."""
    if recorded.state != j.PENDING or recorded.update_id is None or recorded.duplicate:
        return recorded
    try:
        results = {r.update_id: r for r in process_pending(store)}
        result = results.get(recorded.update_id) or result_of(store.journal().get(recorded.update_id))
    except j.JournalUnavailable as exc:
        reason = str(exc).removeprefix("Nothing was recorded: ")
        return UpdateResult(recorded.update_id, recorded.ref, j.PENDING,
                            f"Recorded, but not written yet: {reason} It will be written once it can be.",
                            findings=recorded.findings)
    result.findings = recorded.findings + [f for f in result.findings if f not in recorded.findings]
    return result


def submit_update(store: Store, ref: str, changes: dict[str, object], *, by: str, via: str,
                  seen: dict[str, object] | None = None, view_seq: int | None = None,
                  reply_to: str | None = None, idempotency_key: str | None = None) -> UpdateResult:
    """Validate an update, journal it, and apply it now if the workbook is free (`record_update` then
    `apply_update`, for front ends that can wait for the write, such as the command line)."""
    recorded = record_update(store, ref, changes, by=by, via=via, seen=seen, view_seq=view_seq,
                             reply_to=reply_to, idempotency_key=idempotency_key)
    return apply_update(store, recorded)


def result_of(entry: j.JournalEntry) -> UpdateResult:
    """The result of a journalled update, rebuilt from the journal (for retries and notifications)."""
    detail = entry.detail
    conflicts = [Conflict(c["column"], c["seen"], c["current"], c["proposed"], c.get("changed_by", EXCEL_EDITOR))
                 for c in detail.get("conflicts", [])]
    changes = {c: tuple(v) for c, v in detail.get("changes", {}).items()}
    return UpdateResult(entry.id, entry.ref, entry.state, detail.get("message", ""), changes=changes,
                        conflicts=conflicts)


def process_pending(store: Store, force: bool = False) -> list[UpdateResult]:
    """Apply every journalled update not yet in the file, oldest first (start-up and `sli sync`)."""
    journal = store.journal()
    return [apply_journalled(store, entry.id, force=force) for entry in journal.in_states(*j.OPEN_STATES)]


def apply_journalled(store: Store, update_id: str, force: bool = False) -> UpdateResult:
    """Write one journalled update into the workbook, under the cross-process lock.

    An update the add-in delivered into the open workbook (`in_excel`) is applied once the saved file
    holds its Update ID; if Excel was closed without saving, it is written to the file as usual.
    """
    journal = store.journal()
    with FileLock(str(store.lock_path), timeout=120):
        entry = journal.get(update_id)
        if entry.state in (j.WRITING, j.IN_EXCEL) and _in_change_log(store, update_id):
            detail = {**entry.detail, "message": entry.detail.get("message") or f"{entry.ref} updated."}
            journal.set_state(update_id, j.APPLIED, detail)
            return result_of(journal.get(update_id))
        if entry.state not in j.OPEN_STATES:
            return result_of(entry)
        owner = find_owner_file(store.workbook)
        if owner is not None and not force:
            if entry.state == j.IN_EXCEL:
                return result_of(entry)  # in the open workbook; waiting for the officer to save
            message = owner.describe(store.stale_owner_after)
            journal.set_state(update_id, j.PENDING, {**entry.detail, "message": message, "was_held": 1,
                                                     "owner": owner.user})
            return UpdateResult(update_id, entry.ref, j.PENDING, message)
        try:
            return _write(store, journal, entry)
        except Exception as exc:  # noqa: BLE001 - whatever stops this one must not stop the others
            if not isinstance(exc, PackageError):
                log.exception("update %s could not be written", update_id)
            message = (f"Not written yet: {str(exc).rstrip('.')}. The update is kept and will be applied "
                       "once this is fixed.")
            journal.set_state(update_id, j.PENDING, {**entry.detail, "message": message, "was_held": 1})
            return UpdateResult(update_id, entry.ref, j.PENDING, message)


def _in_change_log(store: Store, update_id: str) -> bool:
    return any(row.update_id == update_id for row in read_change_log(store.workbook))


#: Who made a change the journal does not explain, when the Change log does not say either.
EXCEL_EDITOR = "someone editing the workbook in Excel"


def change_log_editor(store: Store) -> Callable[[str, str, object], str]:
    """A lookup of who gave a field its current value, from the newest matching Change log row
    ("Aisha Khan (Slack)"), else `EXCEL_EDITOR`. Read only when there is a conflict to explain."""
    def editor(ref: str, column: str, value: object) -> str:
        for row in reversed(read_change_log(store.workbook)):
            if row.ref == ref and row.field == column:
                if _same(row.new_value, _log_text(value)) or _same(row.new_value, value):
                    return f"{row.by} ({row.via})" if row.via else row.by
                break
        return EXCEL_EDITOR
    return editor


def journal_written(journal: j.Journal, entry: j.JournalEntry) -> dict[str, str]:
    """What updates journalled after the sender's view (and before this one) wrote into the row."""
    if entry.view_seq is None:
        return {}
    return journal.written_between(entry.ref, entry.view_seq, entry.seq)


@dataclass
class Plan:
    """What one journalled update does to a workbook whose current values are known (file or open book).

    `state` is APPLIED when `edits` (cell address -> value on the main sheet) and `log_rows` are to be
    written; CONFLICT, REJECTED, or APPLIED with no edits (nothing to change) otherwise.
    """

    entry: j.JournalEntry
    state: str
    message: str
    detail: dict
    edits: dict[str, object] = field(default_factory=dict)
    log_rows: list[list[object]] = field(default_factory=list)
    changed: dict[str, tuple[object, object]] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    findings: list[rules.Finding] = field(default_factory=list)

    def result(self) -> UpdateResult:
        return UpdateResult(self.entry.id, self.entry.ref, self.state, self.message, changes=self.changed,
                            findings=self.findings, conflicts=self.conflicts)


def plan_update(entry: j.JournalEntry, appendix: Appendix, now: datetime,
                written: dict[str, object] | None = None,
                editor: Callable[[str, str, object], str] | None = None) -> Plan:
    """Decide, from the workbook's current values, whether an update conflicts, no longer fits, or what it writes.

    `written` holds the values updates journalled after the sender's view put into the row: a field
    that differs from what the sender saw only because of them is not a conflict (they were applied in
    arrival order). Any other difference is an edit the sender could not have seen: a conflict, never
    overwritten. `editor` says who made it (from the Change log), for the message.
    """
    row = appendix.rows.get(entry.ref)
    held = entry.detail.get("was_held", 0)
    written = written or {}
    if row is None:
        message = f"{entry.ref} is no longer in the workbook; the update was not applied."
        return Plan(entry, j.REJECTED, message, {"message": message, "was_held": held})

    who = editor or (lambda ref, column, value: EXCEL_EDITOR)
    conflicts = [Conflict(column, entry.seen.get(column), row[column], proposed, who(entry.ref, column, row[column]))
                 for column, proposed in entry.changes.items()
                 if not _same(row[column], entry.seen.get(column)) and not _same(row[column], proposed)
                 and not (column in written and _same(row[column], written[column]))]
    if conflicts:
        listed = "; ".join(f"{c.column}: {c.changed_by} changed it to "
                           f"'{cell_text(c.current)}', you sent '{cell_text(c.proposed)}'" for c in conflicts)
        message = f"Not applied: {entry.ref} was changed in the workbook after you saw it ({listed})."
        detail = {"message": message, "was_held": held,
                  "conflicts": [{"column": c.column, "seen": cell_text(c.seen), "current": cell_text(c.current),
                                 "proposed": cell_text(c.proposed), "changed_by": c.changed_by}
                                for c in conflicts]}
        return Plan(entry, j.CONFLICT, message, detail, conflicts=conflicts)

    findings, blocking = check_update(appendix, row, entry.changes, today=now.date())
    if blocking:
        reasons = [f.message for f in blocking]
        message = "Not applied: the row has changed since and the update no longer fits: " + " ".join(reasons)
        return Plan(entry, j.REJECTED, message, {"message": message, "reasons": reasons, "was_held": held},
                    findings=findings)

    changed = {c: (row[c], entry.changes[c]) for c in s.UPDATABLE
               if c in entry.changes and not _same(row[c], entry.changes[c])}
    if not changed:
        message = f"{entry.ref} already shows these values; nothing needed changing."
        return Plan(entry, j.APPLIED, message, {"message": message, "changes": {}, "was_held": held},
                    findings=findings)

    edits: dict[str, object] = {appendix.locate(entry.ref, c): new for c, (_, new) in changed.items()}
    edits[appendix.locate(entry.ref, s.LAST_UPDATED)] = now.date()
    edits[appendix.locate(entry.ref, s.UPDATED_BY)] = entry.by
    stamp = now.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    log_rows = [[stamp, entry.ref, c, _log_text(old), _log_text(new), entry.by, entry.via, entry.id]
                for c, (old, new) in changed.items()]
    message = f"{entry.ref} updated: " + "; ".join(f"{c} '{cell_text(new)}'" for c, (_, new) in changed.items()) + "."
    detail = {"message": message, "was_held": held, "written_at": stamp.isoformat(),
              "changes": {c: [cell_text(old), cell_text(new)] for c, (old, new) in changed.items()}}
    return Plan(entry, j.APPLIED, message, detail, edits, log_rows, changed, findings=findings)


def _write(store: Store, journal: j.Journal, entry: j.JournalEntry) -> UpdateResult:
    plan = plan_update(entry, read_appendix(store.workbook), datetime.now(UTC), journal_written(journal, entry),
                       change_log_editor(store))
    if not plan.edits:
        journal.set_state(entry.id, plan.state, plan.detail)
        return plan.result()
    package = Package(store.workbook)
    package.edit_cells(s.MAIN_SHEET, plan.edits)
    columns = package.header_columns(s.LOG_SHEET, s.LOG_COLUMNS)
    package.append_rows(s.LOG_SHEET, [{columns[name]: value for name, value in zip(s.LOG_COLUMNS, row, strict=True)}
                                      for row in plan.log_rows])
    journal.set_state(entry.id, j.WRITING, plan.detail)
    save_atomically(package, store.workbook, store.backup_dir, store.keep_backups)
    journal.set_state(entry.id, j.APPLIED, plan.detail)
    return plan.result()


def deliver_to_open_book(store: Store, appendix: Appendix, now: datetime | None = None) -> list[Plan]:
    """Plan every waiting update against a workbook open in Excel (its values come from the add-in).

    Conflicts and refusals are settled in the journal at once. The plans that write are returned for
    the add-in to put into the open workbook; `mark_in_excel` records that it did. Each plan sees the
    values the earlier ones left, as the officer's workbook will.
    """
    now = now or datetime.now(UTC)
    journal = store.journal()
    plans = []
    delivered: dict[str, dict[str, object]] = {}  # what earlier plans of this batch put into each row
    with FileLock(str(store.lock_path), timeout=120):
        for entry in journal.in_states(j.PENDING):
            written = {**journal_written(journal, entry), **delivered.get(entry.ref, {})}
            plan = plan_update(entry, appendix, now, written, change_log_editor(store))
            if not plan.edits:
                journal.set_state(entry.id, plan.state, {**plan.detail, "was_held": 1})
            else:
                for column, (_, new) in plan.changed.items():
                    appendix.rows[entry.ref].values[column] = new
                    delivered.setdefault(entry.ref, {})[column] = new
            plans.append(plan)
    return plans


def mark_in_excel(store: Store, plans: list[Plan]) -> None:
    """The add-in wrote these plans into the open workbook: applied once the saved file holds them."""
    journal = store.journal()
    for plan in plans:
        if plan.edits:
            journal.set_state(plan.entry.id, j.IN_EXCEL, {**plan.detail, "was_held": 1,
                                                          "message": plan.message + " (in the open workbook; "
                                                          "applied when it is saved)"})


def _log_text(value: object) -> str:
    """Change log values are text (dates as 2027-01-31), so the log reads the same in any reader."""
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


def _check_person(store: Store, slack_user_id: str, ref: str) -> tuple[str, Appendix | None, str | None]:
    """(normalised ref, appendix, refusal sentence or None): no such ref, or the person may not update it."""
    try:
        ref = s.normalise_ref(ref)
    except s.RefError as exc:
        return str(ref), None, str(exc)
    appendix = read_appendix(store.workbook)
    if ref not in appendix.rows:
        return ref, appendix, f"There is no {ref} in the workbook."
    permission = may_update(appendix, slack_user_id, ref)
    return ref, appendix, None if permission.allowed else permission.message


def record_as_person(store: Store, slack_user_id: str, ref: str, changes: dict[str, object], *, via: str,
                     seen: dict[str, object] | None = None, view_seq: int | None = None,
                     idempotency_key: str | None = None,
                     journal_wait: float = j.BUSY_TIMEOUT_SECONDS) -> UpdateResult:
    """`record_update` for someone known by their Slack user ID: only a recommendation's leads and
    officers may update it (sheet Leads), and the journal keeps whom to tell when it lands."""
    ref, appendix, refusal = _check_person(store, slack_user_id, ref)
    if refusal:
        return UpdateResult(None, ref, j.REJECTED, refusal)
    return record_update(store, ref, changes, by=display_name(appendix, slack_user_id), via=via, seen=seen,
                         view_seq=view_seq, reply_to=slack_user_id, idempotency_key=idempotency_key,
                         journal_wait=journal_wait)


def submit_as_person(store: Store, slack_user_id: str, ref: str, changes: dict[str, object], *, via: str,
                     seen: dict[str, object] | None = None, view_seq: int | None = None,
                     idempotency_key: str | None = None) -> UpdateResult:
    """`record_as_person` then `apply_update`: recorded and written in one call."""
    recorded = record_as_person(store, slack_user_id, ref, changes, via=via, seen=seen, view_seq=view_seq,
                                idempotency_key=idempotency_key)
    return apply_update(store, recorded)


def view_mark(store: Store) -> int | None:
    """The journal's mark for a form opened now (see `Journal.view_mark`); None if the journal fails."""
    try:
        return store.journal().view_mark()
    except j.JournalUnavailable:
        return None


def check_submission(store: Store, slack_user_id: str, ref: str, changes: dict[str, object]
                     ) -> tuple[str | None, list[rules.Finding]]:
    """Before a form is accepted: a refusal sentence (no such ref, not allowed), or the errors that would
    stop the update, so they can be shown beside the fields. Nothing is journalled."""
    ref, appendix, refusal = _check_person(store, slack_user_id, ref)
    if refusal:
        return refusal, []
    refusal_result, _, _, _, blocking = prepare_update(store, ref, changes, display_name(appendix, slack_user_id))
    return (refusal_result.message if refusal_result else None), blocking
