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
from typing import IO, NamedTuple

from lxml import etree

from shared.domain.bounded import Bounded
from shared.xlsx.directory import DirectZip
from shared.xlsx.directory import open_direct as open_direct  # how a cold read opens the file (shared.reader)
from shared.xlsx.keptstrings import without_counts
from shared.xlsx.ooxml import M, PackageError
from shared.xlsx.sheets import Sheets
from shared.xlsx.storedzip import stored_zip
from shared.xlsx.stringscan import ROOT_START as _ROOT_START
from shared.xlsx.stringscan import strings_cut

SHARED_STRINGS = "xl/sharedStrings.xml"
#: What calamine needs besides the sheets: the sheet list and where the parts are, and the number formats
#: that make a number a date.
_FRAME = ("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml")
#: A cell start tag that refers to a shared string, and the index in the value that follows it (none when the
#: cell is written in a way this scan does not know: then the whole file is read instead).
_SHARED_CELL = re.compile(rb"""<(?:[\w.-]+:)?c\b[^>]*?\st\s*=\s*(["'])s\1[^>]*>(?:\s*<(?:[\w.-]+:)?v>\s*(\d+)\s*<)?""")
#: The usual form of a shared-string cell's type and value, as Excel and LibreOffice write it: found by its
#: literal start (fast), and trusted only when no other spelling of the type is in the sheet.
_SHARED_CELL_USUAL = re.compile(rb' t="s"[^>]*>(?:<v>(\d+)</v>)?')
#: Shared strings parts larger than this (inflated) are read only as far as a read needs; a smaller one
#: costs calamine less than building the small package does.
REDUCE_ABOVE = 1 << 18

#: What a part's scan found, by the part's identity (`Parts.identity`): a cold read after another process's
#: write (an update changes Appendix 1 and the Change log) scans again only the parts that changed. Kept per
#: process, bounded: the highest shared index of a sheet, and a start of the shared strings table (up to an
#: item index) when it is small enough to keep.
_HIGHEST_SEEN: Bounded[int] = Bounded(64)
_PREFIX_SEEN: Bounded[tuple[int, bytes]] = Bounded(4)
_KEEP_PREFIX_BYTES = 1 << 20
#: The last cut of a shared strings table, for the next table read when its identity is new: an update changes
#: the table's counts (in its root's start tag), and adds strings at its end, not its items before them.
_last_cut: _Cut | None = None
#: Small parts as inflated, by identity: the sheet list, styles, Lists and Leads are the same from one read to
#: the next, and inflating each again (through zipfile's per-part headers) was a third of a cold read.
_INFLATED_SEEN: Bounded[bytes] = Bounded(16)
_KEEP_INFLATED_BYTES = 1 << 17


#: What reading a damaged or unusual package can raise; the caller then reads the whole file as before.
READ_ERRORS = (PackageError, zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, KeyError, OSError,
               etree.XMLSyntaxError, ValueError, EOFError, NotImplementedError, RuntimeError)


class Parts:
    """A zip's parts with some replaced or added (an edit's changed parts), read only when asked for.

    `inflated` are parts of the zip already inflated by whoever opened it (the writer's), taken as they are
    rather than inflated again: the write path's read of what it saved then costs no second inflate."""

    def __init__(self, archive: zipfile.ZipFile | DirectZip, changed: Mapping[str, bytes] | None = None,
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
        if name not in self._names:
            return default
        identity = self.identity(name)
        kept = _INFLATED_SEEN.get(identity)
        if kept is None:
            kept = self._archive.read(name)
            if len(kept) > _KEEP_INFLATED_BYTES:
                return kept
        # kept again as the newest when found too: each cold read keeps Appendix 1 and the sheet list anew
        # (an update changed them), which pushed out the parts that never change, inflated again every few reads
        _INFLATED_SEEN.keep(identity, kept)
        return kept

    def identity(self, name: str) -> tuple[str, int, int, int] | None:
        """What changes whenever the zip's part `name` changes (its CRC-32 and sizes, as the zip records them),
        or None for a part laid over the zip (an edit's): what a part's scan is remembered by."""
        if name in self._changed or name not in self._names:
            return None
        info = self._archive.getinfo(name)
        return (name, info.CRC, info.file_size, info.compress_size)

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
    is written in a way this scan cannot be sure of (then the whole file is read instead).

    The usual spelling (`t="s"><v>12</v>`) is found by its literal start, about twice as fast; it is trusted
    only when every double-quoted `"s"` in the sheet is such a type and no `'s'` is there (a text that
    looks like one only makes the index higher, which costs a few more strings, never fewer)."""
    if sheet_xml.count(b'"s"') == sheet_xml.count(b' t="s"') and b"'s'" not in sheet_xml:
        found = _SHARED_CELL_USUAL.findall(sheet_xml)
        if b"" not in found:
            return max(map(int, found), default=-1)
    return highest_shared_index_of_any_spelling(sheet_xml)


def highest_shared_index_of_any_spelling(sheet_xml: bytes) -> int | None:
    """`highest_shared_index` by the scan that knows every spelling (prefixed tags, either quote, spaces)."""
    highest = -1
    for match in _SHARED_CELL.finditer(sheet_xml):
        if match.group(2) is None:
            return None
        highest = max(highest, int(match.group(2)))
    return highest


class _Cut(NamedTuple):
    """A cut of a shared strings table (`strings_cut`) by what an update leaves as it was."""

    root: bytes  # the root's start tag without its counts (its namespaces say what the items mean)
    items: bytes  # the part's bytes after the root's start tag, to the end of item `last`
    last: int

    @classmethod
    def of(cls, prefix: bytes, last: int) -> _Cut | None:
        found = _ROOT_START.match(prefix)
        if found is None:
            return None
        close = len(found.group(1)) + 3  # `</sst>`, as `strings_cut` closed it
        return cls(without_counts(found.group(0)), prefix[found.end():len(prefix) - close], last)

    def again(self, source: IO[bytes]) -> bytes | None:
        """What `strings_cut` gives for item `self.last` of the part read from `source`, when the part has this
        cut's root (but for its counts) and then this cut's items, byte for byte: the part's own start tag and
        the items, closed; only that much is inflated, and compared, nothing scanned. None otherwise."""
        head = source.read(len(self.root) + len(self.items) + 64)
        found = _ROOT_START.match(head)
        if found is None or without_counts(found.group(0)) != self.root:
            return None
        end = found.end() + len(self.items)
        while len(head) < end and (chunk := source.read(end - len(head))):
            head += chunk
        if head[found.end():end] != self.items:
            return None
        return head[:end] + b"</" + found.group(1) + b">"


def shared_strings_prefix(parts: Parts, last: int) -> bytes:
    """The shared strings part with its items up to index `last` at least (every one it needs), each as
    the file has it (runs, phonetic text), inflating and parsing no further than that.

    After another process's update the table is another identity but the same items, with more after them:
    the last cut is compared with the part's start (`_Cut.again`) before the part is scanned."""
    global _last_cut
    if last < 0 or SHARED_STRINGS not in parts:
        return b""
    identity = parts.identity(SHARED_STRINGS)
    kept = _PREFIX_SEEN.get(identity)
    if kept is not None and kept[0] >= last:
        return kept[1]
    cut, scanned = _last_cut, None
    if cut is not None and cut.last >= last:
        with parts.stream(SHARED_STRINGS) as source:
            scanned = cut.again(source)
        if scanned is not None:
            last = cut.last
    if scanned is None:
        with parts.stream(SHARED_STRINGS) as source:
            found = strings_cut(source, last)
        scanned = found[0] if found is not None else None
        if found is not None and found[1] and len(scanned) <= _KEEP_PREFIX_BYTES:
            _last_cut = _Cut.of(scanned, last)
    if scanned is not None:
        if identity is not None and len(scanned) <= _KEEP_PREFIX_BYTES:
            _PREFIX_SEEN.keep(identity, (last, scanned))
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


class Reduction:
    """One zip read for a few sheets: what each sheet's values depend on (to reuse a grid read before), and a
    package holding only the sheets still to read. PackageError for a package without a readable sheet list."""

    def __init__(self, parts: Parts):
        self.parts = parts
        sheets = Sheets(Path("workbook"), parts, {})
        self.sheet_parts, self.date1904 = sheets.sheet_parts, sheets.date1904

    def _part_key(self, name: str) -> tuple | None:
        if name not in self.parts:
            return ("absent", name)
        return self.parts.identity(name)

    def grid_key(self, sheet_name: str) -> tuple | None:
        """What the sheet's values, as calamine reads them, depend on besides the shared strings it uses: its
        part and the styles (a number formatted as a date is a date), by identity, and the workbook's date
        system (not the sheet list's identity: the Change log's filter range in it grows with every update).
        None when the sheet is not there or a part was laid over the zip (its identity unknown). The shared
        strings are compared by their items (`strings_items`): an update changes the table's `count` only."""
        part = self.sheet_parts.get(sheet_name)
        if part is None or part not in self.parts:
            return None
        keys = tuple(self._part_key(name) for name in (part, "xl/styles.xml"))
        return None if None in keys else (*keys, self.date1904)

    def strings_for(self, sheet_names: Sequence[str]) -> bytes:
        """The shared strings the named sheets use (a start of the table, see `shared_strings_prefix`)."""
        last = -1
        for name in sheet_names:
            part = self.sheet_parts.get(name)
            data = self.parts.get(part) if part is not None and part in self.parts else None
            if data is not None:
                last = max(last, _highest_of(self.parts, part, data))
        return shared_strings_prefix(self.parts, last)

    def package(self, sheet_names: Sequence[str], strings: bytes | None = None) -> bytes:
        """A package holding only the named sheets (those the workbook has), the parts calamine needs to read
        them, and the shared strings they use (`strings`, when worked out already by `strings_for` for these
        sheets or more). PackageError when the workbook is not one this can reduce."""
        parts = self.parts
        wanted = {self.sheet_parts[name] for name in sheet_names if self.sheet_parts.get(name) in parts}
        chosen: list[tuple[str, bytes]] = []
        crcs: dict[str, int] = {}
        last = -1
        for name in (*_FRAME, *sorted(wanted)):
            data = parts.get(name)
            if data is None:
                continue
            identity = parts.identity(name)
            if identity is not None:  # the zip's part as it is: its directory's CRC is its bytes' CRC
                crcs[name] = identity[1]
            if name in wanted and strings is None:
                last = max(last, _highest_of(parts, name, data))
            chosen.append((name, data))
        if strings is None:
            strings = shared_strings_prefix(parts, last)
        if strings:
            chosen.append((SHARED_STRINGS, strings))
        try:
            return stored_zip(chosen, crcs)
        except ValueError as exc:  # a name twice, or zip64 sizes: read the whole file instead
            raise PackageError(f"The workbook cannot be read in part: {exc}.") from None


def strings_items(strings: bytes) -> bytes:
    """The items of a shared strings prefix, without the root's start tag (where `count` is) or end tag."""
    found = _ROOT_START.match(strings)
    return strings[found.end():] if found else strings


def _highest_of(parts: Parts, name: str, data: bytes) -> int:
    """`highest_shared_index` of the sheet part `name`, remembered by its identity."""
    identity = parts.identity(name)
    highest = _HIGHEST_SEEN.get(identity)
    if highest is None:
        highest = highest_shared_index(data)
        if highest is None:
            raise PackageError(f"The sheet part {name} refers to shared strings in an unusual way.")
        if identity is not None:
            _HIGHEST_SEEN.keep(identity, highest)
    return highest


def reduced_package(parts: Parts, sheet_names: Sequence[str]) -> bytes:
    """`Reduction.package`: only the named sheets, what calamine needs to read them, their shared strings."""
    return Reduction(parts).package(sheet_names)
