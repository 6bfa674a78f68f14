"""The rules' last verdicts on an update, kept so the same question is not answered twice in one process.

An update is checked against the workbook when it is prepared (before it is journalled) and again when it is
written (the row may have changed since). In the common case nothing changed: the file read at the write is the
very `Appendix` the update was prepared against (the reader's cache gives the same object for the same save),
so the second check would repeat the first. The verdict is a pure function of the model, the row, the changes
and the day, and the model is frozen: a verdict is reused only for the same objects (by identity, never by an
equal-looking copy), the same changes (same values of the same types, in the same order) and the same day. A
file saved since (by Excel, or by an earlier update of the pass) is read as a new `Appendix`: checked anew.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import date
from typing import TypeVar

from shared.domain.bounded import Bounded
from shared.domain.model import Appendix, Recommendation

V = TypeVar("V")
#: A row's errors as `_check_update` compares them: (rule, column) of each.
Errors = frozenset[tuple[str, str]]
#: How many verdicts are kept: the bot prepares in its listeners' threads while its writer thread writes.
KEPT = 8


class VerdictMemo:
    """The last few verdicts, each with the objects and values it was given (held, so an identity is never
    taken for another object's after the first is freed)."""

    def __init__(self, kept: int = KEPT):
        self._kept = kept
        self._verdicts: list[tuple[Appendix, Recommendation, tuple, date, object]] = []
        self._lock = threading.Lock()

    def verdict(self, appendix: Appendix, row: Recommendation, changes: Mapping[str, object], today: date,
                decide: Callable[[], V]) -> V:
        """`decide()`, or its result for the very same question asked before."""
        key = _typed(changes)
        with self._lock:
            for kept_appendix, kept_row, kept_changes, kept_today, kept in self._verdicts:
                if kept_appendix is appendix and kept_row is row and kept_changes == key and kept_today == today:
                    return kept  # type: ignore[return-value]
        result = decide()
        with self._lock:
            self._verdicts.append((appendix, row, key, today, result))
            del self._verdicts[:-self._kept]
        return result


def _typed(changes: Mapping[str, object]) -> tuple:
    """The changes as a key that tells 1 from 1.0 and True, and a date from a datetime."""
    return tuple((column, type(value), value) for column, value in changes.items())


class ErrorsMemo:
    """The errors the rules find in a row as it stands (before an update), by what they depend on: its values
    (typed, as `_typed`), the lead organisations listed, the day and the columns the sheet has (where a finding
    is located). An update checks the row before and after its changes; the row after is the row the next update
    of it checks as its row before, so its errors are kept then and not worked out again. Only equal inputs
    give a kept result: never stale. Values that cannot be a key (none today) are checked each time."""

    def __init__(self, kept: int = 64):
        self._errors: Bounded[Errors] = Bounded(kept)

    def errors(self, values: Mapping[str, object], lead_orgs: tuple[str, ...] | None, today: date,
               columns: tuple[str, ...], decide: Callable[[], Errors]) -> Errors:
        """`decide()` (the (rule, column) of each error), or what it gave for equal inputs before."""
        key = (_typed(values), lead_orgs, today, columns)
        try:
            found = self._errors.get(key)
        except TypeError:  # a value that cannot be hashed: not kept
            return decide()
        if found is None:
            found = decide()
            self._errors.keep(key, found)
        return found

    def remember(self, values: Mapping[str, object], lead_orgs: tuple[str, ...] | None, today: date,
                 columns: tuple[str, ...], errors: Errors) -> None:
        """Keep `errors` as the rules' errors for a row of `values` (found by checking it: an update's row as it
        will stand, which the next update of that row checks as its row before)."""
        try:
            self._errors.keep((_typed(values), lead_orgs, today, columns), errors)
        except TypeError:  # a value that cannot be hashed: not kept
            pass
