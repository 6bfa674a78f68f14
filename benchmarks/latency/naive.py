"""The naive way an update could be written: openpyxl loads the whole workbook, edits one cell, appends one
Change log row, and saves, through the same temporary file, fsync, rename and folder fsync as ours
(`timing.durable_replace`), so the comparison is of the work, not of durability skipped."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from latency.timing import durable_replace
from shared.domain import schema as s


def naive_update(workbook: Path, n: int) -> None:
    """One update the naive way, replacing `workbook` (a copy of its own: it becomes an openpyxl file)."""
    import openpyxl

    book = openpyxl.load_workbook(workbook)
    book[s.MAIN_SHEET].cell(4 + n % 22, 8).value = f"Naive step {n}"
    book[s.LOG_SHEET].append([datetime.now(), f"L{1 + n % 22}", s.NEXT_STEPS, "", f"Naive step {n}", "Bench Mark",
                              s.VIA_CLI, f"naive{n:08d}"])
    durable_replace(book.save, workbook)
