"""The text rules' findings are kept per text (issue 18: the fixed cost of an update): a row's text is checked
as it was and as it would be at every update, mostly unchanged, and the NHS-number scan of long texts was most
of the rules' time. What is found stays exactly what the rules find on the text."""

from __future__ import annotations

from pathlib import Path

import pytest

import sli
from shared.domain import rules
from shared.domain import schema as s
from shared.domain.rules import text as text_rules
from shared.domain.rules.findings import MAX_TEXT


@pytest.fixture
def scanned(monkeypatch) -> list[str]:
    """The texts scanned for NHS numbers (a spy that lets the scan run as it does), none kept at the start."""
    seen: list[str] = []
    real = text_rules.nhs_number_candidates

    def counting(text: str):
        seen.append(text)
        return real(text)

    monkeypatch.setattr(text_rules, "nhs_number_candidates", counting)
    getattr(text_rules, "_kept_problems", None) and text_rules._kept_problems.cache_clear()
    return seen


def test_an_update_scans_only_the_text_it_brings(workbook: Path, capsys, scanned: list[str]) -> None:
    """`sli update` checks the row before and after the change: the columns it leaves alone are scanned once,
    and at the next update of the row only the new next steps are scanned (main scanned every text column of
    both rows each time)."""
    assert sli.main(["--workbook", str(workbook), "update", "L7", "--by", "Helen Lowey",
                     "--next", "First pass"]) == 0
    first = list(scanned)
    assert len(first) == len(set(first))  # each text once, though the two rows share all but one
    scanned.clear()
    assert sli.main(["--workbook", str(workbook), "update", "L7", "--by", "Helen Lowey",
                     "--next", "Second pass"]) == 0
    assert "L7 updated" in capsys.readouterr().out
    assert scanned == ["Second pass"]


def test_a_kept_text_is_refused_as_before(workbook: Path, capsys, scanned: list[str]) -> None:
    """A text checked before (kept) that holds an NHS number is refused again, naming its column; the same
    text in another column is checked for that column."""
    number = "943 476 5919"
    assert rules.check_text(f"Call {number}", s.NEXT_STEPS)  # kept now
    assert sli.main(["--workbook", str(workbook), "update", "L7", "--by", "Helen Lowey",
                     "--next", f"Call {number}"]) != 0
    assert "NHS number" in capsys.readouterr().out + capsys.readouterr().err
    [kept] = rules.check_text(f"Call {number}", s.SUMMARY, cell="E9", ref="L7")
    assert kept.column == s.SUMMARY and kept.message.startswith(s.SUMMARY) and (kept.cell, kept.ref) == ("E9", "L7")


@pytest.mark.parametrize("value", ["=SUM(A1)", "+44 1632", "Baby Smith, d.o.b. 3/4/24", "tab\there",
                                   "a\u200bb", "_x0041_", "x" * (MAX_TEXT + 1), "Plain words", ""])
def test_kept_findings_equal_the_rules_own(value: str) -> None:
    """The findings given from what is kept, asked twice, are those the rules make of the text afresh."""
    fresh = [rules.Finding("C3", severity, message, rule, s.NEXT_STEPS, "L3")
             for severity, rule, message in text_rules._problems(value, s.NEXT_STEPS)]
    assert rules.check_text(value, s.NEXT_STEPS, "C3", "L3") == fresh
    assert rules.check_text(value, s.NEXT_STEPS, "C3", "L3") == fresh
