"""The model of Appendix 1 that every reader builds and every use case reads: frozen, so what a cached
read hands out cannot be changed by whoever receives it (a caller that needs other values makes new ones).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from types import MappingProxyType

from shared.domain import schema as s


def frozen_mapping(values: Mapping) -> Mapping:
    """A read-only view of a copy of `values`."""
    return values if isinstance(values, MappingProxyType) else MappingProxyType(dict(values))


@dataclass(frozen=True)
class Sheet:
    """One sheet's used range: `grid[0][0]` sits at sheet position `origin` (0-based row, column)."""

    name: str
    grid: tuple[tuple[object, ...], ...]
    origin: tuple[int, int]

    def __post_init__(self) -> None:
        object.__setattr__(self, "grid", tuple(tuple(row) for row in self.grid))

    def cell(self, row_index: int, col_index: int) -> str:
        """Sheet address of grid position (row_index, col_index)."""
        return f"{s.column_letter(self.origin[1] + col_index)}{self.origin[0] + row_index + 1}"


@dataclass(frozen=True)
class Recommendation:
    """One row of Appendix 1, by column name, with where it sits in the sheet."""

    ref: str
    values: Mapping[str, object]
    sheet_row: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", frozen_mapping(self.values))

    def with_values(self, changes: Mapping[str, object]) -> Recommendation:
        """The same row with some values changed (a new object: this one stays as read)."""
        return Recommendation(self.ref, {**self.values, **changes}, self.sheet_row)

    def __getitem__(self, column: str) -> object:
        return self.values.get(column)

    @property
    def status(self) -> str:
        return str(self.values.get(s.STATUS) or "").strip()

    @property
    def lead_org(self) -> str:
        return str(self.values.get(s.LEAD_ORG) or "")

    @property
    def due(self) -> date | None:
        value = self.values.get(s.DUE)
        return value if isinstance(value, date) else None


@dataclass(frozen=True)
class Lead:
    lead_organisation: str
    name: str
    slack_user_id: str
    role: str
    #: The person's Microsoft Entra object ID (Teams' `from.aadObjectId`), lower case; '' if not given.
    entra_object_id: str = ""
    #: The accountable roles the person holds (Leads' optional `Accountable for`): who may assure.
    accountable_for: tuple[str, ...] = ()


@dataclass(frozen=True)
class Board:
    """A board that receives its own paper (`sli report --for BOARD`), from sheet Lists: the accountable
    roles that report to it (`("All",)` for every recommendation) and, if any, the only framework
    priorities it sees."""

    name: str
    roles: tuple[str, ...]
    priorities: tuple[str, ...] = ()


@dataclass(frozen=True)
class Appendix:
    """What one read of the workbook gives: the main sheet, its header, its rows, the lists and leads."""

    path: Path
    sheet: Sheet
    header: s.HeaderMap
    rows: Mapping[str, Recommendation]
    statuses: tuple[str, ...] = ()
    lead_orgs: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    leads: tuple[Lead, ...] = ()
    #: Lists' `Accountable roles` and boards (empty in a workbook without them).
    roles: tuple[str, ...] = ()
    boards: tuple[Board, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "rows", frozen_mapping(self.rows))
        for name in ("statuses", "lead_orgs", "priorities", "leads", "roles", "boards"):
            object.__setattr__(self, name, tuple(getattr(self, name)))

    @property
    def has_assurance(self) -> bool:
        """Whether Appendix 1 has all four assurance columns (Accountable, Evidence, Assured by, Assured on):
        without them no assurance is asked, as before they existed."""
        return all(column in self.header.columns for column in s.ASSURANCE_COLUMNS)

    def with_row(self, row: Recommendation) -> Appendix:
        """The same read with one row replaced (a new object)."""
        return replace(self, rows={**self.rows, row.ref: row})

    def get(self, ref: str) -> Recommendation | None:
        return self.rows.get(s.normalise_ref(ref))

    def locate(self, ref: str, column: str) -> str:
        """Sheet address of `column` in the row of `ref` (e.g. `F7`)."""
        col = self.sheet.origin[1] + self.header.columns[column]
        return f"{s.column_letter(col)}{self.rows[ref].sheet_row}"
