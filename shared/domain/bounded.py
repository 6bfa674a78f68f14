"""A few things worked out from a workbook's bytes or a row's values, kept per process by what they were worked
out from: the oldest dropped beyond a bound, so a long-lived bot keeps no more than a few of each (its memory is
measured). Pure (a dict and a lock), so the domain's memos and the .xlsx layer share it."""

from __future__ import annotations

import threading
from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class Bounded(Generic[V]):
    """At most `most` values by key, the oldest kept dropped first; safe for the bot's threads."""

    def __init__(self, most: int):
        self._most = most
        self._kept: dict[Hashable, V] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable | None) -> V | None:
        """The value kept under `key`, or None (also for no key: a part whose bytes are not known)."""
        if key is None:
            return None
        with self._lock:
            return self._kept.get(key)

    def keep(self, key: Hashable, value: V) -> None:
        """Keep `value` as the newest, dropping the oldest beyond the bound."""
        with self._lock:
            self._kept.pop(key, None)
            self._kept[key] = value
            while len(self._kept) > self._most:
                self._kept.pop(next(iter(self._kept)))
