"""The Appendix 1 workbook's shape: sheet and column names, the status vocabulary, refs.

Code finds columns by their header text, never by position, because officers reorder
and insert columns in Excel. Everything that names a sheet or a column imports it from here.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAIN_SHEET = "Appendix 1"
LISTS_SHEET = "Lists"
LEADS_SHEET = "Leads"
LOG_SHEET = "Change log"

REF = "Ref"
RECOMMENDATION = "Recommendation"
PRIORITY = "Framework priority"
LEAD_ORG = "Lead organisation"
LEAD_OFFICER = "Lead officer"
STATUS = "Status"
SUMMARY = "Summary of status"
NEXT_STEPS = "Next steps"
DUE = "Next step due"
LAST_UPDATED = "Last updated"
UPDATED_BY = "Updated by"
#: Optional Appendix 1 columns of assurance (a workbook without them asks for none, as before): the
#: accountable role(s) of each recommendation, the evidence a Complete claim carries, and who assured it when.
ACCOUNTABLE = "Accountable"
EVIDENCE = "Evidence"
ASSURED_BY = "Assured by"
ASSURED_ON = "Assured on"
ASSURANCE_COLUMNS = (ACCOUNTABLE, EVIDENCE, ASSURED_BY, ASSURED_ON)
#: Change log fields with no cell of their own: what an assurance says, and why a claim was sent back.
ASSURANCE_NOTE = "Assurance note"
SENT_BACK = "Sent back"
LOG_ONLY_FIELDS = (ASSURANCE_NOTE, SENT_BACK)
#: How to add assurance to a workbook made before it (said once by `sli validate`, and by a refusal).
HOW_TO_ADD_ASSURANCE = ("To ask for assurance of Complete claims, add the columns Accountable, Evidence, Assured by "
                        "and Assured on to Appendix 1, Accountable for to Leads and Accountable roles to Lists "
                        "(README, 'Assurance'; `sli workbook init` makes a workbook with them).")
#: How a Complete claim reads until someone accountable assures it.
AWAITING_ASSURANCE = "Complete, awaiting assurance"

MAIN_COLUMNS = (
    REF, RECOMMENDATION, PRIORITY, LEAD_ORG, LEAD_OFFICER, STATUS,
    SUMMARY, NEXT_STEPS, DUE, LAST_UPDATED, UPDATED_BY,
)
#: Columns the write path may change on an update (the others are officers' own).
UPDATABLE = (STATUS, SUMMARY, NEXT_STEPS, DUE)
#: Every field an update may write, in the order its Change log rows go in: people's fields, the evidence
#: of a claim (when the workbook has the column), the assurance, and the fields logged without a cell.
WRITTEN = (*UPDATABLE, EVIDENCE, ASSURED_BY, ASSURED_ON, *LOG_ONLY_FIELDS)
DATE_COLUMNS = (DUE, LAST_UPDATED, ASSURED_ON)

LEADS_COLUMNS = ("Lead organisation", "Name", "Slack user ID", "Role")
#: Optional Leads column (a workbook without it still reads): the person's Microsoft Entra object ID, by which
#: a partner lead in Microsoft Teams is known (Teams sends it as `from.aadObjectId`).
LEADS_ENTRA_COLUMN = "Entra object ID"
#: Optional Leads column: the accountable role(s) the person holds, from `Lists`' `Accountable roles`,
#: separated by `;` (who may assure a Complete claim on a recommendation accountable to that role).
LEADS_ACCOUNTABLE_COLUMN = "Accountable for"
LIST_STATUSES = "Statuses"
LIST_LEAD_ORGS = "Lead organisations"
LIST_PRIORITIES = "Framework priorities"
LISTS_COLUMNS = (LIST_STATUSES, LIST_LEAD_ORGS, LIST_PRIORITIES)
#: Optional Lists columns of assurance. `Accountable roles`: the roles Appendix 1's `Accountable` may name.
#: `Board`, `Reported to by`, `Only priorities`: one row a board; it sees the recommendations accountable to
#: any role listed in `Reported to by` (`All` for every recommendation), and, when `Only priorities` names
#: framework priorities, only those among them (`sli report --for BOARD`). Lists inside a cell use `;`.
LIST_ROLES = "Accountable roles"
LIST_BOARD = "Board"
LIST_BOARD_ROLES = "Reported to by"
LIST_BOARD_PRIORITIES = "Only priorities"
#: `Reported to by` for a board that sees every recommendation.
ALL_ROLES = "All"
#: The separator of several roles (or priorities) in one cell.
LIST_SEPARATOR = ";"

NOT_STARTED, ON_TRACK, AT_RISK, OFF_TRACK, COMPLETE = (
    "Not started", "On track", "At risk", "Off track", "Complete",
)
STATUSES = (NOT_STARTED, ON_TRACK, AT_RISK, OFF_TRACK, COMPLETE)

VIA_SLACK, VIA_EXCEL, VIA_CLI, VIA_TEAMS = "Slack", "Excel", "CLI", "Teams"

#: How many header rows from the top the reader looks through for the header.
HEADER_SEARCH_ROWS = 20

_REF_PATTERN = re.compile(r"^\s*#?\s*(?:l|ref)?\s*0*(\d{1,3})\s*$", re.IGNORECASE)


class RefError(ValueError):
    """The text does not name a recommendation."""


def normalise_ref(text: object) -> str:
    """Turn what people type for a recommendation (`L7`, `7`, `l07`, `#7`) into `L7`: the one place refs are read,
    by the command line, both bots, the add-in and the workbook reader.

    One rule for other scripts, the kinder one for people typing on phones: the text is read after NFKC (full-width
    `Ｌ７`, `＃７`, the ideographic space become `L7`, `#7`, ` `) and every Unicode decimal digit (category Nd:
    Arabic-Indic `٧`, Devanagari `७`, full-width `７`...) counts as its digit, so `L٧`, `Ｌ７` and `l07` all read
    as L7. A Ref cell written so gets the `ref_format` warning, like `l07`.
    """
    if text.__class__ is str and (known := _REFS_READ.get(text)) is not None:
        return known
    ref = _read_ref(text)
    if text.__class__ is str:
        if len(_REFS_READ) >= _KEEP_REFS:
            _REFS_READ.clear()
        _REFS_READ[text] = ref
    return ref


#: The refs `normalise_ref` read from texts (text -> `L7`), at most `_KEEP_REFS` of them: an update reads its ref
#: as typed, then every row's Ref cell it reads again, mostly the same few texts (the NFKC form and the pattern
#: are most of a read). Only texts are kept: 1, 1.0 and True are equal keys but not the same ref.
_REFS_READ: dict[str, str] = {}
_KEEP_REFS = 512


def _read_ref(text: object) -> str:
    """`normalise_ref`, worked out."""
    if isinstance(text, float) and text.is_integer():
        text = int(text)  # a number typed in the Ref cell, as calamine reads it: 7.0
    typed = unicodedata.normalize("NFKC", str(text))
    if not typed.isascii():
        typed = "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in typed)
    match = _REF_PATTERN.match(typed)
    if not match or int(match.group(1)) == 0:
        raise RefError(f"'{text}' is not a recommendation reference: use L1 to L22, e.g. L7 or 7.")
    return f"L{int(match.group(1))}"


def column_letter(index: int) -> str:
    """0-based column index to Excel letters (0 -> A, 27 -> AB)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


class HeaderError(ValueError):
    """The sheet has no row holding the expected column headers."""


@dataclass(frozen=True)
class HeaderMap:
    """Where the header sits: its 0-based row in the grid and each column's 0-based index."""

    row: int
    columns: dict[str, int]

    def letter(self, column: str) -> str:
        return column_letter(self.columns[column])


def _header_key(value: object) -> str:
    return " ".join(str(value).split()).casefold()


def find_header(grid: list[list[object]], required: tuple[str, ...], sheet: str) -> HeaderMap:
    """Find the row holding every `required` header (case and spacing ignored) and map the columns.

    Columns not in `required` (officers' additions) are ignored; their position does not matter.
    """
    wanted = {_header_key(name): name for name in required}
    best_missing: list[str] = list(required)
    for row_index, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        found: dict[str, int] = {}
        for col_index, value in enumerate(row):
            name = wanted.get(_header_key(value)) if value not in (None, "") else None
            if name and name not in found:
                found[name] = col_index
        if len(found) == len(required):
            return HeaderMap(row=row_index, columns=found)
        missing = [name for name in required if name not in found]
        if len(missing) < len(best_missing):
            best_missing = missing
    raise HeaderError(
        f"The sheet '{sheet}' has no header row with the columns {', '.join(best_missing)}."
    )


def with_optional(grid: list[list[object]], header: HeaderMap, optional: tuple[str, ...]) -> HeaderMap:
    """The header with the `optional` columns its row also holds (case and spacing ignored); those it does
    not hold are left out, so a workbook made before them reads as it always did."""
    row = grid[header.row] if header.row < len(grid) else []
    wanted = {_header_key(name): name for name in optional if name not in header.columns}
    found = dict(header.columns)
    for index, value in enumerate(row):
        name = wanted.get(_header_key(value)) if value not in (None, "") else None
        if name and name not in found:
            found[name] = index
    return HeaderMap(header.row, found)


def split_list(value: object) -> tuple[str, ...]:
    """A cell holding several roles or priorities (`Director of Public Health; LSCB Chair`) as its items,
    spaces trimmed, empty ones left out; a line break separates as `;` does."""
    text = "" if value is None else str(value)
    return tuple(item.strip() for item in text.replace("\n", LIST_SEPARATOR).split(LIST_SEPARATOR) if item.strip())


_ADDRESS = re.compile(r"^([A-Z]{1,3})(\d+)$")


def split_address(address: str) -> tuple[int, int]:
    """`F7` -> (6, 7): 1-based column number and row number."""
    match = _ADDRESS.match(address)
    if not match:
        raise ValueError(f"not a cell address: {address}")
    column = 0
    for char in match.group(1):
        column = column * 26 + ord(char) - 64
    return column, int(match.group(2))
