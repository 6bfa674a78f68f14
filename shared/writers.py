"""One writer interface, two writers: the same `Plan` written into the .xlsx file (a surgical patch of
its package) or into the workbook open in Excel (through xlwings' remote book, for the add-in).

Both place Change log rows by the log's header text (officers insert columns there too): each row is a
`shared.domain.logrow.LogRow`, which alone knows the columns.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from shared.as_written import appendix_as_written
from shared.domain import schema as s
from shared.domain.logrow import LogRow
from shared.domain.model import Appendix, Sheet
from shared.domain.update import Plan
from shared.reader import appendix_as_saved, cached_appendix, remember_appendix
from shared.xlsx import CellValue, Package, PackageError, file_log_years, needs_quote_prefix, save_atomically
from shared.xlsx.save import fresh_temporary
from shared.xlsx.syncing import before_replacing

#: How the add-in formats the Change log's time column in the open workbook.
LOG_TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"


#: An update's `writing` mark: committed when called, it hands back the sync that makes it durable (or None).
#: Whatever a writer replaces, the mark is durable first (`WorkbookWriter.finish`).
Mark = Callable[[], Callable[[], object] | None]


class WorkbookWriter(Protocol):
    """Writes plans into a workbook; `finish` makes them last (saves the file, or nothing for Excel,
    whose officer saves), with `mark` (if given) durable before anything is replaced."""

    def apply(self, plan: Plan) -> None: ...

    def finish(self, mark: Mark | None = None) -> None: ...


def mark_first(mark: Mark | None) -> None:
    """Commit `mark` and wait for its sync: what a writer that cannot overlap it with its own save does first."""
    if mark is not None and (sync := mark()) is not None:
        sync()


class PackageWriter:
    """The workbook file: changed cells and new Change log rows patched into the package, every other
    part kept as it was, then saved atomically (temporary file, fsync, backup, rename). Before its first
    Change log rows it files the log's earlier years on sheets of their own (`_file_log_years`)."""

    def __init__(self, workbook: Path, backup_dir: Path | None, keep_backups: int, owner_name: str = "",
                 planned_on: tuple[int, int, int] | None = None, planned_from: Appendix | None = None):
        """`planned_on`: the file's identity (`shared.reader.file_identity`) when the plan's values were read.
        A file saved since (by Excel, between the read and this open) is not written onto: the plan's conflict
        check saw the earlier save, so PackageError, nothing written, and the next pass plans again.
        `planned_from`: the Appendix 1 read with that identity (the unit of work's), which is then the file
        opened's: not looked for in the read cache again (a stat)."""
        self.workbook = workbook if isinstance(workbook, Path) else Path(workbook)  # a Path's copy is not free
        self.backup_dir, self.keep_backups = backup_dir, keep_backups
        self.owner_name = owner_name  # who this process writes as, named if it may not
        self.package = Package(self.workbook)
        if planned_on is not None and self.package.opened_as() != planned_on:
            self.package.close()
            raise PackageError(f"The workbook {self.workbook} was saved by someone else while this update was "
                               "being checked, so it was not written (their changes are kept); it will be "
                               "checked again against their save")
        self._write_ahead()
        self._log_filed = False
        #: Appendix 1 as read from the file opened (the cache's, for this very save), and the cells each plan
        #: wrote into it: what `finish` derives the save's Appendix 1 from, parsing nothing.
        self._read_as = planned_from if planned_on is not None and planned_from is not None else \
            cached_appendix(self.workbook, self.package.opened_as())
        self._edits: list[dict[str, CellValue]] = []

    def _write_ahead(self) -> None:
        """Begin the new file now with every part a plan does not edit, written and flushed by another thread
        while the plans are applied (`ZipParts.write_ahead`): for a long history most of a save's cost. Only
        when those parts are worth it; a folder where no file can be made now is left to the save to report."""
        edited, maybe = self.package.edited_by_updates((s.MAIN_SHEET, s.LOG_SHEET))
        with contextlib.suppress(OSError):
            self.package.write_ahead(lambda: fresh_temporary(self.workbook), edited, maybe)

    def apply(self, plan: Plan) -> None:
        """Patch `plan` into the package. A plan that cannot be written (a formula in a target cell) ends the
        writer: the file begun ahead is removed and the old one let go of (nothing is saved after it)."""
        try:
            if plan.edits:
                self.package.edit_cells(s.MAIN_SHEET, plan.edits)
                self._edits.append(dict(plan.edits))
            if plan.log_rows:
                columns = self.package.header_columns(s.LOG_SHEET, LogRow.HEADER)
                rows = [row.to_sheet_row(columns) for row in plan.log_rows]
                self._file_log_years(rows)
                self.package.append_rows(s.LOG_SHEET, rows)
        except BaseException:
            self.package.close()
            raise

    def _file_log_years(self, rows: Sequence[Mapping[int, CellValue]]) -> None:
        """Once per save, before the first rows are logged: the Change log's rows of years before theirs
        move to their years' sheets, so the sheet every update rewrites holds one year at most."""
        if not self._log_filed:
            self._log_filed = True
            file_log_years(self.package, rows)

    def finish(self, mark: Mark | None = None) -> None:
        """Save, then fill the read cache with Appendix 1 as saved, so the status asked right after an update
        does not parse the new file back. `mark` is committed once the new file is written, and synced by
        this thread while a second syncs the file (`before_replacing`): the two waits for the disk overlap,
        and both end before the rename; a save that fails before its sync never marks (nothing was replaced).
        The cache holds the Appendix the plans were made from with the cells they wrote
        (`appendix_as_written`, a fraction of a millisecond, parsing nothing), or where that is not certain the
        package it wrote, parsed from the parts in memory (those already inflated not inflated again) while
        the disk syncs the new file. It is derived while the disk syncs the new file, and put in the cache once
        the folder is synced after the rename (the file at the path is then the one it describes)."""
        saved: list[Appendix | None] = [None]

        def while_file_syncs() -> None:
            saved[0] = self._as_written()
            if saved[0] is not None:
                return
            parts = self.package.parts
            try:
                saved[0] = appendix_as_saved(self.workbook, self.package.archive, self.package.changed,
                                             {name: parts[name] for name in parts.inflated()})
            except Exception:  # noqa: BLE001 - only the cache's: the next read reads the file instead
                saved[0] = None

        def once_replaced(written: tuple[int, int, int]) -> None:
            remember_appendix(self.workbook, saved[0], written)

        try:
            with before_replacing(mark) as marked:
                save_atomically(self.package, self.workbook, self.backup_dir, self.keep_backups,
                                user=self.owner_name, while_syncing=while_file_syncs, once_replaced=once_replaced)
        finally:
            self.package.close()
        if mark is not None and not marked.ran:  # a save that made no sync (none does today): marked late
            mark_first(mark)

    def _as_written(self) -> Appendix | None:
        """Appendix 1 as this save holds it, from the read of the file opened and the cells written; None
        where that is not certain or no read of that file is in hand."""
        if self._read_as is None:
            return None
        try:
            return appendix_as_written(self._read_as, self._edits, self.workbook)
        except Exception:  # noqa: BLE001 - only the cache's: the save is parsed instead
            return None


def excel_value(value: object) -> object:
    """A value to write into an open workbook's cell: text Excel would convert gets the quote prefix (a
    leading apostrophe, which Excel and Office.js take as "this is text" and do not show)."""
    if isinstance(value, str) and needs_quote_prefix(value):
        return "'" + value
    return value


class OpenBookWriter:
    """The workbook open in Excel, as xlwings' book (remote engine): the same plans, as cell values.
    `log` is the Change log sheet as read from the book; an empty one gets the header first."""

    def __init__(self, book: Any, log: Sheet):
        self.book = book
        self._log = log
        self._log_rows: list[LogRow] = []

    def _log_layout(self, log: Sheet) -> tuple[int, Mapping[str, int]]:
        """The first free row of the Change log and each log column's 0-based sheet column."""
        if all(v in (None, "") for row in log.grid for v in row):
            self.book.sheets[s.LOG_SHEET]["A1"].value = [list(LogRow.HEADER)]
            return 2, {name: index for index, name in enumerate(LogRow.HEADER)}
        header = s.find_header([list(row) for row in log.grid], LogRow.HEADER, s.LOG_SHEET)
        return log.origin[0] + len(log.grid) + 1, {name: log.origin[1] + col for name, col in header.columns.items()}

    def apply(self, plan: Plan) -> None:
        main = self.book.sheets[s.MAIN_SHEET]
        for address, value in plan.edits.items():
            main[address].value = excel_value(value)
        self._log_rows.extend(plan.log_rows)

    def finish(self, mark: Mark | None = None) -> None:
        """Write the Change log rows of every plan at once; the officer saves the workbook, and the journal
        counts the updates as applied once the saved file holds them."""
        mark_first(mark)
        self._append_log(self._log_rows)
        self._log_rows = []

    def _append_log(self, log_rows: Sequence[LogRow]) -> None:
        if not log_rows:
            return
        first, columns = self._log_layout(self._log)
        self._columns = columns
        width = max(self._columns.values()) + 1
        rows = []
        for log_row in log_rows:
            row: list[object] = [None] * width
            for column, value in log_row.to_sheet_row(self._columns).items():
                row[column] = excel_value(value)
            rows.append(row)
        sheet = self.book.sheets[s.LOG_SHEET]
        sheet[f"A{first}"].value = rows
        when = s.column_letter(self._columns[LogRow.header_of("when")])
        sheet.range(f"{when}{first}:{when}{first + len(rows) - 1}").number_format = LOG_TIME_FORMAT
