"""Appendix 1 prints like a board paper, and keeps printing so through updates and officers' choices.

LibreOffice turns a copy of the committed workbook into a PDF; poppler's pdftotext reads back every
word with its box. Like the other LibreOffice tests (tests/office.py), these skip when soffice (or
pdftotext) is missing, unless SLI_REQUIRE_LIBREOFFICE=1 (CI) makes that a failure. The row-height and
page-setup tests below them need neither program: they read the sheet XML the write path produced.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import office
import openpyxl
import pytest
from lxml import etree

from shared import builder
from shared.domain import schema as s
from shared.usecases import Store, submit_update
from shared.xlsx import Package, row_height, text_lines

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
A4_LANDSCAPE = (841.89, 595.30)
LONG_NEXT_STEP = ("@ward round review: with the neonatal unit, the health visiting service and "
                  "the voluntary sector peer supporters, agree a single referral form for every mother who "
                  "stops breastfeeding before six weeks, and report uptake to the Infant Mortality Group "
                  "each quarter until the service is recommissioned.")


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass
class Page:
    width: float
    height: float
    words: list[Word]

    def footer(self) -> str:
        # In reading order: pdftotext may give a line's words in another order (seen: "Page 2 of 6 Appendix 1").
        return " ".join(w.text for w in sorted((w for w in self.words if w.y0 > self.height - 45),
                                               key=lambda w: (round(w.y0), w.x0)))


def _pdf_pages(pdf: Path) -> list[Page]:
    done = subprocess.run([office.tool("pdftotext"), "-bbox", str(pdf), "-"], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    root = etree.fromstring(done.stdout, etree.XMLParser(recover=True))
    pages = []
    for page in root.iter("{*}page"):
        words = [Word(w.text or "", *(float(w.get(k)) for k in ("xMin", "yMin", "xMax", "yMax")))
                 for w in page.iter("{*}word")]
        pages.append(Page(float(page.get("width")), float(page.get("height")), words))
    return pages


def _tokens(text: str) -> list[str]:
    return re.findall(r"\w+", text)


def _cell_words(path: Path) -> Counter:
    """Every word of every cell of Appendix 1 as the sheet shows it (dates as dd/mm/yyyy)."""
    words: Counter = Counter()
    for row in openpyxl.load_workbook(path)[s.MAIN_SHEET].iter_rows(values_only=True):
        for value in row:
            if isinstance(value, datetime | date):
                value = value.strftime("%d/%m/%Y")
            if value is not None:
                words.update(_tokens(str(value)))
    return words


def _overlaps(words: list[Word], slack: float = 0.6) -> list[tuple[str, str]]:
    """Pairs of words whose boxes (each shrunk by `slack` points) intersect: text drawn over text."""
    boxes = sorted(words, key=lambda w: w.x0)
    found = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if b.x0 + slack >= a.x1 - slack:
                break
            if min(a.y1, b.y1) - max(a.y0, b.y0) > 2 * slack:
                found.append((a.text, b.text))
    return found


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> dict[str, tuple[Path, list[Page]]]:
    """PDFs of a copy of the committed workbook, and of a copy after an update with a long next step."""
    office.tool("soffice")
    office.tool("pdftotext")
    folder = tmp_path_factory.mktemp("print")
    books = {name: folder / name / f"{name}.xlsx" for name in ("committed", "updated")}
    for copy in books.values():
        copy.parent.mkdir()
        shutil.copy2(builder_workbook(), copy)
    result = submit_update(Store.for_workbook(books["updated"]), "L7",
                           {s.NEXT_STEPS: LONG_NEXT_STEP, s.DUE: "31/03/2027"}, by="Anita Patel", via=s.VIA_CLI)
    assert result.state == "applied", result.message
    office.convert(books.values(), "pdf", folder / "pdf", folder / "lo")  # one start of LibreOffice for both
    return {name: (book, _pdf_pages(folder / "pdf" / f"{name}.pdf")) for name, book in books.items()}


def builder_workbook() -> Path:
    return Path(__file__).resolve().parents[1] / "workbook" / "Appendix1.xlsx"


def _appendix_pages(pages: list[Page]) -> list[Page]:
    return [p for p in pages if p.footer().startswith(f"{s.MAIN_SHEET} Page")]


@pytest.mark.parametrize("which", ["committed", "updated"])
def test_appendix_prints_on_few_a4_landscape_pages_with_footer(printed, which):
    _, pages = printed[which]
    appendix = _appendix_pages(pages)
    assert 1 <= len(appendix) <= 8, [p.footer() for p in pages]
    assert pages[:len(appendix)] == appendix  # Appendix 1 comes first, its pages together
    for number, page in enumerate(appendix, start=1):
        assert (round(page.width, 2), round(page.height, 2)) == A4_LANDSCAPE
        assert re.fullmatch(rf"{s.MAIN_SHEET} Page {number} of {len(pages)} \S+", page.footer()), page.footer()
    # The other sheets print too, landscape, one page wide: nothing of them is cut at the right.
    for page in pages:
        assert (round(page.width, 2), round(page.height, 2)) == A4_LANDSCAPE


@pytest.mark.parametrize("which", ["committed", "updated"])
def test_header_row_is_on_every_appendix_page(printed, which):
    _, pages = printed[which]
    for page in _appendix_pages(pages):
        ref = next(w for w in page.words if w.text == s.REF)
        refs = [w for w in page.words if re.fullmatch(r"L\d{1,2}", w.text)]
        assert refs and min(w.y0 for w in refs) > ref.y1, "data rows print below the header"
        first_data = min(w.y0 for w in refs)
        band = [w.text for w in page.words if ref.y0 - 20 <= w.y0 and w.y1 <= first_data]
        for header in s.MAIN_COLUMNS:
            for word in header.split():
                assert word in band, (header, page.footer())


@pytest.mark.parametrize("which", ["committed", "updated"])
def test_every_word_of_appendix_1_is_printed_once_and_nothing_overlaps(printed, which):
    book, pages = printed[which]
    appendix = _appendix_pages(pages)
    shown: Counter = Counter()
    for page in appendix:
        shown.update(t for w in page.words for t in _tokens(w.text))
        assert _overlaps(page.words) == [], page.footer()
        for w in page.words:  # nothing runs off the paper
            assert 5 <= w.x0 and w.x1 <= page.width - 5 and 5 <= w.y0 and w.y1 <= page.height - 5, w
    wanted = _cell_words(book)
    missing = {word: count - shown[word] for word, count in wanted.items() if shown[word] < count}
    assert missing == {}, missing
    if which == "updated":
        assert all(t in shown for t in _tokens(LONG_NEXT_STEP))


@pytest.mark.parametrize("which", ["committed", "updated"])
def test_other_sheets_print_without_overlap(printed, which):
    _, pages = printed[which]
    for page in pages:
        assert _overlaps(page.words) == [], page.footer()
    footers = [p.footer().split(" Page ")[0] for p in pages]
    assert set(footers) == {s.MAIN_SHEET, s.LISTS_SHEET, s.LEADS_SHEET, s.LOG_SHEET}
    if which == "updated":  # the Change log's new value wraps in a row tall enough: printed whole
        log = [w.text for p in pages if p.footer().startswith(s.LOG_SHEET) for w in p.words]
        assert Counter(t for w in log for t in _tokens(w)) >= Counter(_tokens(LONG_NEXT_STEP))


# --- page setup in the file, and kept by the write path -------------------------------------

def _sheet_xml(path: Path, sheet: str) -> etree._Element:
    package = Package(path)
    return etree.fromstring(package.parts[package.sheet_parts[sheet]])


def test_builder_sets_up_every_sheet_for_printing(tmp_path):
    built = builder.build_workbook(tmp_path / "Appendix1.xlsx")
    wb = openpyxl.load_workbook(built)
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
        assert (int(ws.page_setup.fitToWidth), int(ws.page_setup.fitToHeight)) == (1, 0)
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.oddFooter.left.text == "&A" and ws.oddFooter.center.text == "Page &P of &N"
        assert ws.oddFooter.right.text == "&D"
    assert wb[s.MAIN_SHEET].print_title_rows == f"${builder.HEADER_ROW}:${builder.HEADER_ROW}"
    assert all(wb[name].print_title_rows == "$1:$1" for name in (s.LISTS_SHEET, s.LEADS_SHEET, s.LOG_SHEET))


def test_committed_rows_are_as_tall_as_their_text_needs():
    """Every row of the committed Appendix 1 carries the estimate for its text, not custom."""
    root = _sheet_xml(builder_workbook(), s.MAIN_SHEET)
    rows = list(root.iter(f"{MAIN}row"))
    assert len(rows) == builder.HEADER_ROW + 22
    assert all(row.get("ht") and row.get("customHeight") is None for row in rows)
    assert min(float(row.get("ht")) for row in rows[builder.HEADER_ROW:]) >= 4 * 15  # wrapped, several lines


def _edit_sheet(path: Path, sheet: str, change) -> None:
    """Change a sheet's XML as an officer's Excel would have saved it (the test's stand-in for Excel)."""
    package = Package(path)
    part = package.sheet_parts[sheet]
    root = etree.fromstring(package.parts[part])
    change(root)
    package.changed[part] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    package.write(path)


def _row(root: etree._Element, ref: str) -> etree._Element:
    for row in root.iter(f"{MAIN}row"):
        first = row.find(f"{MAIN}c")
        if first is not None and "".join(first.itertext()) == ref:
            return row
    raise AssertionError(ref)


def test_update_recomputes_its_rows_height_unless_set_by_hand(workbook):
    def officer_sizes_rows(root):
        _row(root, "L9").set("ht", "99")
        _row(root, "L9").set("customHeight", "1")  # dragged by hand in Excel
        _row(root, "L10").set("ht", "17.25")  # fitted by Excel itself (not custom): not by hand

    _edit_sheet(workbook, s.MAIN_SHEET, officer_sizes_rows)
    before = {ref: float(_row(_sheet_xml(workbook, s.MAIN_SHEET), ref).get("ht")) for ref in ("L7", "L8")}
    store = Store.for_workbook(workbook)
    for ref in ("L7", "L9", "L10"):
        result = submit_update(store, ref, {s.NEXT_STEPS: LONG_NEXT_STEP}, by="Anita Patel", via=s.VIA_CLI)
        assert result.state == "applied", result.message
    root = _sheet_xml(workbook, s.MAIN_SHEET)
    grown = float(_row(root, "L7").get("ht"))
    assert grown > before["L7"]
    width = openpyxl.load_workbook(workbook)[s.MAIN_SHEET].column_dimensions[
        s.column_letter(s.MAIN_COLUMNS.index(s.NEXT_STEPS))].width
    assert grown >= text_lines(LONG_NEXT_STEP, width) * 15 > 4 * 15
    assert _row(root, "L9").get("ht") == "99" and _row(root, "L9").get("customHeight") == "1"
    assert float(_row(root, "L10").get("ht")) >= text_lines(LONG_NEXT_STEP, width) * 15  # Excel's fit: not by hand
    assert float(_row(root, "L8").get("ht")) == before["L8"]  # untouched rows keep theirs
    # Back to a short text: the row shrinks again (its height was the estimate, so not set by hand).
    result = submit_update(store, "L7", {s.NEXT_STEPS: "Agree cover."}, by="Anita Patel", via=s.VIA_CLI)
    assert result.state == "applied", result.message
    assert float(_row(_sheet_xml(workbook, s.MAIN_SHEET), "L7").get("ht")) < grown


def test_row_height_estimate_is_generous_and_steps_like_excel():
    assert text_lines("", 10) == 1 and text_lines("a b", 10) == 1
    assert text_lines("word " * 10, 10) == 5  # "word word" fills a 10-character line
    assert text_lines("x" * 25, 10) == 3  # a word longer than the line is broken
    assert text_lines("one\ntwo", 30) == 2
    assert text_lines("word " * 10, 20, font_size=22) == 5  # twice the font, half the characters
    assert row_height([("short", 10, 11, True)]) == 15
    assert row_height([("word " * 10, 10, 11, True)]) == 75
    assert row_height([("word " * 10, 10, 11, False)]) == 15  # not wrapped: one line
    assert row_height([("title", 10, 14, False)]) % 0.75 == 0


PRINT_ELEMENTS = ("sheetPr", "pageMargins", "pageSetup", "printOptions", "headerFooter", "rowBreaks", "colBreaks")


def test_update_keeps_the_page_setup_officers_chose(workbook):
    def officer_prints_differently(root):
        setup = root.find(f"{MAIN}pageSetup")
        for key in list(setup.attrib):
            del setup.attrib[key]
        setup.attrib.update({"paperSize": "8", "orientation": "portrait", "scale": "55", "fitToHeight": "3"})
        options = root.find(f"{MAIN}printOptions")
        if options is None:
            options = etree.Element(f"{MAIN}printOptions")
            root.find(f"{MAIN}pageMargins").addprevious(options)
        options.set("gridLines", "1")
        options.set("horizontalCentered", "1")
        footer = root.find(f"{MAIN}headerFooter")
        footer.find(f"{MAIN}oddFooter").text = "&LOfficial - Sensitive&RBoard paper &P"
        breaks = etree.Element(f"{MAIN}rowBreaks", count="1", manualBreakCount="1")
        etree.SubElement(breaks, f"{MAIN}brk", id="14", max="16383", man="1")
        footer.addnext(breaks)

    _edit_sheet(workbook, s.MAIN_SHEET, officer_prints_differently)
    before = _sheet_xml(workbook, s.MAIN_SHEET)
    result = submit_update(Store.for_workbook(workbook), "L7", {s.NEXT_STEPS: "@" + LONG_NEXT_STEP},
                           by="Anita Patel", via=s.VIA_CLI)
    assert result.state == "applied", result.message
    after = _sheet_xml(workbook, s.MAIN_SHEET)
    for name in PRINT_ELEMENTS:
        old, new = before.find(f"{MAIN}{name}"), after.find(f"{MAIN}{name}")
        assert (old is None) == (new is None), name
        if old is not None:
            assert etree.tostring(old, method="c14n") == etree.tostring(new, method="c14n"), name
    assert after.find(f"{MAIN}rowBreaks") is not None
    ws = openpyxl.load_workbook(workbook)[s.MAIN_SHEET]
    assert ws.page_setup.orientation == "portrait" and ws.print_options.gridLines
    assert ws.print_title_rows == f"${builder.HEADER_ROW}:${builder.HEADER_ROW}"  # the defined name stays too
    with zipfile.ZipFile(workbook) as archive:
        assert b"Print_Titles" in archive.read("xl/workbook.xml")
