"""What an update hands to other threads (issue 18: on two cores each hand-off is a wake-up and a switch, with cold
caches on the other side): at an empty log two calls, the new file's fsync (which the journal's sync and the read
cache's derivation overlap) and the old backups' removal (after the answer), each through a queue and one lock
(`shared.xlsx.syncing.Worker`), no future or condition variable. The folder's sync and the journal's are made by
the thread that answers (tests/test_folder_sync.py, tests/test_journal_cost.py say when)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from shared.domain import schema as s
from shared.usecases import Store, submit_update
from shared.xlsx.save import wait_for_pruning
from shared.xlsx.syncing import Worker

ROOT = Path(__file__).resolve().parents[1]


def _update(workbook: Path, text: str) -> None:
    result = submit_update(Store.for_workbook(workbook), "L7", {s.NEXT_STEPS: text}, by="Pat Officer", via=s.VIA_CLI)
    assert result.state == "applied", result.message


def test_an_update_hands_two_calls_to_other_threads_and_waits_on_no_condition(workbook: Path) -> None:
    _update(workbook, "Warm: the threads are started")
    wait_for_pruning()
    handed: list[str] = []
    waited: list[str] = []

    def profile(frame, event, arg) -> None:
        if event == "c_call" and getattr(arg, "__qualname__", "") == "SimpleQueue.put":
            handed.append(frame.f_code.co_name)
        elif event == "call" and frame.f_code.co_filename == threading.__file__ and frame.f_code.co_name == "wait":
            waited.append(frame.f_code.co_qualname)

    threads_before = threading.active_count()
    sys.setprofile(profile)
    try:
        _update(workbook, "Counted")
    finally:
        sys.setprofile(None)
    wait_for_pruning()
    assert len(handed) == 2, handed  # the file's fsync, the pruning (was 4: the journal's and the folder's syncs)
    assert waited == []  # futures waited on condition variables (`Future.exception`: 3 an update)
    assert threading.active_count() == threads_before


def test_a_workers_job_says_what_its_call_raised_and_can_be_waited_for_again() -> None:
    worker = Worker("sli-test")
    done = worker.run(sorted, [2, 1])
    failed = worker.run(os.fsync, 1 << 20)  # no such descriptor: EBADF
    assert done.wait() is None and done.wait() is None
    error = failed.wait()
    assert isinstance(error, OSError) and failed.wait() is error


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forks")
def test_a_forked_child_runs_its_calls_in_a_thread_of_its_own() -> None:
    worker = Worker("sli-test")
    assert worker.run(sorted, [1]).wait() is None  # the parent's thread, which the child does not get
    child = os.fork()
    if child == 0:
        box: list[str] = []
        ok = worker.run(lambda: box.append(threading.current_thread().name)).wait() is None and box == ["sli-test"]
        os._exit(0 if ok else 1)
    _pid, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_the_calls_given_are_run_before_the_interpreter_ends(tmp_path: Path) -> None:
    mark = tmp_path / "ran"
    script = ("import pathlib, sys, time\nfrom shared.xlsx.syncing import Worker\n"
              "Worker('sli-test').run(lambda: (time.sleep(0.3), pathlib.Path(sys.argv[1]).write_text('ran')))\n")
    subprocess.run([sys.executable, "-c", script, str(mark)], check=True, cwd=ROOT, timeout=60,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert mark.read_text() == "ran"
