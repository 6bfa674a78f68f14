"""What one update costs the journal in the process (issue 18), counted (never timed): objects made and
remade (JSON encoders, UUIDs, context managers, stamps), system calls (the process's id, stats of the journal
file) and keys hashed, each where main paid for it at every call; and that what the journal keeps and gives
back is what it was before."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from test_journal_statements import _statements_of_one_update, _update

from shared import reader
from shared.domain import schema as s
from shared.journal import Journal
from shared.journal.connection import _stamp_of, _thread_connections
from shared.uow import Store


def _record(journal: Journal, ref: str = "L1", **given: object) -> tuple:
    values = {"changes": {s.NEXT_STEPS: "Agree cover"}, "seen": {s.NEXT_STEPS: "Old"}, "by": "Helen Lowey",
              "via": "CLI", "state": "pending"} | given
    return journal.record(ref=ref, **values)


def test_the_journal_makes_no_json_encoder_per_call(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A record and two moves encode four JSON texts with encoders made once: `json.dumps` with options made a
    new `JSONEncoder` each time (main: five an update)."""
    journal = Journal(tmp_path / "journal.sqlite")
    made: list[object] = []
    real = json.JSONEncoder.__init__

    def counting(self: json.JSONEncoder, *args: object, **kwargs: object) -> None:
        made.append(self)
        real(self, *args, **kwargs)

    monkeypatch.setattr(json.JSONEncoder, "__init__", counting)
    entry, _ = _record(journal, detail={"base": {s.NEXT_STEPS: "Old"}})
    journal.set_state(entry.id, "writing", {"message": "L1 updated: Next steps 'Agree cover'.", "was_held": 0})
    journal.set_state(entry.id, "applied")
    assert made == []
    monkeypatch.undo()
    kept = journal.get(entry.id)
    with journal._connect() as db:
        row = db.execute("SELECT changes, seen, detail FROM updates WHERE id=?", (entry.id,)).fetchone()
    # The very text `json.dumps` wrote: sorted keys and non-ASCII kept in the values, the detail as given.
    assert row["changes"] == json.dumps({s.NEXT_STEPS: "Agree cover"}, ensure_ascii=False, sort_keys=True)
    assert row["detail"] == json.dumps({"message": "L1 updated: Next steps 'Agree cover'.", "was_held": 0},
                                       ensure_ascii=False)
    assert kept.state == "applied" and kept.detail["message"] == "L1 updated: Next steps 'Agree cover'."


def test_the_journal_asks_no_process_id_per_call(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A forked child is told once, at the fork (`os.register_at_fork`), where main asked the process's id (a
    system call) at every look-up of the thread's connections: about twenty an update."""
    journal = Journal(tmp_path / "journal.sqlite")
    asked: list[int] = []
    real = os.getpid

    def counting() -> int:
        asked.append(1)
        return real()

    monkeypatch.setattr(os, "getpid", counting)
    mark = journal.view_mark()
    entry, _ = _record(journal, view_seq=mark, durable=False)
    journal.in_states("pending")
    journal.mark_writing(entry.id, {"message": "m"})()
    journal.set_state(entry.id, "applied")
    journal.make_durable()
    assert asked == []


def test_a_forked_child_uses_its_own_connection_and_leaves_its_parents(tmp_path: Path) -> None:
    """A child forked while its parent keeps a connection open starts with none (SQLite's rule: it never uses
    nor closes the parent's), records through one of its own, and the parent's goes on working after it."""
    journal = Journal(tmp_path / "journal.sqlite")
    _record(journal, "L1")
    parents = dict(_thread_connections())
    assert parents
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        code = 1
        try:
            os.close(read_end)
            fresh = not _thread_connections()
            entry, _ = _record(journal, "L2")
            mine = _thread_connections()[journal._key].db is not parents[journal._key].db
            os.write(write_end, f"{fresh} {mine} {entry.seq}".encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        report = pipe.read().decode()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, report
    assert report == "True True 2"
    assert _thread_connections()[journal._key] is parents[journal._key]
    entry, _ = _record(journal, "L3")
    assert [e.ref for e in journal.in_states("pending")] == ["L1", "L2", "L3"] and entry.seq == 3


def test_a_record_is_one_insert_and_not_read_back(tmp_path: Path) -> None:
    """A record without keys is one statement, an INSERT that gives nothing back: the entry is made from what
    was written (main had the INSERT return the row, RETURNING *, and read it back)."""
    journal = Journal(tmp_path / "journal.sqlite")
    statements: list[str] = []
    with journal._connect() as db:
        db.set_trace_callback(statements.append)
    try:
        _record(journal)
    finally:
        with journal._connect() as db:
            db.set_trace_callback(None)
    written = [sql for sql in statements if not sql.startswith("PRAGMA synchronous")]  # a record is synced
    assert len(written) == 1 and written[0].startswith("INSERT INTO updates")
    assert "RETURNING" not in written[0]


@pytest.mark.parametrize("given", [
    {},
    {"view_seq": 7, "reply_to": "U123", "detail": {"base": {s.NEXT_STEPS: "Old"}}},
    {"changes": {s.DUE: date(2027, 3, 12), s.NEXT_STEPS: datetime(2026, 3, 12, 9, 30)},
     "seen": {s.NEXT_STEPS: "2027-03-12", s.DUE: timedelta(days=2)}},
    {"state": "rejected", "detail": {"reasons": ["Too long"], "message": "Not recorded: Too long"}},
    {"idempotency_key": "form-1", "replay_keys": ["request-1"]},
    {"view_seq": "7"},  # text for a number: SQLite keeps 7, so this row is read back
    {"view_seq": True},  # a bool: kept as 1, read back
    {"via": "CLI", "reply_to": None, "view_seq": None},
])
def test_a_recorded_entry_is_the_entry_the_journal_reads_back(tmp_path: Path, given: dict) -> None:
    """Made or read back, the entry a record gives is the one `get` reads afterwards, value and type."""
    journal = Journal(tmp_path / "journal.sqlite")
    entry, new = _record(journal, **given)
    assert new
    again = journal.get(entry.id)
    assert entry == again
    assert [type(getattr(entry, name)) for name in vars(entry)] == [type(getattr(again, name)) for name in vars(again)]


def test_an_update_id_is_made_without_a_uuid_object(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An Update ID is still a random (version 4) UUID's 32 hex digits, made without a `uuid.UUID`."""
    journal = Journal(tmp_path / "journal.sqlite")
    made: list[object] = []
    real = uuid.UUID.__init__

    def counting(self: uuid.UUID, *args: object, **kwargs: object) -> None:
        made.append(1)
        real(self, *args, **kwargs)

    monkeypatch.setattr(uuid.UUID, "__init__", counting)
    ids = [_record(journal, f"L{n}")[0].id for n in range(1, 21)]
    assert made == []
    monkeypatch.undo()
    for update_id in ids:
        assert len(update_id) == 32 and uuid.UUID(update_id).version == 4 and uuid.UUID(update_id).hex == update_id
        assert uuid.UUID(update_id).variant == uuid.RFC_4122
    assert len(set(ids)) == 20


class _CountedMoment(datetime):
    """A clock's time that counts how often it is formatted."""

    formatted: list[str] = []

    def isoformat(self, *args: object, **kwargs: object) -> str:
        text = super().isoformat(*args, **kwargs)
        _CountedMoment.formatted.append(text)
        return text


def test_the_stamps_of_one_second_are_formatted_once(tmp_path: Path) -> None:
    """A record and its two moves in one second are stamped with one text, formatted once (main: three)."""
    moment = _CountedMoment(2031, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    journal = Journal(tmp_path / "journal.sqlite", clock=lambda: moment)
    _CountedMoment.formatted.clear()
    entry, _ = _record(journal)
    journal.set_state(entry.id, "writing", {"message": "m"})
    journal.set_state(entry.id, "applied")
    assert len(_CountedMoment.formatted) <= 1
    kept = journal.get(entry.id)
    assert kept.created_at == kept.updated_at == "2031-05-06T07:08:09+00:00"


def test_a_stamp_is_the_moment_in_utc_to_the_second() -> None:
    """Across seconds, in and out of UTC, naive and far back: what `astimezone(UTC).isoformat` to the second
    says, whatever was stamped before."""
    base = datetime(2026, 3, 12, 9, 59, 58, tzinfo=UTC)
    moments = [base + timedelta(microseconds=step * 250_001) for step in range(16)]
    moments += [datetime(2026, 3, 12, 10, 59, 59, 999_999, tzinfo=timezone(timedelta(hours=1))),
                datetime(2026, 3, 12, 9, 59, 59, 999_999), datetime(1, 1, 1, 0, 0, 1, tzinfo=UTC),
                base + timedelta(microseconds=999_999), base]
    for moment in moments + moments[::-1]:
        assert _stamp_of(moment) == moment.astimezone(UTC).isoformat(timespec="seconds")


def test_a_session_and_a_call_make_no_generator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A session (three an update), a journal call's connection and a write committed at `NORMAL` (the record
    of `sli update`, an update's two moves) are plain objects: main made a generator's context manager for
    each (and a second for each write)."""
    journal = Journal(tmp_path / "journal.sqlite")
    made: list[object] = []
    real = contextlib._GeneratorContextManager.__init__

    def counting(self: object, *args: object, **kwargs: object) -> None:
        made.append(self)
        real(self, *args, **kwargs)

    monkeypatch.setattr(contextlib._GeneratorContextManager, "__init__", counting)
    with journal.session():
        journal.view_mark()
        entry, _ = _record(journal, durable=False)
        journal.in_states("pending")
        journal.mark_writing(entry.id, {"message": "m"})()
        journal.set_state(entry.id, "applied")
    assert made == []
    assert journal.get(entry.id).state == "applied"


def test_a_failed_statement_still_gives_the_sentence_and_a_fresh_connection(tmp_path: Path) -> None:
    """A statement that fails inside a journal call still becomes `JournalUnavailable` and closes the thread's
    connection (the next call opens a fresh one); any other error rolls back what the block left open."""
    from shared.journal import JournalUnavailable

    journal = Journal(tmp_path / "journal.sqlite")
    with journal._connect() as db:
        before = db
    with pytest.raises(JournalUnavailable) as raised, journal._connect() as db:
        db.execute("SELECT * FROM no_such_table")
    assert isinstance(raised.value.__cause__, sqlite3.OperationalError)
    with journal._connect() as db:
        assert db is not before
        before = db
    with pytest.raises(KeyError), journal._connect() as db:
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO seen_keys (key, seen_at) VALUES ('k', 'now')")
        raise KeyError("k")
    with journal._connect() as db:
        assert db is before and not db.in_transaction
        assert db.execute("SELECT COUNT(*) FROM seen_keys").fetchone()[0] == 0


def test_an_update_stats_the_journal_once_a_statement(workbook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The second `sli update` of a process stats the journal file once for each statement it runs on it (to
    notice a journal moved aside or replaced), and no more: the five asks for the journal and the one for
    whether there is one are answered by `os.access` (main: twelve stats an update)."""
    _update(workbook, "L7", "First: makes the journal")
    journal = Store.for_workbook(workbook).journal_path
    stats: list[str] = []
    real = os.stat

    def counting(path: object, *args: object, **kwargs: object) -> os.stat_result:
        if os.fspath(path) == str(journal):
            stats.append(os.fspath(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", counting)
    _update(workbook, "L8", "Second: as every later one")
    monkeypatch.undo()
    assert reader.read_appendix(workbook).get("L8")[s.NEXT_STEPS] == "Second: as every later one"
    assert len(stats) == 5


def test_an_update_hashes_no_store(workbook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The five asks of an update for its store's journal find it by the store itself: no key is made and
    hashed (a frozen dataclass hashes every field; main hashed the store five times an update)."""
    _update(workbook, "L7", "First: makes the journal")
    hashed: list[Store] = []
    real = Store.__hash__

    def counting(self: Store) -> int:
        hashed.append(self)
        return real(self)

    monkeypatch.setattr(Store, "__hash__", counting)
    _update(workbook, "L8", "Second: as every later one")
    monkeypatch.undo()
    assert hashed == []


def test_a_journal_replaced_at_its_path_is_used_at_the_next_call(tmp_path: Path) -> None:
    """The journal file replaced at its path (moved aside, another put there) between two calls: the next call
    opens the file now there, as before."""
    path = tmp_path / "journal.sqlite"
    journal = Journal(path)
    _record(journal, "L1")
    other = Journal(tmp_path / "other.sqlite")
    _record(other, "L9")
    _record(other, "L8")
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{path}{suffix}").exists():
            os.replace(f"{path}{suffix}", f"{path}.aside{suffix}")
    with sqlite3.connect(tmp_path / "other.sqlite") as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    os.replace(tmp_path / "other.sqlite", path)
    assert [e.ref for e in journal.in_states("pending")] == ["L9", "L8"]


def _opcodes(db: sqlite3.Connection, sql: str) -> set[str]:
    return {row[1] for row in db.execute("EXPLAIN " + sql)}


def test_an_update_asks_the_journal_nothing_that_builds_a_temporary_table(workbook: Path) -> None:
    """The reads of an update (its view mark, the waiting updates) find their rows by index and build nothing:
    main's `state IN (...)` built a table of the states and its `ORDER BY seq` a sorter, each with a page
    cache of its own, at every update (more than the rows they found cost)."""
    reads = [sql for sql in _statements_of_one_update(workbook) if sql.startswith("SELECT")]
    assert len(reads) == 2
    with sqlite3.connect(f"{workbook}.journal.sqlite") as db:
        for sql in reads:
            assert not _opcodes(db, sql) & {"OpenEphemeral", "SorterOpen", "OpenAutoindex"}, sql


def test_the_waiting_updates_and_the_view_mark_are_what_main_asked_for(tmp_path: Path) -> None:
    """Asked state by state, the updates in some states (of a ref or all, a state named twice or none) come in
    journal order and are those `state IN (...) ORDER BY seq` gives; the view mark is the one it gave."""
    journal = Journal(tmp_path / "journal.sqlite")
    states = ["pending", "writing", "applied", "in_excel", "pending", "conflict", "writing", "pending"]
    for n, state in enumerate(states * 3):
        entry, _ = _record(journal, f"L{1 + n % 3}")
        if state != "pending":
            journal.set_state(entry.id, state)
    with journal._connect() as db:
        def main_in_states(*wanted: str, ref: str | None = None) -> list[int]:
            query = f"SELECT seq FROM updates WHERE state IN ({','.join('?' for _ in wanted)})"
            query += " AND ref=? ORDER BY seq" if ref else " ORDER BY seq"
            return [row[0] for row in db.execute(query, [*wanted, *([ref] if ref else [])])]

        main_mark = db.execute("SELECT (SELECT MIN(seq) FROM updates WHERE state IN (?,?,?)) AS first_open, "
                               "(SELECT COALESCE(MAX(seq), 0) FROM updates) AS last", ("pending", "writing",
                                                                                      "in_excel")).fetchone()
    for wanted in [("pending",), ("pending", "writing", "in_excel"), ("writing", "pending", "writing"),
                   ("applied", "conflict"), ()]:
        for ref in (None, "L2"):
            assert [e.seq for e in journal.in_states(*wanted, ref=ref)] == main_in_states(*wanted, ref=ref)
    assert journal.view_mark() == main_mark[0] - 1 == 0  # the first update still waits
    for entry in journal.in_states("pending", "writing", "in_excel"):
        journal.set_state(entry.id, "applied")
    assert journal.view_mark() == len(states) * 3
