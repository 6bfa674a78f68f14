"""What one update costs above the floor (copy the file, fsync, rename, fsync the folder), issue 18's targets:
the work each speed-up removed, counted without timing, so a change that brings it back fails here."""

from __future__ import annotations

import zipfile
from pathlib import Path

import sli


def run(capsys, *argv: str) -> tuple[int, str]:
    code = sli.main(list(argv))
    return code, capsys.readouterr().out


def test_an_update_inflates_each_part_once(workbook: Path, capsys, monkeypatch) -> None:
    """Filling the read cache after a save takes the parts the writer already inflated (Appendix 1's sheet,
    the styles, the sheet list) as they are: no part of the file is inflated twice by one update."""
    run(capsys, "--workbook", str(workbook), "status", "L7")  # the journal made, the cache filled
    opened: list[tuple[int, str]] = []
    real_open = zipfile.ZipFile.open

    def counting_open(self, name, mode="r", *args, **kwargs):
        if mode == "r":
            opened.append((id(self), name.filename if isinstance(name, zipfile.ZipInfo) else name))
        return real_open(self, name, mode, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", counting_open)
    code, _ = run(capsys, "--workbook", str(workbook), "update", "L7", "--by", "Helen Lowey",
                  "--next", "Inflated once")
    assert code == 0
    twice = sorted({name for key in opened if opened.count(key) > 1 for _, name in [key]})
    assert "xl/worksheets/sheet1.xml" in {name for _, name in opened}
    assert twice == []  # main inflated Appendix 1's sheet, the styles and the sheet list a second time
