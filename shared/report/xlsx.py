"""The annual report as a workbook: a title in A1 of every sheet, each table an Excel table with its header
row, the chart's alt text, no merged cells; printed on A4 landscape, one page wide, header rows repeated,
every row as tall as its wrapped text, and the chart below the text, never over it."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from shared.domain import schema as s
from shared.domain.values import day_text
from shared.report.assurance import ASSURANCE_TABLE_COLUMNS
from shared.report.content import (
    DATE_FORMAT,
    LANGUAGE,
    LEAD_COLUMNS,
    MONTH_FORMAT,
    MOVES_COLUMNS,
    TABLE_COLUMNS,
    TREND_COLUMNS,
    ReportContent,
    _shown,
    risk_columns,
)
from shared.xlsx import row_height

_TITLE_SIZE = 13.0
_BODY_SIZE = 11.0
_FONT = "Calibri"  # the workbook's own font: a Font without a name prints in the spreadsheet's default serif
#: The height a landscape A4 page gives rows inside its margins (0.5 in top, 0.6 in bottom), in points.
_PAGE_HEIGHT_PT = 595.3 - (0.5 + 0.6) * 72
#: The chart's width in pixels under the words, and on a page of its own: never wider than the two columns.
_CHART_WIDTH_PX, _CHART_PAGE_WIDTH_PX = 640, 800


def _print_setup(ws, title_rows: str | None) -> None:
    """As Appendix 1 prints: A4 landscape, one page wide (as many down as needed), the header row on every
    page, and a footer naming the sheet, the page and the date."""
    from openpyxl.worksheet.page import PageMargins
    from openpyxl.worksheet.properties import PageSetupProperties

    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.6, header=0.3, footer=0.3)
    if title_rows:
        ws.print_title_rows = title_rows
    ws.oddFooter.left.text = "&A"
    ws.oddFooter.center.text = "Page &P of &N"
    ws.oddFooter.right.text = "&D"
    for part in (ws.oddFooter.left, ws.oddFooter.center, ws.oddFooter.right):
        part.size = 9


def _put(ws, row: int, column: int, value: object, wrap: bool = True, bold: bool = False,
         italic: bool = False, size: float = _BODY_SIZE, number_format: str | None = None) -> str:
    """Write one cell (text stays text, never a formula; dates as dates; days as numbers) and return the text
    it shows, for its row's height."""
    from openpyxl.styles import Alignment, Font

    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # after the value: openpyxl takes "=..." for a formula
        cell.quotePrefix = value[:1] in "=+-@"
    if bold or italic or size != _BODY_SIZE:
        cell.font = Font(name=_FONT, bold=bold, italic=italic, size=size)
    cell.alignment = Alignment(wrap_text=wrap, vertical="top")
    if isinstance(value, date):
        cell.number_format = number_format or DATE_FORMAT
        return value.strftime("%b %Y") if cell.number_format == MONTH_FORMAT else day_text(value)
    if isinstance(value, float):
        cell.number_format = "0.0"
    return _shown(value)


def _fit_row(ws, row: int, cells: list[tuple[str, float, float, bool]]) -> None:
    """The row as tall as its wrapped text needs (`shared.xlsx.row_height`, the workbook's own estimate)."""
    ws.row_dimensions[row].height = row_height(cells)


def _table_sheet(wb, name: str, title: str, header: tuple[str, ...], rows: list[tuple[object, ...]],
                 widths: tuple[float, ...], formats: dict[int, str] | None = None,
                 empty: str = ""):
    """A sheet that is one table: its title in A1, the header row (bold, repeated on every printed page,
    frozen) in row 2, the rows below, an Excel table over them so screen readers and filters know the
    header; every row as tall as its text."""
    from openpyxl.styles import Border, PatternFill, Side
    from openpyxl.worksheet.table import Table, TableStyleInfo

    ws = wb.create_sheet(name)
    for index, width in enumerate(widths, 1):
        ws.column_dimensions[s.column_letter(index - 1)].width = width
    _fit_row(ws, 1, [(_put(ws, 1, 1, title, wrap=False, bold=True, size=_TITLE_SIZE), sum(widths), _TITLE_SIZE,
                      False)])
    fill, edge = PatternFill("solid", start_color="D9E1F2"), Border(bottom=Side(style="thin", color="595959"))
    shown = []
    for column, (text, width) in enumerate(zip(header, widths, strict=True), 1):
        shown.append((_put(ws, 2, column, text, bold=True), width, _BODY_SIZE, True))
        ws.cell(2, column).fill, ws.cell(2, column).border = fill, edge
    _fit_row(ws, 2, shown)
    for number, row in enumerate(rows, 3):
        _fit_row(ws, number, [(_put(ws, number, column, value, number_format=(formats or {}).get(column)), width,
                               _BODY_SIZE, True)
                              for column, (value, width) in enumerate(zip(row, widths, strict=True), 1)])
    if rows:
        last = f"{s.column_letter(len(header) - 1)}{len(rows) + 2}"
        table = Table(displayName=name.replace(" ", ""), ref=f"A2:{last}")
        table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
        ws.add_table(table)
    elif empty:
        _fit_row(ws, 3, [(_put(ws, 3, 1, empty, wrap=False), sum(widths), _BODY_SIZE, False)])
    ws.freeze_panes = "A3"
    _print_setup(ws, "2:2")
    return ws


def _chart_image(content: ReportContent, row: int, width_px: int):
    """The chart as a picture anchored at column A of `row`, `width_px` wide, with its alt text and title
    (openpyxl would call every picture "Picture")."""
    from openpyxl.drawing.fill import Blip
    from openpyxl.drawing.geometry import PresetGeometry2D
    from openpyxl.drawing.image import Image
    from openpyxl.drawing.picture import PictureFrame
    from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, OneCellAnchor
    from openpyxl.drawing.xdr import XDRPositiveSize2D
    from openpyxl.utils.units import pixels_to_EMU

    image = Image(io.BytesIO(content.chart_png))
    image.height = round(image.height * width_px / image.width)
    image.width = width_px
    picture = PictureFrame()
    picture.nvPicPr.cNvPr.id = 2
    picture.nvPicPr.cNvPr.name = content.chart_title
    picture.nvPicPr.cNvPr.descr = content.chart_alt
    picture.nvPicPr.cNvPr.title = content.chart_title
    picture.blipFill.blip = Blip(cstate="print")
    picture.spPr.prstGeom = PresetGeometry2D(prst="rect")
    picture.spPr.ln = None
    anchor = OneCellAnchor(_from=AnchorMarker(col=0, row=row - 1),
                           ext=XDRPositiveSize2D(pixels_to_EMU(image.width), pixels_to_EMU(image.height)))
    anchor.pic = picture
    image.anchor = anchor
    return image


def _overview_sheet(wb, content: ReportContent) -> None:
    """The sentences, the counts by status, and the chart below them, on rows with nothing in them."""
    from openpyxl.styles import Border, PatternFill, Side
    from openpyxl.worksheet.table import Table, TableStyleInfo

    ws = wb.create_sheet("Overview")
    widths = (100.0, 18.0)
    for letter, width in zip("AB", widths, strict=True):
        ws.column_dimensions[letter].width = width
    row = 1
    _fit_row(ws, row, [(_put(ws, row, 1, content.title, bold=True, size=_TITLE_SIZE), widths[0], _TITLE_SIZE, True)])
    for text, italic in [(sentence, False) for sentence in content.sentences] + [(n, True) for n in content.notes]:
        row += 1
        _fit_row(ws, row, [(_put(ws, row, 1, text, italic=italic), widths[0], _BODY_SIZE, True)])
    row += 2
    header = row
    fill, edge = PatternFill("solid", start_color="D9E1F2"), Border(bottom=Side(style="thin", color="595959"))
    for column, name in enumerate(("Status", f"Recommendations, as at {content.as_at}"), 1):
        _put(ws, row, column, name, bold=True)
        ws.cell(row, column).fill, ws.cell(row, column).border = fill, edge
    _fit_row(ws, row, [("Status", widths[0], _BODY_SIZE, True),
                       (f"Recommendations, as at {content.as_at}", widths[1], _BODY_SIZE, True)])
    counted = [(status, content.counts.get(status, 0)) for status in s.STATUSES]
    counted += [(f"{s.COMPLETE}: {label}", n) for label, n in content.assurance_counts.items()]
    for status, count in counted:
        row += 1
        _put(ws, row, 1, status)
        _put(ws, row, 2, count)
        ws.row_dimensions[row].height = row_height([(status, widths[0], _BODY_SIZE, True)])
    table = Table(displayName="StatusCounts", ref=f"A{header}:B{row}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
    ws.add_table(table)
    _print_setup(ws, None)
    words = sum(ws.row_dimensions[r].height or 15.0 for r in range(1, row + 2))
    image = _chart_image(content, row + 2, _CHART_WIDTH_PX)
    if words + image.height * 0.75 > _PAGE_HEIGHT_PT - 12:  # not all on page 1: the chart on page 2, whole
        from openpyxl.worksheet.pagebreak import Break

        ws.row_breaks.append(Break(id=row + 1))
        image = _chart_image(content, row + 2, _CHART_PAGE_WIDTH_PX)
    ws.add_image(image)


def write_xlsx(content: ReportContent, output: Path) -> Path:
    """The report as a workbook of sheets that each print as a board paper and read as tables: Appendix 1,
    the Overview with its chart, the Trend (months as real dates), the Movement, the time At risk, and the
    view By lead."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    _table_sheet(wb, s.MAIN_SHEET, content.title, TABLE_COLUMNS, content.rows, (6, 55, 12, 55, 50))
    _overview_sheet(wb, content)
    _table_sheet(wb, "Trend", f"Statuses month by month, {content.year}", TREND_COLUMNS, content.trend_rows(),
                 (12, 12, 11, 10, 11, 11, 15), formats={1: MONTH_FORMAT})
    _table_sheet(wb, "Movement", f"How each recommendation moved in {content.year} (end of year: as at "
                 f"{content.as_at})", MOVES_COLUMNS, content.moves, (6, 60, 34, 14, 13, 14))
    risk_title = f"Time At risk or Off track in {content.year}" + (f". {content.risk_note}" if content.risk_note
                                                                    else "")
    _table_sheet(wb, "At risk", risk_title, risk_columns(content.year), content.at_risk, (6, 48, 12, 30, 14, 14, 14),
                 empty=f"No recommendation was At risk or Off track in {content.year}.")
    _table_sheet(wb, "By lead", f"By lead organisation, {content.year}", LEAD_COLUMNS, content.leads,
                 (42, 18, 12, 13, 14, 14, 16))
    if content.assurance_counts:
        _table_sheet(wb, "Assurance", f"Complete claims: evidence, assurance and waiting (as at {content.as_at})",
                     ASSURANCE_TABLE_COLUMNS, content.assurance, (6, 14, 16, 14, 12, 40, 14, 12, 12),
                     empty="No recommendation is claimed Complete.")
    wb.properties.title = content.title
    wb.properties.creator = content.author
    wb.properties.lastModifiedBy = content.author
    wb.properties.language = LANGUAGE
    wb.properties.subject = f"Progress on the individual locality recommendations, as at {content.as_at}"
    wb.save(output)
    return output
