"""Commands that read the workbook: validate, list, status, history, pending."""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path

from shared import usecases
from shared.domain import rules
from shared.domain import schema as s
from shared.domain.assurance import holder_names
from shared.domain.queries import QueryError
from shared.domain.values import cell_text, plural, shown
from sli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    context_of,
    settings_of,
    workbook_path,
)
from sli.render import _status_table, _when


def cmd_validate(args: argparse.Namespace) -> int:
    remote = settings_of(args).graph
    path = Path(args.path) if args.path else (remote.address.text if remote else workbook_path(args))
    appendix, findings = usecases.validate(context_of(args), Path(args.path) if args.path else None)
    for finding in findings:
        print(finding.line())
    count = len(rules.errors(findings))
    print(f"{path}: {plural(count, 'error')}, {plural(len(findings) - count, 'warning')} in "
          f"{plural(len(appendix.rows), 'recommendation')}.")
    if not any(column in appendix.header.columns for column in s.ASSURANCE_COLUMNS):
        print(s.HOW_TO_ADD_ASSURANCE)  # once, where a workbook made before assurance is checked
    return EXIT_FINDINGS if count else EXIT_OK


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
    elif usecases.shown_status(current, row) == s.AWAITING_ASSURANCE:
        print(f"Awaiting assurance by {holder_names(current, row)}.")
    return EXIT_OK


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


def cmd_pending(args: argparse.Namespace) -> int:
    entries = usecases.waiting(context_of(args))
    for e in entries:
        fields = ", ".join(f"{c}='{cell_text(v)}'" for c, v in e.changes.items())
        print(f"{e.id[:8]} {e.ref:<4} [{e.state}] {_when(e.created_at)} by {e.by} via {e.via}: {fields}")
        if e.detail.get("message"):
            print(f"    {e.detail['message']}")
    print(f"{plural(len(entries), 'update')} waiting." if entries else "No updates waiting.")
    return EXIT_OK
