"""The package writer's `apply` costs less CPU (issue 18: an update at an empty log within 5x the floor), each cut
checked by what it does (counted, never timed) and by what it writes: the same bytes as without it."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

import sli
from shared import reader
from shared.domain import schema as s
from shared.domain.logrow import LogRow
from shared.xlsx import package as package_module
from shared.xlsx.package import Package


def _update(workbook: Path, ref: str, text: str) -> None:
    reader._cache.clear()
    assert sli.main(["update", ref, "--next", text, "--by", "Helen Lowey", "--workbook", str(workbook)]) == sli.EXIT_OK


def _first_rows_read(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Each time a package cuts a sheet's first rows from its first bytes (sheet, rows searched)."""
    read: list[tuple[str, int]] = []
    real = Package._first_rows_xml

    def counting(self, sheet_name, search_rows, size=package_module.PREFIX):
        read.append((sheet_name, search_rows))
        return real(self, sheet_name, search_rows, size)

    monkeypatch.setattr(Package, "_first_rows_xml", counting)
    return read


def test_an_update_cuts_the_logs_first_rows_once_for_its_three_header_lookups(
        workbook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An update asks for the Change log's header three times (the rows' columns, their year, the filing): the
    first finds it in the log's first row, and the others are answered from it (main cut the first rows from the
    log's first bytes and keyed them at each of the three)."""
    _update(workbook, "L7", "Warm the process")
    read = _first_rows_read(monkeypatch)
    _update(workbook, "L8", "One lookup")
    assert read == [(s.LOG_SHEET, 20)]


def test_a_header_in_the_first_row_answers_any_of_its_names_as_a_fresh_lookup_does(workbook: Path) -> None:
    """The columns a package gives for some of the header's names after finding the whole header are those a
    package that looked for those names alone gives; an edit of the sheet's cells makes it look again."""
    _update(workbook, "L7", "A log row")
    package = Package(workbook)
    try:
        whole = package.header_columns(s.LOG_SHEET, LogRow.HEADER)
        some = package.header_columns(s.LOG_SHEET, ("when (utc)", "Update  ID"))
        some["When (UTC)"] = 99  # the caller's own dict: the next answer is not changed by it
        again = package.header_columns(s.LOG_SHEET, ("when (utc)", "Update  ID"))
    finally:
        package.close()
    fresh = Package(workbook)
    try:
        alone = fresh.header_columns(s.LOG_SHEET, ("when (utc)", "Update  ID"))
    finally:
        fresh.close()
    assert again == alone == {"when (utc)": whole["When (UTC)"], "Update  ID": whole["Update ID"]}
    assert list(again) == ["when (utc)", "Update  ID"]

    package = Package(workbook)
    try:
        package.header_columns(s.LOG_SHEET, LogRow.HEADER)
        package.edit_cells(s.LOG_SHEET, {"A1": "Time", "B1": "When (UTC)"})
        assert package.header_columns(s.LOG_SHEET, ("When (UTC)",)) == {"When (UTC)": 2}
        with pytest.raises(package_module.PackageError):
            package.header_columns(s.LOG_SHEET, LogRow.HEADER)
    finally:
        package.close()
    with zipfile.ZipFile(workbook) as book:
        assert book.testzip() is None
