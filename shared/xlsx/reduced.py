"""A read of a few sheets that does not grow with the history: a small package holding only those sheets
and the shared strings they use, for python-calamine to parse as it would parse the whole file.

After Excel or LibreOffice saves the workbook, every string of every sheet is in `xl/sharedStrings.xml`
(a 100,000-row Change log makes it tens of megabytes), and calamine parses the whole table to read
Appendix 1's 22 rows. Here the wanted sheets are scanned for the shared strings they refer to, and the table
is inflated and parsed only up to the highest of them: decompression stops there. Calamine then reads the
small package, so every value (dates by number format, numbers, rich text, inline strings, booleans,
errors) is exactly what it gives for the whole file.

The parts come from a zip (the file, or the package the writer just saved) with the parts an edit changed
laid over it, so the writer can fill the read cache with what it wrote instead of reading its save back.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path

from lxml import etree

from shared.xlsx.ooxml import M, PackageError
from shared.xlsx.sheets import Sheets
from shared.xlsx.stringscan import strings_prefix

SHARED_STRINGS = "xl/sharedStrings.xml"
#: What calamine needs besides the sheets: the sheet list and where the parts are, and the number formats
#: that make a number a date.
_FRAME = ("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml")
#: A cell start tag that refers to a shared string, and the index in the value that follows it (none when the
#: cell is written in a way this scan does not know: then the whole file is read instead).
_SHARED_CELL = re.compile(rb"""<(?:[\w.-]+:)?c\b[^>]*?\st\s*=\s*(["'])s\1[^>]*>(?:\s*<(?:[\w.-]+:)?v>\s*(\d+)\s*<)?""")
#: Shared strings parts larger than this (inflated) are read only as far as a read needs; a smaller one
#: costs calamine less than building the small package does.
REDUCE_ABOVE = 1 << 18

#: What reading a damaged or unusual package can raise; the caller then reads the whole file as before.
READ_ERRORS = (PackageError, zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, KeyError, OSError,
               etree.XMLSyntaxError, ValueError, EOFError, NotImplementedError, RuntimeError)


class Parts:
    """A zip's parts with some replaced or added (an edit's changed parts), read only when asked for.

    `inflated` are parts of the zip already inflated by whoever opened it (the writer's), taken as they are
    rather than inflated again: the write path's read of what it saved then costs no second inflate."""

    def __init__(self, archive: zipfile.ZipFile, changed: Mapping[str, bytes] | None = None,
                 inflated: Mapping[str, bytes] | None = None):
        self._archive, self._changed, self._inflated = archive, changed or {}, inflated or {}
        self._names = set(archive.namelist())

    def __contains__(self, name: object) -> bool:
        return name in self._changed or name in self._names

    def get(self, name: str, default: bytes | None = None) -> bytes | None:
        if name in self._changed:
            return self._changed[name]
        if name in self._inflated:
            return self._inflated[name]
        return self._archive.read(name) if name in self._names else default

    def __getitem__(self, name: str) -> bytes:
        found = self.get(name)
        if found is None:
            raise KeyError(name)
        return found

    def stream(self, name: str):
        """The part as a file inflated as it is read (so reading stops inflating where it stops)."""
        if name in self._changed:
            return io.BytesIO(self._changed[name])
        if name in self._inflated:
            return io.BytesIO(self._inflated[name])
        return self._archive.open(name)


def highest_shared_index(sheet_xml: bytes) -> int | None:
    """The highest shared string index the sheet's cells refer to (-1 for none), or None when the sheet
    is written in a way this scan cannot be sure of (then the whole file is read instead)."""
    highest = -1
    for match in _SHARED_CELL.finditer(sheet_xml):
        if match.group(2) is None:
            return None
        highest = max(highest, int(match.group(2)))
    return highest


def shared_strings_prefix(parts: Parts, last: int) -> bytes:
    """The shared strings part with its items up to index `last` at least (every one it needs), each as
    the file has it (runs, phonetic text), inflating and parsing no further than that."""
    if last < 0 or SHARED_STRINGS not in parts:
        return b""
    with parts.stream(SHARED_STRINGS) as source:
        scanned = strings_prefix(source, last)
    if scanned is not None:
        return scanned
    root = None
    seen = 0
    with parts.stream(SHARED_STRINGS) as source:
        for _, element in etree.iterparse(source, events=("end",), tag=f"{M}si", huge_tree=True,
                                          resolve_entities=False):
            if root is None:
                root = element.getparent()
            if element.getparent() is root:
                seen += 1
                if seen > last:
                    break
    return etree.tostring(root, encoding="UTF-8") if root is not None else b""


def reduced_package(parts: Parts, sheet_names: Sequence[str]) -> bytes:
    """A package holding only the named sheets (those the workbook has), the parts calamine needs to read
    them, and the shared strings they use. PackageError when the workbook is not one this can reduce."""
    sheets = Sheets(Path("workbook"), parts, {})  # PackageError for a package without a readable sheet list
    wanted = {sheets.sheet_parts[name] for name in sheet_names if sheets.sheet_parts.get(name) in parts}
    out = io.BytesIO()
    last = -1
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for name in (*_FRAME, *sorted(wanted)):
            data = parts.get(name)
            if data is None:
                continue
            if name in wanted:
                highest = highest_shared_index(data)
                if highest is None:
                    raise PackageError(f"The sheet part {name} refers to shared strings in an unusual way.")
                last = max(last, highest)
            archive.writestr(name, data)
        strings = shared_strings_prefix(parts, last)
        if strings:
            archive.writestr(SHARED_STRINGS, strings)
    return out.getvalue()


def reduced_from_file(path: str, sheet_names: Sequence[str], above: int = REDUCE_ABOVE) -> bytes | None:
    """`reduced_package` of the workbook file at `path`, or None when its shared strings are `above` bytes
    or fewer (calamine reads such a file whole faster). PackageError when it cannot be reduced."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if above >= 0 and (SHARED_STRINGS not in names or archive.getinfo(SHARED_STRINGS).file_size <= above):
                return None
            return reduced_package(Parts(archive), sheet_names)
    except READ_ERRORS as exc:
        raise PackageError(f"{path} could not be reduced ({exc}).") from None
