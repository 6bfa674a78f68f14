"""Small parts as inflated, kept per process by their compressed bytes: every update opens a new package of the
same workbook, and its sheet list, relationships and styles are the same bytes from one update to the next.

Each was inflated through zipfile (its local header parsed, a reader made, the CRC checked) at every update. A
part is kept by its name, CRC-32, size and its compressed bytes themselves, read from the file (a few hundred
bytes to a few KB, one `pread`): equal compressed bytes inflate to equal bytes, so what is kept is never stale,
and a part that changes (an officer's save, a sheet added) is other bytes, inflated anew. A part read whole
this way was checked against its CRC by zipfile when it was first kept, as it would be now.
"""

from __future__ import annotations

import zipfile

from shared.xlsx.bounded import Bounded
from shared.xlsx.entries import LazyParts, Source, raw_data
from shared.xlsx.ooxml import PackageError

#: The largest part kept, compressed and inflated: the sheet list and styles are a few KB.
KEEP_COMPRESSED = 1 << 15
KEEP_INFLATED = 1 << 17
_kept: Bounded[bytes] = Bounded(8)


class KeptParts(LazyParts):
    """`LazyParts` whose small parts are taken from what an earlier package of this process inflated, when the
    file holds the very same compressed bytes for them."""

    def __init__(self, archive: zipfile.ZipFile, source: Source):
        super().__init__(archive)
        self._source = source

    def __getitem__(self, name: str) -> bytes:
        if name in self._read or name not in self._known:
            return super().__getitem__(name)
        key = self._key(name)
        kept = _kept.get(key)
        if kept is None:
            kept = super().__getitem__(name)  # zipfile's read, CRC checked
            if key is not None and len(kept) <= KEEP_INFLATED:
                _kept.keep(key, kept)
            return kept
        _kept.keep(key, kept)  # the newest again: parts read at every update stay while others come and go
        self._read[name] = kept
        return kept

    def _key(self, name: str) -> tuple[str, int, int, bytes] | None:
        """The part's name, CRC, size and compressed bytes, or None when it is not one kept (stored, large, or
        where zipfile alone says what is wrong with it)."""
        info = self._archive.getinfo(name)
        if info.compress_type != zipfile.ZIP_DEFLATED or info.compress_size > KEEP_COMPRESSED \
                or info.file_size > KEEP_INFLATED:
            return None
        try:
            span = raw_data(self._source, info)
            return name, info.CRC, info.file_size, self._source.read(span.start, span.length)
        except PackageError:
            return None
