"""The shared strings an update's row-height estimate cut and parsed are kept for the next update (issue 18: the
fixed cost of an update): the table changes at an update only in its root's `count`, and the next package reuses
the cut when the part's items start with exactly the same bytes. What is written stays byte for byte what the
uncached path writes, also after an officer edits a shared string (to one of the same length)."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from test_reduced_read import _history_saved_with_shared_strings

import sli
from shared import reader
from shared.domain import schema as s
from shared.xlsx import keptstrings, stringscan

MAIN_PART = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"


@pytest.fixture
def cuts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The cuts of the shared strings the write path made (a spy: they cut as they do), none kept at the start."""
    made: list[int] = []
    real = stringscan.strings_prefix

    def counting(source, last):
        made.append(last)
        return real(source, last)

    monkeypatch.setattr(keptstrings, "strings_prefix", counting)
    keptstrings.forget()
    yield made
    keptstrings.forget()


def _update(workbook: Path, ref: str, text: str) -> None:
    reader._cache.clear()
    assert sli.main(["update", ref, "--next", text, "--by", "Helen Lowey", "--workbook", str(workbook)]) == sli.EXIT_OK


def _officer_edits_a_shared_string(workbook: Path, ref: str) -> None:
    """An officer rewrites the Recommendation of `ref` in place (same length, every other character a line
    break: a taller row), as a spreadsheet program saves it: only the string's bytes in the table change."""
    reader._cache.clear()
    old = escape(reader.read_appendix(workbook).rows[ref].values[s.RECOMMENDATION]).encode()
    new = (b"a\n" * len(old))[:len(old)]
    with zipfile.ZipFile(workbook) as source:
        parts = [(info, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(workbook, "w") as target:
        for info, data in parts:
            if info.filename == STRINGS:
                assert data.count(b">" + old + b"<") == 1
                data = data.replace(b">" + old + b"<", b">" + new + b"<")
            target.writestr(info, data)


def _sheet(workbook: Path) -> bytes:
    with zipfile.ZipFile(workbook) as book:
        return book.read(MAIN_PART)


def test_updates_reuse_the_cut_strings_and_write_what_the_uncached_path_writes(
        workbook: Path, tmp_path: Path, cuts: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    """Three updates of a workbook whose text is all in the shared strings: the table is cut once, not at each
    update (main cut it at every update); an officer's edit of a string of the row is seen (the table is cut
    again), and every sheet written equals the one written with nothing kept."""
    kept = _history_saved_with_shared_strings(workbook, tmp_path / "kept" / "Appendix1.xlsx")
    fresh = shutil.copytree(kept.parent, tmp_path / "fresh") / kept.name
    steps = [("L7", "Agree the audit with the midwives, then report to the board " * 3), ("L8", "Share the audit")]
    written = []
    for ref, text in steps:
        _update(kept, ref, text)
        written.append(_sheet(kept))
    assert len(cuts) == 1  # main: 2
    _officer_edits_a_shared_string(kept, "L7")
    _update(kept, "L7", "Report to the board")
    assert len(cuts) == 2  # the edited table is cut again, not taken for the kept one
    written.append(_sheet(kept))

    keptstrings.forget()
    monkeypatch.setattr(keptstrings, "KEEP_ITEMS_BYTES", -1)  # nothing kept: cut at each update
    for ref, text in steps:
        _update(fresh, ref, text)
        assert _sheet(fresh) == written.pop(0)
    _officer_edits_a_shared_string(fresh, "L7")
    _update(fresh, "L7", "Report to the board")
    assert _sheet(fresh) == written.pop(0)  # the edited string's row sized from its new text
    assert len(cuts) == 5
    reader._cache.clear()
    assert reader.read_appendix(kept).rows["L7"].values[s.RECOMMENDATION].startswith("a\na\n")


def _strings_moved_behind_a_comment(workbook: Path, ref: str, comment: bool) -> None:
    """The Recommendation of `ref` made twelve lines and moved to the end of the shared strings table, and (if
    `comment`) an XML comment put after the table's 550th item: a row height then needs an item the first cut
    (512 items) holds and one the next cut cannot be sure of, which iterparse reads from the table's start."""
    reader._cache.clear()
    address = reader.read_appendix(workbook).locate(ref, s.RECOMMENDATION).encode()
    with zipfile.ZipFile(workbook) as source:
        parts = [(info, source.read(info.filename)) for info in source.infolist()]
    table = dict((info.filename, data) for info, data in parts)[STRINGS]
    items = re.findall(rb"<si>.*?</si>", table, re.DOTALL)
    assert len(items) > 600
    cell = re.compile(rb'(<c r="' + address + rb'"[^>]*t="s"[^>]*><v>)(\d+)(</v>)')
    index = int(cell.search(dict((i.filename, d) for i, d in parts)[MAIN_PART]).group(2))
    assert index < 512
    moved = items + [b'<si><t xml:space="preserve">' + b"A line of the recommendation\n" * 12 + b"</t></si>"]
    body = b"".join(moved[:550]) + (b"<!-- kept by hand -->" if comment else b"") + b"".join(moved[550:])
    start = table[:table.index(b"<si>")]
    start = re.sub(rb'uniqueCount="\d+"', b'uniqueCount="%d"' % len(moved), start)
    with zipfile.ZipFile(workbook, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in parts:
            if info.filename == STRINGS:
                data = start + body + b"</sst>"
            elif info.filename == MAIN_PART:
                data = cell.sub(lambda m: m.group(1) + str(len(items)).encode() + m.group(3), data, count=1)
            target.writestr(info, data)


def test_a_row_height_needing_strings_beyond_a_comment_uses_their_own_texts(
        workbook: Path, tmp_path: Path) -> None:
    """A table the scan is sure of for its first cut but not beyond (a comment after item 550): the strings past
    the first cut are read by iterparse from the table's start, and must not be appended after the 512 held
    already (L7's Recommendation was then taken for the string 512 items before it, and the row sized by it)."""
    saved = _history_saved_with_shared_strings(workbook, tmp_path / "saved" / "Appendix1.xlsx")
    plain = shutil.copytree(saved.parent, tmp_path / "plain") / saved.name
    _strings_moved_behind_a_comment(saved, "L7", comment=True)
    _strings_moved_behind_a_comment(plain, "L7", comment=False)
    for book in (saved, plain):
        keptstrings.forget()
        _update(book, "L7", "Share the audit")
    assert _sheet(saved) == _sheet(plain)
