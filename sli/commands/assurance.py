"""Assurance commands: assure and send-back."""

from __future__ import annotations

import argparse

from shared import usecases
from sli.commands.updating import _outcome
from sli.common import (
    context_of,
)


def cmd_assure(args: argparse.Namespace) -> int:
    return _outcome(usecases.assure(context_of(args), args.ref, args.by, args.note or ""))


def cmd_send_back(args: argparse.Namespace) -> int:
    return _outcome(usecases.send_back(context_of(args), args.ref, args.by, args.reason))
