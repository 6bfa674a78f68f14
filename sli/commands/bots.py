"""Commands that start a front end: the Slack bot, Teams, the Excel add-in and the one-port service."""

from __future__ import annotations

import argparse

from shared import usecases
from shared.domain.queries import QueryError
from sli.common import (
    EXIT_OK,
    context_of,
    default_output,
    settings_of,
)


def cmd_bot(args: argparse.Namespace) -> int:
    from bot.app import run
    from bot.console import DEFAULT_USER, run_console

    settings = settings_of(args)
    usecases.appendix(context_of(args))  # a clear sentence now rather than a failure in a listener
    if args.console or not settings.bot_token:
        if not args.console:
            print("No SLACK_BOT_TOKEN: starting the local console instead (see README, 'Slack bot').")
        for result in usecases.process_pending(context_of(args)):
            print(f"{result.ref}: [{result.state}] {result.message}")
        run_console(context_of(args), user_id=args.as_user or DEFAULT_USER)
        return EXIT_OK
    if (args.http or not settings.app_token) and not settings.signing_secret:
        raise QueryError("HTTP mode needs SLACK_SIGNING_SECRET (or set SLACK_APP_TOKEN for Socket Mode).")
    run(settings, http=args.http, port=args.port, host=args.host)
    return EXIT_OK


def cmd_teams(args: argparse.Namespace) -> int:
    """The Teams bot: refuses to start without the Entra app registration unless `--local` (127.0.0.1 only)."""
    from bot.teams.app import DEFAULT_PORT, run

    settings = settings_of(args)
    usecases.appendix(context_of(args))  # a clear sentence now rather than a failure in a handler
    run(settings, local=args.local, host=args.host, port=args.port or DEFAULT_PORT)
    return EXIT_OK


def cmd_teams_package(args: argparse.Namespace) -> int:
    from bot.teams.package import write_package

    client_id = args.client_id or settings_of(args).teams.client_id
    written = usecases.write_file(context_of(args), args.output or default_output(args, "sli-teams.zip"),
                                  lambda path: write_package(path, client_id, args.version))
    print(f"Wrote {written}: upload it in Teams (Apps > Manage your apps > Upload an app) or in the Teams admin "
          "centre (Teams apps > Manage apps > Upload new app).")
    return EXIT_OK


def cmd_addin(args: argparse.Namespace) -> int:
    # Imported here: xlwings' remote engine needs its licence setting before xlwings is first imported.
    from excel.server import main as addin_main

    return addin_main(port=args.port, local=args.local, host=args.host, served=settings_of(args),
                      public_url=args.public_url, verbose=args.verbose)


def cmd_serve(args: argparse.Namespace) -> int:
    """One process, one port: every front end the settings enable, with /healthz and /readyz (README, "For IT")."""
    from service.run import serve

    return serve(settings_of(args), local=args.local, host=args.host, port=args.port, verbose=args.verbose)
