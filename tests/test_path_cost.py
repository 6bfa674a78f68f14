"""What an update spends on the workbook's and the journal's paths (issue 18): no path is resolved (a stat of
every folder on the way) once the process has made the journal ready, where main resolved the workbook's
four times an update and the journal's once; and the read cache, filed under the path as written, still never
hands out what another file held."""

from __future__ import annotations

import builtins
import gc
import io
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

import sli
from shared import reader
from shared.domain import schema as s
from shared.journal import close_connections
from shared.owner import write_owner_file
from shared.uow import Store, fixed_clock
from shared.usecases import submit_update


def _update(workbook: Path | str, ref: str, text: str) -> None:
    assert sli.main(["update", ref, "--next", text, "--by", "Helen Lowey", "--workbook", str(workbook)]) == sli.EXIT_OK


def _status(capsys: pytest.CaptureFixture[str], workbook: Path | str, ref: str) -> str:
    assert sli.main(["status", ref, "--workbook", str(workbook)]) == sli.EXIT_OK
    return capsys.readouterr().out


def test_an_update_resolves_no_path(workbook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The second `sli update` of a process resolves neither the workbook's path nor the journal's."""
    _update(workbook, "L7", "First: makes the journal")
    resolved: list[str] = []
    real = os.path.realpath

    def counted(path, *args, **kwargs):
        resolved.append(os.fspath(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os.path, "realpath", counted)
    _update(workbook, "L8", "Second: as every later one")
    assert [path for path in resolved if workbook.name in path] == []  # the workbook's, the journal's
    assert reader.read_appendix(workbook).get("L8")[s.NEXT_STEPS] == "Second: as every later one"


def test_a_journal_kept_for_equal_stores_is_made_again_where_making_it_would_do_something(
        workbook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The journal kept for a store is given to an equal one made later (one `sli update` after another) only
    while making it anew would do nothing: a journal removed, folder and all, is made again; a relative path
    taken from another working folder is that folder's journal; another clock gets a journal of its own."""
    journal = Store.for_workbook(workbook).journal()
    gc.collect()  # that store is gone, as an `sli update`'s is when the next one comes
    assert Store.for_workbook(workbook).journal() is journal
    folder = tmp_path / "journals"
    elsewhere = Store.for_workbook(workbook, journal=folder / "j.sqlite")
    assert submit_update(elsewhere, "L7", {s.NEXT_STEPS: "One"}, by="Helen Lowey", via=s.VIA_CLI).state == "applied"
    close_connections()
    shutil.rmtree(folder)
    again = Store.for_workbook(workbook, journal=folder / "j.sqlite")
    assert submit_update(again, "L8", {s.NEXT_STEPS: "Two"}, by="Helen Lowey", via=s.VIA_CLI).state == "applied"
    assert [e.ref for e in again.journal().in_states("applied")] == ["L8"]
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        monkeypatch.chdir(tmp_path / name)
        relative = Store.for_workbook(workbook, journal="relative.sqlite")
        made = relative.journal()
        made.record(ref="L9", changes={s.NEXT_STEPS: name}, seen={}, by="Helen Lowey", via="CLI", state="pending")
    monkeypatch.chdir(tmp_path / "a")
    assert [e.changes[s.NEXT_STEPS] for e in relative.journal().in_states("pending")] == ["a"]
    assert (tmp_path / "a" / "relative.sqlite").is_file() and (tmp_path / "b" / "relative.sqlite").is_file()
    assert Store.for_workbook(workbook).journal(clock=fixed_clock(datetime(2027, 1, 2, tzinfo=UTC))) is not journal


def test_a_path_through_a_link_moved_to_another_workbook_reads_that_workbook(
        workbook: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Read and updated through a link to its folder, then the link moved to a folder holding another copy of
    the workbook: the same path now reads the other file, and an update through it plans on and writes that
    file, never what the cache held for the first (filed under the same path as written)."""
    other = tmp_path / "other"
    other.mkdir()
    twin = other / workbook.name
    shutil.copy2(workbook, twin)
    link = tmp_path / "current"
    link.symlink_to(workbook.parent, target_is_directory=True)
    through = link / workbook.name
    _update(through, "L7", "Written through the link")
    assert "Written through the link" in _status(capsys, through, "L7")
    link.unlink()
    link.symlink_to(other, target_is_directory=True)
    assert "Written through the link" not in _status(capsys, through, "L7")
    _update(through, "L9", "Then written into the other")
    assert reader.read_appendix(twin).get("L9")[s.NEXT_STEPS] == "Then written into the other"
    assert reader.read_appendix(twin).get("L7")[s.NEXT_STEPS] != "Written through the link"
    assert reader.read_appendix(workbook).get("L7")[s.NEXT_STEPS] == "Written through the link"
    assert reader.read_appendix(workbook).get("L9")[s.NEXT_STEPS] != "Then written into the other"


def test_a_second_update_makes_no_store_and_opens_no_owner_file(workbook: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The second `sli update` of a process is given the store the first was (the same arguments make the same
    frozen store), and looks for Excel's owner file, twice, without opening anything while there is none; with
    one there, the update waits with the owner's name, as before."""
    _update(workbook, "L7", "First")
    made: list[Store] = []
    opened: list[str] = []
    real_init, real_open = Store.__init__, io.open

    def counted_init(self, *args, **kwargs):
        made.append(self)
        real_init(self, *args, **kwargs)

    def counted_open(file, *args, **kwargs):
        opened.append(os.fspath(file) if not isinstance(file, int) else "")
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(Store, "__init__", counted_init)
    monkeypatch.setattr(io, "open", counted_open)
    monkeypatch.setattr(builtins, "open", counted_open)
    _update(workbook, "L8", "Second")
    assert made == [] and [name for name in opened if "~$" in name] == []
    write_owner_file(workbook, "Aisha Khan")
    assert sli.main(["update", "L9", "--next", "Third", "--by", "Helen Lowey", "--workbook", str(workbook)]) \
        != sli.EXIT_OK
    assert [Path(name).name for name in opened if "~$" in name][:1] == [f"~${workbook.name}"]
    assert reader.read_appendix(workbook).get("L9")[s.NEXT_STEPS] != "Third"
    assert Store.for_workbook(workbook) is Store.for_workbook(workbook)
