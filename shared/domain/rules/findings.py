"""What every rule returns: a `Finding`, its severities and `errors`; shared by every module of the rules."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from shared.domain import schema as s

ERROR = "error"
WARNING = "warning"
MAX_TEXT = 2000


@dataclass(frozen=True)
class Finding:
    """One problem in one cell: `where` names it for people, `cell` locates it for the add-in."""

    cell: str
    severity: str
    message: str
    rule: str
    column: str = ""
    ref: str = ""

    @property
    def where(self) -> str:
        """What the finding is about, in the words people use: the recommendation and the field
        (`L18 Next step due`), not the cell address, which moves when officers sort rows or insert columns
        (the add-in keeps `cell` to select it). A row without a ref is named by its row; a rule about the
        sheet as a whole (`ref_missing`) by the sheet."""
        if self.rule == "ref_missing":
            return s.MAIN_SHEET
        row = re.sub(r"^[A-Z]+", "", self.cell)
        subject = self.ref or (f"Row {row}" if row else "")
        return " ".join(part for part in (subject, self.column) if part) or self.cell

    def line(self) -> str:
        """The finding on one line, as `sli validate` and `sli update` print it."""
        return f"{self.where}: {self.severity}: {self.message}"


Locate = Callable[[str], str]
"""Maps a column name to the cell address of that column in the row being checked."""


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def errors(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == ERROR]
