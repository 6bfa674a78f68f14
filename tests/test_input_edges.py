"""Input at the edges (issue 9.6): due dates outside 2000-2099, due cells no reader can show as a date,
NHS numbers in any grouping, and invisible Unicode format characters. Each is a finding with a sentence
and never an exception; refused updates leave the workbook's bytes as they were."""

from __future__ import annotations

import json
import unicodedata
from datetime import date, datetime, time, timedelta
from pathlib import Path

import openpyxl
import pytest
import python_calamine
from hypothesis import assume, given
from hypothesis import strategies as st

import sli
from bot import blocks
from shared import journal as j
from shared.domain import rules
from shared.domain import schema as s
from shared.domain.rules import ERROR, check_text
from shared.domain.values import NotADate, cell_text
from shared.reader import read_appendix, read_change_log
from shared.usecases import Store, submit_update
from shared.xlsx import Package, save_atomically

BY = "Helen Lowey"


def store_for(workbook: Path) -> Store:
    return Store.for_workbook(workbook)


def rules_of(findings: list[rules.Finding]) -> list[str]:
    return [f.rule for f in findings]


def due_cell(workbook: Path, ref: str = "L7") -> str:
    return read_appendix(workbook).locate(ref, s.DUE)


def raw_due(workbook: Path, ref: str = "L7") -> object:
    """The due cell as python-calamine reads it, with no help from our reader."""
    appendix = read_appendix(workbook)
    grid = python_calamine.CalamineWorkbook.from_path(str(workbook)).get_sheet_by_name(s.MAIN_SHEET).to_python()
    return grid[appendix.rows[ref].sheet_row - 1][appendix.header.columns[s.DUE]]


def put_raw_due(workbook: Path, value: object, ref: str = "L7") -> None:
    """Write a number straight into the due cell (keeping its date format), as the old code wrote -363
    for 1/1/1899, or as an officer's typo does."""
    package = Package(workbook)
    package.edit_cells(s.MAIN_SHEET, {due_cell(workbook, ref): value})
    save_atomically(package, workbook, None, 0)


# --- due dates outside 01/01/2000-31/12/2099 are refused ---------------------------------------


@pytest.mark.parametrize("typed, shown", [
    ("1/1/1899", "01/01/1899"), ("1900-01-01", "01/01/1900"), ("28/2/1900", "28/02/1900"),
    ("31/12/1999", "31/12/1999"), ("1/1/2100", "01/01/2100"), ("0207-01-31", "31/01/0207"),
    ("31 Jan 1066", "31/01/1066"),
])
def test_due_date_outside_the_window_is_refused_and_changes_nothing(workbook: Path, typed: str, shown: str) -> None:
    before = workbook.read_bytes()
    result = submit_update(store_for(workbook), "L7", {s.DUE: typed}, by=BY, via=s.VIA_CLI)
    assert result.state == j.REJECTED
    assert result.message == (f"Not recorded: Next step due {shown} is outside the dates the tracker accepts: "
                              "use a date between 01/01/2000 and 31/12/2099.")
    assert [(f.rule, f.cell, f.severity) for f in result.errors] == [("due_out_of_range", due_cell(workbook), ERROR)]
    assert workbook.read_bytes() == before


@pytest.mark.parametrize("typed, day", [("1/1/2000", date(2000, 1, 1)), ("31/12/2099", date(2099, 12, 31))])
def test_the_window_includes_its_ends(workbook: Path, typed: str, day: date) -> None:
    result = submit_update(store_for(workbook), "L7", {s.DUE: typed}, by=BY, via=s.VIA_CLI)
    assert result.state == j.APPLIED, result.message
    assert raw_due(workbook) == day
    ws = openpyxl.load_workbook(workbook, read_only=True)[s.MAIN_SHEET]
    appendix = read_appendix(workbook)
    cell = ws.cell(appendix.rows["L7"].sheet_row, appendix.header.columns[s.DUE] + 1)
    assert cell.value == datetime(day.year, day.month, day.day)


def test_sli_update_with_1899_exits_1_and_prints_the_sentence(workbook: Path, capsys) -> None:
    before = workbook.read_bytes()
    code = sli.main(["--workbook", str(workbook), "update", "L7", "--due", "1/1/1899", "--by", BY])
    assert code == 1
    assert "between 01/01/2000 and 31/12/2099" in capsys.readouterr().out
    assert workbook.read_bytes() == before


@pytest.mark.parametrize("value", [date(1899, 12, 31), datetime(1900, 1, 2), date(2100, 1, 1), date(1, 1, 1)])
def test_a_date_cell_outside_the_window_is_an_error_not_overdue(value: date) -> None:
    findings = rules.check_row({s.STATUS: s.AT_RISK, s.NEXT_STEPS: "x", s.LEAD_ORG: "A", s.DUE: value},
                               lambda column: "I7", lead_orgs=["A"], today=date(2026, 6, 1))
    assert rules_of(findings) == ["due_out_of_range"]
    assert "between 01/01/2000 and 31/12/2099" in findings[0].message


# --- a due cell that reads back as a time, a negative or an absurd number --------------------


@pytest.mark.parametrize("serial", [-363, -1, 0, 0.5])
def test_a_due_cell_calamine_reads_as_a_time_is_a_finding_everywhere(workbook: Path, serial: float, capsys) -> None:
    """The old code wrote 1/1/1899 as serial -363; python-calamine reads such a cell as a time of day, and
    every later due-date update of the row crashed with "Object of type time is not JSON serializable"."""
    put_raw_due(workbook, serial)
    assert isinstance(raw_due(workbook), time)  # the reader below really meets the case
    row = read_appendix(workbook).rows["L7"]
    assert isinstance(row[s.DUE], NotADate) and row.due is None
    json.dumps(dict(row.values), default=lambda v: v.isoformat())  # what the journal does with seen values

    # Validation names the recommendation and field with a sentence, from the raw grid as from the reader's values.
    assert sli.main(["validate", str(workbook)]) == 1
    out = capsys.readouterr().out
    assert "L7 Next step due: error: Next step due holds a number Excel cannot show as a date" in out
    # Slack renders the row.
    json.dumps(blocks.recommendation_message(row))

    # An update of another field is not blocked by the officer's problem, and is journalled as JSON.
    store = store_for(workbook)
    other = submit_update(store, "L7", {s.NEXT_STEPS: "Agree interim cover"}, by=BY, via=s.VIA_CLI)
    assert other.state == j.APPLIED, other.message
    assert "due_not_date" not in rules_of(other.findings)  # not the sender's field: `sli validate` reports it

    # A new due date replaces it; the Change log keeps what was there as text.
    fixed = submit_update(store, "L7", {s.DUE: "31/1/2027"}, by=BY, via=s.VIA_SLACK,
                          seen={s.DUE: row[s.DUE]})
    assert fixed.state == j.APPLIED, fixed.message
    assert raw_due(workbook) == date(2027, 1, 31)
    [logged] = [e for e in read_change_log(workbook) if e.update_id == fixed.update_id]
    assert (logged.field, logged.old_value, logged.new_value) == (s.DUE, "not a date", "2027-01-31")


@pytest.mark.parametrize("serial", [2958466, 1e10, -1e10, 45000])
def test_a_due_cell_holding_a_number_is_a_finding_with_the_number(workbook: Path, serial: float) -> None:
    put_raw_due(workbook, serial)
    appendix = read_appendix(workbook)
    [finding] = [f for f in rules.check_grid(appendix.sheet.grid, origin=appendix.sheet.origin, lead_orgs=None)
                 if f.cell == due_cell(workbook)]
    if serial == 45000:  # a day number in a date-formatted cell is that day (15/03/2023): overdue, no more
        assert raw_due(workbook) == date(2023, 3, 15) and finding.rule == "overdue"
        return
    assert (finding.rule, finding.severity) == ("due_not_date", ERROR)
    assert f"'{cell_text(raw_due(workbook))}'" in finding.message
    result = submit_update(store_for(workbook), "L7", {s.DUE: "28/2/2027"}, by=BY, via=s.VIA_CLI)
    assert result.state == j.APPLIED, result.message


@pytest.mark.parametrize("value, text", [
    (time(0, 0), "00:00"), (time(12, 30), "12:30"), (timedelta(hours=30), "1 day, 6:00:00"),
    (NotADate(), "not a date"), (1e300, "1e+300"), (2958466.0, "2958466"), (date(207, 1, 31), "31/01/0207"),
    (datetime(999, 5, 4, 13, 7), "04/05/0999 13:07"), (True, "True"),
])
def test_cell_text_renders_whatever_a_reader_returns(value: object, text: str) -> None:
    assert cell_text(value) == text
    json.dumps(cell_text(value))


@pytest.mark.parametrize("value", [time(0, 0), timedelta(days=2), NotADate(), -363.0, 1e300, True])
def test_due_rules_never_raise(value: object) -> None:
    findings = rules.check_row({s.STATUS: s.OFF_TRACK, s.NEXT_STEPS: "x", s.LEAD_ORG: "A", s.DUE: value},
                               lambda column: "I7", lead_orgs=["A"], today=date(2026, 6, 1))
    assert rules_of(findings) == ["due_not_date"]
    assert findings[0].message.endswith(".")


# --- NHS numbers in any grouping ---------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "943.476.5919", "9434 765 919", "943  476 5919", "943\u00a0476\u00a05919", "943\u2009476\u20095919",
    "943\u202f476\u202f5919", "943 - 476 - 5919", "943\u2013476\u20135919", "94.34.76.59.19", "9434765919",
    "943 476 5919", "943-476-5919", "94347 65919", "L7 943 476 5919", "ref 12 943.476.5919 today",
    "NHS:9434765919.", "NHS9434765919", "seen 943\t476\t5919", "9-4-3-4-7-6-5-9-1-9", "L7 94/34/76/59/19",
    "943-476-59-19", "ref 12 943 476 5919", "Call 0161 943 476 5919", "94 3476 5919", "9.434.765.919",
    "943.47.659.19",
    "943 476 5919 and 401 023 2137", "1+9434765919", "see ++9434765919",
    "943\n476\n5919",  # a number split over lines is still one (issue 16)
])
def test_nhs_numbers_in_any_grouping_are_an_error(text: str) -> None:
    [finding] = check_text(text, s.SUMMARY, "G7", "L7")
    assert (finding.rule, finding.severity, finding.cell) == ("nhs_number", ERROR, "G7")


@pytest.mark.parametrize("text", [
    "943.476.5918", "9434 765 918", "943\u00a0476\u00a05918",  # fail the modulus-11 check: phone numbers
    "Call 01254 585 858", "0161 496 0000", "07700 900123", "0800 123 4567",  # UK phone numbers: 11 digits
    "+44 1254 763244", "+44 (0)161 496 0000",  # international form
    "94347659190", "19434765919", "943.476.59190", "9434 765 9190",  # longer runs are not NHS numbers
    "12/03/2027 to 31/01/2028", "v1.2.3", "40 staff; 12 sessions in 2027", "2026-2027 1234",
])
def test_numbers_that_are_not_nhs_numbers_stay_allowed(text: str) -> None:
    assert [f for f in check_text(text, s.SUMMARY, "G7") if f.rule == "nhs_number"] == []


@pytest.mark.parametrize("text", ["94 34 76 59 19", "9 4 3 4 7 6 5 9 1 9", "L7 94 34 76 59 19", "943 476 59 19",
                                  "94,34,76,59,19", "943, 476, 5919"])
def test_small_groups_spaced_or_with_commas_are_read_as_a_list_of_figures(text: str) -> None:
    """Decided on review (issue 16): spaced pairs or digits are how a tracker lists figures (referrals by quarter
    `36 22 72 13 59`, deaths by month `2 1 0 3 1 2 0 1 1 2`), so they are not read as one number, though these
    hold the test number 943 476 5919; with a dot, dash, slash or underscore they are (above)."""
    assert rules.nhs_number_valid("".join(ch for ch in text if ch.isdigit())[-10:])
    assert [f for f in check_text(text, s.SUMMARY, "G7") if f.rule == "nhs_number"] == []


def test_the_international_phone_example_would_pass_the_check() -> None:
    """So the test above shows the `+` is what lets it through."""
    assert rules.nhs_number_valid("1254763244")
    assert rules_of(check_text("1254 763244", s.SUMMARY)) == ["nhs_number"]


def _check_digit(prefix: str) -> int:
    remainder = sum(int(d) * (10 - i) for i, d in enumerate(prefix)) % 11
    return 0 if remainder == 0 else 11 - remainder


_SEPARATORS = st.sampled_from([" ", "  ", "\u00a0", "\u2009", "\u202f", ".", "-", "\u2013", " - ", "\t"])
_GROUPINGS = st.sampled_from([(3, 3, 4), (4, 3, 3), (3, 4, 3), (5, 5), (2, 2, 2, 2, 2), (10,)])


@given(st.from_regex(r"\A[0-9]{9}\Z"), st.integers(1, 9), _GROUPINGS, _SEPARATORS,
       st.sampled_from(["", "NHS ", "ref: ", "(", "L7 "]), st.sampled_from(["", ".", " seen", ")"]))
def test_nhs_number_grouping_property(prefix: str, shift: int, grouping: tuple[int, ...], separator: str,
                                      before: str, after: str) -> None:
    digit = _check_digit(prefix)
    assume(digit != 10)
    # 0 then four or five digits, then the rest: grouped like a ten-digit UK phone number (0800 123 456,
    # 01254 12345), so read as one (issue 16); English NHS numbers never start with 0.
    assume(not (prefix.startswith("0") and grouping in ((4, 3, 3), (5, 5))))
    # Pairs spaced are a list of figures (`36 22 72 13 59`), not one number; with a dot or a dash they are one.
    spaced_pairs = grouping == (2, 2, 2, 2, 2) and not separator.strip()
    written = []
    for number in (prefix + str(digit), prefix + str((digit + shift) % 10)):
        parts, start = [], 0
        for size in grouping:
            parts.append(number[start:start + size])
            start += size
        written.append(before + separator.join(parts) + after)
    assert rules_of(check_text(written[0], s.SUMMARY)) == ([] if spaced_pairs else ["nhs_number"])
    assert check_text(written[1], s.SUMMARY) == []


def test_nhs_number_written_with_dots_is_refused_end_to_end(workbook: Path) -> None:
    before = workbook.read_bytes()
    result = submit_update(store_for(workbook), "L7", {s.SUMMARY: "Seen 943.476.5919 at clinic"}, by=BY,
                           via=s.VIA_SLACK)
    assert result.state == j.REJECTED and "NHS number" in result.message
    assert workbook.read_bytes() == before


# --- invisible format characters ---------------------------------------------------------------

INVISIBLE = ["\u200b", "\u200c", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066",
             "\u2067", "\u2068", "\u2069", "\ufeff", "\u00ad", "\u2060", "\u2028", "\u2029", "\U000e0041",
             "\u061c", "\u180e"]


@pytest.mark.parametrize("char", INVISIBLE)
def test_invisible_format_characters_are_an_error_naming_them(char: str) -> None:
    [finding] = check_text(f"Audit{char} planned", s.SUMMARY, "G7")
    assert (finding.rule, finding.severity, finding.cell) == ("invisible_chars", ERROR, "G7")
    assert f"U+{ord(char):04X}" in finding.message and "Retype the text" in finding.message


def test_zero_width_joiner_inside_a_word_is_refused_with_the_general_sentence() -> None:
    [finding] = check_text("Heal\u200dth visitors", s.SUMMARY, "G7")
    assert "U+200D zero width joiner" in finding.message


def test_a_bidi_override_that_makes_text_read_backwards_is_refused() -> None:
    assert rules_of(check_text("Audit due \u202e7202/10/13\u202c", s.NEXT_STEPS)) == ["invisible_chars"]


@pytest.mark.parametrize("emoji", ["👨\u200d👩\u200d👧", "👩\u200d⚕️", "🏳️\u200d🌈", "🧑🏽\u200d💻"])
def test_joined_emoji_are_refused_with_a_sentence_about_emoji(emoji: str) -> None:
    [finding] = check_text(f"Great news {emoji}", s.SUMMARY, "G7")
    assert finding.rule == "invisible_chars"
    assert "emoji" in finding.message and "U+200D" in finding.message and "👍" in finding.message


@pytest.mark.parametrize("text", ["Thanks 👍🏽", "❤️ this", "🇬🇧 wide", "Done ✅", "«quoted» — “curly” ‘quotes’ …",
                                  "Zoë, José, Łódź, Ayşe, محمد, 王芳", "Col\tcol\nnext line"])
def test_visible_unicode_and_single_emoji_are_fine(text: str) -> None:
    assert check_text(text, s.SUMMARY, "G7") == []


def test_england_flag_is_refused_because_its_tags_are_format_characters() -> None:
    [finding] = check_text("Go 🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f", s.SUMMARY)
    assert finding.rule == "invisible_chars" and "and others" in finding.message


_VISIBLE = st.characters(exclude_categories=("Cc", "Cs", "Cf", "Zl", "Zp", "Nd"))


@given(st.text(alphabet=_VISIBLE, max_size=40), st.characters(categories=("Cf",)),
       st.text(alphabet=_VISIBLE, max_size=40))
def test_any_format_character_is_an_error(before: str, char: str, after: str) -> None:
    assume(unicodedata.category(char) == "Cf")
    found = [f for f in check_text(before + char + after, s.SUMMARY, "G7") if f.rule == "invisible_chars"]
    assert [(f.cell, f.severity) for f in found] == [("G7", ERROR)]


@pytest.mark.parametrize("column", [s.SUMMARY, s.NEXT_STEPS])
def test_invisible_characters_are_refused_end_to_end(workbook: Path, column: str) -> None:
    before = workbook.read_bytes()
    result = submit_update(store_for(workbook), "L7", {column: "Agreed\u200b with ELHT 👨\u200d👩\u200d👧"},
                           by=BY, via=s.VIA_SLACK)
    assert result.state == j.REJECTED
    assert "invisible formatting characters (U+200B zero width space, U+200D zero width joiner)" in result.message
    assert workbook.read_bytes() == before


def test_invisible_character_in_the_senders_name_is_refused(workbook: Path) -> None:
    before = workbook.read_bytes()
    result = submit_update(store_for(workbook), "L7", {s.NEXT_STEPS: "Agree cover"}, by="Helen\u200bLowey",
                           via=s.VIA_CLI)
    assert result.state == j.REJECTED and "Updated by" in result.message and "U+200B" in result.message
    assert workbook.read_bytes() == before


# --- Excel's _xHHHH_ escapes -----------------------------------------------------------------------


@pytest.mark.parametrize("text", ["a_x0041_b", "_x000D_", "see _x005F_x0041_ here", "_x00E9_"])
def test_text_excel_would_decode_as_another_character_is_refused(text: str) -> None:
    [finding] = check_text(text, s.SUMMARY, "G7")
    assert (finding.rule, finding.severity) == ("excel_escape", ERROR)
    assert "Write it another way" in finding.message


@pytest.mark.parametrize("text", ["file_x_name", "_x004_", "_x0041", "x0041_", "_y0041_", "_X0041_"])
def test_underscores_that_are_not_escapes_are_fine(text: str) -> None:
    assert check_text(text, s.SUMMARY, "G7") == []
