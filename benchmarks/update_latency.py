"""Update latency of the one write path, at a fresh workbook and at 10,000 Change log rows.

Run: `make bench` (or `.venv/bin/python benchmarks/update_latency.py [--runs N]`).
Prints median and p95 in ms of `submit_update` (validate, journal, lock, owner-file check, patch,
change log, fsync, replace), of a status read, and of the naive way (openpyxl load + save) for
comparison. Uses a copy of the committed workbook in a temporary folder.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import openpyxl  # noqa: E402

from shared.domain import schema as s  # noqa: E402
from shared.package import Package, save_atomically  # noqa: E402
from shared.reader import read_appendix  # noqa: E402
from shared.usecases import Store, submit_update  # noqa: E402


def grow_log(workbook: Path, rows: int) -> None:
    package = Package(workbook)
    now = datetime(2026, 1, 1, 9, 0)
    package.append_rows(s.LOG_SHEET, [[now, f"L{1 + n % 22}", s.NEXT_STEPS, f"Old text {n}", f"New text {n}",
                                       "Bench Mark", "CLI", f"bench{n:08d}"] for n in range(rows)])
    save_atomically(package, workbook, None, 0)


def timed(fn, runs: int) -> list[float]:
    out = []
    for n in range(runs):
        start = time.perf_counter()
        fn(n)
        out.append((time.perf_counter() - start) * 1000)
    return out


def summary(label: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return f"{label:<46} median {statistics.median(samples):8.1f} ms   p95 {p95:8.1f} ms   (n={len(samples)})"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        results = {}
        for log_rows in (0, 10_000):
            workbook = Path(folder) / f"log{log_rows}" / "Appendix1.xlsx"
            workbook.parent.mkdir()
            shutil.copy2(ROOT / "workbook" / "Appendix1.xlsx", workbook)
            if log_rows:
                grow_log(workbook, log_rows)
            store = Store.for_workbook(workbook)

            def update(n: int, store: Store = store) -> None:
                result = submit_update(store, f"L{1 + n % 22}", {s.NEXT_STEPS: f"Benchmark step {n}"},
                                       by="Bench Mark", via=s.VIA_CLI)
                assert result.state == "applied", result.message

            def naive(n: int, workbook: Path = workbook) -> None:
                wb = openpyxl.load_workbook(workbook)
                ws = wb[s.MAIN_SHEET]
                ws.cell(4 + n % 22, 8).value = f"Naive step {n}"
                wb[s.LOG_SHEET].append([datetime.now(), "L1", s.NEXT_STEPS, "", "", "Bench", "CLI", "x"])
                wb.save(workbook.with_name("naive.xlsx"))

            results[log_rows] = (timed(update, args.runs), timed(naive, max(5, args.runs // 5)))
            print(summary(f"update, {log_rows:,} log rows", results[log_rows][0]))
            print(summary(f"naive openpyxl load+save, {log_rows:,} log rows", results[log_rows][1]))
            read_appendix(workbook)
            print(summary(f"status read (cached), {log_rows:,} log rows",
                          timed(lambda n, w=workbook: read_appendix(w).rows["L7"], args.runs)))
        ratio = statistics.median(results[10_000][1]) / statistics.median(results[10_000][0])
        print(f"at 10,000 log rows the write path is {ratio:.1f}x faster than openpyxl load+save")
    return 0


if __name__ == "__main__":
    sys.exit(main())
