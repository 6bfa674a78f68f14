"""Every setting the tracker reads from the environment, read once (`Settings.from_env`) and passed
down: the core and the front ends take a `Settings` (or the `Store` it makes), never `os.environ`.

A value a setting cannot take is a `SettingsError`: one sentence naming the variable and what it accepts,
which `sli` (and so the bot, Teams and add-in start commands) prints with exit code 2, never a traceback."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from shared.uow import DEFAULT_KEEP_BACKUPS, Store

DEFAULT_WORKBOOK = Path("workbook/Appendix1.xlsx")
SLACK_API_URL = "https://slack.com/api/"
#: The add-in server's log levels (uvicorn's).
ADDIN_LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
#: The longest interval a `*_SECONDS` setting takes: a day. Waiting updates are retried this often at least;
#: a far longer one (1e12) overflows the scheduler's date arithmetic when the bot or Teams starts.
MAX_SECONDS = 86_400


class SettingsError(ValueError):
    """An environment variable set to a value it cannot take: one sentence naming it and what it accepts."""


@dataclass(frozen=True)
class Settings:
    """The workbook and what sits beside it, and the Slack and add-in settings (see README)."""

    workbook: Path = DEFAULT_WORKBOOK
    journal: Path | None = None
    keep_backups: int = DEFAULT_KEEP_BACKUPS
    bot_token: str = ""
    signing_secret: str = ""
    app_token: str = ""
    api_url: str = SLACK_API_URL
    summary_channel: str = ""
    poll_seconds: float = 10.0
    addin_host: str = ""
    addin_certfile: str = ""
    addin_keyfile: str = ""
    addin_log_level: str = "info"
    #: Where Excel reaches the add-in (`https://sli.council.gov.uk`): the manifest's URLs, never request headers.
    addin_public_url: str = ""

    @classmethod
    def from_env(cls, workbook: Path | str | None = None, env: Mapping[str, str] | None = None) -> Settings:
        """`SLI_*` and `SLACK_*` variables; an explicit `workbook` (`--workbook`) wins over `SLI_WORKBOOK`."""
        env = os.environ if env is None else env
        api_url = env.get("SLACK_API_URL") or SLACK_API_URL
        if not api_url.startswith(("https://", "http://")):
            raise SettingsError(f"SLACK_API_URL is '{api_url}': it takes a web address starting with https:// "
                                "(Slack's own, the default, is https://slack.com/api/).")
        return cls(workbook=Path(workbook or env.get("SLI_WORKBOOK") or DEFAULT_WORKBOOK),
                   journal=Path(env["SLI_JOURNAL"]) if env.get("SLI_JOURNAL") else None,
                   keep_backups=_whole_number(env, "SLI_KEEP_BACKUPS", DEFAULT_KEEP_BACKUPS),
                   bot_token=env.get("SLACK_BOT_TOKEN", ""), signing_secret=env.get("SLACK_SIGNING_SECRET", ""),
                   app_token=env.get("SLACK_APP_TOKEN", ""),
                   api_url=api_url if api_url.endswith("/") else api_url + "/",
                   summary_channel=env.get("SLI_SUMMARY_CHANNEL", ""),
                   poll_seconds=_seconds(env, "SLI_POLL_SECONDS", 10.0),
                   addin_host=env.get("SLI_ADDIN_HOST", ""),
                   addin_certfile=env.get("SLI_ADDIN_SSL_CERTFILE", ""),
                   addin_keyfile=env.get("SLI_ADDIN_SSL_KEYFILE", ""),
                   addin_log_level=_choice(env, "SLI_ADDIN_LOG_LEVEL", ADDIN_LOG_LEVELS, "info"),
                   addin_public_url=env.get("SLI_ADDIN_PUBLIC_URL", ""))

    def with_workbook(self, workbook: Path | str) -> Settings:
        return replace(self, workbook=Path(workbook))

    def store(self) -> Store:
        return Store.for_workbook(self.workbook, journal=self.journal, keep_backups=self.keep_backups)


def _whole_number(env: Mapping[str, str], name: str, default: int) -> int:
    text = (env.get(name) or "").strip()
    if not text:
        return default
    if not text.isdecimal():
        raise SettingsError(f"{name} is '{env[name]}': it takes a whole number, 0 or more (default {default}).")
    return int(text)


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    text = (env.get(name) or "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 < value <= MAX_SECONDS):
        raise SettingsError(f"{name} is '{env[name]}': it takes a number of seconds greater than 0 and at most "
                            f"{MAX_SECONDS:,} (a day), such as 10 or 2.5 (default {default:g}).")
    return value


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    text = (env.get(name) or "").strip().lower()
    if not text:
        return default
    if text not in choices:
        raise SettingsError(f"{name} is '{env[name]}': it takes one of {', '.join(choices)} (default {default}).")
    return text
