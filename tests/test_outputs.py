"""Every file `sli` writes goes through one safe-output function (shared/outputs.py): an output named as the
workbook, its journal, lock, owner file or backups, a folder or a link is refused in one sentence (exit 2)
and a waiting update survives it; a failed write (full disk, read-only file system, no permission) is one
sentence and leaves the old file and no temporary file behind. Settings are checked in one sentence too.
All through the real command line (`sli.main`, or a subprocess where stderr must be seen whole)."""

from __future__ import annotations

import errno
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

import sli
from shared import outputs
from shared.owner import write_owner_file
from shared.usecases import Store

ROOT = Path(__file__).resolve().parents[1]
CLIENT = "1b2c3d4e-0000-4000-8000-123456789abc"


def _waiting(workbook: Path, capsys: pytest.CaptureFixture) -> dict[Path, bytes]:
    """An update waiting because Excel has the workbook open; the bytes of everything beside the workbook."""
    write_owner_file(workbook, "Helen Lowey")
    assert sli.main(["update", "L7", "--next", "Agree safer sleep audit", "--by", "Helen Lowey",
                     "--workbook", str(workbook)]) == sli.EXIT_PENDING
    store = Store.for_workbook(workbook)
    store.backup_dir.mkdir()
    (store.backup_dir / "Appendix1-20260101T000000000000.xlsx").write_bytes(workbook.read_bytes())
    capsys.readouterr()
    return {path: path.read_bytes() for path in workbook.parent.rglob("*") if path.is_file()}


def _still_waiting(workbook: Path, before: dict[Path, bytes], capsys: pytest.CaptureFixture) -> None:
    """Nothing beside the workbook changed (bar SQLite's own -wal/-shm), and `sli pending` still lists it."""
    after = {path: path.read_bytes() for path in workbook.parent.rglob("*") if path.is_file()}
    sqlite_own = ("-wal", "-shm")  # kept open by this process now, they may be there before, after, or both
    assert {p for p in after if not p.name.endswith(sqlite_own)} == \
        {p for p in before if not p.name.endswith(sqlite_own)}
    for path, data in before.items():
        if not path.name.endswith(("-wal", "-shm")):
            assert after[path] == data, path
    assert sli.main(["pending", "--workbook", str(workbook)]) == 0
    out = capsys.readouterr().out
    assert "1 update waiting." in out and "Agree safer sleep audit" in out


def _refused(capsys: pytest.CaptureFixture, *words: str) -> str:
    err = capsys.readouterr().err
    assert err.startswith("sli: ") and err.count("\n") == 1 and "Traceback" not in err, err
    for word in words:
        assert word in err, err
    return err


PROTECTED = {  # name -> (path from the workbook, what the sentence calls it)
    "journal": (lambda w: w.with_name(w.name + ".journal.sqlite"), "update journal"),
    "journal-wal": (lambda w: w.with_name(w.name + ".journal.sqlite-wal"), "update journal"),
    "journal-shm": (lambda w: w.with_name(w.name + ".journal.sqlite-shm"), "update journal"),
    "workbook": (lambda w: w, "the workbook itself"),
    "lock": (lambda w: w.with_name(f".{w.name}.sli-lock"), "lock file"),
    "owner file": (lambda w: w.with_name(f"~${w.name}"), "owner file"),
    "in backups": (lambda w: w.parent / ".backups" / "export.csv", "backups folder"),
    "backups itself": (lambda w: w.parent / ".backups", "folder"),
    "the folder": (lambda w: w.parent, "is a folder"),
    "dot-dot and case": (lambda w: w.parent / ".." / w.parent.name / "APPENDIX1.XLSX.JOURNAL.SQLITE",
                         "update journal"),
}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("name", list(PROTECTED))
def test_export_refuses_protected_paths_and_the_waiting_update_survives(
        workbook: Path, capsys: pytest.CaptureFixture, name: str, fmt: str) -> None:
    before = _waiting(workbook, capsys)
    path, what = PROTECTED[name]
    assert sli.main(["export", "changes", "--format", fmt, "--output", str(path(workbook)),
                     "--workbook", str(workbook)]) == sli.EXIT_USAGE
    _refused(capsys, what)
    _still_waiting(workbook, before, capsys)


def test_links_to_protected_files_are_refused(workbook: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture) -> None:
    before = _waiting(workbook, capsys)
    journal = workbook.with_name(workbook.name + ".journal.sqlite")
    (tmp_path / "via").symlink_to(workbook.parent, target_is_directory=True)  # a link to the folder
    (tmp_path / "out.csv").symlink_to(journal)  # a link as the file itself
    os.link(journal, tmp_path / "hard.csv")  # the journal under another name
    for output, what in ((tmp_path / "via" / journal.name, "update journal"),
                         (tmp_path / "out.csv", "symbolic link"), (tmp_path / "hard.csv", "update journal")):
        assert sli.main(["export", "changes", "--output", str(output), "--workbook", str(workbook)]) == 2
        _refused(capsys, what)
    _still_waiting(workbook, before, capsys)


def test_every_command_that_writes_refuses_the_journal(workbook: Path, capsys: pytest.CaptureFixture,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """sli report, summary --dry-run (its chart), teams-package and workbook init go the same way."""
    monkeypatch.setenv("SLI_WORKBOOK", str(workbook))  # teams-package and workbook init take no --workbook
    before = _waiting(workbook, capsys)
    journal = str(workbook.with_name(workbook.name + ".journal.sqlite"))
    for args in (["report", "--year", "2026", "--format", "docx", "--output", journal],
                 ["report", "--year", "2026", "--format", "xlsx", "--output", str(workbook)],
                 ["summary", "--month", "2026-10", "--dry-run", "--chart", journal],
                 ["teams-package", "--client-id", CLIENT, "--output", journal],
                 ["workbook", "init", journal], ["workbook", "init", str(workbook)]):
        assert sli.main(args) == sli.EXIT_USAGE, args
        _refused(capsys, "an output is never written there")
    _still_waiting(workbook, before, capsys)


def test_a_link_as_the_output_is_refused_and_nothing_is_written_through_it(
        workbook: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    kept = elsewhere / "kept.txt"
    kept.write_text("someone else's file")
    (tmp_path / "live.csv").symlink_to(kept)
    (tmp_path / "dangling.csv").symlink_to(elsewhere / "made-here.csv")
    for link in ("live.csv", "dangling.csv"):
        assert sli.main(["export", "appendix", "--output", str(tmp_path / link), "--workbook", str(workbook)]) == 2
        _refused(capsys, "symbolic link", "never written through a link")
    assert kept.read_text() == "someone else's file"
    assert sorted(p.name for p in elsewhere.iterdir()) == ["kept.txt"]  # the dangling link made nothing
    assert sli.main(["summary", "--month", "2026-10", "--chart", str(tmp_path / "live.csv"),
                     "--workbook", str(workbook)]) == 2
    _refused(capsys, "symbolic link")


def test_a_device_is_never_replaced_by_a_file(workbook: Path, capsys: pytest.CaptureFixture) -> None:
    before = os.stat("/dev/null")
    assert sli.main(["export", "appendix", "--output", "/dev/null", "--workbook", str(workbook)]) == 2
    _refused(capsys, "not a plain file")
    assert Path("/dev/null").is_char_device() and os.stat("/dev/null").st_ino == before.st_ino


def test_an_export_replaces_the_old_file_whole_and_leaves_nothing_else(workbook: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "appendix.csv"
    assert sli.main(["export", "appendix", "--output", str(out), "--workbook", str(workbook)]) == 0
    out.chmod(0o640)
    out.write_bytes(b"old")
    assert sli.main(["export", "appendix", "--output", str(out), "--workbook", str(workbook)]) == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbfRef,") and oct(out.stat().st_mode & 0o777) == "0o640"
    assert sorted(p.name for p in out.parent.iterdir()) == ["appendix.csv"]  # no temporary file or folder


class FailingFile(io.FileIO):
    """A real temporary file that fails after `room` bytes the way a full disk does (or as `error`)."""

    def __init__(self, path: Path, room: int, error: int):
        super().__init__(path, "xb")
        self.room, self.error = room, error

    def write(self, data) -> int:  # type: ignore[override]
        if self.tell() + len(data) > self.room:
            raise OSError(self.error, os.strerror(self.error))
        return super().write(data)


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")  # no "Exception ignored" either
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("error, words", [(errno.ENOSPC, "disk is full"), (errno.EROFS, "read-only file system"),
                                          (errno.EACCES, "permission denied"), (errno.EIO, "could not be written")])
def test_a_failed_write_is_one_sentence_and_leaves_the_old_file(
        workbook: Path, tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch,
        fmt: str, error: int, words: str) -> None:
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / f"export.{fmt}"
    out.write_bytes(b"yesterday's export")
    opened: list[Path] = []

    def opener(path: Path) -> FailingFile:
        opened.append(path)
        if error in (errno.EROFS, errno.EACCES):  # refused at open, as those are
            raise OSError(error, os.strerror(error), str(path))
        return FailingFile(path, 100, error)

    monkeypatch.setattr(outputs, "open_new", opener)
    assert sli.main(["export", "appendix", "--output", str(out), "--workbook", str(workbook)]) == 2
    _refused(capsys, words, "nothing was written")
    assert opened and opened[0].parent.parent == out.parent  # the file was opened beside the target
    assert out.read_bytes() == b"yesterday's export"
    assert sorted(p.name for p in out.parent.iterdir()) == [out.name]  # no temporary file left


def test_output_in_a_path_through_a_file_is_one_sentence(workbook: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "notes.txt").write_text("a file")
    assert sli.main(["export", "appendix", "--output", str(tmp_path / "notes.txt" / "x.csv"),
                     "--workbook", str(workbook)]) == 2
    _refused(capsys, "is a file, not a folder")
    assert sli.main(["report", "--year", "2026", "--output", str(tmp_path / "notes.txt" / "r.docx"),
                     "--workbook", str(workbook)]) == 2
    _refused(capsys, "is a file, not a folder")


def test_export_to_a_folder_names_the_folder_not_a_format(workbook: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture) -> None:
    folder = tmp_path / "exports.d"
    folder.mkdir()
    for target in (folder, tmp_path):
        assert sli.main(["export", "changes", "--output", str(target), "--workbook", str(workbook)]) == 2
        _refused(capsys, "is a folder")
    assert list(folder.iterdir()) == []


def test_a_name_too_long_for_the_file_system_is_one_sentence_for_every_command(
        workbook: Path, tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file name longer than the file system takes (255 bytes here) made `is_symlink()` raise ENAMETOOLONG
    before any check could name it: a traceback, exit 1. Every command that writes says it in one sentence."""
    monkeypatch.setenv("SLI_WORKBOOK", str(workbook))  # teams-package and workbook init take no --workbook
    long = tmp_path / ("a" * 300)  # in a folder that exists: ENAMETOOLONG, not ENOENT (which was ignored)
    for args in (["export", "changes", "--output", f"{long}.csv", "--workbook", str(workbook)],
                 ["export", "appendix", "--format", "xlsx", "--output", f"{long}.xlsx", "--workbook", str(workbook)],
                 ["report", "--year", "2026", "--format", "docx", "--output", f"{long}.docx"],
                 ["summary", "--month", "2026-10", "--dry-run", "--chart", f"{long}.png"],
                 ["teams-package", "--client-id", CLIENT, "--output", f"{long}.zip"],
                 ["workbook", "init", f"{long}.xlsx"]):
        assert sli.main(args) == sli.EXIT_USAGE, args
        _refused(capsys, "name is too long", "nothing was written")
    assert sorted(p.name for p in tmp_path.iterdir()) == [workbook.parent.name]  # nothing written beside it


def test_a_name_too_long_through_the_real_command_line_has_no_traceback(workbook: Path, tmp_path: Path) -> None:
    done = _run(["export", "changes", "--output", str(tmp_path / ("a" * 300 + ".csv")),
                 "--workbook", str(workbook)])
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith("sli: ") and done.stderr.count("\n") == 1 and "name is too long" in done.stderr


def _run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLI_", "SLACK_"))}
    return subprocess.run([sys.executable, "-m", "sli", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**clean, "PYTHONPATH": str(ROOT), **(env or {})}, timeout=120)


def test_a_dangling_link_and_a_folder_through_the_real_command_line(workbook: Path, tmp_path: Path) -> None:
    (tmp_path / "gone.csv").symlink_to(tmp_path / "nowhere" / "x.csv")
    for output in (tmp_path / "gone.csv", tmp_path):
        done = _run(["export", "changes", "--output", str(output), "--workbook", str(workbook)])
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
        assert done.stderr.startswith("sli: ") and done.stderr.count("\n") == 1
    assert not (tmp_path / "nowhere").exists()


SETTINGS = [  # variable, value, what the sentence says it takes
    ("SLI_KEEP_BACKUPS", "abc", "a whole number, 0 or more"),
    ("SLI_KEEP_BACKUPS", "-1", "a whole number, 0 or more"),
    ("SLI_KEEP_BACKUPS", "2.5", "a whole number, 0 or more"),
    ("SLI_POLL_SECONDS", "x", "a number of seconds greater than 0"),
    ("SLI_POLL_SECONDS", "0", "a number of seconds greater than 0"),
    ("SLI_POLL_SECONDS", "-5", "a number of seconds greater than 0"),
    ("SLI_POLL_SECONDS", "nan", "a number of seconds greater than 0"),
    ("SLI_POLL_SECONDS", "inf", "a number of seconds greater than 0"),
    ("SLI_POLL_SECONDS", "1e12", "at most 86,400 (a day)"),  # APScheduler's interval overflowed a date
    ("SLI_POLL_SECONDS", "86401", "at most 86,400 (a day)"),
    ("SLI_ADDIN_LOG_LEVEL", "loud", "one of critical, error, warning, info, debug, trace"),
    ("SLACK_API_URL", "slack.com/api", "a web address starting with https://"),
]
COMMANDS = [["list"], ["pending"], ["sync"], ["bot", "--console"], ["teams", "--local", "--port", "1"],
            ["addin", "--local", "--port", "1"], ["export", "changes", "--output", "x.csv"],
            ["teams-package", "--client-id", CLIENT, "--output", "x.zip"]]


@pytest.mark.parametrize("name, value, takes", SETTINGS)
def test_a_bad_setting_is_one_sentence_naming_it_for_every_command(
        workbook: Path, tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch,
        name: str, value: str, takes: str) -> None:
    monkeypatch.chdir(tmp_path)  # an output written by mistake would land here
    monkeypatch.setenv("SLI_WORKBOOK", str(workbook))
    monkeypatch.setenv(name, value)
    for command in COMMANDS:
        assert sli.main(command) == sli.EXIT_USAGE, command
        _refused(capsys, f"{name} is '{value}'", takes)
    assert list(tmp_path.iterdir()) == [workbook.parent]


@pytest.mark.parametrize("name, value", [("SLI_KEEP_BACKUPS", "abc"), ("SLI_POLL_SECONDS", "x")])
def test_a_bad_setting_through_the_real_command_line_has_no_traceback(workbook: Path, name: str,
                                                                      value: str) -> None:
    for command in (["list"], ["bot", "--console"]):
        done = _run([*command, "--workbook", str(workbook)], {name: value})
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith(f"sli: {name} is '{value}': it takes") and done.stderr.count("\n") == 1


def test_a_poll_interval_too_long_for_the_scheduler_stops_teams_in_one_sentence(workbook: Path) -> None:
    """SLI_POLL_SECONDS=1e12 was accepted, then `sli teams --local` died with APScheduler's OverflowError."""
    done = _run(["teams", "--local", "--port", "0", "--workbook", str(workbook)], {"SLI_POLL_SECONDS": "1e12"})
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr == ("sli: SLI_POLL_SECONDS is '1e12': it takes a number of seconds greater than 0 and at "
                           "most 86,400 (a day), such as 10 or 2.5 (default 10).\n")


def test_good_settings_are_read_as_meant(workbook: Path, tmp_path: Path, capsys: pytest.CaptureFixture,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.settings import Settings

    settings = Settings.from_env(env={"SLI_KEEP_BACKUPS": " 0 ", "SLI_POLL_SECONDS": "2.5",
                                      "SLI_ADDIN_LOG_LEVEL": "WARNING", "SLACK_API_URL": "http://127.0.0.1:9"})
    assert (settings.keep_backups, settings.poll_seconds, settings.addin_log_level, settings.api_url) == (
        0, 2.5, "warning", "http://127.0.0.1:9/")
    assert Settings.from_env(env={"SLI_POLL_SECONDS": "86400"}).poll_seconds == 86400.0  # a day: the bound
    defaults = Settings.from_env(env={"SLI_KEEP_BACKUPS": "", "SLI_POLL_SECONDS": ""})
    assert (defaults.keep_backups, defaults.poll_seconds) == (20, 10.0)
    monkeypatch.setenv("SLI_KEEP_BACKUPS", "0")  # and kept none, through the command line
    assert sli.main(["update", "L7", "--next", "Audit", "--by", "Helen Lowey", "--workbook", str(workbook)]) == 0
    assert not list((workbook.parent / ".backups").glob("*.xlsx"))


def test_sync_on_an_unreadable_workbook_says_so_without_a_traceback(workbook: Path) -> None:
    write_owner_file(workbook, "Helen Lowey")
    assert _run(["update", "L7", "--next", "Audit", "--by", "Helen Lowey", "--workbook", str(workbook)]
                ).returncode == sli.EXIT_PENDING
    workbook.with_name(f"~${workbook.name}").unlink()
    workbook.write_bytes(b"not a zip: a file damaged by a copy")
    done = _run(["sync", "--workbook", str(workbook)])
    assert done.returncode == sli.EXIT_PENDING
    assert "is not an Excel workbook (.xlsx) that can be read" in done.stdout
    assert "Traceback" not in done.stderr and done.stderr.count("\n") <= 1, done.stderr
    assert "1 update waiting." in _run(["pending", "--workbook", str(workbook)]).stdout
