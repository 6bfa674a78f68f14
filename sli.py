"""The `sli` command line: a front end over the core in `shared/`, like the Slack bot and the add-in.

Each command parses its arguments, calls the core and prints the answer. Errors a user can fix
are one sentence with exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import textwrap
from datetime import date, datetime
from pathlib import Path

from bot.logs import quiet_libraries
from shared import usecases
from shared.domain import rules
from shared.domain import schema as s
from shared.domain import update as j
from shared.domain.queries import QueryError
from shared.domain.update import NOT_RECORDED, UpdateRequest
from shared.domain.values import DateParseError, cell_text, parse_date, plural, shown, uk_time_text
from shared.settings import DEFAULT_WORKBOOK, Settings, SettingsError
from shared.usecases import Context, OutputError, WorkbookError

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


def cmd_validate(args: argparse.Namespace) -> int:
    path = Path(args.path) if args.path else workbook_path(args)
    appendix, findings = usecases.validate(context_of(args), Path(args.path) if args.path else None)
    for finding in findings:
        print(finding.line())
    count = len(rules.errors(findings))
    print(f"{path}: {plural(count, 'error')}, {plural(len(findings) - count, 'warning')} in "
          f"{plural(len(appendix.rows), 'recommendation')}.")
    if not any(column in appendix.header.columns for column in s.ASSURANCE_COLUMNS):
        print(s.HOW_TO_ADD_ASSURANCE)  # once, where a workbook made before assurance is checked
    return EXIT_FINDINGS if count else EXIT_OK


def _status_table(appendix, rows) -> str:
    shown_status = [usecases.shown_status(appendix, row) for row in rows]
    width = max([11, *map(len, shown_status)])
    lines = [f"{'Ref':<4} {'Status':<{width}} {'Due':<10} {'Lead organisation':<44} Recommendation"]
    for row, status in zip(rows, shown_status, strict=True):
        recommendation = textwrap.shorten(str(row[s.RECOMMENDATION] or ""), 60, placeholder="...")
        lines.append(f"{row.ref:<4} {status:<{width}} {cell_text(row.due):<10} {row.lead_org[:44]:<44} "
                     f"{recommendation}")
    return "\n".join(lines)


def cmd_list(args: argparse.Namespace) -> int:
    rows = usecases.list_rows(context_of(args), status=args.status, lead=args.lead)
    print(_status_table(usecases.appendix(context_of(args)), rows) if rows else "No recommendations match.")
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    ref = s.normalise_ref(args.ref)
    current = usecases.appendix(context_of(args))
    row = current.get(ref)
    if row is None:
        raise QueryError(f"There is no {ref} in the workbook.")
    columns = [*s.MAIN_COLUMNS, *(c for c in s.ASSURANCE_COLUMNS if c in current.header.columns)]
    for column in columns:
        value = usecases.shown_status(current, row) if column == s.STATUS else row[column]
        text = cell_text(value) or "-"
        print(textwrap.fill(f"{column}: {text}", width=100, subsequent_indent="    "))
    if row[s.ASSURED_BY] and row.status == s.COMPLETE:
        print(f"Assured by {cell_text(row[s.ASSURED_BY])} on {cell_text(row[s.ASSURED_ON]) or 'a day not given'}.")
    return EXIT_OK


def cmd_init(args: argparse.Namespace) -> int:
    path = usecases.init_workbook(context_of(args), args.path)
    print(f"Wrote {path}.")
    return EXIT_OK


def cmd_update(args: argparse.Namespace) -> int:
    changes = {column: value for column, value in (
        (s.STATUS, args.status), (s.SUMMARY, args.summary), (s.NEXT_STEPS, args.next), (s.DUE, args.due),
        (s.EVIDENCE, args.evidence)) if value is not None}
    return _outcome(usecases.submit(context_of(args), UpdateRequest(args.ref, changes, s.VIA_CLI, by=args.by)))


def cmd_assure(args: argparse.Namespace) -> int:
    return _outcome(usecases.assure(context_of(args), args.ref, args.by, args.note or ""))


def cmd_send_back(args: argparse.Namespace) -> int:
    return _outcome(usecases.send_back(context_of(args), args.ref, args.by, args.reason))


def _outcome(result: usecases.UpdateResult) -> int:
    """An update's (or an assurance's) findings and sentence printed, and its exit code."""
    for finding in result.findings:
        print(finding.line())
    print(result.message)
    return {j.APPLIED: EXIT_OK, j.PENDING: EXIT_PENDING, j.WRITING: EXIT_PENDING, j.IN_EXCEL: EXIT_PENDING,
            j.CONFLICT: EXIT_CONFLICT, NOT_RECORDED: EXIT_NOT_RECORDED}.get(result.state, EXIT_FINDINGS)


def _when(value: object) -> str:
    """A Change log time or a journal time as people read it: UK time with the zone named (06/12/2026 21:45 GMT);
    a day alone (a row kept by hand) as 06/12/2026."""
    if isinstance(value, datetime | str):
        return uk_time_text(value)
    return cell_text(value)


def cmd_history(args: argparse.Namespace) -> int:
    found = usecases.history(context_of(args), args.ref)
    for e in found.log:
        print(f"{_when(e.when)}  {e.field}: '{shown(e.old_value, e.field)}' -> '{shown(e.new_value, e.field)}'"
              f"  by {e.by} via {e.via}")
    for e in found.held:
        print(f"{_when(e.created_at)}  [{e.state}] by {e.by} via {e.via}: {e.detail.get('message', '')}")
    if not found.log:
        # What the row itself says, so the answer never contradicts its Last updated and Updated by.
        when, by = cell_text(found.last_updated), cell_text(found.updated_by)
        said = (f"its row says it was last updated {when or 'on a day not given'}" + (f" by {by}" if by else "")
                if when or by else "its row gives no Last updated or Updated by")
        print(f"{found.ref}: no change is in the Change log (changes made in Excel, or before the tracker was used, "
              f"are not logged); {said}.")
    return EXIT_OK


def cmd_purge(args: argparse.Namespace) -> int:
    """`sli purge`: what the journal need no longer keep, past the retention the admin set (README, "Personal
    data")."""
    print(usecases.purge(context_of(args), settings_of(args).retention_days, dry_run=args.dry_run).sentence)
    return EXIT_OK


def cmd_pending(args: argparse.Namespace) -> int:
    entries = usecases.waiting(context_of(args))
    for e in entries:
        fields = ", ".join(f"{c}='{cell_text(v)}'" for c, v in e.changes.items())
        print(f"{e.id[:8]} {e.ref:<4} [{e.state}] {_when(e.created_at)} by {e.by} via {e.via}: {fields}")
        if e.detail.get("message"):
            print(f"    {e.detail['message']}")
    print(f"{plural(len(entries), 'update')} waiting." if entries else "No updates waiting.")
    return EXIT_OK


def cmd_sync(args: argparse.Namespace) -> int:
    results = usecases.process_pending(context_of(args), force=args.force)
    for result in results:
        print(f"{result.ref}: [{result.state}] {result.message}")
    if not results:
        print("No updates waiting.")
    return EXIT_PENDING if any(r.state in j.OPEN_STATES for r in results) else EXIT_OK


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


def cmd_summary(args: argparse.Namespace) -> int:
    from bot import plain
    from shared.usecases import replies

    ctx = context_of(args)
    year, month = usecases.month_asked(ctx, args.month)
    if args.post:
        from bot.app import make_client
        from bot.scheduler import post_summary

        settings = settings_of(args)
        if not settings.bot_token:
            raise QueryError("Posting needs SLACK_BOT_TOKEN (and SLI_SUMMARY_CHANNEL); use --dry-run to see it.")
        outcome = post_summary(ctx, make_client(settings), args.channel or settings.summary_channel,
                               year, month, again=args.again)
        print(outcome.message)
        return EXIT_OK if outcome.posted else EXIT_FINDINGS
    figures = usecases.month_figures(ctx, year, month)
    print(plain.render(replies.summary_reply(figures), prefix=None))  # the words both chats post, as plain text
    chart, trend = usecases.write_summary_charts(ctx, figures, args.chart or default_output(
        args, f"sli-summary-{figures.month}.png"))
    print(f"\nCharts written to {chart} (by lead organisation) and {trend} (by month).")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    fmt = args.format or (Path(args.output).suffix.lstrip(".").lower() if args.output else "docx")
    board = f"-{_file_word(args.board)}" if args.board else ""
    output = Path(args.output) if args.output else default_output(args, f"SLI-Appendix1-{args.year}{board}.{fmt}")
    usecases.write_report(context_of(args), args.year, fmt, output, args.board)
    print(f"Wrote {output}.")
    return EXIT_OK


def _file_word(text: str) -> str:
    """A board's name as part of a file name: letters and digits, the rest as `-` (`HWBB`, `Children-s-Board`)."""
    return "".join(ch if ch.isalnum() else "-" for ch in text.strip()).strip("-") or "board"


def _day_argument(text: str | None, option: str) -> date | None:
    """A date option as people write dates everywhere else: 01/04/2026 or 2026-04-01 (the domain's `parse_date`)."""
    if not text:
        return None
    try:
        return parse_date(text)
    except DateParseError as exc:
        raise QueryError(f"{option}: {exc}") from None


def cmd_export(args: argparse.Namespace) -> int:
    fmt = args.format or (Path(args.output).suffix.lstrip(".").lower() if args.output else "") or "csv"
    output = Path(args.output) if args.output else default_output(args, f"SLI-{args.what}.{fmt}")
    rows = usecases.export(context_of(args), args.what, fmt, output,
                           _day_argument(args.start, "--from"), _day_argument(args.end, "--to"))
    print(f"Wrote {plural(rows, 'row')} to {output}.")
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


def cmd_backup(args: argparse.Namespace) -> int:
    from shared.usecases.operations import backup

    taken = backup(settings_of(args).store(), args.folder)
    print(f"Backed up {workbook_path(args)} and its journal ({plural(taken.updates, 'update')}, journal schema "
          f"{taken.schema_version}) to {taken.folder}. To put it back: sli restore {taken.folder}")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    from shared.usecases.operations import check_backup, restore

    if args.check:
        checked = check_backup(args.folder)
        print(f"{checked.folder} is a sound backup taken {_when(checked.taken_at)}: the workbook reads, the journal "
              f"opens ({plural(checked.updates, 'update')}, schema {checked.schema_version}).")
        return EXIT_OK
    done = restore(settings_of(args).store(), args.folder)
    kept = f" The state it replaced is kept in {done.kept.folder}." if done.kept else ""
    if done.kept_journal is not None:
        kept = f" There was no workbook; the journal it replaced is kept as {done.kept_journal}."
    print(f"Restored {workbook_path(args)} and its journal from {done.backup.folder} (taken "
          f"{_when(done.backup.taken_at)}, {plural(done.backup.updates, 'update')}).{kept} Start the service again: "
          "updates journalled after the backup are gone; the next start writes those the backup held as waiting.")
    return EXIT_OK


#: Where `sli run` (make run) keeps its working copy of the committed workbook: ignored by git.
TRIAL_FOLDER = DEFAULT_WORKBOOK.parent / "trial"
#: Commands that change the workbook or its journal: run on the committed workbook while a trial copy is there,
#: they say so (someone trying the README's examples left out the export), and go on: the default is still
#: what a real deployment points at.
#: Commands that write the workbook they are given (the bots and the add-in write partner leads' updates into it).
WRITING_COMMANDS = ("update", "assure", "send-back", "sync", "purge", "restore", "bot", "teams", "addin", "serve")


def trial_workbook(committed: Path = DEFAULT_WORKBOOK) -> tuple[Path, bool]:
    """The working copy `sli run` tries things on, so that trying the product leaves the repository
    (the committed workbook, its journal, lock and backups) as it was; (path, made just now).

    A new copy gets the illustrative year that led to the committed workbook (`add_sample_history`), so
    history, the summary, the trend and the report have something to show. It is made in a folder of its own
    beside the trial folder and renamed into place once whole: a copy interrupted half-way is never used."""
    copy = TRIAL_FOLDER / committed.name
    if copy.is_file():
        return copy, False
    if not committed.is_file():  # run outside the repository: read_appendix says so in a sentence
        return committed, False
    if TRIAL_FOLDER.exists():
        raise QueryError(f"{TRIAL_FOLDER}/ is there without {copy.name} in it: delete the folder to start the trial "
                         "again from the committed workbook.")
    making = Path(tempfile.mkdtemp(prefix=".trial-", dir=TRIAL_FOLDER.parent))
    making.chmod(committed.parent.stat().st_mode & 0o777)  # as the folder it sits in, not mkdtemp's 0700
    try:
        made = making / committed.name
        usecases.write_file(usecases.context(usecases.Store.for_workbook(committed)), made,
                            lambda path: shutil.copy2(committed, path))
        usecases.add_sample_history(usecases.context(usecases.Store.for_workbook(made)))
        try:
            making.rename(TRIAL_FOLDER)
        except OSError:  # another `sli run` made it first: use theirs
            if not copy.is_file():
                raise
            return copy, False
    finally:
        shutil.rmtree(making, ignore_errors=True)
    return copy, True


def cmd_run(args: argparse.Namespace) -> int:
    """`make run`: check the workbook, show the table, serve the add-in locally, open the bot. On a
    working copy of the committed workbook unless --workbook or SLI_WORKBOOK names one."""
    if settings_of(args).workbook != DEFAULT_WORKBOOK:  # --workbook or SLI_WORKBOOK named one
        path = workbook_path(args)
    else:
        path, made = trial_workbook()
        if path != DEFAULT_WORKBOOK:
            print(f"{'Made' if made else 'Using'} a working copy of {DEFAULT_WORKBOOK} for this trial: {path} "
                  f"(ignored by git{', with an illustrative year of updates' if made else ''}). To start again "
                  f"from the committed workbook, delete {TRIAL_FOLDER}/.")
            print(f"To run the README's `sli` examples on this copy, in another terminal: . .venv/bin/activate && "
                  f"export SLI_WORKBOOK=$PWD/{path}")
    args = argparse.Namespace(**{**vars(args), "workbook": str(path), "context": None,
                                 "settings": settings_of(args).with_workbook(path)})
    cmd_validate(argparse.Namespace(**vars(args), path=None))
    print()
    cmd_list(argparse.Namespace(**vars(args), status=None, lead=None))
    print()
    if args.addin_port:
        import time

        from excel.server import serve_local_in_background

        server = serve_local_in_background(settings_of(args), args.addin_port)
        for _ in range(100):
            if server.started:
                break
            time.sleep(0.05)
        if server.started and server.config.is_ssl:
            base = f"https://127.0.0.1:{args.addin_port}"
            print(f"Excel add-in (local trial, no sign-in): {base}/taskpane; to try it in Excel, sideload "
                  f"{base}/manifest/download (README, 'Installing the add-in').")
        elif server.started:
            print(f"Excel add-in (local trial, no sign-in): task pane http://127.0.0.1:{args.addin_port}/taskpane "
                  "(it runs inside Excel; a browser shows how to load it). Excel loads add-ins over HTTPS only: to "
                  "sideload it, make a local certificate with "
                  "mkcert (`mkcert -install`, then in excel/certs: `mkcert localhost 127.0.0.1 ::1`) and run "
                  "`make run` again, which then serves https (README, 'Installing the add-in').")
        else:
            print(f"The Excel add-in could not start on port {args.addin_port} (is it in use?); "
                  "the bot runs without it.")
    return cmd_bot(argparse.Namespace(**vars(args), http=False, port=3000, host="0.0.0.0", console=False,
                                      as_user=None))


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


if __name__ == "__main__":
    sys.exit(main())
