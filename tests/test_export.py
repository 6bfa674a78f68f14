"""`sli export`: the history from the journal matches the Change log row for row; files open in Excel with
the right characters (UTF-8 with BOM) and real dates (.xlsx); text from people never becomes a formula.
Every file is read back by an independent reader: the csv module, openpyxl, zipfile for the sheet XML."""

from __future__ import annotations

import csv
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

import sli
from shared.domain import schema as s
from shared.domain.logrow import LogRow
from shared.reader import read_change_log
from shared.usecases import Store, submit_update

ZOE = "Zoë O’Brien"  # a diaeresis and a curly apostrophe, as a phone types them
CURLY = "Agree the “safer sleep” audit with ELHT’s midwives"


def _updates(workbook: Path) -> Store:
    """A series of real updates through the one write path, including one refused (not in the log)."""
    store = Store.for_workbook(workbook)
    sent = [
        ("L7", {s.STATUS: "At risk", s.NEXT_STEPS: CURLY, s.DUE: "31/01/2027"}, ZOE, s.VIA_SLACK, "applied"),
        ("L2", {s.STATUS: "Complete", s.SUMMARY: "Service commissioned; 40 quitters a quarter",
                s.EVIDENCE: "Contract award notice"}, "Ben Ng", s.VIA_CLI,
         "applied"),
        ("L7", {s.DUE: "28/02/2027", s.NEXT_STEPS: "-audit first, then training"}, ZOE, s.VIA_EXCEL, "applied"),
        ("L9", {s.STATUS: "Purple"}, "Ben Ng", s.VIA_CLI, "rejected"),  # not a status: refused, nothing logged
        ("L14", {s.NEXT_STEPS: "+ add social needs questions to booking"}, "Anita Patel", s.VIA_SLACK, "applied"),
    ]
    for ref, changes, by, via, state in sent:
        assert submit_update(store, ref, changes, by=by, via=via).state == state
    return store


def _log_rows(workbook: Path) -> list[list[object]]:
    return [[e.when, e.ref, e.field, e.old_value, e.new_value, e.by, e.via, e.update_id]
            for e in read_change_log(workbook)]


def _csv(path: Path) -> list[list[str]]:
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read UTF-8
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def test_changes_match_the_change_log_row_for_row(workbook: Path, tmp_path: Path) -> None:
    _updates(workbook)
    log = _log_rows(workbook)
    assert len(log) == 9  # 3 + 3 (Complete with its evidence) + 2 + 1 field changes; the refused one wrote none
    xlsx, text = tmp_path / "changes.xlsx", tmp_path / "changes.csv"
    assert sli.main(["export", "changes", "--output", str(xlsx), "--workbook", str(workbook)]) == 0
    assert sli.main(["export", "changes", "--format", "csv", "--output", str(text), "--workbook", str(workbook)]) == 0

    ws = openpyxl.load_workbook(xlsx).active
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == list(LogRow.HEADER)
    assert [["" if v is None else v for v in r] for r in rows[1:]] == log  # an empty old value: an empty cell
    assert all(ws.cell(n, 1).is_date for n in range(2, ws.max_row + 1))

    read = _csv(text)
    assert read[0] == list(LogRow.HEADER)
    expected = [[when.strftime("%Y-%m-%d %H:%M:%S"), *(("'" + v) if v and v[0] in "=+-@" else v for v in rest)]
                for when, *rest in log]
    assert read[1:] == expected
    assert any(ZOE in row and CURLY in row for row in read)  # non-ASCII round-trips
    assert ["'-audit first, then training", "'+ add social needs questions to booking"] == [
        r[4] for r in read[1:] if r[4][:1] == "'"]


def test_changes_for_a_period(workbook: Path, tmp_path: Path) -> None:
    _updates(workbook)
    today = datetime.now(UTC).date()
    out = tmp_path / "p.csv"
    for start, end, rows in ((today, today, 9), (today + timedelta(days=1), None, 0),
                             (None, today - timedelta(days=1), 0), (today - timedelta(days=30), None, 9)):
        args = ["export", "changes", "--output", str(out), "--workbook", str(workbook)]
        args += ["--from", start.isoformat()] if start else []
        args += ["--to", end.isoformat()] if end else []
        assert sli.main(args) == 0
        assert len(_csv(out)) - 1 == rows
    assert sli.main(["export", "changes", "--output", str(out), "--from", "31/13/2026",
                     "--workbook", str(workbook)]) == sli.EXIT_USAGE  # no month 13 (dd/mm/yyyy is read: see below)
    assert sli.main(["export", "changes", "--output", str(out), "--from", "2027-01-02", "--to", "2027-01-01",
                     "--workbook", str(workbook)]) == sli.EXIT_USAGE
    assert sli.main(["export", "appendix", "--output", str(out), "--from", "2027-01-01",
                     "--workbook", str(workbook)]) == sli.EXIT_USAGE


FORMULA = '=HYPERLINK("http://example.invalid/x","click")'


def test_appendix_export_keeps_formula_text_as_text_and_dates_as_dates(workbook: Path, tmp_path: Path) -> None:
    # An officer typed formula-like text into the workbook in Excel (stored as text): a copy is changed here.
    wb = openpyxl.load_workbook(workbook)
    ws = wb[s.MAIN_SHEET]
    header = {c.value: c.column for c in ws[3]}
    ws.cell(4, header[s.SUMMARY]).value = FORMULA
    ws.cell(4, header[s.SUMMARY]).data_type = "s"
    ws.cell(5, header[s.LEAD_OFFICER]).value = ZOE
    wb.save(workbook)

    xlsx, text = tmp_path / "a.xlsx", tmp_path / "a.csv"
    assert sli.main(["export", "appendix", "--output", str(xlsx), "--workbook", str(workbook)]) == 0
    assert sli.main(["export", "appendix", "--output", str(text), "--workbook", str(workbook)]) == 0
    out = openpyxl.load_workbook(xlsx)[s.MAIN_SHEET]
    names = [c.value for c in out[1]]
    assert names == [*s.MAIN_COLUMNS, *s.ASSURANCE_COLUMNS, "Assurance"]  # the committed workbook asks assurance
    cell = out.cell(2, names.index(s.SUMMARY) + 1)
    assert cell.value == FORMULA and cell.data_type == "s" and cell.quotePrefix
    with zipfile.ZipFile(xlsx) as package:
        assert b"<f>" not in package.read("xl/worksheets/sheet1.xml")
    assert out.cell(3, names.index(s.LEAD_OFFICER) + 1).value == ZOE
    due = [out.cell(n, names.index(s.DUE) + 1) for n in range(2, 24)]
    assert all(c.is_date for c in due if c.value is not None) and any(c.value for c in due)
    assert [out.cell(n, 1).value for n in range(2, 24)] == [f"L{n}" for n in range(1, 23)]

    rows = _csv(text)
    assert rows[1][names.index(s.SUMMARY)] == "'" + FORMULA
    assert rows[2][names.index(s.LEAD_OFFICER)] == ZOE
    source = openpyxl.load_workbook(workbook)[s.MAIN_SHEET]
    first_due = source.cell(4, header[s.DUE]).value
    assert rows[1][names.index(s.DUE)] == first_due.date().isoformat()


def test_trend_export(workbook: Path, tmp_path: Path) -> None:
    _updates(workbook)
    xlsx, text = tmp_path / "t.xlsx", tmp_path / "t.csv"
    assert sli.main(["export", "trend", "--output", str(xlsx), "--from", "2026-01-01", "--workbook",
                     str(workbook)]) == 0
    assert sli.main(["export", "trend", "--output", str(text), "--workbook", str(workbook)]) == 0
    ws = openpyxl.load_workbook(xlsx).active
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == ["Month", *s.STATUSES, "Source"]
    today = datetime.now(UTC).date()
    months = (today.year - 2026) * 12 + today.month
    assert len(rows) - 1 == months and all(ws.cell(n, 1).is_date for n in range(2, ws.max_row + 1))
    assert rows[-1][0].date() == date(today.year, today.month, 1) and rows[-1][-1] == "now"
    statuses = [c.value for c in openpyxl.load_workbook(workbook)[s.MAIN_SHEET]["F"][3:] if c.value]
    assert list(rows[-1][1:6]) == [statuses.count(st) for st in s.STATUSES]
    assert all(r[-1] == "no record" for r in rows[1:-1])  # the journal begins today
    assert _csv(text)[-1] == [date(today.year, today.month, 1).isoformat(),
                              *(str(statuses.count(st)) for st in s.STATUSES), "now"]


def _shown(cell) -> str:
    """What Excel shows in a cell read back: a date in its number format, a number, or the text's longest line
    (written here from the formats' own words, not from the export's code)."""
    if cell.value is None:
        return ""
    if cell.is_date:
        shown = {"dd/mm/yyyy": "%d/%m/%Y", "mmm yyyy": "%b %Y", "yyyy-mm-dd hh:mm:ss": "%Y-%m-%d %H:%M:%S",
                 "yyyy-mm-dd h:mm:ss": "%Y-%m-%d %H:%M:%S"}[cell.number_format]
        return cell.value.strftime(shown)
    return max(str(cell.value).split("\n"), key=len)


@pytest.mark.parametrize("kind", ["changes", "appendix", "trend"])
def test_xlsx_exports_fit_their_columns_and_freeze_and_filter_the_header(workbook: Path, tmp_path: Path,
                                                                         kind: str) -> None:
    """Issue 20 (9): the changes' date column was too narrow (Excel showed ####), and no export had an
    autofilter. Every column is as wide as its header and longest value (dates and numbers in full, since
    Excel hides one that does not fit behind ####; long text up to a bound); the header row is frozen and
    filtered over the whole table."""
    _updates(workbook)
    out = tmp_path / f"{kind}.xlsx"
    assert sli.main(["export", kind, "--output", str(out), "--workbook", str(workbook)]) == 0
    ws = openpyxl.load_workbook(out).active
    assert ws.max_row > 1
    assert ws.freeze_panes == "A2"
    last = openpyxl.utils.get_column_letter(ws.max_column)
    assert ws.auto_filter.ref == f"A1:{last}{ws.max_row}"
    for column in ws.iter_cols():
        letter = column[0].column_letter
        width = ws.column_dimensions[letter].width
        assert len(column[0].value) + 1 <= width <= 62, (column[0].value, width)
        for cell in column[1:]:
            shown = _shown(cell)
            if isinstance(cell.value, str):
                assert width >= min(len(shown) + 1, 50), (cell.coordinate, shown, width)
            else:  # a date or a number that does not fit shows as ####
                assert width >= len(shown) + 1, (cell.coordinate, shown, width)
    if kind == "changes":
        assert ws.column_dimensions["A"].width >= len("2027-01-31 23:59:59") + 1


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_leaves_the_workbook_alone(workbook: Path, tmp_path: Path, fmt: str) -> None:
    _updates(workbook)
    before = workbook.read_bytes()
    assert sli.main(["export", "changes", "--format", fmt, "--output", str(tmp_path / f"x.{fmt}"),
                     "--workbook", str(workbook)]) == 0
    assert workbook.read_bytes() == before


def test_an_empty_history_exports_just_the_header(workbook: Path, tmp_path: Path) -> None:
    for fmt in ("csv", "xlsx"):
        out = tmp_path / f"empty.{fmt}"
        assert sli.main(["export", "changes", "--output", str(out), "--workbook", str(workbook)]) == 0
        rows = _csv(out) if fmt == "csv" else [list(r) for r in openpyxl.load_workbook(out).active.iter_rows(
            values_only=True)]
        assert rows == [list(LogRow.HEADER)]


#: Text a spreadsheet could run, once spaces are skipped and the character NFKC-normalised (OWASP + full width).
RISKY = [" =1+1", "  +cmd|' /C calc'!A0", " -2+3", " @SUM(A1:A9)", "\u3000=1+1", "\xa0=1+1", " \t=1+1",
         "\uff1d1+1", "\uff0bcmd", "\uff0d1", "\uff20SUM(A1)", "\u22122+3", "\u207b2", "\ufe66HYPERLINK(1)",
         " \uff1dHYPERLINK(\"http://example.invalid\")"]
#: Text that merely looks unusual: left exactly as it is.
PLAIN = [" plain text", "\uff11\uff12 weeks", "Zo\u00eb \u2013 midwife", "\u2160 priority", "a = b", "e-mail"]


def test_formula_like_text_after_spaces_or_in_full_width_is_made_inert(workbook: Path, tmp_path: Path) -> None:
    """An officer typed these in Excel (kept as text): the CSV export prefixes each with `'`; the xlsx export
    keeps each exactly, a text cell with the quote prefix, never a formula (read back by openpyxl and calamine)."""
    from python_calamine import CalamineWorkbook

    wb = openpyxl.load_workbook(workbook)
    ws = wb[s.MAIN_SHEET]
    header = {c.value: c.column for c in ws[3]}
    values = RISKY + PLAIN
    for n, value in enumerate(values):  # one value per recommendation, in two columns
        cell = ws.cell(4 + n % 22, header[s.SUMMARY] if n < 22 else header[s.NEXT_STEPS], value)
        cell.data_type = "s"
    wb.save(workbook)
    where = [(n % 22, s.SUMMARY if n < 22 else s.NEXT_STEPS) for n in range(len(values))]

    text, xlsx = tmp_path / "a.csv", tmp_path / "a.xlsx"
    assert sli.main(["export", "appendix", "--output", str(text), "--workbook", str(workbook)]) == 0
    assert sli.main(["export", "appendix", "--output", str(xlsx), "--workbook", str(workbook)]) == 0
    rows = _csv(text)
    names = rows[0]
    got = [rows[1 + row][names.index(column)] for row, column in where]
    assert got == ["'" + v for v in RISKY] + PLAIN

    out = openpyxl.load_workbook(xlsx)[s.MAIN_SHEET]
    cells = [out.cell(2 + row, names.index(column) + 1) for row, column in where]
    assert [c.value for c in cells] == values and all(c.data_type == "s" for c in cells)
    assert [c.quotePrefix for c in cells] == [True] * len(RISKY) + [False] * len(PLAIN)
    with zipfile.ZipFile(xlsx) as package:
        assert b"<f>" not in package.read("xl/worksheets/sheet1.xml")
    read = CalamineWorkbook.from_path(str(xlsx)).get_sheet_by_name(s.MAIN_SHEET).to_python()
    assert [read[1 + row][names.index(column)] for row, column in where] == values


def test_full_width_signs_typed_in_updates_are_inert_in_the_changes_csv(workbook: Path, tmp_path: Path) -> None:
    store = Store.for_workbook(workbook)
    sent = ["\uff1dHYPERLINK(\"http://example.invalid\",\"x\")", "\uff0b1", "\uff0dcmd", "\uff20SUM(A1)", "\u22121"]
    for value in sent:
        assert submit_update(store, "L7", {s.SUMMARY: value}, by="Helen Lowey", via=s.VIA_CLI).state == "applied"
    out = tmp_path / "c.csv"
    assert sli.main(["export", "changes", "--output", str(out), "--workbook", str(workbook)]) == 0
    new = [row[4] for row in _csv(out)[1:] if row[2] == s.SUMMARY]
    assert new == ["'" + v for v in sent]
