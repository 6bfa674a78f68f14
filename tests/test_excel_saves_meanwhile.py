"""An officer saves the workbook in Excel while an update is being written (the lock keeps our writers out,
not Excel): their save is never replaced by a file made from what was read before it; the update waits and
is written over their save on the next pass (issue 18 review: the kernel copy reads the file held open)."""

from __future__ import annotations

import os
from pathlib import Path

import openpyxl
import pytest

import sli
from shared.domain import schema as s
from shared.reader import read_appendix, read_change_log


def _save_in_excel(workbook: Path, ref: str, next_steps: str) -> None:
    """What Excel does when an officer saves: the whole file written anew beside it, then renamed over it."""
    book = openpyxl.load_workbook(workbook)
    sheet = book[s.MAIN_SHEET]
    header = next(r for r in sheet.iter_rows() if any(c.value == "Ref" for c in r))
    column = {c.value: c.column for c in header}
    [row] = [r[0].row for r in sheet.iter_rows(min_row=header[0].row + 1) if r[column["Ref"] - 1].value == ref]
    sheet.cell(row, column[s.NEXT_STEPS]).value = next_steps
    beside = workbook.with_name("~excel-save.tmp")
    book.save(beside)
    os.replace(beside, workbook)


def _excel_saves_during_the_first_fsync(monkeypatch: pytest.MonkeyPatch, workbook: Path) -> list[int]:
    """The officer's save lands while the new file is being synced to disk (after it was written from the
    file as read, before it replaces it): the moment a save is most exposed."""
    real, saved = os.fsync, []

    def fsync(descriptor: int) -> None:
        if not saved and Path(os.readlink(f"/proc/self/fd/{descriptor}")).name.startswith(".Appendix1.xlsx.sli-tmp"):
            saved.append(descriptor)
            _save_in_excel(workbook, "L8", "Typed in Excel by the officer")
        real(descriptor)

    monkeypatch.setattr(os, "fsync", fsync)
    return saved


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="names the synced file through /proc")
def test_an_officers_save_in_excel_during_an_update_is_kept_and_the_update_waits(
        workbook: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    saved = _excel_saves_during_the_first_fsync(monkeypatch, workbook)
    sli.main(["update", "L7", "--next", "Agree the audit", "--by", "Helen Lowey", "--workbook", str(workbook)])
    assert saved, "the officer's save did not happen during the write"
    rows = read_appendix(workbook).rows
    assert rows["L8"].values[s.NEXT_STEPS] == "Typed in Excel by the officer"  # never replaced
    assert rows["L7"].values[s.NEXT_STEPS] != "Agree the audit"
    assert "Not written yet" in capsys.readouterr().out
    assert sli.main(["sync", "--workbook", str(workbook)]) == sli.EXIT_OK
    rows = read_appendix(workbook).rows
    assert rows["L8"].values[s.NEXT_STEPS] == "Typed in Excel by the officer"
    assert rows["L7"].values[s.NEXT_STEPS] == "Agree the audit"
    assert [r.new_value for r in read_change_log(workbook)].count("Agree the audit") == 1


def _failing_fsync(monkeypatch: pytest.MonkeyPatch, which: str) -> list[str]:
    """The disk answers EIO to the fsync of the new file (`which="file"`) or of its folder after the rename."""
    import errno

    real, failed = os.fsync, []

    def fsync(descriptor: int) -> None:
        target = Path(os.readlink(f"/proc/self/fd/{descriptor}"))
        is_new_file = target.name.startswith(".Appendix1.xlsx.sli-tmp")
        if not failed and ((which == "file" and is_new_file) or (which == "folder" and target.is_dir())):
            failed.append(str(target))
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        real(descriptor)

    monkeypatch.setattr(os, "fsync", fsync)
    return failed


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="names the synced file through /proc")
@pytest.mark.parametrize("which", ["file", "folder"])
def test_a_failed_fsync_leaves_the_update_to_be_written_once(workbook: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture, which: str) -> None:
    """EIO from the new file's fsync: the old file stays and the update waits. EIO from the folder's, after the
    rename: the file may hold it; the next pass settles it from the Change log and never writes it twice."""
    failed = _failing_fsync(monkeypatch, which)
    before = workbook.read_bytes()
    sli.main(["update", "L7", "--next", "Agree the audit", "--by", "Helen Lowey", "--workbook", str(workbook)])
    assert failed and "Not written yet" in capsys.readouterr().out
    if which == "file":
        assert workbook.read_bytes() == before
    assert not list(workbook.parent.glob(".Appendix1.xlsx.sli-tmp-*"))
    assert sli.main(["sync", "--workbook", str(workbook)]) == sli.EXIT_OK
    assert read_appendix(workbook).rows["L7"].values[s.NEXT_STEPS] == "Agree the audit"
    assert [r.new_value for r in read_change_log(workbook)].count("Agree the audit") == 1
    capsys.readouterr()
    sli.main(["pending", "--workbook", str(workbook)])
    assert "L7" not in capsys.readouterr().out


@pytest.mark.skipif(not hasattr(os, "copy_file_range"), reason="the kernel copy is what answers ENOSPC here")
def test_a_full_disk_while_copying_the_unchanged_parts_says_so_and_the_update_waits(
        workbook: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    """The disk fills while the kernel copies the old file's parts into the new one: the sender is told the
    disk is full (not that the parts 'could not be copied', nor an errno), the old file stays, and the update
    is written once when there is room."""
    import errno

    real, full = os.copy_file_range, []

    def copy_file_range(*args: int) -> int:
        if not full:
            full.append(args)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(*args)

    monkeypatch.setattr(os, "copy_file_range", copy_file_range)
    before = workbook.read_bytes()
    sli.main(["update", "L7", "--next", "Agree the audit", "--by", "Helen Lowey", "--workbook", str(workbook)])
    out = capsys.readouterr().out
    assert full and "Not written yet" in out and "disk holding it is full" in out and "Errno" not in out, out
    assert workbook.read_bytes() == before
    assert not list(workbook.parent.glob(".Appendix1.xlsx.sli-tmp-*"))
    assert sli.main(["sync", "--workbook", str(workbook)]) == sli.EXIT_OK
    assert read_appendix(workbook).rows["L7"].values[s.NEXT_STEPS] == "Agree the audit"
    assert [r.new_value for r in read_change_log(workbook)].count("Agree the audit") == 1


def test_an_officers_save_between_the_check_and_the_write_is_a_conflict_not_overwritten(
        workbook: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    """The officer saves the same cell in Excel after the update was checked against the file and before the
    writer opens it: the check saw the earlier save, so writing now would put the update over an edit it never
    saw. The writer refuses the newer file (nothing written), and the next pass finds the conflict."""
    import shared.writers

    real, saved = shared.writers.Package, []

    def package_opened_after_an_excel_save(path: Path):  # the officer's save lands just before the open
        if not saved:
            saved.append(path)
            _save_in_excel(workbook, "L7", "The officer's own next steps")
        return real(path)

    monkeypatch.setattr(shared.writers, "Package", package_opened_after_an_excel_save)
    sli.main(["update", "L7", "--next", "Agree the audit", "--by", "Helen Lowey", "--workbook", str(workbook)])
    assert saved, "the officer's save did not happen between the check and the write"
    assert read_appendix(workbook).rows["L7"].values[s.NEXT_STEPS] == "The officer's own next steps"
    assert "Not written yet" in capsys.readouterr().out
    sli.main(["sync", "--workbook", str(workbook)])
    assert "L7: [conflict]" in capsys.readouterr().out  # held with both values, for an officer to decide
    assert read_appendix(workbook).rows["L7"].values[s.NEXT_STEPS] == "The officer's own next steps"
    assert "Agree the audit" not in [r.new_value for r in read_change_log(workbook)]
