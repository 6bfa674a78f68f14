"""The `sli` command line: a front end over the core in `shared/`, like the Slack bot and the add-in.

Each command parses its arguments, calls the core and prints the answer. Errors a user can fix
are one sentence with exit code 2, never a traceback. This package re-exports the names other code uses.
"""

from sli.cli import main
from sli.commands.operations import TRIAL_FOLDER, WRITING_COMMANDS, trial_workbook
from sli.common import (
    EXIT_CONFLICT,
    EXIT_FINDINGS,
    EXIT_NOT_RECORDED,
    EXIT_OK,
    EXIT_PENDING,
    EXIT_USAGE,
    OUTPUT_FOLDER,
    context_of,
    default_output,
    settings_of,
    workbook_path,
)
from sli.parser import build_parser, join_dash_values

__all__ = ["EXIT_CONFLICT", "EXIT_FINDINGS", "EXIT_NOT_RECORDED", "EXIT_OK", "EXIT_PENDING", "EXIT_USAGE",
           "OUTPUT_FOLDER", "TRIAL_FOLDER", "WRITING_COMMANDS", "build_parser", "context_of", "default_output",
           "join_dash_values", "main", "settings_of", "trial_workbook", "workbook_path"]
