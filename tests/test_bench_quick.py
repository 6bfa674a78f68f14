"""The benchmark runs: `benchmarks/update_latency.py --quick` as `make bench` would, checked for every line it
must print (not for timings, which belong to the machine), so a change in the core cannot leave it broken."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMING = r"p50\s+[\d.]+ ms\s+p95\s+[\d.]+ ms\s+\(n=\d+\)"


def test_quick_benchmark_completes_and_prints_every_figure() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "update_latency.py"), "--quick"],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    expected = [
        r"first update, 2,000 log rows on one sheet \(files earlier years once\): \d+ ms; year sheets now: 10",
        rf"update, 2,000 log rows\s+{TIMING}",
        rf"naive openpyxl load\+edit\+save, 2,000 log rows\s+{TIMING}",
        rf"status 7 via HTTP bot, 2,000 log rows\s+{TIMING}",
        rf"naive openpyxl read_only load, 2,000 log rows\s+{TIMING}",
        r"bot peak memory serving updates, empty log: \d+ MB",
        r"bot peak memory serving updates, 2,000 log rows filed by year: \d+ MB \([+-]\d+ MB\)",
        r"bot peak memory, first update filing 2,000 rows from one sheet: \d+ MB",
        rf"record an update, 0 waiting \(Excel has the file open\)\s+{TIMING}",
        rf"record an update, 300 waiting \(Excel has the file open\)\s+{TIMING}",
        r"ratio \(p50\): 300 waiting / 0 waiting = [\d.]+x",
    ]
    for pattern in expected:
        assert re.search(pattern, out), f"missing /{pattern}/ in:\n{out}"
    assert len(re.findall(r"ratio \(p50\): naive / ours = [\d.]+x", out)) == 2
