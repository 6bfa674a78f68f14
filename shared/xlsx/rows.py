"""A sheet's rows as byte ranges: an edit parses and re-serialises only the rows it changes, and every other
row of the sheet is copied as the bytes it was (Excel's or LibreOffice's own, not lxml's re-serialisation).

The rows to edit are parsed inside the sheet with its other rows left out (its start tag keeps the
namespaces their attributes use, its column widths and merged cells what row heights need), serialised as
such, and put back where they were. A sheet written in a way this cannot be sure of is edited whole.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from shared.xlsx.ooxml import MAIN_NS

_OPEN, _CLOSE = b"<sheetData>", b"</sheetData>"
_ROW_START = re.compile(rb"<row\b[^>]*>")
_ROW_NUMBER = re.compile(rb"""\sr\s*=\s*(["'])(\d+)\1""")
_DEFAULT_NS = re.compile(rb"<worksheet\b[^>]*\sxmlns=\"" + re.escape(MAIN_NS.encode()) + b'"')
#: The root's start tag, to its `>` (one inside a quoted attribute value does not end it).
_ROOT_TAG = re.compile(rb"""<worksheet\b(?:[^>"']|"[^"]*"|'[^']*')*>""")


class RowRanges:
    """Where each row of a sheet's XML is, by row number, and the sheet with only some of them."""

    def __init__(self, data: bytes, open_end: int, close: int, ranges: dict[int, tuple[int, int]]):
        self.data, self.open_end, self.close, self.ranges = data, open_end, close, ranges

    def sheet_with_only(self, numbers: Collection[int]) -> bytes:
        """The sheet's XML with only the rows `numbers` (in the order the sheet has them) in its cell data."""
        kept = sorted(self.ranges[number] for number in set(numbers))
        return self.data[:self.open_end] + b"".join(self.data[a:b] for a, b in kept) + self.data[self.close:]

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
        start, end = serialised.find(_OPEN), serialised.rfind(_CLOSE)
        if start == -1 or end == -1:
            return None
        content = serialised[start + len(_OPEN):end]
        starts = [match.start() for match in re.finditer(rb"<row\b", content)]
        kept = sorted(self.ranges[number] for number in set(numbers))
        if len(starts) != len(kept) or (starts and starts[0] != 0):
            return None
        pieces = [content[a:b] for a, b in zip(starts, [*starts[1:], len(content)], strict=True)]
        out, at = [], 0
        for (a, b), piece in zip(kept, pieces, strict=True):
            out += [self.data[at:a], piece]
            at = b
        out.append(self.data[at:])
        return b"".join(out)


def row_ranges(data: bytes) -> RowRanges | None:
    """The rows of a sheet's XML by number, or None when the sheet is not one whose rows can be cut out
    safely (another namespace prefix, no `<sheetData>`, a row without a number, CDATA)."""
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

