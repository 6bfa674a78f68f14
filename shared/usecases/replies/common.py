"""What every reply shares: how a form names each updatable column, the input limits, the stale
threshold, and how an empty value is shown."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.domain import schema as s
from shared.domain.values import shown

if TYPE_CHECKING:  # for the type hints only: the summary pulls in pandas and matplotlib
    pass


#: How a form names each updatable column: the Slack block id and the Teams input id, both.
FIELD_FOR = {s.STATUS: "status", s.SUMMARY: "summary", s.NEXT_STEPS: "next", s.DUE: "due", s.EVIDENCE: "evidence"}
#: Fields a form has only when the workbook has their column (Evidence: a workbook with assurance).
OPTIONAL_FIELDS = (s.EVIDENCE,)
COLUMN_FOR = {name: column for column, name in FIELD_FOR.items()}
CHOICE, TEXT, DATE = "choice", "text", "date"
#: The kind of input each field is, by field name.
FIELD_KINDS = {"status": CHOICE, "summary": TEXT, "next": TEXT, "due": DATE, "evidence": TEXT}
STATUSES = s.STATUSES
#: The longest text an input takes (the rules refuse more).
MAX_INPUT = 2000
#: How many days without an update the summary calls stale.
STALE_DAYS = 60


def shown_or_empty(value: object, column: str) -> str:
    return shown(value, column) or "(empty)"

