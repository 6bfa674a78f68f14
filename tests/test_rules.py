"""The shared validation rules: each finding's cell, severity and rule, and silence on valid rows."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from shared.domain import rules
from shared.domain import schema as s
from shared.domain.rules import ERROR, WARNING, Finding, check_grid, check_row, check_text

TODAY = date(2026, 6, 1)
LEADS = ("BwD Council Public Health", "East Lancashire Hospitals NHS Trust (ELHT)")

#: The standard layout: Ref in A ... Updated by in K.
LETTERS = {name: s.column_letter(i) for i, name in enumerate(s.MAIN_COLUMNS)}
assert (LETTERS[s.REF], LETTERS[s.LEAD_ORG], LETTERS[s.STATUS], LETTERS[s.SUMMARY], LETTERS[s.NEXT_STEPS],
        LETTERS[s.DUE]) == ("A", "D", "F", "G", "H", "I")


def valid_values(ref: str = "L4", **changes: object) -> dict[str, object]:
    values: dict[str, object] = {
        s.REF: ref,
        s.RECOMMENDATION: "Promote safer sleeping advice at every contact with families.",
        s.PRIORITY: "Safer sleeping",
        s.LEAD_ORG: LEADS[0],
        s.LEAD_OFFICER: "Jane Smith",
        s.STATUS: s.ON_TRACK,
        s.SUMMARY: "Training delivered to 40 health visitors; audit planned.",
        s.NEXT_STEPS: "Audit safe sleep conversations in Q3.",
        s.DUE: date(2026, 9, 30),
        s.LAST_UPDATED: date(2026, 5, 1),
        s.UPDATED_BY: "Jane Smith",
    }
    values.update(changes)
    return values


def row(row_number: int = 7, lead_orgs: tuple[str, ...] | None = LEADS, today: date = TODAY,
        **changes: object) -> list[Finding]:
    """check_row on a valid row with `changes`, in sheet row `row_number` of the standard layout."""
    return check_row(valid_values(**changes), lambda column: f"{LETTERS[column]}{row_number}",
                     lead_orgs=lead_orgs, today=today)


def by_rule(findings: list[Finding], rule: str) -> list[Finding]:
    return [f for f in findings if f.rule == rule]


def one(findings: list[Finding], rule: str) -> Finding:
    matched = by_rule(findings, rule)
    assert len(matched) == 1, findings
    return matched[0]


def kw(column: str, value: object) -> dict[str, object]:
    """check_row keyword changes for a column name with spaces in it."""
    return {column: value}


def test_a_valid_row_has_no_findings() -> None:
    assert row() == []


@pytest.mark.parametrize("status", s.STATUSES)
def test_every_status_in_the_vocabulary_is_valid(status: str) -> None:
    assert row(**{s.STATUS: status}) == []


def test_finding_line() -> None:
    finding = Finding("F7", ERROR, "Status is empty.", "status_missing", s.STATUS, "L4")
    assert finding.line() == "L4 Status: error: Status is empty."  # the ref and field, not the cell
    assert finding.cell == "F7"  # kept: the add-in selects it
    assert rules.errors([finding, Finding("I7", WARNING, "x", "overdue")]) == [finding]


# --- status --------------------------------------------------------------------------------


@pytest.mark.parametrize("typed, meant", [
    ("on-track", s.ON_TRACK), ("ON TRACK ", s.ON_TRACK), ("on track", s.ON_TRACK), ("Amber", s.AT_RISK),
    ("Red", s.OFF_TRACK), ("Done", s.COMPLETE), ("COMPLETE", s.COMPLETE), ("at risk", s.AT_RISK),
])
def test_status_not_in_the_vocabulary_is_an_error_with_a_suggestion(typed: str, meant: str) -> None:
    finding = one(row(**kw(s.STATUS, typed)), "status_unknown")
    assert (finding.cell, finding.severity, finding.column, finding.ref) == ("F7", ERROR, s.STATUS, "L4")
    assert f"'{typed.strip()}' is not a status." in finding.message
    assert f"Did you mean '{meant}'?" in finding.message
    assert ", ".join(s.STATUSES) in finding.message


def test_status_without_a_likely_meaning_has_no_suggestion() -> None:
    finding = one(row(**kw(s.STATUS, "xyzzy")), "status_unknown")
    assert (finding.cell, finding.severity) == ("F7", ERROR)
    assert "Did you mean" not in finding.message


def test_status_that_is_not_text_is_unknown() -> None:
    finding = one(row(**kw(s.STATUS, 3.0)), "status_unknown")
    assert (finding.cell, finding.severity) == ("F7", ERROR)


@pytest.mark.parametrize("empty", [None, "", "   "])
def test_empty_status_is_an_error(empty: object) -> None:
    findings = row(row_number=12, **kw(s.STATUS, empty))
    finding = one(findings, "status_missing")
    assert (finding.cell, finding.severity) == ("F12", ERROR)
    assert by_rule(findings, "status_unknown") == []


@pytest.mark.parametrize("status", s.STATUSES)
def test_valid_status_has_no_status_finding(status: str) -> None:
    findings = row(**{s.STATUS: status})
    assert by_rule(findings, "status_unknown") == by_rule(findings, "status_missing") == []


# --- next steps, due date, summary ---------------------------------------------------------


@pytest.mark.parametrize("status", [s.NOT_STARTED, s.ON_TRACK, s.AT_RISK, s.OFF_TRACK])
@pytest.mark.parametrize("empty", [None, "", "  \n "])
def test_next_steps_missing_is_an_error_unless_complete(status: str, empty: object) -> None:
    finding = one(row(**{s.STATUS: status, s.NEXT_STEPS: empty}), "next_steps_missing")
    assert (finding.cell, finding.severity) == ("H7", ERROR)


def test_complete_needs_no_next_steps() -> None:
    assert row(**{s.STATUS: s.COMPLETE, s.NEXT_STEPS: None, s.DUE: None}) == []


@pytest.mark.parametrize("status", [s.AT_RISK, s.OFF_TRACK])
def test_at_risk_or_off_track_without_due_date_is_an_error(status: str) -> None:
    finding = one(row(**{s.STATUS: status, s.DUE: None}), "due_missing")
    assert (finding.cell, finding.severity) == ("I7", ERROR)
    assert status in finding.message
    assert by_rule(row(**{s.STATUS: status, s.DUE: ""}), "due_missing")


@pytest.mark.parametrize("status", [s.NOT_STARTED, s.ON_TRACK, s.COMPLETE])
def test_other_statuses_need_no_due_date(status: str) -> None:
    assert row(**{s.STATUS: status, s.DUE: None}) == []


def test_complete_without_summary_is_an_error() -> None:
    for empty in (None, "", "   "):
        finding = one(row(**{s.STATUS: s.COMPLETE, s.SUMMARY: empty}), "summary_missing")
        assert (finding.cell, finding.severity) == ("G7", ERROR)
    assert row(**{s.STATUS: s.ON_TRACK, s.SUMMARY: None}) == []


@pytest.mark.parametrize("typed", ["soon", "TBC", "next week", "31/02/2027", "Q3"])
def test_due_that_is_not_a_date_is_an_error(typed: str) -> None:
    findings = row(**kw(s.DUE, typed))
    finding = one(findings, "due_not_date")
    assert (finding.cell, finding.severity) == ("I7", ERROR)
    assert f"'{typed}'" in finding.message
    assert by_rule(findings, "due_as_text") == by_rule(findings, "overdue") == []


def test_due_not_a_date_is_not_also_reported_missing() -> None:
    findings = row(**{s.STATUS: s.AT_RISK, s.DUE: "soon"})
    assert [f.rule for f in findings] == ["due_not_date"]


@pytest.mark.parametrize("typed", ["30/09/2026", "2026-09-30", "30 Sep 2026", " 30/9/26 "])
def test_due_typed_as_text_that_parses_is_a_warning(typed: str) -> None:
    findings = row(**kw(s.DUE, typed))
    finding = one(findings, "due_as_text")
    assert (finding.cell, finding.severity) == ("I7", WARNING)
    assert findings == [finding]


def test_due_as_text_satisfies_at_risk() -> None:
    findings = row(**{s.STATUS: s.AT_RISK, s.DUE: "30/09/2026"})
    assert [f.rule for f in findings] == ["due_as_text"]


@pytest.mark.parametrize("status", [s.NOT_STARTED, s.ON_TRACK, s.AT_RISK, s.OFF_TRACK])
def test_past_due_is_overdue_unless_complete(status: str) -> None:
    finding = one(row(**{s.STATUS: status, s.DUE: date(2026, 5, 31)}), "overdue")
    assert (finding.cell, finding.severity) == ("I7", WARNING)
    assert "31/05/2026" in finding.message


def test_overdue_follows_the_given_today() -> None:
    due = {s.DUE: date(2026, 9, 30)}
    assert by_rule(row(today=date(2026, 9, 30), **due), "overdue") == []
    assert by_rule(row(today=date(2026, 10, 1), **due), "overdue")
    assert by_rule(row(today=date(2030, 1, 1), **due), "overdue")


def test_due_as_datetime_counts_as_a_date() -> None:
    assert row(**kw(s.DUE, datetime(2026, 9, 30, 0, 0))) == []
    assert one(row(**kw(s.DUE, datetime(2026, 1, 1, 9, 30))), "overdue").cell == "I7"


def test_complete_is_never_overdue() -> None:
    assert row(**{s.STATUS: s.COMPLETE, s.DUE: date(2020, 1, 1)}) == []
    assert by_rule(row(**{s.STATUS: s.COMPLETE, s.DUE: "01/01/2020"}), "overdue") == []


def test_overdue_text_date_gives_both_warnings() -> None:
    findings = row(**kw(s.DUE, "01/01/2026"))
    assert sorted((f.rule, f.cell, f.severity) for f in findings) == [
        ("due_as_text", "I7", WARNING), ("overdue", "I7", WARNING)]


# --- lead organisation ---------------------------------------------------------------------


def test_unknown_lead_organisation_is_an_error() -> None:
    finding = one(row(**kw(s.LEAD_ORG, "Acme Hospital")), "lead_unknown")
    assert (finding.cell, finding.severity) == ("D7", ERROR)
    assert "'Acme Hospital'" in finding.message


@pytest.mark.parametrize("lead", LEADS)
def test_known_lead_organisations_are_valid(lead: str) -> None:
    assert row(**kw(s.LEAD_ORG, lead)) == []
    assert row(**kw(s.LEAD_ORG, f"  {lead} ")) == []


def test_lead_organisation_match_is_exact() -> None:
    assert one(row(**kw(s.LEAD_ORG, LEADS[0].upper())), "lead_unknown").cell == "D7"


def test_without_a_list_any_lead_is_accepted() -> None:
    assert row(lead_orgs=None, **kw(s.LEAD_ORG, "Acme Hospital")) == []


@pytest.mark.parametrize("empty", [None, "", "  "])
def test_missing_lead_is_an_error(empty: object) -> None:
    for lead_orgs in (LEADS, None):
        findings = row(lead_orgs=lead_orgs, **kw(s.LEAD_ORG, empty))
        finding = one(findings, "lead_missing")
        assert (finding.cell, finding.severity) == ("D7", ERROR)
        assert by_rule(findings, "lead_unknown") == []


# --- text rules ----------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    '=HYPERLINK("http://x","y")', "=1+1", "  =SUM(A1:A3)", "\t=cmd|' /C calc'!A0", "=",
])
def test_text_starting_with_equals_is_an_error(text: str) -> None:
    finding = one(check_text(text, s.SUMMARY, "G7", "L4"), "formula")
    assert (finding.cell, finding.severity, finding.column, finding.ref) == ("G7", ERROR, s.SUMMARY, "L4")
    assert by_rule(check_text(text, s.SUMMARY), "formula_like") == []


@pytest.mark.parametrize("text", ["+44 1254 123456", "-1 week slip", "- bullet point", "@Jane to chase",
                                  "   +1", "  @here"])
def test_text_starting_with_plus_minus_at_is_a_warning(text: str) -> None:
    findings = check_text(text, s.NEXT_STEPS, "H7")
    finding = one(findings, "formula_like")
    assert (finding.cell, finding.severity) == ("H7", WARNING)
    assert f"starts with '{text.lstrip()[0]}'" in finding.message
    assert by_rule(findings, "formula") == []


@pytest.mark.parametrize("text", [
    "a = b", "2+2 is four", "email jane@example.org", "follow-up", "Costs: -£5",
])
def test_formula_characters_later_in_the_text_are_fine(text: str) -> None:
    assert check_text(text, s.SUMMARY, "G7") == []


@pytest.mark.parametrize("column", rules.TEXT_COLUMNS)
def test_formula_in_each_text_column_names_its_cell(column: str) -> None:
    findings = row(row_number=9, **kw(column, "=1+1"))
    assert [(f.rule, f.cell, f.severity) for f in findings] == [("formula", f"{LETTERS[column]}9", ERROR)]


@pytest.mark.parametrize("char", [
    "\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x0e", "\x1b", "\x1f", "\x7f", "\x85", "\x92",
])
def test_control_characters_are_an_error(char: str) -> None:
    finding = one(check_text(f"Audit{char} planned", s.SUMMARY, "G7"), "control_chars")
    assert (finding.cell, finding.severity) == ("G7", ERROR)


@pytest.mark.parametrize("text", ["Line one\nLine two", "Col\tcol", "Windows\r\nline", "\n\tIndented"])
def test_tab_and_newline_are_allowed(text: str) -> None:
    assert check_text(text, s.NEXT_STEPS, "H7") == []


def test_over_2000_characters_is_an_error_and_2000_is_fine() -> None:
    assert check_text("a" * rules.MAX_TEXT, s.SUMMARY, "G7") == []
    assert check_text("ab " * 666 + "ab", s.SUMMARY, "G7") == []
    finding = one(check_text("a" * 2001, s.SUMMARY, "G7"), "too_long")
    assert (finding.cell, finding.severity) == ("G7", ERROR)
    assert "2,001" in finding.message and "2,000" in finding.message
    assert one(row(**kw(s.SUMMARY, "x" * 5000)), "too_long").cell == "G7"


def test_text_rules_ignore_non_text_cells() -> None:
    assert row(**kw(s.SUMMARY, 9434765919.0)) == []


# --- NHS numbers ---------------------------------------------------------------------------


def check_digit(prefix: str) -> int:
    """Modulus 11 on nine digits, weights 10 down to 2; 10 means no valid number has this prefix."""
    remainder = sum(int(d) * (10 - i) for i, d in enumerate(prefix)) % 11
    return 0 if remainder == 0 else 11 - remainder


def test_check_digit_of_the_well_known_test_number() -> None:
    assert check_digit("943476591") == 9
    assert rules.nhs_number_valid("9434765919")
    assert not rules.nhs_number_valid("9434765918")
    assert not rules.nhs_number_valid("943476591")
    assert not rules.nhs_number_valid("94347659a9")


@pytest.mark.parametrize("text", [
    "9434765919", "943 476 5919", "943-476-5919", "NHS no. 943 476 5919 seen", "(9434765919)",
    "ref:943476-5919", "401 023 2137", "4010232137",
])
def test_valid_nhs_numbers_are_an_error(text: str) -> None:
    assert check_digit("401023213") == 7
    finding = one(check_text(text, s.SUMMARY, "G7", "L4"), "nhs_number")
    assert (finding.cell, finding.severity) == ("G7", ERROR)


@pytest.mark.parametrize("text", [
    "9434765918", "943 476 5910", "94347659190", "19434765919", "943 476 59190", "943 476 591",
    "Phone 01254 263611", "1234567890",
])
def test_numbers_that_are_not_nhs_numbers_are_fine(text: str) -> None:
    assert by_rule(check_text(text, s.SUMMARY, "G7"), "nhs_number") == []


def test_nhs_number_in_a_row_names_its_cell() -> None:
    finding = one(row(row_number=15, **kw(s.NEXT_STEPS, "Review case 943 476 5919.")), "nhs_number")
    assert (finding.cell, finding.severity) == ("H15", ERROR)


@given(st.from_regex(r"\A[0-9]{9}\Z"), st.integers(min_value=1, max_value=9),
       st.sampled_from(["{}{}{}", "{} {} {}", "{}-{}-{}"]), st.sampled_from(["", "NHS ", "see "]))
@example(prefix="004400000", shift=1, layout="{}{}{}", before="")  # 0044000006: not 0044 and six digits
@example(prefix="409006004", shift=1, layout="{} {} {}", before="")  # 409 006 0044: 0044 is its last group
def test_nhs_check_digit_property(prefix: str, shift: int, layout: str, before: str) -> None:
    digit = check_digit(prefix)
    assume(digit != 10)
    good = prefix + str(digit)
    bad = prefix + str((digit + shift) % 10)
    written = [before + layout.format(n[:3], n[3:6], n[6:]) + " today" for n in (good, bad)]
    assert [f.rule for f in check_text(written[0], s.SUMMARY, "G7")] == ["nhs_number"]
    assert check_text(written[1], s.SUMMARY, "G7") == []


# --- dates of birth and babies' names ------------------------------------------------------


@pytest.mark.parametrize("text", [
    "DOB 12/03/2026", "dob: 12/03/2026", "D.O.B. 12/03/26", "DOB12/03/2026", "Her date of birth is known",
    "born on 3/4/26", "Born 3 April", "born 12-03-2026",
])
def test_date_of_birth_patterns_warn(text: str) -> None:
    finding = one(check_text(text, s.SUMMARY, "G7"), "date_of_birth")
    assert (finding.cell, finding.severity) == ("G7", WARNING)


@pytest.mark.parametrize("text", ["Jane Dobson", "Dobbs to chase", "dobutamine protocol reviewed",
                                  "Newborn hearing checks", "born in Blackburn", "Grade d obstetric review"])
def test_words_that_are_not_a_date_of_birth_do_not_warn(text: str) -> None:
    assert check_text(text, s.LEAD_OFFICER, "E7") == []


@pytest.mark.parametrize("text", [
    "Baby Aisha was seen", "baby of Sarah Khan", "Re: Baby O'Neil", "baby Jo-Anne",
])
def test_baby_name_patterns_warn(text: str) -> None:
    finding = one(check_text(text, s.SUMMARY, "G7"), "baby_name")
    assert (finding.cell, finding.severity) == ("G7", WARNING)


@pytest.mark.parametrize("text", [
    "UNICEF UK Baby Friendly Initiative", "Baby Loss Awareness Week", "baby boxes", "Baby Box scheme",
    "every baby matters", "Babysitting advice", "Baby Feeding Team",
])
def test_baby_friendly_and_similar_do_not_warn(text: str) -> None:
    assert check_text(text, s.RECOMMENDATION, "B7") == []


# --- text properties -----------------------------------------------------------------------

_SAFE = st.characters(exclude_categories=("Cc", "Cs", "Cf"), exclude_characters="\u2028\u2029",
                      include_characters="\t\n\r")


def _looks_like_patient_data(text: str) -> bool:
    folded = text.casefold()
    squashed = re.sub(r"[\s.]", "", folded)
    return ("dob" in squashed or "date of birth" in " ".join(folded.split()) or "born" in folded
            or "baby" in folded or bool(re.search(r"\d{10}", re.sub(r"[\s.\-\u2010-\u2014\u2212]", "", text))))


@given(st.text(alphabet=_SAFE, max_size=300))
def test_clean_text_has_no_findings(text: str) -> None:
    assume(text.lstrip()[:1] not in ("=", "+", "-", "@"))
    assume(not _looks_like_patient_data(text))
    assert check_text(text, s.SUMMARY, "G7") == []


@given(st.text(alphabet=_SAFE, max_size=50),
       st.characters(categories=("Cc",), exclude_characters="\t\n\r"),
       st.text(alphabet=_SAFE, max_size=50))
def test_any_control_character_is_an_error(before: str, control: str, after: str) -> None:
    findings = check_text(before + control + after, s.SUMMARY, "G7")
    assert [(f.cell, f.severity) for f in by_rule(findings, "control_chars")] == [("G7", ERROR)]


# --- check_grid ----------------------------------------------------------------------------


def grid_rows(header: tuple[str, ...] = s.MAIN_COLUMNS, refs: list[object] | None = None,
              **changes_by_ref: dict[str, object]) -> list[list[object]]:
    """A title row, a blank row, the header in sheet row 3, then one valid row per ref (L1..L22)."""
    refs = [f"L{n}" for n in range(1, 23)] if refs is None else refs
    grid: list[list[object]] = [["Appendix 1: Sector Led Improvement - infant mortality"], [], list(header)]
    for ref in refs:
        values = valid_values(ref=ref, **changes_by_ref.get(str(ref), {}))
        grid.append([values.get(column) for column in header])
    return grid


def grid_findings(grid: list[list[object]], origin: tuple[int, int] = (0, 0)) -> list[Finding]:
    return check_grid(grid, origin=origin, lead_orgs=LEADS, today=TODAY)


def cells(findings: list[Finding]) -> list[tuple[str, str, str]]:
    return sorted((f.rule, f.cell, f.severity) for f in findings)


def test_valid_grid_has_no_findings() -> None:
    assert grid_findings(grid_rows()) == []


def test_grid_findings_name_sheet_cells() -> None:
    grid = grid_rows(L1={s.STATUS: "Amber"}, L4={s.NEXT_STEPS: None}, L22={s.DUE: "soon"})
    assert cells(grid_findings(grid)) == [
        ("due_not_date", "I25", ERROR), ("next_steps_missing", "H7", ERROR), ("status_unknown", "F4", ERROR)]


def test_grid_findings_carry_the_ref() -> None:
    findings = grid_findings(grid_rows(L9={s.SUMMARY: "=1"}))
    assert [(f.ref, f.column, f.cell) for f in findings] == [("L9", s.SUMMARY, "G12")]


def test_blank_rows_are_skipped() -> None:
    grid = grid_rows()
    grid[10:10] = [[], [None] * 11, ["", "  ", None]]
    assert grid_findings(grid) == []
    assert one(grid_findings(grid + [[], ["L5"]]), "ref_duplicate").cell == "A30"


def test_reordered_columns() -> None:
    header = tuple(reversed(s.MAIN_COLUMNS))  # Updated by in A ... Ref in K
    grid = grid_rows(header, L1={s.STATUS: "Amber"}, L3={s.DUE: "soon"}, L5={s.LEAD_ORG: "Acme"})
    assert cells(grid_findings(grid)) == [
        ("due_not_date", "C6", ERROR), ("lead_unknown", "H8", ERROR), ("status_unknown", "F4", ERROR)]
    grid = grid_rows(header, refs=[f"L{n}" for n in range(2, 23)] + ["l07"])
    assert cells(grid_findings(grid)) == [("ref_duplicate", "K25", ERROR), ("ref_format", "K25", WARNING),
                                          ("ref_missing", "K3", ERROR)]


def test_officer_column_inserted_before_status() -> None:
    header = (*s.MAIN_COLUMNS[:5], "RAG notes", *s.MAIN_COLUMNS[5:])
    grid = grid_rows(header, L2={s.STATUS: None, s.UPDATED_BY: "@jane"})
    for line in grid[3:]:
        line[5] = "=officer's own formula"  # their column is not checked
    assert cells(grid_findings(grid)) == [("formula_like", "L5", WARNING), ("status_missing", "G5", ERROR)]


def test_non_zero_origin() -> None:
    grid = grid_rows(L1={s.STATUS: "Red"}, L6={s.DUE: date(2026, 1, 1)})
    del grid[3 + 2]  # L3's row: L6 moves up to grid row 7
    findings = grid_findings(grid, origin=(4, 2))  # the used range starts at C5: header in row 7
    assert cells(findings) == [("overdue", "K12", WARNING), ("ref_missing", "C7", ERROR),
                               ("status_unknown", "H8", ERROR)]
    assert one(findings, "ref_missing").message.startswith("No row for L3:")


def test_header_is_found_whatever_its_case_and_spacing() -> None:
    header = tuple(f"  {name.upper()} " for name in s.MAIN_COLUMNS)
    grid = [["Title"], [], list(header)] + grid_rows()[3:]
    assert grid_findings(grid) == []


@pytest.mark.parametrize("column", s.MAIN_COLUMNS)
def test_missing_required_column_is_a_header_error(column: str) -> None:
    header = tuple(name for name in s.MAIN_COLUMNS if name != column)
    with pytest.raises(s.HeaderError, match=re.escape(column)):
        grid_findings(grid_rows(header))


def test_no_header_at_all_is_a_header_error() -> None:
    with pytest.raises(s.HeaderError, match="'Appendix 1'"):
        grid_findings([["Title"], ["nothing", "here"]])


def test_duplicate_refs() -> None:
    refs = [f"L{n}" for n in range(1, 23)]
    refs.insert(10, "L5")
    findings = grid_findings(grid_rows(refs=refs))
    finding = one(findings, "ref_duplicate")
    assert (finding.cell, finding.severity, finding.ref) == ("A14", ERROR, "L5")
    assert "L5 appears twice (also in A8)" in finding.message
    assert cells(findings) == [("ref_duplicate", "A14", ERROR)]


def test_missing_refs_are_named() -> None:
    refs = [f"L{n}" for n in range(1, 23) if n not in (3, 10, 22)]
    findings = grid_findings(grid_rows(refs=refs))
    finding = one(findings, "ref_missing")
    assert (finding.cell, finding.severity) == ("A3", ERROR)
    assert finding.message.startswith("No row for L3, L10, L22:")
    assert cells(findings) == [("ref_missing", "A3", ERROR)]


def test_every_ref_missing_in_an_empty_sheet() -> None:
    finding = one(grid_findings(grid_rows(refs=[])), "ref_missing")
    assert finding.message.startswith("No row for " + ", ".join(rules.EXPECTED_REFS) + ":")


@pytest.mark.parametrize("bad", ["abc", "L0", "", None, "L7a"])
def test_invalid_ref_is_an_error(bad: object) -> None:
    refs: list[object] = [f"L{n}" for n in range(1, 23)]
    refs.insert(3, bad)
    findings = grid_findings(grid_rows(refs=refs))
    finding = one(findings, "ref_invalid")
    assert (finding.cell, finding.severity) == ("A7", ERROR)
    assert f"'{bad or ''}' is not a reference like L7" in finding.message
    assert cells(findings) == [("ref_invalid", "A7", ERROR)]


@pytest.mark.parametrize("typed", ["l07", "7", "#7", "L07", 7.0])
def test_ref_written_otherwise_is_a_warning(typed: object) -> None:
    refs: list[object] = [f"L{n}" for n in range(1, 23)]
    refs[6] = typed
    findings = grid_findings(grid_rows(refs=refs))
    finding = one(findings, "ref_format")
    assert (finding.cell, finding.severity, finding.ref) == ("A10", WARNING, "L7")
    assert finding.message.endswith("should be written L7.")
    assert cells(findings) == [("ref_format", "A10", WARNING)]


def test_ref_with_surrounding_spaces_is_fine() -> None:
    refs = [f"L{n}" for n in range(1, 23)]
    refs[6] = " L7 "
    assert grid_findings(grid_rows(refs=refs)) == []


def test_grid_without_lead_list_accepts_any_lead() -> None:
    grid = grid_rows(L3={s.LEAD_ORG: "Acme"})
    assert check_grid(grid, lead_orgs=None, today=TODAY) == []
    assert one(check_grid(grid, lead_orgs=LEADS, today=TODAY), "lead_unknown").cell == "D6"
