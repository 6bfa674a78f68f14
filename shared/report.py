"""The annual report: Appendix 1 as a board paper carries it, for the 12-month update to the Health and
Wellbeing Board, the LSCB and the CDOP (`sli report --year 2027 --format docx --output PATH`)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from shared import summary as sm
from shared.domain import schema as s
from shared.domain.values import cell_text
from shared.reader import read_appendix, read_change_log
from shared.usecases import Store

FORMATS = ("docx", "xlsx")
TABLE_COLUMNS = ("Ref", "Recommendation", "Status", "Summary of status", "Recommendation for next steps")


@dataclass
class ReportContent:
    year: int
    title: str
    counts: dict[str, int]
    completed: list[tuple[str, str, str]]  # (ref, date, recommendation)
    rows: list[tuple[str, str, str, str, str]]
    chart_png: bytes


def report_content(store: Store, year: int, now: datetime | None = None) -> ReportContent:
    """What the report says, from the workbook and its Change log."""
    now = now or datetime.now(UTC)
    appendix = read_appendix(store.workbook)
    rows = sorted(appendix.rows.values(), key=lambda r: int(r.ref[1:]))
    completed = []
    for entry in read_change_log(store.workbook):
        when = entry.when.date() if isinstance(entry.when, datetime) else entry.when
        if entry.field == s.STATUS and entry.new_value == s.COMPLETE and isinstance(when, date) and when.year == year:
            text = cell_text(appendix.rows[entry.ref][s.RECOMMENDATION]) if entry.ref in appendix.rows else ""
            completed.append((entry.ref, when.strftime("%d/%m/%Y"), text))
    month = (year, 12) if now.year > year else (now.year, now.month)
    figures = sm.month_figures(store, *month, now=now)
    return ReportContent(
        year=year,
        title=f"Sector Led Improvement Review: Infant Mortality - progress on the individual locality "
              f"recommendations, {year}",
        counts=figures.counts, completed=completed,
        rows=[(r.ref, cell_text(r[s.RECOMMENDATION]), r.status, cell_text(r[s.SUMMARY]), cell_text(r[s.NEXT_STEPS]))
              for r in rows],
        chart_png=sm.status_chart(figures))


def _overview_sentences(content: ReportContent) -> list[str]:
    total = sum(content.counts.values())
    parts = ", ".join(f"{content.counts.get(st, 0)} {st.lower()}" for st in s.STATUSES)
    done = (f"{len(content.completed)} recommendation(s) were completed in {content.year}: "
            + ", ".join(ref for ref, _, _ in content.completed) + "."
            if content.completed else f"No recommendation was marked complete in {content.year}.")
    return [f"Of the {total} recommendations for individual localities: {parts}.", done]


def write_docx(content: ReportContent, output: Path) -> Path:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm, Pt

    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.8))
    document.styles["Normal"].font.size = Pt(10)
    document.add_heading("Appendix 1", level=0)
    document.add_paragraph(content.title)
    document.add_heading("Overview", level=1)
    for sentence in _overview_sentences(content):
        document.add_paragraph(sentence)
    counts = document.add_table(rows=1, cols=2)
    counts.style = "Light Grid Accent 1"
    counts.rows[0].cells[0].text, counts.rows[0].cells[1].text = "Status", "Recommendations"
    for status in s.STATUSES:
        cells = counts.add_row().cells
        cells[0].text, cells[1].text = status, str(content.counts.get(status, 0))
    if content.completed:
        document.add_heading(f"Completed in {content.year}", level=2)
        for ref, when, text in content.completed:
            document.add_paragraph(f"{ref} ({when}): {text}", style="List Bullet")
    document.add_picture(io.BytesIO(content.chart_png), width=Cm(20))
    document.add_page_break()
    document.add_heading("Recommendations: status and next steps", level=1)
    table = document.add_table(rows=1, cols=len(TABLE_COLUMNS))
    table.style = "Light Grid Accent 1"
    for cell, name in zip(table.rows[0].cells, TABLE_COLUMNS, strict=True):
        cell.text = name
    for row in content.rows:
        for cell, value in zip(table.add_row().cells, row, strict=True):
            cell.text = value
    widths = (Cm(1.3), Cm(7.5), Cm(2.3), Cm(7.5), Cm(6.5))
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width  # LibreOffice reads the grid; Word reads the cells
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width
    document.core_properties.title = content.title
    document.save(output)
    return output


def write_xlsx(content: ReportContent, output: Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.drawing.image import Image
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Appendix 1"
    ws.append([content.title])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([])
    ws.append(list(TABLE_COLUMNS))
    for cell in ws[3]:
        cell.font = Font(bold=True)
    for row in content.rows:
        ws.append(list(row))
        for cell in ws[ws.max_row]:
            cell.data_type = "s"  # text stays text, even "=..." typed by someone once
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in zip("ABCDE", (6, 60, 12, 60, 50), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A4"
    overview = wb.create_sheet("Overview")
    for sentence in _overview_sentences(content):
        overview.append([sentence])
    overview.append([])
    overview.append(["Status", "Recommendations"])
    for status in s.STATUSES:
        overview.append([status, content.counts.get(status, 0)])
    overview.column_dimensions["A"].width = 30
    overview.add_image(Image(io.BytesIO(content.chart_png)), "D1")
    wb.save(output)
    return output


def write_report(store: Store, year: int, fmt: str, output: Path) -> Path:
    """Write the report in `fmt` (docx or xlsx) to `output`."""
    if fmt not in FORMATS:
        raise ValueError(f"'{fmt}' is not a report format: use docx or xlsx.")
    content = report_content(store, year)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    return write_docx(content, output) if fmt == "docx" else write_xlsx(content, output)
