"""`sli`'s entry point: parse the arguments, run the command, turn errors a user can fix into one sentence."""

from __future__ import annotations

import os
import sys

from bot.logs import quiet_libraries
from shared import usecases
from shared.domain import schema as s
from shared.domain.queries import QueryError
from shared.settings import DEFAULT_WORKBOOK, Settings, SettingsError
from shared.usecases import OutputError, WorkbookError
from sli.commands.operations import TRIAL_FOLDER, WRITING_COMMANDS
from sli.common import (
    EXIT_NOT_RECORDED,
    EXIT_OK,
    EXIT_USAGE,
)
from sli.parser import build_parser, join_dash_values


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(join_dash_values(parser, list(sys.argv[1:] if argv is None else argv)))
    args.verbose = getattr(args, "verbose", False)
    quiet_libraries(args.verbose)
    try:
        args.settings = Settings.from_env(workbook=getattr(args, "workbook", None))
        trial = TRIAL_FOLDER / DEFAULT_WORKBOOK.name
        if args.command in WRITING_COMMANDS and args.settings.workbook == DEFAULT_WORKBOOK and trial.is_file():
            print(f"sli: note: this changes {DEFAULT_WORKBOOK}, not the trial copy {trial} (to work on the copy: "
                  f"export SLI_WORKBOOK=$PWD/{trial}; README, 'Trying the commands').", file=sys.stderr)
        return args.run(args)
    except (WorkbookError, QueryError, s.RefError, s.HeaderError, usecases.PackageError, SettingsError,
            OutputError, ValueError) as exc:
        print(f"sli: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except usecases.JournalUnavailable as exc:
        print(f"sli: {exc}", file=sys.stderr)
        return EXIT_NOT_RECORDED
    except BrokenPipeError:  # `sli list | head`: the reader left, nothing is wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
