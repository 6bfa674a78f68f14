"""Replay keys cost no journal write of their own, and a restarted bot still refuses a replayed update (issue 18,
point 2): `sli bot --http` started as a real process, signed requests sent to it, then stopped and started again.

A signed request's key (its signature) is remembered in memory for its window; the key of a request that
carries an update is kept in the journal in the update's own commit, and a bot starting up remembers the keys
kept in the last minutes. So a question writes nothing to the journal (before, every signed request wrote its
key: a commit and its fsyncs per question), and a captured update replayed within Slack's five minutes is
refused after a restart as before it.
"""

from __future__ import annotations

import http.client
import os
import sqlite3
import subprocess
import sys
import urllib.parse
from pathlib import Path

from slack_standin import SlackStandIn, sign
from test_startup import connect_when_accepting, free_port, stop, wait_until

from shared.domain import schema as s
from shared.domain.update import UpdateRequest
from shared.journal import APPLIED, REJECTED
from shared.reader import read_appendix
from shared.usecases import Store, record_request

ROOT = Path(__file__).resolve().parents[1]
SECRET = "test-signing-secret"
L7_LEAD = "U07SLI0002"  # Joanne Whitworth, lead of L7's organisation


def _start(workbook: Path, port: int, standin: SlackStandIn, log: Path) -> subprocess.Popen:
    env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET, "SLACK_APP_TOKEN": "",
           "SLACK_API_URL": standin.base_url, "SLI_POLL_SECONDS": "3600", "SLI_SUMMARY_CHANNEL": "C_SLI"}
    process = subprocess.Popen([sys.executable, str(ROOT / "sli.py"), "bot", "--http", "--host", "127.0.0.1",
                                "--port", str(port), "--workbook", str(workbook)],
                               env=env, stdout=log.open("a"), stderr=subprocess.STDOUT)
    connect_when_accepting(port, process, log).close()
    return process


def _post(port: int, body: bytes, headers: dict[str, str]) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", "/slack/events", body=body,
                           headers={"Content-Type": "application/x-www-form-urlencoded", **headers})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _command(standin: SlackStandIn, text: str, key: str) -> bytes:
    return urllib.parse.urlencode({
        "token": "x", "team_id": "T1", "channel_id": "C1", "user_id": L7_LEAD, "command": "/sli", "text": text,
        "api_app_id": "A1", "response_url": standin.response_url(key), "trigger_id": f"1.2.{key}"}).encode()


def _seen_keys(journal: Path) -> list[str]:
    with sqlite3.connect(journal) as db:
        return [row[0] for row in db.execute("SELECT key FROM seen_keys")]


def test_a_replayed_update_is_refused_after_a_restart_and_questions_write_no_key(workbook: Path,
                                                                                 tmp_path: Path) -> None:
    store = Store.for_workbook(workbook)
    log = tmp_path / "bot.log"
    with SlackStandIn() as standin:
        port = free_port()
        process = _start(workbook, port, standin, log)
        try:
            question = _command(standin, "status 7", "question")
            assert _post(port, question, sign(SECRET, question)) == 200
            standin.wait_for("response_url", timeout=30)
            update = _command(standin, 'update 7 next="Replay-proof plan"', "update")
            signed = sign(SECRET, update)
            assert _post(port, update, signed) == 200
            wait_until(lambda: [e.state for e in store.journal().for_ref("L7")] == [APPLIED], "the update written",
                       log, timeout=60)
            assert _post(port, update, signed) == 401  # replayed while it runs: refused from memory
        finally:
            stop(process)
        # The question's signature was never written; the update's was, with the update.
        assert _seen_keys(store.journal_path) == [f"signature:{signed['X-Slack-Signature']}"]

        process = _start(workbook, port, standin, log)
        try:
            assert _post(port, update, signed) == 401  # the same captured request, after the restart
            again = _command(standin, 'update 7 next="Replay-proof plan"', "update")
            assert _post(port, again, sign(SECRET, again, timestamp=int(signed["X-Slack-Request-Timestamp"]) + 1)) \
                == 200  # a new request (a new signature) is still taken
        finally:
            stop(process)
    assert process.returncode == 0, log.read_text()
    assert len(store.journal().for_ref("L7")) == 2
    assert read_appendix(workbook).rows["L7"][s.NEXT_STEPS] == "Replay-proof plan"


def test_an_update_whose_key_the_journal_keeps_is_refused_and_nothing_is_recorded(workbook: Path) -> None:
    """The key and the update go in one commit: a key already kept (the request accepted by another process,
    or before a restart) refuses the update, and nothing of it is recorded."""
    store = Store.for_workbook(workbook)
    request = UpdateRequest("L7", {s.NEXT_STEPS: "Once only"}, s.VIA_SLACK, sender=L7_LEAD)
    first = record_request(store, request, replay_keys=["signature:v0=captured"])
    again = record_request(store, request, replay_keys=["signature:v0=captured"])
    assert again.state == REJECTED and again.update_id is None and "already received" in again.message
    assert [e.id for e in store.journal().for_ref("L7")] == [first.update_id]
