"""Two workbooks to make annual reports from, through the command line, as an officer would.

- The first hour: the committed workbook, and one update through `sli update`: L7, Off track, is put On
  track. That update is the journal's first record, so L7 was Off track until the first record (issue 20).
- A year: the committed workbook with a year of status changes (last calendar year, so the report covers
  all twelve months whatever today's date) in its journal, consistent with the workbook's statuses now.
  The write path stamps updates with the real clock, so a past year is put into the journal's own schema
  with SQL (`test_trend.add_history`).
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from conftest import COMMITTED_WORKBOOK
from test_trend import add_history

import sli
from shared.domain import schema as s
from shared.uow import Store

THIS_YEAR = datetime.now(UTC).year
LAST_YEAR = THIS_YEAR - 1
#: (month, day, ref, old status, new status) in LAST_YEAR: they end at the committed workbook's statuses.
MOVES = [
    (1, 14, "L1", s.NOT_STARTED, s.ON_TRACK), (2, 3, "L3", s.NOT_STARTED, s.COMPLETE),
    (2, 24, "L9", s.NOT_STARTED, s.ON_TRACK), (3, 10, "L7", s.ON_TRACK, s.AT_RISK),
    (4, 21, "L13", s.ON_TRACK, s.COMPLETE), (5, 6, "L10", s.ON_TRACK, s.AT_RISK),
    (6, 2, "L18", s.AT_RISK, s.OFF_TRACK), (6, 15, "L7", s.AT_RISK, s.OFF_TRACK),
    (7, 7, "L14", s.ON_TRACK, s.AT_RISK), (7, 21, "L22", s.ON_TRACK, s.COMPLETE),
    (8, 11, "L19", s.ON_TRACK, s.AT_RISK), (8, 26, "L16", s.AT_RISK, s.COMPLETE),
    (9, 8, "L2", s.ON_TRACK, s.AT_RISK), (9, 22, "L4", s.ON_TRACK, s.COMPLETE),
    (10, 20, "L5", s.ON_TRACK, s.AT_RISK),
]


def copy_of_committed(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "Appendix1.xlsx"
    shutil.copy2(COMMITTED_WORKBOOK, target)
    return target


def first_hour(workbook: Path) -> int:
    """The first update ever recorded puts L7 (Off track) On track; the report is for this year."""
    assert sli.main(["update", "7", "--status", s.ON_TRACK, "--by", "Joanne Whitworth",
                     "--workbook", str(workbook)]) == sli.EXIT_OK
    return THIS_YEAR


def a_year(workbook: Path) -> int:
    """A year of status changes, recorded from mid-December the year before; the report is for that year."""
    history = [(f"{LAST_YEAR - 1}-12-15T11:00:00", "L8", {s.NEXT_STEPS: ["Scope the pathway", "Scope the healthy "
                                                                         "weight pathway with ELHT dietetics"]},
                "Hannah Fielding")]
    history += [(f"{LAST_YEAR}-{month:02d}-{day:02d}T10:00:00", ref, {s.STATUS: [old, new]}, "Karen Hartley")
                for month, day, ref, old, new in MOVES]
    add_history(Store.for_workbook(workbook), history)
    return LAST_YEAR


def report(workbook: Path, year: int, fmt: str, output: Path, board: str | None = None) -> Path:
    """`sli report` for `year` in `fmt` (a board's paper with `board`), through the command line."""
    assert sli.main(["report", "--year", str(year), "--format", fmt, "--output", str(output),
                     "--workbook", str(workbook), *(["--for", board] if board else [])]) == sli.EXIT_OK
    return output
