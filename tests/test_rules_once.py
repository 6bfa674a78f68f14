"""The shared rules run once per update when nothing changed between its check and its write (issue 18: the
fixed cost of an update), and again whenever the row may have changed: a verdict is reused only for the very
model it was given (`shared.domain.verdicts`)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

import sli
from shared import journal as j
from shared.domain import rules, update, verdicts
from shared.domain import schema as s
from shared.owner import write_owner_file
from shared.reader import read_appendix


@pytest.fixture
def rule_runs(monkeypatch) -> list[str]:
    """The refs `rules.check_row` was asked about (a spy that lets the rules run as they do)."""
    asked: list[str] = []
    real = rules.check_row

    def counting(values, *args, **kwargs):
        asked.append(str(values.get(s.REF)))
        return real(values, *args, **kwargs)

    monkeypatch.setattr(rules, "check_row", counting)
    if hasattr(update, "_ERRORS"):  # rows' errors found by earlier tests of this process not kept
        monkeypatch.setattr(update, "_ERRORS", verdicts.ErrorsMemo())
    return asked


def test_an_update_runs_the_rules_once_when_the_file_is_as_it_was_checked(workbook: Path, capsys,
                                                                           rule_runs: list[str]) -> None:
    """`sli update` checks the row (after and before the change: two rows) when it prepares the update, and
    writes it against the same save: the rules are not run a second time (they were, at the write)."""
    assert sli.main(["--workbook", str(workbook), "status", "L7"]) == 0  # the journal made, the cache filled
    rule_runs.clear()
    assert sli.main(["--workbook", str(workbook), "update", "L7", "--by", "Helen Lowey",
                     "--next", "Checked once"]) == 0
    assert "L7 updated" in capsys.readouterr().out
    assert rule_runs == ["L7", "L7"]
    assert read_appendix(workbook).rows["L7"][s.NEXT_STEPS] == "Checked once"


def _officer_clears(workbook: Path, ref: str, header: str) -> None:
    """An officer empties a cell and saves in another program (openpyxl stands in for Excel): no journal."""
    book = openpyxl.load_workbook(workbook)
    sheet = book[s.MAIN_SHEET]
    header_row = next(row for row in sheet.iter_rows(max_row=10) if any(c.value == s.REF for c in row))
    column = next(c.column for c in header_row if c.value == header)
    row = next(r[0].row for r in sheet.iter_rows(min_col=1, max_col=1) if r[0].value == ref)
    sheet.cell(row, column).value = None
    book.save(workbook)


def test_a_row_changed_between_the_check_and_the_write_is_checked_again(workbook: Path, capsys,
                                                                       rule_runs: list[str]) -> None:
    """An update that fitted when it was recorded (At risk, with a due date in the row) is held while Excel has
    the file; an officer empties the due date there. Written later in the same process, it is checked against
    the new save and refused as no longer fitting (At risk needs a due date), never written with the verdict
    it had when it was recorded."""
    owner = write_owner_file(workbook, "Sana Iqbal")
    assert sli.main(["--workbook", str(workbook), "update", "L1", "--by", "Helen Lowey", "--status", "At risk"]) == 3
    assert "open in Excel" in capsys.readouterr().out  # recorded and held: it fitted the row as it was
    _officer_clears(workbook, "L1", s.DUE)
    owner.unlink()
    rule_runs.clear()
    sli.main(["--workbook", str(workbook), "sync"])
    out = capsys.readouterr().out
    assert "no longer fits" in out, out
    assert "L1" in rule_runs  # checked again, against the officer's save
    row = read_appendix(workbook).rows["L1"]
    assert row.status == "On track" and row[s.DUE] in (None, "")
    [entry] = [e for e in j.Journal(workbook.with_name(workbook.name + ".journal.sqlite")).for_ref("L1")]
    assert entry.state == j.REJECTED
