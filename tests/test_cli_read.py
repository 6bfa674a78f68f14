"""Reading the workbook (shared.reader) and the read-only `sli` commands: validate, status, list.

Every test works on its own copy of the committed workbook in tmp_path.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

import sli
from shared import reader
from shared.domain import schema as s
from shared.reader import WorkbookError

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "workbook" / "Appendix1.xlsx"
SLI = Path(sys.executable).parent / "sli"
REFS = [f"L{n}" for n in range(1, 23)]
OFFICER_COLUMN = "Officer notes"


@pytest.fixture
def book(workbook: Path) -> Path:
    """A private copy of the committed workbook (conftest's `workbook`), under the name these tests use."""
    return workbook


@pytest.fixture(autouse=True)
def _no_env_workbook(monkeypatch):
    monkeypatch.delenv("SLI_WORKBOOK", raising=False)


def edit(path: Path, change) -> None:
    """Load `path` with openpyxl, let `change(ws_main, wb)` edit it, save it in place."""
    wb = openpyxl.load_workbook(path)
    change(wb[s.MAIN_SHEET], wb)
    wb.save(path)


def set_cell(path: Path, ref: str, column: str, value: object) -> str:
    """Set `column` of `ref` in a workbook laid out as built; returns the cell address."""
    address = f"{s.column_letter(s.MAIN_COLUMNS.index(column))}{3 + int(ref[1:])}"
    edit(path, lambda ws, wb: ws.__setitem__(address, value))
    return address


def assert_sentence(text: str) -> str:
    """One line, a sentence, no traceback; returns it without the `sli: ` prefix."""
    text = text.strip()
    assert "Traceback" not in text
    assert len(text.splitlines()) == 1, text
    text = text.removeprefix("sli: ")
    assert text[:1].isupper() or text.startswith(("/", "'")), text
    assert text.endswith("."), text
    return text


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = sli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- reader: columns found by name ----------------------------------------------------------

NEW_ORDER = [s.UPDATED_BY, s.REF, s.LEAD_ORG, s.RECOMMENDATION, s.NEXT_STEPS, OFFICER_COLUMN, s.STATUS,
             s.DUE, s.PRIORITY, s.SUMMARY, s.LAST_UPDATED, s.LEAD_OFFICER, *reversed(s.ASSURANCE_COLUMNS)]
#: The committed workbook's columns in their order: the eleven, then assurance's four.
BUILT = (*s.MAIN_COLUMNS, *s.ASSURANCE_COLUMNS)


def reorder_columns(path: Path) -> None:
    """Rewrite the main sheet's columns in NEW_ORDER, with an officer's column inserted before Status."""
    def change(ws, wb):
        header_row = 3
        width = len(BUILT)
        by_name = {name: [ws.cell(row=r, column=c + 1).value for r in range(header_row, ws.max_row + 1)]
                   for c, name in enumerate(BUILT)}
        by_name[OFFICER_COLUMN] = [OFFICER_COLUMN] + [f"note {n}" if n % 3 else None
                                                      for n in range(1, ws.max_row - header_row + 1)]
        formats = {name: ws.cell(row=header_row + 1, column=c + 1).number_format
                   for c, name in enumerate(BUILT)}
        for r in range(header_row, ws.max_row + 1):
            for c in range(1, width + 2):
                ws.cell(row=r, column=c).value = None
        for c, name in enumerate(NEW_ORDER, start=1):
            for offset, value in enumerate(by_name[name]):
                cell = ws.cell(row=header_row + offset, column=c, value=value)
                if offset and name in formats:
                    cell.number_format = formats[name]
    edit(path, change)


def test_reader_finds_columns_by_name_after_reordering(book):
    before = reader.read_appendix(book)
    reorder_columns(book)
    after = reader.read_appendix(book)
    assert after.header.row == before.header.row
    assert {name: after.header.columns[name] for name in s.MAIN_COLUMNS} == \
        {name: NEW_ORDER.index(name) for name in s.MAIN_COLUMNS}
    assert OFFICER_COLUMN not in after.header.columns
    assert list(after.rows) == list(before.rows) == REFS
    for ref in REFS:
        assert after.rows[ref].values == before.rows[ref].values, ref
        assert after.rows[ref].sheet_row == before.rows[ref].sheet_row
    status_letter = s.column_letter(NEW_ORDER.index(s.STATUS))
    assert after.locate("L7", s.STATUS) == f"{status_letter}10"


def test_validate_reordered_workbook_names_the_recommendation_and_field(book, capsys):
    reorder_columns(book)
    code, out, _ = run(capsys, "validate", str(book))
    assert code == 0, out
    status_letter = s.column_letter(NEW_ORDER.index(s.STATUS))
    edit(book, lambda ws, wb: ws.__setitem__(f"{status_letter}10", "Sort of fine"))
    code, out, _ = run(capsys, "validate", str(book))
    assert code == 1
    assert any(line.startswith("L7 Status: error: ") and "Sort of fine" in line
               for line in out.splitlines()), out


def test_header_spelling_is_forgiving(book):
    edit(book, lambda ws, wb: ws.__setitem__("F3", "  STATUS "))
    appendix = reader.read_appendix(book)
    assert appendix.rows["L1"].status in s.STATUSES


# --- reader: cache --------------------------------------------------------------------------

def test_cache_does_not_reparse_an_unchanged_file(book):
    first = reader.read_appendix(book)
    count = reader.parse_count
    second = reader.read_appendix(book)
    assert reader.parse_count == count
    assert second is first


def test_cache_reparses_after_mtime_changes(book):
    reader.read_appendix(book)
    count = reader.parse_count
    st = os.stat(book)
    os.utime(book, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    reader.read_appendix(book)
    assert reader.parse_count > count
    count = reader.parse_count
    reader.read_appendix(book)
    assert reader.parse_count == count


def test_cache_reparses_after_rewrite_and_sees_the_change(book):
    assert reader.read_appendix(book).rows["L7"].status != s.COMPLETE
    count = reader.parse_count
    set_cell(book, "L7", s.STATUS, s.COMPLETE)
    assert reader.read_appendix(book).rows["L7"].status == s.COMPLETE
    assert reader.parse_count > count


# --- reader: errors -------------------------------------------------------------------------

def _error(path: Path) -> str:
    with pytest.raises(WorkbookError) as caught:
        reader.read_appendix(path)
    return assert_sentence(str(caught.value))


def test_missing_file(tmp_path):
    message = _error(tmp_path / "nowhere.xlsx")
    assert "no workbook" in message and "nowhere.xlsx" in message


def test_text_file_named_xlsx(tmp_path):
    path = tmp_path / "notes.xlsx"
    path.write_text("Ref,Status\nL1,On track\n", encoding="utf-8")
    message = _error(path)
    assert "not an Excel workbook" in message and "notes.xlsx" in message


def test_workbook_without_the_main_sheet(book):
    edit(book, lambda ws, wb: setattr(ws, "title", "Recommendations"))
    message = _error(book)
    assert f"'{s.MAIN_SHEET}'" in message


def test_workbook_with_a_missing_column(book):
    edit(book, lambda ws, wb: ws.delete_cols(s.MAIN_COLUMNS.index(s.STATUS) + 1))
    message = _error(book)
    assert s.STATUS in message and "header" in message
    assert s.RECOMMENDATION not in message  # names only what is missing


# --- CLI: validate --------------------------------------------------------------------------

def test_validate_committed_workbook(book, capsys):
    code, out, err = run(capsys, "validate", str(book))
    assert code == 0, out
    assert err == ""
    assert "error:" not in out
    assert out.splitlines()[-1].startswith(f"{book}: 0 errors, ")
    assert out.splitlines()[-1].endswith("in 22 recommendations.")


def test_validate_names_the_recommendation_and_field_of_a_bad_status(book, capsys):
    address = set_cell(book, "L4", s.STATUS, "Amberish")
    assert address == "F7"
    code, out, _ = run(capsys, "validate", str(book))
    assert code == 1
    errors = [line for line in out.splitlines() if ": error: " in line]
    assert len(errors) == 1, out
    assert errors[0].startswith("L4 Status: error: ") and "'Amberish' is not a status" in errors[0]
    assert "1 error," in out.splitlines()[-1]


@pytest.mark.parametrize("problem", ["missing", "text", "columns"])
def test_validate_unreadable_workbook_is_one_sentence(tmp_path, book, capsys, problem):
    if problem == "missing":
        path = tmp_path / "absent.xlsx"
    elif problem == "text":
        path = tmp_path / "plain.xlsx"
        path.write_text("not a workbook\n", encoding="utf-8")
    else:
        path = book
        edit(path, lambda ws, wb: ws.delete_cols(s.MAIN_COLUMNS.index(s.DUE) + 1))
    code, out, err = run(capsys, "validate", str(path))
    assert code == 2
    assert out == ""
    assert err.startswith("sli: ")
    assert str(path.name) in assert_sentence(err)


# --- CLI: status and list -------------------------------------------------------------------

def test_status_accepts_the_ways_people_type_a_ref(book, capsys):
    outputs = []
    for typed in ("L7", "7", "l07"):
        code, out, err = run(capsys, "--workbook", str(book), "status", typed)
        assert code == 0 and err == ""
        outputs.append(out)
    assert outputs[0] == outputs[1] == outputs[2]
    lines = outputs[0].splitlines()
    assert lines[0] == "Ref: L7"
    row = reader.read_appendix(book).rows["L7"]
    assert f"Status: {row.status}" in lines
    assert any(line.startswith(f"{column}:") for column in s.MAIN_COLUMNS[1:] for line in lines)
    assert row.due is not None
    assert f"Next step due: {row.due:%d/%m/%Y}" in lines


@pytest.mark.parametrize("typed", ["L99", "abc", "L0", ""])
def test_status_refuses_what_is_not_a_ref(book, capsys, typed):
    code, out, err = run(capsys, "status", typed, "--workbook", str(book))
    assert code == 2
    assert out == ""
    assert_sentence(err)


def _listed_refs(out: str) -> list[str]:
    lines = out.splitlines()
    assert lines[0].startswith("Ref ")
    return [line.split()[0] for line in lines[1:]]


def test_list_by_status(book, capsys):
    code, out, _ = run(capsys, "list", "--status", "at risk", "--workbook", str(book))
    assert code == 0
    rows = reader.read_appendix(book).rows
    expected = [ref for ref in REFS if rows[ref].status == s.AT_RISK]
    assert expected and _listed_refs(out) == expected
    assert all(" At risk " in line for line in out.splitlines()[1:])


def test_list_by_lead(book, capsys):
    code, out, _ = run(capsys, "list", "--lead", "ELHT", "--workbook", str(book))
    assert code == 0
    rows = reader.read_appendix(book).rows
    expected = [ref for ref in REFS if "(ELHT)" in rows[ref].lead_org]
    assert expected and _listed_refs(out) == expected


def test_list_everything(book, capsys):
    code, out, _ = run(capsys, "list", "--workbook", str(book))
    assert code == 0
    assert _listed_refs(out) == REFS


@pytest.mark.parametrize("args", [["--lead", "nonsense"], ["--status", "xyzzy"]])
def test_list_refuses_unknown_filters(book, capsys, args):
    code, out, err = run(capsys, "list", *args, "--workbook", str(book))
    assert code == 2
    assert out == ""
    assert_sentence(err)


# --- CLI: which workbook --------------------------------------------------------------------

def _marked_copy(folder: Path, marker: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "Appendix1.xlsx"
    shutil.copy2(COMMITTED, path)
    set_cell(path, "L7", s.SUMMARY, marker)
    return path


def test_workbook_path_precedence(tmp_path, monkeypatch, capsys):
    flag = _marked_copy(tmp_path / "flag", "from-flag")
    env = _marked_copy(tmp_path / "env", "from-env")
    _marked_copy(tmp_path / "cwd" / "workbook", "from-default")
    monkeypatch.chdir(tmp_path / "cwd")

    def summary(*argv: str) -> str:
        code, out, err = run(capsys, *argv, "status", "L7")
        assert code == 0, err
        return next(line for line in out.splitlines() if line.startswith(s.SUMMARY))

    assert summary() == f"{s.SUMMARY}: from-default"
    monkeypatch.setenv("SLI_WORKBOOK", str(env))
    assert summary() == f"{s.SUMMARY}: from-env"
    assert summary("--workbook", str(flag)) == f"{s.SUMMARY}: from-flag"
    code, out, _ = run(capsys, "status", "L7", "--workbook", str(flag))
    assert code == 0 and "from-flag" in out
    code, out, _ = run(capsys, "validate")
    assert code == 0 and out.splitlines()[-1].startswith(f"{env}: ")


def test_default_workbook_missing_is_one_sentence(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "list")
    assert code == 2 and out == ""
    assert "no workbook" in assert_sentence(err)


# --- the console script ---------------------------------------------------------------------

def test_console_script(book, tmp_path):
    assert SLI.exists(), SLI
    env = {k: v for k, v in os.environ.items() if k != "SLI_WORKBOOK"}

    def sli_run(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(SLI), *argv], capture_output=True, text=True, cwd=tmp_path,
                              env=env, timeout=60)

    done = sli_run("--workbook", str(book), "status", "l07")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "Ref: L7"
    done = sli_run("validate", str(book))
    assert done.returncode == 0 and "0 errors" in done.stdout
    done = sli_run("validate", str(tmp_path / "absent.xlsx"))
    assert done.returncode == 2 and done.stdout == ""
    assert_sentence(done.stderr)
