"""The journal's tables and indexes, its schema version (`PRAGMA user_version`) and the migrations that bring
an older journal forward, in one transaction, when it is first opened."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

from shared.domain.update import APPLIED, CONFLICT, REJECTED, scrub
from shared.journal.errors import JournalTooNew

#: The journal's schema version, kept in SQLite's `PRAGMA user_version`. A journal with a lower one (0: every
#: journal written before versions were kept) is migrated forward when it is first opened, in one transaction;
#: one with a higher one was written by a newer version of the tracker and is not used (`JournalTooNew`).
SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS updates (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    ref TEXT NOT NULL,
    changes TEXT NOT NULL,
    seen TEXT NOT NULL,
    by TEXT NOT NULL,
    via TEXT NOT NULL,
    reply_to TEXT,
    idempotency_key TEXT UNIQUE,
    state TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    notified_at TEXT,
    view_seq INTEGER
);
CREATE INDEX IF NOT EXISTS updates_state_ref ON updates(state, ref, seq);
CREATE INDEX IF NOT EXISTS updates_ref_seq ON updates(ref, seq);
-- What still needs telling: small however long the history, since an update whose sender was told at
-- once (not held back) is marked notified when it ends.
CREATE INDEX IF NOT EXISTS updates_to_tell ON updates(seq) WHERE notified_at IS NULL AND reply_to IS NOT NULL;
CREATE TABLE IF NOT EXISTS snapshots (
    month TEXT PRIMARY KEY,
    taken_at TEXT NOT NULL,
    figures TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS posts (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    state TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    posted_at TEXT,
    detail TEXT,
    PRIMARY KEY (kind, key)
);
CREATE TABLE IF NOT EXISTS seen_keys (
    key TEXT PRIMARY KEY,
    seen_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS seen_keys_seen_at ON seen_keys(seen_at);
CREATE TABLE IF NOT EXISTS conversations (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    reference TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
"""


#: SQL for a row's `changes` with each field's value dropped: {"Status": null, ...}.
_NAMES_ONLY = "(SELECT COALESCE(json_group_object(key, NULL), '{}') FROM json_each(changes))"


def _forget_refused_text(db: sqlite3.Connection) -> bool:
    """Refused updates journalled before refusals kept no text: drop their values, and the words of their
    reasons that quote them. Runs inside the caller's transaction (the migration to version 1); True when
    rows were changed, so the caller empties the WAL once committed and the text is gone from the files,
    not only from the rows (`secure_delete` zeroes the freed bytes)."""
    query = "SELECT seq, changes, detail FROM updates WHERE state=? AND seen != '{}'"
    if db.execute(query + " LIMIT 1", (REJECTED,)).fetchone() is None:
        return False
    db.execute("PRAGMA secure_delete=ON")
    for row in db.execute(query, (REJECTED,)).fetchall():
        values = [v for v in json.loads(row["changes"]).values() if v is not None]
        detail = json.loads(row["detail"])
        for key in ("message", "reasons"):
            if isinstance(detail.get(key), str):
                detail[key] = scrub(detail[key], values)
            elif isinstance(detail.get(key), list):
                detail[key] = [scrub(str(reason), values) for reason in detail[key]]
        db.execute(f"UPDATE updates SET changes={_NAMES_ONLY}, seen='{{}}', detail=? WHERE seq=?",
                   (json.dumps(detail, ensure_ascii=False), row["seq"]))
    return True


# --- schema versions and migrations --------------------------------------------------------------------

def _statements(script: str) -> list[str]:
    """The statements of a script one by one: `executescript` would commit the migration's transaction."""
    statements, pending = [], ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    return statements


def _to_version_1(db: sqlite3.Connection) -> bool:
    """From any journal written before versions were kept (version 0): the tables and indexes as they are
    now, the view each update was made from (`view_seq`, added with the conflict check), the senders of
    updates that ended before telling was tracked marked told, and refused updates' text forgotten."""
    columns = {row["name"] for row in db.execute("PRAGMA table_info(updates)")}
    if columns and "view_seq" not in columns:  # journals written before the view was kept
        db.execute("ALTER TABLE updates ADD COLUMN view_seq INTEGER")
        db.execute("UPDATE updates SET notified_at=updated_at WHERE notified_at IS NULL AND state IN "
                   "(?,?,?) AND COALESCE(json_extract(detail, '$.was_held'), 0) != 1", (APPLIED, CONFLICT, REJECTED))
    for statement in _statements(_SCHEMA):
        db.execute(statement)
    return _forget_refused_text(db)


def _to_version_2(db: sqlite3.Connection) -> bool:
    """Without the two indexes another one holds (version 1 had them): `updates_state` (state, seq) is the head
    of `updates_state_ref` (state, ref, seq), and `updates_ref` (ref, seq: an index keeps the row's `seq`) is
    `updates_ref_seq` again. Each was one more page written at every record and every move of a state."""
    db.execute("DROP INDEX IF EXISTS updates_state")
    db.execute("DROP INDEX IF EXISTS updates_ref")
    return False


#: Migration to each version from the one before: `_MIGRATIONS[n]` takes a journal at n - 1 to n and says
#: whether it freed text that must leave the files (the WAL is emptied after the commit).
_MIGRATIONS = {1: _to_version_1, 2: _to_version_2}


def _too_new(path: Path, version: int) -> JournalTooNew:
    return JournalTooNew(f"The update journal {path.name} was written by a newer version of the tracker (journal "
                         f"schema {version}; this version knows up to {SCHEMA_VERSION}), so it is left untouched: "
                         "run the newer version again, or restore the backup taken before it was installed "
                         "(sli restore).")


def _switch_to_wal(db: sqlite3.Connection) -> None:
    """Put the file in WAL mode (its own setting, which cannot change inside a transaction), waiting for other
    connections as long as the connection's busy timeout allows.

    SQLite answers "database is locked" at once, without its busy handler, when another connection holds the
    file while this one switches it: so two processes making a new journal together (two `sli update`s, or
    the bot and `sli`, on a new workbook) would see one of them refuse its update in milliseconds. It is
    asked again, a little later each time, until the timeout (then the error stands, as for any lock)."""
    deadline = time.monotonic() + db.execute("PRAGMA busy_timeout").fetchone()[0] / 1000
    pause = 0.001
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.025)


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    """Bring the journal to `SCHEMA_VERSION` in one transaction: every step, and the new version number, or
    nothing (a failure or a crash leaves the journal as it was, and the next start tries again). A journal
    already at this version is only read, so a read-only one still opens; two processes starting together
    take turns (`BEGIN IMMEDIATE`) and the second finds nothing to do."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return
    if version > SCHEMA_VERSION:
        raise _too_new(path, version)
    _switch_to_wal(db)
    db.execute("BEGIN IMMEDIATE")
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]  # another process may have done it
        if version > SCHEMA_VERSION:
            raise _too_new(path, version)
        freed = False
        for step in range(version + 1, SCHEMA_VERSION + 1):
            freed = _MIGRATIONS[step](db) or freed
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION:d}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    if freed:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
