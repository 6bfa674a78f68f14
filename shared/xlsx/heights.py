"""Row heights: how tall a row must be to show its wrapped text, and when a height is an officer's own.

LibreOffice never grows a row for wrapped text when it opens a file, and a printed Appendix 1 must show
every word: so the write path sets the heights its text needs, and leaves a height set by hand alone.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Hashable, Mapping, Sequence

from lxml import etree

from shared.domain.bounded import Bounded
from shared.domain.schema import split_address
from shared.xlsx.ooxml import M

#: Row heights. Excel gives a line of its 11 pt default font a 15 pt row, and a column's width counts
#: digits of that font. The estimate takes every character to be as wide as a digit (most letters are
#: narrower) and wraps word by word, so it is generous: text fits in Excel, and in LibreOffice (which
#: never grows a row for wrapped text when it opens a file, and draws Calibri with a substitute).
DEFAULT_FONT_SIZE = 11.0
DEFAULT_COLUMN_WIDTH = 8.43
DEFAULT_ROW_HEIGHT = 15.0
_LINE_HEIGHT = 15.0 / 11.0
#: Excel's largest row height, in points ("Excel specifications and limits"). A taller `ht` (a long text
#: of many lines needs thousands) is outside what Excel can show or set, and readers disagree about it;
#: a row this tall shows its first 27 lines of 11 pt text, and the whole text is in the cell.
MAX_ROW_HEIGHT = 409.0


#: Texts up to this long have their line counts kept (`text_lines`); at most `_KEPT_LINES` of them.
_KEEP_TEXT = 2048
_KEPT_LINES = 512


def text_lines(text: str, width: float, font_size: float = DEFAULT_FONT_SIZE) -> int:
    """How many lines `text` takes in a wrapping cell `width` characters wide (Excel's column unit) at
    `font_size`, wrapped word by word as Excel and LibreOffice do; a word longer than a line is broken. Kept for
    the texts last measured (a function of its arguments alone): an update sizes rows whose other cells' texts
    are the ones the last updates measured."""
    if len(text) <= _KEEP_TEXT:
        return _kept_lines(text, width, font_size)
    return _lines(text, width, font_size)


def _lines(text: str, width: float, font_size: float) -> int:
    capacity = max(1, int(width * DEFAULT_FONT_SIZE / font_size))
    total = 0
    for paragraph in text.split("\n"):
        lines, used = 1, 0
        for word in paragraph.split():
            size = len(word)
            if (size if used == 0 else used + 1 + size) <= capacity:
                used = size if used == 0 else used + 1 + size
                continue
            if used:
                lines += 1
            while size > capacity:
                lines += 1
                size -= capacity
            used = size
        total += lines
    return total


_kept_lines = functools.lru_cache(maxsize=_KEPT_LINES)(_lines)


@functools.lru_cache(maxsize=4096)
def column_of(address: str) -> int:
    """The 1-based column number of a cell address (`split_address`), kept for the addresses last asked for: every
    update measures the cells of the rows it edits, whose addresses are those the updates before it measured."""
    return split_address(address)[0]


def row_height(cells: Sequence[tuple[str, float, float, bool]]) -> float:
    """The row height in points that shows every cell's text: cells are (text, width in characters,
    font size, wraps). Rounded up to 0.75 pt (one pixel at 96 dpi), the step Excel stores heights in,
    so a height Excel saves back is still recognised as the estimate (see `Package.edit_cells`); never
    more than Excel's maximum, MAX_ROW_HEIGHT."""
    height = DEFAULT_ROW_HEIGHT
    for text, width, size, wraps in cells:
        if text == "":
            continue
        lines = text_lines(text, width, size) if wraps else 1
        height = max(height, lines * size * _LINE_HEIGHT)
    return min(math.ceil(round(height / 0.75, 6)) * 0.75, MAX_ROW_HEIGHT)


Measure = tuple[str, float, float, bool]
#: Rows whose measures a `Layout` keeps (`Layout.keep_measures`; Appendix 1 has some 25), and for how many contexts.
_KEPT_ROWS, _KEPT_CONTEXTS = 32, 2


class Layout:
    """What a row's height depends on besides its cells: column widths and merged cells. It keeps what its rows
    measured as the last edits wrote them (`keep_measures`): it is itself kept by the bytes around the rows."""

    def __init__(self, root: etree._Element):
        self._measured: Bounded[Bounded[dict[str, Measure | None]]] = Bounded(_KEPT_CONTEXTS)
        self.widths: dict[int, float] = {}
        format_pr = root.find(f"{M}sheetFormatPr")
        self.default_width = DEFAULT_COLUMN_WIDTH
        self.default_height = DEFAULT_ROW_HEIGHT
        if format_pr is not None:
            if format_pr.get("defaultColWidth"):
                self.default_width = float(format_pr.get("defaultColWidth"))
            if format_pr.get("defaultRowHeight"):
                self.default_height = float(format_pr.get("defaultRowHeight"))
        cols = root.find(f"{M}cols")
        for col in (cols.iterchildren(f"{M}col") if cols is not None else ()):
            if col.get("width") is None:
                continue
            low, high = int(col.get("min")), min(int(col.get("max")), 16384)
            if high - low > 1000:
                continue  # a style for the rest of the sheet, not a width that matters here
            for number in range(low, high + 1):
                self.widths[number] = 0.0 if col.get("hidden") in ("1", "true") else float(col.get("width"))
        #: (row, column) of a merged range's first cell -> the range's width; other merged cells -> None.
        self.merged: dict[tuple[int, int], float | None] = {}
        merges = root.find(f"{M}mergeCells")
        for merge in (merges.iterchildren(f"{M}mergeCell") if merges is not None else ()):
            first, _, last = (merge.get("ref") or "").partition(":")
            if not last:
                continue
            (c1, r1), (c2, r2) = split_address(first), split_address(last)
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    self.merged[(r, c)] = None
            if r1 == r2:  # text in a range over several rows is spread over them: not estimated
                self.merged[(r1, c1)] = sum(self.column_width(c) for c in range(c1, c2 + 1))

    def column_width(self, column: int) -> float:
        return self.widths.get(column, self.default_width)

    def width_at(self, row: int, column: int) -> float | None:
        """Width the text of a cell has, or None when the cell is hidden inside a merged range."""
        if (row, column) in self.merged:
            return self.merged[(row, column)]
        return self.column_width(column)

    def kept_measures(self, row: etree._Element, context: Hashable | None, row_xml: bytes | None
                      ) -> dict[etree._Element, Measure | None]:
        """`estimate_height`'s `known` for `row`, parsed from `row_xml`, when an edit wrote those very bytes in
        this layout under an equal `context` (what else a measure reads: style metrics, shared strings); else
        empty. After a spreadsheet program's save every text of Appendix 1 is a shared string, and each row
        height looked a dozen up (the table cut and parsed, each made text) for cells the update left as they were."""
        rows = self._measured.get(context)
        measures = rows.get(row_xml) if rows is not None else None
        if measures is None:
            return {}
        known = {}
        for cell in row.iterchildren(f"{M}c"):
            ref = cell.get("r")
            if ref not in measures:
                return {}
            known[cell] = measures[ref]
        return known

    def keep_measures(self, measured: Mapping[int, tuple[etree._Element, Mapping[etree._Element, Measure | None]]],
                      context: Hashable | None, written: Mapping[int, bytes]) -> None:
        """Keep what `estimate_height` made of each cell (`known`) of the rows `measured` (number -> (row, known))
        by their bytes as `written`: a row only when each of its cells was measured and has a reference of its
        own (the measures are found by it)."""
        if context is None:
            return
        for number, (row, known) in measured.items():
            measures: dict[str, Measure | None] = {}
            for cell in row.iterchildren(f"{M}c"):
                ref = cell.get("r")
                if cell not in known or ref is None or ref in measures:
                    break
                measures[ref] = known[cell]
            else:
                rows = self._measured.get(context)
                if rows is None:
                    rows = Bounded(_KEPT_ROWS)
                    self._measured.keep(context, rows)
                if number in written:
                    rows.keep(written[number], measures)


def marked_custom(row: etree._Element) -> bool:
    """Whether a row has a height marked custom: the only rows `height_set_by_hand` may find an officer's."""
    return row.get("ht") is not None and row.get("customHeight") in ("1", "true")


def height_set_by_hand(row: etree._Element, estimate_before: float) -> bool:
    """Excel marks a row an officer sized `customHeight`; the builder's and this module's heights are
    custom too only when a reader such as openpyxl rewrote them, and then equal the estimate. A height
    above Excel's maximum is no officer's: earlier versions of this module wrote such heights."""
    if not marked_custom(row):
        return False
    height = row.get("ht")
    try:
        return abs(float(height) - estimate_before) > 0.01 and float(height) <= MAX_ROW_HEIGHT
    except ValueError:
        return True  # not a height this module understands: leave it as it is


def set_height(row: etree._Element, height: float) -> None:
    """A height that fits the text, not marked custom, so Excel still fits the row when it is edited there."""
    row.set("ht", f"{height:g}")
    row.attrib.pop("customHeight", None)


def estimate_height(row: etree._Element, layout: Layout, metrics: Sequence[tuple[float, bool]],
                    text_of: Callable[[etree._Element], str],
                    known: dict[etree._Element, tuple[str, float, float, bool] | None] | None = None) -> float:
    """`row_height` of a row as it stands: its cells' text (`text_of`), column widths and styles (`metrics`:
    font size and wrapping of each cell style). `known` holds what an earlier estimate of the row made of each
    cell (None: not counted) and gets what this one makes: an edit estimates its row before and after, and
    only the cells it took out of `known` (the ones it edited) are read again."""
    row_number = int(row.get("r", "0"))
    cells = []
    for cell in row.iterchildren(f"{M}c"):
        if known is not None and cell in known:
            measure = known[cell]
            if measure is not None:
                cells.append(measure)
            continue
        measure = _measure(cell, row_number, layout, metrics, text_of)
        if known is not None:
            known[cell] = measure
        if measure is not None:
            cells.append(measure)
    return row_height(cells)


def _measure(cell: etree._Element, row_number: int, layout: Layout, metrics: Sequence[tuple[float, bool]],
             text_of: Callable[[etree._Element], str]) -> tuple[str, float, float, bool] | None:
    """What a cell's height depends on (text, width, font size, wraps), or None when it has none."""
    ref = cell.get("r")
    if not ref:
        return None
    column = column_of(ref)
    width = layout.width_at(row_number, column)
    if width is None:
        return None
    style = int(cell.get("s", "0"))
    size, wraps = metrics[style] if style < len(metrics) else (DEFAULT_FONT_SIZE, False)
    return text_of(cell), width, size, wraps

