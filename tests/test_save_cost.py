"""What the file side of a save asks of the kernel (issue 18): the new file opened once and written without a
seek, the backup folder not made again, who the process runs as asked once; each counted with strace, never
timed. And the parts written anew are the bytes zipfile's own writer made."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from tracing import needs_strace

from shared.xlsx.entries import Source, clone_info
from shared.xlsx.ooxml import PackageError
from shared.xlsx.parts import ZipParts
from shared.xlsx.save import save_atomically, wait_for_pruning
from shared.xlsx.writing import NewFile, write_deflated

ROOT = Path(__file__).resolve().parents[1]

#: `SAVES` saves of the workbook at argv[1], each with one part changed, as an update's save is made.
SAVES = """
import sys
from pathlib import Path
from shared.xlsx.parts import ZipParts
from shared.xlsx.save import save_atomically, wait_for_pruning
book = Path(sys.argv[1])
for _ in range(int(sys.argv[2])):
    package = ZipParts(book)
    package.changed["docProps/app.xml"] = package.parts["docProps/app.xml"] + b" "
    save_atomically(package, book, book.parent / ".backups", 3)
    package.close()
    wait_for_pruning()
"""

_LINE = re.compile(r"^\d+\s+(\w+)\((.*)\)\s+=\s+(-?\d+)")


def _calls(trace: Path, workbook: Path, saves: int) -> list[tuple[str, str, int]]:
    """The calls (name, arguments, result) `saves` saves made, traced with file names (strace -y)."""
    subprocess.run(["strace", "-f", "-qq", "-y", "-o", str(trace), sys.executable, "-c", SAVES, str(workbook),
                    str(saves)], check=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                   capture_output=True, timeout=120)
    calls = []
    for line in trace.read_text().splitlines():
        found = _LINE.match(line)
        if found:
            calls.append((found.group(1), found.group(2), int(found.group(3))))
    return calls


def _per_save(workbook: Path, tmp_path: Path) -> Counter[str]:
    """Calls of each kind one save makes beyond what the first one does (the process's start taken out), and
    the backup folder's mkdirs in the five saves after the first process made it."""
    one = _calls(tmp_path / "one.trace", workbook, 1)
    five = _calls(tmp_path / "five.trace", workbook, 5)
    counted: list[Counter[str]] = []
    for calls in (one, five):
        kinds: Counter[str] = Counter()
        for name, arguments, _result in calls:
            if ".sli-tmp-" in arguments:  # on the new file, by its name or by a descriptor on it
                kinds[f"{name} new file"] += 1
            if name == "geteuid":
                kinds[name] += 1
            if f"/{workbook.name}>" in arguments:  # on a descriptor of the workbook (strace -y)
                kinds[f"{name} workbook"] += 1
            if name == "mkdir" and ".backups" in arguments:
                kinds["mkdir backups"] += 1
        counted.append(kinds)
    per_save = Counter({kind: (counted[1][kind] - counted[0][kind]) / 4 for kind in counted[1] | counted[0]})
    per_save["mkdir backups"] = counted[1]["mkdir backups"]
    return per_save


@needs_strace("counts a save's calls")
def test_a_save_opens_its_new_file_once_and_writes_it_without_seeking(workbook: Path, tmp_path: Path) -> None:
    """The new file is created private by the write's own open (it was made empty and closed, then opened
    again), written with no lseek (a buffered file asked the kernel where it was at every tell: 15 an update)
    and no stat (its size, time and inode are the write's fstat); the backup folder, there after the first
    save, is not made again (a mkdir and a stat every save); geteuid is asked once (three times before)."""
    per_save = _per_save(workbook, tmp_path)
    assert per_save["openat new file"] == 1
    assert per_save["lseek new file"] == 0
    assert per_save["newfstatat new file"] <= 1  # the write's own fstat, on its descriptor (four before)
    assert per_save["mkdir backups"] == 0
    assert per_save["geteuid"] <= 1
    assert per_save["write new file"] <= 3  # the changed part with its header, the directory


@needs_strace("counts a save's reads")
def test_a_saves_short_reads_of_the_workbook_are_served_from_a_few_kilobytes_read_once(workbook: Path,
                                                                                     tmp_path: Path) -> None:
    """The local headers of the parts copied as they lie, read once each where the data is found and again to
    check them before the copy, and the small parts' data, lie within a few kilobytes of one another: a short
    read reads four kilobytes once and the reads near it are served from them (eleven preads a save before)."""
    assert _per_save(workbook, tmp_path)["pread64 workbook"] <= 5


@needs_strace("counts a save's reads")
def test_the_workbooks_directory_is_read_with_one_pread_and_no_seek(workbook: Path, tmp_path: Path) -> None:
    """The workbook is opened as a bare descriptor and zipfile reads it through pread where it stands: its end
    record and central directory come from one read of the file's last kilobytes. A buffered file asked the
    kernel whether it was a terminal (ioctl), where it stood and where it ended (six lseeks), and read the
    directory in five reads."""
    per_save = _per_save(workbook, tmp_path)
    assert per_save["lseek workbook"] == 0
    assert per_save["read workbook"] == 0
    assert per_save["ioctl workbook"] == 0
    assert per_save["pread64 workbook"] <= 5


def test_the_backup_folder_is_made_when_it_is_not_there(workbook: Path) -> None:
    """The link is tried first: the first save into a folder not made yet makes it, and keeps the backup."""
    backups = workbook.parent / "deep" / ".backups"
    package = ZipParts(workbook)
    package.changed["docProps/app.xml"] = package.parts["docProps/app.xml"] + b" "
    before = workbook.read_bytes()
    save_atomically(package, workbook, backups, 3)
    package.close()
    wait_for_pruning()
    kept = list(backups.iterdir())
    assert len(kept) == 1 and kept[0].read_bytes() == before


def test_a_save_gives_the_identity_of_the_file_it_put_in_place(workbook: Path) -> None:
    """The identity comes from the write's own fstat, taken before the group and mode were set: neither
    changes the size, time or inode, so it is the file's as a stat after the rename sees it."""
    os.chmod(workbook, 0o640)
    package = ZipParts(workbook)
    package.changed["docProps/app.xml"] = package.parts["docProps/app.xml"] + b" "
    identity = save_atomically(package, workbook, None, 0)
    package.close()
    facts = os.stat(workbook)
    assert identity == (facts.st_size, facts.st_mtime_ns, facts.st_ino)
    assert facts.st_mode & 0o777 == 0o640


@pytest.mark.parametrize("kind", ["deflated", "stored", "new"])
def test_a_part_written_anew_is_the_bytes_zipfile_writes(workbook: Path, tmp_path: Path, kind: str) -> None:
    """`write_deflated` writes one header instead of zipfile's two, and the same bytes: the local header, the
    data and the directory entry, for a part deflated, one stored and one this program adds."""
    with zipfile.ZipFile(workbook) as source:
        info = source.getinfo("xl/styles.xml")
        data = source.read(info) * 3
    if kind == "new":
        entry = lambda: zipfile.ZipInfo("xl/worksheets/sheet9.xml", date_time=(2026, 1, 1, 0, 0, 0))  # noqa: E731
        compress = zipfile.ZIP_DEFLATED
    else:
        entry = lambda: clone_info(info)  # noqa: E731
        compress = zipfile.ZIP_DEFLATED if kind == "deflated" else zipfile.ZIP_STORED

    expected = io.BytesIO()
    with zipfile.ZipFile(expected, "w") as archive:
        archive.writestr("first", b"before")
        made = entry()
        made.compress_type = compress
        archive.writestr(made, data, compresslevel=1)
    with NewFile(tmp_path / "new.zip") as handle:
        with zipfile.ZipFile(handle, "w") as archive:
            archive.writestr("first", b"before")
            made = entry()
            made.compress_type = compress
            write_deflated(archive, handle, made, data)
        handle.flush()
    assert (tmp_path / "new.zip").read_bytes() == expected.getvalue()


def test_a_short_read_near_the_files_end_or_past_it(workbook: Path) -> None:
    """The window a short read reads is shorter at the file's end: what lies within it is served, a read
    past the end is the file changed while it was read, as it was when each read went to the kernel."""
    source = Source(workbook)
    try:
        data = workbook.read_bytes()
        assert source.read(len(data) - 22, 22) == data[-22:]
        assert source.read(len(data) - 30, 8) == data[-30:-22]
        assert source.read(100, 60) == data[100:160]
        assert source.read(130, 20) == data[130:150]  # from the window read above
        with pytest.raises(PackageError):
            source.read(len(data) - 10, 20)
    finally:
        source.close()
