"""What one update costs above the floor (copy the file, fsync, rename, fsync the folder), issue 18's targets:
the work each speed-up removed, counted without timing, so a change that brings it back fails here."""

from __future__ import annotations

import io
import os
import random
import re
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from lxml import etree
from tracing import needs_strace

import sli
from shared.domain import schema as s
from shared.domain.bounded import Bounded
from shared.xlsx import Package, keptparts
from shared.xlsx.cells import excel_serial
from shared.xlsx.reduced import SHARED_STRINGS, Parts, shared_strings_prefix

ROOT = Path(__file__).resolve().parents[1]


def run(capsys, *argv: str) -> tuple[int, str]:
    code = sli.main(list(argv))
    return code, capsys.readouterr().out


def test_an_update_inflates_each_part_once(workbook: Path, capsys, monkeypatch) -> None:
    """Filling the read cache after a save takes the parts the writer already inflated (Appendix 1's sheet,
    the styles, the sheet list) as they are: no part of the file is inflated twice by one update."""
    run(capsys, "--workbook", str(workbook), "status", "L7")  # the journal made, the cache filled
    monkeypatch.setattr(keptparts, "_kept", Bounded(8))  # none of the parts inflated by earlier tests kept
    opened: list[tuple[int, str]] = []
    real_open = zipfile.ZipFile.open

    def counting_open(self, name, mode="r", *args, **kwargs):
        if mode == "r":
            opened.append((id(self), name.filename if isinstance(name, zipfile.ZipInfo) else name))
        return real_open(self, name, mode, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", counting_open)
    real_inflated = keptparts._inflated

    def counting_inflated(source, info, compressed):  # a part inflated from the bytes its key read
        opened.append((id(source), info.filename))
        return real_inflated(source, info, compressed)

    monkeypatch.setattr(keptparts, "_inflated", counting_inflated)
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


@needs_strace("counts the bytes read")
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


def _strings(items: list[bytes], root: bytes = b"sst", head: bytes = b"") -> bytes:
    space = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"' if b":" not in root else \
        b'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    return (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<' + root + b" " + space + b' count="9">'
            + head + b"".join(items) + b"</" + root + b">")


def _prefix(part: bytes, last: int) -> list[bytes]:
    """The items `shared_strings_prefix` gives for `part`, as lxml serialises them."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(SHARED_STRINGS, part)
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        prefix = shared_strings_prefix(Parts(archive), last)
    return [etree.tostring(item) for item in etree.fromstring(prefix) if isinstance(item.tag, str)]


def test_the_shared_strings_prefix_is_found_without_parsing_it(monkeypatch) -> None:
    """Appendix 1's strings are cut from a spreadsheet program's shared strings by finding the items' end
    tags, not by parsing them with lxml (what made a status read after LibreOffice's save cost more); the
    items are the file's own, as lxml would read them, with a prefix, an empty item, runs and many reads."""
    many = [b"<si><t>" + f"item {n} ".encode() * 40 + b"</t></si>" for n in range(3000)]
    rich = [b"<si><r><rPr><b/></rPr><t>bold</t></r><r><t xml:space='preserve'> plain</t></r></si>", b"<si/>",
            b"<si><t>after an empty one</t></si>"]
    cases = [(_strings(many), 2500), (_strings(rich + many), 2), (_strings(rich), 10),
             (_strings([item.replace(b"<si", b"<x:si").replace(b"</si", b"</x:si").replace(b"<t", b"<x:t")
                        .replace(b"</t", b"</x:t") for item in many[:50]], b"x:sst"), 40)]
    expected = [_prefix(part, last) for part, last in cases]  # lxml's reading, before iterparse is taken away

    def no_parse(*args, **kwargs):
        raise AssertionError("the shared strings were parsed")

    monkeypatch.setattr(etree, "iterparse", no_parse)
    for (part, last), whole in zip(cases, expected, strict=True):
        found = _prefix(part, last)
        assert len(found) >= min(last + 1, len(whole)) and found == whole[:len(found)]


def test_a_comment_in_the_shared_strings_is_left_to_lxml() -> None:
    """`</si>` inside a comment or CDATA is not an item's end: such a part is read by lxml, items right."""
    part = _strings([b"<si><t>one</t></si>", b"<!-- </si></si></si> -->", b"<si><t>two</t></si>",
                     b"<si><t><![CDATA[</si>]]></t></si>", b"<si><t>four</t></si>"])
    items = _prefix(part, 2)
    assert len(items) >= 3 and b"two" in items[1] and b"<t>&lt;/si&gt;</t>" in items[2]


@needs_strace("follows the syncs")
def test_the_new_file_is_synced_before_the_rename_and_its_folder_after(workbook: Path, tmp_path: Path) -> None:
    """The new file is on disk before it replaces the old one, whose folder is synced after: whether the read
    cache is filled with what the writer planned on and wrote (no parse, nothing to overlap the sync with) or,
    where that is unsure (a date into a cell that held none), with its save parsed while the disk syncs it."""
    trace = tmp_path / "syncs.trace"
    command = [sys.executable, "sli.py", "update", "--by", "Helen Lowey", "--workbook", str(workbook)]
    updates = (["L7", "--next", "First: makes the journal"], ["L7", "--next", "Second: as every later one"],
               ["L4", "--due", "31/01/2028"])
    for update in updates:
        subprocess.run(["strace", "-f", "-qq", "-y", "-e", "trace=fsync,rename,renameat,renameat2", "-o", str(trace),
                        *command, *update], check=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                       capture_output=True, timeout=120)
        lines = trace.read_text().splitlines()
        renamed = [n for n, line in enumerate(lines) if "rename" in line and "sli-tmp" in line and "= 0" in line]
        assert len(renamed) == 1
        sync_line = next(line for line in lines if "fsync(" in line and ".sli-tmp-" in line)
        done = [n for n, line in enumerate(lines) if line.split()[0] == sync_line.split()[0] and "fsync" in line
                and line.rstrip().endswith("= 0")]
        assert done and done[0] < renamed[0]
        assert any("fsync(" in line and line.rstrip().endswith("= 0") for line in lines[renamed[0] + 1:])  # folder
