"""A running bot stays small: `sli bot --http`, started as a real process with the month's summary due, serves
20 one-line updates sent as signed requests and posts the summary (figures and charts made in a worker
process, shared/worker.py), and never maps numpy, pandas, matplotlib or Pillow, and its peak memory (VmHWM,
read from /proc of the process that serves) stays under 70 MB. Before, the scheduler imported pandas,
matplotlib and openpyxl at start: 115 MB before the first request, 155 MB after 20 updates."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from slack_standin import BoltHTTP, SlackStandIn

from bot.http_server import EVENTS_PATH
from shared.reader import read_appendix
from shared.usecases import Store
from shared.usecases import reporting as sm

ROOT = Path(__file__).resolve().parents[1]
SECRET = "test-signing-secret"
L7_LEAD = "U07SLI0002"       # may update L7
CHANNEL = "C_SLI"
UPDATES = 20
PEAK_MB = 70
#: Shared objects that only numpy, pandas, matplotlib and Pillow load: none may be mapped in the bot.
HEAVY = {"numpy": "_multiarray_umath", "pandas": "pandas/_libs", "matplotlib": "ft2font", "Pillow": "PIL/_imaging"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def peak_mb(pid: int) -> float:
    return int(re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text()).group(1)) / 1024


def heavy_mapped(pid: int) -> list[str]:
    maps = Path(f"/proc/{pid}/maps").read_text()
    return [name for name, marker in HEAVY.items() if marker in maps]


def test_sli_bot_serves_updates_and_posts_the_summary_without_growing(workbook: Path, tmp_path: Path) -> None:
    due = sm.month_to_summarise(datetime.now(UTC))  # None from the 1st until the first working day's 09:00
    port = free_port()
    log = tmp_path / "bot.log"
    with SlackStandIn() as standin, log.open("w") as out:
        env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET, "SLACK_APP_TOKEN": "",
               "SLACK_API_URL": standin.base_url, "SLI_POLL_SECONDS": "3600", "SLI_SUMMARY_CHANNEL": CHANNEL}
        process = subprocess.Popen([sys.executable, str(ROOT / "sli.py"), "bot", "--http", "--host", "127.0.0.1",
                                    "--port", str(port), "--workbook", str(workbook)],
                                   env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            http = BoltHTTP(f"http://127.0.0.1:{port}{EVENTS_PATH}", SECRET, standin=standin, timeout=30)
            deadline = time.monotonic() + 60
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=5).close()
                    break
                except ConnectionRefusedError:
                    assert process.poll() is None and time.monotonic() < deadline, log.read_text()
                    time.sleep(0.02)
            for n in range(UPDATES):
                status, _ = http.command(text=f'update 7 next="Memory step {n}"', user_id=L7_LEAD,
                                         response_url=standin.response_url(f"u{n}"))
                assert status == 200, log.read_text()
                told = time.monotonic() + 60
                while not any(c["path"] == f"/response/u{n}" for c in standin.calls("response_url")):
                    assert time.monotonic() < told, f"update {n} never told: {log.read_text()[-2000:]}"
                    time.sleep(0.01)
            assert read_appendix(workbook).rows["L7"]["Next steps"] == f"Memory step {UPDATES - 1}"
            if due:  # the summary due was posted, with both charts (made in a worker process)
                standin.wait_for("files.completeUploadExternal", timeout=120)
                posts = [c for c in standin.calls("chat.postMessage") if c["args"].get("channel") == CHANNEL]
                assert len(posts) == 1 and posts[0]["args"]["text"].startswith("SLI infant mortality")
                assert Store.for_workbook(workbook).journal().posted("summary", sm.month_key(*due))
                named = sorted(c["args"]["filename"] for c in standin.calls("files.getUploadURLExternal"))
                assert named == [f"sli-summary-{sm.month_key(*due)}.png", f"sli-trend-{sm.month_key(*due)}.png"]
                assert [png[:4] for png in standin.uploads.values()] == [b"\x89PNG"] * 2

            assert heavy_mapped(process.pid) == []
            peak = peak_mb(process.pid)
            print(f"\nsli bot --http after {UPDATES} updates{' and the summary' if due else ''}: "
                  f"VmHWM {peak:.1f} MB")
            assert peak <= PEAK_MB, peak
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
    assert process.returncode == 0, log.read_text()
