"""Heavy work in a short-lived process of our own (running `shared.worker.main`), so a long-running bot's peak
memory stays what serving needs.

Why: a bot answers questions and records updates in about 50 MB, but the monthly summary's figures and
charts import pandas and matplotlib, and the calendar the `holidays` package: together over 100 MB that a
process never gives back once its peak has grown. The bots (`sli bot`, `sli teams`, `sli serve`) call
`enable()` at start; from then on `shared.usecases.reporting` and `shared.months` send that work here: one
process per task, given its arguments (pickled on its standard input) and answering on its standard output,
then gone. Without `enable()` (the command line, tests) the same functions run in the calling process.
"""

from __future__ import annotations

import importlib
import pickle
import subprocess
import sys
from typing import Any

#: What a worker may be asked to run: a task's name and the function (module:name) that does it.
TASKS = {
    "bank_holidays": "shared.months:england_bank_holidays",
    "month_figures": "shared.usecases.reporting:_figures_here",
    "month_summary": "shared.usecases.reporting:_summary_here",
}
#: Seconds a task may take (a summary at 100,000 rows takes a few); past it the caller gets an error.
TIMEOUT_SECONDS = 600.0

_enabled = False
#: How a worker starts: the caller's import path first, then `main`.
_BOOT = "import sys; sys.path[:0] = sys.argv[1:]; del sys.argv[1:]; from shared.worker import main; main()"


class WorkerError(RuntimeError):
    """The worker process failed in a way that is not the task's own exception (killed, out of memory)."""


def enable() -> None:
    """From now on, heavy work in this process goes to worker processes (the bots call this at start)."""
    global _enabled
    from shared import months

    _enabled = True
    months.bank_holidays_from(lambda years: call("bank_holidays", years))


def enabled() -> bool:
    """Whether heavy work goes to worker processes (see `enable`)."""
    return _enabled


def call(task: str, *args: Any) -> Any:
    """`task`'s function run on `args` in a new worker process: its result, or its exception raised here."""
    if task not in TASKS:
        raise ValueError(f"'{task}' is not a worker task.")
    # The worker is given this process's import path, so it runs the same code (a checkout on PYTHONPATH
    # before an editable install); nothing else of this process's state.
    done = subprocess.run([sys.executable, "-c", _BOOT, *(p for p in sys.path if p)], input=pickle.dumps((task, args)),
                          capture_output=True, timeout=TIMEOUT_SECONDS, check=False)
    if done.returncode != 0 or not done.stdout:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
        raise WorkerError(f"The worker for {task} failed (exit {done.returncode}): {tail[0]}")
    ok, value = pickle.loads(done.stdout)
    if not ok:
        raise value
    return value


def main() -> None:
    """The worker's side: read one task, run it, write its result (or its exception) and exit."""
    task, args = pickle.loads(sys.stdin.buffer.read())
    module, name = TASKS[task].split(":")
    try:
        answer: tuple[bool, Any] = (True, getattr(importlib.import_module(module), name)(*args))
    except Exception as exc:  # noqa: BLE001 - the caller raises it as its own
        answer = (False, exc)
    try:
        payload = pickle.dumps(answer)
    except Exception:  # noqa: BLE001 - an exception that cannot be pickled is said in words
        payload = pickle.dumps((False, WorkerError(f"The worker for {task} failed: {answer[1]}")))
    sys.stdout.buffer.write(payload)
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
