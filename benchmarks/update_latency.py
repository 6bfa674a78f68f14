"""What an update and a status answer cost at 0, 10,000 and 100,000 Change log rows, beside the naive way.

Run: `make bench` (a few minutes), or `.venv/bin/python benchmarks/update_latency.py [--quick] [--runs N]`.

For each size it builds a copy of the committed workbook whose `Change log` holds that many rows spread
over ten years on ONE sheet (as another program might have written them), so the first update files the
earlier years on their own sheets: that one-off cost is printed on its own line. Then, in the same run:

- update: `shared.usecases.submit_update` end to end (validate, journal, lock, owner-file check, patch,
  change log, fsync, replace), beside openpyxl load + edit + append + save of the same workbook;
- status: a signed `/sli status 7` sent to the real Bolt app served by `bot.http_server.serve_in_thread`,
  timed until its answer reaches the local Slack stand-in's response_url, beside an openpyxl
  `read_only` load that reads row L7;
- memory: peak RSS (VmHWM) of a child process that imports the bot and serves updates, with an empty
  log and with the largest log (already filed by year), and of the one-off filing;
- waiting: recording an update while Excel has the workbook open (its owner file beside it), with none
  and with 300 updates already waiting, measured interleaved; the ratio should stay near 1x.

Timings are p50/p95 in ms on whatever machine runs it; other processes sharing the cores move them.
`--quick` runs one small size with few samples (tests/test_bench_quick.py runs it so it cannot rot).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from lxml import etree  # noqa: E402

from shared.domain import schema as s  # noqa: E402
from shared.owner import write_owner_file  # noqa: E402
from shared.xlsx import Package, excel_serial, save_atomically  # noqa: E402
from shared.xlsx.cells import styles_by_column  # noqa: E402
from shared.xlsx.package import head_without_data  # noqa: E402

SECRET = "bench-signing-secret"
READER = "U07SLI0012"  # a lead in the committed workbook's Leads sheet: may ask for a status
YEARS = 10
#: Updates already waiting for Excel to let go of the workbook, for the "waiting" lines.
WAITING = 300


def grow_log(workbook: Path, rows: int) -> None:
    """Put `rows` Change log rows on the one `Change log` sheet, dated evenly over the last ten years up
    to now, written as sheet XML directly (100,000 rows in seconds; the write path is not what is timed)."""
    package = Package(workbook)
    part = package.sheet_parts[s.LOG_SHEET]
    data = package.parts[part]
    styles = styles_by_column(etree.fromstring(head_without_data(data)))
    now = datetime.now(UTC).replace(tzinfo=None)
    start = now - timedelta(days=365.25 * YEARS - 1)
    step = (now - start) / max(rows, 1)
    out = []
    for n in range(rows):
        number = n + 2
        when = excel_serial(start + step * n)
        values = [f"L{1 + n % 22}", s.NEXT_STEPS, f"Old text {n}", f"New text {n}", "Bench Mark", "CLI",
                  f"bench{n:08d}"]
        cells = [f'<c r="A{number}" s="{styles.get(1, "0")}"><v>{when}</v></c>']
        for column, value in enumerate(values, start=2):
            letter = s.column_letter(column - 1)
            style = styles.get(column, "0")
            cells.append(f'<c r="{letter}{number}" s="{style}" t="inlineStr"><is><t>{value}</t></is></c>')
        out.append(f'<row r="{number}">{"".join(cells)}</row>')
    close = data.rfind(b"</sheetData>")
    data = data[:close] + "".join(out).encode() + data[close:]
    data = re.sub(rb'<dimension ref="[^"]*"/>', f'<dimension ref="A1:H{rows + 1}"/>'.encode(), data, count=1)
    package.changed[part] = data
    save_atomically(package, workbook, None, 0)


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def line(label: str, samples: list[float]) -> str:
    return (f"{label:<56} p50 {statistics.median(samples):9.1f} ms   p95 {percentile(samples, 0.95):9.1f} ms"
            f"   (n={len(samples)})")


def timed(fn: Callable[[int], None], runs: int) -> list[float]:
    out = []
    for n in range(runs):
        start = time.perf_counter()
        fn(n)
        out.append((time.perf_counter() - start) * 1000)
    return out


def update_once(workbook: Path, n: int) -> None:
    from shared.usecases import Store, submit_update

    result = submit_update(Store.for_workbook(workbook), f"L{1 + n % 22}", {s.NEXT_STEPS: f"Benchmark step {n}"},
                           by="Bench Mark", via=s.VIA_CLI)
    assert result.state == "applied", result.message


def naive_update(workbook: Path, n: int) -> None:
    import openpyxl

    wb = openpyxl.load_workbook(workbook)
    wb[s.MAIN_SHEET].cell(4 + n % 22, 8).value = f"Naive step {n}"
    wb[s.LOG_SHEET].append([datetime.now(), "L1", s.NEXT_STEPS, "", "", "Bench", "CLI", f"naive{n}"])
    wb.save(workbook.with_name("naive.xlsx"))


def naive_status(workbook: Path, n: int) -> None:
    import openpyxl

    wb = openpyxl.load_workbook(workbook, read_only=True)
    found = [row for row in wb[s.MAIN_SHEET].iter_rows(values_only=True) if row and row[0] == "L7"]
    wb.close()
    assert found


class HTTPBot:
    """The real Bolt app on uvicorn (bot.http_server), its Slack calls answered by the local stand-in."""

    def __init__(self, workbook: Path):
        from slack_standin import BoltHTTP, SlackStandIn

        from bot.app import Settings, create_app
        from bot.http_server import EVENTS_PATH, serve_in_thread

        self.standin = SlackStandIn().start()
        settings = Settings(bot_token="xoxb-bench", signing_secret=SECRET, api_url=self.standin.base_url,
                            workbook=workbook, poll_seconds=3600)
        self.server = serve_in_thread(create_app(settings))
        self.http = BoltHTTP(f"http://127.0.0.1:{self.server.server_port}{EVENTS_PATH}", SECRET,
                             standin=self.standin)
        self.sent = 0

    def status(self, n: int) -> None:
        """A signed `/sli status 7`; returns once the answer reached the response_url."""
        self.sent += 1
        key = f"bench{self.sent}"
        status, _ = self.http.command(text="status 7", user_id=READER, response_url=self.standin.response_url(key))
        assert status == 200, status
        deadline = time.monotonic() + 10
        while not any(c["args"].get("_key") == key for c in self.standin.calls("response_url")):
            if time.monotonic() > deadline:
                raise AssertionError("the status answer never reached the response_url")
            time.sleep(0.0005)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.standin.stop()


def peak_memory(workbook: Path, updates: int) -> float:
    """Peak RSS in MB of a child process that loads the bot and its write path, then serves `updates`."""
    done = subprocess.run([sys.executable, __file__, "--memory-child", str(workbook), str(updates)],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    return float(done.stdout.split()[-1])


def memory_child(workbook: Path, updates: int) -> None:
    import bot.app  # noqa: F401 - the bot's whole import weight counts, as in a running bot

    for n in range(updates):
        update_once(workbook, n)
    status = Path("/proc/self/status").read_text()
    print(int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024)


def held_update(workbook: Path, n: int) -> str:
    """One update recorded while Excel has the workbook open: journalled and held, not written."""
    from shared.usecases import Store, submit_update

    result = submit_update(Store.for_workbook(workbook), f"L{1 + n % 22}", {s.NEXT_STEPS: f"Held step {n}"},
                           by="Bench Mark", via=s.VIA_CLI)
    assert result.state == "pending", result.message
    return result.update_id


def open_in_excel_with_waiting(folder: Path, waiting: int) -> Path:
    """A workbook Excel has open (owner file), with `waiting` updates journalled and already held once."""
    from shared.usecases import Store, UpdateRequest, record_request

    workbook = workbook_with(folder / f"waiting{waiting}", 0)
    write_owner_file(workbook, "Helen Lowey")
    store = Store.for_workbook(workbook)
    for n in range(waiting):  # journalled as the bot does before its ack, without a pass each
        request = UpdateRequest(f"L{1 + n % 22}", {s.NEXT_STEPS: f"Waiting step {n}"}, s.VIA_CLI, by="Bench Mark")
        assert record_request(store, request).state == "pending"
    forget(workbook, held_update(workbook, 0))  # the first pass after Excel opened the file holds them all
    return workbook


def forget(workbook: Path, update_id: str) -> None:
    """Take a timed update out of the journal again, so every sample sees the same number waiting."""
    import sqlite3

    from shared.usecases import Store

    db = sqlite3.connect(Store.for_workbook(workbook).journal_path)
    with db:
        db.execute("DELETE FROM updates WHERE id=?", (update_id,))
    db.close()


def waiting_cost(folder: Path, runs: int) -> tuple[list[float], list[float]]:
    """Recording an update with 0 and with WAITING updates waiting for Excel, interleaved (ms each)."""
    none, many = open_in_excel_with_waiting(folder, 0), open_in_excel_with_waiting(folder, WAITING)
    samples: dict[Path, list[float]] = {none: [], many: []}
    for n in range(runs):
        for workbook in (none, many) if n % 2 else (many, none):
            start = time.perf_counter()
            update_id = held_update(workbook, n + 1)
            samples[workbook].append((time.perf_counter() - start) * 1000)
            forget(workbook, update_id)
    return samples[none], samples[many]


def workbook_with(folder: Path, rows: int) -> Path:
    workbook = folder / f"log{rows}" / "Appendix1.xlsx"
    workbook.parent.mkdir(parents=True)
    shutil.copy2(ROOT / "workbook" / "Appendix1.xlsx", workbook)
    if rows:
        grow_log(workbook, rows)
    return workbook


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="one small size, few samples")
    parser.add_argument("--runs", type=int, default=None, help="updates and status requests per size")
    parser.add_argument("--memory-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(Path(args.memory_child[0]), int(args.memory_child[1]))
        return 0
    sizes = (2_000,) if args.quick else (0, 10_000, 100_000)
    runs = args.runs or (6 if args.quick else 40)
    print(f"{os.cpu_count()} cores; {runs} samples per line (naive: fewer); log rows spread over {YEARS} years")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        memory: dict[str, float] = {}
        for rows in sizes:
            workbook = workbook_with(folder, rows)
            start = time.perf_counter()
            update_once(workbook, 0)  # files the earlier years, once
            one_off = (time.perf_counter() - start) * 1000
            sheets = Package(workbook).sheet_parts
            filed = sorted(name for name in sheets if name.startswith(f"{s.LOG_SHEET} "))
            print(f"first update, {rows:,} log rows on one sheet (files earlier years once): {one_off:.0f} ms; "
                  f"year sheets now: {len(filed)}")
            updates = timed(lambda n, w=workbook: update_once(w, n + 1), runs)
            naive_runs = 2 if args.quick or rows >= 100_000 else 5
            naive = timed(lambda n, w=workbook: naive_update(w, n), naive_runs)
            print(line(f"update, {rows:,} log rows", updates))
            print(line(f"  naive openpyxl load+edit+save, {rows:,} log rows", naive))
            print(f"  ratio (p50): naive / ours = {statistics.median(naive) / statistics.median(updates):.0f}x")
            bot = HTTPBot(workbook)
            try:
                bot.status(0)  # the first answer reads the file; later ones hit the cache until a save
                answers = timed(bot.status, runs)
            finally:
                bot.close()
            naive_reads = timed(lambda n, w=workbook: naive_status(w, n), max(3, runs // 4))
            print(line(f"status 7 via HTTP bot, {rows:,} log rows", answers))
            print(line(f"  naive openpyxl read_only load, {rows:,} log rows", naive_reads))
            print(f"  ratio (p50): naive / ours = {statistics.median(naive_reads) / statistics.median(answers):.1f}x")
            if rows == sizes[-1]:
                memory["largest"] = peak_memory(workbook, 10 if args.quick else 30)
                one_sheet = workbook_with(folder / "again", rows)
                memory["one-off"] = peak_memory(one_sheet, 1)
        none, many = waiting_cost(folder, runs if args.quick else 60)
        print(line("record an update, 0 waiting (Excel has the file open)", none))
        print(line(f"record an update, {WAITING} waiting (Excel has the file open)", many))
        ratio = statistics.median(many) / statistics.median(none)
        print(f"  ratio (p50): {WAITING} waiting / 0 waiting = {ratio:.2f}x")
        empty = workbook_with(folder / "empty", 0)
        memory["empty"] = peak_memory(empty, 10 if args.quick else 30)
        largest = sizes[-1]
        print(f"bot peak memory serving updates, empty log: {memory['empty']:.0f} MB")
        print(f"bot peak memory serving updates, {largest:,} log rows filed by year: {memory['largest']:.0f} MB "
              f"({memory['largest'] - memory['empty']:+.0f} MB)")
        print(f"bot peak memory, first update filing {largest:,} rows from one sheet: {memory['one-off']:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
