"""What an update spends on paths and stats outside the journal and the .xlsx parts (issue 18): the unit of work's
read of Appendix 1 stats the workbook once (the read cache's check gives the identity the writer checks against),
Excel's owner file is looked for on the path's text (no `Path` made, no stat result, while there is none), and the
reader, the unit of work, the writer and the save make no `Path` of a `Path` they are given. The owner file's
answers are checked to stay the same: found beside the workbook by either of Excel's names, its user and time
read, a workbook given as text, a path without a name refused."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import shared.owner
from shared import reader
from shared.domain import schema as s
from shared.owner import find_owner_file, write_owner_file
from shared.uow import Store, WorkbookUnitOfWork
from shared.usecases import submit_update


@contextmanager
def paths_made() -> Iterator[list[str]]:
    """The files (module paths) of the frames that made a `pathlib` path while the block ran: a path made
    from arguments runs pathlib's `__new__` (3.11) or `__init__` (3.12 on)."""
    made: list[str] = []

    def profile(frame, event: str, arg: object) -> None:
        code = frame.f_code
        if event == "call" and code.co_name in ("__new__", "__init__") and code.co_filename.endswith("pathlib.py"):
            caller = frame.f_back
            while caller is not None and caller.f_code.co_filename.endswith("pathlib.py"):
                caller = caller.f_back
            made.append(caller.f_code.co_filename if caller is not None else "")

    sys.setprofile(profile)
    try:
        yield made
    finally:
        sys.setprofile(None)


@contextmanager
def stats_of(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every path `os.stat` is asked about while the block runs."""
    asked: list[str] = []
    real: Callable = os.stat

    def counted(path, *args, **kwargs):
        asked.append(os.fspath(path) if not isinstance(path, int) else "")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", counted)
    yield asked
    monkeypatch.setattr(os, "stat", real)


def _update(workbook: Path, ref: str, text: str) -> None:
    result = submit_update(Store.for_workbook(workbook), ref, {s.NEXT_STEPS: text}, by="Helen Lowey", via=s.VIA_CLI)
    assert result.state == "applied", result.message


def test_the_unit_of_works_read_stats_the_workbook_once(workbook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _update(workbook, "L7", "First")
    uow = WorkbookUnitOfWork(Store.for_workbook(workbook))
    with stats_of(monkeypatch) as asked:
        appendix = uow.appendix()
    assert asked == [str(workbook)]
    assert appendix is reader.read_appendix(workbook)
    assert uow._read_identity == reader.file_identity(workbook)


def test_the_identity_read_with_is_the_one_before_the_read(workbook: Path) -> None:
    """A cache miss (the file saved since) reads the file and gives the identity it had before the read."""
    before = reader.file_identity(workbook)
    identity, appendix = reader.read_appendix_identified(workbook)
    assert identity == before and appendix.rows["L7"].ref == "L7"
    _update(workbook, "L7", "Saved since")
    identity, appendix = reader.read_appendix_identified(workbook)
    assert identity == reader.file_identity(workbook) != before
    assert appendix.rows["L7"][s.NEXT_STEPS] == "Saved since"


def test_no_owner_file_is_looked_for_without_a_path_made_or_a_stat(workbook: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    with stats_of(monkeypatch) as asked, paths_made() as made:
        assert find_owner_file(workbook) is None
    assert asked == [] and made == []


def test_an_owner_file_is_found_by_either_name_with_its_user(workbook: Path) -> None:
    owner = write_owner_file(workbook, "Aisha Khan")
    found = find_owner_file(workbook)
    assert found is not None and found.path == owner and found.user == "Aisha Khan"
    assert found.since.timestamp() == pytest.approx(owner.stat().st_mtime)
    assert find_owner_file(str(workbook)) == found
    relative = Path(os.path.relpath(workbook))
    assert find_owner_file(relative).path == relative.with_name(owner.name)
    owner.rename(workbook.with_name(f"~${workbook.name[2:]}"))  # the name Excel gives a long name's owner file
    assert find_owner_file(workbook).path == workbook.with_name(f"~${workbook.name[2:]}")
    assert find_owner_file(workbook).user == "Aisha Khan"


def test_an_owner_file_that_is_a_folder_is_none(workbook: Path) -> None:
    workbook.with_name(f"~${workbook.name}").mkdir()
    assert find_owner_file(workbook) is None


@pytest.mark.parametrize("nameless", [Path("."), Path("/"), "."])
def test_a_path_without_a_name_is_refused(nameless: Path | str) -> None:
    with pytest.raises(ValueError, match="has an empty name"):
        find_owner_file(nameless)


def test_an_update_makes_no_path_of_a_path_in_the_reader_the_writer_or_the_save(workbook: Path) -> None:
    _update(workbook, "L7", "First")
    with paths_made() as made:
        _update(workbook, "L8", "Second")
    mine = {Path(module.__file__).name for module in (reader, shared.owner, sys.modules["shared.uow"],
                                                     sys.modules["shared.writers"], sys.modules["shared.xlsx.save"])}
    assert [Path(name).name for name in made if Path(name).name in mine] == []


def test_an_absolute_path_is_made_absolute_once_and_a_relative_one_where_we_are(
        workbook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache files under the path made absolute (four times an update): an absolute path given again is not
    worked out again; a relative one is, from the folder the process is in then."""
    made: list[str] = []
    real = os.path.abspath

    def counted(path):
        made.append(os.fspath(path))
        return real(path)

    monkeypatch.setattr(os.path, "abspath", counted)
    for index in range(reader._KEEP_ABSOLUTE):  # a long-lived process has filed many: still kept
        reader._key(f"/elsewhere/{index}.xlsx", 1, "appendix")
    reader.read_appendix(workbook)
    reader.read_appendix(workbook)
    assert made.count(str(workbook)) <= 1
    monkeypatch.chdir(workbook.parent)
    here = reader._key(workbook.name, 1, "appendix")
    monkeypatch.chdir(workbook.parent.parent)
    assert reader._key(workbook.name, 1, "appendix") != here == (str(workbook), 1, "appendix")


def test_the_writer_takes_the_appendix_read_from_the_unit_of_work(workbook: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The writer derives its save's Appendix 1 from the one the plan was read from (the file it opened, by its
    identity), not from the read cache looked for again with a stat of the workbook."""
    _update(workbook, "L7", "First")
    with WorkbookUnitOfWork(Store.for_workbook(workbook)) as uow:
        appendix = uow.appendix()
        with stats_of(monkeypatch) as asked:
            writer = uow.writer()
        assert str(workbook) not in asked
        assert writer._read_as is appendix
        writer.package.close()
