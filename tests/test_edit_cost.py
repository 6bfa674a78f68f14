"""The edit of one update costs less CPU (issue 18: an update at an empty log within 5x the floor), each cut
checked by what it does (counted, never timed) and by what it writes: the same bytes as without it."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from test_kept_strings import _officer_edits_a_shared_string
from test_reduced_read import share_all_strings
from test_sheet_pieces import zlib_spy

import sli
from shared import reader, writers
from shared.domain import schema as s
from shared.domain import update as update_module
from shared.domain.bounded import Bounded
from shared.xlsx import frames, headers, heights, keptparts, keptstrings, sheets
from shared.xlsx import package as package_module
from shared.xlsx import rows as rows_module
from shared.xlsx.ooxml import M

MAIN_PART = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"
LONG = "Agree the audit with the midwives and the obstetric leads, then report to the board " * 2


def _update(workbook: Path, ref: str, text: str) -> bytes:
    reader._cache.clear()
    assert sli.main(["update", ref, "--next", text, "--by", "Helen Lowey", "--workbook", str(workbook)]) == sli.EXIT_OK
    with zipfile.ZipFile(workbook) as book:
        return book.read(MAIN_PART)


def test_an_edit_parses_only_its_rows_once_the_frame_is_kept_and_estimates_them_once(
        workbook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first update parses Appendix 1 with only the edited row in its cell data (its frame, widths and merged
    cells, is made then and kept); the next ones parse only the root's start tag and the rows edited (main parsed
    the whole frame at each update), and estimate an edited row's height once, after the edit, unless an officer
    marked it custom (main: before and after). Each sheet written is byte for byte the one written with nothing
    kept."""
    fresh = shutil.copytree(workbook.parent, tmp_path / "fresh") / workbook.name
    monkeypatch.setattr(frames, "_kept", Bounded(4))  # nothing kept yet
    whole_frames: list[int] = []
    real_with_only = rows_module.RowRanges.sheet_with_only

    def with_only(self, numbers):
        whole_frames.append(1)
        return real_with_only(self, numbers)

    monkeypatch.setattr(rows_module.RowRanges, "sheet_with_only", with_only)
    estimates: list[int] = []
    real_estimate = package_module.Package._estimate_height

    def estimate(self, row, layout, known=None):
        if row.getparent() is not None:  # a row of a sheet (the log's new row is estimated on its own)
            estimates.append(int(row.get("r")))
        return real_estimate(self, row, layout, known)

    monkeypatch.setattr(package_module.Package, "_estimate_height", estimate)
    steps = [("L7", LONG), ("L8", "Share the audit"), ("L7", "Report to the board " * 4)]
    written = []
    for ref, text in steps:
        estimates.clear()
        written.append(_update(workbook, ref, text))
        assert len(estimates) == 1, estimates
    assert len(whole_frames) == 1

    monkeypatch.setattr(frames, "KEEP_BYTES", -1)  # nothing kept: the frame parsed at each update
    assert [_update(fresh, ref, text) for ref, text in steps] == written
    assert len(whole_frames) == 4


def _in_writer(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Non-empty while the package writer works (opens, applies, saves)."""
    writing: list[int] = []

    def in_writer(method):
        def run(*args, **kwargs):
            writing.append(1)
            try:
                return method(*args, **kwargs)
            finally:
                writing.pop()
        return run

    for name in ("__init__", "apply", "finish"):
        monkeypatch.setattr(writers.PackageWriter, name, in_writer(getattr(writers.PackageWriter, name)))
    return writing


def _parts_inflated(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the parts inflated whole while the package writer works, by zipfile or from the compressed
    bytes read for a part's key (a spy)."""
    read: list[str] = []
    writing = _in_writer(monkeypatch)
    real = zipfile.ZipFile.read

    def counted(self, name, pwd=None):
        if writing:
            read.append(getattr(name, "filename", name))
        return real(self, name, pwd)

    monkeypatch.setattr(zipfile.ZipFile, "read", counted)
    real_inflated = keptparts._inflated

    def inflated(source, info, compressed):
        read.append(info.filename)
        return real_inflated(source, info, compressed)

    monkeypatch.setattr(keptparts, "_inflated", inflated)
    return read


def _parts_opened_by_zipfile(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the parts zipfile opens to inflate while the package writer works (a spy)."""
    opened: list[str] = []
    writing = _in_writer(monkeypatch)
    real = zipfile.ZipFile.open

    def counted(self, name, mode="r", *args, **kwargs):
        if writing and mode == "r":
            opened.append(getattr(name, "filename", name))
        return real(self, name, mode, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", counted)
    return opened


def _officer_switches_to_the_1904_date_system(workbook: Path) -> None:
    """An officer's save in another program (openpyxl stands in) that changes what the sheet list says: every
    part is written anew, and dates are days since 1904."""
    book = openpyxl.load_workbook(workbook)
    book.epoch = CALENDAR_MAC_1904
    book.save(workbook)


def _forget_small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keptparts, "_kept", Bounded(8))
    monkeypatch.setattr(sheets, "_listed", Bounded(4))


def test_the_sheet_list_and_styles_are_inflated_once_a_process_and_read_anew_when_saved_by_another(
        workbook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three updates inflate xl/workbook.xml, its relationships and the styles once, the first time (main: at
    every update), and parse the sheet list once; after an officer's save changes them (the 1904 date system)
    the next update reads them again, and writes the dates as a process that kept nothing writes them."""
    fresh = shutil.copytree(workbook.parent, tmp_path / "fresh") / workbook.name
    _forget_small_parts(monkeypatch)
    read = _parts_inflated(monkeypatch)
    small = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml")
    for ref in ("L7", "L8", "L9"):
        _update(workbook, ref, f"Step for {ref}")
    assert {name: read.count(name) for name in small} == dict.fromkeys(small, 1)

    for ref in ("L7", "L8", "L9"):
        _forget_small_parts(monkeypatch)
        _update(fresh, ref, f"Step for {ref}")

    read.clear()
    _officer_switches_to_the_1904_date_system(workbook)
    _officer_switches_to_the_1904_date_system(fresh)
    written = _update(workbook, "L10", "After the officer's save")
    assert read.count("xl/workbook.xml") == 1  # other bytes (its date system): inflated anew
    assert all(read.count(name) <= 1 for name in small)
    _forget_small_parts(monkeypatch)  # nothing kept: as a process started now
    assert _update(fresh, "L10", "After the officer's save") == written
    assert reader.read_appendix(workbook).get("L10")[s.LAST_UPDATED] == reader.read_appendix(fresh).get("L10")[
        s.LAST_UPDATED]


def test_the_shared_strings_of_an_unchanged_table_are_taken_without_inflating_it(
        workbook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Appendix 1 saved with every string shared (as a spreadsheet program saves it): once updates have cut the
    table and stored it as its start tag and items apart, the next ones (each moving the table's `count`) size
    their rows without the writer inflating any of it (main inflated its items at every update to compare them
    with the ones kept); after an officer edits a string the table is read again, and every sheet written is the
    one written by a process that kept nothing."""
    shared = shutil.copy(workbook, tmp_path / "Appendix1.xlsx")
    share_all_strings(shared)
    kept = shutil.copytree(workbook.parent, tmp_path / "kept") / workbook.name
    shutil.copy(shared, kept)
    fresh = shutil.copytree(kept.parent, tmp_path / "fresh") / kept.name
    keptstrings.forget()
    opened = _parts_opened_by_zipfile(monkeypatch)
    steps = [("L7", LONG), ("L8", "Share the audit"), ("L9", "Report to the board " * 4), ("L10", "Audit")]
    written = [_update(kept, *step) for step in steps[:2]]  # the table stored as start tag and items apart
    opened.clear()
    written += [_update(kept, *step) for step in steps[2:]]  # each moves its `count`: the items stay the same
    assert STRINGS not in opened
    _officer_edits_a_shared_string(kept, "L7")
    opened.clear()
    written.append(_update(kept, "L7", "Report to the board"))
    assert STRINGS in opened  # other bytes: read again

    ours = []
    for ref, text in [*steps, ("L7", "Report to the board")]:
        if ref == "L7" and ours:
            _officer_edits_a_shared_string(fresh, "L7")
        _forget_small_parts(monkeypatch)
        keptstrings.forget()
        ours.append(_update(fresh, ref, text))
    assert ours == written
    reader._cache.clear()
    assert reader.read_appendix(kept).rows["L7"].values[s.RECOMMENDATION].startswith("a\na\n")


def _officer_narrows_a_log_column(workbook: Path) -> None:
    """An officer makes the Change log's New value column narrow (openpyxl stands in): long values need more lines."""
    book = openpyxl.load_workbook(workbook)
    sheet = book[s.LOG_SHEET]
    letter = next(cell.column_letter for cell in sheet[1] if cell.value == "New value")
    sheet.column_dimensions[letter].width = 10
    book.save(workbook)


def _log_rows_as_framed(workbook: Path) -> list[bytes]:
    """What the Change log sheet's frame decides of its rows: each row's start tag (its height) and each cell's
    style; the rows' values (times, update IDs) left out."""
    with zipfile.ZipFile(workbook) as book:
        part = package_module.Package(workbook).sheet_parts[s.LOG_SHEET]
        log = book.read(part)
    return re.findall(rb'<row [^>]*>|<c r="[A-Z]+\d+"(?: s="\d+")?', log)


def test_the_change_logs_frame_is_made_once_while_its_bytes_but_the_moved_references_stay(
        workbook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Appending to the Change log grows its dimension and autofilter at every update: its column widths and
    styles are made once for three updates (main: at each), made again after an officer narrows a column, and
    the rows appended are sized and styled as by a process that kept nothing."""
    fresh = shutil.copytree(workbook.parent, tmp_path / "fresh") / workbook.name
    monkeypatch.setattr(frames, "_kept", Bounded(8))
    made: list[int] = []
    real = heights.Layout.__init__

    def counting(self, root):
        if root.find(f"{M}sheetData") is None:  # a sheet without its cell data: the log's, to append to
            made.append(1)
        real(self, root)

    monkeypatch.setattr(heights.Layout, "__init__", counting)
    steps = [("L7", LONG), ("L8", "Share the audit"), ("L9", "Report to the board " * 4)]
    for ref, text in steps:
        _update(workbook, ref, text)
    assert len(made) == 1
    _officer_narrows_a_log_column(workbook)
    _update(workbook, "L10", LONG)
    assert len(made) == 2

    monkeypatch.setattr(frames, "KEEP_BYTES", -1)  # nothing kept: made at each update
    for ref, text in steps:
        _update(fresh, ref, text)
    _officer_narrows_a_log_column(fresh)
    _update(fresh, "L10", LONG)
    assert len(made) == 6
    assert _log_rows_as_framed(fresh) == _log_rows_as_framed(workbook)
    heights_written = [float(ht) for ht in re.findall(rb'<row [^>]*\bht="([\d.]+)"', b"".join(
        _log_rows_as_framed(workbook)))]
    assert heights_written[-1] > heights_written[0]  # L10's long value, in the narrowed column: more lines than L7's


def _officer_inserts_a_log_column(workbook: Path) -> None:
    """An officer inserts a column before the Change log's Ref column (openpyxl stands in): the header moves."""
    book = openpyxl.load_workbook(workbook)
    sheet = book[s.LOG_SHEET]
    sheet.insert_cols(2)
    sheet.cell(row=1, column=2, value="Officer's note")
    book.save(workbook)


def test_the_change_logs_header_is_found_once_while_its_rows_and_strings_stay_the_same(
        workbook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each update looks for the Change log's header: its first rows are parsed for the first updates of the
    process only (main: at every update), not while the header row and the shared strings stay the same; after an
    officer inserts a column before Ref the header is found anew, and the next row's values go under their moved
    headers."""
    monkeypatch.setattr(headers, "_found", Bounded(8))
    parsed: list[int] = []
    real = package_module.Package._first_rows

    def counting(self, sheet_name, search_rows, size=package_module.PREFIX):
        parsed.append(1)
        return real(self, sheet_name, search_rows, size)

    monkeypatch.setattr(package_module.Package, "_first_rows", counting)
    for ref in ("L7", "L8"):  # the first stores the shared strings' start tag and items apart: their identity
        _update(workbook, ref, f"Step for {ref}")
    parsed.clear()
    for ref in ("L9", "L11"):
        _update(workbook, ref, f"Step for {ref}")
    assert parsed == []
    _officer_inserts_a_log_column(workbook)
    _update(workbook, "L10", "After the officer's column")
    assert len(parsed) == 1
    sheet = openpyxl.load_workbook(workbook)[s.LOG_SHEET]
    header = [cell.value for cell in sheet[1]]
    last = [cell.value for cell in sheet[sheet.max_row]]
    assert header[1] == "Officer's note" and last[1] is None
    assert last[header.index("Ref")] == "L10" and last[header.index("New value")] == "After the officer's column"


def test_the_lines_of_a_text_measured_before_are_not_counted_again(workbook: Path) -> None:
    """A row's height counts the wrapped lines of each of its cells' texts: an update of a row measured by the last
    update counts the lines of its new texts only (main: of every text, at every update), and gives what counting
    gives (a function of the text, width and font size alone)."""
    _update(workbook, "L7", LONG)
    kept = heights._kept_lines  # main keeps no counts: AttributeError
    kept.cache_clear()
    _update(workbook, "L7", "Report to the board " * 4)
    before = kept.cache_info()
    _update(workbook, "L7", LONG + " again")
    after = kept.cache_info()
    hits, misses = after.hits - before.hits, after.misses - before.misses
    assert hits >= 5 and misses <= 4, (hits, misses)  # the new next steps, and the log row's old and new value
    for text, width, size in (("word " * 10, 10, 11.0), ("x" * 25, 10, 11.0), (LONG, 7.5, 9.0), ("one\ntwo", 30, 11.0)):
        assert heights.text_lines(text, width, size) == heights._lines(text, width, size)
    assert heights.text_lines("word " * 500, 10) == heights._lines("word " * 500, 10, 11.0) == 250  # not kept


def test_a_rows_errors_before_an_update_are_those_found_after_the_last_one(
        workbook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An update checks its row before and after the change; the row before is the row after the last update of
    it (the same person, the same day), whose errors were found then: only the row after is checked (main: both),
    and a row whose values differ from every row checked (an officer's edit) is checked whole again."""
    checked: list[str] = []
    real = update_module.rules.check_row

    def counting(values, *args, **kwargs):
        checked.append(str(values.get(s.NEXT_STEPS)))
        return real(values, *args, **kwargs)

    monkeypatch.setattr(update_module.rules, "check_row", counting)
    for text in ("First", "Second", "Third"):
        _update(workbook, "L7", text)
    checked.clear()
    _update(workbook, "L7", "Fourth")
    assert checked == ["Fourth"]
    book = openpyxl.load_workbook(workbook)  # an officer's edit of the row in a spreadsheet program
    sheet = book[s.MAIN_SHEET]
    [cell] = [c for row in sheet.iter_rows() for c in row if c.value == "Fourth"]
    cell.value = "Fourth, as the officer put it"
    book.save(workbook)
    checked.clear()
    _update(workbook, "L7", "Fifth")
    assert checked == ["Fifth", "Fourth, as the officer put it"]


class _CountingPattern:
    """A compiled pattern whose `search` calls are counted (a spy: it searches as it does)."""

    def __init__(self, pattern: re.Pattern, counts: list[int]):
        self._pattern, self._counts = pattern, counts

    def search(self, *args):
        self._counts.append(1)
        return self._pattern.search(*args)


def test_the_rows_of_the_sheet_an_edit_wrote_are_not_scanned_again_by_the_next(
        workbook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every update writes Appendix 1's sheet and the next one reads it: where its rows are is worked out from
    where they were and the lengths of the rows edited (main scanned every row's start tag again), and is what a
    scan of the bytes finds; bytes the last edit did not write (an officer's save) are scanned."""
    read: list[int] = []
    monkeypatch.setattr(rows_module, "_ROW_NUMBER", _CountingPattern(rows_module._ROW_NUMBER, read))
    _update(workbook, "L7", LONG)
    assert len(read) > 20  # the first edit of the process scans the sheet's rows
    for ref, text in (("L8", "Share the audit"), ("L7", "Report to the board " * 4), ("L22", "Last row")):
        read.clear()
        written = _update(workbook, ref, text)
        assert len(read) <= 2, len(read)  # the row edited, the rows written: no scan
        kept = rows_module._last
        assert kept is not None and kept.data == written
        monkeypatch.setattr(rows_module, "_last", None)
        scanned = rows_module.row_ranges(written)
        assert (scanned.open_end, scanned.close, scanned.ranges) == (kept.open_end, kept.close, kept.ranges)
        monkeypatch.setattr(rows_module, "_last", kept)
    _officer_switches_to_the_1904_date_system(workbook)
    read.clear()
    _update(workbook, "L9", "After the officer's save")
    assert len(read) > 20


def _inflated_output(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """What every inflater made gives out, one item per call."""
    given: list[bytes] = []
    zlib_spy(monkeypatch, "decompressobj", "decompress", True, given.append)
    return given


def test_the_first_rows_of_the_change_log_and_the_shared_strings_are_inflated_once_a_process(
        workbook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every update reads the Change log's first kilobytes (its header row) and the shared strings' (their
    `count`): once this program has stored them as runs (head, rows; start tag, items) whose first compressed
    bytes an update leaves as they were, and the log's rows fill those kilobytes, the next updates take what
    those bytes inflated to (main inflated 4 KB of each at every update: 180,000 instructions each). The sheets
    and strings written are those of a process that kept nothing."""
    (tmp_path / "kept").mkdir()
    shared = share_all_strings(shutil.copy(workbook, tmp_path / "kept" / workbook.name))
    fresh = shutil.copytree(shared.parent, tmp_path / "fresh") / shared.name
    monkeypatch.setattr(keptparts, "_starts", [], raising=False)  # nothing kept by earlier tests
    steps = [(f"L{7 + n % 5}", f"{LONG} ({n})") for n in range(12)]
    written = [_update(shared, *step) for step in steps[:10]]  # stored as runs, the log's rows past 4 KB
    given = _inflated_output(monkeypatch)
    written += [_update(shared, *step) for step in steps[10:]]
    monkeypatch.undo()
    with zipfile.ZipFile(shared) as book:
        log = book.read(package_module.Package(shared).sheet_parts[s.LOG_SHEET])
        strings = book.read(STRINGS)
    header_row = re.search(rb"<row [^>]*>.*?</row>", log).group()
    first_string = re.search(rb"<si>.*?</si>", strings).group()
    assert not [out for out in given if header_row in out or first_string in out]  # main: at every update

    ours = []
    for step in steps:
        monkeypatch.setattr(keptparts, "_starts", [], raising=False)  # nothing kept: as a process started now
        ours.append(_update(fresh, *step))
    assert ours == written
    assert _log_rows_as_framed(fresh) == _log_rows_as_framed(shared)
    with zipfile.ZipFile(shared) as kept, zipfile.ZipFile(fresh) as anew:
        assert kept.read(STRINGS) == anew.read(STRINGS)
