"""The safe-output function on a real full disk and a real read-only file system (tmpfs mounts, which root
cannot write through either; `make test-slow`): every command that writes a file says so in one sentence,
exit 2, no traceback (nor "Exception ignored" from a half-written zip), and leaves the old file and nothing
else behind."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from disks import fill, small_tmpfs

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
CLIENT = "1b2c3d4e-0000-4000-8000-123456789abc"


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs (skipped where mounting is not allowed)."""
    with small_tmpfs(tmp_path) as mount:
        yield mount



def commands(folder: Path, workbook: Path) -> list[tuple[list[str], Path]]:
    """Each command that writes a file, with the file it writes in `folder`."""
    book = ["--workbook", str(workbook)]
    return [(["export", "changes", "--output", str(folder / "c.csv"), *book], folder / "c.csv"),
            (["export", "appendix", "--output", str(folder / "a.xlsx"), *book], folder / "a.xlsx"),
            (["report", "--year", "2026", "--output", str(folder / "r.docx"), *book], folder / "r.docx"),
            (["report", "--year", "2026", "--output", str(folder / "r.xlsx"), *book], folder / "r.xlsx"),
            (["summary", "--month", "2026-10", "--chart", str(folder / "s.png"), *book], folder / "s.png"),
            (["teams-package", "--client-id", CLIENT, "--output", str(folder / "t.zip")], folder / "t.zip"),
            (["workbook", "init", str(folder / "new.xlsx")], folder / "new.xlsx")]


def run(args: list[str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLI_", "SLACK_"))}
    return subprocess.run([sys.executable, "-m", "sli", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**clean, "PYTHONPATH": str(ROOT)}, timeout=180)


def old_files(folder: Path, workbook: Path) -> dict[Path, bytes]:
    """Yesterday's outputs, written by the commands themselves while there was room."""
    for args, _ in commands(folder, workbook):
        assert run(args).returncode == 0, args
    (folder / "new.xlsx").unlink()  # `workbook init` refuses an existing file: it is tried on a new name
    return {path: path.read_bytes() for path in folder.iterdir()}


def assert_one_sentence(done: subprocess.CompletedProcess, words: str) -> None:
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert done.stderr.startswith("sli: ") and done.stderr.count("\n") == 1, done.stderr
    assert words in done.stderr and "nothing was written" in done.stderr, done.stderr


def test_a_full_disk_under_every_output(disk: Path, workbook: Path) -> None:
    before = old_files(disk, workbook)
    filler = fill(disk)
    for args, _ in commands(disk, workbook):
        assert_one_sentence(run(args), "the disk is full")
    filler.unlink()
    assert {path: path.read_bytes() for path in disk.iterdir()} == before  # old files whole, nothing left


def test_a_read_only_file_system_under_every_output(disk: Path, workbook: Path) -> None:
    before = old_files(disk, workbook)
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    try:
        for args, _ in commands(disk, workbook):
            assert_one_sentence(run(args), "read-only file system")
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=True)
    assert {path: path.read_bytes() for path in disk.iterdir()} == before
