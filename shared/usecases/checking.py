"""Checking a workbook against the shared rules: the file (`sli validate`, any file) and the workbook open in
Excel (the add-in's *Validate*) go through the one `validate`, so the two can never disagree.

An assurance typed into Excel (filling `Assured by` and `Assured on` by hand) is checked as the chats' and the
command line's are: the rules say that only a holder of the row's accountable role may assure it
(shared/domain/assurance_rules.py); `_typed_assurances` adds the other half of the domain's `may_assure`,
never the person who made the claim, for the assurances the core did not write (it checked its own). Who made
the claim is the domain's `find_claim`: the last Change log row that set Complete, else the row's `Updated by`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.domain import assurance as a
from shared.domain import rules
from shared.domain import schema as s
from shared.domain.assurance_rules import check_assurance
from shared.domain.logrow import LogRow
from shared.domain.model import Appendix, Sheet
from shared.domain.values import cell_text
from shared.reader import WorkbookError, appendix_from_sheets
from shared.uow import AbstractUnitOfWork, Context, Store, as_context
from shared.writers import LOG_TIME_FORMAT, excel_value  # noqa: F401 (how the add-in writes into the open book)


@dataclass(frozen=True)
class OpenBook:
    """The workbook open in Excel as the add-in gives it to the use cases: its name, its sheets' values as
    the add-in read them (None for a sheet it does not have), and the xlwings `book` itself, which the
    use case writes pending updates into (`apply_to_open_book`)."""

    name: str
    main: Sheet | None
    lists: Sheet | None = None
    leads: Sheet | None = None
    log: Sheet | None = None
    book: Any = None

    def appendix(self, path: Path | None = None) -> Appendix:
        """Its Appendix 1, with its lists (and leads, when read); `WorkbookError` when it is not one."""
        if self.main is None:
            raise WorkbookError(f"This workbook has no sheet called '{s.MAIN_SHEET}'.")
        return appendix_from_sheets(path or Path(self.name), self.main, self.lists, self.leads)


def validate(ctx: Context | Store, workbook: Path | OpenBook | None = None) -> tuple[Appendix, list[rules.Finding]]:
    """Every finding of the shared rules on an Appendix 1, as of `ctx`'s today: the context's workbook
    (None), another file (`sli validate FILE`), or the workbook open in Excel (an `OpenBook`). Raises
    `WorkbookError` (one sentence) when it is not one."""
    ctx = as_context(ctx)
    reader: AbstractUnitOfWork | None = None
    if workbook is None:
        reader = ctx.read()
        current = reader.appendix()
    elif isinstance(workbook, OpenBook):
        current = workbook.appendix()
    else:  # another file: read as the file's own context would (its unit of work), with this one's clock
        reader = Context.for_store(Store.for_workbook(workbook), ctx.clock).read()
        current = reader.appendix()
    findings = rules.check_grid(current.sheet.grid, origin=current.sheet.origin,
                                lead_orgs=current.lead_orgs or None, today=ctx.today())
    findings += check_assurance(current)
    if current.has_assurance and any(row[s.ASSURED_BY] for row in current.rows.values()):
        # The open book's Change log is the served workbook's (the add-in does not send it).
        findings += _typed_assurances(current, _change_log(lambda: reader or ctx.read()))
    return current, findings


def _change_log(read: Callable[[], AbstractUnitOfWork]) -> list[LogRow]:
    """Every year's Change log rows, or none when they cannot be read (the other rules still run)."""
    try:
        return read().change_log(since=None)
    except Exception:  # noqa: BLE001 - a missing or unreadable log: claims are then judged by their rows alone
        return []


# --- an assurance typed into Excel ---------------------------------------------------------------

#: The rule's name on sheet Validation.
CLAIMANT_RULE = "assured_by_claimant"


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _typed_assurances(appendix: Appendix, change_log: list[LogRow]) -> list[rules.Finding]:
    """An error on `Assured by` wherever it names the claimant and was typed into Excel (no Change log row of
    the core's records that assurance). `change_log`: the workbook's rows (every year's)."""
    found: list[rules.Finding] = []
    for row in appendix.rows.values():
        assured_by = cell_text(row[s.ASSURED_BY]).strip()
        if not assured_by or a.assurance_state(appendix, row) != a.ASSURED:
            continue
        log = [e for e in change_log if e.ref == row.ref]
        if any(e.field == s.ASSURED_BY and _key(e.new_value) == _key(assured_by) for e in log):
            continue  # written by the core, which checked it
        claim = a.find_claim(row, [], log)
        holders = [lead for lead in a.holders(appendix, row) if _key(lead.name) == _key(assured_by)]
        roles = {_key(role) for lead in holders for role in lead.accountable_for}
        permission = a.may_assure(appendix, row, holders[0].name if holders else assured_by, roles, claim)
        if not permission.allowed and claim.by and _key(claim.by) == _key(assured_by):
            found.append(rules.Finding(appendix.locate(row.ref, s.ASSURED_BY), rules.ERROR, permission.message,
                                       CLAIMANT_RULE, s.ASSURED_BY, row.ref))
    return found
