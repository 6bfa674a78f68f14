"""The fault suite (`make test-slow`): a real full disk and a real read-only file system (tmpfs mounts,
so root cannot write through them either). Each update is either kept or the sender is told nothing was
recorded; none is lost, none applied twice, none applied after a "not recorded"."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from disks import fill, small_tmpfs

import sli
from shared import journal as j
from shared.domain import schema as s
from shared.reader import read_appendix, read_change_log
from shared.usecases import NOT_RECORDED, Store, process_pending, submit_update

pytestmark = pytest.mark.slow
COMMITTED = Path(__file__).resolve().parents[1] / "workbook" / "Appendix1.xlsx"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs holding a copy of the workbook (skipped where mounting is not allowed)."""
    with small_tmpfs(tmp_path) as mount:
        shutil.copy2(COMMITTED, mount / "Appendix1.xlsx")
        yield mount / "Appendix1.xlsx"



def test_full_disk_before_the_journal_is_written_records_nothing(small_disk: Path) -> None:
    store = Store.for_workbook(small_disk)
    store.journal()
    filler = fill(small_disk.parent)
    before = small_disk.read_bytes()
    results = [submit_update(store, "L7", {s.NEXT_STEPS: f"Attempt {n} with a longer text " * 40},
                             by="Helen Lowey", via=s.VIA_CLI) for n in range(5)]
    not_recorded = [r for r in results if r.state == NOT_RECORDED]
    assert not_recorded, [r.message for r in results]
    assert all("Nothing was recorded" in r.message and "disk is full" in r.message for r in not_recorded)
    assert small_disk.read_bytes() == before
    filler.unlink()
    recorded = {e.id for e in store.journal().for_ref("L7")}
    process_pending(store)
    # What was not recorded never lands; what was recorded lands exactly once.
    log_ids = [e.update_id for e in read_change_log(small_disk)]
    assert set(log_ids) <= recorded and len(log_ids) == len(set(log_ids))


def test_full_disk_when_saving_the_workbook_keeps_the_update_pending(small_disk: Path) -> None:
    store = Store.for_workbook(small_disk, keep_backups=0)
    # Make the journal and grow it a little first, so it has room; then fill the disk.
    assert submit_update(store, "L3", {s.NEXT_STEPS: "Warm-up"}, by="Helen Lowey", via=s.VIA_CLI).state == j.APPLIED
    filler = fill(small_disk.parent)
    before = small_disk.read_bytes()
    result = submit_update(store, "L7", {s.NEXT_STEPS: "Written once the disk has room"}, by="Helen Lowey",
                           via=s.VIA_CLI)
    if result.state == NOT_RECORDED:  # the journal itself had no room: also honest, nothing kept
        assert small_disk.read_bytes() == before
        return
    assert result.state == j.PENDING, result.message
    assert "Not written yet" in result.message
    assert small_disk.read_bytes() == before
    assert not list(small_disk.parent.glob(".Appendix1.xlsx.sli-tmp-*"))  # no half-written file left behind
    filler.unlink()
    [synced] = process_pending(store)
    assert synced.state == j.APPLIED
    assert read_appendix(small_disk).rows["L7"][s.NEXT_STEPS] == "Written once the disk has room"
    assert [e.update_id for e in read_change_log(small_disk)].count(result.update_id) == 1


def test_read_only_file_system_records_nothing_and_cli_exits_5(small_disk: Path,
                                                               capsys: pytest.CaptureFixture) -> None:
    Store.for_workbook(small_disk).journal()
    before = small_disk.read_bytes()
    j.close_connections()  # this thread keeps the journal open: let it go, or the remount finds the disk busy
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk.parent)], check=True)
    code = sli.main(["update", "L7", "--next", "Agree audit", "--by", "Helen Lowey", "--workbook", str(small_disk)])
    out = capsys.readouterr()
    assert code == sli.EXIT_NOT_RECORDED, out
    assert "Nothing was recorded" in out.out + out.err and "Traceback" not in out.out + out.err
    assert small_disk.read_bytes() == before
    subprocess.run(["mount", "-o", "remount,rw", str(small_disk.parent)], check=True)
    assert Store.for_workbook(small_disk).journal().for_ref("L7") == []
