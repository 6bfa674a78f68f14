"""The durable journal of updates (SQLite, beside the workbook): nothing a partner lead sends is lost.

An update is written here before anything touches the workbook, and its state moves
pending -> writing -> applied (or conflict, or rejected; or pending -> in_excel -> applied when the
add-in puts it into the workbook open in Excel). `writing` marks the moment the file may
already hold the update: after a crash, the Change log's Update ID column tells whether it did.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from shared.domain import schema as s
from shared.domain.logrow import LogRow
from shared.domain.update import (  # noqa: F401 (the states are the journal's vocabulary too)
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

#: States an update ends in.
FINAL_STATES = (APPLIED, CONFLICT, REJECTED)
#: How long a journal call waits for another connection's lock before giving up: a few seconds, never
#: the minutes SQLite would allow, so a person is told rather than left waiting.
BUSY_TIMEOUT_SECONDS = 5.0
#: The wait for a chat front end, which must tell its sender within Slack's 3 seconds.
CHAT_TIMEOUT_SECONDS = 2.0
#: The most a journalled update may hold, in characters of its stored text (field values, what the sender
#: saw, who, the detail). What the rules accept (2,000 characters a text, four fields) and what a form may
#: carry (longer texts only as fingerprints) stays well under it; anything larger is refused before it is
#: written, so no request can grow the journal by more than this.
MAX_ENTRY_CHARS = 32_000
#: The journal's schema version, kept in SQLite's `PRAGMA user_version`. A journal with a lower one (0: every
#: journal written before versions were kept) is migrated forward when it is first opened, in one transaction;
#: one with a higher one was written by a newer version of the tracker and is not used (`JournalTooNew`).
SCHEMA_VERSION = 1

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
CREATE INDEX IF NOT EXISTS updates_state ON updates(state);
CREATE INDEX IF NOT EXISTS updates_ref ON updates(ref);
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


class EntryTooLarge(ValueError):
    """An update larger than `MAX_ENTRY_CHARS`: refused before anything is written. One sentence."""


class JournalUnavailable(Exception):
    """The journal cannot be read or written (locked, disk full, read-only, damaged): nothing was recorded.

    Its message is one sentence for the person, saying what happened and what to do."""


class JournalTooNew(JournalUnavailable):
    """The journal's schema version is newer than this code knows: a newer version of the tracker wrote it.
    Nothing is read or written, so a downgrade cannot damage it; the sentence says what to do."""


def _unavailable(path: Path, exc: BaseException, reading: bool = False) -> JournalUnavailable:
    """The sentence for a failure: what was not done (nothing recorded; or, `reading`, the history not
    read), why, and what to do."""
    text = str(exc).lower()
    if _disk_full(path):
        text = "full"
    if "locked" in text or "busy" in text:
        why = "it is locked by another program"
        todo = "Try again in a minute."
    elif "full" in text or getattr(exc, "errno", None) == 28:
        why = "the disk is full"
        todo = "Ask IT to free space on the file server, then try again."
    elif "readonly" in text or "read-only" in text or "permission" in text or "unable to open" in text:
        why = "its folder or file cannot be written (read-only or no permission)"
        todo = "Ask IT to give the tracker write access to the workbook's folder, then try again."
    elif "malformed" in text or "not a database" in text or "corrupt" in text:
        why = "the journal file is damaged"
        todo = "Ask an officer to move it aside (it is rebuilt empty) and restore it from backup."
    else:
        why = f"of an error ({exc})"
        todo = "Try again; if it keeps happening, tell an officer."
    done = "The history of updates could not be read" if reading else "Nothing was recorded"
    return JournalUnavailable(f"{done}: the update journal {path.name} cannot be used because {why}. {todo}")


def _disk_full(path: Path) -> bool:
    """SQLite reports a full disk as "database or disk is full" or as a plain "disk I/O error"."""
    try:
        return shutil.disk_usage(path.parent).free < 64 * 1024
    except OSError:
        return False


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


# --- the history's queries (read-only; `Journal.field_changes` and the methods beside it) ----------

#: When an applied update's Change log rows were written; journals from before `written_at` was kept
#: fall back on the moment the update was marked applied (the same second, give or take).
_AT = "COALESCE(json_extract(u.detail, '$.written_at'), substr(u.updated_at, 1, 19))"
#: Cheap tests first, on plain columns, so the JSON is parsed only for the rows of the period: an update is
#: created before its rows are written and marked applied (updated_at) after, so created_at <= written_at <=
#: updated_at. (An index on written_at would make these lookups rather than scans.)
_PERIOD = f"u.updated_at >= :start AND u.created_at < :end AND {_AT} >= :start AND {_AT} < :end"
#: Every field change (one row per Change log row) written in [:start, :end), in the log's order: the
#: columns `LogRow.from_journal` takes.
SQL_FIELD_CHANGES = f"""
SELECT {_AT} AS written_at, u.ref AS ref, c.key AS field, json_extract(c.value, '$[0]') AS old,
       json_extract(c.value, '$[1]') AS new, u.by AS by, u.via AS via, u.id AS update_id
FROM updates AS u, json_each(u.detail, '$.changes') AS c
WHERE u.state = 'applied' AND {_PERIOD}
ORDER BY written_at, u.seq, c.id
"""
#: Status changes written in [:start, :end). The sender's `changes` holds every field the applied update
#: changed: a cheap test before the JSON.
SQL_STATUS_CHANGES = f"""
SELECT {_AT} AS at, u.ref AS ref, json_extract(u.detail, '$.changes.Status[0]') AS old,
       json_extract(u.detail, '$.changes.Status[1]') AS new, u.seq AS seq
FROM updates AS u
WHERE u.state = 'applied' AND instr(u.changes, '"Status"') > 0 AND {_PERIOD}
  AND json_extract(u.detail, '$.changes.Status') IS NOT NULL
ORDER BY at, u.seq
"""
#: Updates applied per ref in [:start, :end) and the last one. Plain columns, no JSON. NOT INDEXED: one
#: pass over the table is 3x faster than walking the (state, ref) index and looking up every row.
SQL_UPDATES_BY_REF = """
SELECT u.ref AS ref, COUNT(*) AS updates, MAX(substr(u.updated_at, 1, 19)) AS last_at
FROM updates AS u NOT INDEXED
WHERE u.state = 'applied' AND u.updated_at >= :start AND u.updated_at < :end
GROUP BY u.ref
"""
#: The journal's first record: history before it is unknown.
SQL_FIRST_RECORD = "SELECT created_at FROM updates ORDER BY seq LIMIT 1"
SQL_SNAPSHOTS = "SELECT month, figures FROM snapshots ORDER BY month"


def _period(start: datetime | None, end: datetime | None) -> dict[str, str]:
    """The bounds of a history query as the journal's ISO text; no bound is the beginning or end of time."""
    return {"start": start.isoformat() if start is not None else "0000",
            "end": end.isoformat() if end is not None else "9999"}


class Journal:
    """The journal file. Each call opens its own connection, so threads and processes can share it.

    Every failure to use it (locked past `BUSY_TIMEOUT_SECONDS`, disk full, read-only, damaged) is raised
    as `JournalUnavailable` with a sentence for the person."""

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
    def session(self) -> Iterator[Journal]:
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

    def record(self, *, ref: str, changes: dict, seen: dict, by: str, via: str, state: str,
               detail: dict | None = None, reply_to: str | None = None,
               idempotency_key: str | None = None, view_seq: int | None = None) -> tuple[JournalEntry, bool]:
        """Write a new update (committed and synced before returning) and say whether it is new.

        An idempotency key seen before returns the earlier entry and False instead of a second
        entry (a double-clicked submit acts once). A refused update (`rejected`) keeps the names of its
        fields, never their values; an entry over `MAX_ENTRY_CHARS` raises EntryTooLarge, writing nothing."""
        now = self._stamp()
        if state == REJECTED:
            changes, seen = dict.fromkeys(changes), {}
        columns = (_encode(changes), _encode(seen), json.dumps(detail or {}, ensure_ascii=False))
        size = sum(map(len, columns)) + sum(len(text or "") for text in (ref, by, via, reply_to, idempotency_key))
        if size > MAX_ENTRY_CHARS:
            raise EntryTooLarge(f"Not recorded: the update is {size:,} characters long with what the form sent; "
                                f"the tracker keeps at most {MAX_ENTRY_CHARS:,}. Shorten it.")
        with self._connect() as db:
            if idempotency_key:
                row = db.execute("SELECT * FROM updates WHERE idempotency_key=?", (idempotency_key,)).fetchone()
                if row:
                    return _entry(row), False
            update_id = uuid.uuid4().hex
            try:
                db.execute(
                    "INSERT INTO updates (id, ref, changes, seen, by, via, reply_to, idempotency_key, state,"
                    " detail, created_at, updated_at, view_seq, notified_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (update_id, ref, columns[0], columns[1], by, via, reply_to, idempotency_key,
                     state, columns[2], now, now, view_seq,
                     now if state in FINAL_STATES else None))  # refused at once: told in the answer
            except sqlite3.IntegrityError:
                row = db.execute("SELECT * FROM updates WHERE idempotency_key=?", (idempotency_key,)).fetchone()
                return _entry(row), False
            return _entry(db.execute("SELECT * FROM updates WHERE id=?", (update_id,)).fetchone()), True

    def get(self, update_id: str) -> JournalEntry:
        with self._connect() as db:
            row = db.execute("SELECT * FROM updates WHERE id=?", (update_id,)).fetchone()
        if row is None:
            raise KeyError(update_id)
        return _entry(row)

    def set_state(self, update_id: str, state: str, detail: dict | None = None) -> None:
        """Move an update to `state`. An update refused when it came to be written (`rejected`) keeps the
        names of its fields and no longer their values, as one refused when it arrived."""
        with self._connect() as db:
            if detail is None:
                db.execute("UPDATE updates SET state=?, updated_at=? WHERE id=?", (state, self._stamp(), update_id))
            else:
                db.execute("UPDATE updates SET state=?, detail=?, updated_at=? WHERE id=?",
                           (state, json.dumps(detail, ensure_ascii=False), self._stamp(), update_id))
            if state == REJECTED:
                db.execute(f"UPDATE updates SET changes={_NAMES_ONLY}, seen='{{}}' WHERE id=?", (update_id,))

    def hold(self, message: str, owner: str | None = None) -> int:
        """Every `pending` update is held back with `message` (Excel has the workbook open; another program
        holds its lock): one statement that rewrites only the rows whose message (or owner) it changes,
        so holding costs the same with three hundred updates waiting as with none. Returns rows changed."""
        owner_path = ", '$.owner', ?" if owner is not None else ""
        differs = " OR json_extract(detail, '$.owner') IS NOT ?" if owner is not None else ""
        args: list[object] = [message] + ([owner] if owner is not None else []) + [self._stamp(), PENDING, message]
        args += [owner] if owner is not None else []
        with self._connect() as db:
            return db.execute(
                f"UPDATE updates SET detail=json_set(detail, '$.message', ?, '$.was_held', 1{owner_path}), "
                f"updated_at=? WHERE state=? AND (json_extract(detail, '$.message') IS NOT ?{differs} "
                "OR json_extract(detail, '$.was_held') IS NOT 1)", args).rowcount

    def hold_behind(self, ref: str, after_seq: int, message: str) -> int:
        """The `pending` updates of `ref` journalled after `after_seq` wait behind it (it could not be
        written): they get `message`, rewriting only the rows it changes. Returns rows changed."""
        with self._connect() as db:
            return db.execute(
                "UPDATE updates SET detail=json_set(detail, '$.message', ?, '$.was_held', 1), updated_at=? "
                "WHERE state=? AND ref=? AND seq>? AND (json_extract(detail, '$.message') IS NOT ? "
                "OR json_extract(detail, '$.was_held') IS NOT 1)",
                (message, self._stamp(), PENDING, ref, after_seq, message)).rowcount

    def has_open(self) -> bool:
        """Whether any update is still to be written (pending, writing, in the open workbook)."""
        marks = ",".join("?" for _ in OPEN_STATES)
        with self._connect() as db:
            return db.execute(f"SELECT 1 FROM updates WHERE state IN ({marks}) LIMIT 1", OPEN_STATES).fetchone() \
                is not None

    def in_states(self, *states: str, ref: str | None = None) -> list[JournalEntry]:
        marks = ",".join("?" for _ in states)
        query = f"SELECT * FROM updates WHERE state IN ({marks})"
        args: list[object] = list(states)
        if ref:
            query += " AND ref=?"
            args.append(ref)
        with self._connect() as db:
            return [_entry(r) for r in db.execute(query + " ORDER BY seq", args)]

    def view_mark(self) -> int:
        """The sequence number up to which every update is settled: what a person reading the file now sees.

        Read before the file, so that any update written after it is known to come through the journal."""
        with self._connect() as db:
            # One read transaction: both questions see the same journal (an update recorded between them
            # would otherwise count as seen before the file was read).
            row = db.execute(f"SELECT (SELECT MIN(seq) FROM updates WHERE state IN "
                             f"({','.join('?' for _ in OPEN_STATES)})) AS first_open, "
                             "(SELECT COALESCE(MAX(seq), 0) FROM updates) AS last", OPEN_STATES).fetchone()
            return row["first_open"] - 1 if row["first_open"] is not None else row["last"]

    def written_between(self, ref: str, after_seq: int, before_seq: int) -> dict[str, object]:
        """The value each field of `ref` should hold once the updates with after_seq < seq < before_seq are
        in: those journalled after the sender's view and before their update, which explain a field that
        differs from what they saw. The last one journalled gives it (`last_given`: updates of a
        recommendation are written in journal order), whether written already or still waiting (it goes in
        first). Conflicts and refusals wrote nothing and do not count."""
        states = (*WRITTEN_STATES, PENDING)
        marks = ",".join("?" for _ in states)
        with self._connect() as db:
            rows = db.execute(f"SELECT state, changes, detail FROM updates WHERE ref=? AND seq>? AND seq<? AND "
                              f"state IN ({marks}) ORDER BY seq", (ref, after_seq, before_seq, *states)).fetchall()
        given: dict[str, list[Given]] = {}
        for row in rows:
            written = row["state"] != PENDING
            detail = json.loads(row["detail"]) if written else {}
            changed = detail.get("changes") or {}
            for column, value in _decode(row["changes"]).items():
                old = changed[column][0] if column in changed else None
                given.setdefault(column, []).append(Given(value, written, old, detail.get("written_at")))
        return {column: last_given(values) for column, values in given.items()}

    def for_ref(self, ref: str) -> list[JournalEntry]:
        with self._connect() as db:
            return [_entry(r) for r in db.execute("SELECT * FROM updates WHERE ref=? ORDER BY seq", (ref,))]

    def to_notify(self) -> list[JournalEntry]:
        """Updates that ended (applied, conflict, rejected) whose sender was not yet told: whoever tells
        them first (the bot's writer thread, or the notifier for one held back) marks them told."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT * FROM updates INDEXED BY updates_to_tell WHERE notified_at IS NULL AND reply_to IS NOT NULL"
                " AND state IN (?,?,?) ORDER BY seq", FINAL_STATES)
            return [_entry(r) for r in rows]

    def first_time(self, key: str, keep: timedelta = timedelta(days=1)) -> bool:
        """True the first time `key` is offered, in any process (a retried Slack event acts once).

        Keys older than `keep` are forgotten (Slack retries within the hour, signatures expire in five
        minutes), so the table stays small however many requests the bot serves."""
        now = datetime.now(UTC)
        with self._connect() as db:
            db.execute("DELETE FROM seen_keys WHERE seen_at < ?", ((now - keep).isoformat(timespec="seconds"),))
            cursor = db.execute("INSERT OR IGNORE INTO seen_keys (key, seen_at) VALUES (?, ?)",
                                (key, now.isoformat(timespec="seconds")))
            return cursor.rowcount == 1

    # --- operations: readiness, backups, schema version (IT's side: shared/usecases/operations.py) ----

    def schema_version(self) -> int:
        with self._connect() as db:
            return db.execute("PRAGMA user_version").fetchone()[0]

    def check_writable(self) -> None:
        """Raise JournalUnavailable (with its sentence) unless an update could be journalled now: the write
        lock taken and a page written, then rolled back, so nothing changes. SQLite opens a file it may not
        write without complaint and takes the lock; only a write says so."""
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                version = db.execute("PRAGMA user_version").fetchone()[0]
                db.execute(f"PRAGMA user_version={version:d}")
            finally:
                db.execute("ROLLBACK")

    def waiting_stats(self) -> tuple[int, str | None]:
        """How many updates wait to be written (pending, being written, in the open workbook) and when the
        oldest of them was journalled (ISO time, UTC), for a monitor."""
        marks = ",".join("?" for _ in OPEN_STATES)
        with self._connect() as db:
            row = db.execute(f"SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM updates WHERE state IN ({marks})",
                             OPEN_STATES).fetchone()
        return row["n"], row["oldest"]

    def backup_to(self, target: Path) -> None:
        """Copy the journal into the new file `target` with SQLite's online backup API: one consistent
        state, taken while the server goes on writing (WAL: the copy reads a snapshot and blocks no one).
        The copy is a single self-contained file (rollback journal mode, no -wal beside it)."""
        with self._connect() as db:
            try:
                copy = sqlite3.connect(target, isolation_level=None)
            except sqlite3.Error as exc:
                raise _unavailable(Path(target), exc) from exc
            try:
                db.backup(copy)
                copy.execute("PRAGMA journal_mode=DELETE")
            finally:
                copy.close()

    def restore_from(self, source: Path) -> None:
        """Replace the journal's whole content with the backup `source`, through SQLite (the backup API in
        reverse, one transaction on this file, its -wal included), never by copying over the file."""
        try:
            backup = sqlite3.connect(f"{Path(source).resolve().as_uri()}?mode=ro", uri=True)
        except sqlite3.Error as exc:
            raise _unavailable(Path(source), exc) from exc
        try:
            with self._connect() as db:
                backup.backup(db)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            backup.close()
        with _READY_LOCK:
            _READY.discard(self.path.resolve())  # the restored journal is migrated when next opened

    # --- month-end snapshots: a summary reproduced later is the one that was posted ----------------

    def snapshot(self, month: str) -> str | None:
        with self._connect() as db:
            row = db.execute("SELECT figures FROM snapshots WHERE month=?", (month,)).fetchone()
        return row["figures"] if row else None

    def save_snapshot(self, month: str, figures: str) -> str:
        """Keep the first snapshot of a month (another process may have taken it first); return the kept one."""
        with self._connect() as db:
            db.execute("INSERT OR IGNORE INTO snapshots (month, taken_at, figures) VALUES (?,?,?)",
                       (month, self._stamp(), figures))
            return db.execute("SELECT figures FROM snapshots WHERE month=?", (month,)).fetchone()["figures"]

    def snapshots(self) -> list[tuple[str, str]]:
        """(month, figures) of every month frozen, oldest first (read-only)."""
        with self._reading() as db:
            return db.execute(SQL_SNAPSHOTS).fetchall()

    # --- the history, read-only: what trend, the summary, the report and `sli export` read -------------
    #
    # An applied update keeps the Change log rows it wrote in its `detail` (`LogRow.journal_record`:
    # `changes` = {field: [old, new]}, `written_at`), so the journal *is* the Change log's history, queryable
    # by period without parsing the sheet. These reads open their own read-only connection (`mode=ro`): a
    # history question never takes a write lock, and never waits for a unit of work's connection.

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

    def field_changes(self, start: datetime | None = None, end: datetime | None = None) -> list[LogRow]:
        """Every Change log row written in [start, end) (naive UTC; None: no bound), in the log's order."""
        with self._reading() as db:
            rows = db.execute(SQL_FIELD_CHANGES, _period(start, end)).fetchall()
        return [LogRow.from_journal(*row) for row in rows]

    def field_change_values(self, start: datetime | None = None, end: datetime | None = None) -> list[tuple]:
        """`field_changes` as plain tuples (`LogRow.journal_values`: the time as ISO text), for a frame."""
        with self._reading() as db:
            rows = db.execute(SQL_FIELD_CHANGES, _period(start, end)).fetchall()
        return [LogRow.journal_values(*row) for row in rows]

    def status_changes(self, since: datetime | None = None) -> list[tuple[str, str, str | None, str | None, int]]:
        """Status changes written at or after `since` (naive UTC), oldest first: (when as ISO text, ref, old,
        new, seq). What a backwards replay of statuses needs, and no more."""
        with self._reading() as db:
            return db.execute(SQL_STATUS_CHANGES, _period(since, None)).fetchall()

    def updates_by_ref(self, start: datetime | None = None,
                       end: datetime | None = None) -> list[tuple[str, int, str]]:
        """(ref, updates applied, the last one's time as ISO text) per ref, for updates applied in [start, end).
        An update that found nothing to change (it confirmed the values) counts as one."""
        with self._reading() as db:
            return db.execute(SQL_UPDATES_BY_REF, _period(start, end)).fetchall()

    def first_record(self) -> str | None:
        """When the journal's history begins (the first update's time, ISO text); None for an empty journal."""
        with self._reading() as db:
            row = db.execute(SQL_FIRST_RECORD).fetchone()
        return row[0] if row else None

    # --- "posted once" records: the monthly summary and each reminder ---------------------------

    def claim_post(self, kind: str, key: str, stale_after: timedelta = timedelta(minutes=15)) -> bool:
        """True for the one process that may post (kind, key) now: not posted yet, and not being posted
        by another process (a claim older than `stale_after` is a crashed poster's and is taken over)."""
        now = datetime.now(UTC)
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute("SELECT * FROM posts WHERE kind=? AND key=?", (kind, key)).fetchone()
            if row is None:
                db.execute("INSERT INTO posts (kind, key, state, claimed_at) VALUES (?,?,?,?)",
                           (kind, key, "claimed", now.isoformat()))
            elif row["state"] == "claimed" and datetime.fromisoformat(row["claimed_at"]) < now - stale_after:
                db.execute("UPDATE posts SET claimed_at=? WHERE kind=? AND key=?", (now.isoformat(), kind, key))
            else:
                db.execute("ROLLBACK")
                return False
            db.execute("COMMIT")
            return True

    def finish_post(self, kind: str, key: str, detail: dict | None = None) -> None:
        with self._connect() as db:
            db.execute("UPDATE posts SET state='posted', posted_at=?, detail=? WHERE kind=? AND key=?",
                       (self._stamp(), json.dumps(detail or {}), kind, key))

    def release_post(self, kind: str, key: str) -> None:
        """Give up a claim after a failed post, so the next attempt may try again."""
        with self._connect() as db:
            db.execute("DELETE FROM posts WHERE kind=? AND key=? AND state='claimed'", (kind, key))

    def forget_post(self, kind: str, key: str) -> None:
        """`--again`: allow (kind, key) to be posted once more."""
        with self._connect() as db:
            db.execute("DELETE FROM posts WHERE kind=? AND key=?", (kind, key))

    def posted(self, kind: str, key: str) -> dict | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM posts WHERE kind=? AND key=? AND state='posted'", (kind, key)).fetchone()
        return {"posted_at": row["posted_at"], **json.loads(row["detail"] or "{}")} if row else None

    # --- where a chat front end may post unasked (Teams conversation references) -----------------

    def keep_conversation(self, key: str, kind: str, reference: dict) -> None:
        """Keep (or refresh) a conversation reference: Teams lets a bot post into a team's channel or a
        person's chat only through the reference it was given when installed there or spoken to."""
        with self._connect() as db:
            db.execute("INSERT INTO conversations (key, kind, reference, updated_at) VALUES (?,?,?,?) "
                       "ON CONFLICT(key) DO UPDATE SET kind=excluded.kind, reference=excluded.reference, "
                       "updated_at=excluded.updated_at", (key, kind, json.dumps(reference), self._stamp()))

    def forget_conversation(self, key: str) -> None:
        """The app was removed from that team or chat: never post there again."""
        with self._connect() as db:
            db.execute("DELETE FROM conversations WHERE key=?", (key,))

    def conversation(self, key: str) -> dict | None:
        with self._connect() as db:
            row = db.execute("SELECT reference FROM conversations WHERE key=?", (key,)).fetchone()
        return json.loads(row["reference"]) if row else None

    def conversations(self, kind: str) -> list[tuple[str, dict]]:
        """(key, reference) of one kind, most recently kept first."""
        with self._connect() as db:
            rows = db.execute("SELECT key, reference FROM conversations WHERE kind=? ORDER BY updated_at DESC, "
                              "rowid DESC", (kind,)).fetchall()
        return [(row["key"], json.loads(row["reference"])) for row in rows]

    def unmark_notified(self, update_id: str) -> None:
        """The message could not be sent: the sender is still to be told (the notifier tries again)."""
        with self._connect() as db:
            db.execute("UPDATE updates SET notified_at=NULL WHERE id=?", (update_id,))

    def mark_notified(self, update_id: str) -> bool:
        """True for the one caller that marks it first (so a sender is told once)."""
        with self._connect() as db:
            cursor = db.execute("UPDATE updates SET notified_at=? WHERE id=? AND notified_at IS NULL",
                                (self._stamp(), update_id))
            return cursor.rowcount == 1

    # --- retention: what `sli purge` removes (README, "Personal data") --------------------------------

    def purge(self, before: datetime | None, months_before: str | None, keys_before: datetime,
              dry_run: bool = False) -> dict[str, int]:
        """Remove what the journal need no longer keep; how many of each went (or would go, `dry_run`):

        - `updates`: settled updates (applied, conflict, rejected) whose sender was told (or had no one to be
          told), settled before `before`: the oldest ones, up to the first update that must stay (still
          waiting, not yet told, or settled since). So what remains has no hole: the history replays exactly
          from its first record, and months before it read "no record". Never an update still waiting.
        - `kept`: settled updates older than `before` that stay because an update that must stay is older.
        - `snapshots`, `posts`: the month-end figures and the "posted once" records of months before
          `months_before` (2026-03).
        - `seen_keys`: the replay guards' keys seen before `keys_before`.

        The freed pages are zeroed and the WAL emptied, so what went is gone from the files, not only the rows."""
        counts = dict.fromkeys(("updates", "kept", "snapshots", "posts", "seen_keys"), 0)
        told = "(notified_at IS NOT NULL OR reply_to IS NULL)"
        settled = f"state IN ({','.join('?' for _ in FINAL_STATES)})"
        with self._connect() as db:
            db.execute("PRAGMA secure_delete=ON")
            db.execute("BEGIN IMMEDIATE")
            try:
                if before is not None:
                    cut = before.astimezone(UTC).isoformat(timespec="seconds")
                    stay = db.execute(f"SELECT MIN(seq) FROM updates WHERE NOT {settled} OR updated_at >= ? "
                                      f"OR NOT {told}", (*FINAL_STATES, cut)).fetchone()[0]
                    if stay is None:
                        counts["updates"] = db.execute("DELETE FROM updates").rowcount
                    else:
                        counts["updates"] = db.execute("DELETE FROM updates WHERE seq < ?", (stay,)).rowcount
                    counts["kept"] = db.execute(f"SELECT COUNT(*) FROM updates WHERE {settled} AND updated_at < ? "
                                                f"AND {told}", (*FINAL_STATES, cut)).fetchone()[0]
                if months_before is not None:
                    counts["snapshots"] = db.execute("DELETE FROM snapshots WHERE month < ?",
                                                     (months_before,)).rowcount
                    counts["posts"] = db.execute("DELETE FROM posts WHERE state='posted' AND key < ?",
                                                 (months_before,)).rowcount
                counts["seen_keys"] = db.execute(
                    "DELETE FROM seen_keys WHERE seen_at < ?",
                    (keys_before.astimezone(UTC).isoformat(timespec="seconds"),)).rowcount
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("ROLLBACK" if dry_run else "COMMIT")
            if not dry_run:
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return counts


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


#: Migration to each version from the one before: `_MIGRATIONS[n]` takes a journal at n - 1 to n and says
#: whether it freed text that must leave the files (the WAL is emptied after the commit).
_MIGRATIONS = {1: _to_version_1}


def _too_new(path: Path, version: int) -> JournalTooNew:
    return JournalTooNew(f"The update journal {path.name} was written by a newer version of the tracker (journal "
                         f"schema {version}; this version knows up to {SCHEMA_VERSION}), so it is left untouched: "
                         "run the newer version again, or restore the backup taken before it was installed "
                         "(sli restore).")


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
    db.execute("PRAGMA journal_mode=WAL")  # the file's setting; cannot change inside a transaction
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


def file_facts(path: Path) -> dict[str, object]:
    """What a journal file holds, read without changing it (a backup, before it is restored): whether SQLite
    finds it sound (`quick_check`), its schema version, and its updates' IDs. Raises JournalUnavailable
    with a sentence when it is not a journal at all."""
    try:
        db = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise _unavailable(Path(path), exc) from exc
    try:
        check = db.execute("PRAGMA quick_check").fetchone()[0]
        version = db.execute("PRAGMA user_version").fetchone()[0]
        ids = [row[0] for row in db.execute("SELECT id FROM updates ORDER BY seq")]
    except sqlite3.Error as exc:
        raise _unavailable(Path(path), exc) from exc
    finally:
        db.close()
    return {"sound": check == "ok", "schema_version": version, "update_ids": ids}


def _entry(row: sqlite3.Row) -> JournalEntry:
    return JournalEntry(
        seq=row["seq"], id=row["id"], ref=row["ref"], changes=_decode(row["changes"]),
        seen=_decode(row["seen"]), by=row["by"], via=row["via"], reply_to=row["reply_to"],
        state=row["state"], detail=json.loads(row["detail"]), created_at=row["created_at"],
        updated_at=row["updated_at"], notified_at=row["notified_at"], view_seq=row["view_seq"])
