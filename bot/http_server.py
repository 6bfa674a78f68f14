"""Serves the Bolt app over HTTP on `/slack/events` with uvicorn, through Bolt's Starlette adapter.

Why not the standard library's `http.server`: it listens with a backlog of 5, and 20 simultaneous
connections had about 13% of requests reset. uvicorn accepts on an event loop with a deep backlog.

Bolt's adapter calls the synchronous `App.dispatch` on the event loop, and dispatch waits until the
listener acks (bot/listeners/acking.py): one slow ack would stall every other connection. So the
endpoint here uses the adapter's request/response conversion but runs `dispatch` in a worker thread.

Before Bolt sees a request, requests Slack never sends get a sentence and nothing runs:
no `X-Slack-Signature` or `X-Slack-Request-Timestamp` -> 401; a timestamp that is not a number -> 401
(Bolt would fail with a 500); a body that is not UTF-8 -> 400 (Bolt would drop the connection); a
body over `MAX_BODY` -> 413. Bolt then checks the signature and the five-minute window (401), and the
app refuses a replayed signature (401, see `bot.app.ReplayGuard`).
"""

from __future__ import annotations

import contextlib
import re
import signal
import socket
import threading
import time
from collections.abc import Iterator, Mapping

import anyio
import uvicorn
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

EVENTS_PATH = "/slack/events"

#: Pending connections the kernel queues before uvicorn accepts them (capped by net.core.somaxconn).
#: A burst of Slack deliveries plus retries is far below this; the old server's 5 is what reset them.
BACKLOG = 1024
#: Connections plus in-flight requests before uvicorn answers 503 instead of taking more work. Far above
#: what Slack sends one workspace's bot (tens at once at worst), low enough that a flood cannot start
#: thousands of threads or exhaust file descriptors.
LIMIT_CONCURRENCY = 512
#: Seconds an idle keep-alive connection stays open. Longer than the 60 s idle timeout of common reverse
#: proxies and load balancers in front of the bot, so the proxy, not uvicorn, closes idle connections
#: (otherwise a proxy can send a request on a connection uvicorn is closing, and Slack sees a reset).
KEEP_ALIVE_SECONDS = 75
#: Seconds a stop waits for requests in flight (acks take milliseconds; listeners run in Bolt's executor).
GRACEFUL_SHUTDOWN_SECONDS = 5
#: Threads running `App.dispatch` at once. Each waits for its listener's ack (Slack allows 3 s), so this
#: bounds requests being acked at once, not work; requests beyond it wait for a thread, they are not lost.
DISPATCH_THREADS = 64
#: Largest body accepted. Slack's largest payloads (a modal's view_submission) are tens of KB.
MAX_BODY = 1024 * 1024

_TIMESTAMP = re.compile(r"[0-9]{1,15}")


def header_problem(headers: Mapping[str, str]) -> str | None:
    """Why a request cannot be a signed Slack request (a sentence), or None; `headers` has lower-case keys
    (Starlette's are case-insensitive). Checked before Bolt, which fails with a 500 on a non-numeric timestamp."""
    signature = headers.get("x-slack-signature")
    timestamp = headers.get("x-slack-request-timestamp")
    if not signature:
        return "The request is not signed: the X-Slack-Signature header is missing."
    if not timestamp:
        return "The request has no X-Slack-Request-Timestamp header."
    if not _TIMESTAMP.fullmatch(timestamp.strip()):
        return "X-Slack-Request-Timestamp must be a whole number of seconds since 1970."
    return None


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it is longer than `limit` (read no further)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def create_asgi_app(app: App, path: str = EVENTS_PATH, max_body: int = MAX_BODY,
                    dispatch_threads: int = DISPATCH_THREADS) -> Starlette:
    """The ASGI application: one POST route at `path` that hands well-formed requests to Bolt."""
    limiter = anyio.CapacityLimiter(dispatch_threads)

    async def events(request: Request) -> Response:
        problem = header_problem(request.headers)
        if problem:
            return PlainTextResponse(problem, status_code=401)
        body = await _read_body(request, max_body)
        if body is None:
            return PlainTextResponse(f"The request body is over {max_body:,} bytes.", status_code=413)
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return PlainTextResponse("The request body is not UTF-8 text.", status_code=400)
        bolt_response = await anyio.to_thread.run_sync(app.dispatch, to_bolt_request(request, body),
                                                       limiter=limiter)
        return to_starlette_response(bolt_response)

    return Starlette(routes=[Route(path, events, methods=["POST"])])


def _bind(host: str, port: int) -> socket.socket:
    """A listening socket, so the port is known (and connections queue) before uvicorn starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise OSError(exc.errno, f"Cannot listen on {host}:{port}: {exc.strerror}.") from exc
    sock.listen(BACKLOG)
    sock.set_inheritable(True)
    return sock


class _Server(uvicorn.Server):
    """uvicorn's server, except that SIGINT/SIGTERM end `serve_forever` normally instead of being raised
    again after the graceful stop (uvicorn's default), which would kill the process before `run()`
    stops the notifier and the scheduler. A service manager's SIGTERM is how the bot is meant to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


class BotServer:
    """uvicorn serving one Bolt app, on a socket bound when this is made.

    The settings, and why (the constants above say more):
    - one worker process: the app holds state a second process would not share (the replay memory,
      Bolt's listener threads, the notifier and the monthly scheduler, read caches), and writes to the
      workbook serialise on its file lock anyway, so more processes would not make updates faster;
    - backlog 1024 (the old server's 5 reset connections under a burst);
    - limit_concurrency 512: a flood gets 503s instead of unbounded threads and sockets;
    - keep-alive 75 s, above a fronting proxy's usual 60 s idle timeout;
    - a 5 s graceful stop, so SIGTERM answers requests in flight; no access log (one path, all POSTs).
    The shape follows `http.server`: `server_port`, `serve_forever()`, `shutdown()` (from another
    thread; returns once serving stopped), `server_close()`.
    """

    def __init__(self, app: App, host: str = "127.0.0.1", port: int = 0, path: str = EVENTS_PATH):
        self.config = uvicorn.Config(
            create_asgi_app(app, path), host=host, port=port, workers=1, backlog=BACKLOG,
            limit_concurrency=LIMIT_CONCURRENCY, timeout_keep_alive=KEEP_ALIVE_SECONDS,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
            lifespan="off",          # the Starlette app has no start-up or shutdown hooks
            access_log=False,        # every request is a POST to one path; errors are still logged
            log_level="warning", server_header=False)
        self.socket = _bind(host, port)
        self.server_address = self.socket.getsockname()[:2]
        self._server = _Server(self.config)
        self._stopped = threading.Event()
        self._stopped.set()

    @property
    def server_port(self) -> int:
        return int(self.server_address[1])

    @property
    def started(self) -> bool:
        return bool(self._server.started)

    def serve_forever(self) -> None:
        """Serve until `shutdown()` (or, in the main thread, SIGINT/SIGTERM: uvicorn stops gracefully)."""
        self._stopped.clear()
        try:
            self._server.run(sockets=[self.socket])
        finally:
            self._stopped.set()

    def shutdown(self, timeout: float = GRACEFUL_SHUTDOWN_SECONDS + 5) -> None:
        """Stop serving and wait until requests in flight are answered (like `http.server`'s)."""
        self._server.should_exit = True
        self._stopped.wait(timeout)

    def server_close(self) -> None:
        self.socket.close()


def serve(app: App, host: str = "127.0.0.1", port: int = 0, path: str = EVENTS_PATH) -> BotServer:
    """A server bound to (host, port), not yet serving: call `serve_forever()` (or use `serve_in_thread`)."""
    return BotServer(app, host, port, path)


def serve_in_thread(app: App, host: str = "127.0.0.1", port: int = 0, path: str = EVENTS_PATH,
                    timeout: float = 10.0) -> BotServer:
    """Serve in a daemon thread and return once uvicorn accepts requests (tests, `sli run`)."""
    server = serve(app, host, port, path)
    thread = threading.Thread(target=server.serve_forever, name="sli-http", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.server_close()
            raise RuntimeError(f"The bot's HTTP server did not start on {host}:{server.server_port}.")
        time.sleep(0.01)
    return server
