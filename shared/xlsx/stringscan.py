"""The start of a shared strings table, cut by finding its items' end tags rather than parsing them.

After Excel or LibreOffice saves the workbook, `xl/sharedStrings.xml` holds every string of every sheet (the
whole Change log's); Appendix 1's reads and the row-height estimate need the first few hundred. Finding `</si>`
in the inflated bytes is several times faster than building each item with lxml; the bytes kept are the
part's own, so whoever parses them reads exactly what the whole table says.

Only what is kept is inflated and checked: the part is read in small pieces that grow, and the check for what
would make an end tag mean something else looks at the kept bytes alone, by plain substring search (a regular
expression starting at every whitespace byte cost 0.85 ms per 64 KB, more than the rest of a cold read).
"""

from __future__ import annotations

import re
from typing import IO

#: The shared strings part's start, to its root's start tag (the name kept to close it).
ROOT_START = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*\?>\s*)?<((?:[\w.-]+:)?sst)\b[^>]*>")
#: The end of one string item: `</si>` (any prefix), or an empty `<si/>`; the prefix must be the root's.
_ITEM_END = re.compile(rb"</([\w.-]+:)?si\s*>|<([\w.-]+:)?si\s*/>")
#: What would make `</si>` mean something else: a comment, CDATA, a processing instruction, or a namespace
#: declared inside the table (under which an `si` may be another vocabulary's). Any of them in the kept bytes
#: and the scan gives up (so does the word `xmlns` in an item's text: lxml then reads it, as correctly).
_UNSURE = (b"<!--", b"<![CDATA[", b"<?", b"xmlns")
#: The first piece read; each next one is twice the last, up to `_LARGEST_READ`.
_FIRST_READ = 1 << 14
_LARGEST_READ = 1 << 18


def _sure(data: bytearray | bytes, start: int, end: int) -> bool:
    """Whether nothing between `start` and `end` could make an item's end tag mean something else."""
    return not any(data.find(marker, start, end) != -1 for marker in _UNSURE)


def strings_prefix(source: IO[bytes], last: int) -> bytes | None:
    """The shared strings part read from `source` up to its item `last` at least (the part's own bytes, the
    root closed after it; the whole part when it has fewer items), or None when it holds something this scan
    cannot be sure of (a comment, CDATA, an unusual start): then lxml reads it."""
    found = strings_cut(source, last)
    return found[0] if found is not None else None


def strings_cut(source: IO[bytes], last: int) -> tuple[bytes, bool] | None:
    """`strings_prefix`, and whether it was cut after item `last` (False: the whole part, fewer items)."""
    data = bytearray()
    seen, scan_from, root_end, root, prefix = 0, 0, 0, None, None
    size = _FIRST_READ
    while chunk := source.read(size):
        size = min(size * 2, _LARGEST_READ)
        data += chunk
        if root is None:
            found = ROOT_START.match(data)
            if found is None:
                return None
            root, root_end = found.group(1), found.end()
            prefix = root[:-len(b"sst")] or None
            scan_from = root_end
        for item in _ITEM_END.finditer(data, scan_from):
            if (item.group(1) or item.group(2)) != prefix:  # an `si` of another namespace, inside an item
                scan_from = item.end()
                continue
            seen += 1
            scan_from = item.end()
            if seen > last:
                if not _sure(data, root_end, scan_from):
                    return None
                return bytes(data[:scan_from]) + b"</" + root + b">", True
        # An end tag may be cut in two by the piece's end: look again from the last whole one.
        scan_from = max(scan_from, data.rfind(b"<", scan_from))
    if root is None or not _sure(data, root_end, len(data)):
        return None
    return bytes(data), False
