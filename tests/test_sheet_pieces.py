"""An update compresses the rows it changed, not the whole of Appendix 1 again (issue 18: an update at an empty
Change log is mostly fixed cost, and compressing the 34 KB sheet was about 170 µs of it): the sheet is deflated
in pieces of a few rows, each compressed once per process (`shared.xlsx.pieces`), and it still inflates to
exactly the sheet every reader sees."""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain import schema as s
from shared.domain.bounded import Bounded
from shared.usecases import Store, submit_update
from shared.xlsx import pieces
from shared.xlsx.pieces import PIECES_ABOVE, deflate_sheet

MAIN_PART = "xl/worksheets/sheet1.xml"


def _update(workbook: Path, ref: str, text: str) -> None:
    result = submit_update(Store.for_workbook(workbook), ref, {s.NEXT_STEPS: text}, by="Pat Officer", via=s.VIA_CLI)
    assert result.state == "applied", result.message


def zlib_spy(monkeypatch: pytest.MonkeyPatch, maker: str, method: str, given: bool,
             keep: Callable[[bytes], object]) -> None:
    """From now on, what each zlib object made by `maker` is handed (`given` False) or gives back (`given` True)
    through `method` goes to `keep`: zipfile's and ours (a spy on zlib, not on our code)."""
    made = getattr(zlib, maker)

    class Counting:
        def __init__(self, *args, **kwargs):
            self._made = made(*args, **kwargs)

        def __getattr__(self, name: str):
            return getattr(self._made, name)

    def counted(self, data: bytes, *args) -> bytes:
        out = getattr(self._made, method)(data, *args)
        keep(out if given else data)
        return out

    setattr(Counting, method, counted)
    monkeypatch.setattr(zlib, maker, Counting)


def _zlib_counted(monkeypatch: pytest.MonkeyPatch, maker: str, method: str, given: bool) -> list[int]:
    """The lengths `zlib_spy` sees, from now on."""
    lengths: list[int] = []
    zlib_spy(monkeypatch, maker, method, given, lambda data: lengths.append(len(data)))
    return lengths


def _bytes_compressed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The length of every piece of data handed to a zlib compressor from now on."""
    return _zlib_counted(monkeypatch, "compressobj", "compress", given=False)


def test_an_update_compresses_a_fraction_of_appendix_1(workbook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with zipfile.ZipFile(workbook) as archive:
        sheet_length = archive.getinfo(MAIN_PART).file_size
    assert sheet_length > 4 * PIECES_ABOVE  # the committed sheet is worth cutting
    _update(workbook, "L7", "First step, compressed whole once")
    fed = _bytes_compressed(monkeypatch)
    _update(workbook, "L7", "Second step: only its rows compressed again")
    # The edited row's piece (four rows at most), the Change log's new row and small parts; the sheet was
    # compressed whole before (34 KB).
    assert sum(fed) < sheet_length / 3, (sum(fed), sheet_length)


def test_appendix_1_in_pieces_reads_the_same_everywhere(workbook: Path) -> None:
    for n in range(6):
        _update(workbook, f"L{1 + 5 * n % 22}", f"Step {n}: “quoted” & <tagged> text")
    with zipfile.ZipFile(workbook) as archive:
        assert archive.testzip() is None
        xml = archive.read(MAIN_PART)
        info = archive.getinfo(MAIN_PART)
        with archive.open(info) as part:
            assert part.read() == xml
    sheet = openpyxl.load_workbook(workbook, read_only=True)[s.MAIN_SHEET]
    values = [cell.value for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)]
    assert "Step 5: “quoted” & <tagged> text" in values


_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="<&"), max_size=600)
_ROW = st.builds(lambda n, text: f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>{text}</t></is></c></row>'.encode(),
                 st.integers(1, 999), _TEXT)


@settings(max_examples=60, deadline=None)
@given(st.lists(_ROW, max_size=60), st.binary(max_size=300), st.binary(max_size=300))
def test_a_sheet_in_pieces_inflates_to_itself(rows: list[bytes], head: bytes, tail: bytes) -> None:
    sheet = b"<worksheet>" + head + b"<sheetData>" + b"".join(rows) + b"</sheetData>" + tail + b"</worksheet>"
    raw = deflate_sheet(sheet)
    if len(sheet) < PIECES_ABOVE:
        assert raw is None
        return
    inflater = zlib.decompressobj(-15)
    assert inflater.decompress(raw) == sheet
    assert inflater.eof and not inflater.unused_data  # one whole stream, ended by its final block
    assert deflate_sheet(sheet) == raw  # the kept pieces give the same bytes


def test_the_pieces_an_edit_left_alone_are_compared_in_place_not_looked_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """The second deflate of a sheet with one row changed looks up (hashes) that row's piece only: the others are
    the bytes at the same place in the sheet deflated before, found by comparing (main hashed every piece, the
    whole 34 KB sheet, at every update); and the bytes are those of a process that kept nothing."""
    rows = [f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>{"Text " * 40}{n}</t></is></c></row>'.encode()
            for n in range(1, 80)]

    def sheet() -> bytes:
        return b"<worksheet><sheetData>" + b"".join(rows) + b"</sheetData></worksheet>"

    monkeypatch.setattr(pieces, "_recent", [], raising=False)
    monkeypatch.setattr(pieces, "_COMPRESSED", Bounded(64))
    deflate_sheet(sheet())
    looked_up: list[bytes] = []
    kept = pieces._COMPRESSED
    monkeypatch.setattr(kept, "get", lambda piece, get=kept.get: looked_up.append(piece) or get(piece))
    rows[41] = rows[41].replace(b"Text", b"Edit", 1)
    raw = deflate_sheet(sheet())
    assert len(looked_up) == 1 and rows[41] in looked_up[0]
    assert zlib.decompressobj(-15).decompress(raw) == sheet()
    monkeypatch.setattr(pieces, "_recent", [], raising=False)
    monkeypatch.setattr(pieces, "_COMPRESSED", Bounded(64))
    assert deflate_sheet(sheet()) == raw


def bytes_inflated(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The length of everything a zlib inflater gives from now on."""
    return _zlib_counted(monkeypatch, "decompressobj", "decompress", given=True)


def test_an_update_does_not_inflate_the_appendix_1_this_process_wrote(workbook: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The writer keeps the sheet it wrote by the bytes it wrote (`keptparts.keep_written`): the next update
    finds the file holding those bytes and takes the sheet as written. After another program's save the
    bytes differ and the sheet is inflated again."""
    with zipfile.ZipFile(workbook) as archive:
        sheet_length = archive.getinfo(MAIN_PART).file_size
    _update(workbook, "L3", "Written by this process")
    given = bytes_inflated(monkeypatch)
    _update(workbook, "L4", "The sheet before this one is the one written")
    assert sum(given) < sheet_length / 3, (sum(given), sheet_length)
    saved_elsewhere = openpyxl.load_workbook(workbook)
    saved_elsewhere.save(workbook)  # another program's save: every part other bytes
    given.clear()
    _update(workbook, "L5", "Read from another program's save")
    assert sum(given) >= sheet_length / 2  # inflated, not taken from what this process kept
