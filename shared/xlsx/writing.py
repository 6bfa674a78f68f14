"""Writing a part into the new file: the file itself (`NewFile`), a part copied as it lies (`copy_raw`), its
compressed bytes with a header made here (`write_raw`), or data deflated with its header written once
(`write_deflated`)."""

from __future__ import annotations

import io
import os
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path

from shared.xlsx.entries import ZIP64_LIMIT, Raw, Source, Span, clone_info, raw_data
from shared.xlsx.ooxml import PackageError
from shared.xlsx.pieces import deflate_sheet


class NewFile:
    """The new file a save writes, as the zip writer and the kernel's copies (`Source.copy_to`) use it: the bytes
    written between two copies gathered in memory and handed to the kernel with one call, and where the next
    byte goes known here. A buffered file asks the kernel (lseek) at every tell, some fifteen times an update,
    and zipfile's own writes seek back to write a part's header twice; the parts written anew here are each
    one header and their data (`write_deflated`)."""

    def __init__(self, path: Path | str, mode: int = 0o666):
        """Create (or empty) the file at `path`, with `mode` when it is new (0o666 less the umask, as `open(path,
        "wb")` does, unless told otherwise: the save's is made private, 0o600)."""
        self._descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        self._flushed = 0  # bytes handed to the kernel: where the kernel's file offset is
        self._closed = False
        self._buffer = io.BytesIO()
        #: The buffer's own write, called directly: zipfile writes its directory four pieces a part.
        self.write = self._buffer.write

    def tell(self) -> int:
        return self._flushed + self._buffer.tell()

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        """Where the zip writer asks to be (where it is, always, but for a caller seeking elsewhere)."""
        if whence == os.SEEK_SET and offset == self.tell():
            return offset
        self.flush()
        self._flushed = os.lseek(self._descriptor, offset, whence)
        return self._flushed

    def appended(self, length: int) -> None:
        """The kernel copied `length` bytes to the end of the file (after a `flush`): where the next byte goes."""
        self._flushed += length

    def flush(self) -> None:
        if self._buffer.tell():
            data = self._buffer.getvalue()
            self._buffer = io.BytesIO()
            self.write = self._buffer.write
            view = memoryview(data)
            while view:
                view = view[os.write(self._descriptor, view):]
            self._flushed += len(data)

    def fileno(self) -> int:
        return self._descriptor

    def close(self) -> None:
        """Let go of the file (bytes not flushed are dropped: `flush` comes first when they are wanted)."""
        if not self._closed:
            self._closed = True
            os.close(self._descriptor)

    def __enter__(self) -> NewFile:
        return self

    def __exit__(self, *failure: object) -> None:
        self.close()


def copy_raw(source: Source, info: zipfile.ZipInfo, archive: zipfile.ZipFile, handle) -> None:
    """Copy one part into `archive` as its compressed bytes (see `write_raw`)."""
    write_raw(archive, handle, info, [raw_data(source, info)], info.CRC, info.file_size, info.comment)


def write_raw(archive: zipfile.ZipFile, handle, info: zipfile.ZipInfo, data: Sequence[Raw], crc: int, size: int,
              comment: bytes) -> None:
    """Write one part's compressed bytes: a local header made from the source's ZipInfo (without the
    data-descriptor flag, since CRC and sizes are known), the bytes, and the ZipInfo registered so the
    central directory lists it. Python's zipfile has no public way to do this; it relies on `filelist`,
    `NameToInfo` and `start_dir`, which zipfile itself keeps the same way."""
    length = sum(len(piece) for piece in data)
    if max(size, length, handle.tell()) > ZIP64_LIMIT:
        raise PackageError("The workbook would be larger than 2 GB (a zip64 package); it cannot be updated.")
    clone = clone_info(info)
    clone.flag_bits = info.flag_bits & ~0x08 & ~0x800  # zipfile adds 0x800 back for a UTF-8 name
    clone.CRC = crc
    clone.compress_size = length
    clone.file_size = size
    clone.extra = b""
    clone.comment = comment
    clone.header_offset = handle.tell()
    handle.write(clone.FileHeader(False))
    for piece in data:  # the pieces of the compressed part, in order: never joined into one copy
        if isinstance(piece, Span):
            piece.source.copy_to(handle, piece.start, piece.length)
        else:
            handle.write(piece)
    _listed(archive, handle, clone)


def _listed(archive: zipfile.ZipFile, handle, entry: zipfile.ZipInfo) -> None:
    """Register a part written into `archive` by hand, so its central directory lists it."""
    archive.filelist.append(entry)
    archive.NameToInfo[entry.filename] = entry
    archive.start_dir = handle.tell()
    archive._didModify = True  # noqa: SLF001 - so close() writes the central directory


def write_deflated(archive: zipfile.ZipFile, handle, entry: zipfile.ZipInfo, data: bytes) -> bytes | None:
    """Write `data` as the part `entry` (deflated at level 1, or stored when the entry says so) as
    `archive.writestr(entry, data, compresslevel=1)` writes it, but its local header once: zipfile writes a
    blank header, then the data, then seeks back to write the header again once the sizes are known (two seeks
    and a write more, through two more layers). A sheet of some size is deflated in pieces compressed once per
    process (`shared.xlsx.pieces`: the same part inflated, other compressed bytes); anything else is zipfile's
    bytes, byte for byte. Any other compression, or a part that would need zip64, is left to zipfile.

    Returns the part's bytes as written (compressed), for the kept parts (`shared.xlsx.keptparts.keep_written`);
    None when zipfile wrote them."""
    if entry.compress_type not in (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED) or len(data) * 1.05 > ZIP64_LIMIT \
            or handle.tell() > ZIP64_LIMIT or archive._writing:  # noqa: SLF001 - zipfile's own refusal then
        archive.writestr(entry, data, compresslevel=1)
        return None
    if entry.compress_type == zipfile.ZIP_DEFLATED:
        raw = deflate_sheet(data)
        if raw is None:
            compressor = zlib.compressobj(1, zlib.DEFLATED, -15)  # as zipfile's, for level 1
            raw = compressor.compress(data) + compressor.flush()
    else:
        raw = data
    entry._compresslevel = 1  # noqa: SLF001 - as writestr sets it
    entry.file_size = len(data)
    entry.compress_size = len(raw)
    entry.CRC = zlib.crc32(data)
    entry.flag_bits = 0
    if not entry.external_attr:
        entry.external_attr = 0o600 << 16  # as zipfile gives a part that has none
    entry.header_offset = handle.tell()
    archive._writecheck(entry)  # noqa: SLF001 - zipfile's checks of a part written (as `writestr` makes them)
    handle.write(entry.FileHeader(False))
    handle.write(raw)
    _listed(archive, handle, entry)
    return raw
