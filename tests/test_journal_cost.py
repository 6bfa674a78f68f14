"""What an update costs in syncs to disk (issue 18, point 2), counted with strace around real processes: the
workbook's own two (the new file, its folder) and one for the journal, where the journal alone took eleven (a
connection per call at `synchronous=FULL`, three commits, a WAL checkpoint on every close)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tracing import needs_strace

ROOT = Path(__file__).resolve().parents[1]

pytestmark = needs_strace("counts the syncs")

#: `n` updates through the use case in one process (as the bots and the add-in server make them, after a few
#: to warm up: the journal made, its connection opened).
UPDATES = """
import sys
from shared.usecases import Store, submit_update
workbook, n = sys.argv[1], int(sys.argv[2])
store = Store.for_workbook(workbook, keep_backups=2)
for i in range(3 + n):
    assert submit_update(store, f"L{1 + i % 22}", {"Next steps": f"Step {i}"}, by="Helen Lowey",
                         via="CLI").state == "applied"
"""


def _syncs(trace: Path, *command: str) -> int:
    """How many fsync and fdatasync calls `command` made (its threads included)."""
    subprocess.run(["strace", "-f", "-qq", "-e", "trace=fsync,fdatasync", "-o", str(trace), *command], check=True,
                   cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, timeout=120)
    return sum(1 for line in trace.read_text().splitlines() if "sync(" in line)


def test_an_update_costs_the_journal_one_sync(workbook: Path, tmp_path: Path) -> None:
    trace = tmp_path / "syncs.trace"
    warm = _syncs(trace, sys.executable, "-c", UPDATES, str(workbook), "0")
    with_ten = _syncs(trace, sys.executable, "-c", UPDATES, str(workbook), "10")
    assert (with_ten - warm) / 10 <= 3  # the new file, its folder, and the journal's one


def test_an_sli_update_process_syncs_four_times(workbook: Path, tmp_path: Path) -> None:
    """The command as run: the workbook's two, the journal's one, and once the journal's folder (SQLite syncs
    it the first time a connection syncs its WAL). The journal is not checkpointed as the command ends."""
    trace = tmp_path / "syncs.trace"
    command = [sys.executable, "sli.py", "update", "L7", "--by", "Helen Lowey", "--workbook", str(workbook), "--next"]
    _syncs(trace, *command, "First: makes the journal")
    assert _syncs(trace, *command, "Second: as every later one") <= 4


def _finished(lines: list[str], start: int) -> int:
    """The line where the call begun at `lines[start]` returned 0 (itself, or its `resumed` line in strace -f)."""
    pid, call = lines[start].split()[0], lines[start].split()[1].split("(")[0]
    if lines[start].rstrip().endswith("= 0"):
        return start
    return next(n for n in range(start + 1, len(lines)) if lines[n].split(None, 1)[0] == pid
                and lines[n].split(None, 1)[1].startswith(f"<... {call} resumed>")
                and lines[n].rstrip().endswith("= 0"))


def test_the_writing_mark_is_synced_beside_the_new_file_and_before_the_rename(workbook: Path, tmp_path: Path) -> None:
    """The journal's one sync of an `sli update` (its `writing` mark, which syncs the record too) is made once the
    new workbook file is written, where the writer made it before the file was begun: its wait for the disk
    overlaps the file's. The writer makes it itself while another thread waits for the file's (issue 18: a
    second syncing thread cost two wake-ups and bought nothing the writer's own wait does not). Both syncs are
    done before the file replaces the old one."""
    trace = tmp_path / "order.trace"
    command = [sys.executable, "sli.py", "update", "L7", "--by", "Helen Lowey", "--workbook", str(workbook), "--next"]
    for text in ("First: makes the journal", "Second: as every later one"):
        subprocess.run(["strace", "-f", "-qq", "-y", "-e", "trace=openat,fsync,fdatasync,rename,renameat,renameat2",
                        "-o", str(trace), *command, text], check=True, cwd=ROOT,
                       env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, timeout=120)
    lines = trace.read_text().splitlines()
    renamed = [n for n, line in enumerate(lines) if "rename" in line and "sli-tmp" in line and "= 0" in line]
    assert len(renamed) == 1
    opened = max(n for n, line in enumerate(lines[:renamed[0]]) if "openat(" in line and ".sli-tmp-" in line
                 and "O_WRONLY" in line)
    file_sync = next(n for n, line in enumerate(lines) if "fsync(" in line and ".sli-tmp-" in line)
    journal_syncs = [n for n, line in enumerate(lines) if "sync(" in line and "journal.sqlite" in line
                     and "<..." not in line]
    assert len(journal_syncs) == 1  # the record and the mark: one sync
    journal_sync = journal_syncs[0]
    assert opened < journal_sync  # main synced the mark before it began the new file
    writer = lines[renamed[0]].split()[0]
    assert lines[journal_sync].split()[0] == writer  # the writer's own, while another thread syncs the file
    assert lines[file_sync].split()[0] != writer
    assert _finished(lines, journal_sync) < renamed[0] and _finished(lines, file_sync) < renamed[0]
