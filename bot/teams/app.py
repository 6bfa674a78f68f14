"""`sli teams`: the Teams bot on the Microsoft 365 Agents SDK, at `/api/messages` (aiohttp).

Why this SDK: it is Microsoft's supported way to build a Teams bot in Python and runs on our Python 3.11
(`microsoft-agents-hosting-core`/`-aiohttp` 1.9); the Teams SDK v2 (`microsoft-teams-apps`) and
`microsoft-agents-hosting-teams` 1.x need 3.12. Nothing here uses Teams-only SDK extensions.

Two ways to run, the same rule as `sli addin`:
- registered (the default): needs the Entra app registration of the bot (client id, a secret or a
  certificate, the tenant id); Microsoft's tokens on every request are checked by the SDK and the
  bot's own posts are signed with the registration's token. Without them it refuses to start.
- `--local`: for trials and tests, anonymous, listening on 127.0.0.1 only, and it only talks to a
  connector on 127.0.0.1 (the Agents Playground, or the tests' stand-in).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import warnings
from datetime import date
from urllib.parse import urlsplit

from aiohttp import web
from microsoft_agents.activity import load_configuration_from_env
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.aiohttp import CloudAdapter, jwt_authorization_middleware, start_agent_process
from microsoft_agents.hosting.core import AgentApplication, MemoryStorage, TurnContext, TurnState

from bot.assurance_news import AssuranceNews
from bot.notifier import Notifier
from bot.scheduler import REMINDER_TEAMS, SUMMARY_TEAMS
from bot.teams import cards
from bot.teams.assurance import assurance_news
from bot.teams.handlers import TEAM, TeamsHandlers
from bot.teams.messenger import Messenger
from bot.writer import UpdateWriter
from shared import usecases
from shared.domain.access import entra_identity, entra_object_id
from shared.settings import Settings, TeamsSettings
from shared.usecases import Context, UpdateResult, replies, tell_senders
from shared.usecases import reporting as sm

log = logging.getLogger("sli.teams")
ROUTE = "/api/messages"
DEFAULT_PORT = 3978
LOOPBACK = "127.0.0.1"


def sdk_configuration(teams: TeamsSettings, local: bool) -> dict:
    """The SDK's configuration for this registration (its `CONNECTIONS__SERVICE_CONNECTION__SETTINGS__*` shape,
    given to `load_configuration_from_env` as a dict, not read from the environment)."""
    prefix = "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__"
    if local:
        return load_configuration_from_env({prefix + "ANONYMOUS_ALLOWED": "true"})
    settings = {"CLIENTID": teams.client_id, "TENANTID": teams.tenant_id, "ANONYMOUS_ALLOWED": "false"}
    if teams.certificate:
        settings.update(AUTHTYPE="certificate", CERTPFXFILE=teams.certificate)
    else:
        settings.update(AUTHTYPE="ClientSecret", CLIENTSECRET=teams.client_secret)
    return load_configuration_from_env({prefix + key: value for key, value in settings.items()})


class RegistrationMissing(ValueError):
    """`sli teams` without an app registration and without `--local`."""


class TeamsBot:
    """The SDK app, its adapter and aiohttp application, with the store, writer and messenger it uses; the
    app registration is `settings.teams`."""

    def __init__(self, settings: Settings, *, local: bool = False, ctx: Context | None = None,
                 adapter_class: type = CloudAdapter, writer: UpdateWriter | None = None):
        """`adapter_class`: the SDK's CloudAdapter for the web framework serving `/api/messages` (aiohttp's
        for `sli teams`; `sli serve` passes FastAPI's, whose `process` takes a Starlette request). `writer`:
        the process's one writer thread when Slack's bot shares the process (`sli serve`)."""
        registration = settings.teams
        if not local and registration.missing():
            raise RegistrationMissing(
                "sli teams needs the bot's Microsoft Entra app registration: set " + ", ".join(registration.missing())
                + " (see README, 'Teams'), or run `sli teams --local` for a trial on this machine.")
        self.settings, self.local = settings, local
        #: The use cases' context (`usecases.context(settings)` unless given: tests give an in-memory one).
        self.store: Context = ctx or usecases.context(settings)
        sdk = sdk_configuration(registration, local)
        connections = MsalConnectionManager(**sdk)
        self.adapter = adapter_class(connection_manager=connections)
        self.adapter.on_turn_error = _on_turn_error
        self.app = AgentApplication[TurnState](storage=MemoryStorage(), connection_manager=connections,
                                               start_typing_timer=False, **sdk)
        self.writer = writer or UpdateWriter(self.store)
        self.messenger = Messenger(self.adapter, "" if local else registration.client_id)
        self.handlers = TeamsHandlers(self.store, self.writer, self.messenger)
        #: Who is told about claims and sendings back in Teams: after each write of this bot, and each pass.
        self.news = assurance_news(self.store, self.messenger)
        self.writer.listen(self.news.after_write)
        self.handlers.register(self.app)
        self.web = web.Application(middlewares=[jwt_authorization_middleware])
        with warnings.catch_warnings():  # the SDK's middleware reads these plain string keys
            warnings.simplefilter("ignore", web.NotAppKeyWarning)
            self.web["agent_configuration"] = connections.get_default_connection_configuration()
        self.web.router.add_post(ROUTE, self._messages)
        self.web.on_startup.append(self._started)

    def local_refusal(self, activity: object) -> str | None:
        """Why this activity is refused before the SDK sees it, or None. --local is anonymous: it answers only
        activities whose connector is on this machine, so the bot never posts anywhere else (the SDK's own
        validator accepts https hosts only). Registered, every activity is the SDK's to check (its token)."""
        if not self.local:
            return None
        service_url = activity.get("serviceUrl") if isinstance(activity, dict) else None
        if not _loopback(service_url):
            return "In --local mode the bot answers only a connector on 127.0.0.1 (serviceUrl)."
        return None

    async def _messages(self, request: web.Request) -> web.StreamResponse:
        if self.local:
            try:
                activity = await request.json()
            except ValueError:
                activity = None
            problem = self.local_refusal(activity)
            if problem:
                return web.json_response({"error": problem}, status=403)
        return await start_agent_process(request, self.app, self.adapter)

    async def _started(self, _app: web.Application) -> None:
        self.messenger.loop = asyncio.get_running_loop()

    def destination(self) -> TeamsDestination:
        return TeamsDestination(self.store, self.messenger)

    def start_background(self, poll_seconds: float | None = None, hour: int = 9) -> list:
        """Write what waited while the bot was down and tell its senders, then keep doing so; post the
        monthly summary and reminders when due. Returns at once: the writing is queued on the writer thread
        and the summary's catch-up on the scheduler (after that writing), so nothing here holds a request."""
        from bot.scheduler import MonthlyJobs

        sm.heavy_work_in_workers()  # the summary's pandas and matplotlib never grow this process
        notifier = TeamsNotifier(self.store, self.messenger, poll_seconds or self.settings.poll_seconds,
                                 writer=self.writer, news=assurance_news(self.store, self.messenger))
        waited = notifier.catch_up()
        notifier.start()
        monthly = MonthlyJobs(self.store, None, "", hour=hour, teams=self.destination())
        monthly.start(after=waited)
        return [notifier, monthly]


FAILED_TURN = "Something went wrong on my side and nothing was changed. Please try again in a minute."


async def _on_turn_error(context: TurnContext, error: Exception) -> None:
    """The SDK's default tells the person the exception's text (internal addresses, paths): log it, and
    say one plain sentence instead; a proactive post that failed says nothing (its caller is told)."""
    log.error("Teams turn failed: %s", error, exc_info=error)
    if context.activity is not None and context.activity.type == "message":
        try:
            await context.send_activity(FAILED_TURN)
        except Exception:  # noqa: BLE001 - the connector itself may be what failed
            log.warning("could not tell the sender that the turn failed", exc_info=True)


def _loopback(url: object) -> bool:
    """Whether `url` is an http(s) address on this machine (127.0.0.1, ::1, localhost)."""
    if not isinstance(url, str):
        return False
    parsed = urlsplit(url)
    return parsed.scheme in ("http", "https") and parsed.hostname in ("127.0.0.1", "::1", "localhost") \
        and not parsed.username


class TeamsDestination:
    """The Teams side of the monthly jobs (bot/scheduler.py's `ChatDestination`, as Slack's): the team's
    channel and leads' personal chats, laid out from the same replies as in Slack."""

    name = "Teams"
    summary_claim, reminder_claim, reminders_said = SUMMARY_TEAMS, REMINDER_TEAMS, "Teams reminder"

    def __init__(self, store: Context, messenger: Messenger):
        self.store, self.messenger = store, messenger

    def ready(self) -> bool:
        return True  # where to post is known once the app is installed in a team (see `post_summary`)

    def nowhere(self, key: str) -> str:
        return f"No Teams team to post the summary for {key} to: install the app in the partnership's team."

    def post_summary(self, figures: sm.MonthFigures, chart: bytes) -> dict | None:
        teams = usecases.conversations(self.store, TEAM)
        if not teams:
            return None
        key, reference = teams[0]  # the team the app was installed in most recently
        self.messenger.post(reference, cards.render(replies.summary_reply(figures), chart))
        return {"conversation": key}

    def follow_up(self, summary: sm.MonthSummary, posted: dict) -> str | None:
        return None  # the chart is inside the card

    def lead_key(self, reminder: sm.Reminder) -> str:
        return reminder.entra_object_id

    def remind(self, reminder: sm.Reminder, month_label: str) -> bool:
        reference = usecases.conversation(self.store, entra_identity(reminder.entra_object_id))
        if reference is None:
            return False  # Teams lets a bot write to a person only once they have a chat with it
        self.messenger.post(reference, cards.render(replies.reminder_of(reminder, month_label)))
        return True

    def remind_assurance(self, store: Context, today: date) -> int:
        return assurance_news(store, self.messenger).remind(today)


class TeamsNotifier(Notifier):
    """Applies journalled updates once the workbook is free and tells each Teams sender once, in their
    personal chat (the Slack bot's notifier tells Slack senders); passes run on the writer thread too."""

    job_id = "teams-apply-pending"

    def __init__(self, store: Context, messenger: Messenger, poll_seconds: float = 30.0,
                 writer: UpdateWriter | None = None, news: AssuranceNews | None = None):
        super().__init__(store, None, poll_seconds, writer, news)
        self.messenger = messenger

    def _send(self, identity: str, result: UpdateResult) -> None:
        reference = usecases.conversation(self.store, identity)
        if reference is None:
            raise LookupError(f"no personal chat with {identity} to tell them about {result.ref}")
        self.messenger.post(reference, cards.render(replies.result_reply(result)))

    def tell(self, write: bool = True) -> int:
        """One pass, here and now (see `Notifier.tell`). A Teams sender with no personal chat with the bot
        yet (they sent from a channel) is left untold until they have one, rather than marked told and
        never reached."""
        return tell_senders(self.store, self._send, accept=lambda to: entra_object_id(to) is not None
                            and usecases.conversation(self.store, to) is not None, write=write)


class Running:
    """A bot served on a background thread's event loop (tests, `sli run`): `url`, then `stop()`."""

    def __init__(self, bot: TeamsBot, host: str = LOOPBACK, port: int = 0):
        self.bot = bot
        self.loop = asyncio.new_event_loop()
        self.runner = web.AppRunner(bot.web, access_log=None)
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, host, port)
        self.loop.run_until_complete(site.start())
        self.port = self.runner.addresses[0][1]
        self.url = f"http://{host}:{self.port}{ROUTE}"
        self._thread = threading.Thread(target=self.loop.run_forever, name="sli-teams", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.bot.writer.shutdown()  # first: a write in progress still tells its sender
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


def run(settings: Settings, *, local: bool, host: str | None = None, port: int = DEFAULT_PORT) -> None:
    """Serve until Ctrl-C: `--local` on 127.0.0.1 only, whatever `host` says."""
    bot = TeamsBot(settings, local=local)
    host = LOOPBACK if local else (host or "0.0.0.0")
    jobs: list = []

    async def start_jobs(_app: web.Application) -> None:
        # Only queues the start-up work (what waited while the bot was down, a summary that is due): the
        # port is bound right after this, and messages are answered while that work goes on.
        jobs.extend(await asyncio.to_thread(bot.start_background))

    bot.web.on_startup.append(start_jobs)
    mode = "local trial, anonymous, 127.0.0.1 only" if local else f"app {settings.teams.client_id}"
    ready = f"SLI Teams bot ({mode}) listening on http://{host}:{port}{ROUTE}"
    try:  # run_app calls `print` once the port is bound: then the line is true
        web.run_app(bot.web, host=host, port=port, access_log=None, print=lambda _: print(ready, flush=True))
    finally:
        for job in jobs:
            job.stop()
        bot.writer.shutdown()
