"""Reading Appendix 1 does not grow with the history: only its sheets and the shared strings they use are read
(`shared.xlsx.reduced`), with exactly the values python-calamine gives for the whole file, whoever saved it."""

from __future__ import annotations

import io
import shutil
import struct
import zipfile
from datetime import date, datetime, time
from pathlib import Path

import office
import openpyxl
import pytest
import python_calamine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

import sli
from shared import reader
from shared.domain import schema as s
from shared.usecases import Store, submit_update
from shared.xlsx.reduced import Parts, reduced_package

SHEETS = reader.APPENDIX_SHEETS


def assert_same_as_calamine(path: Path) -> None:
    """The reduced package gives each Appendix sheet's grid and origin exactly as calamine gives them for the
    whole file, and so the same Appendix (rows, lists, leads)."""
    full = python_calamine.CalamineWorkbook.from_path(str(path))
    with zipfile.ZipFile(path) as archive:
        package = reduced_package(Parts(archive), SHEETS)
    small = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(package))
    assert small.sheet_names == full.sheet_names
    for name in SHEETS:
        if name not in full.sheet_names:
            continue
        whole, part = full.get_sheet_by_name(name), small.get_sheet_by_name(name)
        assert part.to_python(skip_empty_area=True) == whole.to_python(skip_empty_area=True), name
        assert part.start == whole.start, name
    with zipfile.ZipFile(io.BytesIO(package)) as archive, zipfile.ZipFile(path) as source:
        log_part = [n for n in source.namelist() if n.startswith("xl/worksheets/sheet")]
        assert len([n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]) < len(log_part)


def assert_same_appendix(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = reader._appendix_of(reader._open(path), path)
    monkeypatch.setattr(reader, "REDUCE_ABOVE", -1)
    reduced = reader._build_appendix(path)
    assert {ref: row.values for ref, row in reduced.rows.items()} == \
        {ref: row.values for ref, row in whole.rows.items()}
    assert (reduced.statuses, reduced.lead_orgs, reduced.priorities, reduced.leads) == \
        (whole.statuses, whole.lead_orgs, whole.priorities, whole.leads)


_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff") | st.just("\n"),
                max_size=30)
_VALUE = st.one_of(
    st.none(), _TEXT, st.sampled_from(["=1+1", "'quoted", "12/3", "TRUE", "  spaced  ", "007"]),
    st.integers(-10**12, 10**12), st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15),
    st.booleans(), st.dates(date(1900, 3, 1), date(2200, 1, 1)),
    st.datetimes(datetime(1900, 3, 1), datetime(2200, 1, 1)).map(lambda d: d.replace(microsecond=0)),
    st.times().map(lambda t: t.replace(microsecond=0)), st.sampled_from(["#N/A", "#DIV/0!", "#REF!", "#VALUE!"]),
    st.lists(_TEXT.filter(bool), min_size=1, max_size=3).map(
        lambda runs: CellRichText([TextBlock(InlineFont(b=i % 2 == 0), t) for i, t in enumerate(runs)])),
)


_M = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def share_all_strings(path: Path) -> Path:
    """Every inline string of every sheet moved into xl/sharedStrings.xml, as Excel and LibreOffice save a
    workbook (this openpyxl writes inline strings), runs and all; a string used twice is shared once."""
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info.filename) for info in source.infolist()}
    sst = etree.Element(f"{_M}sst", nsmap={None: _M[1:-1]})
    index: dict[bytes, int] = {}
    for name in [n for n in parts if n.startswith("xl/worksheets/") and n.endswith(".xml")]:
        root = etree.fromstring(parts[name])
        for cell in root.iter(f"{_M}c"):
            inline = cell.find(f"{_M}is")
            if cell.get("t") != "inlineStr" or inline is None:
                continue
            inline.tag = f"{_M}si"
            key = etree.tostring(inline)
            if key not in index:
                index[key] = len(index)
                sst.append(etree.fromstring(key))
            cell.remove(inline)
            cell.set("t", "s")
            etree.SubElement(cell, f"{_M}v").text = str(index[key])
        parts[name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    sst.set("count", str(len(index)))
    sst.set("uniqueCount", str(len(index)))
    parts["xl/sharedStrings.xml"] = etree.tostring(sst, xml_declaration=True, encoding="UTF-8", standalone=True)
    rels = parts["xl/_rels/workbook.xml.rels"]
    if b"sharedStrings" not in rels:
        parts["xl/_rels/workbook.xml.rels"] = rels.replace(b"</Relationships>", (
            b'<Relationship Id="rIdSst" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            b'sharedStrings" Target="sharedStrings.xml"/></Relationships>'))
        parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(b"</Types>", (
            b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            b'spreadsheetml.sharedStrings+xml"/></Types>'))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return path


def openpyxl_workbook(path: Path, values: dict[str, list[object]], log_rows: int) -> Path:
    """A workbook as openpyxl saves it (every string shared, the history's included), `values` down a
    column of each named sheet after rows of history text in the Change log."""
    book = openpyxl.Workbook()
    book.active.title = s.MAIN_SHEET
    for name in (s.LISTS_SHEET, s.LEADS_SHEET, s.LOG_SHEET):
        book.create_sheet(name)
    log = book[s.LOG_SHEET]
    for n in range(log_rows):
        log.append([datetime(2026, 1, 1), f"L{n % 22 + 1}", f"History text number {n} of the year's work"])
    for name, column in values.items():
        sheet = book[name]
        for row, value in enumerate(column, start=2):
            sheet.cell(row, 3, value)
            if isinstance(value, str) and value:
                sheet.cell(row, 5, value.upper())  # a string used twice: one shared string, two cells
    book.save(path)
    return path


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(main=st.lists(_VALUE, max_size=12), lists=st.lists(_VALUE, max_size=6), leads=st.lists(_VALUE, max_size=6),
       log_rows=st.integers(0, 40))
def test_the_reduced_read_gives_calamines_values_for_any_cells_openpyxl_saves(
        tmp_path: Path, main: list, lists: list, leads: list, log_rows: int) -> None:
    path = openpyxl_workbook(tmp_path / "any.xlsx", {s.MAIN_SHEET: main, s.LISTS_SHEET: lists,
                                                     s.LEADS_SHEET: leads}, log_rows)
    assert_same_as_calamine(path)
    assert_same_as_calamine(share_all_strings(path))


def test_the_reduced_read_gives_the_same_appendix_for_the_workbook_as_sli_and_openpyxl_save_it(
        workbook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert_same_as_calamine(workbook)
    assert_same_appendix(workbook, monkeypatch)
    for ref, text in (("L7", "-- check"), ("L8", "12/3"), ("L9", "Line one\nline two"), ("L3", "'kept")):
        assert submit_update(Store.for_workbook(workbook), ref, {s.NEXT_STEPS: text}, by="Helen Lowey",
                             via=s.VIA_CLI).state == "applied"
    assert_same_as_calamine(workbook)
    assert_same_appendix(workbook, monkeypatch)
    resaved = tmp_path / "openpyxl.xlsx"
    openpyxl.load_workbook(workbook).save(resaved)
    assert_same_as_calamine(resaved)
    assert_same_appendix(resaved, monkeypatch)
    assert_same_as_calamine(share_all_strings(resaved))
    assert_same_appendix(resaved, monkeypatch)


def test_the_reduced_read_gives_the_same_appendix_for_workbooks_libreoffice_saved(
        workbook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    office.tool("soffice")
    for ref, text in (("L7", "-- check"), ("L8", "12/3"), ("L9", "Line one\nline two")):
        assert submit_update(Store.for_workbook(workbook), ref, {s.NEXT_STEPS: text}, by="Helen Lowey",
                             via=s.VIA_CLI).state == "applied"
    sources = tmp_path / "sources"
    sources.mkdir()
    shutil.copy2(workbook, sources / "sli.xlsx")
    varied = [None, "text", "=1+1", 3, 2.5, True, False, date(2026, 3, 1), datetime(2026, 3, 1, 9, 30),
              time(12, 15), "#N/A", CellRichText([TextBlock(InlineFont(b=True), "bold"), " and plain"]), "007"]
    openpyxl_workbook(sources / "varied.xlsx", {s.MAIN_SHEET: varied, s.LISTS_SHEET: varied[:6],
                                                s.LEADS_SHEET: varied[6:]}, 200)
    out = office.convert([sources / "sli.xlsx", sources / "varied.xlsx"], "xlsx", tmp_path / "saved",
                         tmp_path / "profile")
    with zipfile.ZipFile(out / "sli.xlsx") as archive:
        assert b"t=\"inlineStr\"" not in archive.read("xl/worksheets/sheet1.xml")  # LibreOffice shared them all
    for path in (out / "sli.xlsx", out / "varied.xlsx"):
        assert_same_as_calamine(path)
    assert_same_appendix(out / "sli.xlsx", monkeypatch)


def _damage_shared_strings_tail(path: Path) -> None:
    """Overwrite the last compressed bytes of xl/sharedStrings.xml: inflating the whole part fails."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/sharedStrings.xml")
    raw = bytearray(path.read_bytes())
    name_length, extra_length = struct.unpack_from("<HH", raw, info.header_offset + 26)  # the local header's
    start = info.header_offset + 30 + name_length + extra_length
    end = start + info.compress_size
    raw[end - 2000:end] = bytes(2000)
    path.write_bytes(bytes(raw))


def _history_saved_with_shared_strings(workbook: Path, target: Path) -> Path:
    """The workbook with 6,000 rows of history, every string shared, as a spreadsheet program saves it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    book = openpyxl.load_workbook(workbook)
    log = book[s.LOG_SHEET]
    for n in range(6000):
        log.append([datetime(2026, 1, 1), f"L{n % 22 + 1}", s.NEXT_STEPS, f"Old text of the history, {n}",
                    f"New text of the history, number {n}", "Helen Lowey", "CLI", f"u{n:06d}"])
    book.save(target)
    return share_all_strings(target)


def test_an_update_sizes_its_row_from_only_the_shared_strings_the_row_uses(workbook: Path, tmp_path: Path) -> None:
    """The row-height estimate reads the shared strings only as far as the row it sizes: once the file is
    ours (its shared strings' count kept apart from their text), an update never reaches the history's strings,
    here made impossible to inflate."""
    saved = _history_saved_with_shared_strings(workbook, tmp_path / "saved" / "Appendix1.xlsx")
    assert sli.main(["update", "L7", "--next", "Agree the audit", "--by", "Helen Lowey",
                     "--workbook", str(saved)]) == sli.EXIT_OK
    _damage_shared_strings_tail(saved)
    reader._cache.clear()
    assert sli.main(["update", "L8", "--next", "Share the audit", "--by", "Helen Lowey",
                     "--workbook", str(saved)]) == sli.EXIT_OK
    reader._cache.clear()
    rows = reader.read_appendix(saved).rows
    assert (rows["L7"].values[s.NEXT_STEPS], rows["L8"].values[s.NEXT_STEPS]) == ("Agree the audit", "Share the audit")


def test_status_reads_only_the_shared_strings_appendix_1_uses(workbook: Path, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture) -> None:
    """After a spreadsheet program saves the file every string of the history is shared; `sli status` reads
    only as far as Appendix 1's: a table whose end could not even be inflated is never reached."""
    resaved = _history_saved_with_shared_strings(workbook, tmp_path / "saved" / "Appendix1.xlsx")
    expected = reader.read_appendix(resaved).rows["L7"].values[s.SUMMARY]
    _damage_shared_strings_tail(resaved)
    reader._cache.clear()
    assert sli.main(["status", "7", "--workbook", str(resaved)]) == sli.EXIT_OK
    out = capsys.readouterr().out
    assert str(expected).split("\n")[0][:40] in out


def test_the_status_after_an_update_parses_nothing(workbook: Path, capsys: pytest.CaptureFixture) -> None:
    """The writer fills the read cache with what it saved: the status asked next reads no sheet."""
    assert sli.main(["update", "L7", "--next", "Agree the audit", "--by", "Helen Lowey",
                     "--workbook", str(workbook)]) == sli.EXIT_OK
    before = reader.parse_count
    assert sli.main(["status", "7", "--workbook", str(workbook)]) == sli.EXIT_OK
    assert "Agree the audit" in capsys.readouterr().out
    assert reader.parse_count == before
    reader._cache.clear()
    assert reader.read_appendix(workbook).rows["L7"].values[s.NEXT_STEPS] == "Agree the audit"


def test_status_after_a_spreadsheet_program_saved_parses_no_shared_strings(workbook: Path, tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Appendix 1's shared strings are cut from the table by finding the items' end tags (issue 18: the status
    after LibreOffice's save cost a third more than after ours): `sli status` and `sli update` parse none of
    the table with lxml, and show and write the same texts."""
    resaved = _history_saved_with_shared_strings(workbook, tmp_path / "saved" / "Appendix1.xlsx")
    expected = reader.read_appendix(resaved).rows["L7"].values[s.SUMMARY]
    reader._cache.clear()
    parsed: list[object] = []
    real = etree.iterparse
    monkeypatch.setattr(etree, "iterparse", lambda source, *a, **k: parsed.append(source) or real(source, *a, **k))
    assert sli.main(["status", "7", "--workbook", str(resaved)]) == sli.EXIT_OK
    assert str(expected).split("\n")[0][:40] in capsys.readouterr().out
    assert sli.main(["update", "L7", "--next", "Agree the audit", "--by", "Helen Lowey",
                     "--workbook", str(resaved)]) == sli.EXIT_OK
    assert parsed == []
    reader._cache.clear()
    assert reader.read_appendix(resaved).rows["L7"].values[s.NEXT_STEPS] == "Agree the audit"


def _foreign_items(path: Path, declare_on_item: bool) -> None:
    """Put an element named `si` of another namespace inside every shared string item (as an extension a
    program added might be): its end tag `</y:si>` (or `</si>` in its own default namespace) is not an item's."""
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info.filename) for info in source.infolist()}
    strings = parts["xl/sharedStrings.xml"]
    if declare_on_item:
        strings = strings.replace(b"</si>", b'<si xmlns="urn:sli-test">x</si></si>')
    else:
        strings = strings.replace(b"<sst ", b'<sst xmlns:y="urn:sli-test" ', 1)
        strings = strings.replace(b"</si>", b"<y:si>x</y:si></si>")
    parts["xl/sharedStrings.xml"] = strings
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)


@pytest.mark.parametrize("declare_on_item", [False, True])
def test_an_element_named_si_of_another_namespace_does_not_end_a_shared_string(
        workbook: Path, tmp_path: Path, capsys: pytest.CaptureFixture, declare_on_item: bool) -> None:
    """Only the shared strings' own `</si>` ends an item: another namespace's `si` inside one does not cut
    the table short (status would show Appendix 1 with its last strings missing)."""
    resaved = _history_saved_with_shared_strings(workbook, tmp_path / "saved" / "Appendix1.xlsx")
    _foreign_items(resaved, declare_on_item)
    assert_same_as_calamine(resaved)
    expected = reader._appendix_of(reader._open(resaved), resaved).rows["L7"].values[s.SUMMARY]
    reader._cache.clear()
    assert sli.main(["status", "7", "--workbook", str(resaved)]) == sli.EXIT_OK
    assert str(expected).split("\n")[0][:40] in capsys.readouterr().out
