"""The writer fills the read cache with the Appendix it planned on plus the cells it wrote (issue 18: it used to
parse its own save back, ~4 ms of every update): what it leaves there is exactly what a fresh read of the saved
file gives, value types and all, on the committed workbook and on one LibreOffice saved; and an update parses
nothing, nor does the status asked after it."""

from __future__ import annotations

import itertools
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import office
import pytest
import python_calamine
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import sli
from shared import reader
from shared.as_written import appendix_as_written
from shared.domain import schema as s
from shared.domain.model import Appendix
from shared.domain.update import PENDING, JournalEntry, follow_status, normalise_changes, plan_update
from shared.writers import PackageWriter

_folders = itertools.count()


def fresh_read(path: Path) -> Appendix:
    """Appendix 1 read from the file as a new process would (calamine), leaving the cache as it was."""
    kept = dict(reader._cache)
    reader._cache.clear()
    try:
        return reader.read_appendix(path)
    finally:
        reader._cache.clear()
        reader._cache.update(kept)


def cached(path: Path) -> Appendix:
    """What the cache holds for the file as it is now (what the next read hands out)."""
    held = reader.cached_appendix(path, reader.file_identity(path))
    assert held is not None, "the writer left nothing in the cache for its save"
    return held


def typed(value: object) -> tuple[str, object]:
    return type(value).__name__, value


def assert_same(derived: Appendix, read: Appendix) -> None:
    """Field by field, each value with its Python type (a date is not a datetime, text not a number)."""
    assert derived.path == read.path
    assert (derived.sheet.name, derived.sheet.origin) == (read.sheet.name, read.sheet.origin)
    assert [[typed(v) for v in row] for row in derived.sheet.grid] == \
        [[typed(v) for v in row] for row in read.sheet.grid]
    assert derived.header == read.header
    assert list(derived.rows) == list(read.rows)
    for ref, row in read.rows.items():
        mine = derived.rows[ref]
        assert mine.sheet_row == row.sheet_row, ref
        assert {c: typed(v) for c, v in mine.values.items()} == {c: typed(v) for c, v in row.values.items()}, ref
    for name in ("statuses", "lead_orgs", "priorities", "leads", "roles", "boards"):
        assert getattr(derived, name) == getattr(read, name), name
    assert derived == read


@pytest.fixture(scope="module")
def libreoffice_saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committed workbook opened and saved by headless LibreOffice: every string shared, its own styles."""
    office.tool("soffice")
    folder = tmp_path_factory.mktemp("libreoffice")
    source = folder / "source" / "Appendix1.xlsx"
    source.parent.mkdir()
    shutil.copy2(Path(__file__).resolve().parents[1] / "workbook" / "Appendix1.xlsx", source)
    return office.convert([source], "xlsx", folder / "saved", folder / "profile") / "Appendix1.xlsx"


def _source(kind: str, request: pytest.FixtureRequest) -> Path:
    if kind == "libreoffice":
        return request.getfixturevalue("libreoffice_saved")
    return request.getfixturevalue("workbook")


def _copy(source: Path, tmp_path: Path) -> Path:
    folder = tmp_path / f"run{next(_folders)}"
    folder.mkdir()
    target = folder / "Appendix1.xlsx"
    shutil.copy2(source, target)
    return target


_TRICKY = ["=1+1", "31/1/27", "1e5", "12:30", "Audit done \U0001f600", "\u201ccurly\u201d \u2018quotes\u2019",
           "-- check", "+44 1254 123456", "@here", "TRUE", "007", "  spaced  ", "Line one\nline two", "a\r\nb",
           "_x0041_", "tab\there", "3 Mar", "'quoted", "#N/A", "x" * 300]
_PLAIN = st.text(st.sampled_from("abcdefghij KLMNOP.,;()?\u00e9\u2019"), min_size=3, max_size=40).filter(str.strip)
_TEXT = st.one_of(st.sampled_from(_TRICKY), _PLAIN, _PLAIN, st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff") | st.sampled_from("\n\t"),
    max_size=24))
_DUE = st.one_of(st.dates(date(2025, 1, 1), date(2032, 12, 31)).map(lambda d: d.strftime("%d/%m/%Y")),
                 st.dates(date(2025, 1, 1), date(2032, 12, 31)).map(date.isoformat),
                 st.sampled_from(["31/1/27", "", "12:30", "1e5", "=TODAY()", "31/02/2027", "1/1/1899"]), _TEXT)
_STATUS = st.sampled_from([*s.STATUSES, "at risk", "ON TRACK", "complete", "", "Done"])
_REFS = st.sampled_from(["L1", "L3", "L4", "L13", "L16", "L22"])
_UPDATE = st.tuples(st.just("update"), _REFS, st.fixed_dictionaries(
    {}, optional={"--status": _STATUS, "--summary": _TEXT, "--next": _TEXT, "--due": _DUE, "--evidence": _TEXT},
).filter(bool))
#: Assurance writes and clears Assured by and Assured on (a date into a cell that may have held none).
_ASSURANCE = st.sampled_from([("assure", "L3", {"--by": "Rebecca Lord"}),
                              ("assure", "L22", {"--by": "Margaret Pearson"}),
                              ("send-back", "L4", {"--by": "Rebecca Lord", "--reason": "No evidence attached"}),
                              ("send-back", "L22", {"--by": "Margaret Pearson", "--reason": "Not yet"})])
_OPS = st.lists(st.one_of(_UPDATE, _UPDATE, _UPDATE, _ASSURANCE), min_size=1, max_size=5)


@pytest.mark.parametrize("kind", ["committed", "libreoffice"])
@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=_OPS)
def test_the_cache_after_each_update_is_what_a_fresh_read_of_the_file_gives(
        kind: str, ops: list, request: pytest.FixtureRequest, tmp_path: Path,
        capsys: pytest.CaptureFixture) -> None:
    """Random updates through `sli` (tricky text, dates, clearing, assuring, sending back): after each one the
    Appendix the writer left in the cache equals a fresh read of the saved file, field by field and type by type,
    each update deriving from what the one before left there."""
    workbook = _copy(_source(kind, request), tmp_path)
    reader.read_appendix(workbook)
    for command, ref, options in ops:
        by = [] if "--by" in options else ["--by", "Helen Lowey"]
        argv = [command, ref, *(f"{flag}={value}" for flag, value in options.items()), *by,
                "--workbook", str(workbook)]
        code = sli.main(argv)
        event(f'{command} exit {code}')
        capsys.readouterr()
        assert_same(cached(workbook), fresh_read(workbook))


def _entry(seq: int, ref: str, changes: dict[str, object], appendix: Appendix) -> JournalEntry:
    row = appendix.rows[ref]
    now = "2027-01-05T10:00:00+00:00"
    return JournalEntry(seq, f"u{seq}", ref, changes, {c: row[c] for c in changes}, "Helen Lowey", s.VIA_CLI, None,
                        PENDING, {}, now, now, None)


_PLAN_CHANGES = st.fixed_dictionaries({}, optional={
    s.STATUS: st.sampled_from([*s.STATUSES]), s.SUMMARY: _TEXT, s.NEXT_STEPS: _TEXT,
    s.DUE: st.one_of(st.dates(date(2026, 1, 1), date(2030, 12, 31)), st.just(None)), s.EVIDENCE: _TEXT}).filter(bool)


@pytest.mark.parametrize("kind", ["committed", "libreoffice"])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(updates=st.lists(st.tuples(_REFS, _PLAN_CHANGES), min_size=2, max_size=6))
def test_one_writer_of_several_plans_derives_through_them_in_order(
        kind: str, updates: list, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """One save that writes several waiting updates (a remote workbook's local copy is written so): the cache
    holds what a fresh read gives, every plan's cells in order, the same cell written twice included."""
    workbook = _copy(_source(kind, request), tmp_path)
    current = reader.read_appendix(workbook)
    writer = PackageWriter(workbook, None, 0, planned_on=reader.file_identity(workbook))
    now = datetime(2027, 1, 5, 10, tzinfo=UTC)
    for seq, (ref, changes) in enumerate(updates, 1):
        entry = _entry(seq, ref, follow_status(current, current.rows[ref], normalise_changes(changes)), current)
        plan = plan_update(entry, current, now)
        if plan.edits:
            writer.apply(plan)
            current = current.with_row(current.rows[ref].with_values(
                {column: new for column, (_, new) in plan.changed.items()}))
    writer.finish()
    assert_same(cached(workbook), fresh_read(workbook))


def test_an_update_parses_nothing_and_the_status_after_it_is_a_cache_hit(
        workbook: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    """`sli update` opens no workbook with calamine and parses no sheet (it used to parse its own save), and
    `sli status` right after reads the cache; what it shows is what a fresh read of the file gives."""
    opened: list[str] = []
    for name in ("from_path", "from_filelike"):
        real = getattr(python_calamine.CalamineWorkbook, name)
        monkeypatch.setattr(python_calamine.CalamineWorkbook, name,
                            lambda *args, _real=real, _name=name: opened.append(_name) or _real(*args))
    reader.read_appendix(workbook)
    opened.clear()
    before = reader.parse_count
    assert sli.main(["update", "L7", "--status=At risk", "--summary=Audit moved \U0001f600", "--next=12:30",
                     "--due=31/1/27", "--by", "Helen Lowey", "--workbook", str(workbook)]) == sli.EXIT_OK
    assert (opened, reader.parse_count) == ([], before)
    capsys.readouterr()
    assert sli.main(["status", "7", "--workbook", str(workbook)]) == sli.EXIT_OK
    assert "Audit moved \U0001f600" in capsys.readouterr().out
    assert (opened, reader.parse_count) == ([], before)
    row = fresh_read(workbook).rows["L7"]
    assert (row[s.STATUS], row[s.NEXT_STEPS], row[s.DUE]) == ("At risk", "12:30", date(2027, 1, 31))
    assert_same(cached(workbook), fresh_read(workbook))


def test_what_a_read_could_give_otherwise_is_not_derived(workbook: Path) -> None:
    """Where the read-back is not certain the answer is None and the writer parses its save: a date into a
    cell never read as a date (its number format is unknown), an Excel escape, a number, a header cell, a cell
    outside the read range. Text and a day in a date cell are derived, and each plan's edits in order."""
    appendix = reader.read_appendix(workbook)
    due, summary = appendix.locate("L4", s.DUE), appendix.locate("L1", s.SUMMARY)
    assert appendix.rows["L4"][s.DUE] is None
    for edits in ({due: date(2027, 1, 31)}, {summary: "_x0041_"}, {summary: 3}, {summary: True}, {"A1": "Title"},
                  {"AZ7": "far"}, {appendix.locate("L1", s.DUE): datetime(2027, 1, 31, 9)},
                  {appendix.locate("L1", s.DUE): date(1900, 1, 5)}):
        assert appendix_as_written(appendix, [edits], workbook) is None, edits
    derived = appendix_as_written(appendix, [{summary: "first", appendix.locate("L1", s.DUE): date(2027, 3, 1)},
                                             {summary: "a\r\nb", appendix.locate("L1", s.NEXT_STEPS): None}], workbook)
    assert derived is not None
    row = derived.rows["L1"]
    assert (row[s.SUMMARY], row[s.DUE], row[s.NEXT_STEPS]) == ("a\nb", date(2027, 3, 1), None)
    assert derived.rows["L2"] == appendix.rows["L2"]
    renamed = appendix_as_written(appendix, [{appendix.locate("L2", s.REF): "l1"}], workbook)
    assert renamed is not None and "L2" not in renamed.rows and renamed.rows["L1"] == appendix.rows["L1"]
