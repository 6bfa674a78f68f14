"""Cell values between our domain and Graph's range JSON: what to send so Excel cannot retype text, and how
to compare what Graph reads with what the workbook's copy held (dates are serial numbers there)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from shared.domain import schema as s

#: Excel's day 0 (serial numbers count days from here; see field notes on 1900).
EPOCH = datetime(1899, 12, 30)
DATE_FORMAT = "dd/mm/yyyy"
TIME_FORMAT = "dd/mm/yyyy hh:mm"
_CELL = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


def serial(value: date | datetime) -> float:
    """Excel's serial number of a day or a moment (a time zone is dropped: the workbook's times are local)."""
    moment = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
    return (moment.replace(tzinfo=None) - EPOCH) / timedelta(days=1)


def to_graph(value: object, cell_format: str = "General", time_format: str = TIME_FORMAT) -> tuple[object, str | None]:
    """(what to send as the value, the number format to set or None). Text keeps Excel's quote prefix unless
    the cell is formatted as text (`@`), so `07/08/2026`, `+44…`, `TRUE` or `=…` stay the text they were."""
    if value is None or value == "":
        return "", None
    if isinstance(value, bool | int | float):
        return value, None
    if isinstance(value, datetime):
        return serial(value), time_format
    if isinstance(value, date):
        return serial(value), DATE_FORMAT
    text = str(value)
    return (text if cell_format == "@" else "'" + text), None


def comparable(value: object) -> object:
    """A value as both sides can be compared: empty as "", days and moments as serials, numbers as floats."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, datetime | date):
        return round(serial(value), 5)
    if isinstance(value, int | float):
        return round(float(value), 5)
    return str(value)


def same(graph_value: object, value: object) -> bool:
    """Whether Graph's value of a cell is the value the copy (or the write) had."""
    return comparable(graph_value) == comparable(value)


def position(address: str) -> tuple[int, int]:
    """(row, column), both 1-based, of `B7`."""
    match = _CELL.match(address.split("!")[-1])
    if not match:
        raise ValueError(f"not a cell address: {address}")
    letters, row = match.groups()
    column = 0
    for letter in letters.upper():
        column = column * 26 + ord(letter) - 64
    return int(row), column


def span(first_row: int, first_column: int, last_row: int, last_column: int) -> str:
    """`A1:C3` from 1-based corners."""
    return (f"{s.column_letter(first_column - 1)}{first_row}:{s.column_letter(last_column - 1)}{last_row}")


def used_corner(address: str) -> tuple[int, int, int, int]:
    """(first row, first column, last row, last column) of a usedRange's `Sheet!B2:H57`."""
    first, _, last = address.split("!")[-1].partition(":")
    r1, c1 = position(first)
    r2, c2 = position(last or first)
    return r1, c1, r2, c2
