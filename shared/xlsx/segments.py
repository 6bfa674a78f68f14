"""Appending without inflating: a sheet stored as three deflate runs, and CRC-32 combined from pieces.

The write path stores the log sheet as three runs of deflate, each ended by a full flush (so each stands
alone): the XML up to `<sheetData>`, the rows, and the rest. The zip entry's comment says where they are,
how long, the rows' CRC and the last row number. Adding rows then costs what the new rows cost: head and
tail (a few hundred bytes) are inflated and compressed anew, the rows' compressed bytes are kept, and the
part's CRC is combined from the pieces' (`crc32_combine`).

The shared strings part is stored the same way in two runs (`HeadSplit`): its root element's start tag,
which holds the `count` an update changes, and the strings, whose compressed bytes are kept.
"""

from __future__ import annotations

import functools
import re
import struct
import zipfile
import zlib

from shared.xlsx.entries import Raw, Source, clone_info, inflate, raw_data
from shared.xlsx.writing import write_deflated, write_raw


class Segments:
    """A sheet as head (to `<sheetData>`), rows (compressed, plus rows added since) and tail."""

    def __init__(self, head: bytes, tail: bytes, rows_raw: Raw, rows_crc: int, rows_length: int,
                 last_row: int, new_rows: list[bytes] | None = None):
        self.head, self.tail = head, tail
        self.rows_raw, self.rows_crc, self.rows_length = rows_raw, rows_crc, rows_length
        self.last_row = last_row
        self.new_rows: list[bytes] = new_rows or []


def split_segments(data: bytes) -> Segments | bytes:
    """A whole sheet as segments (all its rows new), or the bytes when it has no `<sheetData>` to split."""
    open_at, close = data.find(b"<sheetData>"), data.rfind(b"</sheetData>")
    if open_at == -1 or close == -1:
        return data
    start = open_at + len(b"<sheetData>")
    last = data.rfind(b"<row ", start, close)
    found = re.match(rb'<row [^>]*?\br="(\d+)"', data[last:last + 500]) if last != -1 else None
    if last != -1 and not found:
        return data
    empty = zlib.compressobj(1, zlib.DEFLATED, -15)
    return Segments(data[:start], data[close:], empty.compress(b"") + empty.flush(zlib.Z_FULL_FLUSH), 0, 0,
                    int(found.group(1)) if found else 0, [data[start:close]])


def write_segments(archive: zipfile.ZipFile, handle, info: zipfile.ZipInfo, segments: Segments | bytes) -> None:
    """Write a sheet as three deflate runs (see `read_segments`), the comment saying where they are."""
    if isinstance(segments, bytes):
        write_deflated(archive, handle, clone_info(info), segments)
        return
    compressor = zlib.compressobj(1, zlib.DEFLATED, -15)
    head = compressor.compress(segments.head) + compressor.flush(zlib.Z_FULL_FLUSH)
    added = b"".join(segments.new_rows)
    added_raw = compressor.compress(added) + compressor.flush(zlib.Z_FULL_FLUSH)
    rows_size = len(segments.rows_raw) + len(added_raw)
    rows_crc = crc32_combine(segments.rows_crc, zlib.crc32(added), len(added))
    rows_length = segments.rows_length + len(added)
    tail = compressor.compress(segments.tail) + compressor.flush()
    crc = crc32_combine(crc32_combine(zlib.crc32(segments.head), rows_crc, rows_length),
                        zlib.crc32(segments.tail), len(segments.tail))
    comment = (f"sli-append 1 {len(head)} {len(head) + rows_size} {len(segments.head)} {len(segments.tail)} "
               f"{rows_crc} {segments.last_row}").encode()
    clone = clone_info(info)
    clone.compress_type = zipfile.ZIP_DEFLATED
    write_raw(archive, handle, clone, (head, segments.rows_raw, added_raw, tail), crc,
              len(segments.head) + rows_length + len(segments.tail), comment)


def read_segments(source: Source, info: zipfile.ZipInfo) -> Segments | None:
    """The part `info` of the file as segments that rows can be added to without inflating its rows, or None.

    The comment is believed only if the CRC it implies is the entry's: any other program's save (Excel
    rewrites every part, without the comment) means the ordinary path.
    """
    found = _SEGMENT_COMMENT.fullmatch(info.comment or b"")
    if info.compress_type != zipfile.ZIP_DEFLATED or not found:
        return None
    head_size, tail_at, head_length, tail_length, rows_crc, last_row = (int(g) for g in found.groups())
    raw = raw_data(source, info)
    if not 0 < head_size <= tail_at < len(raw):
        return None
    try:
        head = inflate(raw.part(0, head_size))
        inflater = zlib.decompressobj(-15)
        tail = inflater.decompress(b"".join(raw.part(tail_at).chunks()))
    except zlib.error:
        return None
    rows_length = info.file_size - head_length - tail_length
    if (len(head), len(tail)) != (head_length, tail_length) or not inflater.eof or inflater.unused_data \
            or not head.endswith(b"<sheetData>") or not tail.startswith(b"</sheetData>") or rows_length < 0:
        return None
    crc = crc32_combine(crc32_combine(zlib.crc32(head), rows_crc, rows_length), zlib.crc32(tail), tail_length)
    dimension = re.search(rb'<dimension ref="[A-Z]+\d+(?::[A-Z]+(\d+))?"', head)
    if crc != info.CRC or (dimension and dimension.group(1) and int(dimension.group(1)) < last_row):
        return None
    return Segments(head, tail, raw.part(head_size, tail_at), rows_crc, rows_length, last_row)


_SEGMENT_COMMENT = re.compile(rb"sli-append 1 (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)")
_HEAD_COMMENT = re.compile(rb"sli-head 1 (\d+) (\d+) (\d+)")
#: The XML declaration, comments and the root element's start tag: what `HeadSplit.head` holds.
_ROOT_START = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*(?:<\?.*?\?>\s*)?(?:<!--.*?-->\s*)*<[A-Za-z_][^>]*>", re.DOTALL)


class HeadSplit:
    """A part as its head (up to the end of the root element's start tag: a few hundred bytes) and body, so an
    attribute of the root changes without compressing the body anew. `body` is the body itself when it is
    still to be compressed (the first time), else None and `body_raw` holds its compressed bytes.

    The head is stored, not compressed, and padded with spaces inside the start tag to `room` bytes (XML
    allows white space before its `>`): its run then keeps its length while the `count` it holds changes,
    so where the body lies in the new file is known before the edit (`shared.xlsx.ahead`)."""

    def __init__(self, head: bytes, body: bytes | None, body_raw: Raw = b"", body_crc: int = 0,
                 body_length: int = 0, room: int = 0):
        self.head, self.body = head, body
        self.body_raw, self.body_crc, self.body_length = body_raw, body_crc, body_length
        self.room = room

    def stored_head(self) -> bytes:
        """The head as written: padded to `room` (more room, with some to spare, when it has outgrown it)."""
        return padded_head(self.head, self.room)

    def whole(self) -> bytes:
        """The part's bytes (the body inflated if it is held compressed)."""
        body = self.body if self.body is not None else inflate(self.body_raw)
        return self.stored_head() + body


def split_head(data: bytes) -> HeadSplit | None:
    """A whole part as head and body, or None when its root's start tag is not in its first 64 KB."""
    found = _ROOT_START.match(data[:1 << 16])
    if found is None:
        return None
    return HeadSplit(data[:found.end()], data[found.end():])


#: Spaces of room a head is given beyond its length when it has none (or outgrew it): a `count` gains a
#: digit only every tenfold, so it is written at one length for years.
HEAD_SLACK = 16
_START_TAG_END = re.compile(rb"\s*(/?>)\Z")


def padded_head(head: bytes, room: int) -> bytes:
    """`head` (ending in its root's start tag) with the white space before the tag's end made such that it is
    `room` bytes long, or its own length plus `HEAD_SLACK` when it does not fit in `room`."""
    found = _START_TAG_END.search(head)
    if found is None:
        return head
    bare, end = head[:found.start()], found.group(1)
    length = len(bare) + 1 + len(end)  # at least one space: the padding is always in the same place
    width = room if room >= length else length + HEAD_SLACK - 1
    return bare + b" " * (width - len(bare) - len(end)) + end


def stored_run(data: bytes) -> bytes:
    """`data` as deflate stored blocks (not final): its length is `stored_length(len(data))`, whatever it holds."""
    blocks = [data[at:at + 0xFFFF] for at in range(0, len(data), 0xFFFF)] or [b""]
    return b"".join(b"\x00" + struct.pack("<HH", len(block), len(block) ^ 0xFFFF) + block for block in blocks)


def stored_length(size: int) -> int:
    """How long `stored_run` makes `size` bytes."""
    return size + 5 * max(1, -(-size // 0xFFFF))


def head_split_entry(info: zipfile.ZipInfo, split: HeadSplit) -> tuple[zipfile.ZipInfo, bytes, Raw]:
    """The entry (CRC, sizes and the comment saying where the body starts set), the stored head run and the
    body's compressed bytes of a part written as head and body (see `write_head_split`)."""
    text = split.stored_head()
    head = stored_run(text)
    if split.body is not None:
        compressor = zlib.compressobj(1, zlib.DEFLATED, -15)
        body_raw: Raw = compressor.compress(split.body) + compressor.flush()
        body_crc, body_length = zlib.crc32(split.body), len(split.body)
    else:
        body_raw, body_crc, body_length = split.body_raw, split.body_crc, split.body_length
    clone = clone_info(info)
    clone.compress_type = zipfile.ZIP_DEFLATED
    clone.CRC = crc32_combine(zlib.crc32(text), body_crc, body_length)
    clone.file_size = len(text) + body_length
    clone.compress_size = len(head) + len(body_raw)
    clone.comment = f"sli-head 1 {len(head)} {len(text)} {body_crc}".encode()
    return clone, head, body_raw


def write_head_split(archive: zipfile.ZipFile, handle, info: zipfile.ZipInfo, split: HeadSplit) -> None:
    """Write a part as two deflate runs, head (stored, padded: `HeadSplit`) and body, the entry's comment
    saying where the body starts."""
    clone, head, body_raw = head_split_entry(info, split)
    write_raw(archive, handle, clone, (head, body_raw), clone.CRC, clone.file_size, clone.comment)


def read_head_split(source: Source, info: zipfile.ZipInfo) -> HeadSplit | None:
    """The part `info` of the file as head and compressed body (see `write_head_split`), or None.

    As for the log's segments, the comment is believed only if the CRC it implies is the entry's, and the
    head is a whole start tag: any other program's save means the part is read whole and split anew.
    """
    found = _HEAD_COMMENT.fullmatch(info.comment or b"")
    if info.compress_type != zipfile.ZIP_DEFLATED or not found:
        return None
    head_size, head_length, body_crc = (int(g) for g in found.groups())
    raw = raw_data(source, info)
    if not 0 < head_size < len(raw) or head_length > info.file_size:
        return None
    try:
        head = inflate(raw.part(0, head_size))
    except zlib.error:
        return None
    body_length = info.file_size - head_length
    if len(head) != head_length or not _ROOT_START.fullmatch(head) \
            or crc32_combine(zlib.crc32(head), body_crc, body_length) != info.CRC:
        return None
    return HeadSplit(head, None, raw.part(head_size), body_crc, body_length, room=len(head))
_CRC_POLY = 0xEDB88320


def _crc_multiply(a: int, b: int) -> int:
    """a * b modulo the CRC-32 polynomial (bit-reflected), as in zlib's multmodp."""
    mask, product = 1 << 31, 0
    while True:
        if a & mask:
            product ^= b
            if a & (mask - 1) == 0:
                return product
        mask >>= 1
        b = (b >> 1) ^ _CRC_POLY if b & 1 else b >> 1


def _powers() -> list[int]:
    power, table = 1 << 30, []
    for _ in range(32):
        table.append(power)
        power = _crc_multiply(power, power)
    return table


_X_POWERS = _powers()  # x^(2^n) modulo the polynomial


#: For each x^(2^n), what it makes of each byte of a CRC in each of its four places (built when first used).
_TIMES_TABLES: dict[int, tuple[list[int], list[int], list[int], list[int]]] = {}


def _times_tables(n: int) -> tuple[list[int], list[int], list[int], list[int]]:
    """Multiplying by x^(2^n) is linear in the other factor, so it is four lookups by that factor's bytes
    (XORed) instead of `_crc_multiply`'s bit by bit loop: each update combines some twenty CRCs."""
    tables = _TIMES_TABLES.get(n)
    if tables is None:
        bits = [_crc_multiply(_X_POWERS[n], 1 << bit) for bit in range(32)]
        built = []
        for place in range(4):
            table = [0]
            for bit in bits[8 * place:8 * place + 8]:
                table += [value ^ bit for value in table]
            built.append(table)
        tables = _TIMES_TABLES[n] = (built[0], built[1], built[2], built[3])
    return tables


@functools.lru_cache(maxsize=64)
def crc32_combine(crc1: int, crc2: int, length2: int) -> int:
    """CRC-32 of A+B from CRC(A), CRC(B) and len(B) (zlib's crc32_combine, which Python does not expose):
    CRC(A) times x^(8 len(B)), one x^(2^n) at a time (`_times_tables`), plus CRC(B). Kept for the last
    arguments (a function of them alone, some 40,000 instructions a call): a part this program stored as head
    and body (`read_head_split`) is checked with the same three numbers by every update, twice."""
    n, k = length2, 3
    while n:
        if n & 1:
            t0, t1, t2, t3 = _times_tables(k & 31)
            crc1 = t0[crc1 & 0xFF] ^ t1[(crc1 >> 8) & 0xFF] ^ t2[(crc1 >> 16) & 0xFF] ^ t3[crc1 >> 24]
        n >>= 1
        k += 1
    return crc1 ^ crc2
