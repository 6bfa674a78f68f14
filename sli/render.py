"""Printing helpers for the `sli` commands: the status table, times and file words."""

from __future__ import annotations

import textwrap
from datetime import datetime

from shared import usecases
from shared.domain import schema as s
from shared.domain.values import cell_text, uk_time_text


def _status_table(appendix, rows) -> str:
    shown_status = [usecases.shown_status(appendix, row) for row in rows]
    width = max([11, *map(len, shown_status)])
    lines = [f"{'Ref':<4} {'Status':<{width}} {'Due':<10} {'Lead organisation':<44} Recommendation"]
    for row, status in zip(rows, shown_status, strict=True):
        recommendation = textwrap.shorten(str(row[s.RECOMMENDATION] or ""), 60, placeholder="...")
        lines.append(f"{row.ref:<4} {status:<{width}} {cell_text(row.due):<10} {row.lead_org[:44]:<44} "
                     f"{recommendation}")
    return "\n".join(lines)


def _when(value: object) -> str:
    """A Change log time or a journal time as people read it: UK time with the zone named (06/12/2026 21:45 GMT);
    a day alone (a row kept by hand) as 06/12/2026."""
    if isinstance(value, datetime | str):
        return uk_time_text(value)
    return cell_text(value)


def _file_word(text: str) -> str:
    """A board's name as part of a file name: letters and digits, the rest as `-` (`HWBB`, `Children-s-Board`)."""
    return "".join(ch if ch.isalnum() else "-" for ch in text.strip()).strip("-") or "board"
