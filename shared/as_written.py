"""Appendix 1 as a writer's own save holds it, worked out without reading the save back: the Appendix the
plans were made from (the cached read of the file the writer opened) with the cells the plans wrote, each
value as a read of the saved file gives it (`shared.reader`: python-calamine, then `recommendations`).

Pure: no file is opened. Where the outcome of a read is not certain from what is in hand, the answer is None
and the writer parses its save as before (`shared.reader.appendix_as_saved`), so a status asked right after
an update is as right as a fresh read, only not always as cheap:
- a date written into a cell not read as a date before (its style's number format is unknown here: a read
  could give a number), or a date before March 1900 (Excel's calendar differs there), or a date with a time;
- text holding an Excel escape such as `_x0041_` (a read turns it into another character);
- any other kind of value (numbers, booleans), a cell outside the sheet's read range or in its header rows;
- an edit that empties the last value of the read range's first or last row or column (the range shrinks).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from types import MappingProxyType

from shared.domain import schema as s
from shared.domain.model import Appendix, Recommendation, Sheet
from shared.domain.values import plain_newlines
from shared.reader import recommendation, recommendations

#: Text a read would not give back as written: calamine decodes Excel's `_xHHHH_` escapes.
_ESCAPE = re.compile(r"_x[0-9A-Fa-f]{4}_", re.IGNORECASE)
#: The first day whose serial means the same day to every reader (Excel counts a 29 February 1900).
_FIRST_SAFE_DAY = date(1900, 3, 1)
#: What a read gives for a cell with nothing in it.
_EMPTY = ""


class _Unsure(Exception):
    """A written value whose read-back is not certain: the writer parses its save instead."""


def _as_read(value: object, before: object) -> object:
    """What a read of the saved file gives for a cell `fill_cell` wrote `value` into, the cell having read as
    `before` (the same style: writing a date keeps the cell's style, so its number format)."""
    if value is None or value == "":
        return _EMPTY
    if type(value) is str:
        if _ESCAPE.search(value):
            raise _Unsure
        return plain_newlines(value)
    if type(value) is date and isinstance(before, date) and value >= _FIRST_SAFE_DAY:
        return value  # a whole day's serial in a cell read as a date before: read as that day
    raise _Unsure


def _shrinks(before: Sequence[Sequence[object]], after: Sequence[Sequence[object]]) -> bool:
    """Whether a boundary row or column of the read range held a value before and holds none after."""
    if not before or not before[0]:
        return True

    def empty(line: Sequence[object]) -> bool:
        return all(v == _EMPTY for v in line)

    lines = [(before[0], after[0]), (before[-1], after[-1]),
             ([r[0] for r in before], [r[0] for r in after]), ([r[-1] for r in before], [r[-1] for r in after])]
    return any(empty(new) and not empty(old) for old, new in lines)


def appendix_as_written(base: Appendix, edits: Sequence[Mapping[str, object]], path: Path) -> Appendix | None:
    """`base` (Appendix 1 as read from the file the writer opened) with the main sheet's cell `edits` of each
    plan applied in order (address -> value, as `Package.edit_cells` wrote them): the Appendix a fresh read
    of the saved file gives, or None where that is not certain (see the module's docstring).

    Only the rows edited are copied (the others are the base's own tuples, shared: the model is frozen), and
    the read range is only checked for shrinking when an edit emptied a cell: a line of the range can only
    lose its last value to an edit that empties one of its cells."""
    before = base.sheet.grid
    grid: list = list(before)
    top, left = base.sheet.origin
    header_row, ref_column = base.header.row, base.header.columns.get(s.REF)
    touched: set[int] = set()  # grid indices of the rows edited
    ref_edited = emptied = False
    try:
        for plan_edits in edits:
            for address, value in plan_edits.items():
                column, number = s.split_address(address)
                r, c = number - 1 - top, column - 1 - left
                if not (header_row < r < len(grid) and 0 <= c < len(grid[r])):
                    return None
                if r not in touched:
                    grid[r] = list(grid[r])
                    touched.add(r)
                grid[r][c] = read = _as_read(value, grid[r][c])
                emptied = emptied or read == _EMPTY
                ref_edited = ref_edited or c == ref_column
    except (_Unsure, ValueError):
        return None
    if emptied or not before or not before[0]:
        if _shrinks(before, grid):
            return None
    sheet = Sheet(base.sheet.name, grid, base.sheet.origin)
    return replace(base, path=path if isinstance(path, Path) else Path(path), sheet=sheet,
                   rows=_rows(sheet, base, touched, ref_edited))


def _rows(sheet: Sheet, base: Appendix, touched: set[int], ref_edited: bool) -> Mapping[str, Recommendation]:
    """The recommendations of the edited `sheet`: the rows edited (`touched`, grid indices) read again, the
    others kept; all read again when a Ref was edited (which row is a ref's first may then change)."""
    if ref_edited:
        return recommendations(sheet, base.header)
    rows = dict(base.rows)
    for index in sorted(touched):
        row = recommendation(sheet, base.header, index)
        if row is not None and row.ref in rows and rows[row.ref].sheet_row == row.sheet_row:
            rows[row.ref] = row
    return MappingProxyType(rows)  # a copy of its own already: the Appendix holds it without copying it again

