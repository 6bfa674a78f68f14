"""The operators' log: one line per request and per update, plain by default, JSON with `SLI_LOG_FORMAT=json`.

What a line may hold: for a request, its method, path (no query string), status, milliseconds and which front
end answered; for an update (`sli.updates`, written by the core), its ID, ref, state and milliseconds. Never
what people typed, never a header, a token or a body: the lines are built from those fields only. Libraries
(Bolt, uvicorn, the Agents SDK, xlwings Server) log at WARNING and above unless `--verbose`, which lowers
them to INFO (not DEBUG: slack_sdk and the SDKs log requests there).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import UTC, datetime
from typing import Any

from bot.logs import quiet_libraries
from shared.domain.values import log_safe

#: Our own operator loggers, at INFO whatever `--verbose` says.
OPERATOR_LOGGERS = ("sli.http", "sli.updates", "sli.serve")
#: Fields an operator line may carry beyond time, level, logger and message.
FIELDS = ("event", "method", "path", "status", "ms", "front_end", "update_id", "ref", "state")
MAX_PATH = 200

request_log = logging.getLogger("sli.http")


#: The longest message a log line carries (a path within it is cut to MAX_PATH first).
MAX_MESSAGE = 2000


def _shown(value: object, limit: int = MAX_MESSAGE) -> object:
    """Control characters escaped (`log_safe`), so a request path cannot forge a log line."""
    return log_safe(value, limit) if isinstance(value, str) else value


class PlainFormatter(logging.Formatter):
    """`2026-11-03T09:00:01Z INFO sli.http request POST /slack/events 200 12.3 ms slack`."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        text = f"{stamp} {record.levelname} {record.name} {_shown(record.getMessage())}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message and the operator fields the record has."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                                "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        for name in FIELDS:
            if hasattr(record, name):
                line[name] = _shown(getattr(record, name))
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(log_format: str = "plain", verbose: bool = False) -> None:
    """The process's logging for `sli serve`: one handler on stderr (systemd's journal, `docker logs`)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else PlainFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    quiet_libraries(verbose)  # the libraries' own levels (bot/logs.py), the same as every other `sli` command's
    for name in OPERATOR_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):  # uvicorn sets its own levels and handlers
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(logging.INFO if verbose else logging.WARNING)


class RequestLog:
    """ASGI middleware: one line per HTTP request once its answer is sent (`front_end(path)` names who
    answered). Lifespan and WebSocket traffic pass untouched."""

    def __init__(self, app, front_end):
        self.app, self.front_end = app, front_end

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def sending(message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            ms = round((time.perf_counter() - started) * 1000, 1)
            path = scope.get("path", "")[:MAX_PATH]
            request_log.info("request %s %s %s %.1f ms %s", scope.get("method", ""), path, status["code"], ms,
                             self.front_end(path),
                             extra={"event": "request", "method": scope.get("method", ""), "path": path,
                                    "status": status["code"], "ms": ms, "front_end": self.front_end(path)})
