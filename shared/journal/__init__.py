"""The durable journal of updates (SQLite, beside the workbook): nothing a partner lead sends is lost.

An update is written here before anything touches the workbook, and its state moves
pending -> writing -> applied (or conflict, or rejected; or pending -> in_excel -> applied when the
add-in puts it into the workbook open in Excel). `writing` marks the moment the file may
already hold the update: after a crash, the Change log's Update ID column tells whether it did.

The package is the one place of the core that opens SQLite or holds SQL, in modules of one job each:
`connection` (opening, the pinned session, values kept by type), `errors` (the sentences), `schema` (tables,
version, migrations), `updates`, `history` (read-only), `posts` (seen keys, posts, conversations) and
`maintenance` (backups, retention). `Journal` is composed of their mixins; import everything from here.
"""

from __future__ import annotations

from shared.domain.update import (
    APPLIED,
    CONFLICT,
    IN_EXCEL,
    OPEN_STATES,
    PENDING,
    REJECTED,
    WRITING,
    WRITTEN_STATES,
    Given,
    JournalEntry,
    last_given,
    scrub,
)
from shared.journal.connection import (
    _READY,
    BUSY_TIMEOUT_SECONDS,
    CHAT_TIMEOUT_SECONDS,
    Connection,
    _decode,
    _encode,
    close_connections,
    journal_exists,
    utc_now,
)
from shared.journal.errors import EntryTooLarge, JournalTooNew, JournalUnavailable, Replayed
from shared.journal.history import (
    SQL_FIELD_CHANGES,
    SQL_FIRST_RECORD,
    SQL_SNAPSHOTS,
    SQL_STATUS_CHANGES,
    SQL_UPDATES_BY_REF,
    HistoryMixin,
)
from shared.journal.maintenance import MaintenanceMixin, file_facts
from shared.journal.posts import PostsMixin
from shared.journal.schema import _SCHEMA, SCHEMA_VERSION
from shared.journal.updates import FINAL_STATES, MAX_ENTRY_CHARS, UpdatesMixin


class Journal(UpdatesMixin, HistoryMixin, PostsMixin, MaintenanceMixin, Connection):
    """The journal file. Each thread keeps one connection to it, so threads and processes can share it.

    Every failure to use it (locked past `BUSY_TIMEOUT_SECONDS`, disk full, read-only, damaged) is raised
    as `JournalUnavailable` with a sentence for the person."""


__all__ = [
    "APPLIED", "BUSY_TIMEOUT_SECONDS", "CHAT_TIMEOUT_SECONDS", "CONFLICT", "FINAL_STATES", "IN_EXCEL",
    "MAX_ENTRY_CHARS", "OPEN_STATES", "PENDING", "REJECTED", "SCHEMA_VERSION", "SQL_FIELD_CHANGES",
    "SQL_FIRST_RECORD", "SQL_SNAPSHOTS", "SQL_STATUS_CHANGES", "SQL_UPDATES_BY_REF", "WRITING", "WRITTEN_STATES",
    "_READY", "_SCHEMA", "_decode", "_encode", "EntryTooLarge", "Given", "Journal", "JournalEntry", "JournalTooNew",
    "JournalUnavailable", "Replayed", "close_connections", "file_facts", "journal_exists", "last_given", "scrub",
    "utc_now",
]
