"""A changed sheet deflated in pieces of a few rows, each piece's compressed bytes kept per process by its bytes,
so an update compresses the rows it changed and not the whole sheet again.

An update rewrites Appendix 1 whole (its XML, about 34 KB), and compressing it was the largest single cost of an
update at an empty Change log: about 2.1 million instructions of the update's 12 million. Each piece is
compressed by a compressor of its own and ended by a sync flush, so it refers to nothing before it and its
bytes are the same wherever it stands; the stream is the pieces in order and an empty final block, which every
inflater reads as one deflate stream (the Change log's runs in `segments.py` rest on the same rule). Where a
piece starts is a matter of speed only: any cut gives the same part once inflated.
"""

from __future__ import annotations

import itertools
import threading
import zlib

from shared.domain.bounded import Bounded

#: Rows a piece holds: a piece is compressed again when any of its rows changed, and a piece of few rows
#: compresses a little worse (each starts without the rows before it to refer to).
PIECE_ROWS = 4
#: Sheets smaller than this are compressed whole: cutting and looking up would cost more than it saves.
PIECES_ABOVE = 8192
#: Compressed pieces by their bytes: a few sheets' worth (Appendix 1 is eight pieces), the oldest dropped.
_COMPRESSED: Bounded[bytes] = Bounded(64)
_SHEET_DATA, _SHEET_DATA_END, _ROW = b"<sheetData>", b"</sheetData>", b"<row "
#: An empty final block: what ends a deflate stream whose pieces all ended with a sync flush.
_FINAL = zlib.compressobj(1, zlib.DEFLATED, -15).flush()
#: The pieces of the sheets deflated last, in order, each with its compressed bytes: the next update's pieces are
#: the same bytes at the same places but the ones it changed, and comparing a piece with the one at its place
#: costs a memcmp where looking it up in `_COMPRESSED` hashed it (the whole sheet's 34 KB at every update).
_RECENT_SHEETS = 4
_recent: list[list[tuple[bytes, bytes]]] = []
_recent_lock = threading.Lock()


def deflate_sheet(data: bytes) -> bytes | None:
    """`data` (a sheet's XML) as raw deflate at level 1, made of pieces compressed once per process; None when
    it is small or not a sheet (then the caller compresses it whole, as before)."""
    start, end = data.find(_SHEET_DATA), data.rfind(_SHEET_DATA_END)
    if len(data) < PIECES_ABOVE or start < 0 or end < start:
        return None
    cuts = [0, start + len(_SHEET_DATA)]
    at, rows = cuts[-1], 0
    while (at := data.find(_ROW, at, end)) != -1:
        if rows and rows % PIECE_ROWS == 0:
            cuts.append(at)
        rows += 1
        at += len(_ROW)
    cuts += [end, len(data)]
    head = data[:cuts[1]]
    recent = next((sheet for sheet in list(_recent) if sheet[0][0] == head), [])
    pieces: list[tuple[bytes, bytes]] = []
    for at, (begin, stop) in enumerate(itertools.pairwise(cuts)):
        piece = head if at == 0 else data[begin:stop]
        if at < len(recent) and recent[at][0] == piece:
            pieces.append(recent[at])
            continue
        raw = _COMPRESSED.get(piece)
        if raw is None:
            compressor = zlib.compressobj(1, zlib.DEFLATED, -15)
            raw = compressor.compress(piece) + compressor.flush(zlib.Z_SYNC_FLUSH)
            _COMPRESSED.keep(piece, raw)
        pieces.append((piece, raw))
    _keep_recent(recent, pieces)
    return b"".join([*(raw for _, raw in pieces), _FINAL])


def _keep_recent(replaced: list[tuple[bytes, bytes]], pieces: list[tuple[bytes, bytes]]) -> None:
    """Keep a sheet's pieces as the newest of `_recent`, in place of those they were compared with (`replaced`)."""
    with _recent_lock:
        _recent[:] = [pieces, *(sheet for sheet in _recent if sheet is not replaced)][:_RECENT_SHEETS]
