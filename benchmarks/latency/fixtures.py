"""The workbooks the benchmark times, each the committed workbook with the same sentence-length history on its
one `Change log` sheet, written three ways:

- `sli`: as `sli` writes rows (inline strings, its styles), the file every earlier benchmark timed;
- `openpyxl`: loaded and saved by openpyxl, as another program would write it (openpyxl 3.1 writes strings
  inline, as sli does, but its own styles and compression);
- `libreoffice`: that file opened and saved again by headless LibreOffice (`soffice --convert-to xlsx`), as an
  officer's Excel saves it: every string of every sheet in `xl/sharedStrings.xml`. The realistic case.

Making the big ones takes minutes (LibreOffice on a 100,000-row file), so each is kept in `out/bench/fixtures/`
(git-ignored) under a name holding a hash of everything that makes it: the committed workbook, this module and
`history`, the row count, the month the history ends in, and the soffice version. A rerun finds them there.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

from lxml import etree

from latency import history
from shared.domain import schema as s
from shared.xlsx import Package, excel_serial, save_atomically
from shared.xlsx.cells import styles_by_column
from shared.xlsx.package import head_without_data

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "workbook" / "Appendix1.xlsx"
CACHE = ROOT / "out" / "bench" / "fixtures"
KINDS = ("sli", "openpyxl", "libreoffice")
#: Seconds one LibreOffice save may take (a 100,000-row file on a loaded 2-core machine takes minutes).
SOFFICE_TIMEOUT = 1800


class FixtureError(RuntimeError):
    """A workbook could not be made (LibreOffice missing or failing): the benchmark stops with this sentence."""


def history_end() -> datetime:
    """Where the history ends: the first moment of this month (UTC), so a fixture stays valid for a month
    and its newest rows fall in this year, as a live log's do."""
    now = datetime.now(UTC).replace(tzinfo=None)
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def soffice() -> str:
    found = shutil.which("soffice")
    if found is None:
        raise FixtureError("soffice (LibreOffice) is not installed: the LibreOffice-saved workbook cannot be made.")
    return found


@functools.cache
def _soffice_version() -> str:
    done = subprocess.run([soffice(), "--version"], capture_output=True, text=True, timeout=120)
    return done.stdout.strip()


def fixture(kind: str, rows: int) -> Path:
    """The cached workbook of `kind` with `rows` history rows, made first when missing. Never modify it:
    copy it (`copy_to`)."""
    end = history_end()
    digest = hashlib.sha256()
    for part in (COMMITTED.read_bytes(), Path(__file__).read_bytes(), Path(history.__file__).read_bytes(),
                 f"{kind}/{rows}/{end.isoformat()}".encode(),
                 _soffice_version().encode() if kind == "libreoffice" else b""):
        digest.update(hashlib.sha256(part).digest())
    path = CACHE / f"{kind}-{rows}-{digest.hexdigest()[:16]}.xlsx"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        for stale in CACHE.glob(f"{kind}-{rows}-*.xlsx"):
            stale.unlink(missing_ok=True)
        with tempfile.TemporaryDirectory(dir=CACHE) as name:
            made = _MAKERS[kind](Path(name), rows, end)
            os.replace(made, path)  # whole or absent: a run stopped half-way leaves no half fixture
    return path


def copy_to(kind: str, rows: int, folder: Path) -> Path:
    """A fresh copy of the fixture as `folder/Appendix1.xlsx`, the name the product expects."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / COMMITTED.name
    shutil.copyfile(fixture(kind, rows), target)
    return target


def _sli(folder: Path, rows: int, end: datetime) -> Path:
    """The history as sli appends rows: inline strings in the Change log's column styles (sheet XML written
    directly: 100,000 rows in seconds; making the file is not what is timed)."""
    workbook = folder / COMMITTED.name
    shutil.copyfile(COMMITTED, workbook)
    if not rows:
        return workbook
    package = Package(workbook)
    part = package.sheet_parts[s.LOG_SHEET]
    data = package.parts[part]
    styles = styles_by_column(etree.fromstring(head_without_data(data)))
    out = []
    for n, values in enumerate(history.log_rows(rows, end)):
        number = n + 2
        cells = [f'<c r="A{number}" s="{styles.get(1, "0")}"><v>{excel_serial(values[0])}</v></c>']
        for column, value in enumerate(values[1:], start=2):
            letter = s.column_letter(column - 1)
            cells.append(f'<c r="{letter}{number}" s="{styles.get(column, "0")}" t="inlineStr"><is><t>'
                         f'{escape(str(value))}</t></is></c>')
        out.append(f'<row r="{number}">{"".join(cells)}</row>')
    close = data.rfind(b"</sheetData>")
    data = data[:close] + "".join(out).encode() + data[close:]
    data = re.sub(rb'<dimension ref="[^"]*"/>', f'<dimension ref="A1:H{rows + 1}"/>'.encode(), data, count=1)
    package.changed[part] = data
    save_atomically(package, workbook, None, 0)
    return workbook


def _openpyxl(folder: Path, rows: int, end: datetime) -> Path:
    """The history appended and saved by openpyxl (which puts every string in the shared-strings table)."""
    import openpyxl

    workbook = folder / COMMITTED.name
    book = openpyxl.load_workbook(COMMITTED)
    sheet = book[s.LOG_SHEET]
    first = sheet.max_row + 1
    for values in history.log_rows(rows, end):
        sheet.append(values)
    for (cell,) in sheet.iter_rows(min_row=first, max_col=1):
        cell.number_format = "yyyy-mm-dd hh:mm"
    book.save(workbook)
    return workbook


def _libreoffice(folder: Path, rows: int, end: datetime) -> Path:
    """The openpyxl file opened and saved by headless LibreOffice, with a private profile kept in the cache
    (a first start builds it: slow once)."""
    source = fixture("openpyxl", rows)
    profile = CACHE / "soffice-profile"
    command = [soffice(), f"-env:UserInstallation={profile.resolve().as_uri()}", "--headless",
               "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(folder), str(source)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=SOFFICE_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise FixtureError(f"LibreOffice took over {SOFFICE_TIMEOUT} s to save {source.name}.") from None
    made = folder / source.name
    if done.returncode != 0 or not made.exists():
        raise FixtureError(f"LibreOffice did not save {source.name}: {(done.stderr or done.stdout).strip()}")
    return made


_MAKERS: dict[str, Callable[[Path, int, datetime], Path]] = {"sli": _sli, "openpyxl": _openpyxl,
                                                             "libreoffice": _libreoffice}
