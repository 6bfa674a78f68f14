"""What an update asks of the journal (issue 18): the statements one `sli update` runs on its connection,
counted (never timed), and the connection settings that no longer need setting again at every commit."""

from __future__ import annotations

import sqlite3
import struct
from pathlib import Path

import pytest

import sli
from shared import reader
from shared.domain import schema as s
from shared.journal import Journal, Replayed
from shared.journal.connection import _thread_connections


def _update(workbook: Path, ref: str, text: str) -> None:
    assert sli.main(["update", ref, "--next", text, "--by", "Helen Lowey", "--workbook", str(workbook)]) == sli.EXIT_OK


def _statements_of_one_update(workbook: Path) -> list[str]:
    """The statements the second `sli update` in this process runs on the journal (the first opens it)."""
    _update(workbook, "L7", "First: opens the journal")
    statements: list[str] = []
    connections = [kept.db for kept in _thread_connections().values()]
    assert connections
    for db in connections:
        db.set_trace_callback(statements.append)
    try:
        _update(workbook, "L8", "Second: as every later one")
    finally:
        for db in connections:
            db.set_trace_callback(None)
    assert reader.read_appendix(workbook).get("L8")[s.NEXT_STEPS] == "Second: as every later one"
    return statements


def test_an_update_runs_five_statements_on_the_journal(workbook: Path) -> None:
    """One update: the view mark, the record (one INSERT: the entry is made from what it wrote), the waiting
    updates (whose first, this one, is not read again), and its two moves (`writing` with the plan's detail,
    `applied` with the state alone: the detail is already there): each write one statement that is its own
    commit; what was written since the sender's view is not asked for when nothing was journalled between it
    and the update. Main ran seventeen, then six (the entry read again by its ID, the detail written twice)."""
    statements = _statements_of_one_update(workbook)
    assert not [sql for sql in statements if "cache_size" in sql]
    assert not [sql for sql in statements if sql.startswith(("BEGIN", "COMMIT"))]
    inserted = next(n for n, sql in enumerate(statements) if sql.startswith("INSERT INTO updates"))
    assert "RETURNING" not in statements[inserted]
    assert not [sql for sql in statements if sql.startswith("SELECT * FROM updates WHERE id")]
    moves = [sql for sql in statements if sql.startswith("UPDATE updates SET state=")]
    assert ["'writing'" in moves[0], "'applied'" in moves[1]] == [True, True]
    assert "detail=" in moves[0] and "detail=" not in moves[1]
    assert not [sql for sql in statements if sql.startswith("SELECT state, changes, detail")]
    assert len(statements) <= 5
    [entry] = Journal(Path(f"{workbook}.journal.sqlite")).for_ref("L8")
    assert entry.state == "applied" and entry.detail["changes"][s.NEXT_STEPS][1] == "Second: as every later one"
    assert entry.detail["message"] == "L8 updated: Next steps 'Second: as every later one'."


def test_updates_journalled_between_a_view_and_an_update_still_explain_its_fields(tmp_path: Path) -> None:
    """What was written since a sender's view is still asked for, and counted, when updates were journalled
    between the view and theirs: one waiting sets the field the sender saw before it, so no conflict."""
    journal = Journal(tmp_path / "journal.sqlite")
    seen, _ = journal.record(ref="L1", changes={s.NEXT_STEPS: "Seen"}, seen={}, by="Helen Lowey", via="CLI",
                             state="pending")
    between, _ = journal.record(ref="L1", changes={s.NEXT_STEPS: "Between"}, seen={}, by="Aisha Khan", via="CLI",
                                state="pending")
    mine, _ = journal.record(ref="L1", changes={s.NEXT_STEPS: "Mine"}, seen={}, by="Helen Lowey", via="CLI",
                             state="pending", view_seq=seen.seq)
    assert journal.written_between("L1", seen.seq, mine.seq) == {s.NEXT_STEPS: "Between"}
    assert journal.written_between("L1", between.seq, mine.seq) == {}
    assert journal.written_between("L1", seen.seq - 1, between.seq) == {s.NEXT_STEPS: "Seen"}


def test_a_record_with_keys_to_keep_is_one_transaction(tmp_path: Path) -> None:
    """A record that also keeps its request's replay keys (the bots') or looks up its idempotency key stays one
    transaction of several statements: a replayed key records nothing, a key seen before gives the entry."""
    journal = Journal(tmp_path / "journal.sqlite")
    statements: list[str] = []
    with journal._connect() as db:
        db.set_trace_callback(statements.append)
    try:
        entry, new = journal.record(ref="L1", changes={s.NEXT_STEPS: "One"}, seen={}, by="Helen Lowey", via="Slack",
                                    state="pending", replay_keys=["request-1"], idempotency_key="form-1")
        assert new and statements[statements.index("BEGIN IMMEDIATE") + 1].startswith("DELETE FROM seen_keys")
        assert statements[-2:] == ["COMMIT", "PRAGMA synchronous=NORMAL"]  # a record is synced (FULL)
        again, new = journal.record(ref="L1", changes={s.NEXT_STEPS: "One"}, seen={}, by="Helen Lowey", via="Slack",
                                    state="pending", idempotency_key="form-1")
        assert not new and again.id == entry.id
        with pytest.raises(Replayed):
            journal.record(ref="L2", changes={s.NEXT_STEPS: "Two"}, seen={}, by="Helen Lowey", via="Slack",
                           state="pending", replay_keys=["request-1"])
        assert [e.ref for e in journal.in_states("pending")] == ["L1"]
    finally:
        with journal._connect() as db:
            db.set_trace_callback(None)


def _cache_size(journal: Journal) -> int:
    with journal._connect() as db:
        return db.execute("PRAGMA cache_size").fetchone()[0]


def test_a_journal_connection_keeps_its_small_page_cache(workbook: Path, tmp_path: Path) -> None:
    """The page cache is set once, when the connection opens: commits, refusals, another connection's schema
    change and VACUUM, a purge and a restore into the connection all leave it at 256 KB (the reason no commit
    sets it again)."""
    journal = Journal(tmp_path / "journal.sqlite")
    assert _cache_size(journal) == -256
    entry, _ = journal.record(ref="L1", changes={s.NEXT_STEPS: "One"}, seen={}, by="Helen Lowey", via="CLI",
                              state="pending")
    journal.set_state(entry.id, "writing", {"message": "m"})
    journal.set_state(entry.id, "rejected", {"message": "m"})
    assert _cache_size(journal) == -256
    other = sqlite3.connect(tmp_path / "journal.sqlite", isolation_level=None)
    other.execute("CREATE TABLE extra (x)")
    other.execute("VACUUM")
    other.close()
    journal.record(ref="L2", changes={s.NEXT_STEPS: "Two"}, seen={}, by="Helen Lowey", via="CLI", state="pending")
    assert _cache_size(journal) == -256
    backup = tmp_path / "backup.sqlite"
    journal.backup_to(backup)
    journal.restore_from(backup)
    assert _cache_size(journal) == -256
    journal.record(ref="L3", changes={s.NEXT_STEPS: "Three"}, seen={}, by="Helen Lowey", via="CLI", state="pending")
    assert _cache_size(journal) == -256 and [e.ref for e in journal.in_states("pending")] == ["L2", "L3"]


def _wal_commits(wal: Path) -> list[list[int]]:
    """The pages of each commit in a WAL file, in order (a frame's header: its page number, and the database's
    size in pages on the last frame of a commit, 0 on the others)."""
    data = wal.read_bytes()
    page_size = struct.unpack(">I", data[8:12])[0]
    commits, pages = [], []
    for at in range(32, len(data) - page_size - 23, page_size + 24):
        page, size_after = struct.unpack(">II", data[at:at + 8])
        pages.append(page)
        if size_after:
            commits.append(pages)
            pages = []
    return commits


def test_an_update_writes_ten_pages_to_the_journal(workbook: Path) -> None:
    """The pages one `sli update` writes to the WAL, counted from the file: its record six (the row, its ID's and
    idempotency key's indexes, the sequence, the (state, ref) and (ref, seq) indexes), each move of its state two
    (the row and the (state, ref) index). Version 1 kept `updates_state` and `updates_ref` too, which the other two
    indexes hold: eight, three and three, fourteen pages of 4 KB an update."""
    wal = Path(f"{workbook}.journal.sqlite-wal")
    _update(workbook, "L7", "First: opens the journal")
    before = len(_wal_commits(wal))
    _update(workbook, "L8", "Second: as every later one")
    assert [len(pages) for pages in _wal_commits(wal)[before:]] == [6, 2, 2]
