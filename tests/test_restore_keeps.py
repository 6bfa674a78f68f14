"""`sli restore` never loses the state it replaces: with the workbook gone but its journal left (the
moment someone restores), the journal may hold updates newer than the backup, so it is kept first."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import sli
from shared.usecases import Store


def update_ids(journal: Path) -> set[str]:
    with sqlite3.connect(journal) as db:
        return {row[0] for row in db.execute("SELECT id FROM updates")}


def test_a_restore_with_the_workbook_lost_keeps_the_journal_it_replaces(
        workbook: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    backup = tmp_path / "backup"
    journal = Store.for_workbook(workbook).journal_path
    assert sli.main(["update", "L7", "--next", "Before the backup", "--by", "Helen Lowey",
                     "--workbook", str(workbook)]) == sli.EXIT_OK
    assert sli.main(["backup", str(backup), "--workbook", str(workbook)]) == sli.EXIT_OK
    assert sli.main(["update", "L7", "--next", "After the backup", "--by", "Helen Lowey",
                     "--workbook", str(workbook)]) == sli.EXIT_OK
    newer = update_ids(journal)
    assert len(newer) == 2
    workbook.rename(tmp_path / "lost.xlsx")  # the workbook is lost; its journal is not
    capsys.readouterr()

    assert sli.main(["restore", str(backup), "--workbook", str(workbook)]) == sli.EXIT_OK

    out = capsys.readouterr().out
    [kept] = list(workbook.parent.glob("before-restore-*/" + journal.name))
    assert str(kept) in out
    assert update_ids(kept) == newer  # the update made after the backup is still somewhere
    assert update_ids(journal) < newer and len(update_ids(journal)) == 1
    assert workbook.read_bytes() == (backup / workbook.name).read_bytes()
