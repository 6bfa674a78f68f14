"""The unit of work for writing the workbook file: the cross-process lock, one journal connection,
Excel's owner file, the writer and the atomic save, in that order. A use case opens one, decides with
the domain, writes through `writer()`, then `finish()`es; leaving the block releases everything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import TracebackType

from filelock import FileLock

from shared import journal as j
from shared.domain.model import Appendix
from shared.owner import STALE_AFTER, OwnerFile, find_owner_file
from shared.reader import read_appendix
from shared.writers import PackageWriter

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
        """The journal, lock and backups beside the workbook unless given."""
        workbook = Path(workbook)
        journal = journal or workbook.with_name(f"{workbook.name}.journal.sqlite")
        return cls(workbook=workbook, journal_path=Path(journal),
                   lock_path=workbook.with_name(f".{workbook.name}.sli-lock"),
                   backup_dir=workbook.parent / ".backups",
                   keep_backups=DEFAULT_KEEP_BACKUPS if keep_backups is None else keep_backups,
                   owner_name=owner_name)

    def journal(self, busy_timeout: float = j.BUSY_TIMEOUT_SECONDS) -> j.Journal:
        return j.Journal(self.journal_path, busy_timeout)


class WorkbookUnitOfWork:
    """`with WorkbookUnitOfWork(store) as uow:` holds the workbook's lock and one journal connection.

    Inside: `uow.journal`, `uow.owner()` (Excel has the file open?), `uow.appendix()` (the file's values
    now), `uow.writer()` (a PackageWriter on the file) and `uow.finish(writer)` (the atomic save)."""

    def __init__(self, store: Store, lock_timeout: float | None = None):
        self.store = store
        self._lock = FileLock(str(store.lock_path), timeout=LOCK_TIMEOUT_SECONDS if lock_timeout is None
                              else lock_timeout)
        self.journal = store.journal()
        self._session = self.journal.session()

    def __enter__(self) -> WorkbookUnitOfWork:
        self._lock.acquire()
        try:
            self._session.__enter__()
        except BaseException:
            self._lock.release()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        try:
            self._session.__exit__(kind, error, trace)
        finally:
            self._lock.release()

    def owner(self) -> OwnerFile | None:
        return find_owner_file(self.store.workbook)

    def appendix(self) -> Appendix:
        return read_appendix(self.store.workbook)

    def writer(self) -> PackageWriter:
        return PackageWriter(self.store.workbook, self.store.backup_dir, self.store.keep_backups,
                             owner_name=self.store.owner_name)

    def finish(self, writer: PackageWriter) -> None:
        writer.finish()


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
