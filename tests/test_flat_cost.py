"""An update costs the same in year ten as on day one (issue 10, points 8 and 9).

Two things make that so, and these tests hold both to what they promise without timing anything (the
benchmark, `make bench`, measures the time):

- the write path inflates only the parts it edits and copies every other part into the new file as the
  compressed bytes it was: checked byte for byte on the parts, and the file read back by openpyxl,
  python-calamine, zipfile's own CRC check and LibreOffice;
- `Change log` holds one year: earlier years are filed on sheets of their own (`Change log 2026`), once,
  with the log's header, widths, styles, frozen header, page setup and an autofilter, and are never
  rewritten; `read_change_log` still gives the whole history in time order.
"""

from __future__ import annotations

import csv
import io
import random
import struct
import zipfile
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import office
import openpyxl
import python_calamine

import sli
from shared.domain import schema as s
from shared.domain.logrow import LogRow
from shared.reader import read_change_log, read_current_change_log
from shared.usecases import Store, submit_update
from shared.xlsx import Package, file_log_years, save_atomically
from shared.xlsx.segments import crc32_combine

THIS_YEAR = datetime.now(UTC).year


def compressed_bytes(path: Path) -> dict[str, tuple[int, bytes]]:
    """Each part's CRC and stored (compressed) bytes, read from its local header: not through our code."""
    raw = path.read_bytes()
    out = {}
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            name_length, extra_length = struct.unpack_from("<HH", raw, info.header_offset + 26)
            start = info.header_offset + 30 + name_length + extra_length
            out[info.filename] = (info.CRC, raw[start:start + info.compress_size])
    return out


def check_zip(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None


def log_rows_by_other_program(workbook: Path, per_year: int = 40, years: int = 10) -> list[str]:
    """Fill `Change log` with `years` years of rows, oldest first, saved by openpyxl (shared strings and
    all): a workbook another program wrote. Returns the Update IDs in order."""
    wb = openpyxl.load_workbook(workbook)
    ws = wb[s.LOG_SHEET]
    ids = []
    start = datetime(THIS_YEAR - years + 1, 1, 1, 9, 0)
    for year_offset in range(years):
        for n in range(per_year):
            when = start.replace(year=start.year + year_offset) + timedelta(days=n * 300 // per_year, hours=n % 7)
            if when.year == THIS_YEAR and when > datetime.now(UTC).replace(tzinfo=None):
                continue
            update_id = f"old{when.year}-{n:03d}"
            ids.append(update_id)
            ws.append([when, f"L{1 + n % 22}", s.NEXT_STEPS, f"was {n}", f"now {n}", "Other Program", "CLI",
                       update_id])
    wb.save(workbook)
    return ids


def year_sheets(path: Path) -> list[str]:
    return [name for name in openpyxl.load_workbook(path, read_only=True).sheetnames
            if name.startswith(f"{s.LOG_SHEET} ")]


def test_unchanged_parts_are_copied_as_their_compressed_bytes(workbook: Path, tmp_path: Path) -> None:
    before = compressed_bytes(workbook)
    package = Package(workbook)
    main_part = package.sheet_parts[s.MAIN_SHEET]
    package.edit_cells(s.MAIN_SHEET, {"H7": "Copied raw, not recompressed"})
    inflated = set(package.parts.inflated())
    assert package.sheet_parts[s.LOG_SHEET] not in inflated  # never even decompressed
    assert inflated <= {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml", main_part}
    out = tmp_path / "out.xlsx"
    package.write(out)
    after = compressed_bytes(out)
    assert list(after) == list(before)  # same parts, same order
    for name, (crc, data) in before.items():
        if name != main_part:
            assert after[name] == (crc, data), name
    assert after[main_part] != before[main_part]
    check_zip(out)
    assert openpyxl.load_workbook(out)[s.MAIN_SHEET]["H7"].value == "Copied raw, not recompressed"
    grid = python_calamine.CalamineWorkbook.from_path(str(out)).get_sheet_by_name(s.MAIN_SHEET).to_python()
    assert "Copied raw, not recompressed" in grid[6]


def test_ten_years_on_one_sheet_are_filed_by_year_once(workbook: Path) -> None:
    ids = log_rows_by_other_program(workbook)
    widths = {c: openpyxl.load_workbook(workbook)[s.LOG_SHEET].column_dimensions[c].width for c in "ABCDEFGH"}
    result = submit_update(Store.for_workbook(workbook), "L7", {s.NEXT_STEPS: "First update after ten years"},
                           by="Helen Lowey", via=s.VIA_CLI)
    assert result.state == "applied", result.message
    check_zip(workbook)

    expected_years = list(range(THIS_YEAR - 9, THIS_YEAR))
    wb = openpyxl.load_workbook(workbook)
    assert wb.sheetnames[:4] == [s.MAIN_SHEET, s.LISTS_SHEET, s.LEADS_SHEET, s.LOG_SHEET]
    assert wb.sheetnames[4:] == [f"{s.LOG_SHEET} {year}" for year in expected_years]  # at the end, in order
    for year in expected_years:
        ws = wb[f"{s.LOG_SHEET} {year}"]
        rows = list(ws.iter_rows(values_only=True))
        assert rows[0] == LogRow.HEADER
        assert [r[7] for r in rows[1:]] == [i for i in ids if i.startswith(f"old{year}-")]
        assert {r[0].year for r in rows[1:]} == {year}
        assert ws.auto_filter.ref == f"A1:H{len(rows)}"
        assert ws.freeze_panes == "A2"
        assert ws.print_title_rows == "$1:$1"
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
        assert ws.page_setup.fitToHeight == 0 and ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.oddFooter.center.text == "Page &P of &N"
        assert {c: ws.column_dimensions[c].width for c in "ABCDEFGH"} == widths
        assert ws["A2"].number_format == wb[s.LOG_SHEET]["A2"].number_format
        assert ws.sheet_view.tabSelected in (None, False)
    current = list(wb[s.LOG_SHEET].iter_rows(values_only=True))
    assert {r[0].year for r in current[1:]} == {THIS_YEAR}
    assert wb[s.LOG_SHEET].auto_filter.ref == f"A1:H{len(current)}"  # filed once, the log has a filter too
    assert current[-1][7] == result.update_id

    history = read_change_log(workbook)
    assert [row.update_id for row in history] == ids + [result.update_id]
    whens = [row.when for row in history]
    assert whens == sorted(whens)
    assert [row.update_id for row in read_current_change_log(workbook)] == \
        [i for i in ids if i.startswith(f"old{THIS_YEAR}-")] + [result.update_id]
    since = read_change_log(workbook, since=THIS_YEAR - 1)
    assert {row.when.year for row in since} == {THIS_YEAR - 1, THIS_YEAR}

    book = python_calamine.CalamineWorkbook.from_path(str(workbook))
    assert sum(len(book.get_sheet_by_name(n).to_python()) - 1 for n in book.sheet_names
               if n.startswith(s.LOG_SHEET)) == len(ids) + 1

    # The next update rewrites Change log only: the filed years are copied as they were, never inflated.
    filed = compressed_bytes(workbook)
    package = Package(workbook)
    year_parts = {package.sheet_parts[n] for n in package.sheet_parts if n.startswith(f"{s.LOG_SHEET} ")}
    columns = package.header_columns(s.LOG_SHEET, LogRow.HEADER)
    rows = [{columns[LogRow.HEADER[0]]: datetime.now(UTC).replace(tzinfo=None), columns["Update ID"]: "later"}]
    assert file_log_years(package, rows) == {}  # this year's rows only: nothing to file, the years not read
    package.append_rows(s.LOG_SHEET, rows)
    assert not year_parts & set(package.parts.inflated())
    submit_update(Store.for_workbook(workbook), "L7", {s.NEXT_STEPS: "Second update"}, by="Helen Lowey",
                  via=s.VIA_CLI)
    again = compressed_bytes(workbook)
    for part in year_parts:
        assert again[part] == filed[part]
    assert len(read_change_log(workbook)) == len(ids) + 2
    grown = openpyxl.load_workbook(workbook)
    assert grown[s.LOG_SHEET].auto_filter.ref == f"A1:H{grown[s.LOG_SHEET].max_row}"  # it grew with the rows
    assert f"'{s.LOG_SHEET}'!$A$1:$H${grown[s.LOG_SHEET].max_row}" in \
        zipfile.ZipFile(workbook).read("xl/workbook.xml").decode()  # and so did its hidden defined name


def _append(workbook: Path, when: datetime, update_id: str) -> None:
    package = Package(workbook)
    columns = package.header_columns(s.LOG_SHEET, LogRow.HEADER)
    rows = [{columns[LogRow.HEADER[0]]: when, columns["Ref"]: "L1", columns["Field"]: s.STATUS,
             columns["Update ID"]: update_id}]
    file_log_years(package, rows)  # as the package writer does before it logs rows
    package.append_rows(s.LOG_SHEET, rows)
    save_atomically(package, workbook, None, 0)


def test_first_row_of_a_new_year_files_last_year(workbook: Path) -> None:
    for day in range(1, 4):
        _append(workbook, datetime(2030, 12, 29 + day - 1, 10), f"y2030-{day}")
    assert year_sheets(workbook) == []  # one year on the sheet: nothing to move
    _append(workbook, datetime(2031, 1, 1, 0, 5), "y2031-1")
    assert year_sheets(workbook) == [f"{s.LOG_SHEET} 2030"]
    wb = openpyxl.load_workbook(workbook)
    assert [r[7] for r in wb[f"{s.LOG_SHEET} 2030"].iter_rows(min_row=2, values_only=True)] == \
        ["y2030-1", "y2030-2", "y2030-3"]
    assert [r[7] for r in wb[s.LOG_SHEET].iter_rows(min_row=2, values_only=True)] == ["y2031-1"]
    assert wb[s.LOG_SHEET].max_row == 2
    assert [row.update_id for row in read_change_log(workbook)] == ["y2030-1", "y2030-2", "y2030-3", "y2031-1"]
    check_zip(workbook)


def test_appending_rows_files_nothing_and_an_update_files_the_years(workbook: Path) -> None:
    """Filing the Change log by year is a step of its own, which the package writer takes (issue 17):
    appending rows moves nothing, and an update through the command line files the earlier year."""
    for when, update_id in ((datetime(THIS_YEAR - 1, 6, 1), "last-year"), (datetime(THIS_YEAR, 1, 2), "this-year")):
        package = Package(workbook)
        columns = package.header_columns(s.LOG_SHEET, LogRow.HEADER)
        package.append_rows(s.LOG_SHEET, [{columns[LogRow.HEADER[0]]: when, columns["Ref"]: "L1",
                                           columns["Field"]: s.STATUS, columns["Update ID"]: update_id}])
        save_atomically(package, workbook, None, 0)
    assert year_sheets(workbook) == []  # both years still on Change log: appending filed nothing
    assert sli.main(["update", "L7", "--next", "Filed by the writer", "--by", "Helen Lowey",
                     "--workbook", str(workbook)]) == 0
    assert year_sheets(workbook) == [f"{s.LOG_SHEET} {THIS_YEAR - 1}"]
    wb = openpyxl.load_workbook(workbook)
    assert [r[7] for r in wb[f"{s.LOG_SHEET} {THIS_YEAR - 1}"].iter_rows(min_row=2, values_only=True)] == \
        ["last-year"]
    assert [r[7] for r in wb[s.LOG_SHEET].iter_rows(min_row=2, values_only=True)][0] == "this-year"
    assert [row.update_id for row in read_change_log(workbook)][:2] == ["last-year", "this-year"]
    check_zip(workbook)


def test_a_filed_years_late_rows_join_its_sheet(workbook: Path) -> None:
    _append(workbook, datetime(2030, 6, 1), "y2030-a")
    _append(workbook, datetime(2031, 2, 1), "y2031-a")
    wb = openpyxl.load_workbook(workbook)  # another program puts a 2030 row back at the top
    wb[s.LOG_SHEET].insert_rows(2)
    for column, value in enumerate([datetime(2030, 7, 1), "L2", s.STATUS, "", "", "Excel", "Excel", "y2030-b"], 1):
        wb[s.LOG_SHEET].cell(2, column).value = value
    wb.save(workbook)
    _append(workbook, datetime(2031, 3, 1), "y2031-b")
    wb = openpyxl.load_workbook(workbook)
    filed = wb[f"{s.LOG_SHEET} 2030"]
    assert [r[7] for r in filed.iter_rows(min_row=2, values_only=True)] == ["y2030-a", "y2030-b"]
    assert [r[7] for r in wb[s.LOG_SHEET].iter_rows(min_row=2, values_only=True)] == ["y2031-a", "y2031-b"]
    assert year_sheets(workbook) == [f"{s.LOG_SHEET} 2030"]


EXCEL_APP_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
    'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
    "<Application>Microsoft Excel</Application><HeadingPairs><vt:vector size=\"4\" baseType=\"variant\">"
    "<vt:variant><vt:lpstr>Worksheets</vt:lpstr></vt:variant><vt:variant><vt:i4>4</vt:i4></vt:variant>"
    "<vt:variant><vt:lpstr>Named Ranges</vt:lpstr></vt:variant><vt:variant><vt:i4>1</vt:i4></vt:variant>"
    "</vt:vector></HeadingPairs><TitlesOfParts><vt:vector size=\"5\" baseType=\"lpstr\">"
    "<vt:lpstr>Appendix 1</vt:lpstr><vt:lpstr>Lists</vt:lpstr><vt:lpstr>Leads</vt:lpstr>"
    "<vt:lpstr>Change log</vt:lpstr><vt:lpstr>'Change log'!Print_Titles</vt:lpstr></vt:vector></TitlesOfParts>"
    "</Properties>")


def _replace_part(path: Path, name: str, data: bytes) -> None:
    source = io.BytesIO(path.read_bytes())
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            new.writestr(info, data if info.filename == name else old.read(info))


def test_excel_sheet_titles_in_app_xml_stay_consistent(workbook: Path) -> None:
    _replace_part(workbook, "docProps/app.xml", EXCEL_APP_XML.encode())
    _append(workbook, datetime(2029, 5, 1), "y2029")
    _append(workbook, datetime(2030, 5, 1), "y2030")
    app = zipfile.ZipFile(workbook).read("docProps/app.xml").decode()
    assert "<vt:i4>5</vt:i4>" in app and 'vector size="6" baseType="lpstr"' in app
    assert "<vt:lpstr>Change log</vt:lpstr><vt:lpstr>Change log 2029</vt:lpstr>" \
           "<vt:lpstr>'Change log'!Print_Titles</vt:lpstr>" in app
    assert openpyxl.load_workbook(workbook).sheetnames[-1] == f"{s.LOG_SHEET} 2029"


def test_libreoffice_reads_every_year_of_the_log(workbook: Path, tmp_path: Path) -> None:
    office.tool("soffice")  # before the slow part: skips (or fails) at once without LibreOffice
    ids = log_rows_by_other_program(workbook, per_year=5, years=3)
    for text in ("Filed", "Appended to the compressed rows"):  # the second takes the no-inflate path
        submit_update(Store.for_workbook(workbook), "L7", {s.NEXT_STEPS: text}, by="Helen Lowey", via=s.VIA_CLI)
    out = office.convert([workbook], office.CSV_FILTER, tmp_path / "csv", tmp_path / "lo")
    seen = []
    for year in (THIS_YEAR - 2, THIS_YEAR - 1):
        with open(out / f"{workbook.stem}-{s.LOG_SHEET} {year}.csv", encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        assert tuple(rows[0][:8]) == LogRow.HEADER
        seen += [r[7] for r in rows[1:]]
    with open(out / f"{workbook.stem}-{s.LOG_SHEET}.csv", encoding="utf-8", newline="") as handle:
        seen += [r[7] for r in list(csv.reader(handle))[1:]]
    assert seen[:len(ids)] == ids and len(seen) == len(ids) + 2


def test_crc32_combine_agrees_with_zlib() -> None:
    generator = random.Random(8)
    for _ in range(50):
        first, second = generator.randbytes(generator.randint(0, 5000)), generator.randbytes(generator.randint(0, 5000))
        assert crc32_combine(zlib.crc32(first), zlib.crc32(second), len(second)) == zlib.crc32(first + second)


def log_entry(path: Path) -> zipfile.ZipInfo:
    part = Package(path).sheet_parts[s.LOG_SHEET]
    return zipfile.ZipFile(path).getinfo(part)


def test_rows_are_appended_without_inflating_the_log(workbook: Path) -> None:
    store = Store.for_workbook(workbook)
    for n in range(3):
        submit_update(store, "L7", {s.NEXT_STEPS: f"Step {n}"}, by="Helen Lowey", via=s.VIA_CLI)
    info = log_entry(workbook)
    assert info.comment.startswith(b"sli-append 1 ")
    before = compressed_bytes(workbook)[info.filename][1]
    rows_end = int(info.comment.split()[3])  # where the compressed rows end (the tail follows)
    package = Package(workbook)
    columns = package.header_columns(s.LOG_SHEET, LogRow.HEADER)
    rows = [{columns["Update ID"]: "appended", columns[LogRow.HEADER[0]]: datetime.now(UTC).replace(tzinfo=None)}]
    assert file_log_years(package, rows) == {}
    package.append_rows(s.LOG_SHEET, rows)
    assert info.filename not in package.parts.inflated()
    package.write(workbook.with_name("next.xlsx"))
    after = compressed_bytes(workbook.with_name("next.xlsx"))[info.filename][1]
    head_size = int(info.comment.split()[2])
    assert before[head_size:rows_end] in after  # the old rows' compressed bytes, kept as they were
    check_zip(workbook.with_name("next.xlsx"))  # inflates every part and checks the combined CRC
    ids = [row.update_id for row in read_change_log(workbook.with_name("next.xlsx"))]
    assert len(ids) == 4 and ids[-1] == "appended"
    rows = list(openpyxl.load_workbook(workbook.with_name("next.xlsx"))[s.LOG_SHEET].iter_rows(values_only=True))
    assert [r[7] for r in rows[1:]] == ids
    assert openpyxl.load_workbook(workbook.with_name("next.xlsx"))[s.LOG_SHEET].max_row == 5


def test_a_comment_that_does_not_match_the_part_is_not_believed(workbook: Path) -> None:
    store = Store.for_workbook(workbook)
    submit_update(store, "L7", {s.NEXT_STEPS: "Written in segments"}, by="Helen Lowey", via=s.VIA_CLI)
    info = log_entry(workbook)
    fields = info.comment.split()
    fields[-2] = str((int(fields[-2]) + 1) & 0xFFFFFFFF).encode()  # a wrong CRC for the rows
    source = io.BytesIO(workbook.read_bytes())
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(workbook, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            if item.filename == info.filename:
                item.comment = b" ".join(fields)
            new.writestr(item, old.read(item))
    submit_update(store, "L7", {s.NEXT_STEPS: "Written the ordinary way"}, by="Helen Lowey", via=s.VIA_CLI)
    check_zip(workbook)
    assert [row.new_value for row in read_change_log(workbook)] == ["Written in segments", "Written the ordinary way"]
    assert log_entry(workbook).comment.startswith(b"sli-append 1 ")  # segments again, for the next one


class _Unseekable(io.RawIOBase):
    """A write-only stream zipfile cannot seek in, so it writes data descriptors after each part."""

    def __init__(self) -> None:
        self.buffer = io.BytesIO()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        return self.buffer.write(data)


def test_parts_with_data_descriptors_and_zip64_extras_are_copied(workbook: Path, tmp_path: Path) -> None:
    """Zips written by streaming tools put CRC and sizes after the data (flag 0x08), and some add zip64
    extra fields; the raw copy must write a plain local header with the known CRC and sizes instead."""
    stream = _Unseekable()
    with zipfile.ZipFile(workbook) as old, zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            with new.open(zipfile.ZipInfo(info.filename, info.date_time), "w", force_zip64=True) as part:
                part.write(old.read(info))
    workbook.write_bytes(stream.buffer.getvalue())
    with zipfile.ZipFile(workbook) as streamed:
        assert all(info.flag_bits & 0x08 for info in streamed.infolist())
    before = compressed_bytes(workbook)
    package = Package(workbook)
    package.edit_cells(s.MAIN_SHEET, {"H7": "After a streamed zip"})
    out = tmp_path / "out.xlsx"
    package.write(out)
    check_zip(out)
    after = compressed_bytes(out)
    main_part = package.sheet_parts[s.MAIN_SHEET]
    assert all(after[name] == before[name] for name in before if name != main_part)
    with zipfile.ZipFile(out) as written:
        assert not any(info.flag_bits & 0x08 for info in written.infolist())
    assert openpyxl.load_workbook(out)[s.MAIN_SHEET]["H7"].value == "After a streamed zip"
