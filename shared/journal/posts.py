"""What the chat front ends keep so each thing happens once: the replay guards' seen keys, the "posted once"
records (the monthly summary, each reminder) and the Teams conversation references a bot may post into."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from shared.journal.connection import Connection


class PostsMixin(Connection):
    """`Journal`'s seen keys, posts and conversations."""

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
