"""The status right after another process's update (the bot answering after `sli update` or the add-in wrote)
reads again only what that update changed, on a workbook whose strings a spreadsheet program shared: Lists and
Leads are not parsed again, the shared strings are inflated only as far as they are kept, and what is read is
still exactly what the whole file says."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
from hypothesis import given, settings
from hypothesis import strategies as st
from test_reduced_read import _history_saved_with_shared_strings, assert_same_as_calamine, share_all_strings

import sli
from shared import reader
from shared.domain import schema as s
from shared.xlsx import reduced
from shared.xlsx.reduced import highest_shared_index, highest_shared_index_of_any_spelling
from shared.xlsx.stringscan import strings_prefix

ROOT = Path(__file__).resolve().parents[1]


def _update_from_another_process(book: Path, ref: str, text: str) -> None:
    """`sli update` in a process of its own: this process's read cache knows nothing of its save."""
    done = subprocess.run([sys.executable, "-m", "sli", "update", ref, "--next", text, "--by", "Helen Lowey",
                           "--workbook", str(book)], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == sli.EXIT_OK, done.stderr


def _whole(book: Path):
    """Appendix 1 as calamine reads the whole file, none of the reduced read's shortcuts taken."""
    return reader._appendix_of(reader._open(book), book)


def _same(read, whole) -> None:
    assert {ref: row.values for ref, row in read.rows.items()} == {ref: row.values for ref, row in whole.rows.items()}
    assert (read.statuses, read.lead_orgs, read.priorities, read.leads, read.roles, read.boards) == \
        (whole.statuses, whole.lead_orgs, whole.priorities, whole.leads, whole.roles, whole.boards)


def test_the_status_after_another_process_updated_parses_appendix_1_alone(workbook: Path, tmp_path: Path,
                                                                         capsys) -> None:
    book = _history_saved_with_shared_strings(workbook, tmp_path / "saved" / "Appendix1.xlsx")
    reader._cache.clear()
    assert sli.main(["status", "7", "--workbook", str(book)]) == sli.EXIT_OK
    for n, ref in enumerate(("L8", "L9")):
        _update_from_another_process(book, ref, f"Agree the audit, round {n}")
        before = reader.parse_count
        assert sli.main(["status", ref[1:], "--workbook", str(book)]) == sli.EXIT_OK
        assert f"Agree the audit, round {n}" in capsys.readouterr().out
        assert reader.parse_count - before == 1  # Appendix 1; Lists and Leads as read before
        _same(reader.read_appendix(book), _whole(book))


def _rename_in_shared_strings(book: Path, old: bytes, new: bytes) -> None:
    """Replace a text in xl/sharedStrings.xml by another of the same length, as another program might: the part
    keeps its size, only its bytes (and CRC) change."""
    assert len(old) == len(new)
    with zipfile.ZipFile(book) as source:
        parts = {info.filename: source.read(info.filename) for info in source.infolist()}
    assert old in parts["xl/sharedStrings.xml"]
    parts["xl/sharedStrings.xml"] = parts["xl/sharedStrings.xml"].replace(old, new)
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)


def test_a_lead_renamed_in_the_shared_strings_is_read_again(workbook: Path, tmp_path: Path) -> None:
    """Lists and Leads are reused only while the shared strings they use are the same bytes: a name changed in
    the table alone (Leads' own part unchanged) is read as changed."""
    book = _history_saved_with_shared_strings(workbook, tmp_path / "saved" / "Appendix1.xlsx")
    reader._cache.clear()
    lead = reader.read_appendix(book).leads[0]
    name = lead.name.encode()
    renamed = name[:-1] + (b"X" if name[-1:] != b"X" else b"Y")
    _rename_in_shared_strings(book, b">" + name + b"<", b">" + renamed + b"<")
    reader._cache.clear()
    read = reader.read_appendix(book)
    assert read.leads[0].name == renamed.decode()
    _same(read, _whole(book))
    assert_same_as_calamine(book)


class _Counting(io.BytesIO):
    """A part being inflated: counts the bytes asked for."""

    asked = 0

    def read(self, size: int = -1) -> bytes:
        data = super().read(size)
        self.asked += len(data)
        return data


def test_the_shared_strings_are_inflated_only_about_as_far_as_kept(workbook: Path, tmp_path: Path) -> None:
    book = _history_saved_with_shared_strings(workbook, tmp_path / "saved" / "Appendix1.xlsx")
    with zipfile.ZipFile(book) as archive:
        table = archive.read("xl/sharedStrings.xml")
    assert len(table) > 1 << 18
    for last in (3, 200, 2000):
        source = _Counting(table)
        kept = strings_prefix(source, last)
        assert kept is not None and kept.count(b"</si>") == last + 1
        assert source.asked <= 2 * len(kept) + (1 << 14), (last, source.asked, len(kept))


def test_a_comment_after_the_kept_strings_does_not_stop_the_scan_one_before_does() -> None:
    items = b"".join(b"<si><t>item %d</t></si>" % n for n in range(50))
    head = b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    after = head + items + b"<!-- </si> -->" + items + b"</sst>"
    assert strings_prefix(io.BytesIO(after), 9) == head + items[:items.index(b"<si><t>item 10<")] + b"</sst>"
    before = head + b"<!-- </si> -->" + items + b"</sst>"
    assert strings_prefix(io.BytesIO(before), 9) is None


_SPELLINGS = st.sampled_from([
    '<c r="A{n}" s="1" t="s"><v>{v}</v></c>',  # Excel, LibreOffice
    '<c r="A{n}" t="s"><v>{v}</v></c>',
    "<c r='A{n}' t='s'><v>{v}</v></c>",
    '<c r="A{n}" t = "s" ><v> {v} </v></c>',
    '<x:c r="A{n}" t="s"><x:v>{v}</x:v></x:c>',
    '<c r="A{n}"\nt="s"><v>{v}</v></c>',
    '<c r="A{n}" t="s"/>',  # no value: the scan is unsure
    '<c r="A{n}" t="n"><v>{v}</v></c>',
    '<c r="A{n}" t="inlineStr"><is><t>say t="s"&gt;{v}</t></is></c>',
    '<c r="A{n}" t="inlineStr"><is><t>"s"</t></is></c>',
])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_SPELLINGS, st.integers(0, 10**6)), max_size=8))
def test_the_quick_scan_for_shared_indices_finds_what_the_full_one_finds(cells) -> None:
    """The usual spelling is found by its literal start; any other spelling in the sheet, or a text that looks
    like one, falls back to the scan that knows them all: the same highest index, or the same None."""
    xml = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">'
           + "".join(form.format(n=n, v=v) for n, (form, v) in enumerate(cells, start=1))
           + "</row></sheetData></worksheet>").encode()
    assert highest_shared_index(xml) == highest_shared_index_of_any_spelling(xml)


def test_the_sheet_list_is_not_parsed_again_when_an_update_moved_only_the_log_filter(
        workbook: Path, tmp_path: Path, monkeypatch) -> None:
    """An update moves the Change log's hidden `_FilterDatabase` range in xl/workbook.xml; the sheet list is
    remembered without the defined names, so the status after another process's update does not parse
    xl/workbook.xml again (main: at every such read). A save that renames a sheet is still read anew."""
    from shared.xlsx import sheets

    book = _history_saved_with_shared_strings(workbook, tmp_path / "saved" / "Appendix1.xlsx")
    _with_log_filter(book)
    # The first update writes xl/workbook.xml as this product serialises it (other bytes than openpyxl's).
    _update_from_another_process(book, "L7", "Agree the audit")
    reader._cache.clear()
    reader.read_appendix(book)
    listed = []
    real = sheets.Sheets._list
    monkeypatch.setattr(sheets.Sheets, "_list", lambda self: listed.append(1) or real(self))
    filters = []
    for n, ref in enumerate(("L8", "L9")):
        _update_from_another_process(book, ref, f"Agree the audit, round {n}")
        with zipfile.ZipFile(book) as archive:
            filters.append(archive.read("xl/workbook.xml").split(b"_FilterDatabase")[1][:200])
        _same(reader.read_appendix(book), _whole(book))
    assert filters[0] != filters[1]  # the update did move the filter's range
    assert listed == []

    with zipfile.ZipFile(book) as source:
        parts = {"xl/workbook.xml": source.read("xl/workbook.xml")}
    _rewrite(book, "xl/workbook.xml", parts["xl/workbook.xml"].replace(b'name="Leads"', b'name="Lead partners"'))
    read = reader.read_appendix(book)
    assert listed == [1]  # another sheet list: parsed
    _same(read, _whole(book))


def _rewrite(book: Path, part: str, data: bytes) -> None:
    """The workbook saved again with `part` replaced by `data` (every other part as it was)."""
    with zipfile.ZipFile(book) as source:
        parts = {info.filename: source.read(info.filename) for info in source.infolist()}
    parts[part] = data
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as target:
        for name, content in parts.items():
            target.writestr(name, content)


def _with_log_filter(book: Path) -> None:
    """The Change log filtered over all its rows, as an officer's save of a filtered log leaves it: the sheet's
    `autoFilter` and the hidden `_FilterDatabase` name beside it (openpyxl writes both), whose range each
    update then moves."""
    saved = openpyxl.load_workbook(book)
    log = saved[s.LOG_SHEET]
    log.auto_filter.ref = f"A1:H{log.max_row}"
    saved.save(book)
    share_all_strings(book)


def test_only_a_defined_names_block_of_plain_names_is_left_out_of_the_sheet_list_key() -> None:
    from shared.xlsx.sheets import _list_key

    head, tail = b'<workbook><sheets><sheet name="A" r:id="rId1"/></sheets>', b"<calcPr/></workbook>"
    plain = b'<definedNames><definedName name="x" localSheetId="0">A!$A$1:$H$9</definedName><definedName name="y"/>' \
        b"</definedNames>"
    assert _list_key(head + plain + tail) == head + tail
    for unusual in (b'<definedNames><sheet name="B" r:id="rId2"/></definedNames>',
                    b"<definedNames><!-- a comment --></definedNames>",
                    b'<definedNames><definedName name="x"><![CDATA[A]]></definedName></definedNames>'):
        assert _list_key(head + unusual + tail) == head + unusual + tail


def test_after_another_process_updated_the_kept_strings_are_compared_not_scanned(workbook: Path, tmp_path: Path,
                                                                                  monkeypatch) -> None:
    """An update changes the shared strings table's counts and adds at its end: the cold read after it inflates
    only the table's start as far as the strings it kept, compares them, and scans nothing (reading 16 KB and
    more, and finding every item's end, was a fifth of that read)."""
    book = _history_saved_with_shared_strings(workbook, tmp_path / "saved" / "Appendix1.xlsx")
    reader._cache.clear()
    reader.read_appendix(book)
    with zipfile.ZipFile(book) as archive:
        before = archive.getinfo("xl/sharedStrings.xml").CRC
    _update_from_another_process(book, "L8", "A text no cell held before")
    with zipfile.ZipFile(book) as archive:
        assert archive.getinfo("xl/sharedStrings.xml").CRC != before
    asked: list[int] = []
    real_stream = reduced.Parts.stream

    def counting_stream(self, name: str):
        source = real_stream(self, name)
        real_read = source.read

        def read(size: int = -1) -> bytes:
            data = real_read(size)
            asked.append(len(data))
            return data
        source.read = read
        return source
    monkeypatch.setattr(reduced.Parts, "stream", counting_stream)
    read = reader.read_appendix(book)
    monkeypatch.undo()
    with zipfile.ZipFile(book) as archive:  # the strings that read used, and a scan of the part for as many
        used = reduced.Reduction(reduced.Parts(archive)).strings_for(reader.APPENDIX_SHEETS)
        assert used == strings_prefix(archive.open("xl/sharedStrings.xml"), used.count(b"</si>") - 1)
    assert sum(asked) <= len(used) + 64, (sum(asked), len(used))
    _same(read, _whole(book))
    assert_same_as_calamine(book)
