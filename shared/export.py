"""`sli export`: the update history, Appendix 1 and the month-by-status trend as files officers analyse in Excel.

CSV is UTF-8 with a byte-order mark, because Excel opens a CSV without one in the machine's 8-bit code
page (Zoë becomes ZoÃ«). Dates are ISO (2027-01-31), which Excel reads as dates in any locale. In .xlsx
dates are real dates (date cells with a date format), not text.

Text from people never becomes a formula. In .xlsx text is always a text cell, and one that could be read
as a formula gets Excel's quote prefix (openpyxl alone would write `=...` as a formula). A CSV has no way to
say "text": Excel runs `=HYPERLINK(...)`, `+cmd|...`, `-...` or `@SUM(...)` typed in a field however it is
quoted, so, as OWASP's CSV-injection guidance says, a text field whose first character other than a space is
`=`, `+`, `-`, `@`, tab or carriage return is written with a leading `'`: Excel does not run it (the `'` stays
visible; the xlsx export keeps text exactly). "Other than a space" because ` =1+1` is run too, and the
character is compared after NFKC normalisation because spreadsheets (Excel with a Japanese input method, for
one) take the full-width `＝`, `＋`, `－`, `＠` (and the minus sign U+2212) for the ASCII ones.

The file is written through `shared.outputs`, which refuses the workbook, its journal, lock, owner file and
backups (an export there would destroy waiting updates) and replaces the target atomically.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from shared import trend as tr
from shared.domain import assurance as a
from shared.domain import schema as s
from shared.domain.logrow import LogRow
from shared.outputs import check_output, write_output
from shared.reader import read_appendix
from shared.uow import Store

KINDS = ("changes", "appendix", "trend")
FORMATS = ("csv", "xlsx")
#: Text that may be formula-like: after any spaces, what OWASP lists (fields starting with these are read by
#: spreadsheets as formulas) or a character that is not ASCII. `formula_like` decides each match.
CANDIDATE = r"^\s*(?:[=+\-@\t\r]|[^\x00-\x7f])"
#: What a formula starts with, once NFKC-normalised: the OWASP four and the minus sign (U+2212), which NFKC
#: leaves as it is (and makes of the superscript minus).
SIGNS = ("=", "+", "-", "@", "\u2212")
DATE_FORMAT, DATETIME_FORMAT, MONTH_FORMAT = "dd/mm/yyyy", "yyyy-mm-dd hh:mm:ss", "mmm yyyy"
TREND_COLUMNS = ("Month", *s.STATUSES, "Source")
SHEET_NAMES = {"changes": "Changes", "appendix": s.MAIN_SHEET, "trend": "Trend"}


def changes_table(store: Store, start: date | None = None, end: date | None = None) -> pd.DataFrame:
    """Every field change written from `start` to `end` (days, UTC, both included), in the Change log's
    columns and order: one row per Change log row, from the journal."""
    changes = tr.field_changes(store, start, end + timedelta(days=1) if end else None)
    return changes.rename(columns={name: LogRow.header_of(name) for name in LogRow.names()})


#: The export's column saying where a Complete claim stands (a workbook with assurance): the same words and
#: counts as the summary and the report (`shared.domain.assurance.assurance_counts`).
ASSURANCE_COLUMN = "Assurance"


def appendix_table(store: Store) -> pd.DataFrame:
    """Appendix 1 as it stands, every column by its header (dates as dates); with assurance, its four columns
    too and `Assurance`: complete and assured, awaiting assurance, or empty."""
    appendix = read_appendix(store.workbook)
    frame = tr.appendix_frame(appendix)
    table = frame[list(s.MAIN_COLUMNS)].reset_index(drop=True)
    if appendix.has_assurance:
        rows = [appendix.rows[ref] for ref in frame.index]
        for column in s.ASSURANCE_COLUMNS:
            table[column] = pd.Series([row[column] for row in rows], dtype=object)
        words = {a.ASSURED: a.ASSURED_LABEL, a.AWAITING: a.AWAITING_LABEL}
        table[ASSURANCE_COLUMN] = [words.get(a.assurance_state(appendix, row), "") for row in rows]
    return table


def trend_table(store: Store, start: date | None = None, end: date | None = None,
                now: datetime | None = None) -> pd.DataFrame:
    """Status counts month by month from `start`'s month (default: the month the journal's records begin,
    or twelve months back) to `end`'s (default: this month), with where each month's figures come from."""
    now = now or datetime.now(UTC)
    first = tr.first_record(store)
    last = end or now.date()
    begin = start or (first.date() if first else None)
    count = ((last.year - begin.year) * 12 + last.month - begin.month + 1) if begin else 12
    months = tr.months_back(last.year, last.month, max(count, 1))
    trend = tr.month_trend(store, read_appendix(store.workbook), months, now)
    table = trend.reset_index()
    table["month"] = [date(y, m, 1) for y, m in months]
    table.columns = list(TREND_COLUMNS)
    return table


def formula_like(text: str) -> bool:
    """Whether a spreadsheet could run `text` as a formula: its first character other than a space is
    `=`, `+`, `-`, `@`, tab or carriage return, or a character NFKC makes one of those (full-width `＝`)."""
    for char in text:
        if char in "\t\r":
            return True
        if char.isspace():
            continue
        return unicodedata.normalize("NFKC", char)[:1] in SIGNS
    return False


def _csv_ready(table: pd.DataFrame) -> pd.DataFrame:
    """Dates as ISO text and text fields made safe to open (OWASP prefix), column by column."""
    out = table.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            out[column] = values.dt.strftime("%Y-%m-%d %H:%M:%S")
            continue
        if pd.api.types.is_numeric_dtype(values):
            continue
        if values.dtype == object:  # cells as read (Appendix 1): dates, numbers, text, empty
            values = values.map(lambda v: v.isoformat() if isinstance(v, date) else v)
            text = values.map(lambda v: isinstance(v, str))
        else:  # a text column (the history): one vectorised test
            text = values.notna()
        strings = values.where(text, "").astype(str)
        risky = text & strings.str.contains(CANDIDATE, regex=True)  # one vectorised pass; few match
        if risky.any():  # each candidate decided exactly (NFKC), one by one
            risky[risky] = strings[risky].map(formula_like).astype(bool)
        out[column] = values.where(~risky, "'" + values.where(risky, "").astype(str))
    return out


def write_csv(table: pd.DataFrame, output: Path | BinaryIO) -> Path | BinaryIO:
    """CSV for Excel: UTF-8 with a byte-order mark, CRLF, formula-like text made inert."""
    _csv_ready(table).to_csv(output, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return output


def write_xlsx(table: pd.DataFrame, output: Path | BinaryIO, sheet: str) -> Path | BinaryIO:
    """One sheet, header in bold, frozen, with an autofilter over the table, each column as wide as its
    longest value (bounded: long text stays 60 wide); streamed (write-only), so 100,000 rows do not need the
    memory of a whole workbook. Dates get date formats; text is stored as text, never as a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    ws.freeze_panes = "A2"
    month_column = "Month" if "Month" in table.columns else None
    formats = [MONTH_FORMAT if name == month_column else None for name in table.columns]
    for index, (column, number_format) in enumerate(zip(table.columns, formats, strict=True)):
        ws.column_dimensions[_letter(index)].width = column_width(table[column], str(column), number_format)
    bold = Font(bold=True)
    header = []
    for name in table.columns:
        cell = WriteOnlyCell(ws, value=str(name))
        cell.font = bold
        header.append(cell)
    ws.append(header)
    ws.auto_filter.ref = f"A1:{_letter(max(len(table.columns), 1) - 1)}{len(table) + 1}"
    for row in table.itertuples(index=False):
        ws.append([_cell(ws, value, number_format) for value, number_format in zip(row, formats, strict=True)])
    wb.save(output)
    return output


#: Column widths, in Excel's unit (the width of a digit): at least enough for the header and a short value,
#: at most 60 for text (it is cut at the cell's edge, not hidden); dates and numbers are never cut, since
#: Excel shows #### for one wider than its column.
MIN_WIDTH, MAX_TEXT_WIDTH, PADDING = 8, 60, 2


def _shown_length(value: object, number_format: str | None) -> int:
    """How many characters Excel shows for `value` in `_cell`'s formats (bold header aside)."""
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return 0
    if isinstance(value, date):
        if number_format == MONTH_FORMAT:
            return len("Sep 2027")
        timed = isinstance(value, datetime) and (value.hour, value.minute, value.second) != (0, 0, 0)
        return len("2027-01-31 23:59:59") if timed else len("31/01/2027")
    if isinstance(value, str):
        return max(map(len, value.split("\n")))
    return len(str(value))


def column_width(values: pd.Series, header: str, number_format: str | None = None) -> float:
    """The width a column needs for its header and its longest value as Excel shows it (vectorised for the
    history's 100,000 rows: one pass of text lengths; dates by their format)."""
    needed = len(header) + 1  # the header is bold: a little wider than its characters
    present = values.dropna()
    if not len(present):
        return float(max(MIN_WIDTH, needed))
    if pd.api.types.is_datetime64_any_dtype(present):
        timed = bool((present != present.dt.normalize()).any())
        longest = len("Sep 2027") if number_format == MONTH_FORMAT else len(
            "2027-01-31 23:59:59" if timed else "31/01/2027")
        return float(max(MIN_WIDTH, needed, longest + PADDING))
    if pd.api.types.is_numeric_dtype(present) and not pd.api.types.is_bool_dtype(present):
        return float(max(MIN_WIDTH, needed, int(present.astype(str).str.len().max()) + PADDING))
    text = present.map(lambda v: isinstance(v, str)) if present.dtype == object else \
        pd.Series(True, index=present.index)
    strings = present[text].astype(str)
    if len(strings):
        lines = strings.str.split("\n").explode() if strings.str.contains("\n", regex=False).any() else strings
        needed = max(needed, min(MAX_TEXT_WIDTH, int(lines.str.len().max()) + PADDING))
    others = present[~text]
    if len(others):  # dates and numbers among text (Appendix 1 as read): never cut
        needed = max(needed, max(_shown_length(v, number_format) for v in others.drop_duplicates()) + PADDING)
    return float(max(MIN_WIDTH, needed))


def _letter(index: int) -> str:
    return s.column_letter(index)


def _cell(ws, value: object, number_format: str | None = None) -> object:
    """A value as an .xlsx cell: dates with a date format, text as text (quote prefix when it could be
    read as a formula), numbers as numbers; pandas' missing values as empty cells. Plain values where
    openpyxl writes them right by itself (most text), a styled cell only where needed: 100,000 rows of
    styled cells take several times longer to write."""
    from openpyxl.cell import WriteOnlyCell

    if value is None or value is pd.NaT or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, str):
        if not formula_like(value):
            return value  # openpyxl writes it as text
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"  # after the value: openpyxl takes "=..." for a formula
        cell.quotePrefix = True  # and Excel keeps it text when someone edits the cell
        return cell
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime) and number_format is None and (value.hour, value.minute, value.second) != (0, 0, 0):
        return value  # openpyxl gives it its own date-time format (yyyy-mm-dd h:mm:ss): a real date
    if isinstance(value, date):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = number_format or (DATETIME_FORMAT if isinstance(value, datetime) and (
            value.hour, value.minute, value.second) != (0, 0, 0) else DATE_FORMAT)
        return cell
    return value.item() if hasattr(value, "item") else value


def export(store: Store, kind: str, fmt: str, output: Path, start: date | None = None, end: date | None = None,
           now: datetime | None = None, opener: Callable[[Path], BinaryIO] | None = None) -> int:
    """Write `kind` (changes, appendix, trend) as `fmt` (csv, xlsx) to `output`; return the rows written.
    `output` is checked first (`shared.outputs`: never the workbook, its journal, lock, owner file or backups;
    never a folder or a link): a refusal or a failed write is an OutputError, one sentence, nothing written.
    `opener` opens the temporary file (`shared.outputs.open_new`; another simulates a full disk)."""
    check_output(output, store)
    if kind not in KINDS:
        raise ValueError(f"'{kind}' cannot be exported: choose changes, appendix or trend.")
    if fmt not in FORMATS:
        raise ValueError(f"'{fmt}' is not an export format: use csv or xlsx.")
    if start and end and start > end:
        raise ValueError(f"--from {start.isoformat()} is after --to {end.isoformat()}.")
    if kind == "appendix" and (start or end):
        raise ValueError("Appendix 1 is exported as it stands now: --from and --to apply to changes and trend.")
    table = (changes_table(store, start, end) if kind == "changes" else appendix_table(store) if kind == "appendix"
             else trend_table(store, start, end, now))
    if fmt == "csv":
        write_output(output, lambda handle: write_csv(table, handle), store, opener)
    else:
        write_output(output, lambda handle: write_xlsx(table, handle, SHEET_NAMES[kind]), store, opener)
    return len(table)
