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
