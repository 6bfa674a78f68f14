"""Checking a workbook against the shared rules: the file (`sli validate`, any file) and the workbook open in
Excel (the add-in's *Validate*) go through the one `validate`, so the two can never disagree."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.domain import rules
from shared.domain import schema as s
from shared.domain.assurance_rules import check_assurance
from shared.domain.model import Appendix, Sheet
from shared.reader import WorkbookError, appendix_from_sheets
from shared.uow import Context, Store, as_context
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
    if workbook is None:
        current = ctx.read().appendix()
    elif isinstance(workbook, OpenBook):
        current = workbook.appendix()
    else:  # another file: read as the file's own context would (its unit of work), with this one's clock
        current = Context.for_store(Store.for_workbook(workbook), ctx.clock).read().appendix()
    findings = rules.check_grid(current.sheet.grid, origin=current.sheet.origin,
                                lead_orgs=current.lead_orgs or None, today=ctx.today())
    return current, findings + check_assurance(current)
