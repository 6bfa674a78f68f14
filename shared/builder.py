"""Builds the Appendix 1 workbook from the illustrative content (`sli workbook init PATH`).

The file is made pleasant to edit in Excel with no add-in: drop-downs that point at defined
names (Excel stores a drop-down whose list sits straight on another sheet in an extension that
openpyxl would drop), status colours by conditional formatting, a frozen header, widths, wrapping.
It also prints like a board paper: A4 landscape, every column on one page wide, the header row on
every page, rows tall enough for their wrapped text (LibreOffice does not grow them), and a footer
with the sheet, page N of M and the date.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties

from shared import sample_content as content
from shared.domain import schema as s
from shared.domain.logrow import LogRow
from shared.xlsx import Package, save_atomically

TITLE = "Appendix 1 - Sector Led Improvement (SLI) Infant Mortality: recommendations for individual localities"
HEADER_ROW = 3
LAST_EDIT_ROW = 200
DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"

#: Fill colours of the status conditional formats (soft RAG, readable with black text).
STATUS_FILLS = {
    s.NOT_STARTED: "D9D9D9", s.ON_TRACK: "C6EFCE", s.AT_RISK: "FFEB9C",
    s.OFF_TRACK: "FFC7CE", s.COMPLETE: "BDD7EE",
}
#: Defined names the drop-downs use; the dynamic ones grow as officers add to sheet Lists.
STATUS_NAME, LEAD_ORG_NAME, PRIORITY_NAME, ROLE_NAME = "StatusList", "LeadOrgList", "PriorityList", "RoleList"
#: The accountable roles (sheet Lists), offered in Appendix 1's Accountable and Leads' Accountable for.
ACCOUNTABLE_NAME = "AccountableRoleList"
#: Appendix 1's columns as built: the eleven, then assurance's four (at the end, so the first eleven keep
#: their letters in workbooks made before and after).
BUILT_COLUMNS = (*s.MAIN_COLUMNS, *s.ASSURANCE_COLUMNS)

#: Column widths (characters), chosen for both screen and paper: the eleven columns total 173
#: characters, so one A4 landscape page wide still prints 11 pt text at about 8 pt (measured in
#: LibreOffice's PDF, 4 pages for Appendix 1); wider columns make the printed text smaller.
_WIDTHS = {
    s.REF: 5, s.RECOMMENDATION: 30, s.PRIORITY: 12, s.LEAD_ORG: 14, s.LEAD_OFFICER: 13, s.STATUS: 10,
    s.SUMMARY: 29, s.NEXT_STEPS: 25, s.DUE: 12, s.LAST_UPDATED: 12, s.UPDATED_BY: 11,
    s.ACCOUNTABLE: 13, s.EVIDENCE: 22, s.ASSURED_BY: 11, s.ASSURED_ON: 11,
}
_WRAPPED = (s.RECOMMENDATION, s.SUMMARY, s.NEXT_STEPS, s.LEAD_ORG, s.LEAD_OFFICER, s.PRIORITY, s.STATUS,
            s.UPDATED_BY, s.ACCOUNTABLE, s.EVIDENCE, s.ASSURED_BY)
_THIN = Side(style="thin", color="BFBFBF")
_GRID = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_BOLD = Font(bold=True)
_HEADER_FILL = PatternFill("solid", start_color="1F4E78")
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_FIXED_TIME = datetime(2026, 11, 1, 9, 0, 0)


def _letter(column: str) -> str:
    return s.column_letter(BUILT_COLUMNS.index(column))


def _header(ws, row: int, names: tuple[str, ...]) -> None:
    for index, name in enumerate(names, start=1):
        cell = ws.cell(row=row, column=index, value=name)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        cell.border = _GRID


def _print_setup(ws, title_rows: str) -> None:
    """A4 landscape, all columns on one page wide (as many pages down as needed), the header row
    repeated on every page, narrow margins, and a footer naming the sheet, the page and the date."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.6, header=0.3, footer=0.3)
    ws.print_title_rows = title_rows
    ws.oddFooter.left.text = "&A"
    ws.oddFooter.center.text = "Page &P of &N"
    ws.oddFooter.right.text = "&D"
    for part in (ws.oddFooter.left, ws.oddFooter.center, ws.oddFooter.right):
        part.size = 9


def _main_sheet(ws) -> None:
    ws.title = s.MAIN_SHEET
    last_letter = s.column_letter(len(BUILT_COLUMNS) - 1)
    ws["A1"] = TITLE
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = content.ILLUSTRATIVE_NOTE
    ws["A2"].font = Font(italic=True, color="7F7F7F")
    # Title and note span the table and wrap inside it, so neither runs off the printed page.
    for row in (1, 2):
        ws.merge_cells(f"A{row}:{last_letter}{row}")
        ws[f"A{row}"].alignment = Alignment(wrap_text=True, vertical="top")
    _header(ws, HEADER_ROW, BUILT_COLUMNS)
    keys = {s.REF: "ref", s.RECOMMENDATION: "recommendation", s.PRIORITY: "framework_priority",
            s.LEAD_ORG: "lead_organisation", s.LEAD_OFFICER: "lead_officer", s.STATUS: "status",
            s.SUMMARY: "summary", s.NEXT_STEPS: "next_steps", s.DUE: "next_step_due",
            s.LAST_UPDATED: "last_updated", s.UPDATED_BY: "updated_by", s.ACCOUNTABLE: "accountable",
            s.EVIDENCE: "evidence", s.ASSURED_BY: "assured_by", s.ASSURED_ON: "assured_on"}
    for offset, item in enumerate(content.RECOMMENDATIONS, start=1):
        row = HEADER_ROW + offset
        for col, column in enumerate(BUILT_COLUMNS, start=1):
            value = item.get(keys[column])
            cell = ws.cell(row=row, column=col, value=value if value != "" else None)
            cell.alignment = Alignment(wrap_text=column in _WRAPPED, vertical="top")
            cell.border = _GRID
            if column in s.DATE_COLUMNS:
                cell.number_format = DATE_FORMAT
    for column, width in _WIDTHS.items():
        ws.column_dimensions[_letter(column)].width = width
    # Rows officers add below the 22 keep the date format and wrapping.
    for column in (s.DUE, s.LAST_UPDATED, s.ASSURED_ON):
        ws.column_dimensions[_letter(column)].number_format = DATE_FORMAT
    ws.freeze_panes = f"C{HEADER_ROW + 1}"
    _print_setup(ws, f"{HEADER_ROW}:{HEADER_ROW}")
    first, last = HEADER_ROW + 1, LAST_EDIT_ROW

    status_range = f"{_letter(s.STATUS)}{first}:{_letter(s.STATUS)}{last}"
    for status, colour in STATUS_FILLS.items():
        ws.conditional_formatting.add(status_range, FormulaRule(
            formula=[f'${_letter(s.STATUS)}{first}="{status}"'],
            fill=PatternFill("solid", start_color=colour, end_color=colour), stopIfTrue=True))

    def dropdown(column: str, name: str, title: str, prompt: str) -> None:
        dv = DataValidation(type="list", formula1=name, allow_blank=True, showDropDown=False,
                            showErrorMessage=True, errorTitle=title, error=prompt,
                            promptTitle=title, prompt=prompt, showInputMessage=True)
        dv.add(f"{_letter(column)}{first}:{_letter(column)}{last}")
        ws.add_data_validation(dv)

    dropdown(s.STATUS, STATUS_NAME, "Status", "Choose Not started, On track, At risk, Off track or Complete.")
    dropdown(s.LEAD_ORG, LEAD_ORG_NAME, "Lead organisation",
             "Choose from the list. To add an organisation, add it to sheet Lists first.")
    dropdown(s.PRIORITY, PRIORITY_NAME, "Framework priority", "Choose a priority of the Framework for Action.")
    # Several roles may share a recommendation (`Director of Public Health; LSCB Chair`): the list is offered,
    # not enforced; validation checks each role against sheet Lists.
    roles = DataValidation(type="list", formula1=ACCOUNTABLE_NAME, allow_blank=True, showErrorMessage=False,
                           promptTitle="Accountable", showInputMessage=True,
                           prompt="Choose the accountable role from sheet Lists; for two, separate them with ;")
    roles.add(f"{_letter(s.ACCOUNTABLE)}{first}:{_letter(s.ACCOUNTABLE)}{last}")
    ws.add_data_validation(roles)
    due = DataValidation(type="date", operator="between", formula1="DATE(2016,1,1)",
                         formula2="DATE(2099,12,31)", allow_blank=True, showErrorMessage=True,
                         errorTitle="Next step due", error="Enter a date, e.g. 31/01/2027.",
                         promptTitle="Next step due", prompt="A date, e.g. 31/01/2027.", showInputMessage=True)
    due.add(f"{_letter(s.DUE)}{first}:{_letter(s.DUE)}{last}")
    ws.add_data_validation(due)


def _lists_sheet(wb: Workbook) -> None:
    ws = wb.create_sheet(s.LISTS_SHEET)
    _header(ws, 1, s.LISTS_COLUMNS)
    for col, values in enumerate((s.STATUSES, content.LEAD_ORGANISATIONS, content.FRAMEWORK_PRIORITIES), 1):
        for row, value in enumerate(values, start=2):
            ws.cell(row=row, column=col, value=value)
        ws.column_dimensions[s.column_letter(col - 1)].width = 45
    # Assurance: the accountable roles (D), and the boards with the roles that report to each (G:I).
    for col, name in ((4, s.LIST_ROLES), (7, s.LIST_BOARD), (8, s.LIST_BOARD_ROLES), (9, s.LIST_BOARD_PRIORITIES)):
        cell = ws.cell(row=1, column=col, value=name)
        cell.font, cell.fill, cell.border = _HEADER_FONT, _HEADER_FILL, _GRID
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for row, value in enumerate(content.ACCOUNTABLE_ROLES, start=2):
        ws.cell(row=row, column=4, value=value)
    ws.column_dimensions["D"].width = 28
    for row, board in enumerate(content.BOARDS, start=2):
        for col, key in enumerate(("board", "reported_to_by", "only_priorities"), start=7):
            ws.cell(row=row, column=col, value=board[key]).alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in zip("GHI", (12, 28, 40), strict=True):
        ws.column_dimensions[letter].width = width
    ws["E1"] = "Officers may add to or rename these lists (CCGs have since become ICBs); the drop-downs follow."
    ws["E2"] = content.ASSURANCE_NOTE
    for note in ("E1", "E2"):
        ws[note].font = Font(italic=True, color="7F7F7F")
        ws[note].alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["E"].width = 45
    ws.freeze_panes = "A2"
    _print_setup(ws, "1:1")
    quoted = f"'{s.LISTS_SHEET}'" if " " in s.LISTS_SHEET else s.LISTS_SHEET
    names = {
        STATUS_NAME: f"{quoted}!$A$2:$A${1 + len(s.STATUSES)}",
        LEAD_ORG_NAME: f"OFFSET({quoted}!$B$2,0,0,MAX(1,COUNTA({quoted}!$B:$B)-1),1)",
        PRIORITY_NAME: f"OFFSET({quoted}!$C$2,0,0,MAX(1,COUNTA({quoted}!$C:$C)-1),1)",
        ACCOUNTABLE_NAME: f"OFFSET({quoted}!$D$2,0,0,MAX(1,COUNTA({quoted}!$D:$D)-1),1)",
        ROLE_NAME: '"lead,officer"',
    }
    for name, ref in names.items():
        if name != ROLE_NAME:
            wb.defined_names[name] = DefinedName(name, attr_text=ref)


def _leads_sheet(wb: Workbook) -> None:
    ws = wb.create_sheet(s.LEADS_SHEET)
    _header(ws, 1, (*s.LEADS_COLUMNS, s.LEADS_ENTRA_COLUMN, s.LEADS_ACCOUNTABLE_COLUMN))
    for row, lead in enumerate(content.LEADS, start=2):
        for col, key in enumerate(("lead_organisation", "name", "slack_user_id", "role", "entra_object_id",
                                   "accountable_for"), start=1):
            ws.cell(row=row, column=col, value=lead.get(key))
    for letter, width in zip("ABCDEF", (45, 24, 16, 10, 38, 26), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    _print_setup(ws, "1:1")
    org = DataValidation(type="list", formula1=LEAD_ORG_NAME, allow_blank=True)
    org.add("A2:A500")
    role = DataValidation(type="list", formula1='"lead,officer"', allow_blank=False)
    role.add("D2:D500")
    accountable = DataValidation(type="list", formula1=ACCOUNTABLE_NAME, allow_blank=True, showErrorMessage=False)
    accountable.add("F2:F500")
    ws.add_data_validation(org)
    ws.add_data_validation(role)
    ws.add_data_validation(accountable)


def _log_sheet(wb: Workbook) -> None:
    ws = wb.create_sheet(s.LOG_SHEET)
    _header(ws, 1, LogRow.HEADER)
    for letter, width in zip("ABCDEFGH", (20, 7, 18, 40, 40, 20, 8, 38), strict=True):
        ws.column_dimensions[letter].width = width
    # Appended rows take their style from the column: the When column shows date and time, and old and
    # new values wrap (the write path gives each new row the height its text needs), so they print whole.
    for letter in "ABCDEFGH":
        ws.column_dimensions[letter].alignment = Alignment(wrap_text=letter in "DE", vertical="top")
    ws.column_dimensions["A"].number_format = DATETIME_FORMAT
    ws.freeze_panes = "A2"
    _print_setup(ws, "1:1")


def build_workbook(path: Path) -> Path:
    """Write a new Appendix 1 workbook at `path` (overwriting nothing: refuses if it exists)."""
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"{path} already exists: choose another path or remove it first.")
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    _main_sheet(wb.active)
    _lists_sheet(wb)
    _leads_sheet(wb)
    _log_sheet(wb)
    wb.properties.creator = "SLI Tracker"
    wb.properties.title = "Appendix 1 - SLI Infant Mortality recommendations"
    wb.properties.created = _FIXED_TIME
    wb.properties.modified = _FIXED_TIME
    wb.save(path)
    _finish(path)
    return path


def _finish(path: Path) -> None:
    """Two things openpyxl cannot do, done with the write path's own code so the two always agree.

    Every cell style gets a twin with Excel's quote prefix now, so that writing text Excel would convert
    (`=…`, `-…`, `12/3`) later changes only the sheet, never the styles part. Every row gets the height
    its wrapped text needs (the estimate a later write recognises as not set by hand).
    """
    package = Package(path)
    for style in range(package.cell_style_count()):
        package.quoted_style(style)
    for sheet in (s.MAIN_SHEET, s.LISTS_SHEET, s.LEADS_SHEET, s.LOG_SHEET):
        package.fit_row_heights(sheet)
    try:
        save_atomically(package, path, None, 0)
    finally:
        package.close()

