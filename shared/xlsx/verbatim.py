"""Parts copied as they lie in the old file, local headers and all: the parts that lie one after the other
there go into the new file with one kernel copy (`copy_verbatim`), and each is listed where it now lies. Only
parts whose bytes are exactly a plain local header naming them and the data (`plain_entry`, `header_names`), as
this program writes them; any other is copied part by part (`shared.xlsx.writing.copy_raw`), which writes a
plain header, or says the part is not where the directory says."""

from __future__ import annotations

import zipfile
from collections.abc import Mapping, Sequence

from shared.xlsx.entries import LOCAL_HEADER_SIZE, ZIP64_LIMIT, Source
from shared.xlsx.ooxml import PackageError


def part_ends(infos: Sequence[zipfile.ZipInfo], directory_at: int) -> Mapping[str, int]:
    """Where each part's bytes end in the old file (local header, data, any data descriptor): where the next
    part starts, or the central directory."""
    ordered = sorted(infos, key=lambda info: info.header_offset)
    return {info.filename: (ordered[at + 1].header_offset if at + 1 < len(ordered) else directory_at)
            for at, info in enumerate(ordered)}


def plain_entry(info: zipfile.ZipInfo, end: int) -> bool:
    """Whether the part can be copied as it lies and listed with the directory's entry: not encrypted, not
    zip64, an ASCII name (as every part name of a workbook is), and its bytes up to `end` (`part_ends`) exactly
    a local header with that name and no extra field, then the data: no data descriptor after it, no zip64
    extra (such a part is copied by `shared.xlsx.writing.copy_raw`, which writes a plain header instead). The
    lengths only: that the header is there and names the part is `header_names`' to check."""
    sizes = (info.file_size, info.compress_size, info.header_offset)
    return not info.flag_bits & (0x01 | 0x08) and info.orig_filename.isascii() and max(sizes) <= ZIP64_LIMIT \
        and end - info.header_offset == LOCAL_HEADER_SIZE + len(info.orig_filename) + info.compress_size


def header_names(source: Source, info: zipfile.ZipInfo) -> bool:
    """Whether a local header naming the part starts where the directory says (`plain_entry` checks only the
    lengths). One that does not is left to `shared.xlsx.writing.copy_raw`, which says the part is not where the
    directory says: copied as it lies, a damaged part would be saved into the new file as if it were whole."""
    name = info.orig_filename.encode("ascii")
    header = source.read(info.header_offset, LOCAL_HEADER_SIZE + len(name))
    return header[:4] == b"PK\x03\x04" and header[LOCAL_HEADER_SIZE:] == name


def moved_entry(info: zipfile.ZipInfo, offset: int) -> zipfile.ZipInfo:
    """The directory entry of a part copied as it is to `offset` in the new file: `info`'s fields, set one by one
    on a new entry (`ZipInfo.__init__` would check and set again a name and time that `info` had checked, and
    a loop over the fields' names cost as much again: a dozen parts an update)."""
    entry = _new_entry(zipfile.ZipInfo)
    entry.orig_filename = info.orig_filename
    entry.filename = info.filename
    entry.date_time = info.date_time
    entry.compress_type = info.compress_type
    entry._compresslevel = None  # noqa: SLF001 - as `ZipInfo.__init__` leaves it
    entry.comment = info.comment
    entry.extra = info.extra
    entry.create_system = info.create_system
    entry.create_version = info.create_version
    entry.extract_version = info.extract_version
    entry.reserved = info.reserved
    entry.flag_bits = info.flag_bits
    entry.volume = info.volume
    entry.internal_attr = info.internal_attr
    entry.external_attr = info.external_attr
    entry.CRC = info.CRC
    entry.compress_size = info.compress_size
    entry.file_size = info.file_size
    entry.header_offset = offset
    return entry


_new_entry = zipfile.ZipInfo.__new__


def copy_verbatim(source: Source, infos: Sequence[zipfile.ZipInfo], start: int, length: int,
                  archive: zipfile.ZipFile, handle) -> None:
    """Copy parts that lie one after the other in the old file (`length` bytes from `start`, the first one's
    local header), local headers and all, with one kernel copy, and list each in `archive` where it now lies
    (`plain_entry` said each can be). One call instead of one per part: a workbook's dozen small parts."""
    offset = handle.tell()
    if offset + length > ZIP64_LIMIT:
        raise PackageError("The workbook would be larger than 2 GB (a zip64 package); it cannot be updated.")
    source.copy_to(handle, start, length)
    for info in infos:
        entry = moved_entry(info, offset + info.header_offset - start)
        archive.filelist.append(entry)
        archive.NameToInfo[entry.filename] = entry
    archive.start_dir = handle.tell()
    archive._didModify = True  # noqa: SLF001 - so close() writes the central directory (see write_raw)
