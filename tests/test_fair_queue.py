"""Writers queue fairly: `sli update`s started together on one workbook are all applied, in journal order, none
lost, and none waits much longer than the others (issue 18, point 6).

Each writer is a real `sli` process (`sli.main(["update", ...])` after its imports, so what is timed is the
update, not the interpreter starting): they are released together, and each reports how long its update took.
Before, a waiter tried the lock every 50 ms (filelock's poll), so the unlucky ones slept through hand-overs
(p95 816 ms against p50 40 ms at 100,000 rows); now a waiter is woken when the lock is let go, and the holder
writes every update waiting, in journal order, so the others find theirs written.
"""

from __future__ import annotations

import fcntl
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tracing import needs_strace

from shared import journal as j
from shared.domain import schema as s
from shared.reader import read_appendix, read_change_log
from shared.uow import Store

ROOT = Path(__file__).resolve().parents[1]
WRITERS = 8

#: One writer: imports `sli`, says it is ready, then for each "go" line times one `sli update` of its row.
WRITER = """
import sys, time
import sli
ref, by = sys.argv[1:3]
print("ready", flush=True)
for line in sys.stdin:
    started = time.perf_counter()
    code = sli.main(["update", ref, "--next", line.strip(), "--by", by])
    print(f"took {(time.perf_counter() - started) * 1000:.2f} {code}", flush=True)
"""


def _writers(workbook: Path) -> list[subprocess.Popen]:
    """`WRITERS` writer processes on `workbook`, each ready (imports done)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SLI_WORKBOOK": str(workbook)}
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, f"L{1 + n}", f"Writer {n}"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT, text=True)
             for n in range(WRITERS)]
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    return procs


def _round(procs: list[subprocess.Popen], round_: int) -> list[float]:
    """Release every writer at once for one update each; the milliseconds each took (all applied)."""
    for n, proc in enumerate(procs):
        proc.stdin.write(f"Round {round_} writer {n}\n")
    for proc in procs:
        proc.stdin.flush()
    times = []
    for proc in procs:
        line = proc.stdout.readline()
        while line and not line.startswith("took "):  # what `sli update` printed
            line = proc.stdout.readline()
        assert line, proc.stderr.read()
        _, ms, code = line.split()
        assert code == "0", line  # exit code 0: applied
        times.append(float(ms))
    return times


def _finish(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        proc.stdin.close()
        proc.wait(timeout=60)


def _assert_all_applied_in_journal_order(workbook: Path, rounds: int) -> None:
    journal = Store.for_workbook(workbook).journal()
    entries = [e for ref in (f"L{n}" for n in range(1, 23)) for e in journal.for_ref(ref)]
    assert len(entries) == WRITERS * rounds and {e.state for e in entries} == {j.APPLIED}
    by_seq = [e.id for e in sorted(entries, key=lambda e: e.seq)]
    log = [row.update_id for row in read_change_log(workbook) if row.field == s.NEXT_STEPS]
    assert log == by_seq  # written in the order they were journalled, each once
    final = read_appendix(workbook)
    for n in range(WRITERS):
        assert final.rows[f"L{1 + n}"][s.NEXT_STEPS] == f"Round {rounds - 1} writer {n}"


def test_eight_sli_updates_at_once_are_all_applied_in_journal_order(workbook: Path) -> None:
    procs = _writers(workbook)
    try:
        for round_ in range(2):
            _round(procs, round_)
    finally:
        _finish(procs)
    _assert_all_applied_in_journal_order(workbook, 2)


@needs_strace("sees the lock's system calls")
def test_a_waiting_sli_update_sleeps_in_the_kernel_instead_of_polling_the_lock(workbook: Path, tmp_path: Path) -> None:
    """Another program holds the workbook's lock for half a second while an `sli update` waits for it: the
    writer asks for the lock once without waiting and once waiting (woken when it is let go), where filelock
    tried again every 50 ms (ten tries or more). Its update is then written as usual."""
    store = Store.for_workbook(workbook)
    trace = tmp_path / "flock.trace"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SLI_WORKBOOK": str(workbook)}
    store.lock_path.touch()
    holder = os.open(store.lock_path, os.O_RDWR)
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        proc = subprocess.Popen(["strace", "-f", "-qq", "-e", "trace=flock", "-o", str(trace), sys.executable, "-c",
                                 WRITER, "L7", "Writer 7"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env, cwd=ROOT, text=True)
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
        proc.stdin.write("Waited for the lock\n")
        proc.stdin.flush()
        deadline = time.monotonic() + 30
        while not store.journal_path.exists() or not store.journal().in_states(j.PENDING):
            assert time.monotonic() < deadline, f"the update was never recorded (the writer's exit: {proc.poll()})"
            time.sleep(0.01)
        time.sleep(0.5)  # the writer now waits for the lock: asleep in the kernel, or polling
    finally:
        os.close(holder)  # lets the lock go
    out, err = proc.communicate(timeout=60)
    assert " 0" in out.splitlines()[-1], (out, err)  # applied
    assert read_appendix(workbook).rows["L7"][s.NEXT_STEPS] == "Waited for the lock"
    tries = [line for line in trace.read_text().splitlines() if "LOCK_EX" in line]
    # Asleep in the kernel: one try without waiting, one waiting (a loaded machine may add a retry after a
    # wake-up); polling every 50 ms for the half second held would be ten tries or more.
    assert len(tries) <= 4, tries


@pytest.mark.slow
def test_eight_writers_updating_back_to_back_wait_fairly(workbook: Path) -> None:
    """8 writers each send 12 updates back to back (the next as soon as the last came back), all at once: p95
    of the update times at most 4x p50, and the slowest too (printed with -s). Before, a writer that had just
    let go took the lock straight back while the others slept in their 50 ms polls, again and again: they
    waited many rounds."""
    procs = _writers(workbook)
    times: list[float] = []
    rounds = 12
    try:
        _round(procs, 0)  # warms each process (first reads, first journal connection): not counted
        for proc in procs:
            proc.stdin.write("".join(f"Round {r} {proc.args[-1]}\n" for r in range(1, rounds)))
            proc.stdin.flush()
        for proc in procs:
            for _ in range(1, rounds):
                line = proc.stdout.readline()
                while line and not line.startswith("took "):
                    line = proc.stdout.readline()
                assert line.split()[2] == "0", line
                times.append(float(line.split()[1]))
    finally:
        _finish(procs)
    journal = Store.for_workbook(workbook).journal()
    entries = sorted((e for n in range(WRITERS) for e in journal.for_ref(f"L{1 + n}")), key=lambda e: e.seq)
    assert len(entries) == WRITERS * rounds and {e.state for e in entries} == {j.APPLIED}
    assert [row.update_id for row in read_change_log(workbook) if row.field == s.NEXT_STEPS] == [e.id for e in entries]
    times.sort()
    p50, p95 = statistics.median(times), times[int(0.95 * len(times)) - 1]
    print(f"\n{WRITERS} writers x {rounds - 1} back-to-back sli updates: p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
          f"p95/p50 {p95 / p50:.2f}, max {times[-1]:.1f} ms, mean {statistics.mean(times):.1f} ms")
    assert p95 <= 4 * p50, (p50, p95)  # the target
    assert times[-1] <= 4 * p50, (p50, times[-1])  # nor does the unluckiest writer wait rounds for the lock
