"""Eight command-line writers at once: each a process running `sli update` (through `sli.main`, as the console
script does) on the same workbook, each on its own recommendation. Every process is started and has imported
everything before anything is timed; then, round after round, all eight are told to go at the same moment and
each writes one update (a burst of eight, the queue empty before it). A fair queue serves the burst in turn, so
the last waits about eight updates' time and p95 stays within a few times p50; a writer that polls for the
lock can be passed over again and again, and the p95 runs away."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WRITERS = 8


def concurrent_writers(script: Path, workbook: Path, rounds: int) -> tuple[list[float], list[int]]:
    """Milliseconds of every update of `rounds` bursts of WRITERS processes writing at once, and exit codes."""
    children = [subprocess.Popen([sys.executable, str(script), "--writer-child", str(workbook), str(n), str(rounds)],
                                 cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                for n in range(WRITERS)]
    try:
        for child in children:
            if child.stdout.readline().strip() != "ready":
                raise RuntimeError("a writer did not start")
        samples: list[float] = []
        codes: list[int] = []
        for _ in range(rounds):
            for child in children:  # go, all at once
                child.stdin.write("go\n")
                child.stdin.flush()
            for child in children:
                line = child.stdout.readline()
                if not line:
                    raise RuntimeError("a writer stopped before its update was written")
                found = json.loads(line)
                samples.append(found["ms"])
                codes.append(found["code"])
        for child in children:
            child.stdin.close()
            child.wait(timeout=60)
        return samples, codes
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()


def writer_child(workbook: str, n: int, rounds: int) -> None:
    """One writer: import the command line, say ready, then for each `go` time one update of L{n+1}."""
    sys.path.insert(0, str(ROOT))
    import sli

    print("ready", flush=True)
    for k in range(rounds):
        if not sys.stdin.readline():
            return
        argv = ["update", f"L{n + 1}", "--next", f"Writer {n} step {k}", "--by", f"Bench Writer {n}",
                "--workbook", workbook]
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            code = sli.main(argv)
        print(json.dumps({"ms": (time.perf_counter() - start) * 1000, "code": code}), flush=True)
