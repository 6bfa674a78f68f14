"""What people do with Appendix 1, one function each: the only entry points the front ends (the `sli`
command line, the Slack bot, the Excel add-in) call. A front end parses a request, calls one of these,
and renders what comes back; it never touches the journal, the package or the lock.

An update, walked through: `prepare` (ref, permission, values, rules: once, in the domain) →
`record` (journalled: from here it is never lost) → `commit` (inside the unit of work, after the
updates that arrived before it: conflict check, plan, writer, Change log, atomic save). `submit` does
all three for front ends that can wait; the bot records before it acknowledges and commits on its
writer thread. The add-in's *Apply pending updates* is `deliver_to_open_book`: the same plans, written
by the open-workbook writer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from filelock import Timeout

from shared import journal as j
from shared.domain import queries, rules
from shared.domain import schema as s
from shared.domain.access import may_update
from shared.domain.model import Appendix, Recommendation
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
from shared.journal import CHAT_TIMEOUT_SECONDS, JournalUnavailable  # noqa: F401 (front ends' vocabulary)
from shared.owner import find_owner_file
from shared.reader import WorkbookError, read_appendix, read_change_log
from shared.uow import Store, WorkbookUnitOfWork, after_update
from shared.writers import WorkbookWriter
from shared.xlsx import PackageError  # noqa: F401 (raised to front ends: a workbook it cannot edit)

log = logging.getLogger("sli.usecases")

__all__ = ["EXCEL_EDITOR", "NOT_RECORDED", "Store", "UpdateRequest", "UpdateResult", "commit", "deliver_to_open_book",
           "ask", "open_form", "prepare", "process_pending", "record", "submit", "submit_update", "tell_senders",
           "write_waiting"]


# --- asking -------------------------------------------------------------------------------------

def appendix(store: Store) -> Appendix:
    """Appendix 1 as it is now (cached while the file is unchanged; read-only). Raises `WorkbookError`
    (one sentence) when the file cannot be read, and nothing else: every use case that reads it too."""
    return read_appendix(store.workbook)


def validate(path: Path) -> tuple[Appendix, list[rules.Finding]]:
    """Every finding of the shared rules on a workbook's Appendix 1 (`sli validate`, any file)."""
    current = read_appendix(path)
    findings = rules.check_grid(current.sheet.grid, origin=current.sheet.origin,
                                lead_orgs=current.lead_orgs or None, today=date.today())
    return current, findings


def find(store: Store, ref: str) -> Recommendation | None:
    """One recommendation by ref as typed (`7`, `l07`, `#7`); None if there is no such row."""
    return appendix(store).rows.get(s.normalise_ref(ref))


def list_rows(store: Store, status: str | None = None, lead: str | None = None) -> list[Recommendation]:
    """Rows by status and/or lead organisation (`sli list`)."""
    return queries.filter_rows(appendix(store), status=status, lead=lead)


@dataclass(frozen=True)
class Reply:
    """A chat-neutral answer to a question: one recommendation (`row`), a titled list (`title`, `rows`), or
    a `sentence`. Each chat renders it its own way (Slack blocks, Teams cards); the words are the same."""

    row: Recommendation | None = None
    title: str = ""
    rows: tuple[Recommendation, ...] = ()
    sentence: str = ""


def ask(store: Store, kind: str, text: str = "", sender: str | None = None) -> Reply:
    """Answer one question as a person puts it in a chat: `status` (a ref), `search` (words), `list`
    (all, a status or a lead organisation), `mine` (the sender's organisations; an empty list when the
    Leads sheet does not know them, for the front end to say how to be added). A workbook that cannot be
    read is answered with its sentence, the one `sli` prints."""
    try:
        current = appendix(store)
        if kind == "status":
            row = current.rows.get(s.normalise_ref(text))
            if row is None:
                return Reply(sentence=f"There is no {text} in the workbook: refs run L1 to L{len(current.rows)}.")
            return Reply(row=row)
        if kind == "search":
            rows = queries.search(current, text)
            return Reply(row=rows[0]) if len(rows) == 1 else Reply(title=f"Recommendations matching '{text}'",
                                                                   rows=tuple(rows))
        if kind == "list":
            return _listed(current, text.strip())
        if kind == "mine":
            rows = queries.rows_for_person(current, sender) if sender else []
            return Reply(title="Your organisation's recommendations", rows=tuple(rows))
    except (queries.QueryError, s.RefError, WorkbookError) as exc:
        return Reply(sentence=str(exc))
    raise ValueError(f"not a question: {kind}")


def _listed(current: Appendix, query: str) -> Reply:
    """All recommendations, or those with a status, or those a lead organisation leads."""
    if not query or query.casefold() == "all":
        return Reply(title="All recommendations", rows=tuple(queries.filter_rows(current)))
    try:
        rows = queries.filter_rows(current, status=query)
        return Reply(title=f"Recommendations {rows[0].status if rows else query}", rows=tuple(rows))
    except queries.QueryError:
        rows = queries.filter_rows(current, lead=query)
        return Reply(title=f"Recommendations led by {rows[0].lead_org if rows else query}", rows=tuple(rows))


# --- updating -----------------------------------------------------------------------------------

def view_mark(store: Store) -> int | None:
    """The journal's mark for a view taken now (see `Journal.view_mark`); None if the journal fails."""
    try:
        return store.journal().view_mark()
    except j.JournalUnavailable:
        return None


@dataclass(frozen=True)
class Form:
    """What an update form shows: the row as it will be once waiting updates land, and its view mark."""

    row: Recommendation
    view_seq: int | None
    #: The row as the file holds it (without the waiting updates): travels with the form as its `base`.
    file_row: Recommendation | None = None


def open_form(store: Store, sender: str, ref: str) -> Form | UpdateResult:
    """The values to prefill a form with, or a refusal (no such ref, not the sender's to update, a workbook
    that cannot be read: its sentence)."""
    try:
        ref = s.normalise_ref(ref)
    except s.RefError as exc:
        return refusal(str(ref), str(exc))
    mark = view_mark(store)  # before the file is read: anything written after it came through the journal
    try:
        current = appendix(store)
    except WorkbookError as exc:
        return refusal(ref, str(exc))
    row = current.rows.get(ref)
    if row is None:
        return refusal(ref, f"There is no {ref} in the workbook.")
    permission = may_update(current, sender, ref)
    if not permission.allowed:
        return refusal(ref, permission.message)
    waiting = _waiting(store, ref)
    return Form(expected_row(row, waiting), mark, row)


def _waiting(store: Store, ref: str) -> list[JournalEntry]:
    if not store.journal_path.exists():
        return []
    try:
        return store.journal().in_states(*j.OPEN_STATES, ref=ref)
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


def prepare(store: Store, request: UpdateRequest, journal_wait: float = j.BUSY_TIMEOUT_SECONDS,
            journal: j.Journal | None = None) -> Prepared | UpdateResult:
    """Check an update once (see `shared.domain.update.prepare_update`): a `Prepared` update, or a
    refusal saying what to fix, or `not_recorded` if the journal cannot even be read. A workbook that
    cannot be read raises `WorkbookError` before anything is journalled (`sli` exits 2 with its sentence;
    the chat front ends answer with `unreadable_refusal`)."""
    try:
        # The mark is read before the file: whatever is written after it is known to be the journal's.
        mark = (journal or store.journal(journal_wait)).view_mark()
    except j.JournalUnavailable as exc:
        return UpdateResult(None, str(request.ref), NOT_RECORDED, str(exc))
    return prepare_update(appendix(store), request, mark, date.today())


def record(store: Store, prepared: Prepared, journal_wait: float = j.BUSY_TIMEOUT_SECONDS,
           journal: j.Journal | None = None) -> UpdateResult:
    """Journal a prepared update (fast: a chat front end answers within Slack's 3 seconds). The result
    is `pending` (recorded; `commit` writes it), `rejected` (the rules' sentences say what to fix; kept
    for the record, never written) or `not_recorded` (the journal failed: nothing kept, say so)."""
    try:
        journal = journal or store.journal(journal_wait)
        if prepared.blocking:
            # Kept: who, when, which fields and why, in words that do not repeat what was refused.
            message = "Not recorded: " + " ".join(f.message for f in prepared.blocking)
            kept = kept_reasons(prepared.blocking, prepared.changes.values())
            entry, _ = journal.record(ref=prepared.ref, changes=dict.fromkeys(prepared.changes), seen={},
                                      by=prepared.by, via=prepared.via, state=j.REJECTED, reply_to=prepared.reply_to,
                                      detail={"reasons": kept, "message": "Not recorded: " + " ".join(kept)},
                                      view_seq=prepared.view_seq)
            return UpdateResult(entry.id, prepared.ref, j.REJECTED, message, findings=prepared.findings)
        entry, new = journal.record(ref=prepared.ref, changes=prepared.changes, seen=prepared.seen, by=prepared.by,
                                    via=prepared.via, state=j.PENDING, reply_to=prepared.reply_to,
                                    idempotency_key=prepared.idempotency_key, view_seq=prepared.view_seq,
                                    detail={"base": prepared.base} if prepared.base else None)
    except j.EntryTooLarge as exc:
        return refusal(prepared.ref, str(exc), prepared.findings)
    except j.JournalUnavailable as exc:
        return UpdateResult(None, prepared.ref, NOT_RECORDED, str(exc), findings=prepared.findings)
    if not new:  # the same submission arrived before: report what became of it, act no further
        result = result_of(entry)
        result.duplicate = True
        return result
    return UpdateResult(entry.id, prepared.ref, j.PENDING, f"{prepared.ref}: update recorded; writing it to the "
                        "workbook.", findings=prepared.findings)


def commit(store: Store, recorded: UpdateResult) -> UpdateResult:
    """Write a recorded update into the file, after the older ones still waiting (updates land in the
    order they arrived). If the journal fails now, the update is kept and written later."""
    if recorded.state != j.PENDING or recorded.update_id is None or recorded.duplicate:
        return recorded
    try:
        results = _write_waiting(store, force=False, report=False)
        result = results.get(recorded.update_id) or result_of(store.journal().get(recorded.update_id))
    except j.JournalUnavailable as exc:
        reason = str(exc).removeprefix("Nothing was recorded: ")
        return UpdateResult(recorded.update_id, recorded.ref, j.PENDING,
                            f"Recorded, but not written yet: {reason} It will be written once it can be.",
                            findings=recorded.findings)
    result.findings = recorded.findings + [f for f in result.findings if f not in recorded.findings]
    return result


def record_request(store: Store, request: UpdateRequest,
                   journal_wait: float = j.BUSY_TIMEOUT_SECONDS) -> UpdateResult:
    """`prepare` then `record`: what a chat front end does before it acknowledges."""
    try:
        journal = store.journal(journal_wait)
        with journal.session():  # one connection for the view mark and the record
            prepared = prepare(store, request, journal_wait, journal)
            if isinstance(prepared, UpdateResult):
                return prepared
            return record(store, prepared, journal_wait, journal)
    except j.JournalUnavailable as exc:
        return UpdateResult(None, str(request.ref), NOT_RECORDED, str(exc))


def submit(store: Store, request: UpdateRequest) -> UpdateResult:
    """`prepare`, `record`, `commit`: for front ends that can wait for the write (the command line)."""
    return commit(store, record_request(store, request))


def submit_update(store: Store, ref: str, changes: Mapping[str, object], *, by: str, via: str,
                  seen: Mapping[str, object] | None = None, view_seq: int | None = None,
                  reply_to: str | None = None, idempotency_key: str | None = None) -> UpdateResult:
    """`submit` for a sender named by `by` (the command line, scripts), without a permission check."""
    return submit(store, UpdateRequest(ref, changes, via, by=by, seen=seen, view_seq=view_seq,
                                       idempotency_key=idempotency_key, reply_to=reply_to))


def submit_as_person(store: Store, sender: str, ref: str, changes: Mapping[str, object], *, via: str,
                     seen: Mapping[str, object] | None = None, view_seq: int | None = None,
                     idempotency_key: str | None = None) -> UpdateResult:
    """`submit` for a person known by their chat user ID: only the leads of the recommendation's
    organisation and officers may update it (sheet Leads); the journal keeps whom to tell."""
    return submit(store, UpdateRequest(ref, changes, via, sender=sender, seen=seen, view_seq=view_seq,
                                       idempotency_key=idempotency_key))


# --- writing what waits -------------------------------------------------------------------------

def process_pending(store: Store, force: bool = False) -> list[UpdateResult]:
    """Write every journalled update not yet in the file, oldest first (start-up, the notifier, `sli sync`),
    and say what became of each.

    The updates of one recommendation go in strictly in the order they were journalled: the first one that
    cannot be written now stops its recommendation for this pass, and the later ones wait behind it (so a
    fault that clears part-way through a pass never lets a later update overtake an earlier one); other
    recommendations carry on. While Excel has the workbook open nothing is written, and holding the
    waiting updates costs the same however many there are.

    `force` writes although Excel's owner file is there (`sli sync --force`, once Excel is known closed)."""
    return list(_write_waiting(store, force, report=True).values())


def _write_waiting(store: Store, force: bool, report: bool) -> dict[str, UpdateResult]:
    """One pass over the waiting updates (see `process_pending`): their results by Update ID. Without
    `report`, a pass that only holds them back (Excel has the file) returns none, and reads none of them."""
    if not store.journal_path.exists():
        return {}
    journal = store.journal()
    if not force:
        held = _hold_while_open(store, journal, report)
        if held is not None:
            return held
    results: dict[str, UpdateResult] = {}
    stuck: dict[str, UpdateResult] = {}  # ref -> its first update this pass could not write
    waiting = journal.in_states(*j.OPEN_STATES)
    for entry in waiting:
        if entry.ref in stuck:
            results[entry.id] = UpdateResult(entry.id, entry.ref, j.PENDING, _behind(stuck[entry.ref]))
            continue
        try:
            result = _apply_journalled(store, entry.id, force)
        except Timeout:  # another program has held the workbook's lock for minutes: nothing can be written
            journal.hold(LOCK_HELD)
            results.update(_results(journal) if report else {})
            break
        results[entry.id] = result
        if result.state in j.OPEN_STATES:
            stuck[entry.ref] = result
            if any(e.ref == entry.ref and e.seq > entry.seq for e in waiting):
                journal.hold_behind(entry.ref, entry.seq, _behind(result))
        after_update(entry.id)
    return results


#: Why updates wait while another program holds the workbook's lock.
LOCK_HELD = ("Not written yet: another program has been writing the workbook for over two minutes. "
             "The update is kept and will be applied shortly.")


def _behind(first: UpdateResult) -> str:
    """Why an update waits behind an earlier one of the same recommendation."""
    return f"Waiting for an earlier update to {first.ref}, which goes in first: {first.message}"


def _results(journal: j.Journal) -> dict[str, UpdateResult]:
    return {entry.id: result_of(entry) for entry in journal.in_states(*j.OPEN_STATES)}


def _hold_while_open(store: Store, journal: j.Journal, report: bool) -> dict[str, UpdateResult] | None:
    """If Excel has the workbook open (its owner file is beside it), write nothing: settle the updates the
    saved file already holds (delivered into Excel by the add-in, or caught by a crash after the rename),
    and hold the rest with the owner's sentence, rewriting only the entries whose sentence changes, so
    recording one more update costs the same with hundreds waiting. None when Excel does not have it."""
    if find_owner_file(store.workbook) is None:  # the common case, without taking the lock: then per update
        return None
    try:
        with WorkbookUnitOfWork(store) as uow:
            owner = uow.owner()
            if owner is None:
                return None
            message = owner.describe(store.stale_owner_after)
            settling = journal.in_states(j.WRITING, j.IN_EXCEL)  # few: written ones settle at once
            if settling:
                in_file = _change_log_ids(store, settling)
                for entry in settling:
                    if entry.id in in_file:
                        journal.set_state(entry.id, j.APPLIED, {**entry.detail, "message": entry.detail.get(
                            "message") or f"{entry.ref} updated."})
                    elif entry.state == j.WRITING:
                        journal.set_state(entry.id, j.PENDING, {**entry.detail, "message": message, "was_held": 1,
                                                                "owner": owner.user})
            journal.hold(message, owner.user)
    except Timeout:
        journal.hold(LOCK_HELD)
    return _results(journal) if report else {}


def _change_log_ids(store: Store, entries: list[JournalEntry]) -> set[str]:
    """The Update IDs in the file's Change log, read once from the year the oldest of `entries` was journalled."""
    years = [int(e.created_at[:4]) for e in entries if e.created_at[:4].isdigit()]
    return {row.update_id for row in read_change_log(store.workbook, since=min(years) if years else None)}


def _apply_journalled(store: Store, update_id: str, force: bool) -> UpdateResult:
    """One journalled update into the file, inside the unit of work. An update the add-in delivered into
    the open workbook (`in_excel`) is applied once the saved file holds its Update ID; if Excel was closed
    without saving, it is written to the file as usual. Whatever stops this one keeps it pending with a
    sentence; the pass then holds the later updates of its recommendation, not the others."""
    with WorkbookUnitOfWork(store) as uow:
        journal = uow.journal
        entry = journal.get(update_id)
        if entry.state in (j.WRITING, j.IN_EXCEL) and _in_change_log(store, entry):
            detail = {**entry.detail, "message": entry.detail.get("message") or f"{entry.ref} updated."}
            journal.set_state(update_id, j.APPLIED, detail)
            return result_of(journal.get(update_id))
        if entry.state not in j.OPEN_STATES:
            return result_of(entry)
        owner = uow.owner()
        if owner is not None and not force:
            if entry.state == j.IN_EXCEL:
                return result_of(entry)  # in the open workbook; waiting for the officer to save
            message = owner.describe(store.stale_owner_after)
            journal.set_state(update_id, j.PENDING, {**entry.detail, "message": message, "was_held": 1,
                                                     "owner": owner.user})
            return UpdateResult(update_id, entry.ref, j.PENDING, message)
        try:
            return _write(uow, entry)
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


def _write(uow: WorkbookUnitOfWork, entry: JournalEntry) -> UpdateResult:
    plan = plan_update(entry, uow.appendix(), datetime.now(UTC), _journal_written(uow.journal, entry),
                       change_log_editor(uow.store))
    if not plan.edits:
        uow.journal.set_state(entry.id, plan.state, plan.detail)
        return plan.result()
    writer = uow.writer()
    writer.apply(plan)
    uow.journal.set_state(entry.id, j.WRITING, plan.detail)
    uow.finish(writer)
    uow.journal.set_state(entry.id, j.APPLIED, plan.detail)
    return plan.result()


def _in_change_log(store: Store, entry: JournalEntry) -> bool:
    """Whether the file's Change log holds the update: read from the year it was journalled onward only."""
    since = int(entry.created_at[:4]) if entry.created_at[:4].isdigit() else None
    return any(row.update_id == entry.id for row in read_change_log(store.workbook, since=since))


def change_log_editor(store: Store) -> Callable[[str, str, object], str]:
    """Who gave a field its current value, from the newest matching Change log row ("Aisha Khan (Slack)"),
    else `EXCEL_EDITOR`. Read only when there is a conflict to explain."""
    def editor(ref: str, column: str, value: object) -> str:
        for row in reversed(read_change_log(store.workbook, since=date.today().year - 1)):
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


def deliver_to_open_book(store: Store, book_values: Appendix, writer: WorkbookWriter,
                         now: datetime | None = None, in_book: Collection[str] | None = None) -> list[Plan]:
    """The add-in's *Apply pending updates*: plan every waiting update against the workbook open in
    Excel (`book_values`, read from it) and write the plans through `writer`, the open-workbook writer.

    Conflicts and refusals are settled in the journal at once; the written ones are `in_excel` and count
    as applied once the saved file holds them. Each plan sees the values the earlier ones left.
    `in_book`: the Update IDs in the open workbook's Change log (else the saved file's). An update
    delivered before that the book does not hold (Excel was closed without saving, and opened again
    before a pass wrote it to the file) goes in first, from the file pass: later ones of its
    recommendation wait behind it rather than overtake it."""
    now = now or datetime.now(UTC)
    plans = []
    with WorkbookUnitOfWork(store) as uow:
        journal = uow.journal
        current = book_values
        delivered: dict[str, dict[str, object]] = {}  # what earlier plans of this batch put into each row
        stuck: set[str] = set()  # refs with an earlier update the book lacks: the file pass writes it first
        waiting = journal.in_states(j.PENDING, j.WRITING, j.IN_EXCEL)
        if in_book is None and any(e.state == j.IN_EXCEL for e in waiting):
            in_book = _change_log_ids(store, [e for e in waiting if e.state == j.IN_EXCEL])
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
            plan = plan_update(entry, current, now, written, change_log_editor(store))
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


# --- telling people -----------------------------------------------------------------------------

def write_waiting(store: Store) -> None:
    """What waits goes in if Excel has let go: the writing half of a notifier's pass, which the bot runs
    on its writer thread (the one writer in the process) and then tells from its own thread."""
    if store.journal_path.exists() and store.journal().has_open():
        _write_waiting(store, force=False, report=False)


def tell_senders(store: Store, send: Callable[[str, UpdateResult], None],
                 accept: Callable[[str], bool] | None = None, write: bool = True) -> int:
    """Write what waits if Excel has let go (unless `write` is False: the caller's writer did), then tell
    each sender whose update ended without anyone telling them yet (held back while Excel had the file,
    or its first teller failed), once across processes. `accept` picks the senders this front end can
    reach. Returns how many were told."""
    if not store.journal_path.exists():
        return 0
    journal = store.journal()
    if write and journal.has_open():
        _write_waiting(store, force=False, report=False)
    told = 0
    for entry in journal.to_notify():
        if accept is not None and not accept(entry.reply_to or ""):
            continue
        if not journal.mark_notified(entry.id):
            continue  # another teller got there first
        try:
            send(entry.reply_to or "", result_of(entry))
            told += 1
        except Exception:  # noqa: BLE001 - one failed message must not stop the others
            journal.unmark_notified(entry.id)  # tried again on the next pass
            log.warning("could not tell %s about update %s", entry.reply_to, entry.id, exc_info=True)
    return told


def tell_once(store: Store, result: UpdateResult, send: Callable[[UpdateResult], None]) -> bool:
    """Tell a sender what became of their update, unless someone already did: an outcome (applied,
    conflict, rejected) is told once across the bot's threads and processes; a `pending` result (Excel
    has the file) is news, not an outcome, and the notifier tells the outcome later."""
    final = result.state in j.FINAL_STATES and result.update_id is not None
    try:
        if final and not store.journal().mark_notified(result.update_id):
            return False
    except j.JournalUnavailable:
        return False  # the notifier tells them once the journal answers again
    try:
        send(result)
    except BaseException:
        if final:
            store.journal().unmark_notified(result.update_id)
        raise
    return True


def pending_count(store: Store) -> int:
    """Updates journalled and not yet in the workbook (none when there is no journal yet)."""
    if not store.journal_path.exists():
        return 0
    return len(store.journal().in_states(j.PENDING))


def waiting(store: Store) -> list[JournalEntry]:
    """Updates not yet written, and conflicts, oldest first (`sli pending`)."""
    if not store.journal_path.exists():
        return []
    return store.journal().in_states(*j.OPEN_STATES, j.CONFLICT)


def history(store: Store, ref: str) -> tuple[list, list[JournalEntry]]:
    """A recommendation's history: its Change log rows, and its journalled updates not applied."""
    ref = s.normalise_ref(ref)
    rows = [e for e in read_change_log(store.workbook) if e.ref == ref]
    held = [e for e in store.journal().for_ref(ref) if e.state != j.APPLIED] if store.journal_path.exists() else []
    return rows, held


def first_time(store: Store, key: str, wait: float = 0.5) -> bool:
    """True the first time `key` is offered in any process (a retried Slack event, a replayed request).
    If the journal is busy or failing, True: callers keep their own in-process memory too."""
    try:
        return store.journal(busy_timeout=wait).first_time(key)
    except j.JournalUnavailable:
        return True


# --- where a chat platform lets the bot speak ---------------------------------------------------

def keep_conversation(store: Store, key: str, kind: str, reference: dict,
                      wait: float = j.CHAT_TIMEOUT_SECONDS) -> None:
    """Keep (or refresh) a conversation reference (Teams: a team the app was installed in, or a person's
    chat with the bot), so the monthly summary, reminders and outcomes can be posted there later."""
    store.journal(wait).keep_conversation(key, kind, reference)


def forget_conversation(store: Store, key: str, wait: float = j.CHAT_TIMEOUT_SECONDS) -> None:
    """The app was removed from that team: post nothing there any more."""
    store.journal(wait).forget_conversation(key)


def conversation(store: Store, key: str) -> dict | None:
    """The conversation reference kept for `key`, or None."""
    if not store.journal_path.exists():
        return None
    return store.journal().conversation(key)


def conversations(store: Store, kind: str) -> list[tuple[str, dict]]:
    """(key, reference) of one kind, most recently kept first."""
    if not store.journal_path.exists():
        return []
    return store.journal().conversations(kind)


# --- posting once -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Posted:
    """What `post_once` did: `posted` now, or not (already posted: `earlier` says when and where)."""

    posted: bool
    detail: dict | None = None
    earlier: dict | None = None


def post_once(store: Store, kind: str, key: str, post: Callable[[], dict | None], *,
              again: bool = False) -> Posted:
    """Post (kind, key) at most once across processes and restarts: the monthly summary, a reminder.

    `post` does the posting and returns what to keep about it (channel, ts), or None when there was
    nothing to post (tried again later). If it raises, the claim is released and the error goes on, so
    the next attempt posts. `again` forgets an earlier post first (`sli summary --post --again`)."""
    journal = store.journal()
    if again:
        journal.forget_post(kind, key)
    if not journal.claim_post(kind, key):
        return Posted(False, earlier=journal.posted(kind, key))
    try:
        detail = post()
    except BaseException:
        journal.release_post(kind, key)
        raise
    if detail is None:
        journal.release_post(kind, key)
        return Posted(False)
    journal.finish_post(kind, key, detail)
    return Posted(True, detail)


def posted(store: Store, kind: str, key: str) -> dict | None:
    """When and where (kind, key) was posted, or None."""
    return store.journal().posted(kind, key) if store.journal_path.exists() else None
