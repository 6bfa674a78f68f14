"""Builds the Slack app (`create_app`), not at import time, and runs it in Socket Mode or over HTTP."""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from bot import assurance_blocks, listeners
from bot.assurance_news import AssuranceNews, Channel
from bot.notifier import Notifier
from bot.writer import UpdateWriter
from shared import usecases
from shared.domain.access import entra_object_id
from shared.settings import Settings
from shared.usecases import Context, replay_keys_since

#: Threads running listeners. Listeners only read and journal (writes go to the one writer thread,
#: bot/writer.py), but a journal write may wait up to 2 s for a lock: with Bolt's default of 5 threads
#: a burst of partners would not even be acked within Slack's 3 s. Idle threads cost next to nothing.
LISTENER_THREADS = 32
#: Bolt refuses a request whose timestamp is more than this many seconds from now, either way.
SIGNATURE_WINDOW_SECONDS = 300
#: How long a retried event's ID is remembered (Slack retries an event three times within the hour).
EVENT_WINDOW_SECONDS = 3600
#: How a signature is named among the journal's replay keys.
SIGNATURE_KEY = "signature:"


def make_client(settings: Settings) -> WebClient:
    """The Web API client, retrying on rate limits (slack-sdk retries only connection errors by default)."""
    return WebClient(token=settings.bot_token, base_url=settings.api_url,
                     retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=2),
                                     RateLimitErrorRetryHandler(max_retry_count=3)])


def _once_per_event(guard: ReplayGuard) -> Callable:
    """A retried event (`X-Slack-Retry-Num`, same `event_id`), over HTTP or Socket Mode, is acted on once:
    remembered in memory for `EVENT_WINDOW_SECONDS`, and kept in the journal with the update it carries."""
    def middleware(body: dict, context: dict, next: Callable) -> BoltResponse | None:  # noqa: A002 (Bolt's name)
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id:
            if not guard.first_time(f"event:{event_id}", str(time.time())):
                return BoltResponse(status=200, body="")
            context["replay_keys"] = [*context.get("replay_keys", ()), f"event:{event_id}"]
        return next()
    return middleware


class ReplayGuard:
    """Remembers the keys of accepted requests (signatures; retried events' IDs) until Bolt would refuse them
    as stale anyway: a bounded window in memory, shared by all threads of the process.

    Bolt checks each request's signature and its five-minute window but accepts the same signed request
    twice within it: anyone who captured one (a proxy's log, say) could replay an update. A key is kept
    until its own timestamp plus the window, so the memory holds at most the requests of about ten minutes.
    The key of a request that carries an update is also kept in the journal, in the update's own commit
    (`record_request(replay_keys=...)`, no write of its own per request), and a guard made at start-up is
    given the keys kept within their window (`known`): a restarted bot still refuses a replayed update. A
    replayed question after a restart is answered again: it changes nothing.
    """

    def __init__(self, window: float = SIGNATURE_WINDOW_SECONDS, clock: Callable[[], float] = time.time,
                 known: Iterable[tuple[str, float]] = ()):
        self.window = window
        self._clock = clock
        self._lock = threading.Lock()
        self._expiry: dict[str, float] = {}
        self._heap: list[tuple[float, str]] = []
        now = clock()
        for key, until in known:  # (key, the moment it may be forgotten)
            if until >= now and key not in self._expiry:
                self._expiry[key] = until
                heapq.heappush(self._heap, (until, key))

    def __len__(self) -> int:
        with self._lock:
            return len(self._expiry)

    def first_time(self, signature: str, timestamp: str) -> bool:
        """True the first time this key is offered within its window; call only once it is verified."""
        now = self._clock()
        try:
            until = max(now, float(timestamp)) + self.window + 1
        except ValueError:
            until = now + 2 * self.window + 1
        with self._lock:
            while self._heap and self._heap[0][0] < now:
                self._expiry.pop(heapq.heappop(self._heap)[1], None)
            if signature in self._expiry:
                return False
            self._expiry[signature] = until
            heapq.heappush(self._heap, (until, signature))
        return True


def _known_keys(store: Context, prefix: str, keep: float) -> list[tuple[str, float]]:
    """The journal's keys of `prefix` seen within the last `keep` seconds (kept with the updates they carried),
    without the prefix, each with the moment it may be forgotten."""
    since = datetime.now(UTC) - timedelta(seconds=keep)
    return [(key.removeprefix(prefix) if prefix == SIGNATURE_KEY else key, seen.timestamp() + keep)
            for key, seen in replay_keys_since(store, since) if key.startswith(prefix)]


def _refuse_replays(guard: ReplayGuard) -> Callable:
    """A signed request seen before is answered 401 and runs nothing. Added after Bolt's own signature
    check, so only verified signatures are remembered (a forger cannot fill the memory or block anyone);
    requests without a signature (Socket Mode) pass. The key goes on in the context (`replay_keys`) for a
    listener that records an update to keep with it."""
    def middleware(request: BoltRequest, next: Callable) -> BoltResponse | None:  # noqa: A002 (Bolt's name)
        signature = (request.headers.get("x-slack-signature") or [""])[0]
        timestamp = (request.headers.get("x-slack-request-timestamp") or [""])[0]
        if signature:
            if not guard.first_time(signature, timestamp):
                return BoltResponse(status=401, body="This request was already received (a replay); it was ignored.")
            request.context["replay_keys"] = [*request.context.get("replay_keys", ()), SIGNATURE_KEY + signature]
        return next()
    return middleware


def create_app(settings: Settings, client: WebClient | None = None, *,
               listener_threads: int = LISTENER_THREADS, replays_across_processes: bool = True,
               writer: UpdateWriter | None = None, ctx: Context | None = None) -> App:
    """The Bolt app with every listener; `client` lets tests point it at a local stand-in for Slack.

    `listener_threads`: see LISTENER_THREADS. `replays_across_processes`: start with the keys the journal
    kept with the updates of the last minutes (see `ReplayGuard`), so a replayed update is refused after a
    restart too, and by another process (the journal refuses a key it keeps); the in-memory check always
    applies. `writer`: the process's one
    writer thread, shared with the notifier (`run`); one of its own otherwise. `ctx`: the use cases' context
    (`usecases.context(settings)` unless given: tests give an in-memory workbook and a fixed clock).
    """
    store = ctx or usecases.context(settings)
    app = App(client=client or make_client(settings), signing_secret=settings.signing_secret or None,
              request_verification_enabled=bool(settings.signing_secret), logger=logging.getLogger("sli.bot"),
              # Answer as soon as the listener acks, not at Bolt's next 10 ms poll (bot/listeners/acking.py)
              process_before_response=True,
              listener_executor=ThreadPoolExecutor(max_workers=listener_threads, thread_name_prefix="sli-listener"))
    writer = writer or UpdateWriter(store)
    if settings.signing_secret:
        window = 2 * SIGNATURE_WINDOW_SECONDS + 1  # a signature may be timestamped up to the window ahead
        known = _known_keys(store, SIGNATURE_KEY, window) if replays_across_processes else []
        app.use(_refuse_replays(ReplayGuard(known=known)))

    def attach_store(context: dict, next: Callable) -> None:  # noqa: A002
        context["store"] = store
        context["writer"] = writer
        next()

    app.use(attach_store)
    events = _known_keys(store, "event:", EVENT_WINDOW_SECONDS) if replays_across_processes else []
    app.use(_once_per_event(ReplayGuard(window=EVENT_WINDOW_SECONDS, known=events)))
    listeners.register(app)
    writer.listen(assurance_news(store, app.client).after_write)
    return app


def slack_channel(client: WebClient) -> Channel:
    """Slack's side of the assurance news: a Leads row by its Slack user ID, a DM (a user ID is a channel)."""
    def send(user_id: str, reply: object) -> bool:
        client.chat_postMessage(channel=user_id, **assurance_blocks.render(reply))
        return True
    return Channel("slack", lambda lead: lead.slack_user_id, lambda identity: entra_object_id(identity) is None,
                   send)


def assurance_news(store: Context, client: WebClient) -> AssuranceNews:
    """Who is told about claims and sendings back in Slack (bot/assurance_news.py)."""
    return AssuranceNews(store, slack_channel(client))


def start_background(app: App, settings: Settings, writer: UpdateWriter, ctx: Context | None = None) -> list:
    """Apply journalled updates at start-up and keep applying them as soon as Excel lets go, telling
    senders; post the monthly summary and reminders when due (catching up once after downtime).

    Returns at once: what waited while the bot was down is the first job of the writer thread, and the
    catch-up (a summary due) runs on the scheduler's thread after it, so requests are answered from the
    moment the bot listens (before, 300 waiting updates and a summary held the first answer for seconds)."""
    from bot.scheduler import MonthlyJobs
    from shared.usecases.reporting import heavy_work_in_workers

    heavy_work_in_workers()  # the summary's pandas and matplotlib never grow this process (shared/worker.py)
    ctx = ctx or usecases.context(settings)
    notifier = Notifier(ctx, app.client, settings.poll_seconds, writer=writer, news=assurance_news(ctx, app.client))
    waited = notifier.catch_up()
    notifier.start()
    monthly = MonthlyJobs(ctx, app.client, settings.summary_channel)
    monthly.start(after=waited)
    return [notifier, monthly]


def run(settings: Settings, http: bool = False, port: int = 3000, host: str = "0.0.0.0") -> None:
    """Socket Mode when an app token is set (no public URL needed), else HTTP on `/slack/events` (uvicorn,
    see bot/http_server.py; Ctrl-C or SIGTERM stops it after answering the requests in flight)."""
    socket_mode = bool(settings.app_token) and not http
    if not socket_mode and not settings.signing_secret:
        raise ValueError("HTTP mode needs SLACK_SIGNING_SECRET: without it anyone could send the bot updates.")
    from bot.scheduler import MonthlyJobs  # noqa: F401 - its imports before the bind (pandas and matplotlib are not)

    ctx = usecases.context(settings)
    writer = UpdateWriter(ctx)
    app = create_app(settings, writer=writer, ctx=ctx)
    server = None
    if not socket_mode:
        from bot.http_server import serve

        try:  # bind first: a port in use fails with a sentence before anything starts
            server = serve(app, host=host, port=port)
        except OSError as exc:
            raise ValueError(str(exc.strerror or exc)) from exc
    jobs = start_background(app, settings, writer, ctx)
    try:
        if server is None:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            SocketModeHandler(app, settings.app_token).start()
        else:
            print(f"SLI bot listening on http://{host}:{server.server_port}/slack/events", flush=True)
            server.serve_forever()
    finally:
        if server is not None:
            server.server_close()
        for job in jobs:
            job.stop()
