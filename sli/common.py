"""The `sli` commands' shared plumbing: exit codes, settings, workbook path and use-case context."""

from __future__ import annotations

import argparse
from pathlib import Path

from shared import usecases
from shared.settings import Settings
from shared.usecases import Context

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_PENDING, EXIT_CONFLICT = 0, 1, 2, 3, 4
#: The journal (or the disk under it) failed: nothing was recorded. Not "refused": the update was fine.
EXIT_NOT_RECORDED = 5


def settings_of(args: argparse.Namespace) -> Settings:
    """The settings `main` read from the environment once (`--workbook` wins over `SLI_WORKBOOK`)."""
    return args.settings


def workbook_path(args: argparse.Namespace) -> Path:
    return settings_of(args).workbook


#: Where a command writes what it makes when no --output (or --chart) names a file: a folder `out` beside the
#: workbook. For the trial copy that is workbook/trial/out/, for the committed workbook workbook/out/, both
#: ignored by git; on the council's server, beside the workbook it serves.
OUTPUT_FOLDER = "out"


def default_output(args: argparse.Namespace, name: str) -> Path:
    """`name` in the output folder beside the workbook (see OUTPUT_FOLDER)."""
    return workbook_path(args).parent / OUTPUT_FOLDER / name


def context_of(args: argparse.Namespace) -> Context:
    """The use cases' context for the workbook the settings name: built once per command."""
    if getattr(args, "context", None) is None:
        args.context = usecases.context(settings_of(args))
    return args.context
