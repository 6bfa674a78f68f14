"""The parts an update does not change are written into the new file ahead, by a second thread, while the update
is applied (shared/xlsx/ahead.py): for a long history most of a save's cost. What must hold:

- the file reads the same (calamine and openpyxl) and lists its parts in the same order; every part the update
  did not change is byte for byte what it was; only where the edited parts lie in the file differs (they come
  after the ones written ahead: how the tests see that the path ran);
- the copies are made by another thread than the one that answers, and flushed (fdatasync) before the save's
  own fsync and rename (strace);
- the shared strings' body is written ahead too, its head (the `count` an update moves) filled in after, stored
  and padded to a length known beforehand;
- a guess gone wrong (filing the years changes the part list) still writes a whole, correct file;
- an update refused or failed before its save leaves no new file behind;
- a writer killed while its file is written ahead (or at any moment) loses nothing."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook
from test_concurrency import _kill_and_recover
from test_reduced_read import share_all_strings
from tracing import needs_strace

import sli
from shared.domain import schema as s
from shared.xlsx import Package, excel_serial, save_atomically
from shared.xlsx.ahead import AHEAD_MIN_BYTES, plan_ahead
from shared.xlsx.entries import Source

ROOT = Path(__file__).resolve().parents[1]


def long_history(workbook: Path, rows: int, year: int) -> None:
    """`rows` Change log rows dated in `year`, as inline strings of text that compresses poorly (so the
    history's sheet is megabytes in the file), written straight into the sheet's XML: seconds, not minutes."""
    chance = random.Random(7)
    package = Package(workbook)
    part = package.sheet_parts[s.LOG_SHEET]
    data = package.parts[part]
    out = []
    when = excel_serial(datetime(year, 6, 1, 9))
    for n in range(rows):
        number = n + 2
        text = "".join(chance.choice("abcdefghijklmnopqrstuvwxyz0123456789 ") for _ in range(160))
        cells = [f'<c r="A{number}"><v>{when}</v></c>']
        for column, value in enumerate((f"L{1 + n % 22}", s.NEXT_STEPS, text, text[::-1], "Sana Iqbal", "Slack",
                                        f"hist{n:08d}"), start=2):
            cells.append(f'<c r="{s.column_letter(column - 1)}{number}" t="inlineStr"><is><t>{value}</t></is></c>')
        out.append(f'<row r="{number}">{"".join(cells)}</row>')
    close = data.rfind(b"</sheetData>")
    data = data[:close] + "".join(out).encode() + data[close:]
    data = re.sub(rb'<dimension ref="[^"]*"/>', f'<dimension ref="A1:H{rows + 1}"/>'.encode(), data, count=1)
    package.changed[part] = data
    save_atomically(package, workbook, None, 0)
    package.close()


@pytest.fixture
def long_book(workbook: Path) -> Path:
    """The committed workbook with 12,000 rows of last year's history, filed onto its year's sheet by a first
    update: the year sheet is more than `AHEAD_MIN_BYTES` compressed, and no update touches it again."""
    long_history(workbook, 12_000, datetime.now().year - 1)
    assert _update(workbook, "First of the year") == sli.EXIT_OK
    year_sheet = max((i for i in zipfile.ZipFile(workbook).infolist()), key=lambda i: i.compress_size)
    assert year_sheet.compress_size > AHEAD_MIN_BYTES
    return workbook


def _update(workbook: Path, next_steps: str, ref: str = "L7") -> int:
    return sli.main(["update", ref, "--next", next_steps, "--by", "Helen Lowey", "--workbook", str(workbook)])


def _raw_parts(path: Path) -> dict[str, bytes]:
    """Each part's compressed bytes, as the zip's directory finds them."""
    with zipfile.ZipFile(path) as archive, open(path, "rb") as handle:
        raw = {}
        for info in archive.infolist():
            handle.seek(info.header_offset + 26)
            name_length, extra_length = (int.from_bytes(handle.read(2), "little") for _ in range(2))
            handle.seek(info.header_offset + 30 + name_length + extra_length)
            raw[info.filename] = handle.read(info.compress_size)
        return raw


def test_an_update_writes_the_unchanged_parts_first_and_the_file_reads_the_same(long_book: Path) -> None:
    before = zipfile.ZipFile(long_book).infolist()
    raw_before = _raw_parts(long_book)
    assert _update(long_book, "Agree the audit plan \U0001f600") == sli.EXIT_OK
    with zipfile.ZipFile(long_book) as archive:
        after = archive.infolist()
        assert archive.testzip() is None  # every part's CRC checks
    assert [i.filename for i in after] == [i.filename for i in before]  # the directory's order is kept
    raw_after = _raw_parts(long_book)
    edited = {name for name in raw_after if raw_after[name] != raw_before[name]}
    main_part = Package(long_book).sheet_parts[s.MAIN_SHEET]
    log_part = Package(long_book).sheet_parts[s.LOG_SHEET]
    assert main_part in edited and log_part in edited
    assert edited <= {main_part, log_part, "xl/workbook.xml", "xl/sharedStrings.xml"}
    # The parts written ahead lie first in the file, the edited ones after them all.
    offsets = {i.filename: i.header_offset for i in after}
    assert max(offsets[n] for n in offsets if n not in edited) < min(offsets[n] for n in edited)
    # Independent readers read the update and the history.
    book = CalamineWorkbook.from_path(str(long_book))
    rows = book.get_sheet_by_name(s.MAIN_SHEET).to_python()
    assert any("Agree the audit plan \U0001f600" in [str(v) for v in row] for row in rows)
    year_sheet = next(name for name in book.sheet_names if name.startswith(s.LOG_SHEET + " "))
    assert len(book.get_sheet_by_name(year_sheet).to_python()) > 12_000
    loaded = openpyxl.load_workbook(long_book, read_only=True)
    assert loaded.sheetnames == book.sheet_names
    loaded.close()


def test_a_second_update_copies_what_it_writes_ahead_in_one_run(long_book: Path) -> None:
    """After an update wrote the file, the parts it wrote ahead lie one after the other: the next update copies
    them with one kernel call, so the copying thread needs the interpreter (held by the editing thread) once."""
    assert _update(long_book, "Step one") == sli.EXIT_OK
    package = Package(long_book)
    try:
        edited = package.edited_by_updates((s.MAIN_SHEET, s.LOG_SHEET))[0]
        entries, runs, _slots = plan_ahead(Source(long_book), package.infos, package.archive.start_dir, edited)
    finally:
        package.close()
    assert [i.filename for i in entries] == [i.filename for i in package.infos if i.filename not in edited]
    assert len(runs) == 1


def test_filing_a_new_year_after_writing_ahead_still_writes_a_whole_file(workbook: Path) -> None:
    """The first update of a long one-sheet history files its years: the part list changes (new sheets, the
    workbook's list of them), which the guess made before the edit could not know. The file written ahead is
    cut back before the first part filing changed, and the rest written in turn."""
    long_history(workbook, 12_000, datetime.now().year - 2)
    before = [i.filename for i in zipfile.ZipFile(workbook).infolist()]
    assert _update(workbook, "Filed and updated") == sli.EXIT_OK
    with zipfile.ZipFile(workbook) as archive:
        assert archive.testzip() is None
        names = [i.filename for i in archive.infolist()]
    assert names[:len(before)] == before and len(names) > len(before)  # the new year sheet after the others
    book = CalamineWorkbook.from_path(str(workbook))
    year_sheet = f"{s.LOG_SHEET} {datetime.now().year - 2}"
    assert year_sheet in book.sheet_names
    assert len(book.get_sheet_by_name(year_sheet).to_python()) == 12_001


def test_an_update_refused_at_the_save_leaves_no_new_file(long_book: Path) -> None:
    """A workbook marked read-only is not replaced (the update waits, exit 3); the file begun ahead is removed."""
    os.chmod(long_book, 0o444)
    try:
        assert _update(long_book, "Not today") != sli.EXIT_OK
    finally:
        os.chmod(long_book, 0o644)
    assert not [p.name for p in long_book.parent.iterdir() if ".sli-tmp-" in p.name]
    assert _update(long_book, "Now then") == sli.EXIT_OK  # and the waiting update goes in once it may
    assert not [p.name for p in long_book.parent.iterdir() if ".sli-tmp-" in p.name]


@needs_strace("orders the copies written ahead, their flush and the rename")
def test_the_unchanged_parts_are_copied_and_flushed_by_another_thread_before_the_rename(long_book: Path,
                                                                                       tmp_path: Path) -> None:
    trace = tmp_path / "ahead.trace"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "sli.py", "update", "L7", "--by", "Helen Lowey", "--workbook", str(long_book),
               "--next", "Traced"]
    """The copying thread asks the disk to start on each piece as soon as it is copied (sync_file_range), then
    flushes (fdatasync) before the answering thread renames the file into place."""
    subprocess.run(["strace", "-f", "-qq", "-e",
                    "trace=copy_file_range,sync_file_range,fdatasync,fsync,rename,renameat,renameat2",
                    "-o", str(trace), *command], check=True, cwd=ROOT, env=env, capture_output=True, timeout=120)
    lines = trace.read_text().splitlines()
    [renamed] = [n for n, line in enumerate(lines) if "rename" in line and "sli-tmp" in line and "= 0" in line]
    answering = lines[renamed].split()[0]
    big_copies = [n for n, line in enumerate(lines) if "copy_file_range" in line
                  and (found := re.search(r"= (\d+)$", line)) and int(found.group(1)) > AHEAD_MIN_BYTES]
    assert big_copies and all(lines[n].split()[0] != answering for n in big_copies)
    copier = lines[big_copies[0]].split()[0]
    flushed = [n for n, line in enumerate(lines) if line.split()[0] == copier and "fdatasync" in line]
    assert flushed and flushed[0] > big_copies[-1] and max(flushed) < renamed
    if sys.platform.startswith("linux"):
        copied = [n for n, line in enumerate(lines) if line.split()[0] == copier and "copy_file_range" in line]
        begun = [n for n, line in enumerate(lines) if line.split()[0] == copier and "sync_file_range" in line]
        assert begun and copied[0] < begun[0] < copied[-1] and begun[-1] < flushed[0]  # during the copy, not after


def test_the_shared_strings_body_is_written_ahead_and_its_head_filled_in_after(long_book: Path) -> None:
    """As a spreadsheet program leaves the file, every string shared: the first update splits the shared strings
    into head and body; from the next on their body is written ahead and their head, whose `count` each
    first update of a cell moves, filled in after the edit, in room left for it."""
    share_all_strings(long_book)
    strings = "xl/sharedStrings.xml"
    assert _update(long_book, "After the officer saved", "L8") == sli.EXIT_OK
    with zipfile.ZipFile(long_book) as archive:
        before_count = re.search(rb'count="(\d+)"', archive.read(strings)[:400]).group(1)
    assert _update(long_book, "Once more, the strings' body ahead", "L9") == sli.EXIT_OK
    with zipfile.ZipFile(long_book) as archive:
        assert archive.testzip() is None
        offsets = {i.filename: i.header_offset for i in archive.infolist()}
        head = archive.read(strings)[:400]
    package = Package(long_book)
    edited = {package.sheet_parts[s.MAIN_SHEET], package.sheet_parts[s.LOG_SHEET], "xl/workbook.xml"}
    package.close()
    assert offsets[strings] < min(offsets[name] for name in edited)  # written ahead, before the edited parts
    count = re.search(rb'count="(\d+)"', head).group(1)
    assert int(count) < int(before_count)  # L9's shared strings became the update's inline text: the edit's count
    assert re.search(rb'count="\d+" uniqueCount="\d+" +>', head)  # padded in the tag: room for the count to grow
    book = CalamineWorkbook.from_path(str(long_book))
    texts = [str(v) for row in book.get_sheet_by_name(s.MAIN_SHEET).to_python() for v in row]
    assert "Once more, the strings' body ahead" in texts and "After the officer saved" in texts
    loaded = openpyxl.load_workbook(long_book, read_only=True)
    assert any("After the officer saved" == cell for row in loaded[s.MAIN_SHEET].iter_rows(values_only=True)
               for cell in row)
    loaded.close()


def test_a_head_that_outgrows_its_room_gets_more() -> None:
    from shared.xlsx.segments import HEAD_SLACK, padded_head

    head = b'<?xml version="1.0"?>\n<sst xmlns="x" count="9" uniqueCount="3">'
    first = padded_head(head, 0)
    assert len(first) == len(head) + HEAD_SLACK and first.endswith(b' >')
    assert len(padded_head(head.replace(b'"9"', b'"10"'), len(first))) == len(first)  # a digit more: same room
    grown = head.replace(b'"9"', b'"1' + b"0" * 20 + b'"')
    assert len(padded_head(grown, len(first))) == len(grown) + HEAD_SLACK  # outgrown: more room, never cut


def test_an_update_stopped_by_a_formula_in_its_cell_leaves_no_new_file(long_book: Path) -> None:
    """A target cell holding a formula stops the write before the save (the update waits): the file begun ahead
    is removed there and then, and the interpreter's switch interval is back to what it was."""
    with zipfile.ZipFile(long_book) as source:
        parts = [(info, source.read(info.filename)) for info in source.infolist()]
    main_part = Package(long_book).sheet_parts[s.MAIN_SHEET]
    loaded = openpyxl.load_workbook(long_book, read_only=True)
    rows = [list(row) for row in loaded[s.MAIN_SHEET].iter_rows(values_only=True)]
    loaded.close()
    header = next(row for row in rows if row and row[0] == s.REF)
    number = next(n for n, row in enumerate(rows, start=1) if row and row[0] == "L5")
    column = s.column_letter(header.index(s.NEXT_STEPS))
    with zipfile.ZipFile(long_book, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in parts:
            if info.filename == main_part:
                data, found = re.subn(rf'<c r="{column}{number}"[^>]*?(?:/>|>.*?</c>)'.encode(),
                                      f'<c r="{column}{number}"><f>1+1</f><v>2</v></c>'.encode(), data, count=1)
                assert found == 1
            target.writestr(info, data)
    interval = sys.getswitchinterval()
    assert sli.main(["update", "L5", "--next", "Plain words", "--by", "Helen Lowey",
                     "--workbook", str(long_book)]) != sli.EXIT_OK
    assert not [p.name for p in long_book.parent.iterdir() if ".sli-tmp-" in p.name]
    assert sys.getswitchinterval() == interval


def test_a_writer_killed_while_writing_ahead_loses_nothing(long_book: Path) -> None:
    """The kill-mid-save rounds of tests/test_concurrency.py on a workbook whose saves write ahead: the new file
    exists from the start of the edit, so "inside a save" now takes in the copies and their flush."""
    _kill_and_recover(long_book, rounds=4, seed=18)


def test_a_save_that_fails_after_the_parts_written_ahead_puts_the_switch_interval_back(long_book: Path) -> None:
    """The parts written ahead fit on the disk, the edited ones after them do not (a file size limit stands in
    for a disk that fills mid-save): the update waits, no new file is left, and the interpreter's switch
    interval is what it was (a bot that failed one save must not run with 0.2 ms switches ever after)."""
    import resource
    import signal

    package = Package(long_book)
    try:
        edited, maybe = package.edited_by_updates((s.MAIN_SHEET, s.LOG_SHEET))
        _entries, runs, _slots = plan_ahead(Source(long_book), package.infos, package.archive.start_dir, edited,
                                            maybe)
    finally:
        package.close()
    written_ahead = max(run.to + run.length for run in runs)
    before = long_book.read_bytes()
    interval = sys.getswitchinterval()
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)
    was = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG), not the process
    resource.setrlimit(resource.RLIMIT_FSIZE, (written_ahead + 2000, limit[1]))
    try:
        code = _update(long_book, "Past the limit")
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, limit)
        signal.signal(signal.SIGXFSZ, was)
    assert code != sli.EXIT_OK
    assert long_book.read_bytes() == before
    assert not [p.name for p in long_book.parent.iterdir() if ".sli-tmp-" in p.name]
    assert sys.getswitchinterval() == interval
    assert _update(long_book, "Within the limit") == sli.EXIT_OK  # the waiting update goes in too


@pytest.mark.parametrize("history", [False, True], ids=["usual write", "written ahead"])
def test_a_part_whose_local_header_is_not_where_the_directory_says_is_not_copied_blind(workbook: Path,
                                                                                       history: bool) -> None:
    """A damaged workbook: a part's local header overwritten (the directory intact). Copied verbatim, the damage
    would be saved into the new file under the workbook's name with the update called done; the part is
    checked first, as it always was, so the update waits and the sender is told what is wrong."""
    if history:
        long_history(workbook, 12_000, datetime.now().year - 1)
        assert _update(workbook, "First of the year") == sli.EXIT_OK
    with zipfile.ZipFile(workbook) as archive:
        info = archive.getinfo("docProps/core.xml")
    with open(workbook, "r+b") as handle:
        handle.seek(info.header_offset)
        handle.write(b"XX\x00\x00")  # the signature gone, every length as it was
    before = workbook.read_bytes()
    assert _update(workbook, "Not onto a damaged file") != sli.EXIT_OK
    assert workbook.read_bytes() == before
    assert not [p.name for p in workbook.parent.iterdir() if ".sli-tmp-" in p.name]


def test_a_workbook_deleted_during_its_update_is_written_new_with_the_usual_mode(long_book: Path) -> None:
    """The file written ahead is made private (0600) to take the old file's mode at the save; when the old file
    is gone by then (deleted while the update was applied), the save writes a new file whole, with the mode any
    new file gets here, as it did before anything was written ahead."""
    from shared.xlsx.save import fresh_temporary

    package = Package(long_book)
    edited, maybe = package.edited_by_updates((s.MAIN_SHEET, s.LOG_SHEET))
    assert package.write_ahead(lambda: fresh_temporary(long_book), edited, maybe)
    package.edit_cells(s.MAIN_SHEET, {"H7": "Written after the file went"})
    long_book.unlink()
    save_atomically(package, long_book, None, 0)
    package.close()
    umask = os.umask(0)
    os.umask(umask)
    assert long_book.stat().st_mode & 0o777 == 0o666 & ~umask
    assert not [p.name for p in long_book.parent.iterdir() if ".sli-tmp-" in p.name]
    assert openpyxl.load_workbook(long_book, read_only=True)[s.MAIN_SHEET]["H7"].value == "Written after the file went"
