"""Fixtures shared by the tests: a private copy of the committed workbook for each test. And, at the end of
the run, one line naming any real-client suite that was skipped because its program is missing here, with
the variable that makes it required: a green `make test` on a machine without Chromium or LibreOffice
must not read as if those suites had passed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMMITTED_WORKBOOK = ROOT / "workbook" / "Appendix1.xlsx"

#: Suites that need a real client this machine may lack: (name, variable that makes it required, test file).
#: A skip belongs to a suite when it comes from that file, or when its reason names the variable (the
#: LibreOffice tests live in several files and skip through tests/office.py, whose reason names it).
REAL_CLIENT_SUITES = (
    ("browser", "SLI_REQUIRE_BROWSER", "test_taskpane_browser.py"),
    ("LibreOffice", "SLI_REQUIRE_LIBREOFFICE", None),
    ("Teams Playground", "SLI_REQUIRE_TEAMS_PLAYGROUND", "test_teams_playground.py"),
    ("SheetJS", "SLI_REQUIRE_NODE_READERS", None),
    ("strace", "SLI_REQUIRE_STRACE", None),
)


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    """A copy of the committed Appendix 1 in a folder of its own (journal, lock and backups go beside it)."""
    folder = tmp_path / "book"
    folder.mkdir()
    target = folder / "Appendix1.xlsx"
    shutil.copy2(COMMITTED_WORKBOOK, target)
    return target


def _skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # (path, line, "Skipped: reason")
        return str(longrepr[2])
    return str(longrepr or "")


def skipped_suites_line(reports: list) -> str | None:
    """"Skipped real-client suites: browser (set SLI_REQUIRE_BROWSER=1 to require), ..." for the suites
    among these skip reports, in REAL_CLIENT_SUITES order; None when none was skipped."""
    named = []
    for name, variable, test_file in REAL_CLIENT_SUITES:
        for report in reports:
            in_file = test_file is not None and Path(report.nodeid.split("::")[0]).name == test_file
            if in_file or variable in _skip_reason(report):
                named.append(f"{name} (set {variable}=1 to require)")
                break
    return "Skipped real-client suites: " + ", ".join(named) if named else None


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say which real-client suites this run skipped (nothing when none was)."""
    line = skipped_suites_line(terminalreporter.stats.get("skipped", []))
    if line:
        terminalreporter.write_line(line)
