"""An update of a workbook a spreadsheet program saved (every string shared) cost some 0.4 M instructions more than
one of a workbook this program wrote (issue 18): its row height looked up a dozen shared strings for the cells
it did not change, its CRC checks combined the same numbers again, and a few patterns stepped through the longer
start tags such programs write one character at a time. What is written stays byte for byte what a process
that kept nothing writes."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest
from test_edit_cost import LONG, _update
from test_kept_strings import _officer_edits_a_shared_string
from test_reduced_read import share_all_strings

from shared.xlsx import changelog, frames, keptstrings, rows, segments
from shared.xlsx import package as package_module


def _height(sheet: bytes, number: int) -> float:
    found = re.search(rb'<row r="%d"[^>]*\sht="([0-9.]+)"' % number, sheet)
    assert found is not None
    return float(found.group(1))


def _cells_measured(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The cells whose text a row height read (a spy: they read it as they do)."""
    measured: list[str] = []
    for name in ("_plain_text", "_cell_text"):
        real = getattr(package_module.Package, name)

        def counting(self, cell, real=real):
            measured.append(cell.get("r"))
            return real(self, cell)

        monkeypatch.setattr(package_module.Package, name, counting)
    return measured


def test_an_edited_row_measures_only_its_changed_cell_when_this_process_wrote_it(
        workbook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Appendix 1 with every string shared: an update of a lead's row that this process wrote reads the text of
    the cells it sets only (main read every cell's, a shared string each); after an officer edits one of the
    row's shared strings (the row's bytes the same, the table's not) every cell is read again and the row grows.
    Each sheet written is the one a process writes that keeps no frame (so no measures: a new `Layout` at each
    update)."""
    kept = shutil.copy(workbook, tmp_path / "Appendix1.xlsx")
    share_all_strings(kept)
    fresh = shutil.copytree(workbook.parent, tmp_path / "fresh") / workbook.name
    shutil.copy(kept, fresh)
    keptstrings.forget()
    measured = _cells_measured(monkeypatch)
    written = [_update(kept, "L7", LONG)]
    assert len(measured) > 10  # the first: every cell of the row
    written.append(_update(kept, "L8", LONG))  # the table now stored as head and body: its key from here on
    written.append(_update(kept, "L7", "Audit"))
    measured.clear()
    written.append(_update(kept, "L7", "Share the audit"))
    assert len(measured) == 3  # the cells the update sets in L7's row: the next steps, when and by whom
    _officer_edits_a_shared_string(kept, "L7")
    measured.clear()
    written.append(_update(kept, "L7", "Report to the board"))
    assert len(measured) > 10
    assert _height(written[-1], 10) > _height(written[-2], 10)  # the officer's text of line breaks is taller

    monkeypatch.setattr(frames, "KEEP_BYTES", -1)  # no frame kept, no measures kept
    ours = [_update(fresh, *step) for step in [("L7", LONG), ("L8", LONG), ("L7", "Audit"), ("L7", "Share the audit")]]
    _officer_edits_a_shared_string(fresh, "L7")
    ours.append(_update(fresh, "L7", "Report to the board"))
    assert ours == written


def test_a_part_stored_as_head_and_body_has_its_crc_combined_once_a_process(
        workbook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every update checks the shared strings' head and body (`read_head_split`) with the same three numbers,
    for the strings' key and for the write ahead: main combined them (a loop of table lookups) each time."""
    share_all_strings(workbook)
    _update(workbook, "L7", LONG)  # the table stored as head and body
    _update(workbook, "L8", LONG)
    combined: list[int] = []
    real = segments._times_tables

    def counting(n):
        combined.append(n)
        return real(n)

    monkeypatch.setattr(segments, "_times_tables", counting)
    with zipfile.ZipFile(workbook) as book:
        info = book.getinfo("xl/sharedStrings.xml")
    package = package_module.Package(workbook)
    try:
        first = segments.read_head_split(package._source, info)
        combined.clear()
        again = segments.read_head_split(package._source, info)
    finally:
        package.close()
    assert first is not None and again is not None and again.head == first.head
    assert combined == []


def test_the_shared_strings_start_loses_its_counts_once_a_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shared strings' key drops the counts from the same padded start tag at every update: once now."""
    subs: list[bytes] = []
    real = keptstrings._COUNTS

    class Counting:
        def sub(self, replacement, text):
            subs.append(text)
            return real.sub(replacement, text)

    monkeypatch.setattr(keptstrings, "_COUNTS", Counting())
    start = b'<sst xmlns="x" count="12" uniqueCount="9"' + b" " * 200 + b">"
    assert keptstrings.without_counts(start) == b'<sst xmlns="x">'
    assert keptstrings.without_counts(bytes(start)) == b'<sst xmlns="x">'
    assert len(subs) <= 1


_LIBREOFFICE_ROOT = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                     b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
                     b'xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
                     b'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main" '
                     b'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">')


@pytest.mark.parametrize("start", [
    _LIBREOFFICE_ROOT,
    _LIBREOFFICE_ROOT.replace(b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ', b"")
    + b'<x xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>',
    b'<worksheet a=">" xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" b=\'>\'>',
    b'<worksheet a="unclosed>',
    b"<worksheetx>",
    b'<worksheet\n\txmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">',
])
def test_the_start_tag_patterns_find_what_they_found_without_stepping_back(start: bytes) -> None:
    """The root-tag patterns, rewritten so that they do not try each character of a long start tag (LibreOffice
    declares six namespaces) as an alternative or backtrack through it, find what the patterns before found."""
    main = re.escape(b"http://schemas.openxmlformats.org/spreadsheetml/2006/main")
    before_ns = re.compile(rb"<worksheet[^>]*\sxmlns=\"" + main + b'"')
    before_root = re.compile(rb"""<worksheet\b(?:[^>"']|"[^"]*"|'[^']*')*>""")
    data = b'<?xml version="1.0"?>\n' + start + b"<sheetData></sheetData></worksheet>"
    for now in (changelog._DEFAULT_NS, package_module._DEFAULT_NS, rows._DEFAULT_NS):
        assert bool(now.search(data)) == bool(before_ns.search(data))
    found, was = rows._ROOT_TAG.search(data), before_root.search(data)
    assert (found and found.span()) == (was and was.span())
