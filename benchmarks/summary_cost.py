"""Cost of `sli summary --dry-run` and `sli report` as history grows: 0, 10,000 and 100,000 Change log rows.

Run: `.venv/bin/python benchmarks/summary_cost.py [--runs N] [--sizes 0,10000,100000]`.

Each size is a copy of the committed workbook in a temporary folder whose history is made fast, not
through the write path (100,000 real updates would take an hour): the journal gets one applied update per
Change log row, inserted with SQL in the journal's own schema (`detail.changes`, `detail.written_at`), spread
over the 36 months before now (one in ten a status change); the Change log gets the same rows in one bulk
append (`Package.append_rows`). Commands run as a person runs them, a new process each (interpreter start
and imports included), and the figures are medians of `--runs`. The target: at 100,000 rows at most 1.3x
the time at 0. `read_change_log` alone (what the summary and report used to parse) is shown for scale.
The machine is shared: run it more than once before believing a small difference.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shared import reader  # noqa: E402
from shared.domain import schema as s  # noqa: E402
from shared.domain.logrow import LogRow  # noqa: E402
from shared.uow import Store  # noqa: E402
from shared.xlsx import Package, save_atomically  # noqa: E402

SLI = [sys.executable, str(ROOT / "sli.py")]


def grow_history(workbook: Path, rows: int, now: datetime) -> None:
    """`rows` field changes in the journal (one applied update each) and the same rows in the Change log."""
    store = Store.for_workbook(workbook)
    store.journal()  # the journal's schema
    rng = random.Random(rows)
    span = timedelta(days=36 * 30).total_seconds()
    stamps = sorted(now.replace(tzinfo=None, microsecond=0) - timedelta(seconds=rng.randint(3600, int(span)))
                    for _ in range(rows))
    statuses = {f"L{n}": s.ON_TRACK for n in range(1, 23)}
    journal_rows, log_rows = [], []
    for n, stamp in enumerate(stamps):
        ref = f"L{1 + n % 22}"
        if n % 10 == 0:
            new = rng.choice(s.STATUSES)
            field, old, statuses[ref] = s.STATUS, statuses[ref], new
        else:
            field, old, new = s.NEXT_STEPS, f"Step {n - 1}", f"Step {n}"
        at = stamp.isoformat()
        journal_rows.append((f"bench{n:08d}", ref, json.dumps({field: new}), json.dumps({field: old}), "Bench Mark",
                             s.VIA_SLACK, "applied", json.dumps({"changes": {field: [old, new]}, "written_at": at}),
                             at + "+00:00", at + "+00:00"))
        log_rows.append([stamp, ref, field, old, new, "Bench Mark", s.VIA_SLACK, f"bench{n:08d}"])
    with sqlite3.connect(store.journal_path) as db:
        db.executemany("INSERT INTO updates (id, ref, changes, seen, by, via, state, detail, created_at, updated_at)"
                       " VALUES (?,?,?,?,?,?,?,?,?,?)", journal_rows)
    if log_rows:
        package = Package(workbook)
        columns = package.header_columns(s.LOG_SHEET, LogRow.HEADER)
        package.append_rows(s.LOG_SHEET, [{columns[name]: value for name, value in zip(LogRow.HEADER, row, strict=True)}
                                          for row in log_rows])
        save_atomically(package, workbook, None, 0)


def run(command: list[str], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, cwd=ROOT, env={**os.environ, "MPLBACKEND": "Agg"})
        samples.append(time.perf_counter() - start)
    return samples


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--sizes", default="0,10000,100000")
    args = parser.parse_args()
    sizes = [int(n) for n in args.sizes.split(",")]
    now = datetime.now(UTC)
    last = (now.year - 1, 12) if now.month == 1 else (now.year, now.month - 1)
    results: dict[str, dict[int, list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="sli-summary-cost-") as folder:
        for size in sizes:
            workbook = Path(folder) / f"log{size}" / "Appendix1.xlsx"
            workbook.parent.mkdir()
            shutil.copy2(ROOT / "workbook" / "Appendix1.xlsx", workbook)
            began = time.perf_counter()
            grow_history(workbook, size, now)
            print(f"{size:>7,} rows: history made in {time.perf_counter() - began:.1f} s", file=sys.stderr)
            out = Path(folder) / f"out{size}"
            out.mkdir()
            common = ["--workbook", str(workbook)]
            commands = {
                "sli summary --dry-run": [*SLI, "summary", "--month", f"{last[0]}-{last[1]:02d}", "--dry-run",
                                          "--chart", str(out / "chart.png"), *common],
                "sli report (docx)": [*SLI, "report", "--year", str(now.year), "--format", "docx",
                                      "--output", str(out / "report.docx"), *common],
            }
            for label, command in commands.items():
                results.setdefault(label, {})[size] = run(command, args.runs)
            exports = {"sli export changes (csv)": "csv", "sli export changes (xlsx)": "xlsx"}
            for label, fmt in exports.items():
                results.setdefault(label, {})[size] = run(
                    [*SLI, "export", "changes", "--format", fmt, "--output", str(out / f"changes.{fmt}"), *common],
                    max(2, args.runs // 3))
            samples = []
            for _ in range(3):
                reader._cache.clear()
                start = time.perf_counter()
                reader.read_change_log(workbook)
                samples.append(time.perf_counter() - start)
            results.setdefault("read_change_log alone (the old way's parse)", {})[size] = samples

    print(f"\n2 cores shared, median of {args.runs} runs (exports: {max(2, args.runs // 3)}; read_change_log: 3), "
          "seconds; ratio = median / median at 0 rows\n")
    print("| | " + " | ".join(f"{n:,} rows" for n in sizes) + f" | ratio at {sizes[-1]:,} |")
    print("|---|" + "---|" * (len(sizes) + 1))
    for label, by_size in results.items():
        medians = [statistics.median(by_size[n]) for n in sizes]
        ratio = f"{medians[-1] / medians[0]:.2f}x" if medians[0] > 0.01 else "-"
        print(f"| {label} | " + " | ".join(f"{m:.2f} s (min {min(by_size[n]):.2f})" for m, n in
                                            zip(medians, sizes, strict=True)) + f" | {ratio} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
