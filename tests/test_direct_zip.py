"""A cold read opens the file another process wrote without zipfile (issue 18): `DirectZip` reads the parts it
asks for straight from the central directory, and gives what zipfile gives for them; any layout it does not
know (a comment, zip64 records, a name twice) is zipfile's again. The reduced package takes a part's CRC from
the directory instead of working it out again, and the parts that never change stay kept however many reads
find Appendix 1 changed. What the read gives stays exactly what calamine reads."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from test_cold_read import _same, _update_from_another_process, _whole
from test_reduced_read import _history_saved_with_shared_strings, assert_same_as_calamine

from shared import reader
from shared.xlsx import reduced, storedzip
from shared.xlsx.directory import DirectZip, open_direct


def _same_as_zipfile(book: Path) -> None:
    with zipfile.ZipFile(book) as expected, open_direct(book) as direct:
        assert isinstance(direct, DirectZip)
        assert direct.namelist() == expected.namelist()
        for name in expected.namelist():
            info, entry = expected.getinfo(name), direct.getinfo(name)
            assert (entry.CRC, entry.file_size, entry.compress_size) == (info.CRC, info.file_size, info.compress_size)
            whole = expected.read(name)
            assert direct.read(name) == whole
            for size in (1, 7, 4096, 1 << 16, -1):  # a stream read in pieces gives the same bytes
                with direct.open(name) as stream:
                    pieces = []
                    while piece := stream.read(size):
                        pieces.append(piece)
                        if size < 0:
                            break
                assert b"".join(pieces) == whole, (name, size)


def test_a_part_read_directly_is_what_zipfile_reads(workbook: Path, tmp_path: Path) -> None:
    _same_as_zipfile(workbook)
    saved = _history_saved_with_shared_strings(workbook, tmp_path / "saved" / "Appendix1.xlsx")
    _same_as_zipfile(saved)
    _update_from_another_process(saved, "L8", "Written by another process")
    _same_as_zipfile(saved)
    stored = tmp_path / "stored.xlsx"
    with zipfile.ZipFile(workbook) as source, zipfile.ZipFile(stored, "w", zipfile.ZIP_STORED) as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info.filename))
    _same_as_zipfile(stored)


def _rewritten(workbook: Path, target: Path, comment: bytes = b"", twice: str | None = None) -> Path:
    with zipfile.ZipFile(workbook) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            out.writestr(info.filename, source.read(info.filename))
        if twice is not None:
            with pytest.warns(UserWarning):
                out.writestr(twice, source.read(twice))
        out.comment = comment
    return target


def test_an_unusual_layout_is_read_by_zipfile(workbook: Path, tmp_path: Path) -> None:
    for book in (_rewritten(workbook, tmp_path / "comment.xlsx", comment=b"saved by hand"),
                 _rewritten(workbook, tmp_path / "twice.xlsx", twice="xl/styles.xml")):
        with open_direct(book) as archive:
            assert isinstance(archive, zipfile.ZipFile)
        reader._cache.clear()
        assert_same_as_calamine(book)


def test_a_part_whose_crc_is_wrong_reads_as_calamine_reads_it(workbook: Path, tmp_path: Path) -> None:
    """Calamine does not check a part's CRC; neither does the direct read, so both read the same values (zipfile
    refused the part, and the whole file was read instead: the same values again)."""
    book = _history_saved_with_shared_strings(workbook, tmp_path / "saved" / "Appendix1.xlsx")
    with zipfile.ZipFile(book) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    data = bytearray(book.read_bytes())
    struct.pack_into("<L", data, info.header_offset + 14, info.CRC ^ 1)
    at = data.find(b"PK\x01\x02")
    while at != -1:
        length = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46:at + 46 + length] == b"xl/worksheets/sheet1.xml":
            struct.pack_into("<L", data, at + 16, info.CRC ^ 1)
        at = data.find(b"PK\x01\x02", at + 4)
    book.write_bytes(bytes(data))
    reader._cache.clear()
    assert reader._reduced_sheets(book) is not None  # read in part, not whole
    _same(reader.read_appendix(book), _whole(book))


def test_the_cold_read_after_another_process_updated_parses_no_directory_and_no_crc_of_a_kept_part(
        workbook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = _history_saved_with_shared_strings(workbook, tmp_path / "saved" / "Appendix1.xlsx")
    reader._cache.clear()
    reader.read_appendix(book)
    _update_from_another_process(book, "L8", "Written by another process")
    parsed: list[int] = []
    real_parse = zipfile.ZipFile._RealGetContents

    def counting_parse(self) -> None:
        parsed.append(1)
        real_parse(self)
    crc_of: list[int] = []

    class _Zlib:
        @staticmethod
        def crc32(data: bytes, value: int = 0) -> int:
            crc_of.append(len(data))
            return zlib.crc32(data, value)
    monkeypatch.setattr(zipfile.ZipFile, "_RealGetContents", counting_parse)
    monkeypatch.setattr(storedzip, "zlib", _Zlib)
    read = reader.read_appendix(book)
    monkeypatch.undo()
    assert parsed == []
    assert len(crc_of) == 1  # the shared strings' cut, a part of its own: the others are the zip's as they are
    assert read.rows == reader._appendix_of(reader._open(book), book).rows


class _CountingZip(zipfile.ZipFile):
    """A zip that counts which parts it inflated."""

    def __init__(self, data: bytes, inflated: list[str]):
        super().__init__(io.BytesIO(data))
        self.inflated = inflated

    def read(self, name, pwd=None) -> bytes:
        self.inflated.append(name)
        return super().read(name, pwd)


def test_a_part_that_never_changes_is_inflated_once_across_cold_reads() -> None:
    """Each cold read after an update finds Appendix 1 and the sheet list changed, and keeps them: the parts that
    never change (styles, the relationships) stay kept all the same, however many reads come."""
    inflated: list[str] = []
    for round_ in range(40):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("xl/styles.xml", b"<styleSheet>the same in every file</styleSheet>")
            archive.writestr("xl/workbook.xml", b"<workbook>filter range %d</workbook>" % round_)
            archive.writestr("xl/worksheets/sheet1.xml", b"<worksheet>update %d</worksheet>" % round_)
        parts = reduced.Parts(_CountingZip(out.getvalue(), inflated))
        for name in ("xl/workbook.xml", "xl/styles.xml", "xl/worksheets/sheet1.xml", "xl/styles.xml"):
            parts.get(name)
    assert inflated.count("xl/styles.xml") == 1
    assert inflated.count("xl/workbook.xml") == 40
