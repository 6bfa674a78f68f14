"""The fixed cost of writing one update (issue 18: an update at an empty Change log within 5x the floor): what
the patch no longer does twice or at all, each checked by what it gives (the same bytes as the work it
replaced) and by what it does (counted, never timed)."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from test_reduced_read import _history_saved_with_shared_strings
from test_sheet_pieces import bytes_inflated

import sli
from shared import reader
from shared.domain import schema as s
from shared.xlsx import Package
from shared.xlsx import cells as cells_module
from shared.xlsx.entries import Source, inflate, raw_data
from shared.xlsx.save import wait_for_pruning

MAIN_PART = "xl/worksheets/sheet1.xml"


@pytest.fixture
def packages(monkeypatch: pytest.MonkeyPatch) -> list[Package]:
    """Every Package opened (a spy: they work as they do)."""
    opened: list[Package] = []
    real = Package.__init__

    def keeping(self, *args, **kwargs):
        real(self, *args, **kwargs)
        opened.append(self)

    monkeypatch.setattr(Package, "__init__", keeping)
    return opened


def _update(workbook: Path, ref: str, text: str) -> None:
    reader._cache.clear()
    assert sli.main(["update", ref, "--next", text, "--by", "Helen Lowey", "--workbook", str(workbook)]) == sli.EXIT_OK


def test_a_row_is_sized_from_the_shared_strings_it_uses_made_text_one_by_one(
        workbook: Path, tmp_path: Path, packages: list[Package], monkeypatch: pytest.MonkeyPatch) -> None:
    """After a spreadsheet program saves the file, Appendix 1's text is in the shared strings: the row-height
    estimate makes text of the strings of the row it sizes (and the log's header), not of the hundreds cut from
    the table; the sheet it writes is byte for byte the one written when every string was made text."""
    saved = _history_saved_with_shared_strings(workbook, tmp_path / "saved" / "Appendix1.xlsx")
    eager = shutil.copytree(saved.parent, tmp_path / "eager") / saved.name
    text = "Agree the audit with the midwives and the obstetric leads, then report to the board " * 3
    _update(saved, "L7", text)
    [package] = packages
    made = package.strings.texts_made()
    assert 0 < made <= 40  # the row's cells and the log's header; main made text of 512
    class EagerTexts(cells_module._Texts):
        """Every shared string made text as soon as the table is cut, as the package did before."""

        def __init__(self, items=()):
            super().__init__(items)
            for index in range(len(self)):
                self[index]

    monkeypatch.setattr(cells_module, "_Texts", EagerTexts)
    _update(eager, "L7", text)
    assert packages[1].strings.texts_made() >= 512
    with zipfile.ZipFile(saved) as lazy_file, zipfile.ZipFile(eager) as eager_file:
        assert lazy_file.read(MAIN_PART) == eager_file.read(MAIN_PART)
        assert b' ht="' in lazy_file.read(MAIN_PART)


class _CountingLxml:
    """lxml's etree with `fromstring` counted when it parses the styles part."""

    def __init__(self, styles: bytes) -> None:
        self.styles, self.parses = styles, 0

    def __getattr__(self, name: str):
        return getattr(etree, name)

    def fromstring(self, text, *args, **kwargs):
        if text == self.styles:
            self.parses += 1
        return etree.fromstring(text, *args, **kwargs)


def test_the_styles_are_parsed_once_for_the_updates_of_a_process(workbook: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Row heights need each cell style's font size and wrapping: worked out from the styles part once, not
    parsed again by every update while the styles stay the same bytes; the same figures either way."""
    with zipfile.ZipFile(workbook) as archive:
        styles = archive.read("xl/styles.xml")
    counting = _CountingLxml(styles)
    monkeypatch.setattr(cells_module, "etree", counting)
    _update(workbook, "L7", "First of three")
    first = counting.parses
    _update(workbook, "L8", "Second of three")
    _update(workbook, "L9", "Third of three")
    assert first <= 1 and counting.parses == first  # main parsed them again in every update
    package = Package(workbook)
    try:
        expected = cells_module._style_metrics(etree.fromstring(package.parts["xl/styles.xml"]))
        assert package.styles.metrics() == expected and len(expected) > 5
    finally:
        package.close()


def test_a_parts_first_bytes_are_inflated_no_further_than_asked(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The log's header is found in its first kilobytes: a part's prefix inflates that much, not the rest of the
    compressed chunk read (a chunk of a long log inflates to megabytes); the bytes are the part's own."""
    path = tmp_path / "long.zip"
    data = b"".join(f'<row r="{n}"><c r="A{n}"><v>{n * 7919 % 100003}</v></c></row>'.encode() for n in range(60000))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("sheet.xml", data)
    source = Source(path)
    try:
        with zipfile.ZipFile(path) as archive:
            span = raw_data(source, archive.getinfo("sheet.xml"))
        made = bytes_inflated(monkeypatch)
        for size in (1, 8192, 65536, 70001):
            made.clear()
            assert inflate(span, size) == data[:size]
            assert sum(made) == size  # main inflated the whole 64 KB compressed chunk: megabytes here
        assert inflate(span) == data
    finally:
        source.close()


def test_backups_of_a_workbook_with_brackets_in_its_name_are_pruned(workbook: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the newest backups are kept (`SLI_KEEP_BACKUPS`), and a dead writer's temporary file is cleared, both
    found by their names as text: a glob took the brackets of `Appendix[1].xlsx` for a pattern and found none."""
    bracketed = workbook.with_name("Appendix[1].xlsx")
    workbook.rename(bracketed)
    monkeypatch.setenv("SLI_KEEP_BACKUPS", "2")
    dead = bracketed.with_name(f".{bracketed.name}.sli-tmp-999999")  # a writer killed mid-save left it
    dead.write_bytes(b"half a workbook")
    for n in range(4):
        _update(bracketed, "L7", f"Step {n}")
    assert not dead.exists()  # main's glob never found it either
    wait_for_pruning()  # the oldest go once the save is in place (tests/test_pruning.py)
    backups = sorted(p.name for p in (bracketed.parent / ".backups").iterdir())
    assert len(backups) == 2 and all(name.startswith("Appendix[1]-") for name in backups)
    assert reader.read_appendix(bracketed).rows["L7"][s.NEXT_STEPS] == "Step 3"



def prefixes_asked(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every (part, size) a package is asked the first bytes of from now on (a spy on `Package.prefix`)."""
    asked: list[tuple[str, int]] = []
    real = Package.prefix

    def recording(self, part: str, size: int) -> bytes:
        asked.append((part, size))
        return real(self, part, size)

    monkeypatch.setattr(Package, "prefix", recording)
    return asked


def test_the_change_logs_header_is_found_in_its_first_kilobytes(workbook: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The log's header is its first row: an update inflates the log's first 8 KB to find it (the same columns),
    not its first 64 KB, once the log is long (here 6,000 rows, after a spreadsheet program saved it)."""
    saved = _history_saved_with_shared_strings(workbook, tmp_path / "saved" / "Appendix1.xlsx")
    asked = prefixes_asked(monkeypatch)
    for n in range(2):
        _update(saved, "L7", f"Found the header {n}")
        package = Package(saved)
        try:
            log_part = package.sheet_parts[s.LOG_SHEET]
            columns = package.header_columns(s.LOG_SHEET, ["When (UTC)", "Ref", "Field"])
        finally:
            package.close()
        assert columns == {"When (UTC)": 1, "Ref": 2, "Field": 3}
        assert max(size for part, size in asked if part == log_part) <= 8192  # main asked for 64 KB
        asked.clear()
    rows = reader.read_change_log(saved)
    assert rows[-1].new_value == "Found the header 1" and len(rows) > 6000
