"""Small parts as inflated, kept per process by their compressed bytes: every update opens a new package of the
same workbook, and its sheet list, relationships and styles are the same bytes from one update to the next.

Each was inflated through zipfile (its local header parsed, a reader made, the CRC checked) at every update. A
part is kept by its name, CRC-32, size and its compressed bytes themselves, read from the file (a few hundred
bytes to a few KB, one `pread`): equal compressed bytes inflate to equal bytes, so what is kept is never stale,
and a part that changes (an officer's save, a sheet added) is other bytes, inflated anew. A part read whole
this way was checked against its CRC when it was first kept, as it would be now. A part not kept is inflated
from those compressed bytes too (Appendix 1's sheet, which every update changes), without zipfile's reader.
"""

from __future__ import annotations

import threading
import zipfile
import zlib

from shared.domain.bounded import Bounded
from shared.xlsx.entries import LazyParts, Raw, Source, Span, inflate, raw_data
from shared.xlsx.keptstrings import without_counts
from shared.xlsx.ooxml import PackageError
from shared.xlsx.segments import read_head_split

#: The largest part kept, compressed and inflated: the sheet list and styles are a few KB.
KEEP_COMPRESSED = 1 << 15
KEEP_INFLATED = 1 << 17
_kept: Bounded[bytes] = Bounded(32)
#: The first bytes of parts too large to keep whole, inflated (the Change log's first rows, read at every update
#: for its header), each as (how many were asked for, the compressed bytes they came from, the inflated bytes).
_starts: list[tuple[int, bytes, bytes]] = []
_STARTS = 8
#: The most inflated bytes of a start kept: the header's first kilobytes, not the 64 KB looked through past them.
KEEP_START = 1 << 13
_starts_lock = threading.Lock()


def _inflated(source: Source, info: zipfile.ZipInfo, compressed: bytes) -> bytes | None:
    """The part inflated from its compressed bytes (read already, for its key) as zipfile would give it: the
    local header names it, the deflate stream ends with the bytes, and the size and CRC are the directory's;
    None when anything differs (then zipfile reads it, and raises what it raises)."""
    name = info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437")
    try:
        header = source.read(info.header_offset, 30 + len(name))
    except PackageError:
        return None
    if int.from_bytes(header[26:28], "little") != len(name) or header[30:] != name:
        return None
    inflater = zlib.decompressobj(-15)
    try:
        data = inflater.decompress(compressed)
    except zlib.error:
        return None
    if not inflater.eof or inflater.unused_data or len(data) != info.file_size or zlib.crc32(data) != info.CRC:
        return None
    return data


def inflated_start(raw: Raw, size: int) -> bytes:
    """The first `size` bytes the deflate stream `raw` inflates to (all, when it is shorter), inflated only when
    the stream does not start with the compressed bytes an earlier package of this process inflated them from:
    inflating is a function of the input read so far, so equal compressed starts give equal inflated starts.
    An append to the Change log leaves its start as it was, compressed bytes and all (`write_segments`), and its
    first 4 KB cost 180,000 instructions to inflate at every update; comparing costs a read of 1-2 KB."""
    if not isinstance(raw, Span):
        return inflate(raw, size)
    with _starts_lock:
        starts = list(_starts)
    for index, (wanted, compressed, data) in enumerate(starts):
        if wanted == size and len(compressed) <= raw.length \
                and raw.source.read(raw.start, len(compressed)) == compressed:
            if index:
                _keep_start((wanted, compressed, data))
            return data
    inflater = zlib.decompressobj(-15)
    used: list[bytes] = []
    out: list[bytes] = []
    got = 0
    for chunk in raw.chunks():
        # No more than is wanted (the rest of the chunk stays compressed): the header of a long log, not its rows.
        piece = inflater.decompress(chunk, size - got)
        used.append(chunk[:len(chunk) - len(inflater.unconsumed_tail)])
        out.append(piece)
        got += len(piece)
        if got >= size or inflater.eof:
            break
    data = b"".join(out)[:size]
    # Not a stream cut short, which a longer one starting alike inflates past.
    if (got >= size or inflater.eof) and size <= KEEP_START:
        _keep_start((size, b"".join(used), data))
    return data


def _keep_start(start: tuple[int, bytes, bytes]) -> None:
    """Keep an inflated start as the newest, the oldest dropped beyond `_STARTS`."""
    with _starts_lock:
        if start in _starts:
            _starts.remove(start)
        _starts.insert(0, start)
        del _starts[_STARTS:]


def keep_written(entry: zipfile.ZipInfo, raw: bytes, data: bytes) -> None:
    """Keep a part this process has just written (`raw`, its compressed bytes, inflating to `data`) as if a
    package had inflated it: the next update of the workbook finds Appendix 1's sheet, which every update
    rewrites, by the bytes the file holds and does not inflate what it wrote itself (34 KB, about a tenth
    of the CPU an update at an empty log had left). Only a part `KeptParts.key` would key."""
    if entry.compress_type == zipfile.ZIP_DEFLATED and len(raw) <= KEEP_COMPRESSED and len(data) <= KEEP_INFLATED:
        _kept.keep((entry.filename, entry.CRC, len(data), raw), data)


class KeptParts(LazyParts):
    """`LazyParts` whose small parts are taken from what an earlier package of this process inflated, when the
    file holds the very same compressed bytes for them."""

    def __init__(self, archive: zipfile.ZipFile, source: Source):
        super().__init__(archive)
        self._source = source
        self._items_keys: dict[str, tuple | None] = {}

    def __getitem__(self, name: str) -> bytes:
        if name in self._read or name not in self._known:
            return super().__getitem__(name)
        key = self.key(name)
        kept = _kept.get(key)
        if kept is None:
            kept = _inflated(self._source, self._archive.getinfo(name), key[3]) if key is not None else None
            if kept is None:
                return super().__getitem__(name)  # zipfile's read, which says what is wrong with the part
            self._read[name] = kept
            _kept.keep(key, kept)
            return kept
        _kept.keep(key, kept)  # the newest again: parts read at every update stay while others come and go
        self._read[name] = kept
        return kept

    def key(self, name: str) -> tuple[str, int, int, bytes] | None:
        """The part's name, CRC, size and compressed bytes: what it is kept by (equal keys, equal bytes); None
        when it is not one kept (not in the file, stored, large, or where zipfile alone says what is wrong)."""
        if name not in self._known:
            return None
        info = self._archive.getinfo(name)
        if info.compress_type != zipfile.ZIP_DEFLATED or info.compress_size > KEEP_COMPRESSED \
                or info.file_size > KEEP_INFLATED:
            return None
        try:
            span = raw_data(self._source, info)
            return name, info.CRC, info.file_size, self._source.read(span.start, span.length)
        except PackageError:
            return None

    def items_key(self, name: str) -> tuple | None:
        """What the shared strings part's items are known by: when the file stores the part as its root's start
        tag and its body apart (`read_head_split`: this program wrote it last), the start tag without its counts
        and the body's compressed bytes, which stay the same when an update moves only the table's `count`
        (equal keys, equal items under an equal root); else `key`."""
        if name not in self._items_keys:
            self._items_keys[name] = self._items_key(name)
        return self._items_keys[name]

    def _items_key(self, name: str) -> tuple | None:
        if name not in self._known:
            return None
        try:
            split = read_head_split(self._source, self._archive.getinfo(name))
            body = split.body_raw if split is not None else None
            if not isinstance(body, Span) or body.length > KEEP_COMPRESSED:
                return self.key(name)
            return name, without_counts(split.head), split.body_crc, split.body_length, \
                self._source.read(body.start, body.length)
        except PackageError:
            return None
