"""Fixtures shared by the tests: a private copy of the committed workbook for each test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMMITTED_WORKBOOK = ROOT / "workbook" / "Appendix1.xlsx"


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    """A copy of the committed Appendix 1 in a folder of its own (journal, lock and backups go beside it)."""
    folder = tmp_path / "book"
    folder.mkdir()
    target = folder / "Appendix1.xlsx"
    shutil.copy2(COMMITTED_WORKBOOK, target)
    return target
