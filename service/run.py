"""Starting and stopping `sli serve`: bind, hold the workbook's server lock, serve on uvicorn, stop safely.

Stopping (SIGTERM from systemd or `docker stop`, or Ctrl-C): uvicorn stops accepting at once, answers the
requests it has accepted (at most `GRACEFUL_SECONDS`), then the service stops its background work and the
writer finishes the update it is writing and leaves the queued ones journalled (at most
`WRITER_STOP_SECONDS`); the process exits 0, within 10 seconds in all. The next start writes what waits and
tells its senders. deploy/sli.service gives systemd 15 seconds (`TimeoutStopSec`) before it would kill.
"""

from __future__ import annotations

import logging
import os
import sys

import uvicorn

from service import logs
from service.app import WRITER_STOP_SECONDS, ServeConfigError, Service, plan
from shared.settings import Settings
from shared.usecases.operations import serving

log = logging.getLogger("sli.serve")

#: Seconds uvicorn waits for accepted requests once told to stop (acks take milliseconds).
GRACEFUL_SECONDS = 4
#: Everything a stop may take, SIGTERM to exit: what deploy/ promises systemd and Docker (15 s and 10 s grace).
STOP_BUDGET_SECONDS = GRACEFUL_SECONDS + WRITER_STOP_SECONDS + 2


def _serve_on(sock, settings: Settings, chosen, host: str, local: bool, verbose: bool):
    """Build the service and serve on the bound socket until stopped; (uvicorn's server, the service)."""
    from bot.http_server import BACKLOG, KEEP_ALIVE_SECONDS, LIMIT_CONCURRENCY, _Server

    port = sock.getsockname()[1]
    logs.configure(settings.log_format, verbose)
    service = Service(settings, chosen, port)
    config = uvicorn.Config(service.asgi, host=host, port=port, workers=1, backlog=BACKLOG,
                            limit_concurrency=LIMIT_CONCURRENCY, timeout_keep_alive=KEEP_ALIVE_SECONDS,
                            timeout_graceful_shutdown=GRACEFUL_SECONDS, lifespan="on", access_log=False,
                            log_config=None, log_level="info" if verbose else "warning", server_header=False,
                            ssl_certfile=service.certfile, ssl_keyfile=service.keyfile)
    server = _Server(config)
    scheme = "https" if service.certfile else "http"
    log.info("serving %s on %s://%s:%d (%s)", settings.workbook, scheme, host, port, ", ".join(chosen.front_ends()))
    print(f"SLI Tracker serving {settings.workbook} on {scheme}://{host}:{port}: "
          f"{', '.join(chosen.front_ends())}{'; local trial, 127.0.0.1 only' if local else ''}.", flush=True)
    server.run(sockets=[sock])
    return server, service


def serve(settings: Settings, *, local: bool = False, host: str | None = None, port: int | None = None,
          verbose: bool = False) -> int:
    """Serve until SIGTERM or SIGINT; 0 after a clean stop. ServeConfigError (one sentence) if it may not
    start: what to set, a port in use, another server on the same workbook."""
    from bot.http_server import _bind

    host = host or settings.serve_host
    port = settings.serve_port if port is None else port
    if local and host not in ("127.0.0.1", "localhost"):
        raise ServeConfigError("--local listens on 127.0.0.1 only (no sign-in, anonymous Teams): leave out --host "
                               "and SLI_HOST, or configure the front ends to serve other machines.")
    chosen = plan(settings, local)
    with serving(settings.store()):
        try:  # bind before building: a port in use is a sentence, not a half-started service
            sock = _bind(host, port)
        except OSError as exc:
            raise ServeConfigError(str(exc.strerror or exc)) from None
        try:
            server, service = _serve_on(sock, settings, chosen, host, local, verbose)
        finally:
            sock.close()
    if not server.started:
        print("sli serve: the service could not start (see the log above).", file=sys.stderr)
        return 1
    log.info("stopped")
    if not getattr(service, "writer_finished", True):
        logging.shutdown()
        os._exit(0)  # the write in progress is left to the next start (README, "How an update is written")
    return 0
