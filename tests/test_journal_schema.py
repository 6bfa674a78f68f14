"""The journal's schema version (`PRAGMA user_version`): a journal made by main before versions were kept
(tests/fixtures/journal-main-315290d.sqlite, made by tests/fixtures/make_main_journal.py from main's own code)
is migrated forward by the first command that opens it, in one transaction; a journal from a newer version is
left untouched with a sentence saying what to do."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

import sli
from shared import journal as j
from shared.reader import read_appendix
from shared.usecases import Store

OLD_JOURNAL = Path(__file__).parent / "fixtures" / "journal-main-315290d.sqlite"


def table(path: Path, query: str) -> list[tuple]:
    db = sqlite3.connect(path)
    try:
        return db.execute(query).fetchall()
    finally:
        db.close()


@pytest.fixture
def old_journal(workbook: Path) -> Path:
    path = Store.for_workbook(workbook).journal_path
    shutil.copy2(OLD_JOURNAL, path)
    return path


def test_a_journal_made_by_main_is_migrated_and_keeps_everything(workbook: Path, old_journal: Path, capsys) -> None:
    before = {name: table(OLD_JOURNAL, f"SELECT * FROM {name}")
              for name in ("updates", "snapshots", "posts", "seen_keys", "conversations")}
    assert table(old_journal, "PRAGMA user_version") == [(0,)]
    assert sli.main(["pending", "--workbook", str(workbook)]) == sli.EXIT_OK
    assert "L5   [pending]" in capsys.readouterr().out
    assert table(old_journal, "PRAGMA user_version") == [(j.SCHEMA_VERSION,)] == [(2,)]
    for name, rows in before.items():
        assert table(old_journal, f"SELECT * FROM {name}") == rows, name
    # The new code works on it: the update main left waiting is written, once.
    assert sli.main(["sync", "--workbook", str(workbook)]) == sli.EXIT_OK
    assert read_appendix(workbook).rows["L5"]["Next steps"] == "Written once Excel lets go"
    assert table(old_journal, "SELECT state FROM updates WHERE ref='L5'") == [("applied",)]


def test_a_migration_that_fails_leaves_the_journal_as_it_was(workbook: Path) -> None:
    """All steps or none: an old journal (no `view_seq`) whose `seen_keys` table another program made
    differently fails part-way; the column added before the failure is rolled back with the rest."""
    path = Store.for_workbook(workbook).journal_path
    db = sqlite3.connect(path, isolation_level=None)
    old_schema = j._SCHEMA.replace("notified_at TEXT,\n    view_seq INTEGER\n", "notified_at TEXT\n")
    old_schema = old_schema.replace("CREATE TABLE IF NOT EXISTS seen_keys (\n    key TEXT PRIMARY KEY,\n"
                                    "    seen_at TEXT NOT NULL\n);", "CREATE TABLE seen_keys (key TEXT);")
    old_schema = old_schema.replace("CREATE INDEX IF NOT EXISTS seen_keys_seen_at ON seen_keys(seen_at);", "")
    db.executescript(old_schema)
    db.execute("INSERT INTO updates (id, ref, changes, seen, by, via, state, created_at, updated_at) "
               "VALUES ('u1', 'L7', '{}', '{}', 'Helen Lowey', 'CLI', 'applied', 'x', 'x')")
    db.close()
    with pytest.raises(j.JournalUnavailable):
        j.Journal(path)
    columns = [row[1] for row in table(path, "PRAGMA table_info(updates)")]
    assert "view_seq" not in columns and table(path, "PRAGMA user_version") == [(0,)]
    assert table(path, "SELECT notified_at FROM updates") == [(None,)]


def test_a_journal_from_a_newer_version_is_left_untouched(workbook: Path, old_journal: Path, capsys) -> None:
    db = sqlite3.connect(old_journal)
    db.execute("PRAGMA user_version=7")
    db.commit()
    db.close()
    before = old_journal.read_bytes()
    assert sli.main(["pending", "--workbook", str(workbook)]) == sli.EXIT_NOT_RECORDED
    err = capsys.readouterr().err
    assert "newer version of the tracker (journal schema 7; this version knows up to 2)" in err and "sli restore" \
        in err and err.count("\n") == 1
    assert sli.main(["update", "L7", "--next", "x", "--by", "Helen Lowey", "--workbook", str(workbook)]) \
        == sli.EXIT_NOT_RECORDED
    assert old_journal.read_bytes() == before


#: The indexes of version 1 that version 2 no longer keeps: each was one more page written at every record and
#: every move of an update's state, and another index holds what it held.
VERSION_1_ONLY = ("CREATE INDEX IF NOT EXISTS updates_state ON updates(state);\n"
                  "CREATE INDEX IF NOT EXISTS updates_ref ON updates(ref);\n")


def _indexes(path: Path) -> set[str]:
    return {row[0] for row in table(path, "SELECT name FROM sqlite_master WHERE type='index' AND tbl_name='updates'")}


def test_a_version_1_journal_loses_the_indexes_another_one_holds(workbook: Path, capsys) -> None:
    """A journal of version 1 (with `updates_state` and `updates_ref`) opened by this version: migrated to 2 in one
    transaction, its rows as they were, without those two indexes; the update it left waiting is written, and its
    queries still find their rows by index."""
    path = Store.for_workbook(workbook).journal_path
    seen = json.dumps({"Next steps": read_appendix(workbook).rows["L5"]["Next steps"]})
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(j._SCHEMA + VERSION_1_ONLY)
    db.execute("PRAGMA user_version=1")
    db.execute("INSERT INTO updates (id, ref, changes, seen, by, via, state, created_at, updated_at, view_seq) VALUES "
               "('u1', 'L5', '{\"Next steps\": \"Left waiting by version 1\"}', ?, 'Helen Lowey', 'CLI', 'pending',"
               " '2026-03-12T09:00:00+00:00', '2026-03-12T09:00:00+00:00', 0)", (seen,))
    db.execute("INSERT INTO seen_keys (key, seen_at) VALUES ('event:1', '2026-03-12T09:00:00+00:00')")
    db.close()
    assert {"updates_state", "updates_ref"} <= _indexes(path)
    before = {name: table(path, f"SELECT * FROM {name}") for name in ("updates", "seen_keys")}
    assert sli.main(["pending", "--workbook", str(workbook)]) == sli.EXIT_OK
    assert "L5   [pending]" in capsys.readouterr().out
    assert table(path, "PRAGMA user_version") == [(2,)]
    assert _indexes(path) == {"sqlite_autoindex_updates_1", "sqlite_autoindex_updates_2", "updates_state_ref",
                              "updates_ref_seq", "updates_to_tell"}
    for name, rows in before.items():
        assert table(path, f"SELECT * FROM {name}") == rows, name
    assert sli.main(["sync", "--workbook", str(workbook)]) == sli.EXIT_OK
    assert read_appendix(workbook).rows["L5"]["Next steps"] == "Left waiting by version 1"
    assert table(path, "SELECT seq, state FROM updates") == [(1, "applied")]
    assert sli.main(["update", "L7", "--next", "After", "--by", "Helen Lowey", "--workbook", str(workbook)]) \
        == sli.EXIT_OK
    assert table(path, "SELECT seq, ref, state FROM updates WHERE seq > 1") == [(2, "L7", "applied")]


def test_a_new_journal_and_a_migrated_one_have_the_same_tables_and_indexes(workbook: Path, old_journal: Path,
                                                                          tmp_path: Path) -> None:
    """Made new or migrated from main's journal, a journal has the same tables and indexes, with the same SQL."""
    fresh = tmp_path / "fresh.sqlite"
    j.Journal(fresh)
    j.Journal(old_journal)
    shape = "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name != 'sqlite_sequence' ORDER BY name"
    assert table(old_journal, shape) == table(fresh, shape)
    assert not {"updates_state", "updates_ref"} & _indexes(fresh)
