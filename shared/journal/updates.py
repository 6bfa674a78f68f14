"""The updates and their states: recording one (once per idempotency key), moving it on, holding the waiting
ones back, what a sender saw and what was written since, and whose sender is still to be told."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Sequence

from shared.domain.update import (
    APPLIED,
    CONFLICT,
    OPEN_STATES,
    PENDING,
    REJECTED,
    WRITING,
    WRITTEN_STATES,
    Given,
    JournalEntry,
    last_given,
)
from shared.journal.connection import Connection, _decode, _encode, _encode_detail
from shared.journal.errors import EntryTooLarge
from shared.journal.posts import keep_replay_keys
from shared.journal.schema import _NAMES_ONLY

#: States an update ends in.
FINAL_STATES = (APPLIED, CONFLICT, REJECTED)
#: The most a journalled update may hold, in characters of its stored text (field values, what the sender
#: saw, who, the detail). What the rules accept (2,000 characters a text, four fields) and what a form may
#: carry (longer texts only as fingerprints) stays well under it; anything larger is refused before it is
#: written, so no request can grow the journal by more than this.
MAX_ENTRY_CHARS = 32_000


def _entry(row: sqlite3.Row) -> JournalEntry:
    return JournalEntry(
        seq=row["seq"], id=row["id"], ref=row["ref"], changes=_decode(row["changes"]),
        seen=_decode(row["seen"]), by=row["by"], via=row["via"], reply_to=row["reply_to"],
        state=row["state"], detail=json.loads(row["detail"]), created_at=row["created_at"],
        updated_at=row["updated_at"], notified_at=row["notified_at"], view_seq=row["view_seq"])


def _new_update_id() -> str:
    """`uuid.uuid4().hex`: 128 random bits with the version (4) and variant bits set, as 32 hex digits, made
    without the `UUID` object, whose checks were most of what an Update ID cost."""
    bits = int.from_bytes(os.urandom(16), "big")
    bits = bits & ~(0xC000 << 48) | (0x8000 << 48)  # the variant (RFC 4122)
    bits = bits & ~(0xF000 << 64) | (4 << 76)  # the version
    return f"{bits:032x}"


def _kept_as_given(ref: object, by: object, via: object, reply_to: object, state: object, view_seq: object) -> bool:
    """Whether a row written with these values reads back with the same values of the same types: text in its
    text columns, an integer (not a bool, kept as 0 or 1) or None as `view_seq`. Anything else (a number for a
    name, text for the sequence number) SQLite converts by the column's type: such a row is read back."""
    return (type(ref) is str and type(by) is str and type(via) is str and type(state) is str
            and (reply_to is None or type(reply_to) is str) and (view_seq is None or type(view_seq) is int))


def _seq_of(row: sqlite3.Row) -> int:
    return row["seq"]


#: `view_mark`'s one statement: the first update still open (the least of each open state's first, found by
#: its index, as `in_states` asks: no table of the states is built) and the last one journalled.
_VIEW_MARK = ("SELECT (SELECT MIN(seq) FROM (" + " UNION ALL ".join(
    ["SELECT MIN(seq) AS seq FROM updates WHERE state=?"] * len(OPEN_STATES)) + ")) AS first_open, "
    "(SELECT COALESCE(MAX(seq), 0) FROM updates) AS last")


class UpdatesMixin(Connection):
    """`Journal`'s updates: written before anything touches the workbook, then moved through their states."""

    def record(self, *, ref: str, changes: dict, seen: dict, by: str, via: str, state: str,
               detail: dict | None = None, reply_to: str | None = None,
               idempotency_key: str | None = None, view_seq: int | None = None,
               replay_keys: Sequence[str] = (), durable: bool = True) -> tuple[JournalEntry, bool]:
        """Write a new update (committed and synced before returning) and say whether it is new.

        An idempotency key seen before returns the earlier entry and False instead of a second
        entry (a double-clicked submit acts once). A refused update (`rejected`) keeps the names of its
        fields, never their values; an entry over `MAX_ENTRY_CHARS` raises EntryTooLarge, writing nothing.

        `replay_keys`: the keys of the signed request (or event) that carried it, kept in the same commit, so
        a restarted bot still refuses the request replayed (`seen_keys_since`); a key already kept raises
        `Replayed` and records nothing. `durable=False` leaves the fsync to the caller's `make_durable`,
        which it must call before telling anyone (`sli update`, which writes the update at once: the
        `writing` mark's fsync then syncs the record too)."""
        now = self._stamp()
        if state == REJECTED:
            changes, seen = dict.fromkeys(changes), {}
        columns = (_encode(changes), _encode(seen), _encode_detail(detail or {}))
        size = sum(map(len, columns)) + sum(len(text or "") for text in (ref, by, via, reply_to, idempotency_key))
        if size > MAX_ENTRY_CHARS:
            raise EntryTooLarge(f"Not recorded: the update is {size:,} characters long with what the form sent; "
                                f"the tracker keeps at most {MAX_ENTRY_CHARS:,}. Shorten it.")
        # Nothing but the INSERT (no keys to keep, none to look up): one statement, its own commit (`single`).
        single = not replay_keys and not idempotency_key
        with self._transaction(durable=durable, single=single) as db:
            keep_replay_keys(db, replay_keys)
            if not durable:
                self._owe_sync()
            if idempotency_key:
                row = db.execute("SELECT * FROM updates WHERE idempotency_key=?", (idempotency_key,)).fetchone()
                if row:
                    return _entry(row), False
            update_id = _new_update_id()
            told_at = now if state in FINAL_STATES else None  # refused at once: told in the answer
            try:
                seq = db.execute(
                    "INSERT INTO updates (id, ref, changes, seen, by, via, reply_to, idempotency_key, state,"
                    " detail, created_at, updated_at, view_seq, notified_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (update_id, ref, columns[0], columns[1], by, via, reply_to, idempotency_key,
                     state, columns[2], now, now, view_seq, told_at)).lastrowid
            except sqlite3.IntegrityError:
                row = db.execute("SELECT * FROM updates WHERE idempotency_key=?", (idempotency_key,)).fetchone()
                return _entry(row), False
            if _kept_as_given(ref, by, via, reply_to, state, view_seq):
                # The row as the table holds it, made from what was written (its columns' text decoded, as a
                # read decodes it) rather than read back: `seq` is the row's id; every other value is text,
                # None or an integer, which SQLite gives back as given.
                return JournalEntry(
                    seq=seq, id=update_id, ref=ref, changes=_decode(columns[0]), seen=_decode(columns[1]), by=by,
                    via=via, reply_to=reply_to, state=state, detail=json.loads(columns[2]), created_at=now,
                    updated_at=now, notified_at=told_at, view_seq=view_seq), True
            row = db.execute("SELECT * FROM updates WHERE id=?", (update_id,)).fetchone()
            return _entry(row), True

    def make_durable(self) -> None:
        """Sync what this thread recorded without its fsync (`record(durable=False)`): one fdatasync of the
        WAL, and nothing when a later synced commit (an update marked `writing`) already synced it.

        `sli update` records its update this way and calls this before it says anything: the update is on
        disk before anyone is told it was recorded, at one fsync instead of two when it is written at once."""
        self._sync_owed()

    def get(self, update_id: str) -> JournalEntry:
        with self._connect() as db:
            row = db.execute("SELECT * FROM updates WHERE id=?", (update_id,)).fetchone()
        if row is None:
            raise KeyError(update_id)
        return _entry(row)

    def set_state(self, update_id: str, state: str, detail: dict | None = None) -> None:
        """Move an update to `state`, in one commit. An update refused when it came to be written (`rejected`)
        keeps the names of its fields and no longer their values, as one refused when it arrived.

        Only `writing` is synced (FULL): it must be on disk before the file it marks is replaced, or after
        a power cut an update the file holds would look unwritten. Every other move can be made again
        from the file after a crash (`applied` once the Change log holds the Update ID, a conflict or
        refusal by planning the update again, a held update's sentence), so it costs no fsync."""
        self._set_state(update_id, state, detail, durable=state == WRITING)

    def mark_writing(self, update_id: str, detail: dict) -> Callable[[], None]:
        """`set_state(WRITING)` with its fsync handed back: committed now, synced when the returned call is made
        (in any thread: the workbook's syncing thread, while the new file syncs), which must end before the
        file it marks is replaced. It syncs whatever this thread left unsynced before (a record, see `record`)."""
        self._set_state(update_id, WRITING, detail, durable=False)
        self._owe_sync()
        return self._wal_sync()

    def _set_state(self, update_id: str, state: str, detail: dict | None, durable: bool) -> None:
        # One statement unless refused (its values dropped too): its own transaction (`single`).
        with self._transaction(durable=durable, single=state != REJECTED) as db:
            if detail is None:
                db.execute("UPDATE updates SET state=?, updated_at=? WHERE id=?", (state, self._stamp(), update_id))
            else:
                db.execute("UPDATE updates SET state=?, detail=?, updated_at=? WHERE id=?",
                           (state, _encode_detail(detail), self._stamp(), update_id))
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
        """The updates in any of `states` (of `ref` when given), in journal order. Asked as one SELECT for each
        state, put together (UNION ALL) and ordered here: `state IN (...)` made SQLite build a table of the
        states and `ORDER BY` a sorter, each with its own page cache, dearer than the rows they found (the
        same index finds the same rows either way)."""
        wanted = list(dict.fromkeys(states))
        one = "SELECT * FROM updates WHERE state=?" + (" AND ref=?" if ref else "")
        args: list[object] = [arg for state in wanted for arg in ((state, ref) if ref else (state,))]
        query = " UNION ALL ".join([one] * len(wanted)) or "SELECT * FROM updates WHERE 0"
        with self._connect() as db:
            rows = db.execute(query, args).fetchall()
        rows.sort(key=_seq_of)
        return [_entry(r) for r in rows]

    def view_mark(self) -> int:
        """The sequence number up to which every update is settled: what a person reading the file now sees.

        Read before the file, so that any update written after it is known to come through the journal."""
        with self._connect() as db:
            # One read transaction: both questions see the same journal (an update recorded between them
            # would otherwise count as seen before the file was read).
            row = db.execute(_VIEW_MARK, OPEN_STATES).fetchone()
            return row["first_open"] - 1 if row["first_open"] is not None else row["last"]

    def written_between(self, ref: str, after_seq: int, before_seq: int) -> dict[str, object]:
        """The value each field of `ref` should hold once the updates with after_seq < seq < before_seq are
        in: those journalled after the sender's view and before their update, which explain a field that
        differs from what they saw. The last one journalled gives it (`last_given`: updates of a
        recommendation are written in journal order), whether written already or still waiting (it goes in
        first). Conflicts and refusals wrote nothing and do not count. Nothing is asked of the journal when no
        sequence number lies between the two (an update journalled right after its sender's view)."""
        if isinstance(after_seq, int) and isinstance(before_seq, int) and before_seq <= after_seq + 1:
            return {}
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
