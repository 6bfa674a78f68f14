"""The Change log row: the one place its columns are spelled out, and every form the row takes.

A row of the `Change log` sheet says that one field of one recommendation changed: when (UTC), which
recommendation, which field, from what to what, by whom, through which front end, in which update. The same
row lives in three places, and each used to spell it out for itself: the sheet (written by the package writer
and by the add-in's writer, read by the reader, by header text, since officers insert columns there), the
journal (an applied update keeps the rows it wrote as `detail.changes` = {field: [old, new]} and
`detail.written_at`), and the history that trend, the summary and `sli export` read back from the journal.
`LogRow` is that row: its fields in the sheet's order, the header names (`LogRow.HEADER`, nowhere else), and
the conversions to and from the sheet and the journal.

The sheet's values are text, dates as ISO (2027-01-31), so the log reads the same in any reader; the
journal keeps the text people were shown (dates as 31/01/2027, `cell_text`). Both are made from the same
values here, so one is read back from the other exactly: the history exported from the journal matches the
Change log row for row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import ClassVar

from shared.domain import schema as s
from shared.domain.values import cell_text

#: A day as people read it (and as the journal keeps it), with the time `cell_text` adds to a date-time.
_SHOWN_DAY = re.compile(r"^(\d{2})/(\d{2})/(\d{4})((?: \d{2}:\d{2})?)$")


def log_text(value: object, column: str | None = None) -> str:
    """A value of `column` as the Change log holds it: the text people read (`cell_text`: 3 for a number
    typed as 3, not 3.0), except that in a date column (or when no column is named) a date's day is written
    ISO, 2027-01-31 (2027-01-31 14:30 with a time), which every reader takes for the same day whatever its
    locale. A date in a text column (Excel turns a typed 12/3 into one) stays as people read it."""
    if isinstance(value, date) and (column is None or column in s.DATE_COLUMNS):
        if isinstance(value, datetime):  # the time as `cell_text` shows it: none at midnight, else hh:mm
            day = value.date().isoformat()
            return day if (value.hour, value.minute, value.second) == (0, 0, 0) else \
                f"{day} {value.hour:02d}:{value.minute:02d}"
        return value.isoformat()
    return cell_text(value)


def _iso_day(text: str) -> str:
    """31/01/2027 -> 2027-01-31 (and 31/01/2027 14:30 -> 2027-01-31 14:30); any other text as it is."""
    found = _SHOWN_DAY.match(text)
    return f"{found[3]}-{found[2]}-{found[1]}{found[4]}" if found else text


def _text(value: object) -> str:
    return "" if value is None else str(value)


@dataclass(frozen=True, slots=True)
class LogRow:
    """One Change log row: one field of one recommendation changed by one update."""

    when: datetime | date | str
    ref: str
    field: str
    old_value: str
    new_value: str
    by: str
    via: str
    update_id: str

    #: The Change log's header, in the order of the fields above: the one place the columns are named.
    HEADER: ClassVar[tuple[str, ...]] = ("When (UTC)", "Ref", "Field", "Old value", "New value", "By", "Via",
                                         "Update ID")

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The fields' names in the header's order: `when`, `ref`, ... `update_id`."""
        return _NAMES

    @classmethod
    def header_of(cls, name: str) -> str:
        """The header of the field `name`: `when` -> `When (UTC)`."""
        return cls.HEADER[_NAMES.index(name)]

    def values(self) -> tuple[object, ...]:
        """The row's values in the header's order."""
        return (self.when, self.ref, self.field, self.old_value, self.new_value, self.by, self.via, self.update_id)

    # --- the sheet ----------------------------------------------------------------------------

    @classmethod
    def of_change(cls, when: datetime, ref: str, field: str, old: object, new: object, by: str, via: str,
                  update_id: str) -> LogRow:
        """The row an update writes for one changed field, from the cell values (old and new as `log_text`)."""
        return cls(when, ref, field, log_text(old, field), log_text(new, field), by, via, update_id)

    def to_sheet_row(self, columns_by_header: Mapping[str, int]) -> dict[int, object]:
        """The row's cells by column number, given where each header is (officers move and insert columns)."""
        return {columns_by_header[name]: value for name, value in zip(self.HEADER, self.values(), strict=True)}

    @classmethod
    def from_sheet_row(cls, header: Mapping[str, int], values: Sequence[object]) -> LogRow | None:
        """The row read from a sheet's row of cells, each column found by its header (`header`: header name ->
        index in `values`, as `schema.find_header` gives it); None for a row empty in every log column.

        Text columns read as text ('' for an empty cell); a time at midnight exactly is a day (readers give
        a date cell as a date-time at 00:00), an empty time ''."""
        width = len(values)
        cells = [values[i] if i < width else None for i in (header[name] for name in cls.HEADER)]
        if all(v is None or v == "" for v in cells):
            return None
        when = cells[0]
        if isinstance(when, datetime) and (when.hour, when.minute, when.second) == (0, 0, 0):
            when = when.date()
        return cls("" if when is None else when, *map(_text, cells[1:]))

    # --- the journal --------------------------------------------------------------------------

    @staticmethod
    def journal_record(when: datetime, changed: Mapping[str, tuple[object, object]]) -> dict[str, object]:
        """What the journal keeps of the rows an applied update wrote (merged into its `detail`): when they
        were written (`written_at`, the rows' `when`) and each changed field's old and new value as the text
        people were shown (`changes`), from the same cell values `of_change` makes the rows of."""
        return {"written_at": when.isoformat(),
                "changes": {field: [cell_text(old), cell_text(new)] for field, (old, new) in changed.items()}}

    @staticmethod
    def write_time(detail: Mapping[str, object]) -> datetime | None:
        """When an applied update's rows were written, from what the journal keeps of them (`journal_record`);
        None when it kept no time (an update that changed nothing)."""
        at = detail.get("written_at")
        return datetime.fromisoformat(at) if isinstance(at, str) and at else None

    @classmethod
    def from_journal(cls, written_at: str, ref: str, field: str, old: object, new: object, by: str, via: str,
                     update_id: str) -> LogRow:
        """The Change log row an applied update wrote, from what the journal keeps of it (`journal_record`:
        its time as ISO text, values as shown): the row as the sheet holds it, a date column's days back to
        ISO. Exact for every value a cell may hold but one: a due date cell holding the *text* 31/01/2027
        (not a date; the rules flag it) reads back as the day 2027-01-31."""
        values = cls.journal_values(written_at, ref, field, old, new, by, via, update_id)
        return cls(datetime.fromisoformat(written_at), *values[1:])

    @staticmethod
    def journal_values(written_at: str, ref: str, field: str, old: object, new: object, by: str, via: str,
                       update_id: str) -> tuple[str, ...]:
        """`from_journal`'s values in the header's order, the time left as ISO text, without making the row:
        a frame of 100,000 rows needs no 100,000 objects."""
        if type(old) is not str or type(new) is not str:
            old, new = _text(old), _text(new)
        if field in s.DATE_COLUMNS:
            old, new = _iso_day(old), _iso_day(new)
        return (written_at, ref, field, old, new, by, via, update_id)


_NAMES = tuple(f.name for f in fields(LogRow))
