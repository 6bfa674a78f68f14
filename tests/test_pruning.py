"""Old backups are removed after the update is in place, not before: removing the oldest backup frees a whole
old workbook's blocks (1.7 ms for a 10 MB file on ext4), which no one waiting for their update needs. The
process still removes them before it ends, and never keeps more than one backup beyond `SLI_KEEP_BACKUPS`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tracing import needs_strace

import sli
from shared.xlsx.save import wait_for_pruning

ROOT = Path(__file__).resolve().parents[1]


def _backups(workbook: Path) -> list[str]:
    return sorted(p.name for p in (workbook.parent / ".backups").iterdir())


@needs_strace("orders the rename and the backup's removal")
def test_the_oldest_backup_is_removed_after_the_rename_by_another_thread(workbook: Path, tmp_path: Path) -> None:
    trace = tmp_path / "prune.trace"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SLI_KEEP_BACKUPS": "1"}
    for n in range(3):
        command = [sys.executable, "sli.py", "update", "L7", "--by", "Helen Lowey", "--workbook", str(workbook),
                   "--next", f"Step {n}"]
        if n < 2:
            subprocess.run(command, check=True, cwd=ROOT, env=env, capture_output=True, timeout=120)
            continue
        subprocess.run(["strace", "-f", "-qq", "-e", "trace=rename,renameat,renameat2,unlink,unlinkat",
                        "-o", str(trace), *command], check=True, cwd=ROOT, env=env, capture_output=True, timeout=120)
    lines = trace.read_text().splitlines()
    [renamed] = [n for n, line in enumerate(lines) if "rename" in line and "sli-tmp" in line and "= 0" in line]
    removed = [n for n, line in enumerate(lines) if "unlink" in line and ".backups/" in line and "= 0" in line]
    assert len(removed) == 1, lines  # the process ended only once it was removed
    assert removed[0] > renamed
    assert lines[removed[0]].split()[0] != lines[renamed].split()[0]  # not the thread that answers
    assert len(_backups(workbook)) == 1


def test_backups_beyond_the_kept_number_go_once_the_save_is_done(workbook: Path, monkeypatch) -> None:
    monkeypatch.setenv("SLI_KEEP_BACKUPS", "2")
    for n in range(5):
        assert sli.main(["update", "L7", "--next", f"Step {n}", "--by", "Helen Lowey",
                         "--workbook", str(workbook)]) == sli.EXIT_OK
        assert len(_backups(workbook)) <= 3  # the one just kept, and at most one not yet removed
    wait_for_pruning()
    assert len(_backups(workbook)) == 2
