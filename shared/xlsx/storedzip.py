"""A small zip of stored (uncompressed) parts, made in memory for a reader to open: the reduced package a cold
read hands to python-calamine (`shared.xlsx.reduced`).

zipfile's `writestr` made each of the package's seven parts through a ZipInfo, a local header written, sought
back over and written again, and a central directory written four pieces a part: about a sixth of a cold read
of a workbook LibreOffice saved, for a package that lives a few microseconds. Here each part is one local
header and its bytes, the directory one record a part, joined once. What zipfile writes for the same parts
stored is what this writes, byte for byte, but for the timestamps (1980-01-01 here: the package is never a
file anyone keeps); `tests/test_stored_zip.py` compares the two and reads it back with zipfile, CRC checked.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Iterable, Mapping

from shared.xlsx.entries import ZIP64_LIMIT

# The records as zipfile itself lays them out (`shared.xlsx.directory` reads and writes with the same).
_LOCAL = struct.Struct(zipfile.structFileHeader)
_CENTRAL = struct.Struct(zipfile.structCentralDir)
_END = struct.Struct(zipfile.structEndArchive)
_VERSION = 20  # 2.0: what zipfile writes for a stored part
_UNIX = 3  # the system zipfile says made the parts it writes here
_ATTRIBUTES = 0o600 << 16  # rw-------: what zipfile gives a part that has none
_UTF8 = 0x800  # general purpose flag 11: the name is UTF-8
_DOS_DATE_1980 = (1 << 5) | 1  # 1980-01-01, the zip format's earliest date


def stored_zip(parts: Iterable[tuple[str, bytes]], crcs: Mapping[str, int] | None = None) -> bytes:
    """A zip holding `parts` (name, bytes) in the order given, each stored with its CRC-32: `crcs` holds those
    known already (a part taken as it is from a zip, whose directory records its CRC), the others are worked
    out. ValueError when a name repeats or the package would need zip64 (the caller reads another way then)."""
    crcs = crcs or {}
    pieces: list[bytes] = []
    directory: list[bytes] = []
    seen: set[str] = set()
    offset = 0
    for name, data in parts:
        if name in seen:
            raise ValueError(f"the part {name} is given twice")
        seen.add(name)
        encoded = name.encode("utf-8")
        flags = 0 if encoded.isascii() else _UTF8
        crc = crcs.get(name)
        if crc is None:
            crc = zlib.crc32(data)
        size = len(data)
        header = _LOCAL.pack(zipfile.stringFileHeader, _VERSION, 0, flags, zipfile.ZIP_STORED, 0, _DOS_DATE_1980, crc,
                             size, size, len(encoded), 0)
        directory.append(_CENTRAL.pack(zipfile.stringCentralDir, _VERSION, _UNIX, _VERSION, 0, flags,
                                       zipfile.ZIP_STORED, 0, _DOS_DATE_1980, crc, size, size, len(encoded), 0, 0, 0,
                                       0, _ATTRIBUTES, offset) + encoded)
        pieces += (header, encoded, data)
        offset += len(header) + len(encoded) + size
        if offset > ZIP64_LIMIT:
            raise ValueError("the package would need zip64 records")
    central = b"".join(directory)
    if len(seen) > 0xFFFF:
        raise ValueError("the package would need zip64 records")
    pieces += (central, _END.pack(zipfile.stringEndArchive, 0, 0, len(seen), len(seen), len(central), offset, 0))
    return b"".join(pieces)
