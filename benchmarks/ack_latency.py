"""What a `/sli status 7` answer through the HTTP bot costs, beside a bare Starlette endpoint on the same uvicorn.

Why: the answer is what a partner waits for, and the floor under it is what uvicorn and Starlette cost for one
request on this machine; the target is the answer's p50 at most 6x the floor's. Both are served by
`bot.http_server.BotServer` (the bot's own uvicorn settings), in this process, over a new loopback connection
per request, as Slack's deliveries come:

- floor: a POST to a Starlette route that answers "ok" at once, timed until its response is read;
- ack: a signed `/sli status 7` to the real Bolt app (`bot.app.create_app`), timed until Bolt's 200 is read;
- answer: the same, timed until both the 200 is read and the answer has reached the response_url (a
  receiver in this process that notes the moment the POST's body is read): what `make bench` times;
- the same two with replays remembered in memory only (`replays_across_processes=False`), to show what the
  journal's write of each signature's replay key costs (not this benchmark's subject).

Run: `PYTHONPATH=. .venv/bin/python benchmarks/ack_latency.py [--runs 200]`. Prints each p50 and p95 and each
p50 as a ratio to the floor's.
"""

from __future__ import annotations

import argparse
import http.client
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from slack_standin import SlackStandIn, sign  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import PlainTextResponse  # noqa: E402
from starlette.routing import Route  # noqa: E402

from bot.app import Settings, create_app  # noqa: E402
from bot.http_server import EVENTS_PATH, BotServer, serve_in_thread  # noqa: E402

SECRET = "bench-signing-secret"
READER = "U07SLI0012"  # a lead in the committed workbook's Leads sheet: may ask for a status


class Answers:
    """A response_url receiver on 127.0.0.1: notes when each answer's body has been read, by its path."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.event = threading.Condition()
        answers = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (http.server's name)
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with answers.event:
                    answers.arrived[self.path] = time.perf_counter()
                    answers.event.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def wait(self, path: str, timeout: float = 10.0) -> float:
        with self.event:
            if not self.event.wait_for(lambda: path in self.arrived, timeout):
                raise AssertionError(f"no answer at {path}")
            return self.arrived[path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def post(port: int, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, float]:
    """POST on a new connection; the status and the moment the whole response was read."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("POST", path, body=body,
                           headers={"Content-Type": "application/x-www-form-urlencoded", **headers})
        response = connection.getresponse()
        response.read()
        return response.status, time.perf_counter()
    finally:
        connection.close()


def bare_server() -> BotServer:
    """A Starlette app answering "ok" at once, on a BotServer's uvicorn settings (the floor)."""
    async def ok(request: Request) -> PlainTextResponse:
        await request.body()
        return PlainTextResponse("ok")

    server = BotServer.__new__(BotServer)
    BotServer.__init__(server, None)  # type: ignore[arg-type]  (replaced just below; binds the socket)
    server.config.app = Starlette(routes=[Route(EVENTS_PATH, ok, methods=["POST"])])
    server.config.loaded = False
    return server


def started(server: BotServer) -> BotServer:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the bare server did not start")
        time.sleep(0.01)
    return server


def p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="requests per line (default 200)")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="sli-ack-"))
    workbook = folder / "Appendix1.xlsx"
    shutil.copy(ROOT / "workbook" / "Appendix1.xlsx", workbook)
    answers = Answers()
    servers: list[BotServer] = []
    samples: dict[str, list[float]] = {}
    try:
        with SlackStandIn() as standin:
            bare = started(bare_server())
            servers.append(bare)
            bots = {}
            for journal in (True, False):
                settings = Settings(bot_token="xoxb-bench", signing_secret=SECRET, api_url=standin.base_url,
                                    workbook=workbook, poll_seconds=3600)
                bots[journal] = serve_in_thread(create_app(settings, replays_across_processes=journal))
                servers.append(bots[journal])

            def floor() -> None:
                start = time.perf_counter()
                status, done = post(bare.server_port, EVENTS_PATH, b"text=status+7", {})
                assert status == 200
                samples.setdefault("floor: bare Starlette endpoint, same uvicorn settings", []).append(
                    (done - start) * 1000)

            def answer(n: int, journal: bool) -> None:
                said = "replay keys in the journal" if journal else "replay keys in memory only"
                path = f"/{'j' if journal else 'm'}{n}"
                body = urllib.parse.urlencode({
                    "token": "x", "team_id": "T1", "channel_id": "C1", "user_id": READER, "command": "/sli",
                    "text": "status 7", "api_app_id": "A1", "response_url": answers.base + path,
                    "trigger_id": f"1.2.{n}"}).encode()
                start = time.perf_counter()
                status, acked = post(bots[journal].server_port, EVENTS_PATH, body, sign(SECRET, body))
                assert status == 200, status
                arrived = answers.wait(path)
                if n >= 0:  # n < 0: the first answer, which reads the workbook (later ones hit the cache)
                    samples.setdefault(f"/sli status 7 acked (HTTP 200 read), {said}", []).append(
                        (acked - start) * 1000)
                    samples.setdefault(f"/sli status 7 answered (ack read, answer at response_url), {said}",
                                       []).append((max(acked, arrived) - start) * 1000)

            answer(-1, True)
            answer(-2, False)
            for n in range(args.runs):  # interleaved: each round one of each, so load hits all lines alike
                floor()
                answer(n, True)
                answer(n, False)
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
        answers.close()
        shutil.rmtree(folder, ignore_errors=True)

    lines = list(samples.items())
    base = statistics.median(lines[0][1])
    print(f"{args.runs} requests a line, interleaved, a new connection each; ratio = p50 / the floor's p50")
    for name, values in lines:
        median = statistics.median(values)
        print(f"{name:<84} p50 {median:6.2f} ms  p95 {p(values, 0.95):6.2f} ms  {median / base:5.1f}x")


if __name__ == "__main__":
    main()
