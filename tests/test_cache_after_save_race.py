"""The read cache a writer fills after its own save is keyed by the file IT put in place, not by whatever is at
the path when it gets round to it: an officer's save (Excel on the file server) that lands between the rename
and the cache fill (the folder's fsync sits between them, slow on a network share) is read, not hidden behind
the writer's own Appendix until the next update."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import openpyxl
import pytest

import sli
from shared import reader
from shared.domain import schema as s


def _officer_saves(book: Path, ref: str, text: str) -> None:
    """Excel's save: another file written beside the workbook and renamed onto it."""
    wb = openpyxl.load_workbook(book)
    sheet = wb[s.MAIN_SHEET]
    header = next(r for r in sheet.iter_rows(max_row=10) if any(c.value == s.REF for c in r))
    columns = {c.value: c.column for c in header}
    for row in sheet.iter_rows(min_row=header[0].row + 1):
        if row[columns[s.REF] - 1].value == ref:
            sheet.cell(row[0].row, columns[s.NEXT_STEPS], text)
    other = book.with_name("officer-save.xlsx")
    wb.save(other)
    os.replace(other, book)


def test_an_officers_save_just_after_the_rename_is_not_hidden_by_the_writers_cache(
        workbook: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    args = ["--workbook", str(workbook)]
    assert sli.main(["status", "9", *args]) == sli.EXIT_OK
    capsys.readouterr()
    before = reader.file_identity(workbook)
    folder = os.stat(workbook.parent)
    fsync = os.fsync
    fired = []

    def fsync_then_officer_saves(fd: int) -> None:
        fsync(fd)
        info = os.fstat(fd)
        if (not fired and stat.S_ISDIR(info.st_mode) and os.path.samestat(info, folder)
                and reader.file_identity(workbook) != before):
            fired.append(True)  # the writer's file is in place: the officer saves now
            _officer_saves(workbook, "L9", "Officer typed this in Excel")

    monkeypatch.setattr(os, "fsync", fsync_then_officer_saves)
    assert sli.main(["update", "7", "--next", "Agree the audit plan", "--by", "Helen Lowey", *args]) == sli.EXIT_OK
    monkeypatch.setattr(os, "fsync", fsync)
    assert fired
    capsys.readouterr()
    assert sli.main(["status", "9", *args]) == sli.EXIT_OK
    assert "Officer typed this in Excel" in capsys.readouterr().out
    cached = reader.read_appendix(workbook)
    reader._cache.clear()
    fresh = reader.read_appendix(workbook)
    assert {r: row.values for r, row in cached.rows.items()} == {r: row.values for r, row in fresh.rows.items()}
