"""What one update costs above the floor (copy the file, fsync, rename, fsync the folder), issue 18's targets:
the work each speed-up removed, counted without timing, so a change that brings it back fails here."""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

import sli
from shared.domain import schema as s
from shared.xlsx import Package
from shared.xlsx.cells import excel_serial

ROOT = Path(__file__).resolve().parents[1]


def run(capsys, *argv: str) -> tuple[int, str]:
    code = sli.main(list(argv))
    return code, capsys.readouterr().out


def test_an_update_inflates_each_part_once(workbook: Path, capsys, monkeypatch) -> None:
    """Filling the read cache after a save takes the parts the writer already inflated (Appendix 1's sheet,
    the styles, the sheet list) as they are: no part of the file is inflated twice by one update."""
    run(capsys, "--workbook", str(workbook), "status", "L7")  # the journal made, the cache filled
    opened: list[tuple[int, str]] = []
    real_open = zipfile.ZipFile.open

    def counting_open(self, name, mode="r", *args, **kwargs):
        if mode == "r":
            opened.append((id(self), name.filename if isinstance(name, zipfile.ZipInfo) else name))
        return real_open(self, name, mode, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", counting_open)
    code, _ = run(capsys, "--workbook", str(workbook), "update", "L7", "--by", "Helen Lowey",
                  "--next", "Inflated once")
    assert code == 0
    twice = sorted({name for key in opened if opened.count(key) > 1 for _, name in [key]})
    assert "xl/worksheets/sheet1.xml" in {name for _, name in opened}
    assert twice == []  # main inflated Appendix 1's sheet, the styles and the sheet list a second time


def _long_log(workbook: Path, rows: int) -> int:
    """Give `Change log` `rows` rows of this year (random text, so they stay megabytes compressed); its size."""
    rng = random.Random(18)
    part = Package(workbook).sheet_parts[s.LOG_SHEET]
    with zipfile.ZipFile(workbook) as archive:
        parts = [(info, archive.read(info)) for info in archive.infolist()]
    serial = excel_serial(datetime.now(UTC).replace(tzinfo=None))
    out = [f'<row r="{n}"><c r="A{n}"><v>{serial}</v></c><c r="B{n}" t="inlineStr"><is><t>L7</t></is></c>'
           f'<c r="E{n}" t="inlineStr"><is><t>{rng.randbytes(160).hex()}</t></is></c></row>'
           for n in range(2, rows + 2)]
    longer = workbook.with_name("longer.xlsx")
    with zipfile.ZipFile(longer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in parts:
            if info.filename == part:
                close = data.rfind(b"</sheetData>")
                data = data[:close] + "".join(out).encode() + data[close:]
            archive.writestr(info.filename, data)
    longer.replace(workbook)
    return workbook.stat().st_size


UPDATES = """
import sys
from shared.usecases import Store, submit_update
workbook, n = sys.argv[1], int(sys.argv[2])
store = Store.for_workbook(workbook, keep_backups=2)
for i in range(2 + n):
    assert submit_update(store, f"L{1 + i % 22}", {"Next steps": f"Step {i}"}, by="Helen Lowey",
                         via="CLI").state == "applied"
"""
_CALL = re.compile(r"^\d+\s+(read|pread64|copy_file_range|sendfile)\((\d+)<([^>]*)>.*= (\d+)$")


def _workbook_bytes(trace: Path, workbook: Path, *command: str) -> dict[str, int]:
    """Bytes each of read, pread64, copy_file_range and sendfile moved out of the workbook file."""
    subprocess.run(["strace", "-f", "-qq", "-y", "-e", "trace=read,pread64,copy_file_range,sendfile",
                    "-o", str(trace), *command], check=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                   capture_output=True, timeout=120)
    moved = {"read": 0, "pread64": 0, "copy_file_range": 0, "sendfile": 0}
    for line in trace.read_text().splitlines():
        found = _CALL.match(line)
        if found and Path(found.group(3)).name == workbook.name:
            moved[found.group(1)] += int(found.group(4))
    return moved


@pytest.mark.skipif(shutil.which("strace") is None, reason="counts the bytes with strace")
def test_an_update_copies_the_unchanged_parts_in_the_kernel(workbook: Path, tmp_path: Path) -> None:
    """The Change log's megabytes (and every part the update does not change) go from the old file to the new
    one by copy_file_range: an update reads a small part of the file into memory, where it read all of it."""
    size = _long_log(workbook, 6000)
    assert size > 1_000_000
    trace = tmp_path / "bytes.trace"
    warm = _workbook_bytes(trace, workbook, sys.executable, "-c", UPDATES, str(workbook), "0")
    more = _workbook_bytes(trace, workbook, sys.executable, "-c", UPDATES, str(workbook), "4")
    per_update = {call: (more[call] - warm[call]) / 4 for call in warm}
    assert per_update["read"] + per_update["pread64"] < size / 10  # main read the whole file each update
    assert per_update["copy_file_range"] + per_update["sendfile"] > size / 2
