"""What people type turned into the workbook's values: refs, dates, statuses, quotes, cell text."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain import schema as s
from shared.domain.values import (
    DateParseError,
    MonthParseError,
    canonical_status,
    cell_text,
    parse_date,
    parse_month,
    plural,
    straighten_quotes,
    suggest_status,
    uk_time_text,
)

# --- normalise_ref -------------------------------------------------------------------------


@pytest.mark.parametrize("typed", [
    "L7", "7", "l7", "l07", "L007", "#7", "# 7", "#L7", " L 7 ", "  7  ", "Ref 7", "ref7", "REF 07", 7,
    7.0,  # a number typed in the Ref cell, as calamine reads it
])
def test_normalise_ref_accepts_what_people_type(typed: object) -> None:
    assert s.normalise_ref(typed) == "L7"


@pytest.mark.parametrize("typed, ref", [("L1", "L1"), ("22", "L22"), ("l10", "L10"), ("#022", "L22")])
def test_normalise_ref_keeps_the_number(typed: str, ref: str) -> None:
    assert s.normalise_ref(typed) == ref


@pytest.mark.parametrize("typed", [
    "L0", "0", "L00", "abc", "", "   ", None, "L", "7a", "L7.5", "L 1234", "7.5", 7.5, "LL7", "L-7",
])
def test_normalise_ref_rejects_what_is_not_a_ref(typed: object) -> None:
    with pytest.raises(s.RefError, match="is not a recommendation reference: use L1 to L22"):
        s.normalise_ref(typed)


def test_ref_error_is_a_value_error() -> None:
    assert issubclass(s.RefError, ValueError)


@given(st.integers(min_value=1, max_value=22), st.sampled_from(["L{}", "l{}", "{}", "#{}", " L{} ", "L0{}",
                                                                  "Ref {}"]))
def test_normalise_ref_property(number: int, form: str) -> None:
    assert s.normalise_ref(form.format(number)) == f"L{number}"


# --- parse_date ----------------------------------------------------------------------------

JAN_31 = date(2027, 1, 31)


@pytest.mark.parametrize("typed", [
    "2027-01-31", "2027-1-31", "31/01/2027", "31/1/27", "31/01/27", "31.01.2027", "31-01-2027",
    "31 Jan 2027", "31 jan 2027", "31 JAN 27", "31 January 2027", "31st January 2027", "31st Jan 2027",
    "31-Jan-2027", "31 Jan. 2027", "31 Jan, 2027", "  31/01/2027  ",
    "\u201c31/01/2027\u201d", "\u201831 Jan 2027\u2019", "\u201c31st January 2027\u201d", '"2027-01-31"',
    "'31/1/27'",
    "31\u201301\u20132027", "31\u00a0Jan\u00a02027",
])
def test_parse_date_accepts_the_usual_spellings(typed: str) -> None:
    assert parse_date(typed) == JAN_31


def test_parse_date_reads_slashes_day_first() -> None:
    assert parse_date("03/04/2027") == date(2027, 4, 3)
    assert parse_date("1st Sept 2027") == date(2027, 9, 1)
    assert parse_date("2nd May 27") == date(2027, 5, 2)


def test_parse_date_passes_dates_through() -> None:
    assert parse_date(JAN_31) == JAN_31
    assert parse_date(datetime(2027, 1, 31, 14, 30)) == JAN_31
    assert type(parse_date(datetime(2027, 1, 31))) is date


@pytest.mark.parametrize("typed", [
    "31/02/2027", "29/02/2027", "32/01/2027", "31/13/2027", "2027-02-30", "31 Feb 2027",
])
def test_parse_date_rejects_impossible_dates_with_a_sentence(typed: str) -> None:
    with pytest.raises(DateParseError) as info:
        parse_date(typed)
    assert str(info.value) == f"'{typed}' is not a real date: check the day and month."


@pytest.mark.parametrize("typed", [
    "next week", "soon", "", "TBC", "31 Foo 2027", "Jan 2027", "2027", "31/01", 45000,
])
def test_parse_date_rejects_non_dates_with_a_sentence(typed: object) -> None:
    with pytest.raises(DateParseError) as info:
        parse_date(typed)
    assert str(info.value) == f"'{typed}' is not a date: write it like 31/01/2027 or 2027-01-31."


def test_date_parse_error_is_a_value_error() -> None:
    assert issubclass(DateParseError, ValueError)


def test_parse_date_leap_day() -> None:
    assert parse_date("29/02/2028") == date(2028, 2, 29)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
       st.sampled_from(["%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d", "%d %b %Y", "%d %B %Y", "%d-%b-%y", "%d.%m.%Y"]))
def test_parse_date_round_trips(day: date, form: str) -> None:
    assert parse_date(day.strftime(form)) == day
    assert parse_date(cell_text(day)) == day


# --- statuses ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", s.STATUSES)
def test_canonical_status_ignores_case_and_spacing(status: str) -> None:
    assert canonical_status(status) == status
    assert canonical_status(status.upper()) == status
    assert canonical_status(f"  {status.lower()}  ") == status
    assert canonical_status(status.replace(" ", "   ")) == status
    assert canonical_status(status.replace(" ", "\u00a0")) == status


@pytest.mark.parametrize("typed", [
    "Amber", "on-track", "ontrack", "Done", "", None, "On track!", "Completed",
])
def test_canonical_status_is_none_for_anything_else(typed: object) -> None:
    assert canonical_status(typed) is None


@pytest.mark.parametrize("typed, meant", [
    ("on-track", s.ON_TRACK), ("ON TRACK ", s.ON_TRACK), ("on_track", s.ON_TRACK), ("OnTrack", s.ON_TRACK),
    ("green", s.ON_TRACK), ("in progress", s.ON_TRACK), ("In-Progress", s.ON_TRACK),
    ("Amber", s.AT_RISK), ("at-risk", s.AT_RISK), ("AtRisk", s.AT_RISK),
    ("Red", s.OFF_TRACK), ("behind", s.OFF_TRACK), ("off track", s.OFF_TRACK),
    ("Done", s.COMPLETE), ("completed", s.COMPLETE), ("Blue", s.COMPLETE), ("complet", s.COMPLETE),
    ("not-started", s.NOT_STARTED), ("To do", s.NOT_STARTED), ("not strted", s.NOT_STARTED),
])
def test_suggest_status(typed: str, meant: str) -> None:
    assert suggest_status(typed) == meant


@pytest.mark.parametrize("status", s.STATUSES)
def test_suggest_status_of_a_status_is_itself(status: str) -> None:
    assert suggest_status(status) == status


@pytest.mark.parametrize("typed", ["", "xyzzy", "42", "maybe", None])
def test_suggest_status_gives_up_on_nonsense(typed: object) -> None:
    assert suggest_status(typed) is None


@given(st.text(max_size=40))
def test_suggest_status_is_none_or_a_status(typed: str) -> None:
    assert suggest_status(typed) in (None, *s.STATUSES)
    assert canonical_status(typed) in (None, *s.STATUSES)


# --- straighten_quotes ---------------------------------------------------------------------


def test_straighten_quotes() -> None:
    assert straighten_quotes("\u201cBaby Friendly\u201d") == '"Baby Friendly"'
    assert straighten_quotes("\u2018it\u2019s\u201b\u201a") == "'it's''"
    assert straighten_quotes("\u201e\u201f") == '""'
    assert straighten_quotes("a\u00a0b") == "a b"
    assert straighten_quotes("2026\u20132027 \u2014 plan") == "2026-2027 - plan"


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_straighten_quotes_leaves_plain_text_alone(text: str) -> None:
    assert straighten_quotes(text) == text


@given(st.text())
def test_straighten_quotes_keeps_the_length_and_is_idempotent(text: str) -> None:
    once = straighten_quotes(text)
    assert len(once) == len(text)
    assert straighten_quotes(once) == once


# --- cell_text -----------------------------------------------------------------------------


@pytest.mark.parametrize("value, text", [
    (None, ""),
    ("", ""),
    ("On track", "On track"),
    ("  spaced  ", "  spaced  "),
    (date(2027, 1, 31), "31/01/2027"),
    (datetime(2027, 1, 31), "31/01/2027"),
    (datetime(2027, 1, 31, 14, 5), "31/01/2027 14:05"),
    (datetime(2027, 1, 31, 0, 0, 30), "31/01/2027 00:00"),
    (7.0, "7"),
    (7.5, "7.5"),
    (7, "7"),
    (0.0, "0"),
    (True, "True"),
])
def test_cell_text(value: object, text: str) -> None:
    assert cell_text(value) == text


# --- one voice (issue 20): counts, UK times, months ------------------------------------------------

def test_plural_says_one_and_many() -> None:
    assert [plural(n, "change") for n in (0, 1, 2)] == ["0 changes", "1 change", "2 changes"]
    assert plural(1, "overdue next step") == "1 overdue next step" and plural(3, "entry", "entries") == "3 entries"


def test_times_are_uk_time_with_the_zone_named() -> None:
    assert uk_time_text(datetime(2026, 7, 1, 9, 5)) == "01/07/2026 10:05 BST"  # naive: UTC
    assert uk_time_text(datetime(2026, 12, 1, 9, 5, tzinfo=UTC)) == "01/12/2026 09:05 GMT"
    assert uk_time_text("2026-03-29T01:30:00+00:00") == "29/03/2026 02:30 BST"  # the clocks went forward at 01:00
    assert uk_time_text("not a time") == "not a time"


def test_month_options_read_every_way_people_write_a_month() -> None:
    assert {parse_month(text) for text in ("2026-11", "11/2026", "Nov 2026", "November 2026", "nov-2026")} \
        == {(2026, 11)}
    for wrong in ("Nov", "13/2026", "Octember 2026", "2026"):
        with pytest.raises(MonthParseError, match="Nov 2026, 11/2026 or 2026-11"):
            parse_month(wrong)
