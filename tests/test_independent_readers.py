"""What independent readers find in the workbooks `sli` writes (issue 20, point 10).

An update goes in through the command line (`sli.main`) with a summary holding emoji beyond the Basic
Multilingual Plane (👶, 👍🏽), line breaks pasted as CR LF and lone CR, and more lines than a row of Excel's
maximum height (409 pt) can show. The file is then read by openpyxl and by SheetJS (the npm package `xlsx`,
run by node through tests/read_with_sheetjs.cjs), and its XML is checked directly:

- the text comes back exactly, emoji included (SheetJS 0.18 reads a character reference such as `&#128118;`
  as U+F476), with every line break a LF (no `\\r`, no `&#13;`);
- no row is taller than 409 pt;
- `xl/sharedStrings.xml` says how many cells refer to it (`count`, counted here in every sheet) and how
  many strings it holds (`uniqueCount`), also in a workbook LibreOffice re-saved (where every string is
  shared) and after the Change log's earlier year is filed on a sheet of its own.

SheetJS is installed by .ci/run into .venv/node-readers (ignored by git). Without node or the package the
SheetJS tests skip with a reason naming SLI_REQUIRE_NODE_READERS; with SLI_REQUIRE_NODE_READERS=1 (set by
.ci/run) they fail instead.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import office
import openpyxl
import pytest
import python_calamine
from conftest import COMMITTED_WORKBOOK
from lxml import etree

import sli
from shared.domain import schema as s
from shared.domain.logrow import LogRow
from shared.usecases import Store
from shared.xlsx import row_height

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
REQUIRE = "SLI_REQUIRE_NODE_READERS"
SHEETJS_VERSION = "0.18.5"
NODE_READERS = ROOT / ".venv" / "node-readers"
SHEETJS_HELPER = HERE / "read_with_sheetjs.cjs"
MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
THIS_YEAR = datetime.now(UTC).year
#: Excel's largest row height in points (Microsoft's "Excel specifications and limits").
MAX_ROW_HEIGHT = 409

#: What an officer pastes from a Windows program: emoji beyond the BMP, CR LF, a lone CR, and forty
#: lines (a row of 40 lines at 11 pt needs 600 pt, more than Excel's 409).
PASTED = ("Safe sleep packs 👶 given out, partners 👍🏽\r\nSecond line from a Windows program\rThird line\r\n"
          + "\r\n".join(f"Visit {n} done" for n in range(1, 41)))
STORED = PASTED.replace("\r\n", "\n").replace("\r", "\n")


def sheetjs() -> list[str]:
    """The command that runs SheetJS on a workbook (append the path); skips, or fails when required."""
    node = shutil.which("node")
    missing = None
    if node is None:
        missing = "node is not installed (SheetJS runs on Node.js)"
    elif not (NODE_READERS / "node_modules" / "xlsx" / "package.json").exists():
        missing = (f"SheetJS is not installed: npm install --prefix {NODE_READERS.relative_to(ROOT)} "
                   f"xlsx@{SHEETJS_VERSION} (.ci/run does)")
    if missing:
        if os.environ.get(REQUIRE) == "1":
            pytest.fail(f"{missing}, but {REQUIRE}=1.", pytrace=False)
        pytest.skip(f"{missing}; {REQUIRE}=1 makes this a failure")
    return [node, str(SHEETJS_HELPER), str(NODE_READERS)]


def read_with_sheetjs(command: list[str], path: Path) -> dict:
    done = subprocess.run([*command, str(path)], capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    found = json.loads(done.stdout.decode("utf-8"))
    assert found["version"] == SHEETJS_VERSION
    return found["sheets"]


def shared_string_counts(path: Path) -> tuple[tuple[int, int] | None, int, int]:
    """((count, uniqueCount) as sharedStrings.xml says, or None without the part; cells of every sheet
    that refer to a shared string; `si` items in the part), counted here without our code."""
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        referring = 0
        for name in names:
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                root = etree.fromstring(archive.read(name))
                referring += sum(1 for cell in root.iter(f"{MAIN_NS}c") if cell.get("t") == "s")
        if "xl/sharedStrings.xml" not in names:
            return None, referring, 0
        sst = etree.fromstring(archive.read("xl/sharedStrings.xml"))
        said = (int(sst.get("count", "-1")), int(sst.get("uniqueCount", "-1")))
        return said, referring, sum(1 for _ in sst.iterchildren(f"{MAIN_NS}si"))


def assert_counts_true(path: Path) -> None:
    said, referring, items = shared_string_counts(path)
    if said is None:
        assert referring == 0
        return
    assert said == (referring, items), f"sharedStrings.xml says {said}; the sheets hold {referring}, the part {items}"


def row_of(ws, ref: str) -> int:
    return next(cell.row for cell in ws["A"] if cell.value == ref)


def column_of(ws, header: str) -> int:
    for row in ws.iter_rows(min_row=1, max_row=5):
        for cell in row:
            if cell.value == header:
                return cell.column
    raise AssertionError(f"no header {header}")


def update(workbook: Path, ref: str, *options: str) -> None:
    code = sli.main(["update", ref, *options, "--by", "Helen Lowey", "--workbook", str(workbook)])
    assert code == 0


def check_openpyxl(workbook: Path, ref: str = "L7") -> None:
    """The summary and its Change log row as stored, no CR anywhere, no row above 409 pt."""
    book = openpyxl.load_workbook(workbook)
    main = book[s.MAIN_SHEET]
    assert main.cell(row_of(main, ref), column_of(main, s.SUMMARY)).value == STORED
    log = book[s.LOG_SHEET]
    new_values = [row[4] for row in log.iter_rows(min_row=2, values_only=True) if row[2] == s.SUMMARY]
    assert new_values[-1] == STORED
    assert main.row_dimensions[row_of(main, ref)].height == MAX_ROW_HEIGHT  # the text needs more: capped
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert not (isinstance(cell.value, str) and "\r" in cell.value), (ws.title, cell.coordinate)
        tall = {n: d.height for n, d in ws.row_dimensions.items() if d.height and d.height > MAX_ROW_HEIGHT}
        assert not tall, (ws.title, tall)


def check_sheetjs(command: list[str], workbook: Path) -> None:
    """SheetJS reads the emoji and line breaks exactly, in the sheet and in the Change log, and no row
    is taller than 409 pt."""
    sheets = read_with_sheetjs(command, workbook)
    main = sheets[s.MAIN_SHEET]["cells"]
    assert STORED in [cell.get("v") for cell in main.values()]
    log = sheets[s.LOG_SHEET]["cells"]
    new_column = "ABCDEFGH"[LogRow.HEADER.index("New value")]
    log_values = [cell.get("v") for address, cell in log.items() if address.startswith(new_column)]
    assert STORED in log_values
    for name, sheet in sheets.items():
        for address, cell in sheet["cells"].items():
            text = str(cell.get("v", ""))
            assert "\r" not in text, (name, address)
            assert not any("\uf000" <= ch <= "\uf8ff" for ch in text), (name, address, text)  # private use: mangled
        assert all(height <= MAX_ROW_HEIGHT for height in sheet["heights"].values()), (name, sheet["heights"])


def check_xml(workbook: Path) -> None:
    """Every sheet part written as UTF-8: no character references for emoji or CR."""
    with zipfile.ZipFile(workbook) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                data = archive.read(name)
                assert b"&#13;" not in data and b"&#xD;" not in data.upper(), name
                assert not re.search(rb"&#(?:x[0-9a-fA-F]{5,}|\d{5,});", data), name


def test_an_update_with_emoji_and_pasted_line_breaks_reads_back_exactly(workbook: Path) -> None:
    command = sheetjs()
    update(workbook, "L7", "--summary", PASTED)
    check_openpyxl(workbook)
    check_xml(workbook)
    check_sheetjs(command, workbook)
    assert_counts_true(workbook)
    journal = Store.for_workbook(workbook).journal()  # the journal holds what the workbook holds
    assert journal.for_ref("L7")[-1].changes[s.SUMMARY] == STORED
    assert [row.new_value for row in journal.field_changes() if row.field == s.SUMMARY] == [STORED]


def test_no_row_height_above_excels_maximum_without_node(workbook: Path) -> None:
    """The openpyxl half alone, so a machine without node still checks heights, CR and the XML."""
    update(workbook, "L7", "--summary", PASTED)
    check_openpyxl(workbook)
    check_xml(workbook)


def resaved_by_libreoffice(source: Path, folder: Path) -> Path:
    """`source` opened and saved as .xlsx by LibreOffice: every string in sharedStrings.xml."""
    out = office.convert([source], "xlsx", folder / "out", folder / "lo")
    book_folder = folder / "resaved"
    book_folder.mkdir()
    target = book_folder / "Appendix1.xlsx"
    shutil.move(out / source.name, target)
    said, referring, _ = shared_string_counts(target)
    assert said is not None and referring > 100  # LibreOffice shares every string, and counts them
    assert_counts_true(target)
    return target


def test_a_workbook_libreoffice_saved_keeps_true_shared_string_counts(tmp_path: Path) -> None:
    command = sheetjs()
    office.tool("soffice")
    workbook = resaved_by_libreoffice(COMMITTED_WORKBOOK, tmp_path)
    update(workbook, "L7", "--summary", PASTED)  # summary, Last updated, Updated by: three shared cells less
    assert_counts_true(workbook)
    check_openpyxl(workbook)
    check_xml(workbook)
    check_sheetjs(command, workbook)
    update(workbook, "L8", "--status", "At risk", "--next", "Agree the audit", "--due", "31/01/2030")
    update(workbook, "L7", "--next", "Once more, on cells no longer shared")
    assert_counts_true(workbook)
    sheets = read_with_sheetjs(command, workbook)
    assert "Agree the audit" in [cell.get("v") for cell in sheets[s.MAIN_SHEET]["cells"].values()]


def test_filing_last_year_copies_shared_header_cells_and_counts_them(workbook: Path, tmp_path: Path) -> None:
    """The first update of a year moves last year's rows to `Change log <year>` with a copy of the header:
    in a LibreOffice-saved workbook those header cells are shared strings, so the count grows by them."""
    office.tool("soffice")
    book = openpyxl.load_workbook(workbook)
    log = book[s.LOG_SHEET]
    last_year = datetime(THIS_YEAR - 1, 6, 1, 9, 0)
    for n in range(5):
        log.append([last_year + timedelta(days=n), "L7", s.NEXT_STEPS, f"was {n}", f"now {n}", "Other Program",
                    s.VIA_CLI, f"old-{n}"])
    book.save(workbook)
    resaved = resaved_by_libreoffice(workbook, tmp_path)
    update(resaved, "L7", "--summary", PASTED)
    names = openpyxl.load_workbook(resaved, read_only=True).sheetnames
    assert f"{s.LOG_SHEET} {THIS_YEAR - 1}" in names
    assert_counts_true(resaved)
    check_openpyxl(resaved)


def test_without_node_the_sheetjs_tests_skip_saying_so_and_fail_when_required(tmp_path: Path) -> None:
    """A run where node cannot be found names SheetJS among the skipped real-client suites at its end
    (tests/conftest.py), and fails instead when SLI_REQUIRE_NODE_READERS=1, as .ci/run sets it."""
    empty = tmp_path / "empty-path"
    empty.mkdir()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SLI_REQUIRE_")}
    selection = f"tests/{Path(__file__).name}::test_an_update_with_emoji_and_pasted_line_breaks_reads_back_exactly"

    def run(**env: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", selection], cwd=ROOT,
                              env={**clean, "PATH": str(empty), "PYTHONPATH": str(ROOT), **env},
                              capture_output=True, text=True, timeout=300)

    skipped = run()
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    assert "Skipped real-client suites: SheetJS (set SLI_REQUIRE_NODE_READERS=1 to require)" \
        in skipped.stdout.splitlines(), skipped.stdout
    required = run(SLI_REQUIRE_NODE_READERS="1")
    assert required.returncode == 1, required.stdout + required.stderr
    assert "node is not installed (SheetJS runs on Node.js), but SLI_REQUIRE_NODE_READERS=1." in required.stdout
    assert "Skipped real-client suites" not in required.stdout


def sst_entry(path: Path) -> tuple[zipfile.ZipInfo, bytes]:
    """The shared strings entry and its stored (compressed) bytes, read from its local header."""
    raw = path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/sharedStrings.xml")
        assert archive.testzip() is None  # every part inflates to its CRC
    name_length, extra_length = struct.unpack_from("<HH", raw, info.header_offset + 26)
    start = info.header_offset + 30 + name_length + extra_length
    return info, raw[start:start + info.compress_size]


def test_the_count_changes_without_compressing_the_strings_again(tmp_path: Path) -> None:
    """Once this program has written the shared strings part, a later count change compresses only its
    root's start tag: the strings' compressed bytes are kept as they were (the cost stays flat however many
    strings an Excel-saved log holds). A comment that does not match the part is not believed."""
    office.tool("soffice")
    workbook = resaved_by_libreoffice(COMMITTED_WORKBOOK, tmp_path)
    update(workbook, "L7", "--next", "First update: every string was shared")
    info, stored = sst_entry(workbook)
    assert info.comment.startswith(b"sli-head 1 ")
    head_size = int(info.comment.split()[2])
    update(workbook, "L8", "--next", "Second update: L8's cells were still shared")
    again, stored_again = sst_entry(workbook)
    assert stored_again[int(again.comment.split()[2]):] == stored[head_size:]  # the strings, not recompressed
    assert again.CRC != info.CRC  # the count did change
    assert_counts_true(workbook)
    fields = again.comment.split()
    fields[-1] = str((int(fields[-1]) + 1) & 0xFFFFFFFF).encode()  # a wrong CRC for the strings
    source = io.BytesIO(workbook.read_bytes())
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(workbook, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            if item.filename == again.filename:
                item.comment = b" ".join(fields)
            new.writestr(item, old.read(item))
    third = "Third update: read whole, as after another program's save"
    update(workbook, "L9", "--next", third)
    assert_counts_true(workbook)
    assert sst_entry(workbook)[0].comment.startswith(b"sli-head 1 ")
    grid = python_calamine.CalamineWorkbook.from_path(str(workbook)).get_sheet_by_name(s.MAIN_SHEET).to_python()
    assert third in [value for row in grid for value in row]
    out = office.convert([workbook], office.CSV_FILTER, tmp_path / "csv", tmp_path / "lo-read")
    with open(out / f"{workbook.stem}-{s.MAIN_SHEET}.csv", encoding="utf-8", newline="") as handle:
        assert third in [value for row in csv.reader(handle) for value in row]


def test_a_height_above_the_maximum_left_by_an_earlier_version_is_refitted(workbook: Path) -> None:
    """A row an earlier version made 795 pt tall, marked custom by openpyxl's re-save, is no officer's own
    height (Excel cannot set it): the next update of the row fits it again; a height an officer set stays."""
    book = openpyxl.load_workbook(workbook)
    main = book[s.MAIN_SHEET]
    main.row_dimensions[row_of(main, "L7")].height = 795
    main.row_dimensions[row_of(main, "L8")].height = 200
    book.save(workbook)
    update(workbook, "L7", "--summary", "Short again")
    update(workbook, "L8", "--summary", "Short too")
    main = openpyxl.load_workbook(workbook)[s.MAIN_SHEET]
    assert main.row_dimensions[row_of(main, "L7")].height <= MAX_ROW_HEIGHT
    assert main.row_dimensions[row_of(main, "L8")].height == 200


def test_sli_workbook_init_builds_rows_no_taller_than_the_maximum(tmp_path: Path) -> None:
    """The builder's heights are the writer's estimate (`row_height`), which never passes 409 pt."""
    assert row_height([("Line of text\n" * 100, 40.0, 11.0, True)]) == MAX_ROW_HEIGHT
    assert row_height([("Two\nlines", 40.0, 11.0, True)]) == 30.0  # below the maximum, as before
    target = tmp_path / "new.xlsx"
    assert sli.main(["workbook", "init", str(target)]) == 0
    for ws in openpyxl.load_workbook(target).worksheets:
        assert all((d.height or 0) <= MAX_ROW_HEIGHT for d in ws.row_dimensions.values()), ws.title
