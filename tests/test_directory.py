"""Opening and closing the package (issue 18): the central directory is written in one pass, zipfile's bytes; the
file an update wrote is opened by the next update in the process with the directory it wrote, not parsed again;
a part copied as it lies gets its directory entry without `ZipInfo.__init__`; a package too small to be written
ahead reads none of its parts to find that out. A file another program saved is parsed as before."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest

from shared.domain import schema as s
from shared.domain.bounded import Bounded
from shared.usecases import Store, submit_update
from shared.xlsx import Package, ahead, directory
from shared.xlsx.directory import write_directory
from shared.xlsx.verbatim import moved_entry

_SLOTS = tuple(zipfile.ZipInfo.__slots__)


def _fields(info: zipfile.ZipInfo) -> dict[str, object]:
    return {name: getattr(info, name, "unset") for name in _SLOTS}


def _update(workbook: Path, ref: str, text: str) -> None:
    result = submit_update(Store.for_workbook(workbook), ref, {s.NEXT_STEPS: text}, by="Pat Officer", via=s.VIA_CLI)
    assert result.state == "applied", result.message


def _parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One item for each central directory zipfile parses from now on."""
    parsed: list[int] = []
    real = zipfile.ZipFile._RealGetContents

    def counting(self) -> None:
        parsed.append(1)
        real(self)

    monkeypatch.setattr(zipfile.ZipFile, "_RealGetContents", counting)
    return parsed


def _entries_written(archive: zipfile.ZipFile) -> None:
    """Parts of every kind the writer lists: deflated, stored, a name that is not ASCII, a comment, an extra field,
    an odd second, a data-descriptor flag, attributes."""
    archive.writestr(zipfile.ZipInfo("xl/workbook.xml", (2024, 5, 6, 7, 8, 9)), b"<workbook/>" * 40,
                     zipfile.ZIP_DEFLATED, 1)
    stored = zipfile.ZipInfo("docProps/app.xml", (1980, 1, 1, 0, 0, 0))
    stored.comment = b"sli-head 1 2 3 4"
    stored.external_attr = 0o644 << 16
    archive.writestr(stored, b"stored bytes")
    accented = zipfile.ZipInfo("xl/media/caf\u00e9.png", (2107, 12, 31, 23, 59, 58))
    accented.extra = b"\x55\x54\x05\x00\x01\x00\x00\x00\x00"
    archive.writestr(accented, b"\x89PNG" * 10, zipfile.ZIP_DEFLATED)
    with archive.open("xl/streamed.xml", "w") as streamed:  # written with a data descriptor
        streamed.write(b"<streamed/>" * 10)


def test_the_directory_written_in_one_pass_is_zipfiles() -> None:
    """`write_directory` writes what zipfile's `close` writes after the same parts, byte for byte, and what it
    keeps of the entries is what zipfile's parse of the result gives."""
    by_zipfile, by_hand = io.BytesIO(), io.BytesIO()
    with zipfile.ZipFile(by_zipfile, "w") as archive:
        _entries_written(archive)
    archive = zipfile.ZipFile(by_hand, "w")
    _entries_written(archive)
    listing = write_directory(archive, by_hand)
    assert archive.fp is None  # closed: nothing more is written when it is dropped
    assert by_hand.getvalue() == by_zipfile.getvalue()
    assert listing is not None and by_hand.getvalue().endswith(listing.tail)
    parsed = zipfile.ZipFile(io.BytesIO(by_hand.getvalue()))
    assert [_fields(entry) for entry in listing.entries] == [_fields(info) for info in parsed.infolist()]
    assert listing.start_dir == parsed.start_dir


def test_an_empty_package_and_a_comment_are_written_as_zipfile_writes_them() -> None:
    by_zipfile, by_hand = io.BytesIO(), io.BytesIO()
    with zipfile.ZipFile(by_zipfile, "w"):
        pass
    assert write_directory(zipfile.ZipFile(by_hand, "w"), by_hand) is None  # nothing listed: nothing kept
    assert by_hand.getvalue() == by_zipfile.getvalue()
    by_zipfile, by_hand = io.BytesIO(), io.BytesIO()
    with zipfile.ZipFile(by_zipfile, "w") as archive:
        _entries_written(archive)
        archive.comment = b"a comment"
    archive = zipfile.ZipFile(by_hand, "w")
    _entries_written(archive)
    archive.comment = b"a comment"
    assert write_directory(archive, by_hand) is None  # the end record is not the file's last bytes: parsed
    assert by_hand.getvalue() == by_zipfile.getvalue()


def test_the_next_update_opens_the_file_written_without_parsing_it(workbook: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The writer keeps the directory it wrote for the file it renamed into place: the next package of that
    file in this process takes it, entry for entry what zipfile's parse gives, and does not parse it again."""
    monkeypatch.setattr(directory, "_listings", Bounded(4))
    _update(workbook, "L3", "Written by this process")
    parsed = _parses(monkeypatch)
    package = Package(workbook)
    try:
        assert parsed == []  # main parsed the directory it had just written
        infos = [_fields(info) for info in package.infos]
    finally:
        package.close()
    with zipfile.ZipFile(workbook) as archive:  # zipfile's own parse, for comparison
        assert infos == [_fields(info) for info in archive.infolist()]
        assert package.archive.start_dir == archive.start_dir
    parsed.clear()
    _update(workbook, "L4", "The file before this one is the one written")
    _update(workbook, "L5", "And again")
    assert parsed == []


def test_a_file_saved_by_another_program_is_parsed(workbook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another program's save is another file (another inode, time and bytes): its directory is parsed. So is a
    file replaced by another of the very same size, and one rewritten in place at the same size and time with
    other bytes where its directory is."""
    monkeypatch.setattr(directory, "_listings", Bounded(4))
    _update(workbook, "L3", "Written by this process")
    parsed = _parses(monkeypatch)
    written = workbook.read_bytes()
    replacement = workbook.with_name("replacement.xlsx")
    with zipfile.ZipFile(io.BytesIO(written)) as source, zipfile.ZipFile(replacement, "w") as archive:
        for info in source.infolist():  # the same parts in another file
            archive.writestr(info, source.read(info), info.compress_type)
    os.replace(replacement, workbook)
    parsed.clear()
    Package(workbook).close()
    assert parsed == [1]
    same_size = _other_directory(written)  # the same size, one attribute of the last part other
    replacement.write_bytes(same_size)
    os.replace(replacement, workbook)
    assert workbook.stat().st_size == len(written)
    package = Package(workbook)
    package.close()
    assert parsed == [1, 1]
    with zipfile.ZipFile(workbook) as archive:  # its fields as zipfile parses them
        assert [_fields(info) for info in package.infos] == [_fields(info) for info in archive.infolist()]


def _other_directory(data: bytes) -> bytes:
    """`data` with one byte of its last directory record's attributes (the part's mode) other."""
    changed = bytearray(data)
    record = data.rfind(b"PK\x01\x02")
    changed[record + 40] ^= 0x01
    return bytes(changed)


def test_a_file_rewritten_in_place_at_the_same_size_and_time_is_parsed(workbook: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The identity is only where to look: the directory's bytes are compared, so a file another program rewrote
    in place with its time put back is parsed, not taken for the one this process wrote."""
    monkeypatch.setattr(directory, "_listings", Bounded(4))
    _update(workbook, "L3", "Written by this process")
    parsed = _parses(monkeypatch)
    facts = workbook.stat()
    with open(workbook, "r+b") as rewritten:
        rewritten.write(_other_directory(workbook.read_bytes()))
    os.utime(workbook, ns=(facts.st_atime_ns, facts.st_mtime_ns))
    assert (workbook.stat().st_ino, workbook.stat().st_size, workbook.stat().st_mtime_ns) == \
        (facts.st_ino, facts.st_size, facts.st_mtime_ns)
    Package(workbook).close()
    assert parsed == [1]


def test_a_part_copied_as_it_lies_is_listed_as_the_old_one(workbook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`moved_entry` gives every field of the old entry but where the part lies, without `ZipInfo.__init__`
    (its checks of a name and time that the old entry had passed already, a dozen parts an update)."""
    with zipfile.ZipFile(workbook) as archive:
        infos = archive.infolist()
    made: list[str] = []
    real = zipfile.ZipInfo.__init__

    def counting(self, *args, **kwargs) -> None:
        made.append(args[0] if args else kwargs.get("filename", ""))
        real(self, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipInfo, "__init__", counting)
    for info in infos:
        entry = moved_entry(info, 12345)
        assert _fields(entry) == {**_fields(info), "header_offset": 12345, "_compresslevel": None,
                                  "_raw_time": "unset"}
    assert made == []


def test_a_small_package_reads_no_part_to_plan_a_write_ahead(workbook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A package whose parts are too few bytes to be written ahead, even the shared strings counted, is known as
    such from the directory alone: the shared strings' head is not read for it (the update reads it once, later)."""
    read: list[str] = []
    real = ahead.read_head_split

    def counting(source, info):
        read.append(info.filename)
        return real(source, info)

    monkeypatch.setattr(ahead, "read_head_split", counting)
    plain = workbook.with_name("plain.xlsx")
    with zipfile.ZipFile(workbook) as source, zipfile.ZipFile(plain, "w") as archive:
        for info in source.infolist():  # every part a plain entry (no data descriptor), as a head might be
            archive.writestr(info, source.read(info), info.compress_type)
    os.replace(plain, workbook)
    package = Package(workbook)
    try:
        sheets, _strings = package.edited_by_updates([s.MAIN_SHEET, s.LOG_SHEET])
        maybe = {"xl/styles.xml"}  # a part whose head an edit may change (this workbook has no shared strings)
        assert not package.write_ahead(lambda: workbook.with_name("never"), sheets, maybe)
        assert read == []
        assert ahead.plan_ahead(package._source, package.infos, package.archive.start_dir, sheets, maybe,
                                at_least=1)[0]  # planned when the bytes are enough
        assert read == ["xl/styles.xml"]  # its head looked for then
    finally:
        package.close()
