"""The whole-sheet rules: refs valid, once each, all 22 there; every row checked by check_row."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from shared.domain import schema as s
from shared.domain.rules.findings import ERROR, WARNING, Finding, _blank
from shared.domain.rules.row import check_row

EXPECTED_REFS = tuple(f"L{n}" for n in range(1, 23))


def check_grid(grid: Sequence[Sequence[object]], *, origin: tuple[int, int] = (0, 0),
               lead_orgs: Iterable[str] | None, today: date | None = None) -> list[Finding]:
    """Every rule over the Appendix 1 sheet given as a grid of cell values.

    `origin` is the sheet position (0-based row, column) of grid[0][0], so findings name the
    cells officers see. Raises schema.HeaderError when the header row is not there.
    """
    today = today or date.today()
    header = s.find_header([list(r) for r in grid], s.MAIN_COLUMNS, s.MAIN_SHEET)
    header = s.with_optional([list(r) for r in grid[:header.row + 1]], header, s.ASSURANCE_COLUMNS)
    row0, col0 = origin
    known = list(lead_orgs) if lead_orgs is not None else None
    header_cell = f"{s.column_letter(col0 + header.columns[s.REF])}{row0 + header.row + 1}"
    found: list[Finding] = []
    seen_refs: dict[str, str] = {}

    for index in range(header.row + 1, len(grid)):
        row = grid[index]
        values = {name: (row[col] if col < len(row) else None) for name, col in header.columns.items()}
        if all(_blank(v) for v in values.values()):
            continue
        sheet_row = row0 + index + 1

        def locate(column: str, sheet_row: int = sheet_row) -> str:
            return f"{s.column_letter(col0 + header.columns[column])}{sheet_row}"

        ref_cell = locate(s.REF)
        raw_ref = values.get(s.REF)
        try:
            ref = s.normalise_ref(raw_ref)
        except s.RefError:
            found.append(Finding(ref_cell, ERROR, f"'{raw_ref or ''}' is not a reference like L7: "
                                 "every recommendation needs its ref.", "ref_invalid", s.REF))
            ref = ""
        if ref and ref != str(raw_ref).strip():
            found.append(Finding(ref_cell, WARNING, f"Ref '{raw_ref}' should be written {ref}.",
                                 "ref_format", s.REF, ref))
        if ref in seen_refs:
            found.append(Finding(ref_cell, ERROR, f"{ref} appears twice (also in {seen_refs[ref]}): "
                                 "each recommendation has one row.", "ref_duplicate", s.REF, ref))
        elif ref:
            seen_refs[ref] = ref_cell
        found.extend(check_row({**values, s.REF: ref or raw_ref}, locate, lead_orgs=known, today=today))

    missing = [ref for ref in EXPECTED_REFS if ref not in seen_refs]
    if missing:
        found.append(Finding(header_cell, ERROR, f"No row for {', '.join(missing)}: every one of "
                             "the 22 recommendations needs its row.", "ref_missing", s.REF))
    return found
