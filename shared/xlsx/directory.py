"""The central directory: written in one pass at the end of a save, and kept for the file the save wrote, so the
next update in this process opens that file without parsing its directory again.

zipfile's `close` wrote the directory four pieces a part through `_write_end_record` (the name encoded, the
flags worked out, a zip64 check, each piece one call); `write_directory` packs each part's record once and
hands the directory and the end record to the file in one write: zipfile's bytes, byte for byte (a package
that would need zip64 records, or a part compressed otherwise than stored or deflated, is left to zipfile's
`close`). `tests/test_directory.py` compares the two.

Every update of a workbook opens the file the last update wrote, and zipfile parsed its directory (a ZipInfo
made a part, an end record looked for) though the process had just written it. The writer keeps what that parse
would give (`keep_listing`): the entries it listed, made what zipfile makes of them when it reads them back
(in `write_directory`'s pass), under the file's identity (device, inode, size, modification time) and with the
directory's and the end record's bytes. `open_zip` takes them when the file opened is that file and ends with
those very bytes: a parse yields what the directory's bytes and the file's size say, so equal bytes at an equal
size are an equal parse, whatever the identity. Another program's save is another file (another inode or time, other
bytes) and is parsed as before.
"""

from __future__ import annotations

import os
import struct
import zipfile
from dataclasses import dataclass

from shared.domain.bounded import Bounded
from shared.xlsx.entries import ZIP64_LIMIT, Source
from shared.xlsx.ooxml import PackageError

_CENTRAL = struct.Struct(zipfile.structCentralDir)
_END = struct.Struct(zipfile.structEndArchive)
#: The most parts a directory written here lists without zip64 records.
_MOST_PARTS = 0xFFFF
#: A zip64 end record locator's signature: zipfile looks for one just before the end record.
_ZIP64_LOCATOR = b"PK\x06\x07"


@dataclass(frozen=True)
class Listing:
    """A file this process wrote, as zipfile would read it: its last bytes (the central directory and the end
    record), and its entries in order and by name and where its directory starts, as its parse gives them."""

    tail: bytes
    entries: tuple[zipfile.ZipInfo, ...]
    by_name: dict[str, zipfile.ZipInfo]
    start_dir: int


#: The files written last, by identity (`Source.version`): a process updates one or two workbooks.
_listings: Bounded[Listing] = Bounded(4)


def write_directory(archive: zipfile.ZipFile, handle) -> Listing | None:
    """Write `archive`'s central directory and end record where its parts end, as its `close` would, and close
    it; returns what zipfile would read of them (`keep_listing` keeps it once the file is synced), or None when
    zipfile's `close` wrote them (zip64 records, another compression) or a parse would look further.

    Each entry is made in the same pass what a parse of its record makes (`_RealGetContents`): the flags as
    written (UTF-8 for a name that is not ASCII), the time as the DOS time written (seconds even), the volume
    written as 0, no compression level, the name as given. The archive is closed after, and nothing writes its
    entries any more; what they list in the file is the same either way."""
    entries = archive.filelist
    if not _plain(archive):
        archive.close()
        return None
    records: list[bytes] = []
    for entry in entries:
        year, month, day, hour, minute, second = entry.date_time
        dostime, dosdate = hour << 11 | minute << 5 | second // 2, (year - 1980) << 9 | month << 5 | day
        name, flags = entry._encodeFilenameFlags()  # noqa: SLF001 - zipfile's own choice of encoding and flag
        records += (_CENTRAL.pack(
            b"PK\x01\x02", entry.create_version, entry.create_system, entry.extract_version, entry.reserved, flags,
            entry.compress_type, dostime, dosdate, entry.CRC, entry.compress_size, entry.file_size, len(name),
            len(entry.extra), len(entry.comment), 0, entry.internal_attr, entry.external_attr, entry.header_offset),
            name, entry.extra, entry.comment)
        entry.flag_bits = flags
        entry._raw_time = dostime  # noqa: SLF001 - as the parse keeps it
        entry.date_time = ((dosdate >> 9) + 1980, (dosdate >> 5) & 0xF, dosdate & 0x1F,
                           dostime >> 11, (dostime >> 5) & 0x3F, (dostime & 0x1F) * 2)
        entry.volume = 0
        entry._compresslevel = None  # noqa: SLF001
        entry.orig_filename = entry.filename
    directory = b"".join(records)
    if len(directory) > ZIP64_LIMIT:  # a zip64 record after all: zipfile's (the entries list the same as made)
        archive.close()
        return None
    comment = archive.comment
    tail = directory + _END.pack(b"PK\x05\x06", 0, 0, len(entries), len(entries), len(directory),
                                 archive.start_dir, len(comment)) + comment
    handle.seek(archive.start_dir)  # where `close` writes it (where the parts end)
    handle.write(tail)
    handle.flush()
    archive._didModify = False  # noqa: SLF001 - written: its close (or its collection) writes nothing more
    archive.close()
    if not entries or comment or tail[-_END.size - 20:-_END.size - 16] == _ZIP64_LOCATOR:
        return None  # zipfile would look for zip64 records there (`_EndRecData64`): left to its parse
    return Listing(tail, tuple(entries), {entry.filename: entry for entry in entries}, archive.start_dir)


def _plain(archive: zipfile.ZipFile) -> bool:
    """Whether `archive`'s directory is one `write_directory` writes as zipfile would: no zip64 record (sizes,
    offsets, count), only stored or deflated parts (zipfile raises their versions for
    others), nothing being written still, the file there to seek in."""
    if archive.fp is None or archive._writing or not archive._seekable \
            or archive.mode != "w" or not archive._didModify:  # noqa: SLF001 - zipfile's own state
        return False
    if len(archive.filelist) > _MOST_PARTS or archive.start_dir > ZIP64_LIMIT:
        return False
    return all(entry.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
               and max(entry.file_size, entry.compress_size, entry.header_offset) <= ZIP64_LIMIT
               for entry in archive.filelist)


def keep_listing(written: os.stat_result, listing: Listing) -> None:
    """Keep `listing` (`write_directory`'s) for the file it was written into, `written` its os.fstat once synced:
    its device, inode, size and modification time, which the rename into place keeps."""
    _listings.keep((written.st_dev, written.st_ino, written.st_size, written.st_mtime_ns), listing)


class _ListedZip(zipfile.ZipFile):
    """A zip opened for reading whose directory is known already (`Listing`): zipfile's reader, not its parse."""

    def __init__(self, file, listing: Listing):
        self._listing = listing
        super().__init__(file)

    def _RealGetContents(self) -> None:  # noqa: N802 - zipfile's name
        listing = self._listing
        self.filelist = list(listing.entries)
        self.NameToInfo = dict(listing.by_name)
        self.start_dir = listing.start_dir
        self._comment = b""


def open_zip(source: Source) -> zipfile.ZipFile:
    """`zipfile.ZipFile(source.file)`, its directory as kept (`keep_listing`) when the file is one this process
    wrote and ends with the bytes it wrote there; else parsed."""
    listing = _listings.get(source.version)
    if listing is not None and source.size >= len(listing.tail):
        try:
            tail = source.read(source.size - len(listing.tail), len(listing.tail))
        except PackageError:
            tail = None
        if tail == listing.tail:
            return _ListedZip(source.file, listing)
    return zipfile.ZipFile(source.file)
