"""Opening the journal: one connection per call, or one pinned for a unit of work (`session`), or a read-only
one for the history; the schema made ready once per process; SQLite's errors turned into `JournalUnavailable`
sentences; and how values are kept in its JSON columns (tagged by type, read back as the same type)."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Self

from shared.domain import schema as s
from shared.journal.errors import _unavailable
from shared.journal.schema import _SCHEMA, _migrate

#: How long a journal call waits for another connection's lock before giving up: a few seconds, never
#: the minutes SQLite would allow, so a person is told rather than left waiting.
BUSY_TIMEOUT_SECONDS = 5.0
#: The wait for a chat front end, which must tell its sender within Slack's 3 seconds.
CHAT_TIMEOUT_SECONDS = 2.0


#: Journal files whose schema this process has already created (once per process, not per call).
_READY: set[Path] = set()
_READY_LOCK = threading.Lock()


#: Values JSON has no type for, kept as an object of one key naming their type ({"$date": "2026-03-12"}), and
#: how each is read back. `$text` is text in a date column that would otherwise read back as a day.
_TYPES: dict[str, Callable[[Any], object]] = {
    "$date": date.fromisoformat, "$datetime": datetime.fromisoformat, "$time": time.fromisoformat,
    "$timedelta": lambda parts: timedelta(*parts), "$text": str}


def _read(column: str, value: object) -> object:
    """A value as `_kept` wrote it. A date column's plain ISO text is a day: how the journal has always kept
    dates there (rows written before values were tagged read as they did)."""
    if isinstance(value, dict) and len(value) == 1:
        [(tag, kept)] = value.items()
        if tag in _TYPES:
            return _TYPES[tag](kept)
    if column in s.DATE_COLUMNS and isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    return value


def _kept(column: str, value: object) -> object:
    """`value` as JSON that `_read` gives back as the same value of the same type. The conflict check compares
    what the sender saw, read back from here, with the file: a date Excel made of `12/3` typed in Next steps,
    a date-time or a time there, kept as ISO text and read back as text, differed from the cell and made
    every update to the field a false conflict (a time or a duration could not be kept at all); so could a
    due date cell holding the text 2027-03-12, read back as a day. A day in a date column stays plain ISO."""
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return value.isoformat() if column in s.DATE_COLUMNS else {"$date": value.isoformat()}
    if isinstance(value, time):
        return {"$time": value.isoformat()}
    if isinstance(value, timedelta):
        return {"$timedelta": [value.days, value.seconds, value.microseconds]}
    if isinstance(value, str) and not isinstance(_read(column, value), str):
        return {"$text": str(value)}
    return value


def _encode(values: dict[str, object]) -> str:
    return json.dumps({k: _kept(k, v) for k, v in values.items()}, ensure_ascii=False, sort_keys=True)


def _decode(text: str) -> dict[str, object]:
    return {k: _read(k, v) for k, v in json.loads(text).items()}


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Connection:
    """The journal file and how to reach it. Each call opens its own connection, so threads and processes can
    share it; the mixins of `Journal` ask it for one (`_connect`, or `_reading` for the history)."""

    def __init__(self, path: Path | str, busy_timeout: float = BUSY_TIMEOUT_SECONDS,
                 clock: Callable[[], datetime] | None = None):
        #: What stamps the rows this object writes (created, settled, told): the use cases' clock, so an update
        #: made at a pinned time (a test's, the trial copy's illustrative year) is journalled at that time.
        self.clock = clock
        #: An in-memory journal (`file:NAME?mode=memory&cache=shared`, for tests): no file is touched, and
        #: one connection is kept open for the life of this object, which holds the database.
        self.uri = path if isinstance(path, str) and path.startswith("file:") and "mode=memory" in path else None
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self._pinned = threading.local()
        if self.uri is not None:
            self._keeper = sqlite3.connect(self.uri, uri=True, check_same_thread=False)
            with self._connect() as db:
                db.executescript(_SCHEMA)
            return
        key = self.path.resolve()
        if key in _READY and self.path.exists():
            return
        with _READY_LOCK:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise _unavailable(self.path, exc) from exc
            with self._connect() as db:
                _migrate(db, self.path)
            _READY.add(key)

    def _stamp(self) -> str:
        """The time now as the journal writes it: ISO, UTC, to the second (from `clock` when given)."""
        return self.clock().astimezone(UTC).isoformat(timespec="seconds") if self.clock else utc_now()

    def close(self) -> None:
        """Let an in-memory journal go, its database with it (nothing to do for a file's)."""
        keeper = getattr(self, "_keeper", None)
        if keeper is not None:
            keeper.close()

    @contextmanager
    def session(self) -> Iterator[Self]:
        """Use one connection for every call made through this object in this thread until the block
        ends: a unit of work opens the journal once, not once per question it asks."""
        if getattr(self._pinned, "db", None) is not None:
            yield self
            return
        with self._open() as db:
            self._pinned.db = db
            try:
                yield self
            finally:
                self._pinned.db = None

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        pinned = getattr(self._pinned, "db", None)
        if pinned is None:
            with self._open() as db:
                yield db
            return
        try:
            yield pinned
        except sqlite3.Error as exc:
            raise _unavailable(self.path, exc) from exc

    @contextmanager
    def _open(self) -> Iterator[sqlite3.Connection]:
        try:
            db = sqlite3.connect(self.uri or self.path, timeout=self.busy_timeout, isolation_level=None,
                                 uri=self.uri is not None)
        except sqlite3.Error as exc:
            raise _unavailable(self.path, exc) from exc
        try:
            db.execute("PRAGMA synchronous=FULL")  # per connection; WAL is the file's, set with the schema
            db.row_factory = sqlite3.Row
            yield db
        except sqlite3.Error as exc:
            raise _unavailable(self.path, exc) from exc
        except OSError as exc:
            raise _unavailable(self.path, exc) from exc
        finally:
            db.close()

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        try:
            db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=self.busy_timeout)
        except sqlite3.Error as exc:
            raise _unavailable(self.path, exc, reading=True) from exc
        try:
            yield db
        except sqlite3.Error as exc:
            raise _unavailable(self.path, exc, reading=True) from exc
        finally:
            db.close()
