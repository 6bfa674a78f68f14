"""An in-memory workbook and unit of work: the use cases run on it without touching a file.

`MemoryWorkbook` holds Appendix 1 as a domain object (built from the sample content the real workbook is built
from), the Change log's rows in a list, Excel's owner file (settable: "Excel has it open") and the journal:
the real `shared.journal.Journal` on an in-memory SQLite database, so the SQL stays in shared/journal/ and
the journal behaves exactly as the file's. `MemoryUnitOfWork` is its `AbstractUnitOfWork`; its writer applies
plans to the appendix with the domain's own `with_row`/`with_values`, by the cell addresses the plan names,
and nothing lasts until `finish`. `memory.context(clock)` gives the use cases their `Context`.
"""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from filelock import Timeout

from shared import journal as j
from shared import sample_content as content
from shared.domain import schema as s
from shared.domain.logrow import LogRow
from shared.domain.model import Appendix, Sheet
from shared.domain.update import Plan
from shared.owner import OwnerFile
from shared.reader import appendix_from_sheets
from shared.uow import AbstractUnitOfWork, Clock, Context, Store, fixed_clock
from shared.writers import Mark, mark_first

#: Where the memory workbook says it lives: a name for sentences, never opened.
MEMORY_WORKBOOK = Path("memory") / "Appendix1.xlsx"
_KEYS = {s.REF: "ref", s.RECOMMENDATION: "recommendation", s.PRIORITY: "framework_priority",
         s.LEAD_ORG: "lead_organisation", s.LEAD_OFFICER: "lead_officer", s.STATUS: "status",
         s.SUMMARY: "summary", s.NEXT_STEPS: "next_steps", s.DUE: "next_step_due",
         s.LAST_UPDATED: "last_updated", s.UPDATED_BY: "updated_by"}


def sample_appendix() -> Appendix:
    """Appendix 1 with the sample content the real workbook is built from (22 rows, the Leads sheet),
    read by the same function that reads the add-in's open book: no file involved."""
    main = [list(s.MAIN_COLUMNS)] + [[item.get(_KEYS[column]) or None for column in s.MAIN_COLUMNS]
                                     for item in content.RECOMMENDATIONS]
    lists = [list(s.LISTS_COLUMNS)] + [list(row) for row in zip(
        s.STATUSES, content.LEAD_ORGANISATIONS, content.FRAMEWORK_PRIORITIES, strict=False)]
    leads = [[*s.LEADS_COLUMNS, s.LEADS_ENTRA_COLUMN]] + [
        [lead.get(key) for key in ("lead_organisation", "name", "slack_user_id", "role", "entra_object_id")]
        for lead in content.LEADS]
    return appendix_from_sheets(MEMORY_WORKBOOK, Sheet(s.MAIN_SHEET, main, (0, 0)),
                                Sheet(s.LISTS_SHEET, lists, (0, 0)), Sheet(s.LEADS_SHEET, leads, (0, 0)))


class MemoryWorkbook:
    """The workbook and its journal, in memory: what units of work on it read and write."""

    def __init__(self, appendix: Appendix | None = None):
        self.appendix = appendix or sample_appendix()
        self.change_log: list[LogRow] = []
        self.owner_file: OwnerFile | None = None
        self.journal = j.Journal(f"file:sli-memory-{uuid.uuid4().hex}?mode=memory&cache=shared")
        self.saves = 0
        self.lock = threading.RLock()  # re-entrant, as the file's lock is within a thread (a pass)

    def context(self, clock: Clock | datetime) -> Context:
        """The use cases' context on this workbook, with `clock` (a fixed moment, or a clock)."""
        clock = fixed_clock(clock) if isinstance(clock, datetime) else clock
        return Context(Store.for_workbook(MEMORY_WORKBOOK), partial(MemoryUnitOfWork, self), clock)

    def officer_edits(self, ref: str, changes: dict[str, object]) -> None:
        """An officer changes cells in Excel and saves: the appendix changes, the Change log does not."""
        self.appendix = self.appendix.with_row(self.appendix.rows[ref].with_values(changes))

    def open_in_excel(self, user: str, since: datetime | None = None) -> None:
        """Excel has the workbook open (its owner file is there): nothing may be written to it."""
        self.owner_file = OwnerFile(MEMORY_WORKBOOK.with_name(f"~${MEMORY_WORKBOOK.name}"), user,
                                    since or datetime.now(UTC))

    def close_in_excel(self) -> None:
        self.owner_file = None

    def close(self) -> None:
        """The journal's database goes with its last connection."""
        self.journal.close()


class MemoryWriter:
    """Plans applied to a copy of the appendix, by the cell addresses they name; Change log rows kept."""

    def __init__(self, appendix: Appendix):
        self.appendix = appendix
        self.log_rows: list[LogRow] = []

    def apply(self, plan: Plan) -> None:
        row = self.appendix.rows[plan.entry.ref]
        columns = {self.appendix.locate(row.ref, column): column for column in self.appendix.header.columns}
        self.appendix = self.appendix.with_row(row.with_values(
            {columns[address]: value for address, value in plan.edits.items()}))
        self.log_rows += plan.log_rows

    def finish(self, mark: Mark | None = None) -> None:
        """Nothing but the mark: the unit of work's `finish` keeps what was written."""
        mark_first(mark)


class MemoryUnitOfWork(AbstractUnitOfWork):
    """`AbstractUnitOfWork` on a `MemoryWorkbook`: the lock is a thread lock, the save a swap of objects."""

    def __init__(self, book: MemoryWorkbook, lock_timeout: float | None = None,
                 busy_timeout: float = j.BUSY_TIMEOUT_SECONDS, clock: Clock | None = None):
        # One journal for the whole memory workbook: it stamps its rows with the clock it was made with
        # (the system clock), not each unit of work's.
        self.book = book
        self._lock_timeout = 120.0 if lock_timeout is None else lock_timeout
        self._session = None

    @property
    def journal(self) -> j.Journal:
        return self.book.journal

    def has_journal(self) -> bool:
        return True

    def __enter__(self) -> MemoryUnitOfWork:
        if not self.book.lock.acquire(timeout=self._lock_timeout):
            raise Timeout("memory workbook")
        self._session = self.journal.session()
        self._session.__enter__()
        return self

    def __exit__(self, kind, error, trace) -> None:
        try:
            self._session.__exit__(kind, error, trace)
        finally:
            self._session = None
            self.book.lock.release()

    def appendix(self) -> Appendix:
        return self.book.appendix

    def change_log(self, since: int | None = None) -> list[LogRow]:
        return [row for row in self.book.change_log if since is None or row.when.year >= since]

    def owner(self) -> OwnerFile | None:
        return self.book.owner_file

    def writer(self) -> MemoryWriter:
        return MemoryWriter(self.book.appendix)

    def finish(self, writer: MemoryWriter, mark: Mark | None = None) -> None:
        writer.finish(mark)
        self.book.appendix = writer.appendix
        self.book.change_log += writer.log_rows
        self.book.saves += 1
