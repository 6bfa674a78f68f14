"""Many writers at once lose nothing; a writer killed mid-save leaves a file that opens, and a restart
applies every journalled update exactly once.

"Mid-save" is made certain, not hoped for: the writer is paused (SIGSTOP) at a moment its temporary file
exists, which is between starting to write the new file and renaming it over the workbook (only the writer
itself removes or renames that file), and killed there. Other rounds kill at a random moment, and assert
only what holds whatever that moment was."""

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


def _pause_inside_a_save(proc: subprocess.Popen, temporary: Path, not_before: float) -> None:
    """Stop `proc` (SIGSTOP) while `temporary`, the writer's temporary file, exists, at `not_before` or later:
    then it is inside a save, before the rename. Fails the test if no save is caught within a minute."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the writer ended before a save was caught"
        if time.monotonic() >= not_before and temporary.exists():
            proc.send_signal(signal.SIGSTOP)
            _, state = os.waitpid(proc.pid, os.WUNTRACED)  # returns once it is stopped
            assert os.WIFSTOPPED(state), state
            if temporary.exists():
                return
            proc.send_signal(signal.SIGCONT)  # the save ended between the look and the stop: go on
        time.sleep(0.0005)
    raise AssertionError("no save by the writer was caught within 60 s")


def _kill_and_recover(workbook: Path, rounds: int, seed: int) -> None:
    """Even rounds kill the writer inside a save (and check that they did); odd rounds at a random moment."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    rng = random.Random(seed)
    store = Store.for_workbook(workbook, keep_backups=2)
    caught = []  # updates whose save was killed halfway
    history = {e.update_id for e in read_change_log(workbook)} - {e.id for e in store.journal().in_states(j.APPLIED)}
    for run in range(rounds):
        proc = subprocess.Popen(_python(MANY_UPDATES, str(workbook), str(run)), env=env, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        temporary = workbook.with_name(f".{workbook.name}.sli-tmp-{proc.pid}")
        mid_save = run % 2 == 0
        if mid_save:
            _pause_inside_a_save(proc, temporary, time.monotonic() + rng.uniform(0.3, 1.2))
        else:
            time.sleep(rng.uniform(0.4, 1.6))  # imports take ~0.3 s; then anywhere in an update, or between
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if mid_save:  # killed between writing the new file and renaming it: the update is not in the file yet
            assert temporary.exists()
            # `pending` while the new file is written, `writing` from its mark (made while the file syncs) on
            [saving] = store.journal().in_states(j.PENDING, j.WRITING)
            assert saving.id not in {e.update_id for e in read_change_log(workbook)}
            caught.append(saving.id)
        # Whatever point the writer died at, the file opens in both readers.
        openpyxl.load_workbook(workbook, read_only=True).close()
        read_appendix(workbook)
        # Restart: every journalled update not yet in the file is applied.
        process_pending(store)
        assert store.journal().in_states(*j.OPEN_STATES) == []
        assert not temporary.exists()  # the next save cleared the dead writer's temporary file

    applied = store.journal().in_states(j.APPLIED)
    assert len(applied) >= rounds
    per_update = Counter(e.update_id for e in read_change_log(workbook) if e.update_id not in history)
    changed = [e for e in applied if e.detail.get("changes")]
    for entry in changed:
        assert per_update[entry.id] == 1, entry  # each update's one field logged exactly once
    assert set(per_update) == {e.id for e in changed}
    assert {e.id for e in applied} >= set(caught) and all(per_update[c] == 1 for c in caught)
    # The last applied update of each ref is what the workbook shows.
    appendix = read_appendix(workbook)
    last = {}
    for entry in applied:
        last[entry.ref] = entry.changes[s.NEXT_STEPS]
    for ref, text in last.items():
        assert appendix.rows[ref][s.NEXT_STEPS] == text


def test_writer_killed_mid_save_loses_nothing(workbook: Path) -> None:
    _kill_and_recover(workbook, rounds=6, seed=2026)


@pytest.mark.slow
def test_writer_killed_mid_save_many_rounds(workbook: Path) -> None:
    _kill_and_recover(workbook, rounds=60, seed=11)
