"""The validation rules of assurance that need more than one row: roles named in Appendix 1, Leads and the
boards checked against sheet Lists' `Accountable roles`, and `Assured by` against who holds the role.

The one-row rules (evidence on a Complete claim, `Assured by` with `Assured on`) are in rules/row.py's
`check_row`, so an update is refused by them; these run with them in `validate` (`sli validate`, the add-in).
"""

from __future__ import annotations

from shared.domain import assurance as a
from shared.domain import schema as s
from shared.domain.model import Appendix
from shared.domain.rules import ERROR, WARNING, Finding
from shared.domain.values import cell_text


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def check_assurance(appendix: Appendix) -> list[Finding]:
    """Every finding about assurance across the sheets; none for a workbook without the columns (whose
    Appendix 1 has some of them but not all is told which are missing). `Assured by` is checked against the
    holders only when the Leads sheet was read (the add-in may validate Appendix 1 and Lists alone)."""
    present = [c for c in s.ASSURANCE_COLUMNS if c in appendix.header.columns]
    if not present:
        return []
    header_cell = appendix.sheet.cell(appendix.header.row, appendix.header.columns[present[0]])
    if len(present) < len(s.ASSURANCE_COLUMNS):
        missing = ", ".join(c for c in s.ASSURANCE_COLUMNS if c not in present)
        return [Finding(header_cell, ERROR, f"Appendix 1 has some assurance columns but not {missing}: add "
                        "them, or no assurance is asked.", "assurance_columns", present[0])]
    roles = {_key(role): role for role in appendix.roles}
    found: list[Finding] = []
    if not roles:
        found.append(Finding(header_cell, ERROR, f"Sheet Lists has no column '{s.LIST_ROLES}': list the "
                             "accountable roles there (at least Director of Public Health and LSCB Chair).",
                             "roles_missing", s.ACCOUNTABLE))
    known = ", ".join(appendix.roles)
    for row in appendix.rows.values():
        named = a.roles_of(row)
        if not named:
            found.append(Finding(appendix.locate(row.ref, s.ACCOUNTABLE), WARNING,
                                 "No accountable role: a Complete claim on it is counted without assurance. "
                                 f"Choose one from sheet Lists ({known or s.LIST_ROLES}).",
                                 "accountable_missing", s.ACCOUNTABLE, row.ref))
        for role in named:
            if roles and _key(role) not in roles:
                found.append(Finding(appendix.locate(row.ref, s.ACCOUNTABLE), ERROR,
                                     f"'{role}' is not an accountable role on sheet Lists: use one of {known}.",
                                     "accountable_unknown", s.ACCOUNTABLE, row.ref))
        assured_by = cell_text(row[s.ASSURED_BY]).strip()
        holders = {_key(lead.name) for lead in a.holders(appendix, row)}
        if assured_by and named and appendix.leads and _key(assured_by) not in holders:
            found.append(Finding(appendix.locate(row.ref, s.ASSURED_BY), ERROR,
                                 f"{assured_by} does not hold {' or '.join(named)} (sheet Leads, column "
                                 f"Accountable for): only {a.holder_names(appendix, row)} can assure it.",
                                 "assured_by_not_holder", s.ASSURED_BY, row.ref))
    for lead in appendix.leads:
        for role in lead.accountable_for:
            if roles and _key(role) not in roles:
                found.append(Finding("", ERROR, f"Leads: {lead.name or 'a row'} is given the role '{role}', which "
                                     f"is not an accountable role on sheet Lists: use one of {known}.",
                                     "lead_role_unknown", s.LEADS_ACCOUNTABLE_COLUMN))
    for board in appendix.boards:
        for role in board.roles:
            if roles and _key(role) != _key(s.ALL_ROLES) and _key(role) not in roles:
                found.append(Finding("", ERROR, f"Lists: the board {board.name} is reported to by '{role}', which "
                                     f"is not an accountable role: use one of {known}, or {s.ALL_ROLES}.",
                                     "board_role_unknown", s.LIST_BOARD_ROLES))
    return found
