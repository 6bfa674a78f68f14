"""What an update spends on the workbook's and the journal's paths (issue 18): no path is resolved (a stat of
every folder on the way) once the process has made the journal ready, where main resolved the workbook's
four times an update and the journal's once; and the read cache, filed under the path as written, still never
hands out what another file held."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import sli
from shared import reader
from shared.domain import schema as s


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
    assert [path for path in resolved if path.endswith(workbook.name)] == []
    assert reader.read_appendix(workbook).get("L8")[s.NEXT_STEPS] == "Second: as every later one"


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
