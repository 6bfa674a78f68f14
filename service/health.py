"""`/healthz` and `/readyz`, for a load balancer, a container runtime and a monitor.

- `/healthz`: the process is alive and its event loop answers: 200, no I/O (a container HEALTHCHECK, systemd).
- `/readyz`: 200 only when the workbook is readable, the journal writable (with room on the disk for a save)
  and, where configured, Slack answers `auth.test` with the bot's token (and Microsoft Graph answers, once the
  tracker uses it: `graph` below is the hook); otherwise 503. Both say why in JSON a person can read
  (`reason`), with the count of updates waiting to be written and the age of the oldest, for a monitor.

Slack is asked at most every `SLACK_CHECK_SECONDS` (a monitor polling every few seconds must not spend the
bot's rate limit), with its own short timeout, so `/readyz` answers within seconds even when Slack does not.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse

from shared.settings import Settings
from shared.usecases import Context, readiness

#: How long a Slack answer to `auth.test` is trusted before asking again.
SLACK_CHECK_SECONDS = 30.0
#: How long `/readyz` waits for Slack.
SLACK_TIMEOUT_SECONDS = 5

Check = Callable[[], "str | None"]


class SlackCheck:
    """Slack's `auth.test` with the bot's token: None when Slack accepts it, else a sentence. Remembered
    for `every` seconds; one caller asks at a time, the others get the last answer."""

    def __init__(self, settings: Settings, every: float = SLACK_CHECK_SECONDS):
        from slack_sdk import WebClient

        self.client = WebClient(token=settings.bot_token, base_url=settings.api_url, timeout=SLACK_TIMEOUT_SECONDS)
        self.every = every
        self._lock = threading.Lock()
        self._answer: tuple[float, str | None] | None = None

    def __call__(self) -> str | None:
        with self._lock:
            if self._answer and time.monotonic() - self._answer[0] < self.every:
                return self._answer[1]
            problem = self._ask()
            self._answer = (time.monotonic(), problem)
            return problem

    def _ask(self) -> str | None:
        from slack_sdk.errors import SlackApiError

        try:
            self.client.auth_test()
        except SlackApiError as exc:
            return (f"Slack refused the bot's token ({exc.response.get('error', 'unknown error')}): check "
                    "SLACK_BOT_TOKEN.")
        except Exception as exc:  # noqa: BLE001 - any failure to reach Slack is the same answer
            return f"Slack did not answer auth.test ({type(exc).__name__}): check the network to Slack."
        return None


def graph_check(settings: Settings) -> Check | None:
    """The Microsoft Graph check: None while the tracker does not use Graph (it does not yet). When it does,
    return a callable asking Graph for the workbook (None when it answers, else a sentence) here, and
    `/readyz` includes it like Slack's."""
    return None


class Health:
    """The two endpoints over one store and the checks the enabled front ends need."""

    def __init__(self, ctx: Context, checks: dict[str, Check], front_ends: list[str], not_configured: list[str]):
        self.ctx, self.checks = ctx, checks
        self.front_ends, self.not_configured = front_ends, not_configured

    async def healthz(self, request: Request) -> JSONResponse:
        return JSONResponse({"alive": True})

    async def readyz(self, request: Request) -> JSONResponse:
        answer = await anyio.to_thread.run_sync(readiness, self.ctx, self.checks)
        body = {**answer.as_dict(), "front_ends": self.front_ends, "not_configured": self.not_configured}
        return JSONResponse(body, status_code=200 if answer.ready else 503)
