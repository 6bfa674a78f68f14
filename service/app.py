"""The one ASGI app of `sli serve`: each front end its settings enable, built by its own builder, mounted on
one Starlette app with `/healthz` and `/readyz`, every request logged in one line.

Which front ends, decided once from the settings (`plan`), each refusal one sentence:
- Slack, when SLACK_BOT_TOKEN is set: over HTTP at `/slack/events` when the service has a public address
  (SLI_PUBLIC_URL; needs SLACK_SIGNING_SECRET), else by Socket Mode (SLACK_APP_TOKEN) from inside the
  council's network. Bolt checks every signature and `bot.app` refuses replays, as in `sli bot --http`.
- Teams, when its Entra registration is set (SLI_TEAMS_*): `/api/messages`, every request's token checked
  by the SDK (its FastAPI middleware, the same check as `sli teams`' aiohttp one).
- The add-in, when its Entra sign-in is set (XLWINGS_AUTH_PROVIDERS): the task pane, manifest and scripts,
  behind its own path guard; the manifest's base is SLI_ADDIN_PUBLIC_URL, else SLI_PUBLIC_URL.
- `--local` (a trial on this machine): 127.0.0.1 only, all three; Teams anonymous and answering only a
  connector on 127.0.0.1, the add-in without sign-in, as `sli teams --local` and `sli addin --local`.

One writer thread serves both chats (bot/writer.py), so the process writes the workbook from one thread.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from service.health import Health, SlackCheck, graph_check
from service.logs import RequestLog
from shared.settings import Settings
from shared.usecases import WorkbookError, appendix, context

log = logging.getLogger("sli.serve")

SLACK_PATH = "/slack/events"
TEAMS_PATH = "/api/messages"
#: How long a stop waits for the write in progress once requests are answered (README, "For IT").
WRITER_STOP_SECONDS = 3.0


class ServeConfigError(ValueError):
    """`sli serve` cannot start with these settings: one sentence saying what to set."""


@dataclass(frozen=True)
class Plan:
    """What this process serves, decided from the settings before anything is built."""

    local: bool
    slack: str | None = None          # "http", "socket" or None
    teams: bool = False
    addin: bool = False
    addin_public_url: str | None = None
    not_configured: tuple[str, ...] = field(default_factory=tuple)

    def front_ends(self) -> list[str]:
        return ([f"slack ({'Socket Mode' if self.slack == 'socket' else SLACK_PATH})"] if self.slack else []) \
            + ([f"teams ({TEAMS_PATH})"] if self.teams else []) + (["addin (/taskpane)"] if self.addin else [])


def plan(settings: Settings, local: bool) -> Plan:
    """The front ends to serve, or ServeConfigError with one sentence."""
    slack = None
    if settings.bot_token:
        if (local or settings.public_url) and settings.signing_secret:
            slack = "http"
        elif settings.public_url:
            raise ServeConfigError("Slack over HTTP (SLI_PUBLIC_URL is set) needs SLACK_SIGNING_SECRET: without it "
                                   "anyone could send the bot updates.")
        elif settings.app_token:
            slack = "socket"
        else:
            raise ServeConfigError("Slack needs a way in: SLACK_APP_TOKEN for Socket Mode (no public address "
                                   "needed), or SLI_PUBLIC_URL (the https address Slack posts to) with "
                                   "SLACK_SIGNING_SECRET.")
    registration = settings.teams
    teams = local or any((registration.client_id, registration.tenant_id, registration.client_secret,
                          registration.certificate))
    if teams and not local and registration.missing():
        raise ServeConfigError("Teams needs the bot's Microsoft Entra app registration: set "
                               + ", ".join(registration.missing()) + " (README, 'Teams'), or use sli serve --local "
                               "for a trial on this machine.")
    addin = local or bool(settings.xlwings.auth_providers)
    addin_url = None
    if addin and not local:
        from excel.server import provider_problem  # the add-in's own rule; xlwings is not imported here

        problem = provider_problem(list(settings.xlwings.auth_providers or ()))
        if problem:
            raise ServeConfigError(problem)
        addin_url = settings.addin_public_url or settings.public_url
        if not addin_url:
            raise ServeConfigError("The add-in needs the https address Excel reaches it at: set SLI_PUBLIC_URL "
                                   "(or SLI_ADDIN_PUBLIC_URL), such as https://sli.council.gov.uk.")
    if not (slack or teams or addin):
        raise ServeConfigError("Nothing to serve: set SLACK_BOT_TOKEN (Slack), SLI_TEAMS_CLIENT_ID and the rest of "
                               "the Teams registration, or XLWINGS_AUTH_PROVIDERS (the add-in's sign-in); or use "
                               "--local for a trial on this machine (README, 'For IT').")
    unused = ["slack"] if not slack else []
    unused += (["teams"] if not teams else []) + (["addin"] if not addin else []) + ["graph"]
    return Plan(local, slack, teams, addin, addin_url, tuple(unused))


class Service:
    """The built service: `asgi` to serve, and what its lifespan starts and stops."""

    def __init__(self, settings: Settings, plan: Plan, port: int):
        self.settings, self.plan = settings, plan
        #: The use cases' context, one for the process: the workbook file's units of work and the clock.
        self.ctx = context(settings)
        self.store = self.ctx.store
        self.certfile = self.keyfile = None
        self._jobs: list = []
        self._socket_mode = None
        routes: list = []
        addin_app = self._build_addin(port) if plan.addin else None  # first: xlwings reads its settings at import
        from bot.writer import UpdateWriter

        self.writer = UpdateWriter(self.ctx)
        self.slack_app = self.teams = None
        checks: dict[str, Callable[[], str | None]] = {}
        if plan.slack:
            from bot.app import create_app
            from bot.http_server import create_asgi_app

            self.slack_app = create_app(settings, writer=self.writer, ctx=self.ctx)
            checks["slack"] = SlackCheck(settings)
            if plan.slack == "http":
                routes.append(Route(SLACK_PATH, create_asgi_app(self.slack_app, SLACK_PATH)))
        if plan.teams:
            routes.append(Route(TEAMS_PATH, self._build_teams()))
        graph = graph_check(settings)
        if graph is not None:
            checks["graph"] = graph
        self.health = Health(self.ctx, checks, plan.front_ends(), list(plan.not_configured))
        routes[:0] = [Route("/healthz", self.health.healthz, methods=["GET", "HEAD"]),
                      Route("/readyz", self.health.readyz, methods=["GET", "HEAD"])]
        if addin_app is not None:
            routes.append(Mount("", app=addin_app))  # last: everything else is the add-in's (its own 404s)
        app = Starlette(routes=routes, lifespan=self._lifespan)
        app.router.redirect_slashes = False  # a redirect would be built from the Host header
        self.asgi = RequestLog(app, self.front_end)

    def front_end(self, path: str) -> str:
        if path in ("/healthz", "/readyz"):
            return "health"
        if path == SLACK_PATH and self.plan.slack == "http":
            return "slack"
        if path == TEAMS_PATH and self.plan.teams:
            return "teams"
        return "addin" if self.plan.addin else "none"

    def _build_addin(self, port: int):
        from excel.server import AddinConfigError, prepare

        try:
            prepared = prepare(port, local=self.plan.local, served=self.settings,
                               public_url=None if self.plan.local else self.plan.addin_public_url)
        except AddinConfigError as exc:
            raise ServeConfigError(str(exc)) from None
        self.certfile, self.keyfile = prepared.certfile, prepared.keyfile
        return prepared.app

    def _build_teams(self):
        from microsoft_agents.hosting.fastapi import CloudAdapter, JwtAuthorizationMiddleware, start_agent_process
        from starlette.middleware import Middleware

        from bot.teams.app import RegistrationMissing, TeamsBot

        try:
            bot = TeamsBot(self.settings, local=self.plan.local, ctx=self.ctx, adapter_class=CloudAdapter,
                           writer=self.writer)
        except RegistrationMissing as exc:
            raise ServeConfigError(str(exc).replace("sli teams --local", "sli serve --local")) from None
        self.teams = bot

        async def messages(request: Request) -> Response:
            if bot.local:
                try:
                    activity = await request.json()
                except ValueError:
                    activity = None
                problem = bot.local_refusal(activity)
                if problem:
                    return JSONResponse({"error": problem}, status_code=403)
            return await start_agent_process(request, bot.app, bot.adapter)

        # The SDK's middleware reads the configuration from the app in the request's scope: this sub-app's.
        teams_app = Starlette(routes=[Route(TEAMS_PATH, messages, methods=["POST"])],
                              middleware=[Middleware(JwtAuthorizationMiddleware)])
        teams_app.state.agent_configuration = bot.web["agent_configuration"]
        return teams_app

    # --- start and stop ---------------------------------------------------------------------------

    def _lifespan(self, app: Starlette):
        service = self

        class Lifespan:
            async def __aenter__(self) -> None:
                await service.started()

            async def __aexit__(self, *exc: object) -> None:
                await asyncio.to_thread(service.stop)

        return Lifespan()

    async def started(self) -> None:
        """Once the port is about to accept: queue what waited while the service was down on the writer
        thread, start the notifiers, the monthly jobs and Socket Mode. Nothing here holds a request."""
        try:
            appendix(self.ctx)
        except WorkbookError as exc:  # served anyway: /readyz says why, and IT sees it there and here
            log.warning("The workbook cannot be read now: %s", exc)
        if self.teams is not None:
            self.teams.messenger.loop = asyncio.get_running_loop()
        await asyncio.to_thread(self._start_jobs)

    def _start_jobs(self) -> None:
        if self.slack_app is not None:
            from bot.app import start_background

            self._jobs.extend(start_background(self.slack_app, self.settings, self.writer, self.ctx))
            if self.plan.slack == "socket":
                from slack_bolt.adapter.socket_mode import SocketModeHandler

                self._socket_mode = SocketModeHandler(self.slack_app, self.settings.app_token)
                self._socket_mode.connect()
        if self.teams is not None:
            self._jobs.extend(self.teams.start_background())

    def stop(self) -> bool:
        """After the last request was answered: stop taking Socket Mode envelopes and scheduled work, let
        the writer finish the update it is writing (its sender is told) and leave the queued ones journalled
        for the next start. True when the writer finished within WRITER_STOP_SECONDS."""
        if self._socket_mode is not None:
            try:
                self._socket_mode.close()
            except Exception:  # noqa: BLE001 - stopping goes on whatever the socket says
                log.warning("Socket Mode did not close cleanly", exc_info=True)
        for job in self._jobs:
            job.stop()
        finished = self.writer.stop(WRITER_STOP_SECONDS)
        if not finished:
            log.warning("The update being written did not finish within %.0f s; the next start settles it "
                        "from the Change log.", WRITER_STOP_SECONDS)
        self.writer_finished = finished
        return finished
