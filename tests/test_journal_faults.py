"""Nothing lost, nobody left waiting: when the journal cannot be written (locked, damaged, disk full,
read-only) the sender is told at once that nothing was recorded, the command line exits 5 with one
sentence, and the update is never applied later. Slow writes never hold up the bot's answers."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from filelock import FileLock
from slack_standin import BoltHTTP, SlackStandIn

import sli
from bot.app import LISTENER_THREADS, Settings, create_app
from bot.http_server import serve_in_thread
from shared import journal as j
from shared.domain import schema as s
from shared.reader import read_appendix, read_change_log
from shared.usecases import NOT_RECORDED, Store, submit_update

ROOT = Path(__file__).resolve().parents[1]
SECRET = "test-signing-secret"
L7_LEAD = "U07SLI0002"  # Joanne Whitworth
OFFICER = "U07SLI0006"  # Sana Iqbal: may update every recommendation


@contextmanager
def journal_locked(store: Store) -> Iterator[None]:
    """Another program holds the journal's write lock (a backup tool, a stuck process)."""
    store.journal()  # exists, with its tables
    other = sqlite3.connect(store.journal_path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_locked_journal_refuses_quickly_and_the_update_never_lands(workbook: Path) -> None:
    store = Store.for_workbook(workbook)
    before = workbook.read_bytes()
    with journal_locked(store):
        started = time.monotonic()
        result = submit_update(store, "L7", {s.NEXT_STEPS: "Held back"}, by="Joanne Whitworth", via=s.VIA_CLI)
        waited = time.monotonic() - started
    assert result.state == NOT_RECORDED
    assert result.message.startswith("Nothing was recorded") and "locked" in result.message
    assert waited < j.BUSY_TIMEOUT_SECONDS + 1.0  # a few seconds, not SQLite's minutes
    assert store.journal().for_ref("L7") == []  # never applied after the sender was told it failed
    assert workbook.read_bytes() == before


def test_damaged_journal_gives_one_sentence_and_exit_5(workbook: Path, capsys: pytest.CaptureFixture) -> None:
    journal_path = workbook.with_name("damaged.journal.sqlite")
    journal_path.write_bytes(b"this is not a database" * 200)
    before = workbook.read_bytes()
    code = subprocess.run([sys.executable, "-c", "import sli, sys; sys.exit(sli.main())", "update", "L7",
                           "--next", "Agree audit", "--by", "Helen Lowey", "--workbook", str(workbook)],
                          capture_output=True, text=True, cwd=ROOT,
                          env={"SLI_JOURNAL": str(journal_path), "PATH": "/usr/bin:/bin"})
    assert code.returncode == sli.EXIT_NOT_RECORDED == 5
    output = code.stdout + code.stderr
    assert "Traceback" not in output
    assert "Nothing was recorded" in output and "damaged" in output
    assert workbook.read_bytes() == before


def test_cli_with_locked_journal_exits_5(workbook: Path, capsys: pytest.CaptureFixture) -> None:
    store = Store.for_workbook(workbook)
    with journal_locked(store):
        code = sli.main(["update", "L7", "--next", "Agree audit", "--by", "Helen Lowey", "--workbook", str(workbook)])
    assert code == sli.EXIT_NOT_RECORDED
    assert "Nothing was recorded" in capsys.readouterr().out


class Bot:
    def __init__(self, standin: SlackStandIn, workbook: Path, listener_threads: int = LISTENER_THREADS):
        self.standin, self.workbook = standin, workbook
        settings = Settings(bot_token="xoxb-test", signing_secret=SECRET, api_url=standin.base_url,
                            workbook=workbook, poll_seconds=3600)
        self.store = settings.store()
        self.server = serve_in_thread(create_app(settings, listener_threads=listener_threads))
        self.http = BoltHTTP(f"http://127.0.0.1:{self.server.server_port}/slack/events", SECRET, standin=standin)

    def timed_command(self, text: str, user_id: str) -> tuple[float, dict]:
        started = time.monotonic()
        status, body = self.http.command(text=text, user_id=user_id)
        assert status == 200, body
        return time.monotonic() - started, json.loads(body) if body else {}


@pytest.fixture
def bot(workbook: Path) -> Iterator[Bot]:
    with SlackStandIn() as standin:
        harness = Bot(standin, workbook)
        yield harness
        harness.server.shutdown()


@pytest.fixture
def serial_bot(workbook: Path) -> Iterator[Bot]:
    """The app with ONE listener thread (listeners run in the order requests were answered, and queue their
    writes on the one writer thread in that order): a later request's effect shows the earlier one's is over."""
    with SlackStandIn() as standin:
        harness = Bot(standin, workbook, listener_threads=1)
        yield harness
        harness.server.shutdown()


def test_bot_says_nothing_was_recorded_within_three_seconds(serial_bot: Bot) -> None:
    bot = serial_bot
    l7_before = read_appendix(bot.workbook).rows["L7"][s.NEXT_STEPS]
    with journal_locked(bot.store):
        waited, ack = bot.timed_command('update 7 next="Agree safer sleep audit"', L7_LEAD)
    assert waited < 3.0
    assert "Nothing was recorded" in ack["text"] and "locked" in ack["text"]
    # The journal free again, a later update is listened to and written after anything the refused one could
    # have started; once its sender is told, the refused update has left no trace and never lands.
    status, _ = bot.http.command(text='update 8 next="Agree cover"', user_id=OFFICER,
                                 response_url=bot.standin.response_url("later"))
    assert status == 200
    [told] = bot.standin.wait_for("response_url")
    assert told["args"]["_key"] == "later" and "L8 updated" in told["args"]["text"]
    assert bot.store.journal().for_ref("L7") == []
    assert [e.ref for e in read_change_log(bot.workbook)] == ["L8"]
    assert read_appendix(bot.workbook).rows["L7"][s.NEXT_STEPS] == l7_before


def test_queries_are_answered_while_twenty_writes_are_stuck(bot: Bot) -> None:
    workbook_lock = FileLock(str(bot.store.lock_path))
    with workbook_lock:  # another process is writing the workbook, slowly
        acks = [bot.timed_command(f'update {1 + n} next="Step agreed at meeting {n}"', OFFICER) for n in range(20)]
        assert all("Recorded your update" in ack["text"] for _, ack in acks)
        waited, _ = bot.timed_command("status 7", L7_LEAD)
        [answer] = bot.standin.wait_for("response_url", count=1, timeout=3.0)
        assert answer["args"]["text"].startswith("L7 (")
    assert max(w for w, _ in acks) < 3.0 and waited < 3.0
    # Released: every recorded update is written, in the order it arrived, and each sender is told.
    replies = bot.standin.wait_for("response_url", count=21, timeout=60.0)
    assert sorted(r["args"]["text"].split(" updated.")[0].split()[-1] for r in replies[1:]) == sorted(
        f"L{1 + n}" for n in range(20))
    appendix = read_appendix(bot.workbook)
    assert all(appendix.rows[f"L{1 + n}"][s.NEXT_STEPS] == f"Step agreed at meeting {n}" for n in range(20))
    assert [e.ref for e in read_change_log(bot.workbook)] == [f"L{1 + n}" for n in range(20)]
    assert len(bot.store.journal().in_states(j.APPLIED)) == 20
