"""The Appendix 1 workbook itself: what `sli workbook init` builds, what is committed, and how it reads.

Nothing here writes into workbook/: the committed file is copied into tmp_path first.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
from datetime import date, datetime
from pathlib import Path

import office
import openpyxl
import pytest

import sli
from shared import builder, reader
from shared import sample_content as content
from shared.domain import schema as s
from shared.domain.logrow import LogRow

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "workbook" / "Appendix1.xlsx"
REFS = [f"L{n}" for n in range(1, 23)]
FIRST_DATA_ROW = builder.HEADER_ROW + 1
SHEETS = [s.MAIN_SHEET, s.LISTS_SHEET, s.LEADS_SHEET, s.LOG_SHEET]
HEADERS = {s.MAIN_SHEET: s.MAIN_COLUMNS, s.LISTS_SHEET: s.LISTS_COLUMNS,
           s.LEADS_SHEET: s.LEADS_COLUMNS, s.LOG_SHEET: LogRow.HEADER}
HEADER_ROWS = {s.MAIN_SHEET: builder.HEADER_ROW, s.LISTS_SHEET: 1, s.LEADS_SHEET: 1, s.LOG_SHEET: 1}


def letter(column: str) -> str:
    return s.column_letter(s.MAIN_COLUMNS.index(column))


def main_rows(ws) -> dict[str, dict[str, object]]:
    """The 22 data rows of the main sheet by ref, each by column name (openpyxl values)."""
    out = {}
    for row in ws.iter_rows(min_row=FIRST_DATA_ROW, max_col=len(s.MAIN_COLUMNS), values_only=True):
        if row[0] is None:
            continue
        out[row[0]] = dict(zip(s.MAIN_COLUMNS, row, strict=True))
    return out


def sheet_values(path: Path) -> dict[str, list[list[object]]]:
    wb = openpyxl.load_workbook(path)
    return {ws.title: [[c.value for c in r] for r in ws.iter_rows()] for ws in wb.worksheets}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return builder.build_workbook(tmp_path_factory.mktemp("built") / "Appendix1.xlsx")


@pytest.fixture(scope="module")
def committed(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("committed") / "Appendix1.xlsx"
    shutil.copy2(COMMITTED, target)
    return target


@pytest.fixture(scope="module", params=["built", "committed"])
def book(request) -> openpyxl.Workbook:
    """Both the freshly built workbook and the committed one, loaded with openpyxl."""
    return openpyxl.load_workbook(request.getfixturevalue(request.param))


# --- content --------------------------------------------------------------------------------

def test_sheet_names(book):
    assert book.sheetnames == SHEETS


@pytest.mark.parametrize("sheet", SHEETS)
def test_exact_header_of_each_sheet(book, sheet):
    ws = book[sheet]
    columns = HEADERS[sheet]
    row = [c.value for c in ws[HEADER_ROWS[sheet]]][:len(columns)]
    assert tuple(row) == columns


def test_main_sheet_has_the_22_rows_in_order(book):
    ws = book[s.MAIN_SHEET]
    refs = [ws.cell(row=r, column=1).value for r in range(FIRST_DATA_ROW, ws.max_row + 1)]
    assert refs == REFS


def test_illustrative_note_is_on_the_sheet(book):
    ws = book[s.MAIN_SHEET]
    assert ws["A1"].value == builder.TITLE
    assert ws["A2"].value == content.ILLUSTRATIVE_NOTE
    assert "illustrative" in ws["A2"].value.lower()
    assert "fictitious" in ws["A2"].value.lower()


def test_statuses_are_in_the_vocabulary_and_mixed(book):
    statuses = [row[s.STATUS] for row in main_rows(book[s.MAIN_SHEET]).values()]
    assert len(statuses) == 22
    assert set(statuses) <= set(s.STATUSES)
    assert len(set(statuses)) >= 4


def test_rows_are_complete_enough_to_pass_the_rules(book):
    for ref, row in main_rows(book[s.MAIN_SHEET]).items():
        assert row[s.RECOMMENDATION], ref
        assert row[s.LEAD_ORG] in content.LEAD_ORGANISATIONS, ref
        if row[s.STATUS] != s.COMPLETE:
            assert row[s.NEXT_STEPS], ref
        if row[s.STATUS] in (s.AT_RISK, s.OFF_TRACK):
            assert isinstance(row[s.DUE], datetime), ref


def test_leads_sheet_has_officers_and_slack_ids(book):
    ws = book[s.LEADS_SHEET]
    leads = [dict(zip(s.LEADS_COLUMNS, r, strict=True))
             for r in ws.iter_rows(min_row=2, max_col=4, values_only=True) if any(r)]
    roles = [lead["Role"] for lead in leads]
    assert roles.count("officer") >= 2
    assert set(roles) <= {"lead", "officer"}
    ids = [lead["Slack user ID"] for lead in leads]
    assert all(re.fullmatch(r"U[A-Z0-9]{8,}", i) for i in ids), ids
    assert len(set(ids)) == len(ids)
    assert {lead["Lead organisation"] for lead in leads} <= set(content.LEAD_ORGANISATIONS)


def test_lists_sheet_has_the_8_lead_organisations(book):
    ws = book[s.LISTS_SHEET]
    columns = {name: [v for v in col[1:] if v not in (None, "")]
               for name, col in zip(s.LISTS_COLUMNS, ws.iter_cols(max_col=3, values_only=True), strict=True)}
    orgs = columns[s.LIST_LEAD_ORGS]
    assert len(orgs) == 8 == len(set(orgs))
    assert orgs == content.LEAD_ORGANISATIONS
    assert tuple(columns[s.LIST_STATUSES]) == s.STATUSES
    used = {row[s.LEAD_ORG] for row in main_rows(book[s.MAIN_SHEET]).values()}
    assert used <= set(orgs)


# --- Excel machinery (openpyxl) -------------------------------------------------------------

def _validations(ws) -> list:
    return list(ws.data_validations.dataValidation)


def _covers(sqref, cell: str) -> bool:
    return any(cell in rng for rng in sqref.ranges)


@pytest.mark.parametrize(("column", "name"), [(s.STATUS, builder.STATUS_NAME),
                                              (s.LEAD_ORG, builder.LEAD_ORG_NAME)])
def test_dropdowns_use_defined_names(book, column, name):
    ws = book[s.MAIN_SHEET]
    first = f"{letter(column)}{FIRST_DATA_ROW}"
    dvs = [dv for dv in _validations(ws) if dv.type == "list" and _covers(dv.sqref, first)]
    assert len(dvs) == 1, f"one list validation on {first}"
    dv = dvs[0]
    assert dv.formula1 == name
    # A drop-down pointing straight at another sheet is stored by Excel in an extension openpyxl drops.
    assert "!" not in dv.formula1 and "$" not in dv.formula1
    assert dv.showErrorMessage
    assert _covers(dv.sqref, f"{letter(column)}{builder.LAST_EDIT_ROW}")


def test_date_rule_on_next_step_due(book):
    ws = book[s.MAIN_SHEET]
    first = f"{letter(s.DUE)}{FIRST_DATA_ROW}"
    dvs = [dv for dv in _validations(ws) if _covers(dv.sqref, first)]
    assert [dv.type for dv in dvs] == ["date"]
    assert dvs[0].operator == "between"
    assert dvs[0].formula1 and dvs[0].formula2
    assert dvs[0].showErrorMessage


def test_defined_names_exist_and_point_at_lists(book):
    names = book.defined_names
    for name in (builder.STATUS_NAME, builder.LEAD_ORG_NAME, builder.PRIORITY_NAME):
        assert name in names
        assert f"{s.LISTS_SHEET}!" in names[name].attr_text
    # StatusList spans exactly the five statuses on sheet Lists.
    ((sheet, cells),) = list(names[builder.STATUS_NAME].destinations)
    assert sheet == s.LISTS_SHEET
    assert tuple(c.value for (c,) in book[sheet][cells]) == s.STATUSES
    assert "OFFSET" in names[builder.LEAD_ORG_NAME].attr_text  # grows as officers add organisations


def test_conditional_formatting_one_rule_per_status(book):
    ws = book[s.MAIN_SHEET]
    status_cell = f"{letter(s.STATUS)}{FIRST_DATA_ROW}"
    rules = [rule for cf in ws.conditional_formatting if _covers(cf.sqref, status_cell) for rule in cf.rules]
    assert len(rules) == len(s.STATUSES)
    formulas = [" ".join(rule.formula) for rule in rules]
    for status in s.STATUSES:
        assert sum(f'"{status}"' in f for f in formulas) == 1, status
    assert all(rule.dxf is not None and rule.dxf.fill is not None for rule in rules)
    last = f"{letter(s.STATUS)}{builder.LAST_EDIT_ROW}"
    assert any(_covers(cf.sqref, last) for cf in ws.conditional_formatting)


def test_freeze_panes_and_header_row(book):
    ws = book[s.MAIN_SHEET]
    assert ws.freeze_panes is not None
    assert int(re.search(r"\d+", ws.freeze_panes).group()) == builder.HEADER_ROW + 1 == 4
    assert [c.value for c in ws[3]][:len(s.MAIN_COLUMNS)] == list(s.MAIN_COLUMNS)
    for sheet in (s.LISTS_SHEET, s.LEADS_SHEET, s.LOG_SHEET):
        assert book[sheet].freeze_panes == "A2"


def test_header_row_as_the_reader_sees_it(committed):
    appendix = reader.read_appendix(committed)
    assert appendix.sheet.origin[0] + appendix.header.row + 1 == 3
    assert appendix.locate("L1", s.STATUS) == f"{letter(s.STATUS)}4"


# --- openpyxl and calamine agree ------------------------------------------------------------

def test_committed_workbook_reads_back_identically(committed):
    ws = openpyxl.load_workbook(committed)[s.MAIN_SHEET]
    expected = main_rows(ws)
    appendix = reader.read_appendix(committed)
    assert list(expected) == REFS
    assert sorted(appendix.rows, key=lambda r: int(r[1:])) == REFS
    dates_seen = 0
    for offset, ref in enumerate(REFS):
        row = appendix.rows[ref]
        assert row.sheet_row == FIRST_DATA_ROW + offset
        for column in s.MAIN_COLUMNS:
            want, got = expected[ref][column], row[column]
            if isinstance(want, datetime):
                assert (want.hour, want.minute, want.second) == (0, 0, 0)
                assert type(got) is date, (ref, column, got)
                assert got == want.date(), (ref, column)
                dates_seen += 1
            else:
                assert got == want, (ref, column)
    assert dates_seen > 22  # both date columns hold real dates, not text


def test_committed_lists_and_leads_read_back_identically(committed):
    wb = openpyxl.load_workbook(committed)
    appendix = reader.read_appendix(committed)
    assert list(appendix.statuses) == list(s.STATUSES)
    assert list(appendix.lead_orgs) == list(content.LEAD_ORGANISATIONS)
    assert list(appendix.priorities) == list(content.FRAMEWORK_PRIORITIES)
    leads = [tuple(r) for r in wb[s.LEADS_SHEET].iter_rows(min_row=2, max_col=4, values_only=True) if any(r)]
    assert [(x.lead_organisation, x.name, x.slack_user_id, x.role) for x in appendix.leads] == leads
    assert reader.read_change_log(committed) == []


# --- sli workbook init ----------------------------------------------------------------------

def test_init_builds_the_committed_workbook(tmp_path, capsys):
    target = tmp_path / "sub" / "New.xlsx"
    assert sli.main(["workbook", "init", str(target)]) == 0
    out = capsys.readouterr().out
    assert out.strip() == f"Wrote {target}."
    new, old = sheet_values(target), sheet_values(COMMITTED)
    assert list(new) == SHEETS
    for sheet in SHEETS:
        assert new[sheet] == old[sheet], sheet


def test_init_refuses_an_existing_path(tmp_path, capsys):
    target = tmp_path / "Appendix1.xlsx"
    shutil.copy2(COMMITTED, target)
    before, stat = target.read_bytes(), os.stat(target)
    assert sli.main(["workbook", "init", str(target)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("sli: ") and err.endswith(".")
    assert "already exists" in err and str(target) in err
    assert target.read_bytes() == before
    assert os.stat(target).st_mtime_ns == stat.st_mtime_ns


# --- LibreOffice ----------------------------------------------------------------------------

def _matches_date(text: str, value: date) -> bool:
    """LibreOffice writes dates in its locale's short form; accept US or UK order, or ISO."""
    d, m, y = value.day, value.month, value.year
    forms = {f"{m:02d}/{d:02d}/{y}", f"{d:02d}/{m:02d}/{y}",
             f"{m}/{d}/{y % 100:02d}", f"{d}/{m}/{y % 100:02d}", value.isoformat()}
    return text.strip() in forms


def test_libreoffice_opens_every_sheet(tmp_path, committed):
    out = office.convert([committed], office.CSV_FILTER, tmp_path / "out", tmp_path / "lo")
    # With sheet -1, every sheet goes to "<stem>-<sheet name>.csv".
    files = {p.name for p in out.iterdir()}
    assert files == {f"{committed.stem}-{sheet}.csv" for sheet in SHEETS}, files

    def read(sheet: str) -> list[list[str]]:
        with open(out / f"{committed.stem}-{sheet}.csv", encoding="utf-8", newline="") as handle:
            return list(csv.reader(handle))

    rows = read(s.MAIN_SHEET)
    assert rows[0][0] == builder.TITLE
    assert rows[1][0] == content.ILLUSTRATIVE_NOTE
    assert tuple(rows[2][:len(s.MAIN_COLUMNS)]) == s.MAIN_COLUMNS
    data = rows[3:]
    assert [r[0] for r in data] == REFS
    expected = main_rows(openpyxl.load_workbook(committed)[s.MAIN_SHEET])
    status_col = s.MAIN_COLUMNS.index(s.STATUS)
    assert data[0][status_col] == expected["L1"][s.STATUS]
    assert data[6][status_col] == expected["L7"][s.STATUS]
    assert {r[status_col] for r in data} == {row[s.STATUS] for row in expected.values()}
    for r in data:
        for column, text in zip(s.MAIN_COLUMNS, r, strict=False):
            want = expected[r[0]][column]
            if isinstance(want, datetime):
                assert _matches_date(text, want.date()), (r[0], column, text)
            else:
                assert text == (want or ""), (r[0], column)

    lists = read(s.LISTS_SHEET)
    assert [r[1] for r in lists[1:] if r[1]] == content.LEAD_ORGANISATIONS
    leads = read(s.LEADS_SHEET)
    assert tuple(leads[0][:4]) == s.LEADS_COLUMNS
    assert len([r for r in leads[1:] if any(r)]) == len(content.LEADS)
    assert tuple(read(s.LOG_SHEET)[0][:len(LogRow.HEADER)]) == LogRow.HEADER
