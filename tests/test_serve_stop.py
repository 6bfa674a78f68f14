"""Stopping `sli serve` safely: SIGTERM in the middle of a burst of 50 signed Slack `/sli update`s. It stops
accepting, answers what it accepted, lets the writer finish the update it is writing, leaves the rest
journalled and exits 0 within 10 s; after a restart every acknowledged update is in the workbook exactly once
and its sender was told exactly once (on the command's response_url before the stop, or by direct message
after the restart: the Slack stand-in records both)."""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from serve_support import OFFICER, SECRET, Served, serve_env
from slack_standin import BoltHTTP, SlackStandIn

from shared.reader import read_change_log
from shared.usecases import Store

BURST = 50
SIGTERM_AFTER = 15
SENDERS = 8


def test_sigterm_mid_burst_loses_nothing_and_tells_each_sender_once(workbook: Path, tmp_path: Path) -> None:
    with SlackStandIn() as standin:
        env = serve_env(SLACK_BOT_TOKEN="xoxb-stop-test", SLACK_SIGNING_SECRET=SECRET,
                        SLACK_API_URL=standin.base_url, SLI_PUBLIC_URL="https://sli.council.example")
        first = Served(workbook, env)
        try:
            first.ready()
            bolt = BoltHTTP(f"{first.url}/slack/events", SECRET, standin=standin, timeout=15)
            acked: set[str] = set()
            lock = threading.Lock()
            signalled = threading.Event()

            def send(n: int) -> None:
                key = f"burst-{n:02d}"
                try:
                    status, body = bolt.command(text=f'update {n % 22 + 1} next="{key}"', user_id=OFFICER,
                                                response_url=standin.response_url(key))
                except OSError:  # refused or reset: the server had stopped accepting
                    return
                if status == 200 and "Recorded your update" in body:
                    with lock:
                        acked.add(key)
                        if len(acked) >= SIGTERM_AFTER and not signalled.is_set():
                            signalled.set()
                            first.process.send_signal(15)
                            stop_started[0] = time.monotonic()

            stop_started = [0.0]
            with ThreadPoolExecutor(SENDERS) as pool:
                list(pool.map(send, range(BURST)))
            assert signalled.is_set(), f"only {len(acked)} acknowledged"
            code = first.process.wait(15)
            took = time.monotonic() - stop_started[0]
            first._reader.join(5)
            assert code == 0 and took < 10, (code, took, first.log[-3000:])
        finally:
            first.kill()
        assert len(acked) >= SIGTERM_AFTER
        # The operators' log, plain by default: one line per update written, with no text and no token.
        plain = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ INFO sli\.updates written [0-9a-f]{32} L\d+ applied "
                           r"\d+\.\d ms")
        assert [line for line in first.lines if plain.fullmatch(line)], first.log[-2000:]
        assert "burst-" not in first.log and "xoxb-stop-test" not in first.log and SECRET not in first.log
        journal = Store.for_workbook(workbook).journal()
        left = [e for e in journal.in_states("pending", "writing") if e.changes.get("Next steps") in acked]

        second = Served(workbook, env)
        try:
            second.ready(until=lambda body: body["updates_waiting"] == 0)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and len(told(standin)) < len(acked):
                time.sleep(0.1)
            counts = told(standin)
            assert {key: counts.get(key, 0) for key in acked} == dict.fromkeys(acked, 1), (counts, left)
            assert all(count == 1 for count in counts.values())  # an unacknowledged one, if written, once too
        finally:
            code, _ = second.stop()
        assert code == 0
    written = [row.new_value for row in read_change_log(workbook) if row.field == "Next steps"]
    assert {key: written.count(key) for key in acked} == dict.fromkeys(acked, 1)
    assert all(written.count(value) == 1 for value in written if value.startswith("burst-"))
    print(f"\n{len(acked)} acknowledged before the stop; {len(left)} of them left journalled and written by the "
          f"restart")


def told(standin: SlackStandIn) -> dict[str, int]:
    """How many times each burst update's sender was told it landed, on its response_url or by message."""
    counts: dict[str, int] = {}
    for call in standin.calls("response_url") + standin.calls("chat.postMessage"):
        for key in re.findall(r"→ (burst-\d\d)", call["args"].get("text", "")):
            counts[key] = counts.get(key, 0) + 1
    return counts
