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

A read of a few parts of a file another process wrote (the bot's status after an update, `shared.reader`) opens it
with `open_direct`: the directory's records unpacked straight into a name's CRC, sizes and offset (`DirectZip`),
each part read with one `pread` and inflated in one call, instead of zipfile's ZipInfo a part and ZipExtFile a
read. Only a plain layout is read so; any other is zipfile's, as before.
"""

from __future__ import annotations

import os
import struct
import zipfile
import zlib
from dataclasses import dataclass
from typing import NamedTuple

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


# --- reading a few parts of a file another process wrote ------------------------------------------------------

_LOCAL = struct.Struct(zipfile.structFileHeader)
#: How much of the file's end is read for its directory at first: a workbook's ~25 records are ~2 KB.
_TAIL_READ = 1 << 12
#: Compressed bytes read at a time for a part inflated as it is read.
_STREAM_READ = 1 << 15
_ENCRYPTED, _UTF8 = 0x1, 0x800


class PartEntry(NamedTuple):
    """What a directory record says of a part, in zipfile's names for it."""

    CRC: int  # noqa: N815 - zipfile.ZipInfo's name
    file_size: int
    compress_size: int
    compress_type: int
    header_offset: int
    raw_name: bytes


class DirectZip:
    """A zip file's parts read straight from its central directory, with `zipfile.ZipFile`'s answers for what a
    cold read asks (`namelist`, `getinfo`, `read`, `open`): a cold read after another process's update parsed
    the directory through a ZipInfo a part (23 of them) and read each part through a ZipExtFile, for the three
    or four parts it inflates. Built by `open_direct` only for a plain layout; a part's CRC is not checked
    (python-calamine, whose values the read gives, does not check it either)."""

    def __init__(self, fd: int, entries: dict[str, PartEntry]):
        self._fd, self._entries = fd, entries

    def __enter__(self) -> DirectZip:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def namelist(self) -> list[str]:
        return list(self._entries)

    def getinfo(self, name: str) -> PartEntry:
        return self._entries[name]

    def _start(self, entry: PartEntry) -> tuple[int, bytes]:
        """Where the part's data starts, and the bytes read past its local header (a first piece of the data)."""
        want = _LOCAL.size + len(entry.raw_name) + min(entry.compress_size, _STREAM_READ) + 64
        head = os.pread(self._fd, want, entry.header_offset)
        if len(head) < _LOCAL.size:
            raise zipfile.BadZipFile("Truncated file header")
        fields = _LOCAL.unpack_from(head)
        if fields[0] != zipfile.stringFileHeader:
            raise zipfile.BadZipFile("Bad magic number for file header")
        start = _LOCAL.size + fields[zipfile._FH_FILENAME_LENGTH] + fields[zipfile._FH_EXTRA_FIELD_LENGTH]
        if head[_LOCAL.size:_LOCAL.size + fields[zipfile._FH_FILENAME_LENGTH]] != entry.raw_name:
            raise zipfile.BadZipFile("File name in directory and header differ")
        return entry.header_offset + start, head[start:]

    def read(self, name: str) -> bytes:
        entry = self._entries[name]
        start, data = self._start(entry)
        if len(data) < entry.compress_size:
            data += os.pread(self._fd, entry.compress_size - len(data), start + len(data))
        data = data[:entry.compress_size]
        if len(data) < entry.compress_size:
            raise EOFError(name)
        if entry.compress_type == zipfile.ZIP_DEFLATED:
            data = zlib.decompress(data, -15, entry.file_size or 1)
        if len(data) != entry.file_size:
            raise zipfile.BadZipFile(f"The part {name} is not as long as its directory says.")
        return data

    def open(self, name: str) -> _Inflating:
        entry = self._entries[name]
        start, first = self._start(entry)
        return _Inflating(self._fd, start, entry, first[:entry.compress_size])


class _Inflating:
    """A part's bytes inflated as they are read (reading stops inflating where it stops)."""

    def __init__(self, fd: int, start: int, entry: PartEntry, first: bytes):
        self._fd, self._next, self._tail = fd, start + len(first), first
        self._left = entry.compress_size - len(first)
        self._inflater = zlib.decompressobj(-15) if entry.compress_type == zipfile.ZIP_DEFLATED else None

    def __enter__(self) -> _Inflating:
        return self

    def __exit__(self, *exc: object) -> None:
        self._tail, self._left = b"", 0

    def read(self, size: int = -1) -> bytes:
        want = size if size >= 0 else 1 << 62
        pieces: list[bytes] = []
        while want > 0:
            if not self._tail:
                if self._left <= 0:  # all read: what the inflater holds still (a read of fewer bytes left it)
                    piece = self._inflater.decompress(b"", want) if self._inflater is not None else b""
                    if not piece:
                        break
                    pieces.append(piece)
                    want -= len(piece)
                    continue
                self._tail = os.pread(self._fd, min(self._left, _STREAM_READ), self._next)
                if not self._tail:
                    raise EOFError("a part ends before its directory says")
                self._next += len(self._tail)
                self._left -= len(self._tail)
            if self._inflater is None:
                piece, self._tail = self._tail[:want], self._tail[want:]
            else:
                piece = self._inflater.decompress(self._tail, want)
                self._tail = self._inflater.unconsumed_tail
                if self._inflater.eof:
                    self._tail, self._left = b"", 0
            pieces.append(piece)
            want -= len(piece)
        return b"".join(pieces)


def open_direct(path: str | os.PathLike) -> DirectZip | zipfile.ZipFile:
    """The file at `path` as a `DirectZip` when its layout is plain (the end record last, no comment, no zip64
    record, the directory right before it, only stored or deflated parts, none encrypted, no name twice);
    else `zipfile.ZipFile(path)`, which reads any layout zipfile reads."""
    fd = os.open(path, os.O_RDONLY)
    try:
        entries = _plain_entries(fd)
    except BaseException:
        os.close(fd)
        raise
    if entries is None:
        os.close(fd)
        return zipfile.ZipFile(path)
    return DirectZip(fd, entries)


def _plain_entries(fd: int) -> dict[str, PartEntry] | None:
    """The parts a plain zip's directory lists, by name, or None for any other layout."""
    size = os.fstat(fd).st_size
    if size < _END.size:
        return None
    tail = os.pread(fd, min(size, _TAIL_READ), size - min(size, _TAIL_READ))
    end = _END.unpack_from(tail, len(tail) - _END.size)
    signature, disk, disk_with_directory, on_disk, count, directory_size, directory_start, comment = end
    if (signature != zipfile.stringEndArchive or disk or disk_with_directory or comment or on_disk != count
            or count == 0xFFFF or directory_start + directory_size != size - _END.size
            or tail[-_END.size - 20:-_END.size - 16] == _ZIP64_LOCATOR):
        return None
    if directory_size + _END.size > len(tail):
        directory = os.pread(fd, directory_size, directory_start)
    else:
        directory = tail[len(tail) - _END.size - directory_size:len(tail) - _END.size]
    entries: dict[str, PartEntry] = {}
    at = 0
    for _ in range(count):
        if at + _CENTRAL.size > len(directory):
            return None
        record = _CENTRAL.unpack_from(directory, at)
        flags, method, crc, compressed, size_, name_length, extra_length, comment_length, offset = (
            record[5], record[6], record[9], record[10], record[11], record[12], record[13], record[14], record[18])
        if record[0] != zipfile.stringCentralDir or flags & _ENCRYPTED or method not in (
                zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or ZIP64_LIMIT <= max(compressed, size_, offset):
            return None
        raw_name = directory[at + _CENTRAL.size:at + _CENTRAL.size + name_length]
        name = raw_name.decode("utf-8" if flags & _UTF8 else "cp437")
        if name in entries or "\x00" in name:  # zipfile cuts a name at a NUL: its parse, not this
            return None
        entries[name] = PartEntry(crc, size_, compressed, method, offset, raw_name)
        at += _CENTRAL.size + name_length + extra_length + comment_length
    return entries if at == len(directory) else None
