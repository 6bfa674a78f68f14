"""The edit of one update costs less CPU (issue 18: an update at an empty log within 5x the floor), each cut
checked by what it does (counted, never timed) and by what it writes: the same bytes as without it."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

import sli
from shared import reader
from shared.xlsx import package as package_module
from shared.xlsx import rows as rows_module
from shared.xlsx.bounded import Bounded

try:
    from shared.xlsx import frames
except ImportError:  # pragma: no cover - main has no kept frames before issue 18
    frames = None

MAIN_PART = "xl/worksheets/sheet1.xml"
LONG = "Agree the audit with the midwives and the obstetric leads, then report to the board " * 2


def _update(workbook: Path, ref: str, text: str) -> bytes:
    reader._cache.clear()
    assert sli.main(["update", ref, "--next", text, "--by", "Helen Lowey", "--workbook", str(workbook)]) == sli.EXIT_OK
    with zipfile.ZipFile(workbook) as book:
        return book.read(MAIN_PART)


def test_an_edit_parses_only_its_rows_once_the_frame_is_kept_and_estimates_them_once(
        workbook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first update parses Appendix 1 with only the edited row in its cell data (its frame, widths and merged
    cells, is made then and kept); the next ones parse only the root's start tag and the rows edited (main parsed
    the whole frame at each update), and estimate an edited row's height once, after the edit, unless an officer
    marked it custom (main: before and after). Each sheet written is byte for byte the one written with nothing
    kept."""
    fresh = shutil.copytree(workbook.parent, tmp_path / "fresh") / workbook.name
    if frames is not None:
        monkeypatch.setattr(frames, "_kept", Bounded(4))  # nothing kept yet
    whole_frames: list[int] = []
    real_with_only = rows_module.RowRanges.sheet_with_only

    def with_only(self, numbers):
        whole_frames.append(1)
        return real_with_only(self, numbers)

    monkeypatch.setattr(rows_module.RowRanges, "sheet_with_only", with_only)
    estimates: list[int] = []
    real_estimate = package_module.Package._estimate_height

    def estimate(self, row, layout, known=None):
        if row.getparent() is not None:  # a row of a sheet (the log's new row is estimated on its own)
            estimates.append(int(row.get("r")))
        return real_estimate(self, row, layout, known)

    monkeypatch.setattr(package_module.Package, "_estimate_height", estimate)
    steps = [("L7", LONG), ("L8", "Share the audit"), ("L7", "Report to the board " * 4)]
    written = []
    for ref, text in steps:
        estimates.clear()
        written.append(_update(workbook, ref, text))
        assert len(estimates) == 1, estimates
    assert len(whole_frames) == 1

    if frames is not None:
        monkeypatch.setattr(frames, "KEEP_BYTES", -1)  # nothing kept: the frame parsed at each update
    assert [_update(fresh, ref, text) for ref, text in steps] == written
    assert len(whole_frames) == 4
