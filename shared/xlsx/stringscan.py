"""The start of a shared strings table, cut by finding its items' end tags rather than parsing them.

After Excel or LibreOffice saves the workbook, `xl/sharedStrings.xml` holds every string of every sheet (the
whole Change log's); Appendix 1's reads and the row-height estimate need the first few hundred. Finding `</si>`
in the inflated bytes is several times faster than building each item with lxml; the bytes kept are the
part's own, so whoever parses them reads exactly what the whole table says.
"""

from __future__ import annotations

import re
from typing import IO

#: The shared strings part's start, to its root's start tag (the name kept to close it).
_STRINGS_START = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*\?>\s*)?<((?:[\w.-]+:)?sst)\b[^>]*>")
#: The end of one string item: `</si>` (any prefix), or an empty `<si/>`; the prefix must be the root's.
_ITEM_END = re.compile(rb"</([\w.-]+:)?si\s*>|<([\w.-]+:)?si\s*/>")
#: What would make `</si>` mean something else (a comment, CDATA, a processing instruction, a namespace
#: declared inside the table, under which an `si` may be another vocabulary's): the scan gives up.
_UNSURE = re.compile(rb"<!--|<!\[CDATA\[|<\?|\sxmlns(?::[\w.-]+)?\s*=")
#: A tag this long or longer is not looked for across two reads.
_LONGEST_TAG = 128


def strings_prefix(source: IO[bytes], last: int) -> bytes | None:
    """The shared strings part read from `source` up to its item `last` at least (the part's own bytes, the
    root closed after it; the whole part when it has fewer items), or None when it holds something this scan
    cannot be sure of (a comment, CDATA, an unusual start): then lxml reads it."""
    data = bytearray()
    seen, scan_from, checked_to, root_end, root = 0, 0, 0, 0, None
    while chunk := source.read(1 << 16):
        data += chunk
        if root is None:
            found = _STRINGS_START.match(data)
            if found is None:
                return None
            root, root_end = found.group(1), found.end()
            prefix = root[:-len(b"sst")] or None
            scan_from = checked_to = root_end
        if _UNSURE.search(data, max(checked_to - _LONGEST_TAG, root_end)):
            return None
        checked_to = len(data)
        for item in _ITEM_END.finditer(data, scan_from):
            if (item.group(1) or item.group(2)) != prefix:  # an `si` of another namespace, inside an item
                scan_from = item.end()
                continue
            seen += 1
            if seen > last:
                return bytes(data[:item.end()]) + b"</" + root + b">"
            scan_from = item.end()
        scan_from = max(scan_from, len(data) - _LONGEST_TAG)
    return bytes(data) if root is not None else None
