"""The `sli` argument parser: every command, its options, and joining `--option -value`."""

from __future__ import annotations

import argparse
from datetime import date

from sli.commands.assurance import cmd_assure, cmd_send_back
from sli.commands.bots import cmd_addin, cmd_bot, cmd_serve, cmd_teams, cmd_teams_package
from sli.commands.graph import cmd_graph_check, cmd_graph_login
from sli.commands.operations import cmd_backup, cmd_restore, cmd_run
from sli.commands.reading import cmd_history, cmd_list, cmd_pending, cmd_status, cmd_validate
from sli.commands.reports import cmd_export, cmd_report, cmd_summary
from sli.commands.updating import cmd_init, cmd_purge, cmd_sync, cmd_update


def build_parser() -> argparse.ArgumentParser:
    # --verbose is global: before the command (`sli --verbose run`) or after it (`sli run --verbose`).
    loud = argparse.ArgumentParser(add_help=False)
    loud.add_argument("--verbose", action="store_true", default=argparse.SUPPRESS,
                      help="show the libraries' INFO lines and per-message warnings too (default: only problems)")
    common = argparse.ArgumentParser(add_help=False, parents=[loud])
    common.add_argument("--workbook", default=argparse.SUPPRESS,
                        help="the workbook (default: $SLI_WORKBOOK or workbook/Appendix1.xlsx)")
    parser = argparse.ArgumentParser(prog="sli", parents=[common],
                                     description="Track the SLI infant mortality recommendations (Appendix 1).")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", parents=[common], help="check the workbook against the rules")
    p.add_argument("path", nargs="?")
    p.set_defaults(run=cmd_validate)
    p = sub.add_parser("status", parents=[common], help="one recommendation in full (L7, 7, l07)")
    p.add_argument("ref")
    p.set_defaults(run=cmd_status)
    p = sub.add_parser("list", parents=[common], help="recommendations by status or lead")
    p.add_argument("--status")
    p.add_argument("--lead", help="lead organisation, e.g. ELHT")
    p.set_defaults(run=cmd_list)
    p = sub.add_parser("workbook", parents=[loud], help="build the workbook")
    wsub = p.add_subparsers(dest="action", required=True)
    init = wsub.add_parser("init", parents=[loud], help="write a new Appendix 1 workbook")
    init.add_argument("path")
    init.set_defaults(run=cmd_init)
    p = sub.add_parser("update", parents=[common], help="update a recommendation")
    p.add_argument("ref")
    p.add_argument("--status")
    p.add_argument("--summary")
    p.add_argument("--next", help="next steps")
    p.add_argument("--due", help="next step due, e.g. 2027-01-31 or 31/01/2027")
    p.add_argument("--by", required=True, help="who is making the update")
    p.add_argument("--evidence", help="evidence of a Complete claim: a note or a link (needed to set Complete "
                                      "where assurance is asked)")
    p.set_defaults(run=cmd_update)

    p = sub.add_parser("assure", parents=[common], help="assure a Complete claim (holders of its accountable role)")
    p.add_argument("ref")
    p.add_argument("--by", required=True, help="who assures it (their name on sheet Leads)")
    p.add_argument("--note", help="a note kept with the assurance in the Change log")
    p.set_defaults(run=cmd_assure)

    p = sub.add_parser("send-back", parents=[common], help="send a Complete claim back to its lead, with a reason")
    p.add_argument("ref")
    p.add_argument("--by", required=True, help="who sends it back (their name on sheet Leads)")
    p.add_argument("--reason", required=True, help="why: the lead is told")
    p.set_defaults(run=cmd_send_back)

    p = sub.add_parser("history", parents=[common], help="changes to one recommendation")
    p.add_argument("ref")
    p.set_defaults(run=cmd_history)
    p = sub.add_parser("purge", parents=[common], help="remove from the journal the settled updates older than "
                       "SLI_RETENTION_DAYS (default: what the Change log no longer keeps)")
    p.add_argument("--dry-run", action="store_true", help="say what would be removed, remove nothing")
    p.set_defaults(run=cmd_purge)
    p = sub.add_parser("pending", parents=[common], help="updates waiting to be written")
    p.set_defaults(run=cmd_pending)
    p = sub.add_parser("sync", parents=[common], help="write waiting updates into the workbook")
    p.add_argument("--force", action="store_true",
                   help="write even though an Excel owner file is present (only once Excel is closed)")
    p.set_defaults(run=cmd_sync)
    p = sub.add_parser("bot", parents=[common], help="run the Slack bot (Socket Mode, HTTP, or a local console)")
    p.add_argument("--http", action="store_true", help="serve /slack/events over HTTP instead of Socket Mode")
    p.add_argument("--port", type=int, default=3000)
    p.add_argument("--host", default="0.0.0.0")
    p.add_argument("--console", action="store_true", help="the local console, even with Slack credentials")
    p.add_argument("--as", dest="as_user", help="Slack user ID to act as in the console (from sheet Leads)")
    p.set_defaults(run=cmd_bot)
    p = sub.add_parser("teams", parents=[common], help="run the Microsoft Teams bot (see README, 'Teams')")
    p.add_argument("--local", action="store_true", help="a trial on this machine: 127.0.0.1 only, anonymous")
    p.add_argument("--port", type=int, default=None, help="default 3978")
    p.add_argument("--host", default=None, help="default 0.0.0.0 (ignored with --local)")
    p.set_defaults(run=cmd_teams)
    p = sub.add_parser("teams-package", parents=[loud], help="zip the Teams app manifest and icons for upload")
    p.add_argument("--client-id", default="", help="the bot's Entra client id (default $SLI_TEAMS_CLIENT_ID)")
    p.add_argument("--output", help="where to write it (default: out/sli-teams.zip beside the workbook)")
    p.add_argument("--version", default=None, help="the app version to put in the manifest (e.g. 1.0.1)")
    p.set_defaults(run=cmd_teams_package)
    p = sub.add_parser("graph", parents=[common], help="the workbook in SharePoint or OneDrive: sign in, check")
    gsub = p.add_subparsers(dest="action", required=True)
    g = gsub.add_parser("login", parents=[common], help="sign the service account in (device code)")
    g.set_defaults(run=cmd_graph_login)
    g = gsub.add_parser("check", parents=[common], help="say what the workbook's address reaches")
    g.set_defaults(run=cmd_graph_check)
    p = sub.add_parser("summary", parents=[common], help="the monthly summary: print it, or post it to Slack")
    p.add_argument("--month", help="the month summarised: Nov 2026, 11/2026 or 2026-11 (default: last month)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help="print it and write the chart to a file (default)")
    mode.add_argument("--post", action="store_true", help="post it now (at most once per month)")
    p.add_argument("--again", action="store_true", help="with --post: post even if it was posted before")
    p.add_argument("--channel", help="channel to post to (default: SLI_SUMMARY_CHANNEL)")
    p.add_argument("--chart", help="where --dry-run writes the chart (default: out/sli-summary-MONTH.png beside "
                   "the workbook; the trend goes beside it as ...-trend.png)")
    p.set_defaults(run=cmd_summary)
    p = sub.add_parser("report", parents=[common], help="the annual report for the board (docx or xlsx)")
    p.add_argument("--year", type=int, default=date.today().year)
    p.add_argument("--format", choices=("docx", "xlsx"))
    p.add_argument("--output", help="where to write it (default: out/SLI-Appendix1-YEAR.FORMAT beside the workbook)")
    p.add_argument("--for", dest="board", help="the board whose paper it is (sheet Lists: HWBB, LSCB, CDOP ...): "
                                               "only its recommendations, its name in the title")
    p.set_defaults(run=cmd_report)
    p = sub.add_parser("export", parents=[common], help="the update history, Appendix 1 or the trend, as CSV "
                       "or Excel for analysis")
    p.add_argument("what", choices=("changes", "appendix", "trend"),
                   help="changes: every field change (who, when, via, update ID); appendix: Appendix 1 now; "
                        "trend: recommendations by status, month by month")
    p.add_argument("--format", choices=("csv", "xlsx"), help="default: from --output's extension, else csv")
    p.add_argument("--output", help="the file to write (default: out/SLI-WHAT.FORMAT beside the workbook)")
    p.add_argument("--from", dest="start", help="first day, e.g. 01/04/2026 or 2026-04-01 (UTC; changes and trend)")
    p.add_argument("--to", dest="end", help="last day, included, e.g. 31/03/2027 or 2027-03-31")
    p.set_defaults(run=cmd_export)
    p = sub.add_parser("run", parents=[common], help="validate, list, serve the add-in locally and open the bot")
    p.add_argument("--addin-port", type=int, default=8000, help="0 to leave the add-in out")
    p.set_defaults(run=cmd_run)
    p = sub.add_parser("addin", parents=[common], help="serve the Excel add-in (xlwings Server)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--local", action="store_true", help="a trial on this machine: 127.0.0.1 only, no sign-in")
    p.add_argument("--host", default=None)
    p.add_argument("--public-url", default=None, help="the https address Excel reaches the add-in at, for the "
                   "manifest (default $SLI_ADDIN_PUBLIC_URL; not with --local)")
    p.set_defaults(run=cmd_addin)
    p = sub.add_parser("serve", parents=[common], help="serve Slack, Teams and the add-in on one port, with "
                       "/healthz and /readyz (README, 'For IT')")
    p.add_argument("--host", default=None, help="default $SLI_HOST, else 127.0.0.1 (behind an HTTPS proxy)")
    p.add_argument("--port", type=int, default=None, help="default $SLI_PORT, else 8000")
    p.add_argument("--local", action="store_true", help="a trial on this machine: 127.0.0.1 only, Teams "
                   "anonymous and the add-in without sign-in")
    p.set_defaults(run=cmd_serve)  # --verbose: the global option (the libraries' INFO lines too)
    p = sub.add_parser("backup", parents=[common], help="copy the journal and the workbook into a new folder, "
                       "consistent while the service runs")
    p.add_argument("folder")
    p.set_defaults(run=cmd_backup)
    p = sub.add_parser("restore", parents=[common], help="check a backup and put it back (stop sli serve first)")
    p.add_argument("folder")
    p.add_argument("--check", action="store_true", help="only check that the backup is sound; change nothing")
    p.set_defaults(run=cmd_restore)
    return parser


def join_dash_values(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """`sli update L7 --next -1+1`: argparse reads a token starting with `-` as an option unless it looks like a
    negative number, so `-1+1` or `-x` after `--next` failed with "expected one argument". A token starting with
    `-` right after an option that takes a value, and not itself an option of `sli`, is joined to it
    (`--next=-1+1`) before argparse sees it. `--summary --by` stays an error: `--by` is an option."""
    takes_value: set[str] = set()
    options: set[str] = set()
    parsers = [parser]
    while parsers:
        for action in parsers.pop()._actions:
            options.update(action.option_strings)
            if action.option_strings and action.nargs is None:
                takes_value.update(action.option_strings)
            if isinstance(action, argparse._SubParsersAction):
                parsers.extend(action.choices.values())
    joined: list[str] = []
    index = 0
    while index < len(argv):
        token = argv[index]
        if token == "--":
            return joined + argv[index:]
        following = argv[index + 1] if index + 1 < len(argv) else None
        if (token in takes_value and following is not None and following.startswith("-")
                and following.split("=", 1)[0] not in options):
            joined.append(f"{token}={following}")
            index += 2
            continue
        joined.append(token)
        index += 1
    return joined
