"""The unit of work: what a use case is given to reach the workbook and the journal (the `AbstractUnitOfWork`
of *Architecture Patterns with Python*), and the file's own (`WorkbookUnitOfWork`: the cross-process lock,
one journal connection, Excel's owner file, the writer and the atomic save, in that order).

What a use case is given is a `Context`: the `Store` (where the workbook lives), a unit-of-work factory and
a clock; it takes the time only from `ctx.clock()` and reaches the workbook only through `ctx.uow()`.

A use case opens one with `with`, decides with the domain, writes through `writer()`, then `finish()`es;
leaving the block releases everything. Outside a `with` block the same object only reads (no lock): the
appendix, the Change log, the owner file and the journal, for questions that change nothing. Tests give the
use cases an in-memory one (tests/memory_uow.py), so planning, permission and telling run without files.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
import weakref
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Self

from shared import journal as j
from shared.domain.logrow import LogRow
from shared.domain.model import Appendix
from shared.owner import STALE_AFTER, OwnerFile, find_owner_file
from shared.reader import read_appendix_identified, read_change_log
from shared.workbook_lock import WorkbookLock
from shared.writers import Mark, PackageWriter, WorkbookWriter

#: Called with an update's ID after a pass (`process_pending`) has tried it and before the next: where a
#: test clears a fault part-way through a pass (the workbook made writable again between two updates).
#: Empty outside tests; see `between_updates`.
_BETWEEN_UPDATES: list[Callable[[str], None]] = []

DEFAULT_KEEP_BACKUPS = 20
#: How long a writer waits for another process that holds the workbook's lock (a slow save).
LOCK_TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class Store:
    """Where the workbook and everything kept beside it live (built once from the settings)."""

    workbook: Path
    journal_path: Path
    lock_path: Path
    backup_dir: Path
    keep_backups: int = DEFAULT_KEEP_BACKUPS
    stale_owner_after: timedelta = STALE_AFTER
    #: Who this process writes as (`Settings.owner_name`), named when it may not write the workbook.
    owner_name: str = ""

    @classmethod
    def for_workbook(cls, workbook: Path | str, journal: Path | str | None = None,
                     keep_backups: int | None = None, owner_name: str = "") -> Store:
        """The journal, lock and backups beside the workbook unless given.

        The same arguments give the same store (the last few kept): a store is a frozen value, made of these
        arguments alone, so the one made before is the one that would be made now; the command line and
        scripts ask for one per update, and a store made anew cost its paths' parsing and hashing again."""
        if cls is not Store:
            return cls._made(workbook, journal, keep_backups, owner_name)
        return _store_for(workbook, journal, keep_backups, owner_name)

    @classmethod
    def _made(cls, workbook: Path | str, journal: Path | str | None, keep_backups: int | None,
              owner_name: str) -> Store:
        workbook = Path(workbook)
        journal = journal or workbook.with_name(f"{workbook.name}.journal.sqlite")
        return cls(workbook=workbook, journal_path=Path(journal),
                   lock_path=workbook.with_name(f".{workbook.name}.sli-lock"),
                   backup_dir=workbook.parent / ".backups",
                   keep_backups=DEFAULT_KEEP_BACKUPS if keep_backups is None else keep_backups,
                   owner_name=owner_name)

    def journal(self, busy_timeout: float = j.BUSY_TIMEOUT_SECONDS, clock: Clock | None = None) -> j.Journal:
        """The journal beside the workbook; `clock` stamps what it writes (the system clock when None).

        An update opens several units of work on one store, and a journal made anew resolves its path (a
        stat of each folder on the way): the one it made last, for the same timeout and clock, is given again
        while it is `ready` (its file still there), as making it anew would then do nothing more. A journal
        file's is kept for an equal store too (`_FILE_JOURNALS`: the command line and scripts make a store per
        update), so a process resolves the path once, as a server's one long-lived store always did."""
        last = _LAST_FILE_JOURNAL
        if last is not None and last[0] is self:  # this very store's (an absolute path): no key to make
            kept, key, journal = _FILE_JOURNALS, (self, None), last[1]
        else:
            kept, key = self._kept_journals()
            with _JOURNALS_LOCK:
                journal = kept.get(key)
        if journal is not None and journal.clock is clock and journal.busy_timeout == busy_timeout \
                and journal.ready():
            _remember_last(self, key, journal)
            return journal
        journal = j.Journal(self.journal_path, busy_timeout, clock)
        with _JOURNALS_LOCK:
            kept[key] = journal
            if kept is _FILE_JOURNALS:
                _FILE_JOURNALS.move_to_end(key)
                while len(_FILE_JOURNALS) > _KEEP_FILE_JOURNALS:
                    _FILE_JOURNALS.popitem(last=False)
        _remember_last(self, key, journal)
        return journal

    def _kept_journals(self) -> tuple[MutableMapping, object]:
        """Where this store's journal is kept, and under what key: an in-memory journal (a test's database,
        which lives as long as its journal) with this very store; a file's by the store's value, and the
        folder a relative path is taken from (another folder is another file)."""
        path = self.journal_path
        if isinstance(path, str) and path.startswith("file:") and "mode=memory" in path:  # as `Journal` tells
            return _JOURNALS, self
        if os.path.isabs(path):
            return _FILE_JOURNALS, (self, None)
        try:
            return _FILE_JOURNALS, (self, os.getcwd())
        except OSError:  # no working folder (removed): kept with this store only, as before
            return _JOURNALS, self


@functools.lru_cache(maxsize=8)
def _store_for(workbook: Path | str, journal: Path | str | None, keep_backups: int | None, owner_name: str) -> Store:
    return Store._made(workbook, journal, keep_backups, owner_name)


#: The journal each store made last (`Store.journal`): one a store, gone with it (never pickled with it).
_JOURNALS: weakref.WeakKeyDictionary[Store, j.Journal] = weakref.WeakKeyDictionary()
#: The journal files' by the store's value (and working folder): the last few stores of a process.
_FILE_JOURNALS: OrderedDict[tuple[Store, str | None], j.Journal] = OrderedDict()
_KEEP_FILE_JOURNALS = 8
_JOURNALS_LOCK = threading.Lock()
#: The store that asked for a journal file's last, and the journal it was given, when its path is absolute
#: (its key then names no working folder): an update asks five times, and this very store is found by
#: identity, without making and hashing its key each time (a frozen dataclass hashes every field).
_LAST_FILE_JOURNAL: tuple[Store, j.Journal] | None = None


def _remember_last(store: Store, key: object, journal: j.Journal) -> None:
    global _LAST_FILE_JOURNAL
    if key == (store, None):
        _LAST_FILE_JOURNAL = (store, journal)


class AbstractUnitOfWork(ABC):
    """Everything a use case reaches the workbook and the journal through.

    `with uow:` holds the workbook for writing (a cross-process lock, one journal connection); inside it
    `journal`, `owner()` (Excel has the file open?), `appendix()` (the values now), `writer()` and
    `finish(writer)` (the save). Outside a `with` block it reads only: `appendix()`, `change_log()`,
    `owner()`, and `journal` once `has_journal()` (a read never creates a journal)."""

    #: Where the stale-owner age and the workbook's name come from (the file's paths; unused in memory).
    stale_owner_after: timedelta = STALE_AFTER

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        return None

    @property
    @abstractmethod
    def journal(self) -> j.Journal:
        """The update journal (made on first use); one connection while the block runs."""

    @abstractmethod
    def has_journal(self) -> bool:
        """Whether anything was ever journalled (reads say "nothing waiting" without making a journal)."""

    @abstractmethod
    def appendix(self) -> Appendix:
        """Appendix 1 as the workbook holds it now (read-only)."""

    @abstractmethod
    def change_log(self, since: int | None = None) -> list[LogRow]:
        """The Change log's rows, oldest first; from the year `since` onward when given."""

    @abstractmethod
    def owner(self) -> OwnerFile | None:
        """Excel's owner file, when Excel has the workbook open (nothing may then be written to it)."""

    @abstractmethod
    def writer(self) -> WorkbookWriter:
        """A writer of plans into the workbook: nothing lasts until `finish`."""

    @abstractmethod
    def finish(self, writer: WorkbookWriter, mark: Mark | None = None) -> None:
        """Make what `writer` wrote last (the file's atomic save), with the update's `mark` (see `Mark`)
        durable before anything is replaced."""


#: What a use case is given to open units of work with: `uow(busy_timeout=..., lock_timeout=..., clock=...)`.
UnitOfWorkFactory = Callable[..., AbstractUnitOfWork]


class WorkbookUnitOfWork(AbstractUnitOfWork):
    """`with WorkbookUnitOfWork(store) as uow:` holds the workbook file's lock and one journal connection.

    Inside: `uow.journal`, `uow.owner()` (Excel has the file open?), `uow.appendix()` (the file's values
    now), `uow.writer()` (a PackageWriter on the file) and `uow.finish(writer)` (the atomic save). Made
    costs nothing: the lock and the journal are only touched when used."""

    def __init__(self, store: Store, lock_timeout: float | None = None,
                 busy_timeout: float = j.BUSY_TIMEOUT_SECONDS, clock: Clock | None = None):
        self.store = store
        self._clock = clock
        self.stale_owner_after = store.stale_owner_after
        self._lock_timeout = LOCK_TIMEOUT_SECONDS if lock_timeout is None else lock_timeout
        self._busy_timeout = busy_timeout
        self._journal: j.Journal | None = None
        self._lock: WorkbookLock | None = None
        self._session: contextlib.AbstractContextManager | None = None
        #: The file's identity when `appendix()` last read it: the save the next plan is checked against.
        self._read_identity: tuple[int, int, int] | None = None
        #: What `appendix()` read then: the writer derives its save's Appendix 1 from it (`shared.as_written`).
        self._read_appendix: Appendix | None = None

    @property
    def journal(self) -> j.Journal:
        if self._journal is None:
            self._journal = self.store.journal(self._busy_timeout, self._clock)
        return self._journal

    def has_journal(self) -> bool:
        return j.journal_exists(self.store.journal_path)

    def __enter__(self) -> WorkbookUnitOfWork:
        self._lock = WorkbookLock(self.store.lock_path, timeout=self._lock_timeout)
        self._lock.acquire()
        try:
            self._session = self.journal.session()
            self._session.__enter__()
        except BaseException:
            self._lock.release()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        try:
            if self._session is not None:
                self._session.__exit__(kind, error, trace)
        finally:
            self._session = None
            if self._lock is not None:
                self._lock.release()

    def owner(self) -> OwnerFile | None:
        return find_owner_file(self.store.workbook)

    def appendix(self) -> Appendix:
        """The file's values now; the file's identity before the read is kept (the stat the read's cache
        check took: one stat for both), so the writer made next refuses a file saved since (Excel, between
        this read and the write: the plan was checked against the earlier save)."""
        self._read_identity, self._read_appendix = read_appendix_identified(self.store.workbook)
        return self._read_appendix

    def change_log(self, since: int | None = None) -> list[LogRow]:
        return read_change_log(self.store.workbook, since=since)

    def writer(self) -> PackageWriter:
        return PackageWriter(self.store.workbook, self.store.backup_dir, self.store.keep_backups,
                             owner_name=self.store.owner_name, planned_on=self._read_identity,
                             planned_from=self._read_appendix)

    def finish(self, writer: WorkbookWriter, mark: Mark | None = None) -> None:
        writer.finish(mark)


Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The time now, in UTC: the clock a running front end gives the use cases."""
    return datetime.now(UTC)


def fixed_clock(moment: datetime) -> Clock:
    """A clock that always says `moment` (a test's, or a scheduled job's "as at" time)."""
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return lambda: moment


@dataclass(frozen=True)
class Context:
    """What every use case is given rather than fetches, built once by a front end (`usecases.context`) and
    passed as the first argument where the bare `Store` used to go: the `store` (the workbook's name and
    the paths no output may overwrite), `uow_factory` (opens a unit of work: `uow_factory(lock_timeout=...,
    busy_timeout=..., clock=...)`; the journal it opens stamps its rows with that clock) and `clock` (the time
    now, aware). Tests give an in-memory factory and a fixed clock."""

    store: Store
    uow_factory: UnitOfWorkFactory
    clock: Clock = system_clock

    @classmethod
    def for_store(cls, store: Store, clock: Clock = system_clock) -> Context:
        """The workbook file's context: `WorkbookUnitOfWork`s on `store`, and `clock`."""
        return cls(store, partial(WorkbookUnitOfWork, store), clock)

    def uow(self, lock_timeout: float | None = None,
            busy_timeout: float = j.BUSY_TIMEOUT_SECONDS) -> AbstractUnitOfWork:
        """A unit of work to enter (`with ctx.uow() as uow:`) to write the workbook."""
        return self.uow_factory(lock_timeout=lock_timeout, busy_timeout=busy_timeout, clock=self.clock)

    def read(self, busy_timeout: float = j.BUSY_TIMEOUT_SECONDS) -> AbstractUnitOfWork:
        """A unit of work not entered: reads the appendix, the Change log, the owner file and the journal
        without taking the workbook's lock (a question changes nothing)."""
        return self.uow_factory(busy_timeout=busy_timeout, clock=self.clock)

    def today(self) -> date:
        """Today's date where the tracker runs (what `date.today()` would say), from the clock."""
        return self.clock().astimezone().date()

    def at(self, moment: datetime) -> Context:
        """The same context with its clock stopped at `moment` (a scheduled job's time, a test's)."""
        return replace(self, clock=fixed_clock(moment))


def as_context(given: Context | Store) -> Context:
    """What a use case was given, as a `Context`: a bare `Store` (scripts, and the tests that work on real
    files) means the workbook file's units of work and the system clock."""
    return given if isinstance(given, Context) else Context.for_store(given)


@contextmanager
def between_updates(hook: Callable[[str], None]) -> Iterator[None]:
    """While the block runs, every pass over waiting updates calls `hook(update_id)` after each update it
    tried, in whatever thread the pass runs (the bot's writer thread, the notifier, `sli sync`)."""
    _BETWEEN_UPDATES.append(hook)
    try:
        yield
    finally:
        _BETWEEN_UPDATES.remove(hook)


def after_update(update_id: str) -> None:
    """A pass has tried `update_id`: run the hooks `between_updates` installed (none outside tests)."""
    for hook in list(_BETWEEN_UPDATES):
        hook(update_id)
