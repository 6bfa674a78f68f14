"""Builds the Slack app (`create_app`), not at import time, and runs it in Socket Mode or over HTTP."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from bot import listeners
from bot.notifier import Notifier
from bot.writer import UpdateWriter
from shared.updates import DEFAULT_WORKBOOK, Store

SLACK_API_URL = "https://slack.com/api/"
LISTENER_THREADS = 32


@dataclass(frozen=True)
class Settings:
    """What the bot needs, from the environment by default (`Settings.from_env`)."""

    bot_token: str = ""
    signing_secret: str = ""
    app_token: str = ""
    api_url: str = SLACK_API_URL
    workbook: Path = DEFAULT_WORKBOOK
    journal: Path | None = None
    summary_channel: str = ""
    poll_seconds: float = 10.0

    @classmethod
    def from_env(cls, workbook: Path | None = None) -> Settings:
        env = os.environ
        api_url = env.get("SLACK_API_URL") or SLACK_API_URL
        return cls(bot_token=env.get("SLACK_BOT_TOKEN", ""), signing_secret=env.get("SLACK_SIGNING_SECRET", ""),
                   app_token=env.get("SLACK_APP_TOKEN", ""),
                   api_url=api_url if api_url.endswith("/") else api_url + "/",
                   workbook=Path(workbook or env.get("SLI_WORKBOOK") or DEFAULT_WORKBOOK),
                   journal=Path(env["SLI_JOURNAL"]) if env.get("SLI_JOURNAL") else None,
                   summary_channel=env.get("SLI_SUMMARY_CHANNEL", ""),
                   poll_seconds=float(env.get("SLI_POLL_SECONDS", "10")))

    def store(self) -> Store:
        return Store.for_workbook(self.workbook, journal=self.journal)


def make_client(settings: Settings) -> WebClient:
    """The Web API client, retrying on rate limits (slack-sdk retries only connection errors by default)."""
    return WebClient(token=settings.bot_token, base_url=settings.api_url,
                     retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=2),
                                     RateLimitErrorRetryHandler(max_retry_count=3)])


def _once_per_event(store: Store) -> Callable:
    """A retried event (`X-Slack-Retry-Num`, same `event_id`), over HTTP or Socket Mode, is acted on once."""
    def middleware(body: dict, next: Callable) -> BoltResponse | None:  # noqa: A002 (Bolt's name)
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not store.journal().first_time(f"event:{event_id}"):
            return BoltResponse(status=200, body="")
        return next()
    return middleware


def create_app(settings: Settings, client: WebClient | None = None) -> App:
    """The Bolt app with every listener; `client` lets tests point it at a local stand-in for Slack."""
    store = settings.store()
    # Listeners only read and journal (writes go to the one writer thread), so a pool of this size answers
    # a burst of partners at once; Bolt's default of 5 let five slow requests hold up every answer.
    app = App(client=client or make_client(settings), signing_secret=settings.signing_secret or None,
              request_verification_enabled=bool(settings.signing_secret), logger=logging.getLogger("sli.bot"),
              listener_executor=ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="sli-listener"))
    writer = UpdateWriter(store)

    def attach_store(context: dict, next: Callable) -> None:  # noqa: A002
        context["store"] = store
        context["writer"] = writer
        next()

    app.use(attach_store)
    app.use(_once_per_event(store))
    listeners.register(app)
    return app


def start_background(app: App, settings: Settings) -> list:
    """Apply journalled updates at start-up and keep applying them as soon as Excel lets go, telling
    senders; post the monthly summary and reminders when due (catching up once after downtime)."""
    from bot.scheduler import MonthlyJobs

    notifier = Notifier(settings.store(), app.client, settings.poll_seconds)
    notifier.run_once()
    notifier.start()
    monthly = MonthlyJobs(settings.store(), app.client, settings.summary_channel)
    monthly.start()
    return [notifier, monthly]


def run(settings: Settings, http: bool = False, port: int = 3000, host: str = "0.0.0.0") -> None:
    """Socket Mode when an app token is set (no public URL needed), else HTTP on `/slack/events`."""
    app = create_app(settings)
    jobs = start_background(app, settings)
    try:
        if settings.app_token and not http:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            SocketModeHandler(app, settings.app_token).start()
        else:
            from bot.http_server import serve

            server = serve(app, host=host, port=port)
            print(f"SLI bot listening on http://{host}:{server.server_port}/slack/events")
            server.serve_forever()
    finally:
        for job in jobs:
            job.stop()
