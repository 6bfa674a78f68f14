"""Eight command-line writers at once: each a process running `sli update` (through `sli.main`, as the console
script does) several times back to back on the same workbook, each on its own recommendation. Every process is
started and has imported everything before any writes (a barrier on stdin), so the timings are the updates' own,
waiting for each other included. The queue stays full: a fair one serves the writers in turn, so every update
waits about the same (p95 near p50); a lock taken by polling lets the writer that just let go take it again
while the others sleep, and the p95 runs away from the p50. (Bursts of eight with an empty queue before each were
tried too: there p95 is about 1.5x p50 however unfair the lock, so they cannot tell the two apart.)"""

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


def concurrent_writers(script: Path, workbook: Path, updates: int) -> tuple[list[float], list[int]]:
    """Milliseconds of every update of WRITERS processes writing at once, and their exit codes."""
    children = [subprocess.Popen([sys.executable, str(script), "--writer-child", str(workbook), str(n), str(updates)],
                                 cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                for n in range(WRITERS)]
    try:
        for child in children:
            if child.stdout.readline().strip() != "ready":
                raise RuntimeError("a writer did not start")
        for child in children:  # go, all at once
            child.stdin.write("go\n")
            child.stdin.flush()
        samples: list[float] = []
        codes: list[int] = []
        for child in children:
            out, _ = child.communicate(timeout=1800)
            found = json.loads(out.strip().splitlines()[-1])
            samples += found["ms"]
            codes += found["codes"]
        return samples, codes
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()


def writer_child(workbook: str, n: int, updates: int) -> None:
    """One writer: import the command line, say ready, wait for go, then time `updates` updates of L{n+1}."""
    sys.path.insert(0, str(ROOT))
    import sli

    print("ready", flush=True)
    sys.stdin.readline()
    ms, codes = [], []
    for k in range(updates):
        argv = ["update", f"L{n + 1}", "--next", f"Writer {n} step {k}", "--by", f"Bench Writer {n}",
                "--workbook", workbook]
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            codes.append(sli.main(argv))
        ms.append((time.perf_counter() - start) * 1000)
    print(json.dumps({"ms": ms, "codes": codes}), flush=True)
