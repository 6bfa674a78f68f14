"""Questions: what Appendix 1 says, what waits to be written, what happened to a recommendation. None of
them changes anything or takes the workbook's lock; they read through `ctx.read()`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared import journal as j
from shared.domain import queries
from shared.domain import schema as s
from shared.domain.logrow import LogRow
from shared.domain.model import Appendix, Recommendation
from shared.domain.update import JournalEntry
from shared.reader import WorkbookError
from shared.uow import Context, Store, as_context


def appendix(ctx: Context | Store) -> Appendix:
    """Appendix 1 as it is now (cached while the file is unchanged; read-only). Raises `WorkbookError`
    (one sentence) when the file cannot be read, and nothing else: every use case that reads it too."""
    return as_context(ctx).read().appendix()


def find(ctx: Context | Store, ref: str) -> Recommendation | None:
    """One recommendation by ref as typed (`7`, `l07`, `#7`); None if there is no such row."""
    return appendix(ctx).rows.get(s.normalise_ref(ref))


def list_rows(ctx: Context | Store, status: str | None = None, lead: str | None = None) -> list[Recommendation]:
    """Rows by status and/or lead organisation (`sli list`)."""
    return queries.filter_rows(appendix(ctx), status=status, lead=lead)


@dataclass(frozen=True)
class Reply:
    """A chat-neutral answer to a question: one recommendation (`row`), a titled list (`title`, `rows`), or
    a `sentence`. Each chat renders it its own way (Slack blocks, Teams cards); the words are the same."""

    row: Recommendation | None = None
    title: str = ""
    rows: tuple[Recommendation, ...] = ()
    sentence: str = ""


def ask(ctx: Context | Store, kind: str, text: str = "", sender: str | None = None) -> Reply:
    """Answer one question as a person puts it in a chat: `status` (a ref), `search` (words), `list`
    (all, a status or a lead organisation), `mine` (the sender's organisations; an empty list when the
    Leads sheet does not know them, for the front end to say how to be added). A workbook that cannot be
    read is answered with its sentence, the one `sli` prints."""
    try:
        current = appendix(ctx)
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


#: How a list asked for several statuses joins them: `list at risk or off track`.
_EITHER = re.compile(r"\s*(?:,|\bor\b|\band\b|/|\+)\s*", re.IGNORECASE)


def _statuses(query: str) -> list[str] | None:
    """The statuses a list asks for (`at risk`, `at risk or off track`), or None when it names none (a lead
    organisation, then)."""
    parts = [part for part in _EITHER.split(query) if part.strip()]
    try:
        return list(dict.fromkeys(queries.resolve_status(part) for part in parts)) if parts else None
    except queries.QueryError:
        return None


def _listed(current: Appendix, query: str) -> Reply:
    """All recommendations, or those with a status (or any of several), or those a lead organisation leads.
    A list of At risk alone says that Off track is not in it, so no one reads it as all that is at risk."""
    if not query or query.casefold() == "all":
        return Reply(title="All recommendations", rows=tuple(queries.filter_rows(current)))
    statuses = _statuses(query)
    if statuses and len(statuses) > 1:
        rows = [row for row in queries.filter_rows(current) if row.status in statuses]
        return Reply(title=f"Recommendations {' or '.join(statuses)}", rows=tuple(rows))
    try:
        rows = queries.filter_rows(current, status=query)
        status = queries.resolve_status(query)
        also = ", not Off track" if status == s.AT_RISK else ""
        return Reply(title=f"Recommendations {status}{also}", rows=tuple(rows))
    except queries.QueryError:
        rows = queries.filter_rows(current, lead=query)
        return Reply(title=f"Recommendations led by {rows[0].lead_org if rows else query}", rows=tuple(rows))


def pending_count(ctx: Context | Store) -> int:
    """Updates journalled and not yet in the workbook (none when there is no journal yet)."""
    reader = as_context(ctx).read()
    return len(reader.journal.in_states(j.PENDING)) if reader.has_journal() else 0


def waiting(ctx: Context | Store) -> list[JournalEntry]:
    """Updates not yet written, and conflicts, oldest first (`sli pending`)."""
    reader = as_context(ctx).read()
    return reader.journal.in_states(*j.OPEN_STATES, j.CONFLICT) if reader.has_journal() else []


@dataclass(frozen=True)
class History:
    """A recommendation's history: its Change log rows (`log`), its journalled updates not applied (`held`),
    and what its own row says (`last_updated`, `updated_by`): a row changed before the tracker kept its Change
    log, or in Excel, says when and by whom though no log row does."""

    ref: str
    log: tuple[LogRow, ...]
    held: tuple[JournalEntry, ...]
    last_updated: object = None
    updated_by: object = None


def history(ctx: Context | Store, ref: str) -> History:
    """A recommendation's history (`sli history`). `QueryError` (one sentence) when there is no such row."""
    ref = s.normalise_ref(ref)
    reader = as_context(ctx).read()
    row = reader.appendix().rows.get(ref)
    if row is None:
        raise queries.QueryError(f"There is no {ref} in the workbook.")
    rows = tuple(e for e in reader.change_log() if e.ref == ref)
    held = tuple(e for e in reader.journal.for_ref(ref) if e.state != j.APPLIED) if reader.has_journal() else ()
    return History(ref, rows, held, row[s.LAST_UPDATED], row[s.UPDATED_BY])
