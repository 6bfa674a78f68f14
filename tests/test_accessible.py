"""The annual report is an accessible document (issue 20, 5), and its xlsx says things plainly (issue 20, 4).

Public bodies must publish accessible documents: pictures with alt text that says what they show, tables
with a marked header row, real headings, no table used for layout, the document's language, a title and an
author, page numbers. Each report is made through `sli report` and read back by independent readers:
python-docx and lxml on the docx's parts, openpyxl and lxml on the xlsx's, the workbook's statuses with
openpyxl.
"""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import docx
import openpyxl
import pytest
from lxml import etree
from report_scenarios import THIS_YEAR, copy_of_committed, first_hour, report

import sli
from shared import usecases
from shared.domain import schema as s
from shared.uow import Store

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"
XDR = "{http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing}"
ORGANISATION = "Blackburn with Darwen Public Health"
RISK = (s.AT_RISK, s.OFF_TRACK)


#: The workbooks whose reports are a board's paper, and the board (its figures are its own recommendations').
BOARD_OF: dict[Path, str] = {}


def _statuses(workbook: Path) -> dict[str, str]:
    """Each recommendation's status in the workbook, read with openpyxl (Ref in A, Status in F, from row 4);
    for a board's paper only the recommendations the board sees (as `sli report --for` says it does)."""
    ws = openpyxl.load_workbook(workbook)[s.MAIN_SHEET]
    statuses = {row[0]: row[5] for row in ws.iter_rows(min_row=4, values_only=True) if row[0]}
    if workbook in BOARD_OF:
        _, rows = usecases.board_rows(Store.for_workbook(workbook), BOARD_OF[workbook])
        statuses = {ref: status for ref, status in statuses.items() if ref in {row.ref for row in rows}}
    return statuses


def _counts_said(text: str, statuses: dict[str, str]) -> None:
    tally = Counter(statuses.values())
    for status in s.STATUSES:
        assert f"{tally[status]} {status.lower()}" in text, (status, text)


@pytest.fixture(scope="module")
def first_hour_reports(tmp_path_factory) -> tuple[Path, Path, Path]:
    """(workbook, docx, xlsx) of the first hour: one update recorded, L7 put On track from Off track."""
    folder = tmp_path_factory.mktemp("accessible")
    workbook = copy_of_committed(folder / "book")
    year = first_hour(workbook)
    return (workbook, report(workbook, year, "docx", folder / "report.docx"),
            report(workbook, year, "xlsx", folder / "report.xlsx"))


@pytest.fixture(scope="module")
def board_reports(tmp_path_factory) -> tuple[Path, Path, Path]:
    """The LSCB's own paper of the same first hour (`sli report --for LSCB`, issue 21)."""
    folder = tmp_path_factory.mktemp("accessible-lscb")
    workbook = copy_of_committed(folder / "book")
    BOARD_OF[workbook] = "LSCB"
    year = first_hour(workbook)
    return (workbook, report(workbook, year, "docx", folder / "report.docx", "LSCB"),
            report(workbook, year, "xlsx", folder / "report.xlsx", "LSCB"))


@pytest.fixture(params=["partnership", "LSCB"])
def reports(request, first_hour_reports, board_reports) -> tuple[Path, Path, Path]:
    """Each structural check holds for the partnership's report and for a board's paper alike."""
    return first_hour_reports if request.param == "partnership" else board_reports


def _part(path: Path, name: str) -> etree._Element:
    with zipfile.ZipFile(path) as archive:
        return etree.fromstring(archive.read(name))


# --- the docx -----------------------------------------------------------------------------------

def test_docx_chart_has_alt_text_with_its_numbers(reports):
    workbook, document, _ = reports
    pictures = list(_part(document, "word/document.xml").iter(f"{WP}docPr"))
    assert len(pictures) == 1
    alt, title = pictures[0].get("descr") or "", pictures[0].get("title") or ""
    assert "bar chart" in alt.lower() and "by status, month by month" in alt
    assert datetime.now(UTC).strftime("%B %Y") in alt  # the month it shows, by name
    _counts_said(alt, _statuses(workbook))  # this month's counts, in words
    assert str(THIS_YEAR) in title and "month by month" in title


def test_docx_tables_have_marked_repeated_header_rows_and_none_is_for_layout(reports):
    _, document, _ = reports
    body = _part(document, "word/document.xml")
    tables = list(body.iter(f"{W}tbl"))
    assert len(tables) >= 5
    for table in tables:
        rows = table.findall(f"{W}tr")
        assert len(rows) >= 2
        assert rows[0].find(f"{W}trPr/{W}tblHeader") is not None  # marked, and repeated on every page
        assert all(row.find(f"{W}trPr/{W}tblHeader") is None for row in rows[1:])
        assert table.find(f"{W}tblPr/{W}tblCaption").get(f"{W}val")
        assert list(table.iter(f"{W}drawing")) == []  # the chart is not laid out in a table (main: it was)
    read = docx.Document(str(document))
    for table in read.tables:
        assert all(cell.text.strip() for cell in table.rows[0].cells)  # every column has a header


def test_docx_has_real_headings_in_order(reports):
    _, document, _ = reports
    read = docx.Document(str(document))
    styles = [p.style.name for p in read.paragraphs if p.text.strip()]
    headings = [(int(name.split()[-1]), p.text) for name, p in zip(styles, [p for p in read.paragraphs
                                                                           if p.text.strip()], strict=True)
                if re.fullmatch(r"Heading \d", name)]
    assert "Title" not in styles
    assert headings[0][0] == 1 and [level for level, _ in headings].count(1) == 1
    assert all(later <= earlier + 1 for (earlier, _), (later, _) in zip(headings, headings[1:], strict=False))
    names = [text for _, text in headings]
    assert "Overview" in names and "By lead organisation" in names and "Time At risk or Off track" in names


def test_docx_is_in_british_english_with_a_title_an_author_and_page_numbers(reports):
    _, document, _ = reports
    styles = _part(document, "word/styles.xml")
    lang = styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}lang")
    assert lang is not None and lang.get(f"{W}val") == "en-GB"
    with zipfile.ZipFile(document) as archive:
        names = archive.namelist()
        for name in ("word/document.xml", "word/styles.xml", "word/settings.xml", "docProps/core.xml"):
            assert b"en-US" not in archive.read(name), name
        assert not [n for n in names if "thumbnail" in n]  # python-docx's template picture is not ours
        assert b"python-docx" not in archive.read("docProps/core.xml")
        footers = [archive.read(n) for n in names if re.fullmatch(r"word/footer\d*\.xml", n)]
    read = docx.Document(str(document))
    properties = read.core_properties
    assert properties.title.startswith("Sector Led Improvement Review: Infant Mortality") and str(THIS_YEAR) in \
        properties.title
    assert properties.author == ORGANISATION  # the committed workbook's creator is the program: the team then
    assert properties.language == "en-GB"
    section = read.sections[0]  # A4 landscape (python-docx's template is US Letter)
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (29.7, 21.0)
    assert footers
    footer = etree.fromstring(footers[0])
    fields = " ".join(t.text for t in footer.iter(f"{W}instrText"))
    assert "PAGE" in fields.split() and "NUMPAGES" in fields.split()
    assert "Page" in "".join(footer.itertext()) and " of " in "".join(footer.itertext())


def test_report_author_is_whoever_the_workbook_names(tmp_path):
    workbook = copy_of_committed(tmp_path / "book")
    renamed = tmp_path / "named.xlsx"
    with zipfile.ZipFile(workbook) as source, zipfile.ZipFile(renamed, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "docProps/core.xml":
                data = data.replace(b">SLI Tracker<", b">Anita Patel<")
                assert b">Anita Patel<" in data
            target.writestr(item, data)
    renamed.replace(workbook)
    document = report(workbook, THIS_YEAR, "docx", tmp_path / "r.docx")
    assert docx.Document(str(document)).core_properties.author == "Anita Patel"
    assert openpyxl.load_workbook(report(workbook, THIS_YEAR, "xlsx", tmp_path / "r.xlsx")).properties.creator \
        == "Anita Patel"


# --- the xlsx -----------------------------------------------------------------------------------

def test_xlsx_chart_has_alt_text_with_its_numbers(reports):
    workbook, _, xlsx = reports
    with zipfile.ZipFile(xlsx) as archive:
        drawings = [etree.fromstring(archive.read(n)) for n in archive.namelist() if n.startswith("xl/drawings/d")]
    pictures = [p for d in drawings for p in d.iter(f"{XDR}cNvPr")]
    assert len(pictures) == 1
    alt = pictures[0].get("descr") or ""
    assert alt != "Picture" and "bar chart" in alt.lower()  # main: openpyxl's "Picture"
    _counts_said(alt, _statuses(workbook))
    assert "month by month" in (pictures[0].get("title") or "")


def test_xlsx_sheets_have_titles_bold_headers_tables_and_no_merged_cells(reports):
    _, _, xlsx = reports
    wb = openpyxl.load_workbook(xlsx)
    assert wb.sheetnames == [s.MAIN_SHEET, "Overview", "Trend", "Movement", "At risk", "By lead", "Assurance"]
    assert wb.properties.title and wb.properties.creator == ORGANISATION and wb.properties.language == "en-GB"
    for ws in wb.worksheets:
        assert isinstance(ws["A1"].value, str) and ws["A1"].value and ws["A1"].font.b, ws.title
        assert not ws.merged_cells.ranges, ws.title
        assert ws.tables, ws.title  # each table an Excel table: its header row known to readers and filters
        for table in ws.tables.values():
            first, last = table.ref.split(":")
            header = [c for row in ws[f"{first}:{re.sub(r'[0-9]+', '', last)}{re.sub(r'[A-Z]+', '', first)}"]
                      for c in row]
            names = [c.value for c in header]
            assert all(isinstance(n, str) and n.strip() for n in names), (ws.title, names)  # main: one was ""
            assert len(set(names)) == len(names)
            assert all(c.font.b for c in header), (ws.title, names)  # main: the Overview's was not bold
        # Prints like Appendix 1: A4 landscape, one page wide, the header row on every page.
        setup = ws.page_setup
        assert setup.orientation == "landscape" and int(setup.paperSize) == 9, ws.title
        assert (int(setup.fitToWidth), int(setup.fitToHeight)) == (1, 0) and ws.sheet_properties.pageSetUpPr.fitToPage
        if ws.title != "Overview":
            assert ws.print_title_rows == "$2:$2" and ws.freeze_panes == "A3", ws.title


def test_xlsx_report_holds_real_dates_and_numbers_and_plain_words(reports):
    _, _, xlsx = reports
    wb = openpyxl.load_workbook(xlsx)
    months = [ws_row[0] for ws_row in wb["Trend"].iter_rows(min_row=3)]
    assert [c.value for c in months] == [datetime(THIS_YEAR, m, 1) for m in range(1, len(months) + 1)]
    assert all(c.number_format == "mmm yyyy" for c in months)  # main: "2026-01" as text
    by_lead = list(wb["By lead"].iter_rows(min_row=3, values_only=True))
    assert all(isinstance(n, int) for row in by_lead for n in row[1:3] + row[4:])
    assert any(isinstance(row[3], datetime) for row in by_lead)  # the last update, a date
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            for value in row:
                assert not (isinstance(value, str) and re.search(r"<\d|\d\+", value)), (ws.title, value)  # "<1+"


def test_at_risk_lists_every_recommendation_at_risk_or_off_track_now_and_l7(first_hour_reports):
    """L7 was Off track until the first record (the update that put it On track): it was Off track in the
    year, so it is listed, saying so; main left it out while listing L14. Everything At risk or Off track now
    in the workbook is listed, as the Appendix 1 sheet of the same report says."""
    workbook, document, xlsx = first_hour_reports
    statuses = _statuses(workbook)
    assert statuses["L7"] == s.ON_TRACK
    wb = openpyxl.load_workbook(xlsx)
    rows = {row[0]: row for row in wb["At risk"].iter_rows(min_row=3, values_only=True)}
    now = {ref for ref, status in statuses.items() if status in RISK}
    assert set(rows) == now | {"L7"}
    assert {ref for ref, *rest in wb[s.MAIN_SHEET].iter_rows(min_row=3, values_only=True) if rest[1] in RISK} == now
    assert all(rows[ref][2] == statuses[ref] for ref in rows)
    today = datetime.now(UTC).strftime("%d/%m/%Y")  # the journal's clock, as the report writes dates
    assert rows["L7"][3] == f"not now: {s.OFF_TRACK} until {today}"
    for ref in now:  # already so when records began (today): since before then, at least so many days
        assert rows[ref][3] == f"before {today}, when records begin" and rows[ref][4].startswith("at least ")
        assert isinstance(rows[ref][5], int | float) and isinstance(rows[ref][6], int | float)
    read = docx.Document(str(document))
    risk = next(t for t in read.tables if t.rows[0].cells[2].text == "Status now")
    assert {r.cells[0].text for r in risk.rows[1:]} == now | {"L7"}


def test_before_any_record_the_report_still_lists_what_is_at_risk_now(workbook: Path, tmp_path: Path):
    statuses = _statuses(workbook)
    xlsx = tmp_path / "r.xlsx"
    assert sli.main(["report", "--year", str(THIS_YEAR), "--output", str(xlsx), "--workbook", str(workbook)]) == 0
    rows = list(openpyxl.load_workbook(xlsx)["At risk"].iter_rows(min_row=3, values_only=True))
    assert [r[0] for r in rows] == [ref for ref, status in statuses.items() if status in RISK]  # main: none
    assert all(r[3].startswith("not known") and r[5] == r[6] == "not known" for r in rows)
