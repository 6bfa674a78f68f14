"""Opening the journal: one connection per thread per file, kept open (a connection per call cost a WAL
checkpoint, two fsyncs, on every close), or a read-only one for the history; the schema made ready once per
process; how much a commit syncs (`synchronous=NORMAL`, and `FULL` for what could not be re-derived after a
power cut, see `_transaction`); SQLite's errors turned into `JournalUnavailable` sentences; and how values
are kept in its JSON columns (tagged by type, read back as the same type)."""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import sqlite3
import threading
import weakref
from collections import OrderedDict
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


#: The encoders of the journal's JSON columns, made once: `json.dumps` with any option makes (and sets up) a new
#: `JSONEncoder` on every call, five an update; these give the very text it gives (an encoder keeps no state
#: between calls, so threads share them).
_VALUES_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode
_DETAIL_JSON = json.JSONEncoder(ensure_ascii=False).encode


def _encode(values: dict[str, object]) -> str:
    return _VALUES_JSON({k: _kept(k, v) for k, v in values.items()})


def _encode_detail(detail: dict) -> str:
    """An update's `detail` as its column keeps it: `json.dumps(detail, ensure_ascii=False)`."""
    return _DETAIL_JSON(detail)


def _decode(text: str) -> dict[str, object]:
    return {k: _read(k, v) for k, v in json.loads(text).items()}


#: The last stamp made (`_stamp_of`) and the UTC second it names (whole seconds since `_EPOCH`): an update
#: stamps its rows three times within a second, and formatting the time was most of what a stamp cost.
_LAST_STAMP: tuple[int | None, str] = (None, "")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)


def _stamp_of(moment: datetime) -> str:
    """`moment` as the journal writes it: ISO, UTC, to the second. A UTC moment in the second stamped last is
    given that stamp again, unformatted (any other zone is formatted each time: its offset may vary)."""
    global _LAST_STAMP
    if moment.tzinfo is not UTC:
        return moment.astimezone(UTC).isoformat(timespec="seconds")
    second = (moment - _EPOCH) // _SECOND  # exact (a float's timestamp may round up to the next second)
    last_second, text = _LAST_STAMP
    if second != last_second:
        text = moment.isoformat(timespec="seconds")
        _LAST_STAMP = (second, text)
    return text


def utc_now() -> str:
    return _stamp_of(datetime.now(UTC))


class _Kept:
    """One open connection to a journal file, kept by the thread that opened it (see `_kept`)."""

    __slots__ = ("db", "ident", "busy", "owed", "folder_synced", "pid", "__weakref__")

    def __init__(self, db: sqlite3.Connection, ident: tuple[int, int], busy: float):
        self.db, self.ident, self.busy, self.pid = db, ident, busy, os.getpid()
        #: A commit that must survive a power cut was made without its fsync (`record(durable=False)`): the
        #: next `make_durable` owes it one.
        self.owed = False
        #: The journal's folder was synced for this connection's WAL (SQLite does it at the first synced commit
        #: of a connection, which may have made the WAL file; `_wal_sync` does it where no commit did).
        self.folder_synced = False
        _ALL_KEPT.add(self)


#: Every connection kept open by any thread (a thread that ends closes its own), for `_leave_open_at_exit`.
_ALL_KEPT: weakref.WeakSet[_Kept] = weakref.WeakSet()


def _leave_open_at_exit() -> None:
    """When the process ends, leave its journal connections open rather than close them: closing the last one
    checkpoints the WAL (two fsyncs) and deletes it, so the next process makes a new one (two fsyncs more,
    its header and its folder): four fsyncs per `sli update` for nothing. Left open, the process ends as if
    it stopped after its last commit, which SQLite is built for (and what a killed process does): the next
    connection reads the WAL back, and SQLite's autocheckpoint folds it into the file every 1,000 pages."""
    kept = [entry.db for entry in list(_ALL_KEPT) if entry.pid == os.getpid()]
    if kept:
        import ctypes  # only here: a reference the interpreter never drops, so it never closes them

        for db in kept:
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(db))


atexit.register(_leave_open_at_exit)

#: Each thread's open journal connections, by file (a forked child starts afresh: `_leave_parents_alone`).
_OPEN = threading.local()
#: Journal files a thread keeps open at once (a server has one; a test run opens many, one after another).
_KEEP_OPEN = 8


#: A forked child's copies of its parent's connections: kept, never used nor closed (SQLite's rule).
_PARENTS: list[object] = []


def _leave_parents_alone() -> None:
    """In a forked child, before it runs anything else: the connections copied from its parent are kept
    (never used, never closed) and its threads start with none. Done once, at the fork, where asking the
    process's id at each call (a system call, about twenty an update) was how a child used to tell."""
    global _OPEN
    _PARENTS.append(_OPEN)
    _OPEN = threading.local()


if hasattr(os, "register_at_fork"):  # no fork without it (Windows): nothing to leave alone
    os.register_at_fork(after_in_child=_leave_parents_alone)


def _thread_connections() -> OrderedDict[Path, _Kept]:
    try:
        return _OPEN.kept
    except AttributeError:  # this thread's first journal call (in this process)
        kept = _OPEN.kept = OrderedDict()
        return kept


def _identity(path: str) -> tuple[int, int] | None:
    try:
        facts = os.stat(path)
    except OSError:
        return None
    return facts.st_dev, facts.st_ino


def _exists(file: str, path: Path) -> bool:
    """`path.exists()`, asked first as `os.access` (the same question, links followed, without making a stat
    result only to drop it: five times an update); when that says no, `Path.exists` answers (and raises what
    it raises), as before."""
    return os.access(file, os.F_OK) or path.exists()


def journal_exists(path: Path) -> bool:
    """Whether the journal file is there (`Path.exists`, asked as `_exists` does)."""
    return _exists(os.fspath(path), path)


def _drop(kept: OrderedDict[Path, _Kept], key: Path) -> None:
    gone = kept.pop(key, None)
    if gone is not None:
        with contextlib.suppress(sqlite3.Error):
            gone.db.close()


def close_connections() -> None:
    """Close the calling thread's journal connections (a test that removes a journal's folder; a thread
    that ends closes its own when it goes). SQLite checkpoints the WAL when the last one closes."""
    kept = _thread_connections()
    for key in list(kept):
        _drop(kept, key)


class _Using:
    """`Connection._connect` for a file, as a class rather than a generator: every journal call makes one
    (two a write, with `_transaction`), and a generator's context manager cost several times as much."""

    __slots__ = ("journal", "db")

    def __init__(self, journal: Connection):
        self.journal = journal

    def __enter__(self) -> sqlite3.Connection:
        try:
            self.db = self.journal._kept().db
        except (sqlite3.Error, OSError) as exc:
            raise _unavailable(self.journal.path, exc) from exc
        return self.db

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: object) -> None:
        if kind is None:
            return
        if issubclass(kind, (sqlite3.Error, OSError)):
            _drop(_thread_connections(), self.journal._key)
            raise _unavailable(self.journal.path, error) from error
        if self.db.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self.db.execute("ROLLBACK")


class Connection:
    """The journal file and how to reach it: each thread keeps one connection to it, shared by every
    `Journal` of that file in the thread (SQLite's connections are not to be shared across threads), so
    threads and processes share the file while no call pays for opening and closing (closing the last
    connection checkpoints the WAL). The mixins of `Journal` ask for it with `_connect` (autocommit),
    `_transaction` (several statements that stand or fall together) or `_reading` (the history)."""

    def __init__(self, path: Path | str, busy_timeout: float = BUSY_TIMEOUT_SECONDS,
                 clock: Callable[[], datetime] | None = None):
        #: What stamps the rows this object writes (created, settled, told): the use cases' clock, so an update
        #: made at a pinned time (a test's, the trial copy's illustrative year) is journalled at that time.
        self.clock = clock
        #: An in-memory journal (`file:NAME?mode=memory&cache=shared`, for tests): no file is touched, and
        #: one connection is kept open for the life of this object, which holds the database.
        self.uri = path if isinstance(path, str) and path.startswith("file:") and "mode=memory" in path else None
        self.path = Path(path)
        #: The path as text, for the checks made at every call (a `Path` is turned into it at each one).
        self._file = str(self.path)
        self.busy_timeout = busy_timeout
        #: What `session` gives: made once (it holds nothing but this object, so threads share it).
        self._session = contextlib.nullcontext(self)
        if self.uri is not None:
            self._key = self.path
            self._keeper = sqlite3.connect(self.uri, uri=True, check_same_thread=False)
            with self._connect() as db:
                db.executescript(_SCHEMA)
            return
        self._key = self.path.resolve()
        if self._key in _READY and self.path.exists():
            return
        with _READY_LOCK:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise _unavailable(self.path, exc) from exc
            with self._connect() as db:
                _migrate(db, self.path)
            _READY.add(self._key)

    def ready(self) -> bool:
        """Whether this object may be used again as made: what making it anew would skip (its file is still
        there and made ready), so a holder keeps it instead of resolving the path again (`Store.journal`)."""
        return self.uri is not None or (self._key in _READY and _exists(self._file, self.path))

    def _stamp(self) -> str:
        """The time now as the journal writes it: ISO, UTC, to the second (from `clock` when given)."""
        return _stamp_of(self.clock() if self.clock else datetime.now(UTC))

    def close(self) -> None:
        """Let an in-memory journal go, its database with it (a file's connections are the threads')."""
        keeper = getattr(self, "_keeper", None)
        if keeper is not None:
            keeper.close()

    def session(self) -> contextlib.AbstractContextManager[Self]:
        """A unit of work's journal: every call in this thread already shares one connection, so this only
        marks the block (kept for the units of work, which open one each: made once, not a generator each)."""
        return self._session

    def _sync_owed(self) -> None:
        """One fdatasync of the WAL if this thread owes one (see `UpdatesMixin.make_durable`)."""
        kept = _thread_connections().get(self._key)
        if self.uri is not None or kept is None or not kept.owed:
            return
        try:
            fd = os.open(f"{self.path}-wal", os.O_RDONLY)
        except FileNotFoundError:  # checkpointed and removed: the database file holds it, synced
            kept.owed = False
            return
        except OSError as exc:
            raise _unavailable(self.path, exc) from exc
        try:
            os.fdatasync(fd)
        except OSError as exc:
            raise _unavailable(self.path, exc) from exc
        finally:
            os.close(fd)
        kept.owed = False

    def _wal_sync(self) -> Callable[[], None]:
        """The fsync this thread's commits owe (`_owe_sync`), as a call any thread may make (the workbook's
        syncing thread, while the new file syncs): one fdatasync of the WAL, and the first time for this
        connection its folder too, as SQLite's own first synced commit does (the WAL file may be new). A
        failure raises `JournalUnavailable`; nothing to do for an in-memory journal."""
        kept = _thread_connections().get(self._key)
        if self.uri is not None or kept is None or not kept.owed:
            return lambda: None
        wal, folder, path = f"{self.path}-wal", str(self.path.parent), self.path

        def sync() -> None:
            try:
                fd = os.open(wal, os.O_RDONLY)
            except FileNotFoundError:  # checkpointed and removed: the database file holds it, synced
                kept.owed = False
                return
            except OSError as exc:
                raise _unavailable(path, exc) from exc
            try:
                os.fdatasync(fd)
                if not kept.folder_synced:
                    directory = os.open(folder, os.O_RDONLY)
                    try:
                        os.fdatasync(directory)  # as SQLite syncs it
                    finally:
                        os.close(directory)
                    kept.folder_synced = True
            except OSError as exc:
                raise _unavailable(path, exc) from exc
            finally:
                os.close(fd)
            kept.owed = False

        return sync

    def _kept(self) -> _Kept:
        """This thread's connection to the file, opened on first use. A file moved aside, replaced or removed
        since is noticed (its identity changed) and the file now at the path is opened instead."""
        kept = _thread_connections()
        ident = _identity(self._file)
        entry = kept.get(self._key)
        if entry is not None and entry.ident != ident:
            _drop(kept, self._key)
            entry = None
        if entry is None:
            db = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None)
            try:
                db.row_factory = sqlite3.Row
                # The connection's level: a commit syncs nothing until the WAL is checkpointed (by SQLite's
                # autocheckpoint, every 1,000 pages), so it survives the process being killed but not a power
                # cut; what must survive one asks for FULL (`_transaction(durable=True)`).
                db.execute("PRAGMA synchronous=NORMAL")
                # A small page cache: a bot keeps a connection in each of its listener threads (up to 32), and
                # SQLite's default 2 MB each would be most of its memory; the OS caches the file for them all.
                # Set once: it lasts as long as the connection (commits, another connection's schema change or
                # VACUUM, a restore into it keep it; tests/test_journal_statements.py), so no commit sets it again.
                db.execute("PRAGMA cache_size=-256")
                if ident is None:  # made just now (removed since this process made it ready): its tables
                    _migrate(db, self.path)
                entry = _Kept(db, _identity(self._file) or (0, 0), self.busy_timeout)
            except BaseException:
                db.close()
                raise
            kept[self._key] = entry
            while len(kept) > _KEEP_OPEN:
                _drop(kept, next(iter(kept)))
        kept.move_to_end(self._key)
        if entry.busy != self.busy_timeout:
            entry.db.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000):d}")
            entry.busy = self.busy_timeout
        return entry

    def _connect(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """This thread's connection, in autocommit: each statement its own transaction. A failure becomes
        `JournalUnavailable`; the connection is then closed (the next call opens a fresh one) and a
        transaction left open is rolled back (`_Using`; an in-memory journal's is `_open`)."""
        return self._open() if self.uri is not None else _Using(self)

    def _transaction(self, durable: bool = False,
                     single: bool = False) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """Statements that stand or fall together, in one commit (`BEGIN IMMEDIATE`: the write lock first,
        so two writers take turns rather than fail half-way).

        `single`: the block runs one writing statement, which SQLite makes its own transaction, taking the
        write lock as it starts (waiting as `BEGIN IMMEDIATE` would) and committing as it ends: the same
        commit at the same sync level, without the two statements around it.

        `durable`: the commit is synced (`synchronous=FULL`, one fdatasync of the WAL, which also syncs every
        commit before it) for what could not be re-derived after a power cut: an update recorded (its
        sender is told next), an update marked `writing` (the file it marks is replaced next), a post
        claimed or made, a conversation kept. Everything else is `NORMAL`: settling an update once it
        is in the file (the Change log's Update ID says so again), holding one back, marking a sender
        told (at worst told twice).

        One statement committed at `NORMAL` (an update's moves; `sli update`'s record, whose sync `_owe_sync`
        leaves to `make_durable`) needs nothing set or committed around it: the connection's block is given."""
        if single and not (durable and self.uri is None):
            return self._connect()
        return self._committed(durable, single)

    @contextmanager
    def _committed(self, durable: bool, single: bool) -> Iterator[sqlite3.Connection]:
        """`_transaction`'s block where it sets the sync level or begins and commits."""
        with self._connect() as db:
            if db.in_transaction:  # a caller's transaction: it commits
                yield db
                return
            full = durable and self.uri is None
            if full:
                db.execute("PRAGMA synchronous=FULL")  # not allowed inside a transaction
            try:
                if single:
                    yield db
                else:
                    db.execute("BEGIN IMMEDIATE")
                    try:
                        yield db
                    except BaseException:
                        if db.in_transaction:
                            db.execute("ROLLBACK")
                        raise
                    db.execute("COMMIT")
            finally:
                if full:
                    with contextlib.suppress(sqlite3.Error):
                        db.execute("PRAGMA synchronous=NORMAL")
            kept = _thread_connections().get(self._key)
            if kept is not None:
                kept.owed = kept.owed and not full
                kept.folder_synced = kept.folder_synced or full

    def _owe_sync(self) -> None:
        """A commit made without the fsync it needs: `make_durable` syncs it."""
        kept = _thread_connections().get(self._key)
        if kept is not None:
            kept.owed = True

    @contextmanager
    def _open(self) -> Iterator[sqlite3.Connection]:
        """A connection of its own, closed after the block (the in-memory journal's)."""
        try:
            db = sqlite3.connect(self.uri or self.path, timeout=self.busy_timeout, isolation_level=None,
                                 uri=self.uri is not None)
        except sqlite3.Error as exc:
            raise _unavailable(self.path, exc) from exc
        try:
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
