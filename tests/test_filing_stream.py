"""Filing a one-sheet Change log by year (shared/xlsx/changelog.py) streams it: the sheet is inflated a chunk at
a time and each closed year's rows are deflated as they come, at the level the source was stored at. The
filed workbook reads the same (calamine and openpyxl: every row, in order, on its year's sheet) as the one
sheet did; the file stays the size of its source (filing used to recompress the year sheets at level 1:
12.1 MB instead of 9.2 at 100,000 rows); and `sli bot --http` filing 100,000 rows peaks under 150 MB (352 MB
before; slow: `pytest -m slow tests/test_filing_stream.py -s` prints the figure)."""

from __future__ import annotations

import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook
from slack_standin import BoltHTTP, SlackStandIn

import sli
from bot.http_server import EVENTS_PATH
from shared.domain import schema as s

ROOT = Path(__file__).resolve().parents[1]
SECRET = "test-signing-secret"
L7_LEAD = "U07SLI0002"
WORDS = ("the partnership agreed a revised plan for safer sleep messages across maternity and health visiting "
         "teams with training dates booked and leaflets translated into community languages").split()


def one_sheet_history(workbook: Path, rows: int, years: int = 4) -> None:
    """`rows` Change log rows with sentence-length text, dated evenly over the `years` before this one, all on
    the one `Change log` sheet, saved by openpyxl (shared strings, deflate level 6) as another program would."""
    chance = random.Random(18)
    book = openpyxl.load_workbook(workbook)
    sheet = book[s.LOG_SHEET]
    end = datetime(datetime.now().year - 1, 12, 31, 12)
    start, step = end - timedelta(days=365 * years), timedelta(days=365 * years) / rows

    def sentence(n: int) -> str:
        return " ".join(chance.choice(WORDS) for _ in range(14)).capitalize() + f" (step {n})."

    for n in range(rows):
        sheet.append([start + step * n, f"L{1 + n % 22}", s.NEXT_STEPS, sentence(n), sentence(n + 1),
                      "Sana Iqbal", "Slack", f"hist{n:08d}"])
    book.save(workbook)


def log_rows(workbook: Path, reader: str) -> tuple[list[str], list[list[object]]]:
    """The sheet names and every Change log row under the header: the year sheets' oldest first, then
    `Change log`'s, each as `reader` (calamine or openpyxl) reads it."""
    def body(rows: list[list[object]]) -> list[list[object]]:
        header = next(i for i, row in enumerate(rows) if "Update ID" in row)
        return [list(row) for row in rows[header + 1:] if any(v not in (None, "") for v in row)]

    if reader == "calamine":
        book = CalamineWorkbook.from_path(str(workbook))
        names = book.sheet_names
        read = {name: body(book.get_sheet_by_name(name).to_python()) for name in names if name.startswith(s.LOG_SHEET)}
    else:
        book = openpyxl.load_workbook(workbook, read_only=True)
        names = book.sheetnames
        read = {name: body([list(r) for r in book[name].iter_rows(values_only=True)])
                for name in names if name.startswith(s.LOG_SHEET)}
        book.close()
    years = sorted(name for name in read if name != s.LOG_SHEET)
    return names, [row for name in [*years, s.LOG_SHEET] for row in read[name]]


def test_filing_reads_the_same_and_keeps_the_source_size(workbook: Path, capsys) -> None:
    one_sheet_history(workbook, 4000)
    before = {reader: log_rows(workbook, reader) for reader in ("calamine", "openpyxl")}
    size = workbook.stat().st_size

    assert sli.main(["update", "L7", "--next", "Filed by year", "--by", "Sana Iqbal", "--workbook",
                     str(workbook)]) == 0, capsys.readouterr()

    this_year = datetime.now().year
    for reader, (names, rows) in before.items():
        assert [n for n in names if n.startswith(s.LOG_SHEET)] == [s.LOG_SHEET]  # one sheet before
        after_names, after = log_rows(workbook, reader)
        assert [n for n in after_names if n.startswith(f"{s.LOG_SHEET} ")] == [
            f"{s.LOG_SHEET} {year}" for year in range(this_year - 4, this_year)], reader
        assert after[:-1] == rows, reader                       # every row, in order, as it read before
        assert after[-1][3:5] and "Filed by year" in after[-1], (reader, after[-1])
    # The year sheets deflated as their source was (openpyxl: level 6), not at level 1 (1.3x the size).
    assert workbook.stat().st_size <= size * 1.05, (workbook.stat().st_size, size)


def _peak_mb(pid: int) -> float:
    return int(re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text()).group(1)) / 1024


@pytest.mark.slow
def test_sli_bot_files_a_hundred_thousand_rows_under_150_mb(workbook: Path, tmp_path: Path) -> None:
    one_sheet_history(workbook, 100_000, years=10)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = tmp_path / "bot.log"
    with SlackStandIn() as standin, log.open("w") as out:
        env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET, "SLACK_APP_TOKEN": "",
               "SLACK_API_URL": standin.base_url, "SLI_POLL_SECONDS": "3600", "SLI_SUMMARY_CHANNEL": ""}
        process = subprocess.Popen([sys.executable, str(ROOT / "sli.py"), "bot", "--http", "--host", "127.0.0.1",
                                    "--port", str(port), "--workbook", str(workbook)],
                                   env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=5).close()
                    break
                except ConnectionRefusedError:
                    assert process.poll() is None and time.monotonic() < deadline, log.read_text()
                    time.sleep(0.05)
            http = BoltHTTP(f"http://127.0.0.1:{port}{EVENTS_PATH}", SECRET, standin=standin, timeout=60)
            assert http.command(text='update 7 next="Filed by year"', user_id=L7_LEAD,
                                response_url=standin.response_url("filed"))[0] == 200
            [told] = standin.wait_for("response_url", timeout=300)
            assert "L7 updated" in told["args"]["text"], told
            peak = _peak_mb(process.pid)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
    names = CalamineWorkbook.from_path(str(workbook)).sheet_names
    assert sum(name.startswith(f"{s.LOG_SHEET} ") for name in names) >= 10
    print(f"\nsli bot --http filing 100,000 rows from one sheet: VmHWM {peak:.0f} MB")
    assert peak <= 150, peak
