"""The real `sli bot --http` process, and a bare Starlette endpoint on the same uvicorn settings beside it.

The bot is started as an officer's service manager would start it (`sli.py bot --http`), its Slack calls going
to the local stand-in (tests/slack_standin.py). A status answer is timed from sending the signed `/sli status 7`
until the answer has reached Slack: the acknowledgement is back and the answer is in it or at the response_url,
whichever the bot uses. Memory is the served process's own peak (VmHWM in /proc/PID/status), not a child that
only imports the bot. The bare endpoint (`serve_bare`, another process) answers the same signed POST with an
empty 200: what uvicorn and Starlette cost before any of ours runs.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

from slack_standin import SlackStandIn, sign

ROOT = Path(__file__).resolve().parents[2]
SECRET = "bench-signing-secret"
READER = "U07SLI0012"   # Anita Patel, a lead: may ask for a status
L7_LEAD = "U07SLI0002"  # Joanne Whitworth, lead of L7's organisation: may update L7
#: Seconds to wait for a bot to start, or an answer that files a 100,000-row history on a loaded machine.
PATIENCE = 900.0


def free_port() -> int:
    """A port nothing listens on now, for a process to bind next."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_accepting(port: int, process: subprocess.Popen, what: str) -> None:
    """Return once `port` accepts; RuntimeError if `process` exits first or never listens."""
    deadline = time.monotonic() + PATIENCE
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
            return
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"{what} exited with {process.returncode} before it listened.") from None
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} never listened on port {port}.") from None
            time.sleep(0.01)


def peak_mb(pid: int) -> float:
    """VmHWM of process `pid` in MB: the most resident memory it has held so far."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


def stop(process: subprocess.Popen) -> None:
    """SIGTERM, as a service manager stops the bot (it answers what is in flight), then kill if it hangs."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def post(port: int, body: bytes) -> tuple[int, str]:
    """One signed POST to /slack/events on a new connection, as Slack sends them; (status, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=PATIENCE)
    try:
        connection.request("POST", "/slack/events", body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", **sign(SECRET, body)})
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def command_body(text: str, user: str, response_url: str, n: int) -> bytes:
    """The form body Slack posts for `/sli text` typed by `user`; `n` makes each body (and signature) new."""
    return urllib.parse.urlencode({
        "token": "x", "team_id": "T1", "channel_id": "C1", "user_id": user, "command": "/sli", "text": text,
        "api_app_id": "A1", "response_url": response_url, "trigger_id": f"1.2.{n}"}).encode()


class Bot:
    """`sli bot --http` serving `workbook`, with the Slack stand-in it talks to."""

    def __init__(self, workbook: Path, log: Path):
        self.standin = SlackStandIn().start()
        self.port = free_port()
        self.sent = 0
        env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET, "SLACK_APP_TOKEN": "",
               "SLACK_API_URL": self.standin.base_url, "SLI_POLL_SECONDS": "3600", "PYTHONPATH": str(ROOT)}
        env.pop("SLI_SUMMARY_CHANNEL", None)
        self._log = log.open("w")
        self.process = subprocess.Popen([sys.executable, str(ROOT / "sli.py"), "bot", "--http", "--host", "127.0.0.1",
                                         "--port", str(self.port), "--workbook", str(workbook)],
                                        env=env, stdout=self._log, stderr=subprocess.STDOUT, cwd=ROOT)
        self.log = log
        try:
            wait_accepting(self.port, self.process, "sli bot --http")
        except RuntimeError:
            self.close()
            raise

    def ask(self, text: str, user: str, answered: str) -> str:
        """Send `/sli text` and return the answer once it reached Slack (in the ack, or at the response_url);
        `answered` is text the answer starts with."""
        self.sent += 1
        key = f"bench{self.sent}"
        status, body = post(self.port, command_body(text, user, self.standin.response_url(key), self.sent))
        if status != 200:
            raise RuntimeError(f"/sli {text} was answered {status}: {body[:200]}")
        if answered in body:
            return body
        deadline = time.monotonic() + PATIENCE
        while True:
            calls = self.standin.calls("response_url")
            mine = [c for c in calls if c["args"].get("_key") == key]
            if mine:
                return str(mine[0]["args"].get("text", ""))
            left = deadline - time.monotonic()
            if left <= 0 or self.process.poll() is not None:
                raise RuntimeError(f"/sli {text} got no answer; the bot's log: {self.log.read_text()[-2000:]}")
            self.standin.wait_for("response_url", count=len(calls) + 1, timeout=left)

    def status(self) -> None:
        """`/sli status 7`, until its answer reached Slack."""
        answer = self.ask("status 7", READER, "L7 (")
        if not answer.startswith("L7 ("):
            raise RuntimeError(f"/sli status 7 answered: {answer[:200]}")

    def update(self, n: int) -> None:
        """A one-line `/sli update 7`, until its outcome (written) reached Slack."""
        answer = self.ask(f'update 7 next="Bench step {n} through the bot"', L7_LEAD, "L7 updated")
        if "L7 updated" not in answer:
            raise RuntimeError(f"/sli update 7 answered: {answer[:200]}")

    def peak_mb(self) -> float:
        return peak_mb(self.process.pid)

    def close(self) -> None:
        stop(self.process)
        self._log.close()
        self.standin.stop()


class Bare:
    """A bare Starlette endpoint in its own process (`serve_bare`), on the bot's uvicorn settings."""

    def __init__(self, script: Path):
        self.port = free_port()
        self.process = subprocess.Popen([sys.executable, str(script), "--bare-child", str(self.port)], cwd=ROOT,
                                        stdout=subprocess.DEVNULL)
        self.sent = 0
        wait_accepting(self.port, self.process, "the bare Starlette endpoint")

    def status(self) -> None:
        """The same signed POST a status is, answered by the bare endpoint."""
        self.sent += 1
        status, _ = post(self.port, command_body("status 7", READER, "http://127.0.0.1:9/response", self.sent))
        if status != 200:
            raise RuntimeError(f"the bare endpoint answered {status}")

    def close(self) -> None:
        stop(self.process)


def serve_bare(port: int) -> None:
    """Serve one POST route answering an empty 200, with the uvicorn settings of `bot.http_server.BotServer`."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, Response
    from starlette.routing import Route

    from bot import http_server as h

    async def events(request: Request) -> Response:
        await request.body()
        return PlainTextResponse("")

    config = uvicorn.Config(
        Starlette(routes=[Route(h.EVENTS_PATH, events, methods=["POST"])]), host="127.0.0.1", port=port, workers=1,
        backlog=h.BACKLOG, limit_concurrency=h.LIMIT_CONCURRENCY, timeout_keep_alive=h.KEEP_ALIVE_SECONDS,
        timeout_graceful_shutdown=h.GRACEFUL_SHUTDOWN_SECONDS, lifespan="off", access_log=False,
        log_level="warning", server_header=False)
    h._Server(config).run(sockets=[h._bind("127.0.0.1", port)])
