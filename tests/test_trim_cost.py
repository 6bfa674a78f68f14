"""Small fixed costs of one update cut (issue 18), each checked by what it gives (the same bytes, the same
CRC as zlib's) and by what it does (counted, never timed)."""

from __future__ import annotations

import gc
import os
import random
import shutil
import weakref
import zipfile
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

import sli
from shared import reader, writers
from shared.domain import schema as s
from shared.journal import close_connections
from shared.uow import Store, system_clock
from shared.usecases import submit_update
from shared.xlsx import Package, segments
from shared.xlsx import package as package_module
from shared.xlsx.ooxml import M

MAIN_PART = "xl/worksheets/sheet1.xml"


def _update(workbook: Path, ref: str, text: str) -> None:
    reader._cache.clear()
    assert sli.main(["update", ref, "--next", text, "--by", "Helen Lowey", "--workbook", str(workbook)]) == sli.EXIT_OK


def test_combined_crcs_are_zlibs_for_pieces_of_any_length() -> None:
    """The CRC of A+B made from CRC(A), CRC(B) and len(B) is zlib's CRC of A+B: empty, short, long pieces."""
    chance = random.Random(18)
    for _ in range(500):
        first, second = chance.randbytes(chance.randrange(0, 40)), chance.randbytes(chance.randrange(0, 5000))
        assert segments.crc32_combine(zlib.crc32(first), zlib.crc32(second), len(second)) == zlib.crc32(first + second)
    zeros = bytes(3 * 2 ** 24 + 12345)  # a log sheet's rows can run to tens of megabytes
    assert segments.crc32_combine(zlib.crc32(b"head"), zlib.crc32(zeros), len(zeros)) == zlib.crc32(b"head" + zeros)


def test_an_update_combines_its_crcs_by_table_not_bit_by_bit(workbook: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Appending to the Change log combines some twenty CRCs: once the tables of x^(2^n) are built, none is
    multiplied bit by bit (main did it in every update), and the file's CRCs still check."""
    _update(workbook, "L7", "First of two")
    calls = []
    real = segments._crc_multiply

    def counted(a: int, b: int) -> int:
        calls.append(1)
        return real(a, b)

    monkeypatch.setattr(segments, "_crc_multiply", counted)
    _update(workbook, "L8", "Second of two")
    _update(workbook, "L9", "Third of two")
    with zipfile.ZipFile(workbook) as archive:
        assert archive.testzip() is None
        log = [name for name in archive.namelist() if archive.getinfo(name).comment]
    assert log  # the log sheet is stored in pieces, so its CRC was combined
    assert len(calls) <= 32 * 32  # at most the tables of the x^(2^n) not used by the first update
    calls.clear()
    _update(workbook, "L10", "Fourth")
    assert calls == []


def test_an_edited_rows_height_reads_each_cell_once(workbook: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A row edited is estimated before (is its height an officer's?) and after (the height its text needs):
    the cells not edited are read once, not twice, and the sheet written is byte for byte the one written when
    the row was read whole both times."""
    twice = shutil.copytree(workbook.parent, tmp_path / "twice") / workbook.name
    text = "Agree the audit with the midwives and the obstetric leads, then report to the board " * 3
    read: list[int] = []
    real_text = Package._cell_text

    def counted(self, cell):
        read.append(1)
        return real_text(self, cell)

    real_edit = Package.edit_cells
    during: list[int] = []

    def editing(self, sheet_name, edits):
        before = len(read)
        real_edit(self, sheet_name, edits)
        if sheet_name == s.MAIN_SHEET:
            during.append((len(read) - before, len(edits)))

    monkeypatch.setattr(Package, "_cell_text", counted)
    monkeypatch.setattr(Package, "edit_cells", editing)
    _update(workbook, "L7", text)
    with zipfile.ZipFile(workbook) as archive:
        root = etree.fromstring(archive.read(MAIN_PART))
    [row] = [row for row in root.iter(f"{M}row") if any(text.strip() in "".join(c.itertext()) for c in row)]
    cells = [cell for cell in row.iterchildren(f"{M}c") if cell.get("r")]
    assert len(cells) > 5 and row.get("ht")
    [(texts, edited)] = during
    assert 0 < edited < len(cells) // 2
    assert texts <= len(cells) + edited  # each cell before, the edited ones again after: main read all twice

    real_estimate = package_module.estimate_height
    monkeypatch.setattr(package_module, "estimate_height",
                        lambda row, layout, metrics, text_of, known=None: real_estimate(row, layout, metrics, text_of))
    _update(twice, "L7", text)
    with zipfile.ZipFile(workbook) as kept_file, zipfile.ZipFile(twice) as whole_file:
        assert kept_file.read(MAIN_PART) == whole_file.read(MAIN_PART)
        assert b' ht="' in kept_file.read(MAIN_PART)


def test_an_update_resolves_the_journals_path_once(workbook: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """An update opens several units of work on its store: the journal is made (its path resolved, a stat of
    each folder on the way) once, not by each (main: five times), and once in a process however many stores it
    makes for the file (an `sli update` each: test_path_cost.py); and a journal removed, folder and all, between
    two updates of one store is made again, as before."""
    resolved: list[Path] = []
    real = Path.resolve

    def counted(self, *args, **kwargs):
        if self.name.endswith(".journal.sqlite"):
            resolved.append(self)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "resolve", counted)
    _update(workbook, "L7", "First")
    _update(workbook, "L8", "Second")
    assert len(resolved) == 1
    assert reader.read_appendix(workbook).get("L8")[s.NEXT_STEPS] == "Second"

    folder = tmp_path / "journals"
    store = Store.for_workbook(workbook, journal=folder / "Appendix1.xlsx.journal.sqlite")
    assert submit_update(store, "L9", {s.NEXT_STEPS: "Third"}, by="Helen Lowey", via=s.VIA_CLI).state == "applied"
    close_connections()
    shutil.rmtree(folder)
    assert submit_update(store, "L10", {s.NEXT_STEPS: "Fourth"}, by="Helen Lowey", via=s.VIA_CLI).state == "applied"
    assert (folder / "Appendix1.xlsx.journal.sqlite").is_file()


def test_a_save_stats_the_workbook_and_its_temporary_no_more_than_it_needs(workbook: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Saving looks at the workbook once for its permissions (not once to see it is there and again for
    them), and not at the temporary file by its name at all (the identity the read cache is filed under is the
    write's own fstat, on its descriptor): earlier the workbook was stat'd five times in each save, the
    temporary three; the file saved is whole and keeps its mode."""
    workbook.chmod(0o640)
    _update(workbook, "L7", "First")
    looked: list[str] = []
    saving: list[bool] = []
    real_stat, real_save = os.stat, writers.save_atomically

    def counted_stat(path, *args, **kwargs):
        if saving:
            looked.append(Path(path).name)
        return real_stat(path, *args, **kwargs)

    def counted_save(*args, **kwargs):
        saving.append(True)
        try:
            return real_save(*args, **kwargs)
        finally:
            saving.clear()

    monkeypatch.setattr(os, "stat", counted_stat)
    monkeypatch.setattr(writers, "save_atomically", counted_save)
    _update(workbook, "L8", "Second")
    temporary = [name for name in looked if ".sli-tmp-" in name]
    assert 1 <= looked.count(workbook.name) <= 3 and not temporary
    assert not list(workbook.parent.glob(".*sli-tmp*"))
    assert real_stat(workbook).st_mode & 0o777 == 0o640
    with zipfile.ZipFile(workbook) as archive:
        assert archive.testzip() is None
    assert reader.read_appendix(workbook).get("L8")[s.NEXT_STEPS] == "Second"


def test_a_store_keeps_one_journal_and_gives_each_clock_its_own(workbook: Path) -> None:
    """The journal a store gives again is the one for the same clock; asked for with another clock it makes
    one that stamps with that clock, and no longer keeps the first (a long-lived store keeps one journal)."""
    store = Store.for_workbook(workbook)

    class Clock:
        def __call__(self) -> datetime:
            return datetime(2027, 3, 4, 5, 6, 7, tzinfo=UTC)

    first = Clock()
    journal = store.journal(clock=first)
    assert store.journal(clock=first) is journal
    gone = weakref.ref(first)
    del first, journal
    other = store.journal(clock=system_clock)
    assert other.clock is system_clock and store.journal(clock=system_clock) is other
    gc.collect()
    assert gone() is None
