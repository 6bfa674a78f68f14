"""What the Excel add-in does, written once over an xlwings `Book`: the xlwings Server scripts
(`custom_scripts`), the desktop `RunPython` macro (`macros.py`) and the custom functions call these.

A thin front end: the core (`shared/`) reads Appendix 1, applies the rules and decides what an update
does; this module turns the open workbook's values into the core's `Sheet`s and the core's answers into
cell values, fill colours, a `Validation` sheet and alerts. In xlwings Server each of those becomes an
action the Office.js client carries out in the officer's Excel.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from shared import usecases
from shared.domain import rules
from shared.domain import schema as s
from shared.domain import update as j
from shared.domain.model import Appendix, Sheet
from shared.domain.schema import split_address
from shared.domain.update import Plan
from shared.domain.values import cell_text, plural
from shared.settings import Settings
from shared.usecases import Context, OpenBook, Store, WorkbookError
from shared.usecases.checking import LOG_TIME_FORMAT, excel_value  # noqa: F401 (the add-in's time format)

VALIDATION_SHEET = "Validation"
VALIDATION_COLUMNS = ("Cell", "Severity", "Message", "Ref", "Column", "Rule", "Coloured")
#: "Coloured" values: the add-in set the cell's fill; found again by ref and column, or by the address alone.
COLOURED_BY_REF = "yes"
COLOURED_BY_ADDRESS = "yes, by address"
#: Fills for cells with a problem; unlike the status colours (soft RAG), so the two never look alike.
FILLS = {rules.ERROR: "#F8696B", rules.WARNING: "#FFC000"}
ALERT_TITLE = "SLI Tracker"
#: Task-pane JavaScript callbacks (static/js/sli-taskpane.js) the server scripts call at the end.
SHOW_FINDINGS, SHOW_UPDATES = "sliShowFindings", "sliShowUpdates"


# --- the workbook the server serves ------------------------------------------------------------

_served: Settings | None = None
_context: Context | None = None


def configure(settings: Settings) -> None:
    """Which workbook (and journal) the add-in serves: set by `sli addin` / `sli run` before serving."""
    global _served, _context
    _served, _context = settings, None


def served_settings() -> Settings:
    """The settings given to `configure`; else, for the desktop macro, the environment's, read once."""
    global _served
    if _served is None:
        _served = Settings.from_env()
    return _served


def served_workbook() -> Path:
    return served_settings().workbook


def served_context() -> Context:
    """The use cases' context for the served workbook, built once."""
    global _context
    if _context is None:
        _context = usecases.context(served_settings())
    return _context


def pending_count(ctx: Context | Store | None = None) -> int:
    """Updates journalled and not yet in the workbook (none when there is no journal yet)."""
    return usecases.pending_count(ctx or served_context())


def awaiting_assurance(ctx: Context | Store | None = None) -> list[usecases.AssuranceItem]:
    """The recommendations that read "Complete, awaiting assurance" in the served workbook (who claimed them,
    since when), for the task pane; none when it asks no assurance or cannot be read just now."""
    try:
        items = usecases.assurance_items(ctx or served_context())
    except (WorkbookError, s.HeaderError, OSError):
        return []
    return [item for item in items if item.status == s.AWAITING_ASSURANCE]


# --- reading the open workbook -----------------------------------------------------------------

def sheet_names(book) -> list[str]:
    return [sheet.name for sheet in book.sheets]


def read_sheet(book, name: str) -> Sheet | None:
    """One sheet's used range as the core's `Sheet` (None when the workbook has no such sheet)."""
    if name not in sheet_names(book):
        return None
    used = book.sheets[name].used_range
    values = used.options(ndim=2).value
    return Sheet(name, [list(row) for row in values], (used.row - 1, used.column - 1))


def open_book(book, leads: bool = False, log: bool = False) -> OpenBook:
    """The open workbook as the use cases take it: its Appendix 1 and lists (and leads, and Change log,
    when asked for) as values, and the book itself to write into."""
    return OpenBook(book.name, read_sheet(book, s.MAIN_SHEET), read_sheet(book, s.LISTS_SHEET),
                    read_sheet(book, s.LEADS_SHEET) if leads else None,
                    read_sheet(book, s.LOG_SHEET) if log else None, book)


# --- validation --------------------------------------------------------------------------------

@dataclass
class ValidationReport:
    """What one validation run found and did."""

    findings: list[rules.Finding] = field(default_factory=list)
    coloured: dict[str, str] = field(default_factory=dict)
    cleared: list[str] = field(default_factory=list)
    problem: str = ""
    checked_at: datetime | None = None

    @property
    def errors(self) -> int:
        return len(rules.errors(self.findings))

    @property
    def warnings(self) -> int:
        return len(self.findings) - self.errors

    def summary(self) -> str:
        if self.problem:
            return self.problem
        if not self.findings:
            return "No problems found in Appendix 1."
        return (f"{plural(self.errors, 'error')} and {plural(self.warnings, 'warning')} in Appendix 1. "
                "Error cells are now red and warning cells amber; sheet Validation lists each one "
                "with what to do. Run Validate again after fixing them: the colours go.")

    def to_json(self) -> str:
        return json.dumps({
            "summary": self.summary(), "errors": self.errors, "warnings": self.warnings,
            "problem": self.problem,
            # `where` is what the task pane shows (L18 Next step due); `cell` is where a click takes the officer.
            "findings": [{"where": f.where, "cell": f.cell, "severity": f.severity, "message": f.message,
                          "ref": f.ref, "column": f.column} for f in self.findings],
        }, ensure_ascii=False)


def _header_sheet_row(appendix: Appendix) -> int:
    return appendix.sheet.origin[0] + appendix.header.row + 1


def _row_of(address: str) -> int:
    return split_address(address)[1]


def _colour_plan(findings: Iterable[rules.Finding], appendix: Appendix) -> dict[str, str]:
    """Cell -> fill for every data cell with a finding (an error outranks a warning on the same cell).
    Findings about the sheet as a whole sit on the header, which keeps its own fill."""
    header_row = _header_sheet_row(appendix)
    fills: dict[str, str] = {}
    for finding in findings:
        if _row_of(finding.cell) <= header_row:
            continue
        if finding.severity == rules.ERROR or finding.cell not in fills:
            fills[finding.cell] = FILLS[finding.severity]
    return fills


def _anchored_by_ref(finding: rules.Finding, appendix: Appendix) -> bool:
    """A cell found again by its ref and column name survives officers sorting rows or inserting columns."""
    try:
        return bool(finding.ref) and appendix.locate(finding.ref, finding.column) == finding.cell
    except KeyError:
        return False


def _previously_coloured(book, appendix: Appendix) -> set[str]:
    """The cells the last run coloured, as the Validation sheet it wrote records them, where they are now."""
    sheet = read_sheet(book, VALIDATION_SHEET)
    if sheet is None:
        return set()
    try:
        header = s.find_header(sheet.grid, VALIDATION_COLUMNS, VALIDATION_SHEET)
    except s.HeaderError:
        return set()
    col = header.columns
    cells: set[str] = set()
    for row in sheet.grid[header.row + 1:]:
        def get(name: str, row: list = row) -> str:
            return str(row[col[name]] or "").strip() if col[name] < len(row) else ""

        coloured = get("Coloured")
        if not coloured.startswith(COLOURED_BY_REF):
            continue
        address = get("Cell").upper()
        ref, column = get("Ref"), get("Column")
        if coloured == COLOURED_BY_REF and ref in appendix.rows and column in appendix.header.columns:
            address = appendix.locate(ref, column)
        if re.fullmatch(r"[A-Z]{1,3}\d+", address) and _row_of(address) > _header_sheet_row(appendix):
            cells.add(address)
    return cells


def _write_validation_sheet(book, report: ValidationReport, appendix: Appendix) -> None:
    if VALIDATION_SHEET in sheet_names(book):
        sheet = book.sheets[VALIDATION_SHEET]
        sheet.clear_contents()  # values only: officers' formatting of the sheet stays
    else:
        sheet = book.sheets.add(VALIDATION_SHEET, after=book.sheets[len(book.sheets) - 1])
    rows: list[list[object]] = [list(VALIDATION_COLUMNS)]
    for finding in report.findings:
        coloured = ""
        if finding.cell in report.coloured:
            coloured = COLOURED_BY_REF if _anchored_by_ref(finding, appendix) else COLOURED_BY_ADDRESS
        rows.append([finding.cell, finding.severity, finding.message, finding.ref, finding.column,
                     finding.rule, coloured])
    if not report.findings:
        rows.append(["", "", "No problems found.", "", "", "", ""])
    sheet["A1"].value = [[excel_value(v) for v in row] for row in rows]
    sheet["I1"].value = [["Last checked", report.checked_at.replace(tzinfo=None, microsecond=0)],
                         ["Errors", report.errors], ["Warnings", report.warnings]]
    sheet["J1"].number_format = "dd/mm/yyyy hh:mm"


def validate_book(book, today: date | None = None, now: datetime | None = None) -> ValidationReport:
    """Check the open workbook's Appendix 1 with the shared rules, colour the cells with a problem,
    clear the colours this function set before on cells that are now fine, list the findings on sheet
    Validation and say how many there are. Other cells' formatting is left alone. The rules are the ones
    `sli validate` applies, through the same use case (`usecases.validate`), as of `today` (default: now's)."""
    now = now or datetime.now()
    report = ValidationReport(checked_at=now)
    ctx = served_context().at(datetime.combine(today, time(12)).astimezone() if today else now.astimezone())
    try:
        appendix, report.findings = usecases.validate(ctx, open_book(book, leads=True))
    except (WorkbookError, s.HeaderError) as exc:
        report.problem = f"Nothing was checked: {str(exc).rstrip('.')}."
        book.app.alert(report.problem, title=ALERT_TITLE, buttons="ok", mode="critical")
        return report

    main = book.sheets[s.MAIN_SHEET]
    report.coloured = _colour_plan(report.findings, appendix)
    report.cleared = sorted(_previously_coloured(book, appendix) - set(report.coloured),
                            key=lambda a: (_row_of(a), split_address(a)[0]))
    for address in report.cleared:
        main[address].color = None
    for address, fill in report.coloured.items():
        main[address].color = fill
    _write_validation_sheet(book, report, appendix)
    book.app.alert(report.summary(), title=f"{ALERT_TITLE}: validation", buttons="ok",
                   mode="critical" if report.errors else "info")
    return report


def validate_for_taskpane(book) -> ValidationReport:
    """The server script: validate, then show the findings in the task pane."""
    report = validate_book(book)
    book.app.macro(SHOW_FINDINGS)(report.to_json())
    return report


# --- one row, for the custom function -----------------------------------------------------------

def _from_cell(value: object) -> object:
    """A custom-function argument as a cell value: empty -> None, a date serial number -> date."""
    if isinstance(value, list):  # a one-cell range arrives as [[value]]
        value = value[0][0] if value and isinstance(value[0], list) and value[0] else None
    if value == "":
        return None
    return value


def _due_from_cell(value: object) -> object:
    value = _from_cell(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        if value <= 0:
            return None  # Excel passes an empty date cell as 0
        return date(1899, 12, 30) + timedelta(days=int(value))
    return value


def check_cells(status: object, next_steps: object, due: object, today: date | None = None) -> str:
    """`OK`, or the first problem (an error before a warning) with a status, next steps and due date."""
    values = {s.STATUS: _from_cell(status), s.NEXT_STEPS: _from_cell(next_steps), s.DUE: _due_from_cell(due)}
    if isinstance(values[s.STATUS], float | int) and not isinstance(values[s.STATUS], bool):
        values[s.STATUS] = cell_text(values[s.STATUS])
    wanted = (s.STATUS, s.NEXT_STEPS, s.DUE)
    findings = [f for f in rules.check_row(values, lambda column: column, lead_orgs=None,
                                           today=today or date.today()) if f.column in wanted]
    ordered = rules.errors(findings) or findings
    return ordered[0].message if ordered else "OK"


# --- partner leads' updates into the open workbook ---------------------------------------------

@dataclass
class UpdatesReport:
    """What one delivery of pending updates into the open workbook did."""

    plans: list[Plan] = field(default_factory=list)
    problem: str = ""
    pending_after: int = 0

    @property
    def applied(self) -> list[Plan]:
        return [p for p in self.plans if p.edits]

    @property
    def conflicts(self) -> list[Plan]:
        return [p for p in self.plans if p.state == j.CONFLICT]

    @property
    def others(self) -> list[Plan]:
        return [p for p in self.plans if not p.edits and p.state != j.CONFLICT]

    def lines(self) -> list[str]:
        if self.problem:
            return [self.problem]
        if not self.plans:
            return ["No updates from partner leads are waiting."]
        out: list[str] = []
        if self.applied:
            out.append(f"Applied {plural(len(self.applied), 'update')} from partner leads:")
            out += [f"• {p.message} (from {p.entry.by}, via {p.entry.via})" for p in self.applied]
        if self.conflicts:
            out.append(f"Kept {plural(len(self.conflicts), 'conflict')}: the cell was changed here after the "
                       "sender saw it, so the workbook keeps its value:")
            for plan in self.conflicts:
                for c in plan.conflicts:
                    out.append(f"• {plan.entry.ref} {c.column}: the workbook has '{cell_text(c.current)}', "
                               f"{plan.entry.by} sent '{cell_text(c.proposed)}'.")
        if self.others:
            out.append("Not written:")
            out += [f"• {p.message}" for p in self.others]
        if self.applied:
            out.append("Save the workbook now: the updates count as applied once the saved file holds them, "
                       "and their senders are then told.")
        return out

    def to_json(self) -> str:
        return json.dumps({"lines": self.lines(), "applied": len(self.applied), "conflicts": len(self.conflicts),
                           "pending": self.pending_after, "problem": self.problem}, ensure_ascii=False)


def apply_updates(book, ctx: Context | Store | None = None, now: datetime | None = None) -> UpdatesReport:
    """Write the partner leads' pending updates into the open workbook and its Change log.

    The core plans each update against the values in the open workbook: a field an officer changed after
    the sender saw it is kept as a conflict (nothing overwritten), the rest become cell edits and log rows.
    The journal then records them as in the open workbook; they count as applied once it is saved.
    """
    ctx = usecases.as_context(ctx or served_context())
    report = UpdatesReport()
    served = ctx.store.workbook.name
    if book.name.casefold() != served.casefold():
        report.problem = (f"This add-in applies updates to {served}, and the open workbook is {book.name}: "
                          f"open {served} and try again. Nothing was changed.")
    else:
        try:
            report.plans = usecases.apply_to_open_book(ctx, open_book(book, leads=True, log=True), now)
        except WorkbookError as exc:
            report.problem = f"Nothing was changed: {str(exc).rstrip('.')}."
        else:
            report.pending_after = pending_count(ctx)
    book.app.alert("\n".join(report.lines()), title=f"{ALERT_TITLE}: pending updates", buttons="ok",
                   mode="critical" if report.problem else "info")
    return report


def apply_for_taskpane(book) -> UpdatesReport:
    """The server script: deliver the pending updates, then show what happened in the task pane."""
    report = apply_updates(book)
    book.app.macro(SHOW_UPDATES)(report.to_json())
    return report
