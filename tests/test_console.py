"""The local console: with no Slack credentials, the same listeners answer typed lines."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bot.console import run_console
from shared.reader import read_appendix, read_change_log
from shared.usecases import Store

ROOT = Path(__file__).resolve().parents[1]


def test_console_answers_and_updates_as_the_slack_bot_does(workbook: Path) -> None:
    at_risk = [r.ref for r in read_appendix(workbook).rows.values() if r.status in ("At risk", "Off track")]
    out = io.StringIO()
    run_console(Store.for_workbook(workbook), user_id="U07SLI0002", out=out, lines=[
        "/sli status 7", "what is at risk?", "/sli update 7", 'update 7 status=“On track” next=“Recruit”',
        "/sli update 3 status=Done", "hello"])
    text = out.getvalue()
    assert "you are Joanne Whitworth" in text
    assert "L7 (Off track)" in text
    assert f"Recommendations At risk or Off track ({len(at_risk)})" in text  # "what is at risk?": both
    assert "[form: Update L7]" in text and "Status: Off track" in text
    assert "L7 updated" in text
    lead_of_l3 = read_appendix(workbook).rows["L3"].lead_org
    assert f"Only the leads of {lead_of_l3}" in text  # Joanne leads for BwD Council Public Health only
    assert "I didn't understand that" in text
    assert read_appendix(workbook).rows["L7"].status == "On track"
    assert [e.via for e in read_change_log(workbook)] == ["Slack", "Slack"]


def test_sli_bot_without_credentials_opens_the_console(workbook: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    done = subprocess.run([sys.executable, str(ROOT / "sli.py"), "bot", "--workbook", str(workbook)],
                          input="/sli status L12\n", capture_output=True, text=True, env=env, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "No SLACK_BOT_TOKEN: starting the local console" in done.stdout
    assert f"L12 ({read_appendix(workbook).rows['L12'].status})" in done.stdout


def test_sli_run_checks_lists_serves_the_addin_and_opens_the_console(workbook: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "XLWINGS_"))}
    run = subprocess.Popen([sys.executable, str(ROOT / "sli.py"), "run", "--workbook", str(workbook),
                            "--addin-port", str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        # While the console waits for its first line, the add-in's task pane is served on 127.0.0.1.
        deadline, status = time.monotonic() + 60, None
        while status is None and time.monotonic() < deadline:
            try:
                status = urllib.request.urlopen(f"http://127.0.0.1:{port}/taskpane", timeout=5).status
            except OSError:
                time.sleep(0.2)
        out, err = run.communicate("/sli status L12\n", timeout=60)
    finally:
        run.kill()
    assert status == 200
    assert run.returncode == 0, err[-2000:]
    assert "0 errors" in out                                     # validated
    assert "L22" in out and "Recommendation" in out              # the status table
    assert f"http://127.0.0.1:{port}/taskpane" in out            # the add-in, local trial
    assert f"L12 ({read_appendix(workbook).rows['L12'].status})" in out   # the console answered
