"""Fast reads of the workbook with python-calamine, only the sheets asked for, cached by file identity.

A query in Slack or a validation run re-reads nothing while the file is unchanged: the cache key
is the path (made absolute, not resolved) and its device, with its size, modification time and inode, which
every save (ours or Excel's) changes.
Appendix 1, Lists and Leads are read from a small package of only those sheets and the shared strings
they use (`shared.xlsx.reduced`), so the read does not grow with the Change log after Excel saves the file;
after another process's update only what it changed is read again (Appendix 1: Lists, Leads and the parts
that did not change are kept by their identity in the zip, see `_reduced_sheets`); the writer fills the cache
with what it saved (`remember_appendix`): the Appendix it planned on with the cells it wrote
(`shared.as_written`), parsing nothing, or where that is unsure its save's Appendix 1 parsed.
"""

from __future__ import annotations

import io
import os
import threading
import zipfile
from datetime import datetime, time, timedelta
from pathlib import Path

import python_calamine

from shared.domain import schema as s
from shared.domain.bounded import Bounded
from shared.domain.logrow import LogRow
from shared.domain.model import Appendix, Board, Lead, Recommendation, Sheet
from shared.domain.values import NotADate
from shared.xlsx import log_sheet_year, reduced
from shared.xlsx.reduced import READ_ERRORS, Parts, Reduction, reduced_package


class WorkbookError(Exception):
    """The workbook cannot be read as Appendix 1; the message is one sentence for the user.

    The one type for an unreadable workbook (missing, not an .xlsx, a damaged sheet, no `Appendix 1`): the
    use cases let it through and every front end shows its sentence as it is (`sli` with exit code 2, the
    Slack and Teams bots as their answer), so a person reads the same words wherever they asked."""

    @classmethod
    def unreadable(cls, path: Path) -> WorkbookError:
        return cls(f"{path} is not an Excel workbook (.xlsx) that can be read.")


# --- identity-keyed cache ------------------------------------------------------------------

_cache: dict[tuple[str, int, str], tuple[tuple[int, int, int], object]] = {}
_cache_lock = threading.Lock()
#: How many times a sheet was actually parsed; the tests read it to prove the cache works.
parse_count = 0


def _stat(path: Path | str) -> os.stat_result:
    try:
        return os.stat(path)
    except FileNotFoundError:
        raise WorkbookError(f"There is no workbook at {path}.") from None


def file_identity(path: Path) -> tuple[int, int, int]:
    """What changes whenever the file is saved: size, modification time (ns), inode."""
    st = _stat(path)
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _key(path: Path | str, device: int, kind: str) -> tuple[str, int, str]:
    """Where the cache files what was read of the file at `path` (on the file system `device`): the path made
    absolute as written, not resolved (resolving took a stat of every folder on the way, four times an update).
    An entry is handed out only while the file there has the identity it was read with (size, time, inode), on
    the same device, so the file an entry was read from is the file there now: a path reaching another file
    since (a link moved) finds that file's identity, not the entry's, and a spelling through a link is only
    read once more, never given another file's values."""
    absolute = _absolute.get(path)
    if absolute is None:
        absolute = os.path.abspath(path)
        if os.path.isabs(path):  # a relative one depends on the folder the process is in
            if len(_absolute) >= _KEEP_ABSOLUTE:
                _absolute.clear()
            _absolute[path] = absolute
    return (absolute, device, kind)


#: Absolute paths as given (a `Path` or text) -> as `_key` files them: an update files four times under the same.
_absolute: dict[Path | str, str] = {}
_KEEP_ABSOLUTE = 64


def _cached(path: Path | str, kind: str, build) -> tuple[tuple[int, int, int], object]:
    """What `build` reads of the file at `path` now, and the file's identity it was read with: one stat for
    both (a writer checks the file it opens against that identity, `WorkbookUnitOfWork.appendix`)."""
    st = _stat(path)
    key, identity = _key(path, st.st_dev, kind), (st.st_size, st.st_mtime_ns, st.st_ino)
    with _cache_lock:
        hit = _cache.get(key)
        if hit and hit[0] == identity:
            return hit
    value = build()
    with _cache_lock:
        _cache[key] = (identity, value)
    return identity, value


def _open(path: Path) -> python_calamine.CalamineWorkbook:
    if not Path(path).is_file():
        raise WorkbookError(f"There is no workbook at {path}.")
    try:
        return python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception:
        raise WorkbookError.unreadable(path) from None


def _sheet(book: python_calamine.CalamineWorkbook, path: Path, name: str, required: bool = True) -> Sheet | None:
    global parse_count
    if name not in book.sheet_names:
        if not required:
            return None
        raise WorkbookError(f"The workbook {path} has no sheet called '{name}'.")
    parse_count += 1
    try:  # python-calamine parses a sheet only now: a damaged one (a half-written copy) fails here
        data = book.get_sheet_by_name(name)
        grid = data.to_python(skip_empty_area=True)
    except Exception:
        raise WorkbookError.unreadable(path) from None
    start = data.start or (0, 0)
    return Sheet(name, grid, (start[0], start[1]))


def _as_date(value: object) -> object:
    if isinstance(value, datetime):
        return value.date() if (value.hour, value.minute, value.second) == (0, 0, 0) else value
    return value


def _date_cell(value: object) -> object:
    """A date column's value: a day, or NotADate where python-calamine read a date cell holding zero or a
    negative number (a date before 1900) as a time of day, which no later step could store as JSON."""
    if isinstance(value, time | timedelta):
        return NotADate()
    return _as_date(value)


def _column_values(sheet: Sheet | None, header_name: str) -> list[str]:
    if sheet is None:
        return []
    try:
        header = s.find_header(sheet.grid, (header_name,), sheet.name)
    except s.HeaderError:
        return []
    col = header.columns[header_name]
    out = []
    for row in sheet.grid[header.row + 1:]:
        value = row[col] if col < len(row) else None
        if value not in (None, "") and str(value).strip():
            out.append(str(value).strip())
    return out


#: The sheets Appendix 1 is read from.
APPENDIX_SHEETS = (s.MAIN_SHEET, s.LISTS_SHEET, s.LEADS_SHEET)


def _appendix_of(book: python_calamine.CalamineWorkbook, path: Path) -> Appendix:
    return appendix_from_sheets(path, _sheet(book, path, s.MAIN_SHEET), _sheet(book, path, s.LISTS_SHEET, False),
                                _sheet(book, path, s.LEADS_SHEET, False))


def _reduced_book(package: bytes) -> python_calamine.CalamineWorkbook | None:
    try:
        return python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(package))
    except Exception:  # noqa: BLE001 - whatever calamine makes of it, the whole file is read instead
        return None


#: Shared strings larger than this are read only as far as Appendix 1 needs (`shared.xlsx.reduced`); the
#: tests set it to -1 to read every workbook so.
REDUCE_ABOVE = reduced.REDUCE_ABOVE


#: Lists and Leads as read before, by what their values depend on (`Reduction.grid_key`), with the shared
#: strings' items they were read with: after another process's update only Appendix 1 and the Change log
#: changed (and the table's `count`), so a cold read parses Appendix 1 alone. Only these two are kept: their
#: grids are read, never changed, by `appendix_from_sheets`; and only when their strings are small.
_GRIDS_SEEN: Bounded[tuple[bytes, Sheet]] = Bounded(8)
_KEEP_GRID_STRINGS = 1 << 20
_REUSABLE = (s.LISTS_SHEET, s.LEADS_SHEET)


def _reduced_sheets(path: Path) -> list[Sheet | None] | None:
    """Appendix 1, Lists and Leads (None for an optional one the workbook lacks) from a small package of the
    sheets not read before and their shared strings; None when the file's shared strings are small (calamine
    reads it whole faster) or the package cannot be read so. WorkbookError as `_sheet` raises it."""
    try:
        with reduced.open_direct(path) as archive:
            if REDUCE_ABOVE >= 0 and (reduced.SHARED_STRINGS not in archive.namelist()
                                      or archive.getinfo(reduced.SHARED_STRINGS).file_size <= REDUCE_ABOVE):
                return None
            reduction = Reduction(Parts(archive))
            strings = reduction.strings_for(APPENDIX_SHEETS)
            items = reduced.strings_items(strings)
            keys = {name: reduction.grid_key(name) for name in _REUSABLE}
            known = {}
            for name, key in keys.items():
                seen = _GRIDS_SEEN.get(key)
                if seen is not None and items.startswith(seen[0]):
                    known[name] = seen[1]
            package = reduction.package([name for name in APPENDIX_SHEETS if name not in known], strings)
    except READ_ERRORS:
        return None
    book = _reduced_book(package)
    if book is None:
        return None
    sheets: list[Sheet | None] = []
    for name in APPENDIX_SHEETS:
        if name in known:
            sheets.append(known[name])
            continue
        sheet = _sheet(book, path, name, required=name == s.MAIN_SHEET)
        key = keys.get(name)
        if sheet is not None and key is not None and len(items) <= _KEEP_GRID_STRINGS:
            _GRIDS_SEEN.keep(key, (items, sheet))
        sheets.append(sheet)
    return sheets


def _build_appendix(path: Path) -> Appendix:
    """Appendix 1 from the sheets it needs and their shared strings only; a package that cannot be read
    so (damaged, or written unusually) is read whole, as before, for the same values or the same error."""
    path = Path(path)
    if path.is_file():
        try:
            sheets = _reduced_sheets(path)
            if sheets is not None:
                return appendix_from_sheets(path, *sheets)
        except WorkbookError:
            pass  # read whole below: its sentence is the one to show
    return _appendix_of(_open(path), path)


def _leads(sheet: Sheet) -> list[Lead]:
    """The Leads sheet's people; the Entra object ID column (workbooks made before Teams) and the
    Accountable for column (before assurance) are optional."""
    header = s.find_header(sheet.grid, s.LEADS_COLUMNS, sheet.name)
    header = s.with_optional([list(r) for r in sheet.grid], header, (s.LEADS_ENTRA_COLUMN,
                                                                     s.LEADS_ACCOUNTABLE_COLUMN))
    columns = (*s.LEADS_COLUMNS, s.LEADS_ENTRA_COLUMN, s.LEADS_ACCOUNTABLE_COLUMN)
    leads = []
    for row in sheet.grid[header.row + 1:]:
        values = [row[header.columns[c]] if c in header.columns and header.columns[c] < len(row) else None
                  for c in columns]
        if not any(v not in (None, "") for v in values[:len(s.LEADS_COLUMNS)]):
            continue
        org, name, slack_id, role, entra, accountable = values
        leads.append(Lead(str(org or "").strip(), str(name or "").strip(), str(slack_id or "").strip(),
                          str(role or "").strip().lower(), str(entra or "").strip().lower(),
                          s.split_list(accountable)))
    return leads


def _boards(sheet: Sheet | None) -> list[Board]:
    """The boards on sheet Lists (`Board`, `Reported to by`, `Only priorities`); none without the columns."""
    if sheet is None:
        return []
    try:
        header = s.find_header(sheet.grid, (s.LIST_BOARD, s.LIST_BOARD_ROLES), sheet.name)
    except s.HeaderError:
        return []
    header = s.with_optional([list(r) for r in sheet.grid], header, (s.LIST_BOARD_PRIORITIES,))
    boards = []
    for row in sheet.grid[header.row + 1:]:
        def cell(column: str, row: tuple = row) -> object:
            index = header.columns.get(column)
            return row[index] if index is not None and index < len(row) else None
        name = str(cell(s.LIST_BOARD) or "").strip()
        if name:
            boards.append(Board(name, s.split_list(cell(s.LIST_BOARD_ROLES)),
                                s.split_list(cell(s.LIST_BOARD_PRIORITIES))))
    return boards


def appendix_from_sheets(path: Path, sheet: Sheet, lists: Sheet | None, leads_sheet: Sheet | None) -> Appendix:
    """Appendix 1 from sheet grids, whoever read them: calamine from the file, or the add-in from the open book."""
    try:
        header = s.find_header(sheet.grid, s.MAIN_COLUMNS, s.MAIN_SHEET)
    except s.HeaderError as exc:
        raise WorkbookError(f"{str(exc).rstrip('.')} ({path}).") from None
    header = s.with_optional([list(r) for r in sheet.grid[:header.row + 1]], header, s.ASSURANCE_COLUMNS)
    leads: list[Lead] = []
    if leads_sheet is not None:
        try:
            leads = _leads(leads_sheet)
        except s.HeaderError:
            pass
    return Appendix(
        path=Path(path), sheet=sheet, header=header, rows=recommendations(sheet, header),
        statuses=_column_values(lists, s.LIST_STATUSES) or list(s.STATUSES),
        lead_orgs=_column_values(lists, s.LIST_LEAD_ORGS),
        priorities=_column_values(lists, s.LIST_PRIORITIES),
        leads=leads,
        roles=_column_values(lists, s.LIST_ROLES),
        boards=_boards(lists),
    )


def recommendations(sheet: Sheet, header: s.HeaderMap) -> dict[str, Recommendation]:
    """The rows of Appendix 1 under `header`, by ref (the first row of a ref counts)."""
    rows: dict[str, Recommendation] = {}
    for index in range(header.row + 1, len(sheet.grid)):
        row = recommendation(sheet, header, index)
        if row is not None:
            rows.setdefault(row.ref, row)
    return rows


def recommendation(sheet: Sheet, header: s.HeaderMap, index: int) -> Recommendation | None:
    """The row at `sheet.grid[index]` with the values a read gives (days for dates, None for empty), or None
    when its Ref is not a ref. One function for a read and for a writer's own rows (`shared.as_written`), so
    both turn the same cells into the same values."""
    raw = sheet.grid[index]
    values = {name: (raw[col] if col < len(raw) else None) for name, col in header.columns.items()}
    for column in s.DATE_COLUMNS:
        if column in values:
            values[column] = _date_cell(values[column])
    if isinstance(values[s.DUE], datetime):  # a due date typed with a time is still a day
        values[s.DUE] = values[s.DUE].date()
    for column, value in values.items():
        if value == "":
            values[column] = None
    try:
        ref = s.normalise_ref(values[s.REF])
    except s.RefError:
        return None
    values[s.REF] = ref
    return Recommendation(ref, values, sheet.origin[0] + index + 1)


def read_appendix(path: Path) -> Appendix:
    """Appendix 1 with its Lists and Leads, parsed once per version of the file."""
    return read_appendix_identified(path)[1]


def read_appendix_identified(path: Path) -> tuple[tuple[int, int, int], Appendix]:
    """The file's identity (`file_identity`, taken before it was read) and Appendix 1 as `read_appendix` gives
    it: what a unit of work reads an update's plan from, and the save a writer must then find (one stat)."""
    return _cached(path, "appendix", lambda: _build_appendix(path))


def appendix_as_saved(path: Path, archive: zipfile.ZipFile, changed: dict[str, bytes],
                      inflated: dict[str, bytes] | None = None) -> Appendix | None:
    """Appendix 1 as the writer is saving it to `path`, from the package it wrote (the file's former parts in
    `archive`, those it had `inflated` already taken as they are, with the parts it `changed` over them), or
    None when that package cannot be read so (the next read then reads the file)."""
    try:
        book = _reduced_book(reduced_package(Parts(archive, changed, inflated), APPENDIX_SHEETS))
        return _appendix_of(book, Path(path)) if book is not None else None
    except (WorkbookError, *READ_ERRORS):
        return None


def cached_appendix(path: Path, identity: tuple[int, int, int]) -> Appendix | None:
    """The Appendix 1 the cache holds for the file at `path` when it had `identity` (`file_identity`), or None:
    what the writer that opened that file derives its own save from (`shared.as_written`)."""
    try:
        key = _key(path, os.stat(path).st_dev, "appendix")
    except OSError:
        return None
    with _cache_lock:
        hit = _cache.get(key)
    return hit[1] if hit and hit[0] == identity and isinstance(hit[1], Appendix) else None


def remember_appendix(path: Path, appendix: Appendix | None, identity: tuple[int, int, int] | None = None) -> None:
    """Fill the cache with `appendix` (derived by `shared.as_written`, else `appendix_as_saved`) for the file
    put at `path` with `identity` (as the writer took it before its rename: an officer's save landing just after
    it must not be cached as the writer's), so the next read does not parse the save back. Nothing is kept for
    None: the next read reads the file."""
    if appendix is None:
        return
    if identity is None:
        st = _stat(path)
        identity = (st.st_size, st.st_mtime_ns, st.st_ino)
    else:
        try:
            st = os.stat(path)
        except OSError:  # gone since it was put there: nothing to file it under (the next read says so)
            return
    with _cache_lock:
        _cache[_key(path, st.st_dev, "appendix")] = (identity, appendix)


def log_sheets(names: list[str], since: int | None = None) -> list[str]:
    """The Change log's sheets in time order: closed years (`Change log 2026`, ...) oldest first, then
    `Change log`, the current year's, which the write path appends to. `since` leaves out years before it."""
    years = sorted((year, name) for name in names if (year := log_sheet_year(name)) is not None
                   and (since is None or year >= since))
    return [name for _, name in years] + ([s.LOG_SHEET] if s.LOG_SHEET in names else [])


def _build_log(path: Path, since: int | None) -> list[LogRow]:
    book = _open(path)
    entries: list[LogRow] = []
    for name in log_sheets(list(book.sheet_names), since):
        sheet = _sheet(book, path, name, required=False)
        if sheet is None:
            continue
        try:
            header = s.find_header(sheet.grid, LogRow.HEADER, sheet.name)
        except s.HeaderError:
            continue
        rows = (LogRow.from_sheet_row(header.columns, row) for row in sheet.grid[header.row + 1:])
        entries.extend(row for row in rows if row is not None)
    return entries


def read_change_log(path: Path, since: int | None = None) -> list[LogRow]:
    """Every Change log row, oldest first, across the yearly sheets and `Change log` (the history of
    every year: `sli history`, the add-in, the summary). `since=2027` reads only the sheets of 2027 and
    later plus `Change log`: the write path's crash recovery looks for an update written this year (or
    the year its journal entry was made) without reading ten years of rows."""
    kind = "log" if since is None else f"log-since-{since}"
    return _cached(path, kind, lambda: _build_log(Path(path), since))[1]


def read_current_change_log(path: Path) -> list[LogRow]:
    """Only the `Change log` sheet: the current year's rows (the year sheets are closed)."""
    return read_change_log(path, since=9999)
