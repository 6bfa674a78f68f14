"""What the use cases and the domain do per update, counted (issue 18: the use case and domain layers' CPU):
Excel's owner file looked for once a pass, not before the lock and again under it; the Appendix a writer
derives copies only the rows it edited; a row's check places (locates) only what it finds; a text with
fewer than ten digits is not screened for NHS numbers; a text cell's text is answered before the type checks
(nine a plan), a ref read from a text is kept. What each saves is checked to leave the same answers:
an owner file that appears between record and commit still holds the update."""

from __future__ import annotations

import shutil
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

import shared.uow
from shared import journal as j
from shared.as_written import appendix_as_written
from shared.domain import rules
from shared.domain import schema as s
from shared.domain.rules import nhs_numbers
from shared.domain.values import cell_text, plain_newlines
from shared.owner import find_owner_file, write_owner_file
from shared.reader import read_appendix
from shared.usecases import Store, UpdateRequest, commit, record_request, submit_update

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    path = tmp_path / "Appendix1.xlsx"
    shutil.copy2(ROOT / "workbook" / "Appendix1.xlsx", path)
    return path


def test_an_update_looks_for_excels_owner_file_once(workbook: Path, monkeypatch) -> None:
    looked: list[Path] = []

    def counted(path: Path):
        looked.append(path)
        return find_owner_file(path)

    monkeypatch.setattr(shared.uow, "find_owner_file", counted)
    result = submit_update(Store.for_workbook(workbook), "L7", {s.NEXT_STEPS: "Counted step"}, by="Helen Lowey",
                           via=s.VIA_CLI)
    assert result.state == j.APPLIED, result.message
    assert looked == [workbook]


def test_an_owner_file_that_appears_after_the_record_still_holds_the_update(workbook: Path) -> None:
    store = Store.for_workbook(workbook)
    recorded = record_request(store, UpdateRequest("L7", {s.NEXT_STEPS: "Held step"}, s.VIA_CLI, by="Helen Lowey"))
    assert recorded.state == j.PENDING
    write_owner_file(workbook, "Aisha Khan")
    result = commit(store, recorded)
    assert result.state == j.PENDING and "Aisha Khan" in result.message
    assert read_appendix(workbook).rows["L7"][s.NEXT_STEPS] != "Held step"


def test_the_derived_appendix_copies_only_the_rows_edited(workbook: Path) -> None:
    base = read_appendix(workbook)
    edits = {base.locate("L7", s.NEXT_STEPS): "Derived step", base.locate("L7", s.UPDATED_BY): "Helen Lowey"}
    derived = appendix_as_written(base, [edits], workbook)
    assert derived is not None and derived.rows["L7"][s.NEXT_STEPS] == "Derived step"
    edited = derived.rows["L7"].sheet_row - 1 - base.sheet.origin[0]
    kept = [index for index, row in enumerate(derived.sheet.grid) if row is base.sheet.grid[index]]
    assert kept == [index for index in range(len(base.sheet.grid)) if index != edited]


def test_a_row_that_breaks_no_rule_is_checked_without_placing_a_finding(workbook: Path) -> None:
    appendix = read_appendix(workbook)
    row = appendix.rows["L7"]
    placed: list[str] = []

    def locate(column: str) -> str:
        placed.append(column)
        return appendix.locate(row.ref, column)

    values = {**row.values, s.STATUS: s.STATUSES[0], s.NEXT_STEPS: "A plain next step", s.DUE: date(2030, 1, 31)}
    found = rules.check_row(values, locate, lead_orgs=None, today=date(2026, 1, 1))
    assert found == []
    assert placed == []
    assert rules.check_row({**values, s.NEXT_STEPS: "=SUM(A1)"}, locate, lead_orgs=None, today=date(2026, 1, 1))
    assert placed == [s.NEXT_STEPS]


def test_a_text_with_fewer_than_ten_digits_is_not_screened_further(monkeypatch) -> None:
    screened: list[str] = []
    set_aside = nhs_numbers._set_aside

    def counted(text: str) -> str:
        screened.append(text)
        return set_aside(text)

    monkeypatch.setattr(nhs_numbers, "_set_aside", counted)
    assert nhs_numbers.nhs_number_candidates("Call 943 476 591 on Monday") == []
    assert screened == []
    assert nhs_numbers.nhs_number_candidates("Call 943 476 5919") == ["9434765919"]
    assert len(screened) == 1


def _builtins_called(work) -> list[str]:
    """The built-in functions and methods `work()` calls (profile `c_call` events), by name."""
    called: list[str] = []

    def profile(frame, event: str, arg: object) -> None:
        if event == "c_call":
            called.append(arg.__name__)

    sys.setprofile(profile)
    try:
        work()
    finally:
        sys.setprofile(None)
    return called[:-1]  # not `setprofile` itself


def test_a_text_cells_text_is_answered_without_asking_its_type() -> None:
    """A plan asks `cell_text` of nine values, mostly texts without a CR: answered before the type checks,
    and not rewritten; every other value (and a text with CRs, a str subclass) reads as before."""
    assert _builtins_called(lambda: cell_text("A plain next step")) == []
    assert _builtins_called(lambda: plain_newlines("One line\nand another")) == []
    assert cell_text("one\r\ntwo\rthree") == "one\ntwo\nthree"

    class Text(str):
        pass

    assert cell_text(Text("a\r\nb")) == "a\nb" and type(cell_text(Text("a"))) is str
    assert [cell_text(v) for v in (None, "", 3.0, 2.5, True, date(2027, 1, 31), datetime(2027, 1, 31, 14, 30))] == \
        ["", "", "3", "2.5", "True", "31/01/2027", "31/01/2027 14:30"]


def test_a_ref_read_from_the_same_text_again_is_not_worked_out_again() -> None:
    """`normalise_ref` keeps what it read from a text (an update's ref, then its row's Ref cell on every read):
    the NFKC form is not taken again; numbers are read each time (1, 1.0 and True are equal keys)."""
    assert s.normalise_ref("l07 ") == "L7"
    assert "normalize" not in _builtins_called(lambda: s.normalise_ref("l07 "))
    assert s.normalise_ref("Ｌ７") == "L7" == s.normalise_ref("Ｌ７")
    assert s.normalise_ref(1) == "L1" and s.normalise_ref(1.0) == "L1"
    for refused in (True, "L0", "x", "L0"):
        with pytest.raises(s.RefError):
            s.normalise_ref(refused)
    with pytest.raises(s.RefError, match="'True' is not"):
        s.normalise_ref(True)
