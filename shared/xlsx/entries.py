"""Zip entries: the package's parts inflated only when asked for, and the old file's bytes as the new file
takes them, compressed as they were and copied by the kernel (`Source`, `Span`; written by
`shared.xlsx.writing`): an update neither reads the file's megabytes into memory nor writes them from there."""

from __future__ import annotations

import errno
import io
import os
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO

from shared.xlsx.ooxml import PackageError

_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
#: A local header's length without its name and extra field; the largest offset or size without zip64.
LOCAL_HEADER_SIZE = _LOCAL_HEADER.size
ZIP64_LIMIT = (1 << 31) - 1


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

    def reopen(self, archive: zipfile.ZipFile) -> None:
        """Read the parts not read yet from `archive`, the same zip held elsewhere (see `Source.hold_in_memory`)."""
        self._archive = archive

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


#: How much is read or copied at a time.
_CHUNK = 1 << 16
#: How much a short read reads, for the reads near it (`Source.read`).
_WINDOW = 1 << 12


class Source:
    """The workbook file as opened: one descriptor on its inode (which stays whole when the file is replaced
    by a rename, as every save does), read where needed with pread and copied with copy_file_range. Where
    the system has neither (Windows), the file's bytes are read once instead, as before."""

    def __init__(self, path: Path):
        self._bytes: bytes | None = None
        #: The stretch of the file the last short read read, and where it starts (see `read`).
        self._window: tuple[int, bytes] = (0, b"")
        if not hasattr(os, "pread"):
            with open(path, "rb") as whole:
                opened = os.fstat(whole.fileno())
                self._bytes = whole.read()
            self.file: IO[bytes] | _Positioned = io.BytesIO(self._bytes)
        else:
            # A bare descriptor (open() would also ask whether it is a terminal, and where it stands), and the
            # file as zipfile reads it given by pread (`_Positioned`): no seek, the directory in one read.
            descriptor = os.open(path, os.O_RDONLY)
            try:
                opened = os.fstat(descriptor)
                if stat.S_ISDIR(opened.st_mode):  # as open() says it
                    raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
            except BaseException:
                os.close(descriptor)
                raise
            self.file = _Positioned(self, descriptor)
        self.size = opened.st_size
        self._as_opened = _version(opened)

    def hold_in_memory(self) -> None:
        """Read the file's bytes now and read from them from here on: the file itself is about to be
        overwritten in place (a caller writing the package back over the file it came from)."""
        if self._bytes is None:
            self._bytes = self.read(0, self.size)
            self.file.close()
            self.file = io.BytesIO(self._bytes)

    def is_file(self, path: Path) -> bool:
        """Whether `path` is the file this was opened from (the same inode, not a replacement)."""
        try:
            there = os.stat(path)
        except OSError:
            return False
        if self._bytes is not None:
            return False
        here = os.fstat(self.file.fileno())
        return (there.st_dev, there.st_ino) == (here.st_dev, here.st_ino)

    @property
    def version(self) -> tuple[int, int, int, int]:
        """The file as opened: device, inode, size and modification time (ns)."""
        return self._as_opened

    def still_at(self, path: Path) -> bool:
        """Whether the file at `path` is still the one this was opened from, unchanged (the same inode, size and
        modification time): False once someone else saved it (Excel replaces it; another program may write
        into it), whose save a file written from what was read here must not replace."""
        try:
            return _version(os.stat(path)) == self._as_opened
        except OSError:
            return False

    def read(self, start: int, length: int) -> bytes:
        """`length` bytes at `start`; PackageError when the file is shorter (changed in place while open).

        A short read reads `_WINDOW` bytes from there, and the short reads after it that lie within them are
        served from them (`_window`): a part's local header and then its data, the local headers of the parts
        copied as they lie (`shared.xlsx.verbatim.header_names`), one after the other, all lie within a few
        kilobytes of one another. Ten reads of fifty bytes were ten calls into the kernel; one of four
        kilobytes is one. One stretch is kept, the last: looking through more cost more than it saved."""
        if self._bytes is not None:
            data = self._bytes[start:start + length]
        elif length <= _WINDOW:
            at, window = self._window
            if at <= start and start + length <= at + len(window):
                return window[start - at:start - at + length]
            at = max(0, min(start, self.size - _WINDOW))  # near the end: the file's last kilobytes
            window = self._pread(at, max(start + length, at + _WINDOW) - at)
            self._window = (at, window)
            data = window[start - at:start - at + length]
        else:
            data = self._pread(start, length)
        if len(data) != length:
            raise PackageError("The workbook changed while it was being read; nothing was written.")
        return data

    def _pread(self, start: int, length: int) -> bytes:
        """`length` bytes at `start`, or fewer where the file ends."""
        pieces, at, left = [], start, length
        while left > 0 and (piece := os.pread(self.file.fileno(), left, at)):
            pieces.append(piece)
            at, left = at + len(piece), left - len(piece)
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def copy_to(self, handle: IO[bytes], start: int, length: int) -> None:
        """Append `length` bytes at `start` to the open file `handle`, copied by the kernel (copy_file_range,
        else sendfile, else through memory a chunk at a time), never held in memory whole."""
        if self._bytes is not None:
            handle.write(memoryview(self._bytes)[start:start + length])
            return
        handle.flush()
        source, target, at, end = self.file.fileno(), handle.fileno(), start, start + length
        for copy in (_copy_file_range, _sendfile, _pread_write):
            try:
                while at < end:
                    done = copy(source, target, at, end - at)
                    if done <= 0:
                        raise PackageError("The workbook changed while it was being read; nothing was written.")
                    at += done
                break
            except OSError as exc:  # not between these files or on this system: the next way, from where it stopped
                if exc.errno not in _NOT_HERE:
                    raise  # the disk's own answer (full, failing): no other way of copying will do better
                continue
        else:
            raise PackageError("The workbook's parts could not be copied into the new file.")
        appended = getattr(handle, "appended", None)  # a `shared.xlsx.writing.NewFile` keeps count itself
        if appended is not None:
            appended(length)
        else:
            handle.seek(0, os.SEEK_END)  # the buffered handle learns where the kernel left the file

    def close(self) -> None:
        self.file.close()


class _Positioned:
    """The workbook file as zipfile reads it (seek, tell, read), each read a `Source.read` where it stands: no
    lseek, and the end record and central directory come from one read of the file's last kilobytes (a
    buffered file asked the kernel eleven times for them)."""

    def __init__(self, source: Source, descriptor: int):
        self._source, self._descriptor, self._at = source, descriptor, 0

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        at = offset if whence == os.SEEK_SET else self._at + offset if whence == os.SEEK_CUR \
            else self._source.size + offset
        if at < 0:  # as the kernel answers (zipfile looks for the end record so in a file shorter than it)
            raise OSError(errno.EINVAL, os.strerror(errno.EINVAL))
        self._at = at
        return at

    def tell(self) -> int:
        return self._at

    def seekable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        left = max(self._source.size - self._at, 0)
        size = left if size is None or size < 0 else min(size, left)
        data = self._source.read(self._at, size) if size else b""
        self._at += len(data)
        return data

    def fileno(self) -> int:
        return self._descriptor

    def close(self) -> None:
        if self._descriptor >= 0:
            os.close(self._descriptor)
            self._descriptor = -1


#: What a kernel copy answers when it cannot copy between these two files (or the system has no such call):
#: then the next way is tried. Anything else (ENOSPC, EIO, EDQUOT) is the disk's answer, passed on.
_NOT_HERE = {None, errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EBADF,
             errno.EPERM, errno.ESPIPE, errno.ETXTBSY}


def _version(facts: os.stat_result) -> tuple[int, int, int, int]:
    """What tells one save of a file from another: its inode, size and modification time."""
    return facts.st_dev, facts.st_ino, facts.st_size, facts.st_mtime_ns


def _copy_file_range(source: int, target: int, at: int, count: int) -> int:
    if not hasattr(os, "copy_file_range"):
        raise OSError("no copy_file_range")
    return os.copy_file_range(source, target, min(count, 1 << 30), at)


def _sendfile(source: int, target: int, at: int, count: int) -> int:
    if not hasattr(os, "sendfile"):
        raise OSError("no sendfile")
    return os.sendfile(target, source, at, min(count, 1 << 30))


def _pread_write(source: int, target: int, at: int, count: int) -> int:
    data = os.pread(source, min(count, _CHUNK), at)
    return os.write(target, data) if data else 0


class Span:
    """Compressed bytes of the old file left where they are: written into the new file by the kernel, read
    into memory only when something inflates them."""

    def __init__(self, source: Source, start: int, length: int):
        self.source, self.start, self.length = source, start, length

    def __len__(self) -> int:
        return self.length

    def part(self, start: int, stop: int | None = None) -> Span:
        """The bytes from `start` to `stop` (the end when None) of this span."""
        stop = self.length if stop is None else stop
        return Span(self.source, self.start + start, stop - start)

    def chunks(self) -> Iterator[bytes]:
        for at in range(0, self.length, _CHUNK):
            yield self.source.read(self.start + at, min(_CHUNK, self.length - at))


Raw = bytes | memoryview | Span


def inflate(raw: Raw, size: int = 0) -> bytes:
    """Raw deflate bytes inflated: all of them, or when `size` is given the first `size` bytes at least (a
    span is read only as far as that needs)."""
    inflater = zlib.decompressobj(-15)
    if not isinstance(raw, Span):
        return inflater.decompress(raw, size) if size else inflater.decompress(raw)
    out: list[bytes] = []
    got = 0
    for chunk in raw.chunks():
        # No more than is wanted (the rest of the chunk stays compressed): the header of a long log, not its rows.
        piece = inflater.decompress(chunk, size - got) if size else inflater.decompress(chunk)
        out.append(piece)
        got += len(piece)
        if size and got >= size:
            break
    return b"".join(out)[:size] if size else b"".join(out)


def clone_info(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    """A new entry with the source's name, time, compression and attributes (sizes and CRC to be set)."""
    clone = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    clone.compress_type = info.compress_type
    clone.external_attr = info.external_attr
    clone.create_system = info.create_system
    return clone


def raw_data(source: Source, info: zipfile.ZipInfo) -> Span:
    """A part's compressed bytes in the file, found through its local header (left there: see `Span`)."""
    if info.flag_bits & 0x1:
        raise PackageError(f"The part {info.filename} is encrypted; the workbook cannot be updated.")
    if max(info.file_size, info.compress_size, info.header_offset) > ZIP64_LIMIT:
        raise PackageError("The workbook is larger than 2 GB (a zip64 package); it cannot be updated.")
    fields = _LOCAL_HEADER.unpack(source.read(info.header_offset, _LOCAL_HEADER.size))
    if fields[0] != b"PK\x03\x04":
        raise PackageError(f"The part {info.filename} is not where the workbook's directory says it is.")
    start = info.header_offset + _LOCAL_HEADER.size + fields[10] + fields[11]
    if start + info.compress_size > source.size:
        raise PackageError(f"The part {info.filename} is not where the workbook's directory says it is.")
    return Span(source, start, info.compress_size)
