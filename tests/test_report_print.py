"""The xlsx annual report prints like Appendix 1 (issue 20, 4): A4 landscape, one page wide, few pages, the
header row on every page, every word printed and none over another, the chart whole and over no text.

LibreOffice turns `sli report --format xlsx` of two workbooks (the first hour, and a year of updates: see
tests/report_scenarios.py) into PDFs in one start; poppler reads back every word with its box (pdftotext),
and the chart's box (pdftohtml), and draws the page (pdftoppm) to see where the chart is visible. Like
tests/test_print.py, these skip without LibreOffice or poppler unless SLI_REQUIRE_LIBREOFFICE=1.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import office
import openpyxl
import pytest
from lxml import etree
from PIL import Image
from report_scenarios import a_year, copy_of_committed, first_hour, report
from test_print import A4_LANDSCAPE, Page, Word, _pdf_pages, _tokens

from shared.domain import schema as s

SHEETS = (s.MAIN_SHEET, "Overview", "Trend", "Movement", "At risk", "By lead", "Assurance")
#: The most pages each sheet may take (main printed 16 portrait pages in all, rows over rows).
MOST_PAGES = {s.MAIN_SHEET: 4, "Overview": 2, "Trend": 1, "Movement": 2, "At risk": 2, "By lead": 1, "Assurance": 1}
TABLE_SHEETS = (s.MAIN_SHEET, "Trend", "Movement", "At risk", "By lead", "Assurance")


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> dict[str, tuple[Path, list[Page], Path]]:
    """name -> (the report's xlsx, its printed pages, the PDF)."""
    office.tool("soffice")
    office.tool("pdftotext")
    folder = tmp_path_factory.mktemp("report-print")
    reports = {}
    for name, prepare, board in (("first-hour", first_hour, None), ("year", a_year, None), ("lscb", a_year, "LSCB")):
        workbook = copy_of_committed(folder / name)
        reports[name] = report(workbook, prepare(workbook), "xlsx", folder / f"{name}.xlsx", board)
    office.convert(reports.values(), "pdf", folder / "pdf", folder / "lo")
    return {name: (xlsx, _pdf_pages(folder / "pdf" / f"{name}.pdf"), folder / "pdf" / f"{name}.pdf")
            for name, xlsx in reports.items()}


def _sheet_of(page: Page) -> str:
    """The sheet a page belongs to, from its footer: "<sheet> Page n of N <date>"."""
    found = re.fullmatch(r"(.+) Page (\d+) of (\d+) \S+", page.footer())
    assert found, f"no footer naming the sheet and page: {page.footer()!r}"
    return found.group(1)


def _pages_by_sheet(pages: list[Page]) -> dict[str, list[Page]]:
    by_sheet: dict[str, list[Page]] = {}
    for page in pages:
        by_sheet.setdefault(_sheet_of(page), []).append(page)
    return by_sheet


def _drawn_over(words: list[Word], share: float = 0.25) -> list[tuple[str, str]]:
    """Pairs of words printed over each other: boxes that overlap by more than `share` of the lower one's
    height and more than a point across. The lines of one wrapped cell touch by about a tenth of their
    height (the font's box is taller than the line LibreOffice sets); rows printed over rows overlap far more."""
    boxes = sorted(words, key=lambda w: w.x0)
    found = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if b.x0 >= a.x1 - 1:
                break
            shared = min(a.y1, b.y1) - max(a.y0, b.y0)
            if shared > share * min(a.y1 - a.y0, b.y1 - b.y0):
                found.append((a.text, b.text))
    return found


def _shown(cell) -> str | None:
    """A cell as the sheet shows it: dates in their number format, numbers as written, text as it is."""
    value = cell.value
    if isinstance(value, datetime | date):
        return value.strftime("%b %Y" if cell.number_format == "mmm yyyy" else "%d/%m/%Y")
    return None if value is None else str(value)


@pytest.mark.parametrize("which", ["first-hour", "year", "lscb"])
def test_report_prints_on_few_a4_landscape_pages_one_page_wide(printed, which):
    _, pages, _ = printed[which]
    by_sheet = _pages_by_sheet(pages)
    assert list(by_sheet) == list(SHEETS)  # every sheet, in order, its pages together
    for sheet, sheet_pages in by_sheet.items():
        assert len(sheet_pages) <= MOST_PAGES[sheet], (sheet, len(sheet_pages))
    assert len(pages) <= sum(MOST_PAGES.values())
    for number, page in enumerate(pages, 1):
        assert (round(page.width, 2), round(page.height, 2)) == A4_LANDSCAPE
        assert f"Page {number} of {len(pages)}" in page.footer()
        for w in page.words:  # nothing runs off the paper (one page wide: nothing cut at the right)
            assert 5 <= w.x0 and w.x1 <= page.width - 5 and 5 <= w.y0 and w.y1 <= page.height - 5, (page.footer(), w)


@pytest.mark.parametrize("which", ["first-hour", "year", "lscb"])
def test_header_row_is_printed_on_every_page_of_every_table(printed, which):
    xlsx, pages, _ = printed[which]
    wb = openpyxl.load_workbook(xlsx)
    by_sheet = _pages_by_sheet(pages)
    for sheet in TABLE_SHEETS:
        header = [_shown(c) for c in wb[sheet][2]]
        first = header[0].split()[0]
        for page in by_sheet[sheet]:
            top = min((w for w in page.words if w.text == first), key=lambda w: w.y0)
            body = [w for w in page.words if w.y0 > top.y1 + 20 and w.y1 < page.height - 45]
            band = Counter(t for w in page.words if top.y0 - 2 <= w.y0 and w.y1 <= top.y1 + 45 for t in _tokens(w.text))
            assert band >= Counter(t for name in header for t in _tokens(name)), (sheet, page.footer())
            if body:  # data rows print below the header on every page
                assert min(w.y0 for w in body) > top.y1


@pytest.mark.parametrize("which", ["first-hour", "year", "lscb"])
def test_every_word_of_every_sheet_is_printed_and_none_over_another(printed, which):
    xlsx, pages, _ = printed[which]
    over = {number: _drawn_over(page.words) for number, page in enumerate(pages, 1)}
    assert {number: pairs for number, pairs in over.items() if pairs} == {}  # main: 700 or so words
    wb = openpyxl.load_workbook(xlsx)
    by_sheet = _pages_by_sheet(pages)
    for sheet in SHEETS:
        shown = Counter(t for page in by_sheet[sheet] for w in page.words for t in _tokens(w.text))
        wanted = Counter(t for row in wb[sheet].iter_rows() for c in row if _shown(c) for t in _tokens(_shown(c)))
        missing = {word: n - shown[word] for word, n in wanted.items() if shown[word] < n}
        assert missing == {}, (sheet, missing)


def _images(pdf: Path, folder: Path) -> dict[int, list[tuple[float, float, float, float]]]:
    """Page number -> the boxes (x0, y0, x1, y1, in points) of the pictures placed on it (pdftohtml)."""
    done = subprocess.run([office.tool("pdftohtml"), "-xml", "-zoom", "1", "-q", str(pdf), str(folder / "pages")],
                          capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    root = etree.parse(str(folder / "pages.xml"), etree.XMLParser(recover=True)).getroot()
    boxes: dict[int, list[tuple[float, float, float, float]]] = {}
    for page in root.iter("page"):
        for image in page.iter("image"):
            left, top, width, height = (float(image.get(k)) for k in ("left", "top", "width", "height"))
            boxes.setdefault(int(page.get("number")), []).append((left, top, left + width, top + height))
    return boxes


def _drawn_in(pdf: Path, number: int, box: tuple[float, float, float, float], page: Page, folder: Path) -> bool:
    """Whether anything is drawn inside `box` on page `number` (a picture placed below the print range is
    listed by pdftohtml but clipped away: the page is white there)."""
    stem = folder / f"page{number}"
    subprocess.run([office.tool("pdftoppm"), "-png", "-r", "36", "-f", str(number), "-l", str(number), "-singlefile",
                    str(pdf), str(stem)], check=True, capture_output=True, timeout=60)
    image = Image.open(f"{stem}.png").convert("L")
    scale = image.width / page.width
    x0, y0 = max(0, box[0]), max(0, box[1])
    x1, y1 = min(page.width, box[2]), min(page.height - 45, box[3])  # above the footer
    if x1 <= x0 or y1 <= y0:
        return False
    crop = image.crop((int(x0 * scale), int(y0 * scale), int(x1 * scale), int(y1 * scale)))
    return crop.getextrema()[0] < 200


@pytest.mark.parametrize("which", ["first-hour", "year", "lscb"])
def test_the_chart_prints_whole_on_one_overview_page_over_no_words(printed, which, tmp_path):
    _, pages, pdf = printed[which]
    drawn = []
    for number, boxes in _images(pdf, tmp_path).items():
        page = pages[number - 1]
        for box in boxes:
            if _drawn_in(pdf, number, box, page, tmp_path):
                drawn.append((number, box))
    assert len(drawn) == 1, drawn  # one chart, printed once: not split over two pages
    number, (x0, y0, x1, y1) = drawn[0]
    page = pages[number - 1]
    assert _sheet_of(page) == "Overview"
    assert 0 <= x0 and 0 <= y0 and x1 <= page.width and y1 <= page.height - 45  # whole, above the footer
    under = [w.text for w in page.words if w.x0 < x1 and w.x1 > x0 and w.y0 < y1 and w.y1 > y0]
    assert under == []  # the chart over no text (main: over the Overview's sentences)
