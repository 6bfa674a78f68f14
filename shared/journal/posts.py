"""What the chat front ends keep so each thing happens once: the replay guards' seen keys, the "posted once"
records (the monthly summary, each reminder) and the Teams conversation references a bot may post into."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from shared.journal.connection import Connection
from shared.journal.errors import Replayed

#: How long a replay guard's key is kept in the journal (Slack retries an event within the hour; a
#: signature is refused as stale after five minutes anyway).
KEEP_SEEN_KEYS = timedelta(days=1)


def keep_replay_keys(db: sqlite3.Connection, keys: Sequence[str], keep: timedelta = KEEP_SEEN_KEYS) -> None:
    """Keep `keys` inside the caller's transaction, forgetting keys older than `keep` (Slack retries within
    the hour, signatures expire in five minutes), so the table stays small; `Replayed` if one is kept."""
    if not keys:
        return
    now = datetime.now(UTC)
    db.execute("DELETE FROM seen_keys WHERE seen_at < ?", ((now - keep).isoformat(timespec="seconds"),))
    for key in keys:
        if db.execute("INSERT OR IGNORE INTO seen_keys (key, seen_at) VALUES (?, ?)",
                      (key, now.isoformat(timespec="seconds"))).rowcount != 1:
            raise Replayed("This request was already received (a replay); nothing was recorded.")


class PostsMixin(Connection):
    """`Journal`'s seen keys, posts and conversations."""

    def first_time(self, key: str, keep: timedelta = KEEP_SEEN_KEYS) -> bool:
        """True the first time `key` is offered, in any process (a retried Slack event acts once), in one
        commit. The bots keep their keys in memory and in the journal only with the update a request
        carries (`record(replay_keys=...)`); this is for a key that protects no update."""
        with self._transaction() as db:
            try:
                keep_replay_keys(db, [key], keep)
            except Replayed:
                return False
            return True

    def seen_keys_since(self, moment: datetime) -> list[tuple[str, datetime]]:
        """The keys kept since `moment` and when each was seen: what a bot starting up remembers, so a
        request accepted before a restart is still refused within its window."""
        with self._connect() as db:
            rows = db.execute("SELECT key, seen_at FROM seen_keys WHERE seen_at >= ? ORDER BY seen_at",
                              (moment.astimezone(UTC).isoformat(timespec="seconds"),)).fetchall()
        return [(row["key"], datetime.fromisoformat(row["seen_at"])) for row in rows]

    # --- "posted once" records: the monthly summary and each reminder ---------------------------

    def claim_post(self, kind: str, key: str, stale_after: timedelta = timedelta(minutes=15)) -> bool:
        """True for the one process that may post (kind, key) now: not posted yet, and not being posted
        by another process (a claim older than `stale_after` is a crashed poster's and is taken over)."""
        now = datetime.now(UTC)
        with self._transaction(durable=True) as db:  # synced: a claim lost to a power cut could post twice
            row = db.execute("SELECT * FROM posts WHERE kind=? AND key=?", (kind, key)).fetchone()
            if row is None:
                db.execute("INSERT INTO posts (kind, key, state, claimed_at) VALUES (?,?,?,?)",
                           (kind, key, "claimed", now.isoformat()))
            elif row["state"] == "claimed" and datetime.fromisoformat(row["claimed_at"]) < now - stale_after:
                db.execute("UPDATE posts SET claimed_at=? WHERE kind=? AND key=?", (now.isoformat(), kind, key))
            else:
                return False
            return True

    def finish_post(self, kind: str, key: str, detail: dict | None = None) -> None:
        with self._transaction(durable=True) as db:  # synced: a post made must not be made again
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
        person's chat only through the reference it was given when installed there or spoken to. Synced:
        Teams sends a team's reference once, when the app is installed."""
        with self._transaction(durable=True) as db:
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
