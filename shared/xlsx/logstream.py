"""A long Change log read and filed a row at a time: the sheet's XML streamed in chunks (`StreamedRows`), and
a closed year's rows deflated as they come (`YearRows`), so filing 100,000 rows by year never holds the
sheet, its rows or a year's XML inflated (shared/xlsx/changelog.py files them)."""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Iterator

from shared.xlsx.ooxml import PackageError
from shared.xlsx.parts import PREFIX

ROW_TAG = re.compile(rb"<row\b[^>]*?(/?)>")
_ROW_R = re.compile(rb'(<row\b[^>]*?\br=")\d+(")')
_CELL_R = re.compile(rb'(<c\b[^>]*?\br="[A-Z]+)\d+(")')


def renumber(row: bytes, number: int) -> bytes:
    """A row's XML moved to row `number`: its own and its cells' references."""
    text = str(number).encode()
    row = _ROW_R.sub(lambda m: m.group(1) + text + m.group(2), row, count=1)
    return _CELL_R.sub(lambda m: m.group(1) + text + m.group(2), row)


class YearRows:
    """One closed year's rows for a new year sheet, renumbered under the header and deflated as they come
    (at the level the source's Change log was stored at), so no year is ever held inflated."""

    def __init__(self, level: int, header_row: int):
        self.compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
        self.pieces: list[bytes] = []
        self.crc, self.length, self.count, self.header_row = 0, 0, 0, header_row

    def add(self, row: bytes) -> None:
        self.count += 1
        row = renumber(row, self.header_row + self.count)
        self.crc, self.length = zlib.crc32(row, self.crc), self.length + len(row)
        self.pieces.append(self.compressor.compress(row))

    def raw(self) -> bytes:
        """The rows' deflate run, ended by a full flush (a run of `Segments.rows_raw`)."""
        return b"".join((*self.pieces, self.compressor.flush(zlib.Z_FULL_FLUSH)))


class StreamedRows:
    """A sheet's XML from a stream of chunks: the part through its header rows (`head_through`), then each
    `<row>` element (iterating), then what follows `</sheetData>` (`tail`, once the rows are done)."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks, self._buffer, self._position = chunks, b"", 0
        self.tail = b""

    def _more(self) -> bool:
        chunk = next(self._chunks, None)
        if chunk is None:
            return False
        self._buffer = self._buffer[self._position:] + chunk
        self._position = 0
        return True

    def head_through(self, header: Callable[[bytes, int, int], tuple[int | None, int]]) -> bytes | None:
        """The XML up to the end of the header row `header(data, start, close)` finds, or None if none."""
        while True:
            open_at = self._buffer.find(b"<sheetData>")
            close = self._buffer.find(b"</sheetData>")
            enough = open_at != -1 and (close != -1 or len(self._buffer) - open_at > 4 * PREFIX)
            if enough or not self._more():
                break
        if open_at == -1:
            return None
        start = open_at + len(b"<sheetData>")
        header_row, first = header(self._buffer, start, len(self._buffer) if close == -1 else close)
        if header_row is None:
            return None
        self._position = first
        return self._buffer[:first]

    def __iter__(self) -> Iterator[bytes]:
        while True:
            found = ROW_TAG.search(self._buffer, self._position)
            close = self._buffer.find(b"</sheetData>", self._position, None if found is None else found.start())
            if close != -1:
                self.tail = self._buffer[close:] + b"".join(self._chunks)
                return
            if found is not None:
                if found.group(1):
                    self._position = found.end()
                    yield found.group(0)
                    continue
                end = self._buffer.find(b"</row>", found.end())
                if end != -1:
                    self._position = end + len(b"</row>")
                    yield self._buffer[found.start():self._position]
                    continue
            if not self._more():
                raise PackageError("The Change log sheet ends inside its rows; the sheet cannot be read.")
