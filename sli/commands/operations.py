"""Operations: backup, restore, and `sli run` on a trial copy of the committed workbook."""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from shared import usecases
from shared.domain.queries import QueryError
from shared.domain.values import plural
from shared.settings import DEFAULT_WORKBOOK
from sli.commands.bots import cmd_bot
from sli.commands.reading import cmd_list, cmd_validate
from sli.common import (
    EXIT_OK,
    settings_of,
    workbook_path,
)
from sli.render import _when


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
