"""IT's side of the journal (shared/usecases/operations.py, `sli purge`): readiness, the schema version, the
waiting count for a monitor, backups and restores through SQLite, retention, and what a journal file holds."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from shared.domain.update import OPEN_STATES
from shared.journal.connection import _READY, _READY_LOCK, Connection
from shared.journal.errors import _unavailable
from shared.journal.updates import FINAL_STATES


class MaintenanceMixin(Connection):
    """`Journal`'s operations: readiness, backups, retention."""

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
            db.execute("PRAGMA secure_delete=OFF")  # the thread's connection stays open for other writes
        return counts


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
