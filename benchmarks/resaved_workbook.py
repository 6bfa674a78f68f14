"""The workbook after a spreadsheet program saves it, against the same workbook as `sli` wrote it.

A 100,000-row Change log of sentence-length text, filed by year by `sli`'s first update, then saved once by
LibreOffice (`soffice --headless --convert-to xlsx`: every string of every sheet shared, as Excel saves it).
Interleaved, each sample an update through the use cases and then the status of a recommendation: warm (in the
process that wrote, which filled the read cache) and cold (the cache emptied, as when another process wrote).
`--first` restores each copy before every sample: the first update after the save (a one-off per save).

    PYTHONPATH=$PWD .venv/bin/python benchmarks/resaved_workbook.py [--runs 15] [--first]

The workbooks are built once under --dir (default /tmp/sli-resaved) and reused.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lxml import etree  # noqa: E402

from shared import reader  # noqa: E402
from shared.domain import schema as s  # noqa: E402
from shared.usecases import Store, ask, submit_update  # noqa: E402
from shared.xlsx import Package, excel_serial, save_atomically  # noqa: E402
from shared.xlsx.cells import styles_by_column  # noqa: E402
from shared.xlsx.package import head_without_data  # noqa: E402

ROWS = 100_000
WORDS = ("the midwife team agreed to review the pathway with the health visitors and report back to the group "
         "at its next meeting once the audit of safe sleep advice is complete across every ward").split()


def sentence(n: int) -> str:
    """A sentence of 12 to 25 words, different for every n."""
    return " ".join(WORDS[(n * 7 + i) % len(WORDS)] for i in range(12 + n % 14)).capitalize() + f" ({n})."


def grow_log(workbook: Path, rows: int) -> None:
    """`rows` Change log rows over ten years on the one `Change log` sheet, written as sheet XML directly."""
    package = Package(workbook)
    part = package.sheet_parts[s.LOG_SHEET]
    data = package.parts[part]
    styles = styles_by_column(etree.fromstring(head_without_data(data)))
    now = datetime.now(UTC).replace(tzinfo=None)
    start = now - timedelta(days=365.25 * 10 - 1)
    step = (now - start) / rows
    out = []
    for n in range(rows):
        number = n + 2
        values = [f"L{1 + n % 22}", s.NEXT_STEPS, sentence(n), sentence(n + 1), "Bench Mark", "CLI", f"bench{n:08d}"]
        cells = [f'<c r="A{number}" s="{styles.get(1, "0")}"><v>{excel_serial(start + step * n)}</v></c>']
        for column, value in enumerate(values, start=2):
            cells.append(f'<c r="{s.column_letter(column - 1)}{number}" s="{styles.get(column, "0")}" '
                         f't="inlineStr"><is><t>{value}</t></is></c>')
        out.append(f'<row r="{number}">{"".join(cells)}</row>')
    close = data.rfind(b"</sheetData>")
    data = data[:close] + "".join(out).encode() + data[close:]
    data = re.sub(rb'<dimension ref="[^"]*"/>', f'<dimension ref="A1:H{rows + 1}"/>'.encode(), data, count=1)
    package.changed[part] = data
    save_atomically(package, workbook, None, 0)


def update(workbook: Path, n: int) -> None:
    result = submit_update(Store.for_workbook(workbook), f"L{1 + n % 22}", {s.NEXT_STEPS: f"Benchmark step {n}"},
                           by="Bench Mark", via=s.VIA_CLI)
    assert result.state == "applied", result.message


def status(workbook: Path, n: int) -> None:
    ask(Store.for_workbook(workbook), "status", str(1 + n % 22))


def build(folder: Path) -> tuple[Path, Path]:
    """The workbook as sli wrote it (filed by year) and as LibreOffice then saved it."""
    ours, resaved = folder / "sli.xlsx", folder / "libreoffice.xlsx"
    if not resaved.exists():
        making = folder / "making"
        shutil.rmtree(making, ignore_errors=True)
        making.mkdir(parents=True)
        shutil.copy2(ROOT / "workbook" / "Appendix1.xlsx", making / "Appendix1.xlsx")
        grow_log(making / "Appendix1.xlsx", ROWS)
        update(making / "Appendix1.xlsx", 0)  # files the earlier years on their own sheets
        shutil.copy2(making / "Appendix1.xlsx", ours)
        subprocess.run(["soffice", f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless",
                        "--convert-to", "xlsx", "--outdir", str(making / "saved"), str(making / "Appendix1.xlsx")],
                       check=True, capture_output=True, timeout=1800)
        shutil.copy2(making / "saved" / "Appendix1.xlsx", resaved)
    return ours, resaved


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--first", action="store_true", help="restore each copy before every sample")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/sli-resaved"))
    options = parser.parse_args()
    ours, resaved = build(options.dir)
    work = {}
    for name, source in (("sli", ours), ("LibreOffice", resaved)):
        folder = options.dir / f"work-{name}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        shutil.copy2(source, folder / "Appendix1.xlsx")
        work[name] = (source, folder / "Appendix1.xlsx")
    samples: dict[str, dict[str, list[float]]] = {name: {"update": [], "warm": [], "cold": []} for name in work}
    for n in range(options.runs + 1):  # the first round warms up and is not counted
        for name in (("sli", "LibreOffice") if n % 2 else ("LibreOffice", "sli")):
            source, workbook = work[name]
            if options.first:
                shutil.copy2(source, workbook)
                for journal in workbook.parent.glob("Appendix1.xlsx.journal*"):
                    journal.unlink()
            timings = {}
            start = time.perf_counter()
            update(workbook, n + 1)
            timings["update"] = time.perf_counter() - start
            start = time.perf_counter()
            status(workbook, n)
            timings["warm"] = time.perf_counter() - start
            reader._cache.clear()
            start = time.perf_counter()
            status(workbook, n)
            timings["cold"] = time.perf_counter() - start
            if n:
                for what, seconds in timings.items():
                    samples[name][what].append(seconds * 1000)
    label = "first update after the save" if options.first else "update"
    for what, title in (("update", label), ("warm", "status after it, same process"),
                        ("cold", "status after it, cache emptied")):
        ours_ms, theirs_ms = (statistics.median(samples[name][what]) for name in ("sli", "LibreOffice"))
        print(f"{title:<32} sli-written p50 {ours_ms:8.1f} ms   LibreOffice-saved p50 {theirs_ms:8.1f} ms"
              f"   {theirs_ms / ours_ms:5.2f}x   (n={options.runs})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
