"""What an edit of a sheet needs besides its rows (column widths and styles, merged cells, the default row
height), kept per process by the bytes around the sheet's rows.

Every update opens a new package and edits Appendix 1's rows; the sheet around them (its start, column
definitions, merged cells, everything after its cell data) is the same bytes from one update to the next, so
what was made of it (`Layout`, `styles_by_column`) is reused while those bytes are equal: an officer who
widens a column or merges cells saves other bytes, and they are read anew.
"""

from __future__ import annotations

import re

from lxml import etree

from shared.domain.bounded import Bounded
from shared.xlsx.cells import styles_by_column
from shared.xlsx.heights import Layout
from shared.xlsx.ooxml import PARSER

#: How many sheets' frames are kept, and the largest (bytes around the rows) kept: Appendix 1's is a few KB.
KEEP_BYTES = 1 << 16
_kept: Bounded[tuple[Layout, dict[int, str]]] = Bounded(8)
#: The references every append moves (the sheet's `<dimension>`, its autofilter's range), well-formed ones only:
#: what `Layout` and `styles_by_column` read (column definitions, default sizes, merged cells) is never in them.
_MOVED_REFS = re.compile(rb'(<dimension ref="|<autoFilter ref=")[A-Z]{1,3}\d+(?::[A-Z]{1,3}\d+)?"')


def sheet_frame(root: etree._Element, around: tuple[bytes, bytes] | None) -> tuple[Layout, dict[int, str]]:
    """The `Layout` and the column styles of the sheet `root`, whose XML outside its cell data is `around` (the
    bytes before its rows and after them; None when not known: then they are made from `root`). Both are only
    read by the edit, never changed: they may be the ones a last edit made."""
    if around is None or len(around[0]) + len(around[1]) > KEEP_BYTES:
        return Layout(root), styles_by_column(root)
    found = kept_frame(around)
    if found is None:
        found = (Layout(root), styles_by_column(root))
        _kept.keep(around, found)
    return found


def kept_frame(around: tuple[bytes, bytes]) -> tuple[Layout, dict[int, str]] | None:
    """What `sheet_frame` made of a sheet whose bytes around its rows are exactly `around`, or None: an edit that
    has it need not parse those bytes at all (only the rows it edits, `RowRanges.rows_only`)."""
    if len(around[0]) + len(around[1]) > KEEP_BYTES:
        return None
    return _kept.get(around)


def appended_frame(xml: bytes) -> tuple[Layout, dict[int, str]]:
    """The `Layout` and column styles of a sheet rows are appended to (the Change log), from its XML without its
    cell data (`xml`). Every append grows the sheet's dimension and autofilter, so what was made is kept by the
    bytes with those two references left out (nothing made reads them), and parsed again when any other byte
    differs: an officer who widens a column saves other bytes."""
    if len(xml) > KEEP_BYTES:
        root = etree.fromstring(xml, PARSER)
        return Layout(root), styles_by_column(root)
    key = ("appended", _MOVED_REFS.sub(rb'\1"', xml))
    found = _kept.get(key)
    if found is None:
        root = etree.fromstring(xml, PARSER)
        found = (Layout(root), styles_by_column(root))
        _kept.keep(key, found)
    return found
