"""An update's patch does the least: the log's header is found once per update, and the rows of Appendix 1 it
does not change are copied as the bytes they were, not re-serialised."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree

import sli
from shared.domain import schema as s
from shared.domain.bounded import Bounded
from shared.reader import read_appendix
from shared.xlsx import headers
from shared.xlsx import package as package_module

MAIN_PART = "xl/worksheets/sheet1.xml"


def _rewrite_part(path: Path, name: str, change) -> None:
    with zipfile.ZipFile(path) as source:
        parts = [(info, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in parts:
            target.writestr(info, change(data) if info.filename == name else data)


def _rows(data: bytes) -> dict[int, bytes]:
    """Each row's XML as written, by number (the test's own cut: a row runs to its `</row>`)."""
    return {int(m.group(1)): m.group(0) for m in re.finditer(rb"<row r=['\"](\d+)['\"].*?</row>", data, re.S)}


def test_an_update_copies_the_rows_it_does_not_change_as_they_were_written(workbook: Path) -> None:
    """Another program writes XML its own way (here single-quoted row numbers and a character reference, as
    lxml would never write them): every row the update does not touch keeps those bytes."""
    def other_program(data: bytes) -> bytes:
        data = re.sub(rb'<row r="(\d+)"', rb"<row r='\1'", data)
        return data.replace(b"Appendix 1 - Sector", b"Appendix 1 &#45; Sector", 1)
    _rewrite_part(workbook, MAIN_PART, other_program)
    with zipfile.ZipFile(workbook) as archive:
        before = archive.read(MAIN_PART)
    l7 = read_appendix(workbook).rows["L7"].sheet_row
    assert sli.main(["update", "L7", "--next", "Agree the audit with the midwives", "--by", "Helen Lowey",
                     "--workbook", str(workbook)]) == sli.EXIT_OK
    with zipfile.ZipFile(workbook) as archive:
        after = archive.read(MAIN_PART)
    old_rows, new_rows = _rows(before), _rows(after)
    assert old_rows.keys() == new_rows.keys() and len(old_rows) > 20
    assert {n: row for n, row in new_rows.items() if n != l7} == {n: row for n, row in old_rows.items() if n != l7}
    assert b"Agree the audit with the midwives" in new_rows[l7] and new_rows[l7] != old_rows[l7]
    assert after[:after.find(b"<sheetData>")] == before[:before.find(b"<sheetData>")]
    assert after[after.rfind(b"</sheetData>"):] == before[before.rfind(b"</sheetData>"):]
    appendix = read_appendix(workbook)
    assert appendix.rows["L7"].values[s.NEXT_STEPS] == "Agree the audit with the midwives"
    assert appendix.sheet.grid[0][0].startswith("Appendix 1 - Sector")


class _CountingLxml:
    """lxml's etree with `fromstring` counted when it parses a sheet's first rows to find a header."""

    def __init__(self) -> None:
        self.header_parses = 0

    def __getattr__(self, name: str):
        return getattr(etree, name)

    def fromstring(self, text, *args, **kwargs):
        if isinstance(text, bytes) and text.startswith(b"<sheetData xmlns="):
            self.header_parses += 1
        return etree.fromstring(text, *args, **kwargs)


def test_an_update_finds_the_change_logs_header_once(workbook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    counting = _CountingLxml()
    monkeypatch.setattr(package_module, "etree", counting)
    monkeypatch.setattr(headers, "_found", Bounded(8))  # no header kept from earlier tests' updates
    assert sli.main(["update", "L7", "--next", "Agree the audit", "--by", "Helen Lowey",
                     "--workbook", str(workbook)]) == sli.EXIT_OK
    assert counting.header_parses == 1
    assert read_appendix(workbook).rows["L7"].values[s.NEXT_STEPS] == "Agree the audit"
