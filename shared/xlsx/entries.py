"""Zip entries: the package's parts inflated only when asked for, and parts copied into a new zip as the
compressed bytes they were (Python's zipfile has no public way to do that)."""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Mapping
from typing import IO

from shared.xlsx.ooxml import PackageError

_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_ZIP64_LIMIT = (1 << 31) - 1


class LazyParts(Mapping[str, bytes]):
    """The package's parts by name, each inflated on first use and kept: most are never asked for."""

    def __init__(self, archive: zipfile.ZipFile):
        self._archive = archive
        self._names = [info.filename for info in archive.infolist()]
        self._known = set(self._names)
        self._read: dict[str, bytes] = {}

    def __getitem__(self, name: str) -> bytes:
        if name not in self._known:
            raise KeyError(name)
        if name not in self._read:
            self._read[name] = self._archive.read(name)
        return self._read[name]

    def __contains__(self, name: object) -> bool:
        return name in self._known

    def __iter__(self):
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def stream(self, name: str) -> IO[bytes]:
        """A part as a file inflated as it is read, for parsing only its start (the shared strings)."""
        if name in self._read:
            return io.BytesIO(self._read[name])
        return self._archive.open(name)

    def inflated(self) -> list[str]:
        """Names of the parts read so far (the tests check that an update leaves the old years alone)."""
        return list(self._read)


def clone_info(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    """A new entry with the source's name, time, compression and attributes (sizes and CRC to be set)."""
    clone = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    clone.compress_type = info.compress_type
    clone.external_attr = info.external_attr
    clone.create_system = info.create_system
    return clone


def raw_data(raw: bytes, info: zipfile.ZipInfo) -> memoryview:
    """A part's compressed bytes, found through its local header."""
    if info.flag_bits & 0x1:
        raise PackageError(f"The part {info.filename} is encrypted; the workbook cannot be updated.")
    if max(info.file_size, info.compress_size, info.header_offset) > _ZIP64_LIMIT:
        raise PackageError("The workbook is larger than 2 GB (a zip64 package); it cannot be updated.")
    fields = _LOCAL_HEADER.unpack_from(raw, info.header_offset)
    if fields[0] != b"PK\x03\x04":
        raise PackageError(f"The part {info.filename} is not where the workbook's directory says it is.")
    start = info.header_offset + _LOCAL_HEADER.size + fields[10] + fields[11]
    return memoryview(raw)[start:start + info.compress_size]  # a view: the bytes are written, not copied


def copy_raw(raw: bytes, info: zipfile.ZipInfo, archive: zipfile.ZipFile, handle) -> None:
    """Copy one part into `archive` as its compressed bytes (see `write_raw`)."""
    write_raw(archive, handle, info, raw_data(raw, info), info.CRC, info.file_size, info.comment)


def write_raw(archive: zipfile.ZipFile, handle, info: zipfile.ZipInfo, data: bytes, crc: int, size: int,
              comment: bytes) -> None:
    """Write one part's compressed bytes: a local header made from the source's ZipInfo (without the
    data-descriptor flag, since CRC and sizes are known), the bytes, and the ZipInfo registered so the
    central directory lists it. Python's zipfile has no public way to do this; it relies on `filelist`,
    `NameToInfo` and `start_dir`, which zipfile itself keeps the same way."""
    if max(size, len(data), handle.tell()) > _ZIP64_LIMIT:
        raise PackageError("The workbook would be larger than 2 GB (a zip64 package); it cannot be updated.")
    clone = clone_info(info)
    clone.flag_bits = info.flag_bits & ~0x08 & ~0x800  # zipfile adds 0x800 back for a UTF-8 name
    clone.CRC = crc
    clone.compress_size = len(data)
    clone.file_size = size
    clone.extra = b""
    clone.comment = comment
    clone.header_offset = handle.tell()
    handle.write(clone.FileHeader(False))
    handle.write(data)
    archive.filelist.append(clone)
    archive.NameToInfo[clone.filename] = clone
    archive.start_dir = handle.tell()
    archive._didModify = True  # noqa: SLF001 - so close() writes the central directory
