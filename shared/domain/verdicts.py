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

from shared.domain.model import Appendix, Recommendation

V = TypeVar("V")
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
