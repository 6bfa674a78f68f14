"""How chatty the libraries under the front ends are: quiet unless `sli --verbose`.

xlwings Server calls `logging.basicConfig(level="INFO")` when it is imported, which puts a handler on the
root logger and lets every library's INFO line through (`INFO:xlwings_server.main:Running in 'Server'
mode.`), and the Microsoft 365 Agents SDK warns "App ID is not provided…" for every message an anonymous
(`sli teams --local`) bot answers. Neither tells a person trying the product anything. So each library's
logger is set to WARNING here (that one SDK logger to ERROR), by name, which holds whatever the root logger's
level becomes later; `--verbose` sets them to INFO instead. Our own loggers (`sli.*`) are left alone.

`quiet_libraries` is the one place that says this: `sli` calls it before any command runs, and a server's
own logging setup (an operator's log format) can call it too.
"""

from __future__ import annotations

import logging

#: The libraries whose INFO lines are chatter to a person at the terminal (and to an operator, unless asked).
LIBRARY_LOGGERS = ("xlwings_server", "xlwings", "uvicorn", "uvicorn.error", "uvicorn.access", "fastapi",
                   "microsoft_agents", "msal", "aiohttp", "slack_bolt", "slack_sdk", "apscheduler", "httpx",
                   "matplotlib", "PIL")
#: Warnings a library gives for every request in a mode we chose on purpose: only shown with `--verbose`.
PER_MESSAGE_WARNINGS = ("microsoft_agents.hosting.core.connector.client.user_token_client",)


def quiet_libraries(verbose: bool = False) -> None:
    """Libraries log at WARNING (their per-message warnings at ERROR), or at INFO with `verbose`."""
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO if verbose else logging.WARNING)
    for name in PER_MESSAGE_WARNINGS:
        logging.getLogger(name).setLevel(logging.INFO if verbose else logging.ERROR)
