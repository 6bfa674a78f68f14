"""The history, read-only: the queries trend, the summary, the report and `sli export` read (field changes,
status changes, updates per ref, the first record) and the month-end snapshots."""

from __future__ import annotations

from datetime import datetime

from shared.domain.logrow import LogRow
from shared.journal.connection import Connection

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


class HistoryMixin(Connection):
    """`Journal`'s snapshots and history queries."""

    # --- month-end snapshots: a summary reproduced later is the one that was posted ----------------

    def snapshot(self, month: str) -> str | None:
        with self._connect() as db:
            row = db.execute("SELECT figures FROM snapshots WHERE month=?", (month,)).fetchone()
        return row["figures"] if row else None

    def save_snapshot(self, month: str, figures: str) -> str:
        """Keep the first snapshot of a month (another process may have taken it first); return the kept one.
        Synced: the month's figures as posted cannot be taken again later."""
        with self._transaction(durable=True) as db:
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
