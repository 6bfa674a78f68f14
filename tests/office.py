"""LibreOffice (and poppler's pdftotext) for the tests that open the workbook in a real spreadsheet program.

One place decides what happens when a program is missing: the test skips with a reason naming
SLI_REQUIRE_LIBREOFFICE, or fails when SLI_REQUIRE_LIBREOFFICE=1 (CI installs the programs and sets it), so
a machine without LibreOffice cannot make CI pass by skipping. tests/conftest.py reads that reason to say,
at the end of the run, that the LibreOffice suite was skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

import pytest

#: The environment variable that turns a missing program into a failure.
REQUIRE = "SLI_REQUIRE_LIBREOFFICE"
#: soffice's CSV export: comma-separated, double-quoted, UTF-8 (76), every sheet (-1) to a file of its own.
CSV_FILTER = 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1'
#: Seconds one LibreOffice conversion may take (a cold start on a loaded machine takes tens of seconds).
CONVERT_TIMEOUT = 180


def tool(name: str = "soffice") -> str:
    """The path of `name` (soffice, pdftotext); skips the test when it is missing, or fails it when
    SLI_REQUIRE_LIBREOFFICE=1."""
    found = shutil.which(name)
    if found is None:
        if os.environ.get(REQUIRE) == "1":
            pytest.fail(f"{name} is not on PATH but {REQUIRE}=1.", pytrace=False)
        pytest.skip(f"{name} is not installed (LibreOffice / poppler-utils); {REQUIRE}=1 makes this a failure")
    return found


def convert(sources: Iterable[Path], to: str, outdir: Path, profile: Path) -> Path:
    """Convert `sources` with headless LibreOffice (`to`: "pdf", or CSV_FILTER for every sheet as CSV) into
    `outdir`, in one start of LibreOffice; `profile` is a private user profile folder, so runs in parallel
    do not share one. Returns `outdir`; the test fails with LibreOffice's own words if it reports failure."""
    command = [tool("soffice"), f"-env:UserInstallation={Path(profile).resolve().as_uri()}", "--headless",
               "--convert-to", to, "--outdir", str(outdir), *map(str, sources)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=CONVERT_TIMEOUT)
    assert done.returncode == 0, done.stderr
    return Path(outdir)
