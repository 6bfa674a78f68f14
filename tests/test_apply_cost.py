"""The package writer's `apply` costs less CPU (issue 18: an update at an empty log within 5x the floor), each cut
checked by what it does (counted, never timed) and by what it writes: the same bytes as without it."""

from __future__ import annotations

import random
import re
import shutil
import sys
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from lxml import etree
from test_write_path_cost import prefixes_asked

import sli
from shared import reader
from shared.domain import schema as s
from shared.domain.logrow import LogRow
from shared.xlsx import cells as cells_module
from shared.xlsx import changelog, heights
from shared.xlsx import package as package_module
from shared.xlsx.frames import appended_frame
from shared.xlsx.ooxml import MAIN_NS, PARSER, M
from shared.xlsx.package import Package
from shared.xlsx.rows import row_as_elements, row_as_text
from shared.xlsx.save import save_atomically


def _update(workbook: Path, ref: str, text: str) -> None:
    reader._cache.clear()
    assert sli.main(["update", ref, "--next", text, "--by", "Helen Lowey", "--workbook", str(workbook)]) == sli.EXIT_OK


def _first_rows_read(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Each time a package cuts a sheet's first rows from its first bytes (sheet, rows searched)."""
    read: list[tuple[str, int]] = []
    real = Package._first_rows_xml

    def counting(self, sheet_name, search_rows, size=package_module.PREFIX):
        read.append((sheet_name, search_rows))
        return real(self, sheet_name, search_rows, size)

    monkeypatch.setattr(Package, "_first_rows_xml", counting)
    return read


def test_an_update_cuts_the_logs_first_rows_once_for_its_three_header_lookups(
        workbook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An update asks for the Change log's header three times (the rows' columns, their year, the filing): the
    first finds it in the log's first row, and the others are answered from it (main cut the first rows from the
    log's first bytes and keyed them at each of the three)."""
    _update(workbook, "L7", "Warm the process")
    read = _first_rows_read(monkeypatch)
    _update(workbook, "L8", "One lookup")
    assert read == [(s.LOG_SHEET, 20)]


def test_a_header_in_the_first_row_answers_any_of_its_names_as_a_fresh_lookup_does(workbook: Path) -> None:
    """The columns a package gives for some of the header's names after finding the whole header are those a
    package that looked for those names alone gives; an edit of the sheet's cells makes it look again."""
    _update(workbook, "L7", "A log row")
    package = Package(workbook)
    try:
        whole = package.header_columns(s.LOG_SHEET, LogRow.HEADER)
        some = package.header_columns(s.LOG_SHEET, ("when (utc)", "Update  ID"))
        some["When (UTC)"] = 99  # the caller's own dict: the next answer is not changed by it
        again = package.header_columns(s.LOG_SHEET, ("when (utc)", "Update  ID"))
    finally:
        package.close()
    fresh = Package(workbook)
    try:
        alone = fresh.header_columns(s.LOG_SHEET, ("when (utc)", "Update  ID"))
    finally:
        fresh.close()
    assert again == alone == {"when (utc)": whole["When (UTC)"], "Update  ID": whole["Update ID"]}
    assert list(again) == ["when (utc)", "Update  ID"]

    package = Package(workbook)
    try:
        package.header_columns(s.LOG_SHEET, LogRow.HEADER)
        package.edit_cells(s.LOG_SHEET, {"A1": "Time", "B1": "When (UTC)"})
        assert package.header_columns(s.LOG_SHEET, ("When (UTC)",)) == {"When (UTC)": 2}
        with pytest.raises(package_module.PackageError):
            package.header_columns(s.LOG_SHEET, LogRow.HEADER)
    finally:
        package.close()
    with zipfile.ZipFile(workbook) as book:
        assert book.testzip() is None


def test_a_rows_height_is_estimated_from_addresses_and_texts_read_without_a_parse_per_cell(
        workbook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An update estimates the height of the row it edits and of the log row it adds, reading every cell's column and
    text: the columns of addresses measured before are kept (main parsed each address at each update), and an
    inline string's text is serialised at once in a document without a type declaration (main joined its runs
    through an element proxy each)."""
    _update(workbook, "L7", "Measure the row once")
    parsed: list[str] = []
    real_split = heights.split_address

    def split(address: str) -> tuple[int, int]:
        parsed.append(address)
        return real_split(address)

    monkeypatch.setattr(heights, "split_address", split)
    slow: list[int] = []
    real_text = Package._cell_text

    def cell_text(self, cell):
        slow.append(1)
        return real_text(self, cell)

    monkeypatch.setattr(Package, "_cell_text", cell_text)
    _update(workbook, "L7", "Measure it again")
    assert parsed == [] and slow == []


def _inline(xml: str, doctype: str = "") -> etree._Element:
    root = etree.fromstring(f'{doctype}<c xmlns="{MAIN_NS}" t="inlineStr">{xml}</c>'.encode(), PARSER)
    return root


def test_an_inline_strings_text_serialised_at_once_is_its_runs_joined(workbook: Path) -> None:
    """The text an inline string's cell gives serialised at once is the one its runs joined give, for every cell of
    Appendix 1 and for rich text, phonetic runs, kept spaces, comments and character references; a document that
    declares a type (whose entity references the two would give apart) has its rows measured by the runs joined."""
    strings = cells_module.SharedStrings({})
    with zipfile.ZipFile(workbook) as book:
        sheet = etree.fromstring(book.read("xl/worksheets/sheet1.xml"), PARSER)
    samples = [*sheet.iter(f"{M}c")] + [_inline(xml) for xml in (
        "<is><t>a</t></is>", "<is><r><t>a</t></r><r><rPr/><t xml:space='preserve'> b </t></r><rPh><t>p</t></rPh></is>",
        "<is><t>a<!-- c -->b</t><?pi x?>tail</is>", "<is>\n  <t>a&amp;&#10;&lt;</t>\n</is>", "<is/>", "",
        "<v>3</v>", "<f>A1</f><v>4</v>")]
    assert len(samples) > 300
    for cell in samples:
        assert cells_module.cell_text(cell, strings, no_entities=True) == cells_module.cell_text(cell, strings)

    declared = _inline("<is><t>" + "a&e;" * 40 + "</t></is>", '<!DOCTYPE c [<!ENTITY e "a much longer text">]>')
    assert cells_module.cell_text(declared, strings) == "a&e;" * 40  # the reference as written, not expanded
    expanded = etree.fromstring(f'<row xmlns="{MAIN_NS}" r="6"><c r="D6" s="6" t="inlineStr"><is><t>'
                                f'{"a much longer text " * 9}</t></is></c></row>'.encode(), PARSER)
    package = Package(workbook)
    try:
        layout = heights.Layout(sheet)
        declared_row = etree.fromstring(
            f'<!DOCTYPE row [<!ENTITY e "{"a much longer text " * 9}">]><row xmlns="{MAIN_NS}" r="6">'
            f'<c r="D6" s="6" t="inlineStr"><is><t>&e;</t></is></c></row>'.encode(), PARSER)
        assert package._estimate_height(declared_row, layout) == heights.estimate_height(
            declared_row, layout, package.styles.metrics(), package._cell_text)
        assert package._estimate_height(declared_row, layout) < package._estimate_height(expanded, layout)
    finally:
        package.close()


def test_an_update_inflates_the_logs_first_four_kilobytes_for_its_header_and_first_row(
        workbook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The header's key and the year of the log's first row are read from the log's first 4 KB (main: 8 KB, at
    about 45,000 instructions a kilobyte); a first row not whole in them is read from the first 8 KB, as before,
    and the log is never read further to find that there is nothing to file."""
    long_first = shutil.copytree(workbook.parent, tmp_path / "long") / workbook.name
    _update(workbook, "L7", "A short first row")
    package = Package(workbook)
    log_part = package.sheet_parts[s.LOG_SHEET]
    package.close()
    asked = prefixes_asked(monkeypatch)
    _update(workbook, "L8", "A second row")
    assert {size for part, size in asked if part == log_part} == {package_module.FIRST_PREFIX} == {4096}

    _update(long_first, "L7", "A first row longer than 4 KB in XML: " + "& " * 700)
    asked.clear()
    _update(long_first, "L8", "A second row")
    assert {size for part, size in asked if part == log_part} == {4096, 8192}
    assert [row.ref for row in reader.read_change_log(long_first)] == ["L7", "L8"]


def test_the_year_of_the_logs_first_row_is_read_once_while_the_log_starts_with_the_same_bytes(
        workbook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before its rows are logged an update finds whether the Change log's first row is of an earlier year (then it
    files the log by year): the row under the header is found and its date read by the first update of the process
    to find one (main: by every update); the next ones find the log starting with the same bytes. An officer's edit
    of that row's date (a year earlier) is other bytes: the row is read again and the log filed."""
    for ref in ("L6", "L7"):  # the first finds the log empty: no row under its header yet
        _update(workbook, ref, f"Row for {ref}")
    found: list[int] = []
    real = changelog._log_header_row

    def counting(*args, **kwargs):
        found.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(changelog, "_log_header_row", counting)
    _update(workbook, "L8", "The second row")
    assert found == []

    package = Package(workbook)
    package.edit_cells(s.LOG_SHEET, {"A2": datetime(datetime.now(UTC).year - 1, 6, 1, 9, 30)})
    save_atomically(package, workbook, None, 0)
    _update(workbook, "L9", "After the officer's edit")
    assert found
    with zipfile.ZipFile(workbook) as book:
        assert f"{s.LOG_SHEET} {datetime.now(UTC).year - 1}".encode() in book.read("xl/workbook.xml")
    assert [row.ref for row in reader.read_change_log(workbook)] == ["L6", "L7", "L8", "L9"]


def test_an_update_edits_and_appends_with_patterns_compiled_once(
        workbook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The package's edit, its appended rows and the quote-prefix rule search the sheets' bytes and the texts with
    patterns compiled once a process (main built the worksheet pattern from its namespace, escaped anew, and
    looked up the others in `re`'s cache at each update); child elements are taken by tag, not through `find`'s
    path."""
    for ref in ("L6", "L7"):  # the second finds a row under the log's header, whose year the next ones keep
        _update(workbook, ref, f"Compile the patterns for {ref}")
    made: list[tuple[str, str]] = []
    watched = ("shared/xlsx/package.py", "shared/xlsx/changelog.py", "shared/xlsx/cells.py")
    for name in ("escape", "search", "match", "compile", "sub", "fullmatch", "findall"):
        real = getattr(re, name)

        def through_re(*args, _real=real, _name=name, **kwargs):
            caller = sys._getframe(1).f_code.co_filename
            if caller.endswith(watched):
                made.append((_name, caller))
            return _real(*args, **kwargs)

        monkeypatch.setattr(re, name, through_re)
    _update(workbook, "L8", "12/3 Mar")  # a text the quote-prefix rule searches for a digit and a month
    assert made == []


def _log_frame(package: Package) -> tuple:
    segments_or_data = package.current(package.sheet_part(s.LOG_SHEET))
    return appended_frame(package_module.head_without_data(segments_or_data))


def test_a_log_row_made_as_text_is_the_row_lxml_writes(workbook: Path) -> None:
    """The Change log row an update appends is made as text (main: as elements, each cell's `<c>`, `<is>` and `<t>`
    made and filled, then serialised, more than the rest of the append cost): the same bytes as lxml writes, for
    texts of every kind of character, quote-prefixed texts (on their style's twin), numbers, dates and
    booleans, in wrapping and plain columns; a text lxml refuses or may write otherwise is left to it."""
    rng = random.Random(18)
    alphabet = ["a", "Z", "7", " ", "  ", "&", "<", ">", '"', "'", "]]>", "\t", "\n", "\r\n", "\r", "é", "\xa0", "€",
                "👶", "中", "\u2028", "\ufffd", "=", "+", "-", "@", "#N/A", "12/3", "3 Mar", "TRUE", "0.5", "%", "/",
                f' xmlns="{MAIN_NS}"']
    odd = ["\x00", "\x07", "\x0b", "\x1f", "\x7f", "\x85", "\ufffe", "\ud800"]
    values: list[object] = [None, "", True, False, 0, 3, -2.5, 1e20, 46363.33515046, date(2027, 1, 31),
                            datetime(2026, 12, 7, 8, 0, 1), datetime(2026, 12, 7), "x" * 3000, "word " * 400]
    values += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))) for _ in range(400)]
    package = Package(workbook)
    try:
        frame = _log_frame(package)

        def as_text(layout: tuple, number: int, row: dict) -> bytes | None:
            return row_as_text(layout, number, row, package.date1904, package.styles.quoted_style,
                               package.styles.metrics)

        styled = (frame[0], {**frame[1], 3: "0", 5: "8"})  # some columns unstyled, some wrapping
        compared = 0
        for number in range(2, 300):
            row = {column: rng.choice(values) for column in rng.sample(range(1, 12), rng.randint(0, 9))}
            for layout in (frame, styled):
                made = as_text(layout, number, row)
                assert made == row_as_elements(layout, number, row, package._fill_cell, package._estimate_height)
                compared += made is not None
        assert compared > 500
        for text in odd:
            row = {2: f"before {text} after"}
            assert as_text(frame, 5, row) is None  # lxml's: written, or refused as before
        assert as_text((frame[0], {2: 'a"&b'}), 5, {2: "L7"}) is None  # a style that is not an index: lxml's
    finally:
        package.close()


def test_an_update_fills_elements_only_for_the_cells_it_edits(workbook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cells an update edits in Appendix 1 are filled as elements (their rows are parsed); the Change log row it
    appends is made as text, none of its eight cells an element (main: all eight)."""
    _update(workbook, "L7", "Warm the process")
    filled: list[str] = []
    real = Package._fill_cell

    def counting(self, cell, value):
        filled.append(cell.get("r"))
        return real(self, cell, value)

    monkeypatch.setattr(Package, "_fill_cell", counting)
    _update(workbook, "L8", "Fill the edited cells only")
    assert filled == ["H11", "J11", "K11"], filled  # L8's next steps, last updated and updated by
