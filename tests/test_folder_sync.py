"""The folder's fsync after the rename is made by the answering thread itself, then the read cache is filled (issue
18: an update at an empty log is mostly fixed cost; handing the folder's sync to the syncing thread so that the
cache's fill, a few microseconds, overlapped it cost a wake-up of each thread): it comes after the rename and ends
before the update answers, and the cache holds Appendix 1 as the file at the path now has it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tracing import needs_strace

from shared import reader
from shared.domain import schema as s
from shared.usecases import Store, submit_update

ROOT = Path(__file__).resolve().parents[1]


@needs_strace("sees which thread syncs the folder")
def test_the_folder_is_synced_after_the_rename_by_the_answering_thread(workbook: Path, tmp_path: Path) -> None:
    trace = tmp_path / "folder.trace"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run(["strace", "-f", "-qq", "-e", "trace=openat,fsync,rename,renameat,renameat2,write", "-o",
                    str(trace), sys.executable, "sli.py", "update", "L7", "--by", "Helen Lowey", "--workbook",
                    str(workbook), "--next", "Traced"], check=True, cwd=ROOT, env=env, capture_output=True, timeout=120)
    lines = trace.read_text().splitlines()
    [renamed] = [n for n, line in enumerate(lines) if "rename" in line and "sli-tmp" in line and "= 0" in line]
    answering = lines[renamed].split()[0]
    folder = re.escape(str(workbook.parent))
    opened = [(n, found.group(1)) for n, line in enumerate(lines) if n > renamed
              and (found := re.search(rf'openat\(AT_FDCWD, "{folder}", O_RDONLY[^)]*\) = (\d+)$', line))]
    assert opened, "the folder is opened after the rename, to be synced"
    at, descriptor = opened[0]
    [synced] = [n for n, line in enumerate(lines) if n > at and re.search(rf"fsync\({descriptor}\) += 0", line)]
    assert lines[synced].split()[0] == answering  # no other thread is woken for it
    told = [n for n, line in enumerate(lines) if line.split()[0] == answering and re.search(r"write\(1, ", line)]
    assert told and told[0] > synced  # the answer only once the folder is synced


def test_the_cache_holds_the_appendix_the_file_now_has(workbook: Path) -> None:
    result = submit_update(Store.for_workbook(workbook), "L7", {s.NEXT_STEPS: "Cached as written"}, by="Pat Officer",
                           via=s.VIA_CLI)
    assert result.state == "applied", result.message
    cached = reader.cached_appendix(workbook, reader.file_identity(workbook))
    assert cached is not None and cached.rows["L7"][s.NEXT_STEPS] == "Cached as written"
    reader._cache.clear()
    assert reader.read_appendix(workbook).rows == cached.rows  # what a read of the file gives
