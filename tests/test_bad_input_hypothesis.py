"""Bad input through the one write path: whatever text people send, `submit_update` either refuses it with
a sentence and leaves the workbook's bytes as they were, or applies it and the file then holds exactly
that text as text (an inline string, never a formula; line breaks as LF), read back by openpyxl and by
python-calamine. Never an exception.

A few examples run in the default suite; `make test-slow` runs hundreds.
"""

from __future__ import annotations

import contextlib
import itertools
import posixpath
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
import python_calamine
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from lxml import etree

from shared import journal as j
from shared.domain import schema as s
from shared.domain.values import DateParseError, canonical_status, due_in_range, parse_date, plain_newlines
from shared.reader import read_appendix, read_change_log
from shared.usecases import Store, submit_update

REF = "L7"

FRAGMENTS = [
    "👍🏽", "👨\u200d👩\u200d👧", "❤️", "🇬🇧", "✅", "“curly”", "‘single’", "„low“", "don’t", "—", "…", "\u00a0",
    "\x00", "\x07", "\x1b", "\x7f", "\x85", "\ufffe", "\t", "\n", "\r\n", "\r",
    "\u200b", "\u200d", "\u202e", "\u2066", "\ufeff", "\u00ad", "\u2028",
    '=HYPERLINK("http://evil.example","click")', "=1+1", "=", "+44 1254 123456", "+", "-", "@SUM(A1)", "@",
    "'", "''", '"', "TRUE", "#N/A", "12/3", "3 Mar", "1e5", "00123", "50%", "£1,000",
    "From: Jane Smith <jane.smith@nhs.net>\r\nSent: 03 March 2027 09:14\r\nTo: team@blackburn.gov.uk\r\n",
    "> quoted reply\n> more", "<b>bold</b>", "&amp;", "<!channel>", "<@U123>", "]]>", "<![CDATA[x]]>",
    "943 476 5919", "943.476.5919", "9434 765 919", "DOB 12/03/2026", "Baby Aisha", "_x0041_", "_x",
    "31/1/27", "2027-01-31", "31 Jan 2027", "1/1/1899", "1900-01-01", "31/02/2027", "Q3",
    "Agreed safer sleep audit with ELHT", "Ayşe Öztürk", "محمد", "王芳", "Łódź", "  ", "x" * 700,
]

TEXT = st.one_of(
    st.text(max_size=60),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), max_size=6).map("".join),
)

DATE_FORMS = ["%d/%m/%Y", "%d/%m/%y", "%-d/%-m/%y", "%Y-%m-%d", "%d %b %Y", "%d %B %Y", "%-d %b %y", "%d.%m.%Y",
              "%d-%m-%Y", "%A %d %B %Y", "%m/%d/%Y", "%d %b, %Y", "%dth %B %Y", "%Y/%m/%d"]
_DAY_TEXT = st.builds(lambda day, form, wrap: wrap.format(day.strftime(form)),
              st.dates(min_value=date(1890, 1, 1), max_value=date(2110, 12, 31)), st.sampled_from(DATE_FORMS),
              st.sampled_from(["{}", " {} ", "“{}”", "'{}'", "{}\u00a0", "due {}", "{}\u200b"]))
DATES = st.one_of(_DAY_TEXT, _DAY_TEXT, _DAY_TEXT, TEXT)  # three quarters look like dates
STATUS_TEXT = st.one_of(
    st.builds(lambda word, wrap: wrap.format(word),
              st.sampled_from(list(s.STATUSES) + ["on track", "ON-TRACK", "at risk", "Amber", "red", "Done",
                                                  "complete", "not started", "On\u00a0track", "On\u200btrack"]),
              st.sampled_from(["{}", " {} ", "“{}”", "{}!", "={}", "{}\x07"])),
    TEXT,
)
CHANGES = st.one_of(st.tuples(st.sampled_from([s.SUMMARY, s.NEXT_STEPS]), TEXT),
                    st.tuples(st.just(s.STATUS), STATUS_TEXT))
FEW = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
MANY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])


def _cell(workbook: Path, column: str) -> tuple[object, str | None, object]:
    """(openpyxl value, openpyxl data type, python-calamine value) of REF's cell in `column`."""
    appendix = read_appendix(workbook)
    row, col = appendix.rows[REF].sheet_row, appendix.header.columns[column]
    book = openpyxl.load_workbook(workbook, read_only=True)
    try:
        cell = book[s.MAIN_SHEET].cell(row, col + 1)
        value, kind = cell.value, cell.data_type
    finally:
        book.close()
    grid = python_calamine.CalamineWorkbook.from_path(str(workbook)).get_sheet_by_name(s.MAIN_SHEET).to_python()
    line = grid[row - 1]
    return value, kind, (line[col] if col < len(line) else "")


MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def _cell_xml(workbook: Path, address: str) -> etree._Element | None:
    """The `<c>` element of `address` on the main sheet, read from the package with zipfile and lxml."""
    with zipfile.ZipFile(workbook) as archive:
        book = etree.fromstring(archive.read("xl/workbook.xml"))
        rid = next(sh.get(f"{REL}id") for sh in book.iter(f"{MAIN}sheet") if sh.get("name") == s.MAIN_SHEET)
        rels = etree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        target = next(r.get("Target") for r in rels if r.get("Id") == rid)
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        sheet = etree.fromstring(archive.read(part))
    return next((c for c in sheet.iter(f"{MAIN}c") if c.get("r") == address), None)


def _expected_day(text: str) -> date | None:
    try:
        day = parse_date(text.strip())
    except DateParseError:
        return None
    return day if due_in_range(day) else None


def submit_and_check(workbook: Path, column: str, text: str, by: str = "Helen Lowey") -> str:
    """Submit `text` for `column` of REF and check the outcome; returns the state."""
    store = Store.for_workbook(workbook)
    before = workbook.read_bytes()
    result = submit_update(store, REF, {column: text}, by=by, via=s.VIA_SLACK)  # must not raise
    with contextlib.suppress(InvalidArgument):  # outside @given there are no statistics to keep
        event(f"{column}: {result.state}")  # shown by --hypothesis-show-statistics
    if result.state == j.REJECTED:
        assert result.message.strip() and result.message.rstrip()[-1] in ".?!)", result.message
        assert workbook.read_bytes() == before, "a refused update changed the workbook"
        return result.state
    assert result.state == j.APPLIED, (result.state, result.message)
    value, kind, calamine_value = _cell(workbook, column)
    if column == s.DUE:
        day = _expected_day(text)
        assert day is not None, f"{text!r} was applied as a due date"
        assert (value, calamine_value) == (datetime(day.year, day.month, day.day), day)
        return result.state
    if column == s.STATUS:
        assert value == calamine_value == canonical_status(text) and kind == "s", (text, value)
        return result.state
    expected = plain_newlines(text.strip())  # CR LF and a lone CR are stored as LF (issue 20)
    element = _cell_xml(workbook, read_appendix(workbook).locate(REF, column))
    if expected:  # an inline string, no formula, no shared string
        assert element is not None and element.get("t") == "inlineStr" and element.find(f"{MAIN}f") is None
    assert kind != "f"
    assert value == (expected or None), (text, value)
    assert calamine_value == expected, (text, calamine_value)
    if result.changes:
        [logged] = [e for e in read_change_log(workbook) if e.update_id == result.update_id and e.field == column]
        assert logged.new_value == expected
    return result.state


# --- a few examples in the default suite ------------------------------------------------------------


@FEW
@given(change=CHANGES)
def test_text_is_refused_or_stored_exactly(workbook: Path, change: tuple[str, str]) -> None:
    submit_and_check(workbook, *change)


@FEW
@given(text=DATES)
def test_due_dates_in_any_form_are_refused_or_stored_as_that_day(workbook: Path, text: str) -> None:
    submit_and_check(workbook, s.DUE, text)


@pytest.mark.parametrize("text", [
    '=HYPERLINK("http://evil.example","click")', "+44 1254 123456", "@SUM(A1)", "-5", "“curly” don’t 👍🏽",
    "From: Jane <jane@nhs.net>\r\nSent: 03 March 2027\r\n> quoted", "TRUE", "#N/A", "12/3", "'quoted", "<!channel>",
    "\u200bhidden", "Audit\x0bplanned", "943.476.5919", "_x0041_", "x" * 2001,
])
def test_known_bad_inputs(workbook: Path, text: str) -> None:
    submit_and_check(workbook, s.SUMMARY, text)


def test_the_known_bad_inputs_cover_both_outcomes(workbook: Path) -> None:
    """So the properties above can fail both ways: some of these are refused, some are stored."""
    assert submit_and_check(workbook, s.SUMMARY, "=1+1") == j.REJECTED
    assert submit_and_check(workbook, s.SUMMARY, "+1 more session") == j.APPLIED
    assert submit_and_check(workbook, s.DUE, "1/1/1899") == j.REJECTED
    assert submit_and_check(workbook, s.DUE, "“31 Jan 2027”") == j.APPLIED


# --- many examples: make test-slow -----------------------------------------------------------------


@pytest.mark.slow
@MANY
@given(change=CHANGES)
def test_many_texts_are_refused_or_stored_exactly(workbook: Path, change: tuple[str, str]) -> None:
    submit_and_check(workbook, *change)


@pytest.mark.slow
@MANY
@given(text=DATES)
def test_many_due_dates_are_refused_or_stored_as_that_day(workbook: Path, text: str) -> None:
    submit_and_check(workbook, s.DUE, text)


_STEPS = itertools.count(1)


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(by=TEXT)
def test_many_sender_names_are_refused_or_stored_exactly(workbook: Path, by: str) -> None:
    store = Store.for_workbook(workbook)
    before = workbook.read_bytes()
    result = submit_update(store, REF, {s.NEXT_STEPS: f"Step {next(_STEPS)}"}, by=by, via=s.VIA_CLI)
    if result.state == j.REJECTED:
        assert result.message.strip() and workbook.read_bytes() == before
        return
    assert result.state == j.APPLIED, result.message
    value, kind, calamine_value = _cell(workbook, s.UPDATED_BY)
    if result.changes:
        assert kind != "f" and value == calamine_value == plain_newlines(by)
