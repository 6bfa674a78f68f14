"""The bot's HTTP server (uvicorn through Bolt's Starlette adapter): many simultaneous connections, replays,
malformed requests, and `sli bot --http` as a process. The real app (create_app) answers signed requests;
its Web API calls and response_url posts go to the local Slack stand-in."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import pytest
from slack_standin import BoltHTTP, SlackStandIn, sign

from bot.app import LISTENER_THREADS, ReplayGuard, Settings, create_app
from bot.http_server import EVENTS_PATH, MAX_BODY, serve_in_thread
from shared.uow import Store

SECRET = "test-signing-secret"
READER = "U07SLI0012"   # Anita Patel, lead of ELHT: anyone may ask for a status
ROOT = Path(__file__).resolve().parents[1]


class Bot:
    """The real app served by the real server; `post` sends raw bytes so tests control every header."""

    def __init__(self, standin: SlackStandIn, settings: Settings, listener_threads: int = LISTENER_THREADS):
        self.standin, self.settings = standin, settings
        self.app = create_app(settings, listener_threads=listener_threads)
        self.server = serve_in_thread(self.app)
        self.port = self.server.server_port
        self.http = BoltHTTP(f"http://127.0.0.1:{self.port}{EVENTS_PATH}", SECRET, standin=standin)

    def post(self, body: bytes, headers: dict[str, str], method: str = "POST", path: str = EVENTS_PATH,
             port: int | None = None) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", port or self.port, timeout=10)
        try:
            connection.request(method, path, body=body,
                               headers={"Content-Type": "application/x-www-form-urlencoded", **headers})
            response = connection.getresponse()
            return response.status, response.read().decode("utf-8", "replace")
        finally:
            connection.close()


def command_body(standin: SlackStandIn, text: str, user_id: str = READER, key: str = "k") -> bytes:
    """A slash command's form body; `key` names its response_url (on the stand-in), so each request is
    its own bytes."""
    return urllib.parse.urlencode({
        "token": "x", "team_id": "T1", "team_domain": "sli-test", "channel_id": "C1", "channel_name": "general",
        "user_id": user_id, "user_name": user_id.lower(), "command": "/sli", "text": text, "api_app_id": "A1",
        "is_enterprise_install": "false", "response_url": standin.response_url(key),
        "trigger_id": f"1.2.{key}"}).encode()


@pytest.fixture
def standin():
    with SlackStandIn() as slack:
        yield slack


def _settings(standin: SlackStandIn, workbook: Path) -> Settings:
    return Settings(bot_token="xoxb-test", signing_secret=SECRET, api_url=standin.base_url, workbook=workbook,
                    poll_seconds=3600)


@pytest.fixture
def bot(standin: SlackStandIn, workbook: Path):
    harness = Bot(standin, _settings(standin, workbook))
    yield harness
    harness.server.shutdown()
    harness.server.server_close()


@pytest.fixture
def serial_bot(standin: SlackStandIn, workbook: Path):
    """The app with ONE listener thread: Bolt queues each request's listener before it answers the request,
    so listeners run in the order requests were answered. To show a request ran nothing, a test sends a
    later, distinct request and waits for its answer: anything the first had started would have come first."""
    harness = Bot(standin, _settings(standin, workbook), listener_threads=1)
    yield harness
    harness.server.shutdown()
    harness.server.server_close()


def answered(calls: list[dict]) -> list[str]:
    """The response_url keys (command_body's `key`) of these stand-in calls, in the order they arrived."""
    return [call["args"]["_key"] for call in calls]


def ask_later(bot: Bot, key: str = "later") -> None:
    """A distinct, correctly signed question, sent after the requests under test."""
    later = command_body(bot.standin, "status 3", key=key)
    assert bot.post(later, sign(SECRET, later))[0] == 200


def hammer(port: int, connections: int, requests_each: int, body_for) -> dict[str, object]:
    """`connections` clients start together; each sends `requests_each` signed requests, one new TCP
    connection per request (Slack does not pool for us). Counts resets (any OSError) and statuses."""
    barrier = threading.Barrier(connections)
    lock = threading.Lock()
    statuses: dict[int, int] = {}
    errors: list[str] = []
    acks: list[float] = []

    def client(n: int) -> None:
        barrier.wait()
        for k in range(requests_each):
            body = body_for(n, k)
            start = time.perf_counter()
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                connection.request("POST", EVENTS_PATH, body=body, headers={
                    "Content-Type": "application/x-www-form-urlencoded", **sign(SECRET, body)})
                response = connection.getresponse()
                response.read()
                connection.close()
                with lock:
                    statuses[response.status] = statuses.get(response.status, 0) + 1
                    acks.append((time.perf_counter() - start) * 1000)
            except OSError as exc:
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    acks.sort()
    return {"statuses": statuses, "errors": errors, "seconds": time.perf_counter() - started,
            "p95_ms": acks[int(0.95 * (len(acks) - 1))] if acks else None}


def test_fifty_simultaneous_connections_are_all_answered(bot: Bot) -> None:
    """The old server (backlog 5) reset ~13% of 20 simultaneous connections; this one resets none."""
    result = hammer(bot.port, connections=50, requests_each=4,
                    body_for=lambda n, k: command_body(bot.standin, "status 7", key=f"c{n}r{k}"))
    assert result["errors"] == [], result["errors"][:5]
    assert result["statuses"] == {200: 200}
    # Every request reached the listener, which answered each on its own response_url.
    answered = bot.standin.wait_for("response_url", count=200, timeout=30)
    assert len({call["path"] for call in answered}) == 200
    assert all(call["args"]["text"].startswith("L7 (") for call in answered)


def test_a_replayed_request_is_refused_and_runs_nothing(serial_bot: Bot) -> None:
    bot = serial_bot
    body = command_body(bot.standin, "status 7", key="once")
    headers = sign(SECRET, body)
    assert bot.post(body, headers)[0] == 200
    status, text = bot.post(body, headers)
    assert status == 401 and "already received" in text
    ask_later(bot)
    assert answered(bot.standin.wait_for("response_url", count=2)) == ["once", "later"]
    # The same words sent again as a new request (new timestamp, so a new signature) are answered.
    assert bot.post(body, sign(SECRET, body, int(headers["X-Slack-Request-Timestamp"]) - 1))[0] == 200
    assert answered(bot.standin.wait_for("response_url", count=3)) == ["once", "later", "once"]


def test_a_replay_sent_from_many_threads_at_once_is_let_in_once(serial_bot: Bot) -> None:
    bot = serial_bot
    body = command_body(bot.standin, "status 3", key="burst")
    headers = sign(SECRET, body)
    barrier = threading.Barrier(12)
    statuses: list[int] = []

    def send() -> None:
        barrier.wait()
        statuses.append(bot.post(body, headers)[0])

    threads = [threading.Thread(target=send) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [401] * 11
    ask_later(bot)
    assert answered(bot.standin.wait_for("response_url", count=2)) == ["burst", "later"]
    assert len(bot.standin.calls("response_url")) == 2


def test_a_replay_to_another_process_sharing_the_journal_is_refused(bot: Bot, standin: SlackStandIn,
                                                                    workbook: Path) -> None:
    """Two bots on one workbook (as after a restart, or a second process) share the journal's memory of the
    requests that carried updates: the update's key is kept in its own commit, so the other process, which
    has not seen it, refuses to record it again. (A replayed question is answered again: it changes nothing,
    and no question writes to the journal.)"""
    other = Bot(standin, _settings(standin, workbook))
    try:
        body = command_body(bot.standin, 'update 7 next="Recorded once"', user_id="U07SLI0002", key="twice")
        headers = sign(SECRET, body)
        assert bot.post(body, headers)[0] == 200
        status, text = other.post(body, headers)
        assert status == 200 and "already received" in text, text
        assert len(Store.for_workbook(workbook).journal().for_ref("L7")) == 1
        fresh = command_body(bot.standin, "status 7", key="fresh")
        assert other.post(fresh, sign(SECRET, fresh))[0] == 200
    finally:
        other.server.shutdown()
        other.server.server_close()


def test_malformed_requests_get_a_sentence_and_run_nothing(serial_bot: Bot) -> None:
    bot = serial_bot
    before = bot.settings.workbook.read_bytes()
    body = command_body(bot.standin, 'update 7 status="On track"', user_id="U07SLI0002", key="bad")
    signed = sign(SECRET, body)
    words = b"v0:soon:" + body
    not_a_number = {"X-Slack-Request-Timestamp": "soon",
                    "X-Slack-Signature": "v0=" + hmac.new(SECRET.encode(), words, hashlib.sha256).hexdigest()}
    status, text = bot.post(body, not_a_number)
    assert (status, text) == (401, "X-Slack-Request-Timestamp must be a whole number of seconds since 1970.")
    status, text = bot.post(body, {"X-Slack-Request-Timestamp": signed["X-Slack-Request-Timestamp"]})
    assert status == 401 and "not signed" in text
    status, text = bot.post(body, {"X-Slack-Signature": signed["X-Slack-Signature"]})
    assert status == 401 and "X-Slack-Request-Timestamp" in text

    latin1 = body + "&note=caf\xe9".encode("latin-1")
    status, text = bot.post(latin1, sign(SECRET, latin1))
    assert (status, text) == (400, "The request body is not UTF-8 text.")
    huge = body + b"&pad=" + b"x" * MAX_BODY
    status, text = bot.post(huge, sign(SECRET, huge))
    assert status == 413 and "over" in text
    assert bot.post(body, signed, method="GET")[0] == 405
    assert bot.post(body, signed, path="/elsewhere")[0] == 404

    # The server is still there; a later question is answered, and nothing before it was let in: the
    # update would have been journalled in its listener, which would have run before the question's.
    ask_later(bot)
    assert answered(bot.standin.wait_for("response_url")) == ["later"]
    assert bot.settings.store().journal().for_ref("L7") == []
    assert bot.settings.workbook.read_bytes() == before
    # The refused attempts did not use up the well-formed request's signature: it goes through.
    assert bot.post(body, signed)[0] == 200


def test_replay_memory_forgets_once_bolt_would_refuse_the_timestamp() -> None:
    now = [1_000_000.0]
    guard = ReplayGuard(window=300, clock=lambda: now[0])
    assert guard.first_time("v0=a", "1000000") and not guard.first_time("v0=a", "1000000")
    assert guard.first_time("v0=b", "1000200")  # timestamped ahead: kept until its own time + window
    now[0] += 302
    assert guard.first_time("v0=c", str(int(now[0])))
    assert len(guard) == 2 and not guard.first_time("v0=b", "1000200")
    now[0] += 200
    assert guard.first_time("v0=a", "1000000") and len(guard) == 2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_sli_bot_http_serves_and_stops_on_sigterm(standin: SlackStandIn, workbook: Path) -> None:
    port = _free_port()
    env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_API_URL": standin.base_url, "SLI_POLL_SECONDS": "3600", "SLACK_APP_TOKEN": ""}
    process = subprocess.Popen([sys.executable, str(ROOT / "sli.py"), "bot", "--http", "--host", "127.0.0.1",
                                "--port", str(port), "--workbook", str(workbook)],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert f"listening on http://127.0.0.1:{port}/slack/events" in line, process.stderr.read()
        bolt = BoltHTTP(f"http://127.0.0.1:{port}{EVENTS_PATH}", SECRET, standin=standin)
        assert bolt.command(text="status 7", user_id=READER)[0] == 200
        assert standin.wait_for("response_url")[0]["args"]["text"].startswith("L7 (")
        assert bolt.command(text="status 7", user_id=READER, bad_signature=True)[0] == 401
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    # The port is free again for a restart (which, like the bot, sets SO_REUSEADDR: closed connections
    # linger in TIME_WAIT).
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))


def test_sli_bot_http_on_a_port_in_use_says_so(standin: SlackStandIn, workbook: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET,
               "SLACK_API_URL": standin.base_url}
        done = subprocess.run([sys.executable, str(ROOT / "sli.py"), "bot", "--http", "--host", "127.0.0.1",
                               "--port", str(port), "--workbook", str(workbook)],
                              env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert f"Cannot listen on 127.0.0.1:{port}" in done.stderr
