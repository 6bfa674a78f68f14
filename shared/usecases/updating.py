"""Updating a recommendation, walked through in this file, the domain's `shared/domain/update.py` and the unit
of work's `shared/uow.py`:

`prepare` (ref, permission, values, rules: once, in the domain) → `record` (journalled: from here it is never
lost) → `commit` (inside a unit of work, after the updates that arrived before it: conflict check, plan,
writer, Change log, save). `submit` does all three for front ends that can wait; the Slack and Teams bots
`record_request` before they acknowledge and `commit` on their writer thread. `process_pending` writes
whatever still waits (`sli sync`, start-up, the notifier). The add-in's *Apply pending updates* is
`apply_to_open_book`: the same plans, written into the workbook open in Excel.

Everything is reached through the `Context` a use case is given: the time from `ctx.clock()`, the workbook and
the journal through `ctx.uow()` (to write, under the lock) and `ctx.read()` (to read, no lock).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from filelock import Timeout

from shared import journal as j
from shared.domain import schema as s
from shared.domain.access import may_update
from shared.domain.logrow import LogRow
from shared.domain.model import Appendix, Recommendation, Sheet
from shared.domain.update import (
    EXCEL_EDITOR,
    NOT_RECORDED,
    JournalEntry,
    Plan,
    Prepared,
    UpdateRequest,
    UpdateResult,
    expected_row,
    kept_reasons,
    log_text,
    plan_update,
    prepare_update,
    refusal,
    result_of,
    same_text,
)
from shared.owner import OwnerFile
from shared.reader import WorkbookError
from shared.uow import AbstractUnitOfWork, Context, Store, after_update, as_context
from shared.usecases.checking import OpenBook
from shared.writers import OpenBookWriter, WorkbookWriter
from shared.xlsx import PackageError

log = logging.getLogger("sli.usecases")
#: One line per update recorded or written, for operators: its ID, ref, state and milliseconds, never its text.
#: Quiet unless a server turns it on (`sli serve` sets it to INFO): a command's output stays its own.
updates_log = logging.getLogger("sli.updates")
updates_log.setLevel(logging.WARNING)


def _log_update(result: UpdateResult, started: float, event: str) -> None:
    """The operators' line for one update (`sli serve` logs it plain or as JSON): what happened to which
    update, and how long it took; what the sender typed and every message quoting it are left out."""
    ms = round((time.perf_counter() - started) * 1000, 1)
    updates_log.info("%s %s %s %s %.1f ms", event, result.update_id or "-", result.ref, result.state, ms,
                     extra={"event": event, "update_id": result.update_id, "ref": result.ref, "state": result.state,
                            "ms": ms})


def _now(ctx: Context) -> datetime:
    """The context's time, in UTC (the Change log's and the journal's)."""
    return ctx.clock().astimezone(UTC)


# --- the form -----------------------------------------------------------------------------------

def view_mark(ctx: Context | Store) -> int | None:
    """The journal's mark for a view taken now (see `Journal.view_mark`); None if the journal fails."""
    try:
        return as_context(ctx).read().journal.view_mark()
    except j.JournalUnavailable:
        return None


@dataclass(frozen=True)
class Form:
    """What an update form shows: the row as it will be once waiting updates land, and its view mark."""

    row: Recommendation
    view_seq: int | None
    #: The row as the file holds it (without the waiting updates): travels with the form as its `base`.
    file_row: Recommendation | None = None


def open_form(ctx: Context | Store, sender: str, ref: str) -> Form | UpdateResult:
    """The values to prefill a form with, or a refusal (no such ref, not the sender's to update, a workbook
    that cannot be read: its sentence)."""
    ctx = as_context(ctx)
    try:
        ref = s.normalise_ref(ref)
    except s.RefError as exc:
        return refusal(str(ref), str(exc))
    mark = view_mark(ctx)  # before the file is read: anything written after it came through the journal
    reader = ctx.read()
    try:
        current = reader.appendix()
    except WorkbookError as exc:
        return refusal(ref, str(exc))
    row = current.rows.get(ref)
    if row is None:
        return refusal(ref, f"There is no {ref} in the workbook.")
    permission = may_update(current, sender, ref)
    if not permission.allowed:
        return refusal(ref, permission.message)
    return Form(expected_row(row, _waiting(reader, ref)), mark, row)


def _waiting(reader: AbstractUnitOfWork, ref: str) -> list[JournalEntry]:
    if not reader.has_journal():
        return []
    try:
        return reader.journal.in_states(*j.OPEN_STATES, ref=ref)
    except j.JournalUnavailable:
        return []


def unreadable_refusal(request: UpdateRequest, error: WorkbookError) -> UpdateResult:
    """An update refused because the workbook cannot be read: nothing journalled; the sentence is the
    reader's (the one `sli` prints), so a chat shows it like any other refusal."""
    try:
        ref = s.normalise_ref(request.ref)
    except s.RefError:
        ref = str(request.ref)
    return refusal(ref, str(error))


# --- prepare, record, commit --------------------------------------------------------------------

def prepare(ctx: Context | Store, request: UpdateRequest, journal_wait: float = j.BUSY_TIMEOUT_SECONDS,
            journal: j.Journal | None = None) -> Prepared | UpdateResult:
    """Check an update once (see `shared.domain.update.prepare_update`): a `Prepared` update, or a
    refusal saying what to fix, or `not_recorded` if the journal cannot even be read. A workbook that
    cannot be read raises `WorkbookError` before anything is journalled (`sli` exits 2 with its sentence;
    the chat front ends answer with `unreadable_refusal`)."""
    ctx = as_context(ctx)
    reader = ctx.read(journal_wait)
    try:
        # The mark is read before the file: whatever is written after it is known to be the journal's.
        mark = (journal or reader.journal).view_mark()
    except j.JournalUnavailable as exc:
        return UpdateResult(None, str(request.ref), NOT_RECORDED, str(exc))
    return prepare_update(reader.appendix(), request, mark, ctx.today())


def record(ctx: Context | Store, prepared: Prepared, journal_wait: float = j.BUSY_TIMEOUT_SECONDS,
           journal: j.Journal | None = None, replay_keys: Sequence[str] = (), durable: bool = True) -> UpdateResult:
    """Journal a prepared update (fast: a chat front end answers within Slack's 3 seconds). The result
    is `pending` (recorded; `commit` writes it), `rejected` (the rules' sentences say what to fix; kept
    for the record, never written) or `not_recorded` (the journal failed: nothing kept, say so).

    `replay_keys` are kept in the same commit (a replay of the request is then refused even after a
    restart: a refusal, nothing recorded); `durable=False` leaves the fsync to `Journal.make_durable`."""
    try:
        journal = journal or as_context(ctx).read(journal_wait).journal
        if prepared.blocking:
            # Kept: who, when, which fields and why, in words that do not repeat what was refused.
            message = "Not recorded: " + " ".join(f.message for f in prepared.blocking)
            kept = kept_reasons(prepared.blocking, prepared.changes.values())
            entry, _ = journal.record(ref=prepared.ref, changes=dict.fromkeys(prepared.changes), seen={},
                                      by=prepared.by, via=prepared.via, state=j.REJECTED, reply_to=prepared.reply_to,
                                      detail={"reasons": kept, "message": "Not recorded: " + " ".join(kept)},
                                      view_seq=prepared.view_seq, replay_keys=replay_keys, durable=durable)
            return UpdateResult(entry.id, prepared.ref, j.REJECTED, message, findings=prepared.findings)
        entry, new = journal.record(ref=prepared.ref, changes=prepared.changes, seen=prepared.seen, by=prepared.by,
                                    via=prepared.via, state=j.PENDING, reply_to=prepared.reply_to,
                                    idempotency_key=prepared.idempotency_key, view_seq=prepared.view_seq,
                                    detail={"base": prepared.base} if prepared.base else None,
                                    replay_keys=replay_keys, durable=durable)
    except (j.EntryTooLarge, j.Replayed) as exc:
        return refusal(prepared.ref, str(exc), prepared.findings)
    except j.JournalUnavailable as exc:
        return UpdateResult(None, prepared.ref, NOT_RECORDED, str(exc), findings=prepared.findings)
    if not new:  # the same submission arrived before: report what became of it, act no further
        result = result_of(entry)
        result.duplicate = True
        return result
    return UpdateResult(entry.id, prepared.ref, j.PENDING, f"{prepared.ref}: update recorded; writing it to the "
                        "workbook.", findings=prepared.findings)


def commit(ctx: Context | Store, recorded: UpdateResult) -> UpdateResult:
    """Write a recorded update into the file, after the older ones still waiting (updates land in the
    order they arrived). If the journal fails now, the update is kept and written later."""
    if recorded.state != j.PENDING or recorded.update_id is None or recorded.duplicate:
        return recorded
    ctx = as_context(ctx)
    try:
        results = _write_waiting(ctx, force=False, report=False)
        result = results.get(recorded.update_id) or result_of(ctx.read().journal.get(recorded.update_id))
    except j.JournalUnavailable as exc:
        reason = str(exc).removeprefix("Nothing was recorded: ")
        return UpdateResult(recorded.update_id, recorded.ref, j.PENDING,
                            f"Recorded, but not written yet: {reason} It will be written once it can be.",
                            findings=recorded.findings)
    result.findings = recorded.findings + [f for f in result.findings if f not in recorded.findings]
    return result


def record_request(ctx: Context | Store, request: UpdateRequest, journal_wait: float = j.BUSY_TIMEOUT_SECONDS,
                   replay_keys: Sequence[str] = (), durable: bool = True) -> UpdateResult:
    """`prepare` then `record`: what a chat front end does before it acknowledges. `replay_keys`: the
    signed request's (and event's) keys, kept with the update (see `record`)."""
    ctx = as_context(ctx)
    started = time.perf_counter()
    try:
        # One journal for the view mark and the record, on this thread's one connection to it.
        journal = ctx.read(journal_wait).journal
        prepared = prepare(ctx, request, journal_wait, journal)
        result = prepared if isinstance(prepared, UpdateResult) else record(
            ctx, prepared, journal_wait, journal, replay_keys=replay_keys, durable=durable)
    except j.JournalUnavailable as exc:
        result = UpdateResult(None, str(request.ref), NOT_RECORDED, str(exc))
    _log_update(result, started, "recorded")
    return result


def submit(ctx: Context | Store, request: UpdateRequest) -> UpdateResult:
    """`prepare`, `record`, `commit`: for front ends that can wait for the write (the command line).

    The record is not synced on its own: the sender is told nothing before `commit` ends, and the update's
    `writing` mark, synced before the file is replaced, syncs it too; if it was not written now (Excel has
    the workbook, a conflict), `make_durable` syncs it before the answer. One fsync of the journal either way."""
    ctx = as_context(ctx)
    recorded = record_request(ctx, request, durable=False)
    result = commit(ctx, recorded)
    if recorded.update_id is not None:
        try:
            ctx.read().journal.make_durable()
        except j.JournalUnavailable as exc:
            return UpdateResult(recorded.update_id, recorded.ref, j.PENDING, f"Recorded, but the journal could not "
                                f"be synced to disk: {exc}", findings=recorded.findings)
    return result


def submit_update(ctx: Context | Store, ref: str, changes: Mapping[str, object], *, by: str, via: str,
                  seen: Mapping[str, object] | None = None, view_seq: int | None = None,
                  reply_to: str | None = None, idempotency_key: str | None = None) -> UpdateResult:
    """`submit` for a sender named by `by` (the command line, scripts), without a permission check."""
    return submit(ctx, UpdateRequest(ref, changes, via, by=by, seen=seen, view_seq=view_seq,
                                     idempotency_key=idempotency_key, reply_to=reply_to))


def submit_as_person(ctx: Context | Store, sender: str, ref: str, changes: Mapping[str, object], *, via: str,
                     seen: Mapping[str, object] | None = None, view_seq: int | None = None,
                     idempotency_key: str | None = None) -> UpdateResult:
    """`submit` for a person known by their chat user ID: only the leads of the recommendation's
    organisation and officers may update it (sheet Leads); the journal keeps whom to tell."""
    return submit(ctx, UpdateRequest(ref, changes, via, sender=sender, seen=seen, view_seq=view_seq,
                                     idempotency_key=idempotency_key))


# --- writing what waits -------------------------------------------------------------------------

def process_pending(ctx: Context | Store, force: bool = False) -> list[UpdateResult]:
    """Write every journalled update not yet in the file, oldest first (start-up, the notifier, `sli sync`),
    and say what became of each.

    The updates of one recommendation go in strictly in the order they were journalled: the first one that
    cannot be written now stops its recommendation for this pass, and the later ones wait behind it (so a
    fault that clears part-way through a pass never lets a later update overtake an earlier one); other
    recommendations carry on. While Excel has the workbook open nothing is written, and holding the
    waiting updates costs the same however many there are.

    `force` writes although Excel's owner file is there (`sli sync --force`, once Excel is known closed)."""
    return list(_write_waiting(as_context(ctx), force, report=True).values())


def _write_waiting(ctx: Context, force: bool, report: bool) -> dict[str, UpdateResult]:
    """One pass over the waiting updates (see `process_pending`): their results by Update ID. Without
    `report`, a pass that only holds them back (Excel has the file) returns none, and reads none of them."""
    reader = ctx.read()
    if not reader.has_journal():
        return {}
    journal = reader.journal
    results: dict[str, UpdateResult] = {}
    stuck: dict[str, UpdateResult] = {}  # ref -> its first update this pass could not write
    try:
        with ctx.uow() as uow:  # one writer owns the file for the whole pass (each update's unit of work nests in it)
            # Excel's owner file is looked for once the lock is ours (so once, not before and again after):
            # if Excel has the workbook, nothing is written (`_hold_while_open`); if not, the first update
            # tried is written on this very look, the later ones each look again.
            owner = None if force else uow.owner()
            if owner is not None:
                return _hold_while_open(uow, owner, report)
            # Read once the lock is ours: every update journalled before then, whoever sent it. Another
            # process waiting for the lock (woken the moment it is let go, no polling) then finds its own
            # update written and only reports it: waiting is first come, first served, in journal order.
            waiting = journal.in_states(*j.OPEN_STATES)
            for entry in waiting:
                if entry.ref in stuck:
                    results[entry.id] = UpdateResult(entry.id, entry.ref, j.PENDING, _behind(stuck[entry.ref]))
                    continue
                started = time.perf_counter()
                # The first one tried is as the journal holds it now (read just above, under the lock): it is
                # not read again, nor is the owner file looked for again. A later one is: a process that gave
                # up waiting for the lock may have held it back since (`hold`), which its sender is told of.
                first = not results
                result = _apply_journalled(ctx, entry.id, force, entry if first else None, owner_looked=first)
                results[entry.id] = result
                _log_update(result, started, "written" if result.state not in j.OPEN_STATES else "held")
                if result.state in j.OPEN_STATES:
                    stuck[entry.ref] = result
                    if any(e.ref == entry.ref and e.seq > entry.seq for e in waiting):
                        journal.hold_behind(entry.ref, entry.seq, _behind(result))
                after_update(entry.id)
    except Timeout:  # another program has held the workbook's lock for minutes: nothing can be written
        journal.hold(LOCK_HELD)
        results.update(_results(journal) if report else {})
    return results


#: Why updates wait while another program holds the workbook's lock.
LOCK_HELD = ("Not written yet: another program has been writing the workbook for over two minutes. "
             "The update is kept and will be applied shortly.")


def _behind(first: UpdateResult) -> str:
    """Why an update waits behind an earlier one of the same recommendation."""
    return f"Waiting for an earlier update to {first.ref}, which goes in first: {first.message}"


def _results(journal: j.Journal) -> dict[str, UpdateResult]:
    return {entry.id: result_of(entry) for entry in journal.in_states(*j.OPEN_STATES)}


def _hold_while_open(uow: AbstractUnitOfWork, owner: OwnerFile, report: bool) -> dict[str, UpdateResult]:
    """Excel has the workbook open (its owner file, `owner`, is beside it; `uow` holds the lock): write
    nothing. Settle the updates the saved file already holds (delivered into Excel by the add-in, or caught by
    a crash after the rename), and hold the rest with the owner's sentence, rewriting only the entries whose
    sentence changes, so recording one more update costs the same with hundreds waiting."""
    journal = uow.journal
    message = owner.describe(uow.stale_owner_after)
    settling = journal.in_states(j.WRITING, j.IN_EXCEL)  # few: written ones settle at once
    if settling:
        in_file = _change_log_ids(uow, settling)
        for entry in settling:
            if entry.id in in_file:
                journal.set_state(entry.id, j.APPLIED, {**entry.detail, "message": entry.detail.get(
                    "message") or f"{entry.ref} updated."})
            elif entry.state == j.WRITING:
                journal.set_state(entry.id, j.PENDING, {**entry.detail, "message": message, "was_held": 1,
                                                        "owner": owner.user})
    journal.hold(message, owner.user)
    return _results(journal) if report else {}


def _change_log_ids(uow: AbstractUnitOfWork, entries: list[JournalEntry]) -> set[str]:
    """The Update IDs in the Change log, read once from the year the oldest of `entries` was journalled."""
    years = [int(e.created_at[:4]) for e in entries if e.created_at[:4].isdigit()]
    return {row.update_id for row in uow.change_log(since=min(years) if years else None)}


def _apply_journalled(ctx: Context, update_id: str, force: bool, read: JournalEntry | None = None,
                      owner_looked: bool = False) -> UpdateResult:
    """One journalled update into the file, inside the unit of work. An update the add-in delivered into
    the open workbook (`in_excel`) is applied once the saved file holds its Update ID; if Excel was closed
    without saving, it is written to the file as usual. Whatever stops this one keeps it pending with a
    sentence; the pass then holds the later updates of its recommendation, not the others. `read`: its
    entry as the journal holds it now, if the caller has just read it (else it is read here); `owner_looked`:
    the caller has just looked for Excel's owner file under the lock this one nests in, and found none."""
    with ctx.uow() as uow:
        journal = uow.journal
        entry = read if read is not None else journal.get(update_id)
        if entry.state in (j.WRITING, j.IN_EXCEL) and _in_change_log(uow, entry):
            detail = {**entry.detail, "message": entry.detail.get("message") or f"{entry.ref} updated."}
            journal.set_state(update_id, j.APPLIED, detail)
            return result_of(journal.get(update_id))
        if entry.state not in j.OPEN_STATES:
            return result_of(entry)
        owner = None if force or owner_looked else uow.owner()
        if owner is not None:
            if entry.state == j.IN_EXCEL:
                return result_of(entry)  # in the open workbook; waiting for the officer to save
            message = owner.describe(uow.stale_owner_after)
            journal.set_state(update_id, j.PENDING, {**entry.detail, "message": message, "was_held": 1,
                                                     "owner": owner.user})
            return UpdateResult(update_id, entry.ref, j.PENDING, message)
        try:
            return _write(ctx, uow, entry)
        except j.JournalUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - whatever stops this one must not stop the others
            if isinstance(exc, WorkbookError):  # an unreadable workbook is expected: one line, no stack
                log.warning("update %s could not be written: %s", update_id, exc)
            elif not isinstance(exc, PackageError):
                log.exception("update %s could not be written", update_id)
            message = (f"Not written yet: {str(exc).rstrip('.')}. The update is kept and will be applied "
                       "once this is fixed.")
            # Failed after `writing`: the file may already hold it (a failed fsync after the rename), so it
            # stays `writing` and the next pass settles it from the Change log; otherwise it waits.
            after_writing = journal.get(update_id).state == j.WRITING and not isinstance(exc, PackageError)
            state = j.WRITING if after_writing else j.PENDING  # a PackageError replaced nothing
            journal.set_state(update_id, state, {**journal.get(update_id).detail, "message": message, "was_held": 1})
            return UpdateResult(update_id, entry.ref, j.PENDING, message)


def _write(ctx: Context, uow: AbstractUnitOfWork, entry: JournalEntry) -> UpdateResult:
    if entry.state == j.WRITING and (missing := _unlogged_rows(entry, uow.appendix())):
        return _log_only(uow, entry, missing)
    plan = plan_update(entry, uow.appendix(), _now(ctx), _journal_written(uow.journal, entry),
                       change_log_editor(uow, ctx.today()))
    if not plan.edits:
        uow.journal.set_state(entry.id, plan.state, plan.detail)
        return plan.result()
    writer = uow.writer()
    writer.apply(plan)
    # The `writing` mark is durable before the file is replaced: the file's writer syncs it beside the new
    # file (the two waits for the disk overlap); a save that fails before it replaced anything leaves it pending.
    marked: list[bool] = []

    def mark() -> Callable[[], None]:
        sync = uow.journal.mark_writing(entry.id, plan.detail)
        marked.append(True)
        return sync

    uow.finish(writer, mark=mark)
    # The mark wrote the plan's detail: `applied` moves the state alone rather than encode and write it again.
    uow.journal.set_state(entry.id, j.APPLIED, None if marked else plan.detail)
    return plan.result()


def _unlogged_rows(entry: JournalEntry, appendix: Appendix) -> list[LogRow]:
    """The Change log rows of an update left `writing`, not in the Change log, whose cells the workbook holds
    already: a write in two parts (SharePoint: the row's range, then the Change log's) whose first part
    landed. Made again from what the journal kept of them (same time, texts and Update ID), so every change
    is in the Change log; none when any of its cells does not hold what it wrote (then it is written anew)."""
    changes = entry.detail.get("changes") or {}
    when = LogRow.write_time(entry.detail)
    row = appendix.rows.get(entry.ref)
    in_cells = [field for field in changes if field not in s.LOG_ONLY_FIELDS]
    if when is None or row is None or not in_cells:
        return []
    if not all(same_text(row[field], changes[field][1]) for field in in_cells):
        return []
    return [LogRow.from_journal(when.isoformat(), entry.ref, field, old, new, entry.by, entry.via, entry.id)
            for field, (old, new) in changes.items()]


def _log_only(uow: AbstractUnitOfWork, entry: JournalEntry, rows: list[LogRow]) -> UpdateResult:
    """Append the Change log rows an update's landed cells lack, then call it applied."""
    message = f"{entry.ref} updated (its Change log rows written after the workbook's cells)."
    detail = {**entry.detail, "message": message}
    writer = uow.writer()
    writer.apply(Plan(entry, j.APPLIED, message, detail, log_rows=rows))
    uow.finish(writer)
    uow.journal.set_state(entry.id, j.APPLIED, detail)
    return result_of(uow.journal.get(entry.id))


def _in_change_log(uow: AbstractUnitOfWork, entry: JournalEntry) -> bool:
    """Whether the Change log holds the update: read from the year it was journalled onward only."""
    since = int(entry.created_at[:4]) if entry.created_at[:4].isdigit() else None
    return any(row.update_id == entry.id for row in uow.change_log(since=since))


def change_log_editor(uow: AbstractUnitOfWork, today: date) -> Callable[[str, str, object], str]:
    """Who gave a field its current value, from the newest matching Change log row ("Aisha Khan (Slack)"),
    else `EXCEL_EDITOR`. Read only when there is a conflict to explain, from last year (of `today`) on."""
    def editor(ref: str, column: str, value: object) -> str:
        for row in reversed(uow.change_log(since=today.year - 1)):
            if row.ref == ref and row.field == column:
                if same_text(row.new_value, log_text(value)) or same_text(row.new_value, value):
                    return f"{row.by} ({row.via})" if row.via else row.by
                break
        return EXCEL_EDITOR
    return editor


def _journal_written(journal: j.Journal, entry: JournalEntry) -> dict[str, object]:
    """The values updates journalled after the sender's view (and before this one) leave in the row."""
    if entry.view_seq is None:
        return {}
    return journal.written_between(entry.ref, entry.view_seq, entry.seq)


# --- into the workbook open in Excel ------------------------------------------------------------

def apply_to_open_book(ctx: Context | Store, book: OpenBook, now: datetime | None = None) -> list[Plan]:
    """The add-in's *Apply pending updates*: every waiting update planned against the workbook open in
    Excel (`book`: its sheets' values as the add-in read them, and the xlwings book) and written into it
    and its Change log by the open-workbook writer, made here. Nothing when nothing was ever journalled;
    `WorkbookError` (one sentence, nothing changed) when the open workbook is not an Appendix 1."""
    ctx = as_context(ctx)
    if not ctx.read().has_journal():
        return []
    current = book.appendix(ctx.store.workbook)
    if book.log is None:
        raise WorkbookError(f"This workbook has no sheet called '{s.LOG_SHEET}'.")
    return deliver_to_open_book(ctx, current, OpenBookWriter(book.book, book.log), now, _logged_ids(book.log))


def _logged_ids(log: Sheet) -> set[str]:
    """The Update IDs in the open workbook's Change log: the updates delivered into it that it still holds
    (one delivered before and closed without saving is not among them)."""
    grid = [list(row) for row in log.grid]
    try:
        header = s.find_header(grid, LogRow.HEADER, s.LOG_SHEET)
    except s.HeaderError:
        return set()
    rows = (LogRow.from_sheet_row(header.columns, row) for row in grid[header.row + 1:])
    return {row.update_id for row in rows if row is not None and row.update_id}


def deliver_to_open_book(ctx: Context | Store, book_values: Appendix, writer: WorkbookWriter,
                         now: datetime | None = None, in_book: Collection[str] | None = None) -> list[Plan]:
    """Plan every waiting update against the workbook open in Excel (`book_values`, read from it) and write
    the plans through `writer`, the open-workbook writer (see `apply_to_open_book`).

    Conflicts and refusals are settled in the journal at once; the written ones are `in_excel` and count
    as applied once the saved file holds them. Each plan sees the values the earlier ones left.
    `in_book`: the Update IDs in the open workbook's Change log (else the saved file's). An update
    delivered before that the book does not hold (Excel was closed without saving, and opened again
    before a pass wrote it to the file) goes in first, from the file pass: later ones of its
    recommendation wait behind it rather than overtake it."""
    ctx = as_context(ctx)
    now = now or _now(ctx)
    plans = []
    with ctx.uow() as uow:
        journal = uow.journal
        current = book_values
        delivered: dict[str, dict[str, object]] = {}  # what earlier plans of this batch put into each row
        stuck: set[str] = set()  # refs with an earlier update the book lacks: the file pass writes it first
        editor = change_log_editor(uow, ctx.today())
        waiting = journal.in_states(j.PENDING, j.WRITING, j.IN_EXCEL)
        if in_book is None and any(e.state == j.IN_EXCEL for e in waiting):
            in_book = _change_log_ids(uow, [e for e in waiting if e.state == j.IN_EXCEL])
        for entry in waiting:
            if entry.state == j.IN_EXCEL:
                if entry.id not in (in_book or ()):
                    stuck.add(entry.ref)
                continue
            if entry.state == j.WRITING or entry.ref in stuck:
                stuck.add(entry.ref)  # updates of a recommendation go in in journal order, or wait
                continue
            # The last value this batch put into a field is the one the book holds (journal order).
            written = {**_journal_written(journal, entry), **delivered.get(entry.ref, {})}
            plan = plan_update(entry, current, now, written, editor)
            if not plan.edits:
                journal.set_state(entry.id, plan.state, {**plan.detail, "was_held": 1})
            else:
                writer.apply(plan)
                new_values = {column: new for column, (_, new) in plan.changed.items()}
                current = current.with_row(current.rows[entry.ref].with_values(new_values))
                delivered.setdefault(entry.ref, {}).update(new_values)
            plans.append(plan)
        writer.finish()
        for plan in plans:
            if plan.edits:
                journal.set_state(plan.entry.id, j.IN_EXCEL, {**plan.detail, "was_held": 1,
                                                              "message": plan.message + " (in the open workbook; "
                                                              "applied when it is saved)"})
    return plans
