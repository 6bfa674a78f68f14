"""Microsoft Graph commands: graph-login and graph-check."""

from __future__ import annotations

import argparse

from shared import usecases
from sli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    settings_of,
)


def cmd_graph_login(args: argparse.Namespace) -> int:
    account = usecases.graph_login(settings_of(args), lambda message: print(message, flush=True))
    print(f"Signed in as {account}; the token is kept for sli in {settings_of(args).graph.state_dir}.")
    return EXIT_OK


def cmd_graph_check(args: argparse.Namespace) -> int:
    check = usecases.graph_check(settings_of(args))
    for line in check.lines:
        print(line)
    return EXIT_OK if check.ok else EXIT_FINDINGS
