"""`make test` ends by naming the real-client suites it skipped (tests/conftest.py's terminal summary), so
a green run on a machine without Chromium, LibreOffice or the Teams Playground does not pass for a full
one. Each test runs pytest in a child process on a tiny selection, with the programs hidden."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
REAL_CLIENT_VARIABLES = ("SLI_REQUIRE_BROWSER", "SLI_REQUIRE_LIBREOFFICE", "SLI_REQUIRE_TEAMS_PLAYGROUND")
SELECTION = ["tests/test_taskpane_browser.py", "tests/test_teams_playground.py",
             "tests/test_workbook.py::test_libreoffice_opens_every_sheet"]


def _pytest(args: list[str], cwd: Path, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """pytest in a child process where soffice, node and Chromium cannot be found, whatever is installed,
    and no real-client suite is required unless `env` says so."""
    empty = tmp_path / "empty-path"
    empty.mkdir(exist_ok=True)
    clean = {k: v for k, v in os.environ.items() if k not in REAL_CLIENT_VARIABLES}
    child_env = {**clean, "PATH": str(empty), "SLI_CHROMIUM": str(tmp_path / "no-chromium"),
                 "PYTHONPATH": str(ROOT), **env}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args], cwd=cwd,
                          env=child_env, capture_output=True, text=True, timeout=300)


def _summary_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("Skipped real-client suites")]


def test_a_run_that_skips_all_three_suites_names_them_once_at_the_end(tmp_path: Path) -> None:
    done = _pytest(SELECTION, ROOT, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    expected = ("Skipped real-client suites: browser (set SLI_REQUIRE_BROWSER=1 to require), "
                "LibreOffice (set SLI_REQUIRE_LIBREOFFICE=1 to require), "
                "Teams Playground (set SLI_REQUIRE_TEAMS_PLAYGROUND=1 to require)")
    assert _summary_lines(done.stdout) == [expected], done.stdout
    lines = done.stdout.rstrip().splitlines()
    assert lines[-2] == expected and " skipped in " in lines[-1]  # just above pytest's own count


def test_a_required_suite_fails_and_is_not_named_as_skipped(tmp_path: Path) -> None:
    done = _pytest(SELECTION, ROOT, tmp_path, SLI_REQUIRE_LIBREOFFICE="1")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "soffice is not on PATH but SLI_REQUIRE_LIBREOFFICE=1." in done.stdout
    assert _summary_lines(done.stdout) == [
        "Skipped real-client suites: browser (set SLI_REQUIRE_BROWSER=1 to require), "
        "Teams Playground (set SLI_REQUIRE_TEAMS_PLAYGROUND=1 to require)"], done.stdout


def test_other_skips_and_passes_add_no_line(tmp_path: Path) -> None:
    """Only real-client suites are named: a run whose only skip is for another reason prints no line."""
    suite = tmp_path / "suite"
    suite.mkdir()
    shutil.copy(HERE / "conftest.py", suite / "conftest.py")
    shutil.copy(HERE / "office.py", suite / "office.py")
    (suite / "test_other.py").write_text(
        "import pytest\n\n\ndef test_passes():\n    assert True\n\n\n"
        "def test_needs_root():\n    pytest.skip('changing owners needs root')\n")
    done = _pytest([], suite, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed, 1 skipped" in done.stdout
    assert _summary_lines(done.stdout) == [], done.stdout
    # The same copy of the hook does name a LibreOffice skip (so the silence above is not a broken copy).
    (suite / "test_sheet.py").write_text("import office\n\n\ndef test_opens():\n    office.tool('soffice')\n")
    done = _pytest([], suite, tmp_path)
    assert _summary_lines(done.stdout) == [
        "Skipped real-client suites: LibreOffice (set SLI_REQUIRE_LIBREOFFICE=1 to require)"], done.stdout
