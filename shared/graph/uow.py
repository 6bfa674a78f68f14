"""The unit of work for a workbook in SharePoint or OneDrive: the file's (`WorkbookUnitOfWork`: the lock and
the journal, both in the state folder) with the reads and the writer of Microsoft Graph.

Reads refresh the copy once per unit of work (one request when the cTag is unchanged). Writes go through
`GraphWriter` in the shared persistent session; after each, the same plan is patched into the copy, so the
next waiting update of the pass is planned against what the remote workbook now holds without downloading
it again (its own write changed the cTag), and the session's per-update read still catches an officer's edit.
The session is closed when the unit of work ends with nothing left waiting; the copy is trusted without
asking the cTag only until the pass's outermost unit of work ends (answers after it see an officer's edit).
"""

from __future__ import annotations

import threading
from functools import partial
from pathlib import Path
from types import TracebackType

from shared import journal as j
from shared.domain.logrow import LogRow
from shared.domain.model import Appendix
from shared.graph.client import GraphClient
from shared.graph.mirror import RemoteWorkbook
from shared.graph.session import WorkbookSession
from shared.graph.writer import GraphWriter, held_in
from shared.owner import OwnerFile
from shared.reader import read_appendix, read_change_log
from shared.uow import Clock, Context, Store, WorkbookUnitOfWork, system_clock
from shared.writers import Mark, PackageWriter, WorkbookWriter


class GraphBook:
    """What every unit of work of one context shares: the client, the remote workbook and its session."""

    def __init__(self, remote: RemoteWorkbook):
        self.remote = remote
        self.client: GraphClient = remote.client
        self._session: WorkbookSession | None = None
        #: True while the copy holds the remote workbook plus our own writes, within the pass that wrote
        #: them (its outermost unit of work); after it, a read asks the cTag again (an officer's edit shows).
        self.in_step = False
        self._depth = threading.local()

    def entered(self) -> None:
        self._depth.n = getattr(self._depth, "n", 0) + 1

    def left(self) -> None:
        """The outermost unit of work of this thread ended: the pass is over, so is trusting the copy."""
        self._depth.n = getattr(self._depth, "n", 1) - 1
        if self._depth.n <= 0:
            self.in_step = False

    def session(self) -> WorkbookSession:
        if self._session is None:
            self._session = WorkbookSession(self.client, self.remote.item_path)
        return self._session

    def session_open(self) -> bool:
        return self._session is not None and self._session.id is not None

    def close_session(self) -> None:
        if self._session is not None and self._session.id is not None:
            self._session.close()
        self.in_step = False


class GraphUnitOfWork(WorkbookUnitOfWork):
    """`WorkbookUnitOfWork` whose workbook is remote: no owner file, reads through the copy, Graph's writer."""

    def __init__(self, store: Store, book: GraphBook, **kwargs: object):
        super().__init__(store, **kwargs)
        self.book = book
        self._fresh = False

    def _copy(self) -> Path:
        if not self._fresh and not self.book.in_step:
            self.book.remote.refresh()
        self._fresh = True
        return self.store.workbook

    def refresh(self) -> Path:
        """The copy brought up to date (the summary, report and exports read it as a file)."""
        return self._copy()

    def appendix(self) -> Appendix:
        return read_appendix(self._copy())

    def change_log(self, since: int | None = None) -> list[LogRow]:
        return read_change_log(self._copy(), since=since)

    def owner(self) -> OwnerFile | None:
        """None: Excel's owner file does not exist in Microsoft 365; a busy workbook answers as Graph says."""
        return None

    def writer(self) -> GraphWriter:
        return GraphWriter(self.book.client, self.book.session(), held_in(self.appendix().sheet))

    def finish(self, writer: WorkbookWriter, mark: Mark | None = None) -> None:
        try:
            writer.finish(mark)
        except BaseException:
            self.book.in_step = False  # the remote may hold part of it: the next read downloads it again
            raise
        if isinstance(writer, GraphWriter) and writer.plans:
            local = PackageWriter(self.store.workbook, None, 0, owner_name=self.store.owner_name)
            for plan in writer.plans:
                local.apply(plan)
            local.finish()
            self.book.in_step = True

    def __enter__(self) -> GraphUnitOfWork:
        super().__enter__()
        self.book.entered()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        try:
            if self.book.session_open() and not self.journal.in_states(j.PENDING, j.WRITING):
                self.book.close_session()
        finally:
            self.book.left()
            super().__exit__(kind, error, trace)


def graph_context(store: Store, remote: RemoteWorkbook, clock: Clock = system_clock) -> Context:
    """The use cases' context for a remote workbook: its units of work share one `GraphBook`."""
    store.workbook.parent.mkdir(parents=True, exist_ok=True)
    return Context(store, partial(GraphUnitOfWork, store, GraphBook(remote)), clock)
