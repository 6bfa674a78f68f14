"""Many writers at once lose nothing; a writer killed mid-save leaves a file that opens, and a restart
applies every journalled update exactly once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import openpyxl
import pytest

from shared import journal as j
from shared.domain import schema as s
from shared.reader import read_appendix, read_change_log
from shared.usecases import Store, process_pending

ROOT = Path(__file__).resolve().parents[1]

ONE_UPDATE = """
import sys
from shared.usecases import Store, submit_update
workbook, ref, text, by = sys.argv[1:5]
result = submit_update(Store.for_workbook(workbook), ref, {"Next steps": text}, by=by, via="CLI")
print(result.state)
sys.exit(0 if result.state == "applied" else 1)
"""

MANY_UPDATES = """
import sys
from shared.usecases import Store, submit_update
workbook, run = sys.argv[1:3]
store = Store.for_workbook(workbook, keep_backups=2)
for n in range(1000):
    submit_update(store, f"L{1 + n % 22}", {"Next steps": f"Run {run} step {n}"}, by=f"Writer {run}", via="CLI")
"""


def _python(code: str, *args: str) -> list[str]:
    return [sys.executable, "-c", code, *args]


def test_twenty_processes_updating_at_once_lose_nothing(workbook: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen(_python(ONE_UPDATE, str(workbook), f"L{n}", f"Agreed at meeting {n}", f"Writer {n}"),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT)
             for n in range(1, 21)]
    outcomes = [(p.wait(timeout=120), p.stdout.read().decode().strip(), p.stderr.read().decode()) for p in procs]
    assert all(code == 0 for code, _, _ in outcomes), outcomes

    appendix = read_appendix(workbook)
    for n in range(1, 21):
        assert appendix.rows[f"L{n}"][s.NEXT_STEPS] == f"Agreed at meeting {n}"
        assert appendix.rows[f"L{n}"][s.UPDATED_BY] == f"Writer {n}"
    log = read_change_log(workbook)
    assert sorted(e.by for e in log) == sorted(f"Writer {n}" for n in range(1, 21))
    assert len({e.update_id for e in log}) == 20
    openpyxl.load_workbook(workbook)  # the file opens
    assert Store.for_workbook(workbook).journal().in_states(*j.OPEN_STATES) == []


def _kill_and_recover(workbook: Path, rounds: int, seed: int) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    rng = random.Random(seed)
    store = Store.for_workbook(workbook, keep_backups=2)
    interrupted = 0
    for run in range(rounds):
        proc = subprocess.Popen(_python(MANY_UPDATES, str(workbook), str(run)), env=env, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.4, 1.6))  # imports take ~0.3 s; then it is mostly saving
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        # Whatever point the writer died at, the file opens in both readers.
        openpyxl.load_workbook(workbook, read_only=True).close()
        read_appendix(workbook)
        interrupted += bool(store.journal().in_states(*j.OPEN_STATES))
        # Restart: every journalled update not yet in the file is applied.
        process_pending(store)
        assert store.journal().in_states(*j.OPEN_STATES) == []

    applied = store.journal().in_states(j.APPLIED)
    assert len(applied) >= rounds
    per_update = Counter(e.update_id for e in read_change_log(workbook))
    changed = [e for e in applied if e.detail.get("changes")]
    for entry in changed:
        assert per_update[entry.id] == 1, entry  # each update's one field logged exactly once
    assert set(per_update) == {e.id for e in changed}
    # The last applied update of each ref is what the workbook shows.
    appendix = read_appendix(workbook)
    last = {}
    for entry in applied:
        last[entry.ref] = entry.changes[s.NEXT_STEPS]
    for ref, text in last.items():
        assert appendix.rows[ref][s.NEXT_STEPS] == text
    assert interrupted >= 1  # some kills landed between journalling and applying, and were recovered


def test_writer_killed_mid_save_loses_nothing(workbook: Path) -> None:
    _kill_and_recover(workbook, rounds=6, seed=2026)


@pytest.mark.slow
def test_writer_killed_mid_save_many_rounds(workbook: Path) -> None:
    _kill_and_recover(workbook, rounds=60, seed=11)
