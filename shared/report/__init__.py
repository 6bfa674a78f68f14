"""The annual report: Appendix 1 as a board paper carries it, for the 12-month update to the Health and
Wellbeing Board, the LSCB and the CDOP (`sli report --year 2027 --format docx --output PATH`).

Public bodies must publish accessible documents, so both files are made to be read by screen readers as
well as printed: the docx has real headings (Heading 1 to 3), no layout tables, header rows marked and
repeated on every page, alt text on the chart that gives its numbers, British English as its language, a
title and an author, and page numbers; the xlsx has a title in A1 of every sheet, each table an Excel table
with its header row, the chart's alt text, and no merged cells. And both print: the xlsx on A4 landscape,
one page wide, header rows repeated, every row as tall as its wrapped text (LibreOffice never grows a row
when it opens a file), and the chart below the text, never over it.

The package's rooms: `content` (the figures and words, no file format), `docx` and `xlsx` (the writers);
here `write_report` chooses between them."""

from __future__ import annotations

from pathlib import Path

from shared.report.content import (
    DATE_FORMAT,
    FORMATS,
    LANGUAGE,
    LEAD_COLUMNS,
    MONTH_FORMAT,
    MOVED,
    MOVES_COLUMNS,
    ORGANISATION,
    PROGRAM_AUTHORS,
    TABLE_COLUMNS,
    TREND_COLUMNS,
    ReportContent,
    chart_description,
    days_number,
    report_content,
    risk_columns,
    workbook_author,
)
from shared.report.docx import write_docx
from shared.report.xlsx import write_xlsx
from shared.uow import Store

__all__ = ["DATE_FORMAT", "FORMATS", "LANGUAGE", "LEAD_COLUMNS", "MONTH_FORMAT", "MOVED", "MOVES_COLUMNS",
           "ORGANISATION", "PROGRAM_AUTHORS", "TABLE_COLUMNS", "TREND_COLUMNS", "ReportContent", "chart_description",
           "days_number", "report_content", "risk_columns", "workbook_author", "write_docx", "write_report",
           "write_xlsx"]


def write_report(store: Store, year: int, fmt: str, output: Path) -> Path:
    """Write the report in `fmt` (docx or xlsx) to `output`."""
    if fmt not in FORMATS:
        raise ValueError(f"'{fmt}' is not a report format: use docx or xlsx.")
    content = report_content(store, year)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    return write_docx(content, output) if fmt == "docx" else write_xlsx(content, output)
