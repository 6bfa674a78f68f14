"""Commands that change the workbook: init, update, purge, sync, and the exit code of an update."""

from __future__ import annotations

import argparse

from shared import usecases
from shared.domain import schema as s
from shared.domain import update as j
from shared.domain.update import NOT_RECORDED, UpdateRequest
from sli.common import (
    EXIT_CONFLICT,
    EXIT_FINDINGS,
    EXIT_NOT_RECORDED,
    EXIT_OK,
    EXIT_PENDING,
    context_of,
    settings_of,
)


def cmd_init(args: argparse.Namespace) -> int:
    path = usecases.init_workbook(context_of(args), args.path)
    print(f"Wrote {path}.")
    return EXIT_OK


def cmd_update(args: argparse.Namespace) -> int:
    changes = {column: value for column, value in (
        (s.STATUS, args.status), (s.SUMMARY, args.summary), (s.NEXT_STEPS, args.next), (s.DUE, args.due),
        (s.EVIDENCE, args.evidence)) if value is not None}
    return _outcome(usecases.submit(context_of(args), UpdateRequest(args.ref, changes, s.VIA_CLI, by=args.by)))


def _outcome(result: usecases.UpdateResult) -> int:
    """An update's (or an assurance's) findings and sentence printed, and its exit code."""
    for finding in result.findings:
        print(finding.line())
    print(result.message)
    return {j.APPLIED: EXIT_OK, j.PENDING: EXIT_PENDING, j.WRITING: EXIT_PENDING, j.IN_EXCEL: EXIT_PENDING,
            j.CONFLICT: EXIT_CONFLICT, NOT_RECORDED: EXIT_NOT_RECORDED}.get(result.state, EXIT_FINDINGS)


def cmd_purge(args: argparse.Namespace) -> int:
    """`sli purge`: what the journal need no longer keep, past the retention the admin set (README, "Personal
    data")."""
    print(usecases.purge(context_of(args), settings_of(args).retention_days, dry_run=args.dry_run).sentence)
    return EXIT_OK


def cmd_sync(args: argparse.Namespace) -> int:
    results = usecases.process_pending(context_of(args), force=args.force)
    for result in results:
        print(f"{result.ref}: [{result.state}] {result.message}")
    if not results:
        print("No updates waiting.")
    return EXIT_PENDING if any(r.state in j.OPEN_STATES for r in results) else EXIT_OK
