"""A sheet's rows as byte ranges: an edit parses and re-serialises only the rows it changes, and every other
row of the sheet is copied as the bytes it was (Excel's or LibreOffice's own, not lxml's re-serialisation).

The rows to edit are parsed inside the sheet with its other rows left out (its start tag keeps the
namespaces their attributes use, its column widths and merged cells what row heights need), serialised as
such, and put back where they were. A sheet written in a way this cannot be sure of is edited whole.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence

from lxml import etree

from shared.domain.schema import column_letter, split_address
from shared.xlsx.cells import CellValue, new_cell_xml
from shared.xlsx.heights import DEFAULT_FONT_SIZE, Layout, row_height, set_height
from shared.xlsx.ooxml import MAIN_NS, M

Frame = tuple[Layout, dict[int, str]]
_DIMENSION = re.compile(rb'<dimension ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"\s*/>')

_OPEN, _CLOSE = b"<sheetData>", b"</sheetData>"
_ROW_START = re.compile(rb"<row\b[^>]*>")
_ROW_NUMBER = re.compile(rb"""\sr\s*=\s*(["'])(\d+)\1""")
_DEFAULT_NS = re.compile(rb"<worksheet\b[^>]*?\sxmlns=\"" + re.escape(MAIN_NS.encode()) + b'"')
#: The root's start tag, to its `>` (one inside a quoted attribute value does not end it).
_ROOT_TAG = re.compile(rb"""<worksheet\b[^>"']*(?:(?:"[^"]*"|'[^']*')[^>"']*)*>""")


class RowRanges:
    """Where each row of a sheet's XML is, by row number, and the sheet with only some of them."""

    def __init__(self, data: bytes, open_end: int, close: int, ranges: dict[int, tuple[int, int]]):
        self.data, self.open_end, self.close, self.ranges = data, open_end, close, ranges
        #: The rows `replaced` put in, by number: each one whole row as its XML is in the new sheet.
        self.written: dict[int, bytes] = {}

    def sheet_with_only(self, numbers: Collection[int]) -> bytes:
        """The sheet's XML with only the rows `numbers` (in the order the sheet has them) in its cell data."""
        kept = sorted(self.ranges[number] for number in set(numbers))
        return self.data[:self.open_end] + b"".join(self.data[a:b] for a, b in kept) + self.data[self.close:]

    def rows_xml(self, numbers: Collection[int]) -> dict[int, bytes]:
        """The XML of the rows `numbers`, by number, as the sheet holds it."""
        return {number: self.data[slice(*self.ranges[number])] for number in numbers}

    def rows_only(self, numbers: Collection[int]) -> bytes | None:
        """`sheet_with_only` without the sheet's other children: what precedes its root and the root's start
        tag (which declares every namespace the rows' XML uses), then only the rows `numbers` in its cell data.
        Their XML serialises as in the whole sheet; what the frame around them holds (column widths, merged
        cells) is then taken from what was made of it before (`shared.xlsx.frames.kept_frame`). None when the
        root's start tag is not found before the cell data, or a comment or document type comes before it."""
        found = _ROOT_TAG.search(self.data, 0, self.open_end)
        if found is None or found.end() > self.open_end - len(_OPEN) or b"<!" in self.data[:found.start()]:
            return None
        kept = sorted(self.ranges[number] for number in set(numbers))
        return self.data[:found.end()] + _OPEN + b"".join(self.data[a:b] for a, b in kept) + _CLOSE + b"</worksheet>"

    def replaced(self, serialised: bytes, numbers: Collection[int]) -> bytes | None:
        """The sheet with rows `numbers` replaced by their XML in `serialised` (`sheet_with_only`'s sheet,
        edited and serialised); None when that XML cannot be cut into those rows."""
        pieces = self._pieces(serialised, numbers)
        if pieces is None:
            return None
        out, at = [], 0
        for (a, b), piece in pieces:
            out += [self.data[at:a], piece]
            at = b
        out.append(self.data[at:])
        spliced = b"".join(out)
        after = self._after(pieces, spliced)
        _remember(after)
        if after is not None:
            self.written = {number: spliced[slice(*after.ranges[number])] for number in set(numbers)}
        return spliced

    def _pieces(self, serialised: bytes, numbers: Collection[int]) -> list[tuple[tuple[int, int], bytes]] | None:
        """Each replaced row's range with its new XML, in the sheet's order; None when the XML cannot be cut."""
        start, end = serialised.find(_OPEN), serialised.rfind(_CLOSE)
        if start == -1 or end == -1:
            return None
        content = serialised[start + len(_OPEN):end]
        starts = [match.start() for match in re.finditer(rb"<row\b", content)]
        kept = sorted(self.ranges[number] for number in set(numbers))
        if len(starts) != len(kept) or (starts and starts[0] != 0):
            return None
        return list(zip(kept, (content[a:b] for a, b in zip(starts, [*starts[1:], len(content)], strict=True)),
                        strict=True))

    def _after(self, pieces: list[tuple[tuple[int, int], bytes]], spliced: bytes) -> RowRanges | None:
        """The rows of `spliced` (this sheet with `pieces` put in) as `row_ranges` finds them, worked out from these
        ranges moved by the pieces' lengths; None unless each piece is one whole row of the number it replaces
        (start tag with that number, one end tag at its end), as lxml writes them."""
        new_lengths: dict[int, int] = {}
        for (a, b), piece in pieces:
            tag = _ROW_START.match(piece)
            number = _ROW_NUMBER.search(tag.group()) if tag is not None else None
            whole = piece.endswith(b"</row>") and piece.count(b"</row>") == 1 and not tag.group().endswith(b"/>") \
                if tag is not None else False
            if number is None or not whole or self.ranges.get(int(number.group(2))) != (a, b):
                return None
            new_lengths[a] = len(piece)
        ranges, shift = {}, 0
        for number, (a, b) in sorted(self.ranges.items(), key=lambda item: item[1]):
            length = new_lengths.get(a, b - a)
            ranges[number] = (a + shift, a + shift + length)
            shift += length - (b - a)
        return RowRanges(spliced, self.open_end, self.close + shift, ranges)


#: The rows of the sheet an edit last wrote (`RowRanges.replaced`), for the next edit of a package holding the very
#: same bytes (compared whole: never stale): Appendix 1's sheet, which every update writes and the next reads.
_last: RowRanges | None = None


def _remember(ranges: RowRanges | None) -> None:
    global _last
    _last = ranges


def row_ranges(data: bytes) -> RowRanges | None:
    """The rows of a sheet's XML by number, or None when the sheet is not one whose rows can be cut out
    safely (another namespace prefix, no `<sheetData>`, a row without a number, CDATA). Those of the sheet the
    last edit wrote are taken as they were worked out then when `data` is those very bytes."""
    last = _last
    if last is not None and last.data == data:
        return RowRanges(data, last.open_end, last.close, dict(last.ranges))
    if not _DEFAULT_NS.search(data[:4000]) or b"<![CDATA[" in data:
        return None
    open_at, close = data.find(_OPEN), data.rfind(_CLOSE)
    if open_at == -1 or close == -1 or close < open_at:
        return None
    open_end = open_at + len(_OPEN)
    ranges: dict[int, tuple[int, int]] = {}
    at = open_end
    while True:
        match = _ROW_START.search(data, at, close)
        if match is None:
            break
        number = _ROW_NUMBER.search(match.group())
        if number is None:
            return None
        if match.group().endswith(b"/>"):
            end = match.end()
        else:
            end = data.find(b"</row>", match.end(), close)
            if end == -1:
                return None
            end += len(b"</row>")
        ranges[int(number.group(2))] = (match.start(), end)
        at = end
    return RowRanges(data, open_end, close, ranges)



def row_as_text(frame: Frame, number: int, values: Mapping[int, CellValue], date1904: bool,
                quoted_style: Callable[[int], int],
                metrics: Callable[[], Sequence[tuple[float, bool]]]) -> bytes | None:
    """A new row `number` holding `values` (by column) of a sheet whose layout and column styles are `frame`, as
    `row_as_elements` writes it, made as text (`new_cell_xml`), its height estimated from the texts written; None
    when a cell's value is one only lxml writes. The Change log row an update appends: its eight cells made as
    elements cost more than the rest of the append."""
    layout, column_styles = frame
    cells, measured = [], []
    for index, value in sorted(values.items()):
        if value is None or value == "":
            continue
        made = new_cell_xml(f"{column_letter(index - 1)}{number}", column_styles.get(index), value, date1904,
                            quoted_style)
        if made is None:
            return None
        cells.append(made[0])
        measured.append((index, made[1], made[2]))
    styles = metrics()  # after the cells' quoted twins, as the estimate of the row made
    texts = []
    for index, text, style in measured:  # what `estimate_height` reads of each cell
        width = layout.width_at(number, index)
        if width is not None:
            size, wraps = styles[style] if style < len(styles) else (DEFAULT_FONT_SIZE, False)
            texts.append((text, width, size, wraps))
    height = row_height(texts)
    start = f'<row r="{number}" ht="{height:g}"' if height > layout.default_height else f'<row r="{number}"'
    xml = f"{start}>{''.join(cells)}</row>" if cells else f"{start}/>"
    return xml.encode().replace(f' xmlns="{MAIN_NS}"'.encode(), b"")


def row_as_elements(frame: Frame, number: int, values: Mapping[int, CellValue],
                    fill: Callable[[etree._Element, CellValue], None],
                    estimate: Callable[[etree._Element, Layout], float]) -> bytes:
    """A new row `number` holding `values`, made as elements (`fill` fills each cell), its height `estimate`d,
    serialised by lxml."""
    layout, column_styles = frame
    row = etree.Element(f"{M}row", r=str(number), nsmap={None: MAIN_NS})
    for index, value in sorted(values.items()):
        if value is None or value == "":
            continue
        cell = etree.SubElement(row, f"{M}c", r=f"{column_letter(index - 1)}{number}")
        if index in column_styles:
            cell.set("s", column_styles[index])
        fill(cell, value)
    height = estimate(row, layout)  # a long value in a wrapping column prints whole
    if height > layout.default_height:
        set_height(row, height)
    # UTF-8, as the rest of the part: lxml's default (ASCII) writes 👶 as `&#128118;`, which SheetJS reads as
    # another character.
    return etree.tostring(row, encoding="UTF-8").replace(f' xmlns="{MAIN_NS}"'.encode(), b"")


def grow_dimension(data: bytes, last_row: int, width: int) -> bytes:
    """A sheet's `<dimension>` grown to reach row `last_row` and column `width`."""
    match = _DIMENSION.search(data[:4000])
    if not match:
        return data
    first_col, first_row = match.group(1), int(match.group(2))
    last_col = match.group(3) or first_col
    end_row = max(int(match.group(4) or first_row), last_row)
    last_col_number = max(split_address(last_col.decode() + "1")[0], width)
    ref = f"{first_col.decode()}{first_row}:{column_letter(last_col_number - 1)}{end_row}".encode()
    return data[:match.start()] + b'<dimension ref="' + ref + b'"/>' + data[match.end():]


def head_without_data(data: bytes) -> bytes:
    """The sheet XML with its cell data left out: enough to read `<cols>` without parsing every row."""
    start = data.find(b"<sheetData")
    if start == -1:
        return data
    end = data.rfind(b"</sheetData>")
    if end == -1:
        end_tag = re.search(rb"<sheetData\s*/>", data)
        return data if not end_tag else data[:end_tag.start()] + data[end_tag.end():]
    return data[:start] + data[end + len(b"</sheetData>"):]
