"""What an edit needs of Appendix 1 besides its rows (column widths and styles, merged cells) is kept from one
update to the next while the bytes around the rows are the same (issue 18: the fixed cost of an update); an
officer who changes a column's width saves other bytes, and the rows are sized for it, as without anything kept."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

import sli
from shared import reader
from shared.domain import schema as s
from shared.domain.bounded import Bounded
from shared.xlsx import heights
from shared.xlsx.ooxml import M

try:
    from shared.xlsx import frames
except ImportError:  # main keeps nothing: the counts below tell
    frames = None

MAIN_PART = "xl/worksheets/sheet1.xml"


@pytest.fixture
def layouts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Each `Layout` made for a sheet with rows, as an edit of cells makes (the Change log's appended rows are
    sized by its sheet without them), a spy: it is made as it is; nothing kept at the start."""
    made: list[int] = []
    real = heights.Layout.__init__

    def counting(self, root):
        data = root.find(f"{M}sheetData")
        if data is not None and len(data):
            made.append(1)
        real(self, root)

    monkeypatch.setattr(heights.Layout, "__init__", counting)
    if frames is not None:
        monkeypatch.setattr(frames, "_kept", Bounded(4))  # nothing kept yet
    return made


def _update(workbook: Path, ref: str, text: str) -> bytes:
    reader._cache.clear()
    assert sli.main(["update", ref, "--next", text, "--by", "Helen Lowey", "--workbook", str(workbook)]) == sli.EXIT_OK
    with zipfile.ZipFile(workbook) as book:
        return book.read(MAIN_PART)


def _officer_narrows_the_next_steps_column(workbook: Path) -> None:
    """An officer makes Next steps narrow in a spreadsheet program (openpyxl stands in): rows need more lines."""
    book = openpyxl.load_workbook(workbook)
    sheet = book[s.MAIN_SHEET]
    header = next(row for row in sheet.iter_rows(max_row=10) if any(c.value == s.REF for c in row))
    letter = next(c.column_letter for c in header if c.value == s.NEXT_STEPS)
    sheet.column_dimensions[letter].width = 12
    book.save(workbook)


def test_updates_reuse_the_sheet_frame_and_write_what_is_written_without_it(
        workbook: Path, tmp_path: Path, layouts: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    """Two updates make one `Layout` (main: one per update); after an officer narrows a column the next update
    makes a new one, and each sheet written is byte for byte the one written with nothing kept."""
    fresh = shutil.copytree(workbook.parent, tmp_path / "fresh") / workbook.name
    text = "Agree the audit with the midwives and the obstetric leads, then report to the board " * 2
    steps = [("L7", text), ("L8", "Share the audit"), ("L7", "Report to the board " * 4)]
    written = [_update(workbook, *steps[0]), _update(workbook, *steps[1])]
    assert len(layouts) == 1
    _officer_narrows_the_next_steps_column(workbook)
    written.append(_update(workbook, *steps[2]))
    assert len(layouts) == 2

    if frames is not None:
        monkeypatch.setattr(frames, "KEEP_BYTES", -1)  # nothing kept: made at each update
    ours = [_update(fresh, *steps[0]), _update(fresh, *steps[1])]
    _officer_narrows_the_next_steps_column(fresh)
    ours.append(_update(fresh, *steps[2]))
    assert ours == written
    assert len(layouts) == 5
