"""The due date rules: when a row is overdue, and what is wrong with a Next step due cell."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from shared.domain import schema as s
from shared.domain.rules.findings import ERROR, WARNING, _blank
from shared.domain.values import (
    EARLIEST_DUE,
    LATEST_DUE,
    DateParseError,
    NotADate,
    cell_text,
    day_text,
    due_in_range,
    parse_date,
)


def is_overdue(due: date | None, status: object, today: date) -> bool:
    """The one definition of overdue: a due date before today on a recommendation not complete."""
    return due is not None and status != s.COMPLETE and due < today


_RANGE = f"between {day_text(EARLIEST_DUE)} and {day_text(LATEST_DUE)}"


def _read_due(value: object) -> tuple[date | None, tuple[str, str, str] | None]:
    """A due cell's day, and the (severity, rule, sentence) of what is wrong with it, if anything.

    Whatever a reader or a person may put in the cell (text, a number, a time of day, a date in 1899)
    ends as a finding here, never an exception: the rules run on every update and every validation.
    """
    if _blank(value):
        return None, None
    if isinstance(value, NotADate | time | timedelta):
        return None, (ERROR, "due_not_date",
                      "Next step due holds a number Excel cannot show as a date (zero, a time of day or a "
                      f"date before 1900; Excel may show ####): enter the date, {_RANGE}.")
    typed_as_text = not isinstance(value, date | datetime)
    try:
        due = parse_date(value)
    except DateParseError:
        return None, (ERROR, "due_not_date",
                      f"Next step due '{cell_text(value)}' is not a date: write it like 31/01/2027.")
    if not due_in_range(due):
        return None, (ERROR, "due_out_of_range",
                      f"Next step due {day_text(due)} is outside the dates the tracker accepts: "
                      f"use a date {_RANGE}.")
    if typed_as_text:
        return due, (WARNING, "due_as_text",
                     f"Next step due '{value}' is text, not a date: retype it so Excel stores a date.")
    return due, None
