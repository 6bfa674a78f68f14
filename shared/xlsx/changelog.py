"""The Change log, one sheet a year: before rows are logged, the rows of earlier years move from `Change log`
to their year's sheet (`Change log 2026`), so the sheet every update rewrites holds one year at most.

A named step of the package writer (`shared.writers.PackageWriter`), taken once per save before the first
Change log rows are appended: appending rows (`Package.append_rows`) never files anything itpackage.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta

from lxml import etree

from shared.domain.logrow import LogRow
from shared.domain.schema import LOG_SHEET, column_letter
from shared.xlsx.cells import CellValue
from shared.xlsx.logstream import ROW_TAG, StreamedRows, YearRows, renumber
from shared.xlsx.ooxml import MAIN_NS, PARSER, REL_NS, M, PackageError, serialise, text_key
from shared.xlsx.package import FIRST_PREFIX, Package
from shared.xlsx.parts import HEADER_PREFIX, PREFIX
from shared.xlsx.rows import grow_dimension
from shared.xlsx.segments import Segments, crc32_combine
from shared.xlsx.sheets import FILTER, quoted_sheet

LOG_WHEN = LogRow.header_of("when")
_YEAR_SHEET = re.compile(rf"^{re.escape(LOG_SHEET)} (\d{{4}})$")
#: Elements of the Change log sheet a year sheet does not copy: they point at other parts (drawings,
#: comments, tables), or at rows and cells of the log itself.
_SHEET_PARTS_WITH_LINKS = ("mergeCells", "conditionalFormatting", "dataValidations", "hyperlinks", "rowBreaks",
                           "colBreaks", "drawing", "legacyDrawing", "legacyDrawingHF", "drawingHF", "picture",
                           "oleObjects", "controls", "tableParts", "extLst", "sortState")
_SHARED_CELL = re.compile(rb"""<c\b[^>]*?\st\s*=\s*(["'])s\1""")
_SHARED_STRINGS = "xl/sharedStrings.xml"
#: A worksheet whose elements are in the main namespace by default: the only one whose log can be read here.
_DEFAULT_NS = re.compile(rb"<worksheet[^>]*?\sxmlns=\"" + re.escape(MAIN_NS.encode()) + b'"')
#: What `_starts_in` last read (one Change log a process, as a rule): the log's bytes from `<sheetData>` to the end
#: of the row under its header; the header's columns, the shared strings' identity (`KeptParts.items_key`) and
#: the date system it read them with; and that row's year (None: not a date). Rows are appended at the log's end,
#: so the next update's log starts with the same bytes, whose row under the header is then not looked for again.
_last_first_row: tuple[bytes, tuple, int | None] | None = None


def file_log_years(package: Package, rows: Sequence[Mapping[int, CellValue]]) -> dict[int, int]:
    """File the Change log's earlier years before `rows` (by column number) are appended to it: every row
    dated before the year of the newest of them moves to its year's sheet; returns {year: rows moved}."""
    return file_earlier_years(package, log_year(package, rows))


def log_year(package: Package, rows: Sequence[Mapping[int, CellValue]]) -> int:
    """The year the rows being logged belong to: their newest `When`, else this year (UTC)."""
    years = []
    try:
        when = package.header_columns(LOG_SHEET, (LOG_WHEN,))[LOG_WHEN]
        years = [row[when].year for row in rows if isinstance(row.get(when), date)]
    except PackageError:
        pass
    return max(years, default=datetime.now(UTC).year)


def file_earlier_years(package: Package, year: int) -> dict[int, int]:
    """Move every row of `Change log` dated before `year` to its year's sheet (`Change log 2026`),
    so the sheet the write path rewrites holds one year at most; returns {year: rows moved}.

    Normally nothing is moved, and finding that out reads only the first row under the header: rows
    are appended in time order. The first update of a new year moves last year's rows; a workbook
    whose Change log holds many years (written by another program) has them all moved, once. A year
    sheet is created with the log's header, widths, styles, frozen header, page setup and an
    autofilter, appended at the end of the sheet list (so no sheet's index, which defined names use,
    shifts); once written it is never rewritten (a later write copies it compressed as it is).
    Rows whose date cannot be read stay on `Change log`.
    """
    if LOG_SHEET not in package.sheet_parts:
        return {}
    part = package.sheet_part(LOG_SHEET)
    first = package.prefix(part, FIRST_PREFIX)
    if _starts_in(package, first, year) or \
            (len(first) == FIRST_PREFIX and _starts_in(package, package.prefix(part, HEADER_PREFIX), year)):
        return {}  # the usual case, seen in the log's first kilobytes
    data = package.prefix(part, PREFIX)
    if not _DEFAULT_NS.search(data[:4000]):
        return {}
    try:
        columns = package.header_columns(LOG_SHEET, LogRow.HEADER)
    except PackageError:
        return {}
    when = column_letter(columns[LOG_WHEN] - 1).encode()
    open_at = data.find(b"<sheetData>")
    if open_at == -1:
        return {}
    close = data.rfind(b"</sheetData>")
    header_row, first = _log_header_row(package, data, open_at + len(b"<sheetData>"),
                                        len(data) if close == -1 else close, columns)
    if header_row is None:
        return {}
    try:
        span = _next_row(data, first, len(data) if close == -1 else close)
    except PackageError:  # a row cut by the end of the prefix: the streamed pass below decides
        span = (first, first)
    if span is None:
        return {}
    if span[1] > span[0]:
        first_year = _row_year(package, data[span[0]:span[1]], when)
        if first_year is None or first_year >= year:
            return {}  # the usual case: the log starts this year (or with a row whose date is not one)
    return _file_streamed(package, part, year, columns, when, header_row)


def _starts_in(package: Package, data: bytes, year: int) -> bool:
    """Whether the log's first bytes `data` show its header and, whole, the row under it, dated `year` or later
    (or not dated): then `file_earlier_years` has nothing to move, as it would find reading further. False
    when they do not show that (cut short, or an earlier year): then it reads on and decides as it always has."""
    global _last_first_row
    if not _DEFAULT_NS.search(data[:4000]):
        return False
    try:
        columns = package.header_columns(LOG_SHEET, LogRow.HEADER)
    except PackageError:
        return False
    open_at = data.find(b"<sheetData>")
    if open_at == -1:
        return False
    close = data.rfind(b"</sheetData>")
    end = len(data) if close == -1 else close
    strings = package.parts.items_key(_SHARED_STRINGS) if _SHARED_STRINGS in package.parts else ("no strings",)
    read_with = (tuple(columns.items()), strings, package.date1904)
    kept = _last_first_row
    if kept is not None and strings is not None and kept[1] == read_with and open_at + len(kept[0]) <= end \
            and data.startswith(kept[0], open_at):
        first_year = kept[2]  # the same rows to the one under the header, read the same way: the same year
    else:
        try:
            header_row, first = _log_header_row(package, data, open_at + len(b"<sheetData>"), end, columns)
            span = _next_row(data, first, end) if header_row is not None else None
        except PackageError:  # a row cut by the end of these bytes
            return False
        if span is None:
            return False
        first_year = _row_year(package, data[span[0]:span[1]], column_letter(columns[LOG_WHEN] - 1).encode())
        if strings is not None:
            _last_first_row = (data[open_at:span[1]], read_with, first_year)
    return first_year is None or first_year >= year


def _file_streamed(package: Package, part: str, year: int, columns: Mapping[str, int], when: bytes,
                   header_row: int) -> dict[int, int]:
    """The filing itself, over the Change log inflated a chunk at a time (`Package.stream`): the rows that stay
    are kept (one year at most), each closed year's rows go straight into its new sheet's compressed rows.
    At 100,000 rows this holds a few MB where holding the sheet, its rows and each year's XML took 200."""
    rows = StreamedRows(package.stream(part))
    head = rows.head_through(lambda data, start, close: _log_header_row(package, data, start, close, columns))
    if head is None:
        return {}
    level = _level_of(package, part)
    keep: list[bytes] = []
    new_years: dict[int, YearRows] = {}
    to_filed: dict[int, list[bytes]] = {}  # rows of a year whose sheet exists already (rare): appended raw
    for row in rows:
        row_year = _row_year(package, row, when)
        if row_year is None or row_year >= year:
            keep.append(row)
        elif year_sheet_name(row_year) in package.sheet_parts:
            to_filed.setdefault(row_year, []).append(row)
        else:
            if row_year not in new_years:
                new_years[row_year] = YearRows(level, header_row)
            new_years[row_year].add(row)
    if not new_years and not to_filed:
        return {}
    data_start = head.find(b"<sheetData>") + len(b"<sheetData>")
    low, high = min(columns.values()), max(columns.values())
    template = head + rows.tail
    # A year sheet copies the header rows: their cells that refer to shared strings (as in a workbook Excel
    # or LibreOffice saved) are that many more references. Moved rows only change sheets.
    shared_in_header = len(_SHARED_CELL.findall(head, data_start))
    added: dict[str, Segments] = {}
    for row_year in sorted(new_years):
        part_added, segments = _add_log_year(package, year_sheet_name(row_year), template, header_row,
                                             new_years[row_year], low, high)
        added[part_added] = segments
        package.shared_references += shared_in_header
    for row_year, moved in sorted(to_filed.items()):
        _append_rows_raw(package, year_sheet_name(row_year), moved)
    rows_xml = b"".join(renumber(row, header_row + n) for n, row in enumerate(keep, start=1))
    last = header_row + len(keep)
    tail = rows.tail
    if b"<autoFilter" not in tail:  # like its year sheets, Change log gets a filter (it then grows with it)
        tail = _with_filter(tail, f"{column_letter(low - 1)}{header_row}:{column_letter(high - 1)}{last}")
    package.changed[part] = _set_sheet_range(head + rows_xml + tail, last, low, high)
    package.sheets.set_filter_name(LOG_SHEET, header_row, last, low, high)
    for new_part, segments in added.items():  # stored as deflate runs, never whole (see `_add_log_year`)
        package.changed.pop(new_part, None)
        package.segments[new_part] = segments
    return {**{y: r.count for y, r in new_years.items()}, **{y: len(r) for y, r in to_filed.items()}}


def _level_of(package: Package, part: str) -> int:
    """The deflate level the file's Change log was stored at, as its zip entry records it (bits 1-2 of the
    flags: normal, maximum, fast, super fast), so filing keeps the file as small as its source."""
    info = next((i for i in package.infos if i.filename == part), None)
    if info is None or info.compress_type != zipfile.ZIP_DEFLATED:
        return 6
    return {0: 6, 1: 9, 2: 1, 3: 1}[(info.flag_bits >> 1) & 0b11]


def _log_header_row(package: Package, data: bytes, start: int, close: int,
                    columns: Mapping[str, int]) -> tuple[int | None, int]:
    """Row number of the log's header and the byte offset just after it."""
    want = column_letter(columns[LOG_WHEN] - 1).encode()
    position = start
    for _ in range(20):
        span = _next_row(data, position, close)
        if span is None:
            break
        row = data[span[0]:span[1]]
        cell = _cell_in_row(row, want)
        if cell is not None and text_key(_raw_cell_text(package, cell)) == text_key(LOG_WHEN):
            return _row_number(row), span[1]
        position = span[1]
    return None, start


def _raw_cell_text(package: Package, cell: bytes) -> str:
    """Text of one `<c>` element given as bytes (shared, inline or plain)."""
    kind = re.search(rb'\bt="(\w+)"', cell[:cell.find(b">") + 1])
    kind_name = kind.group(1) if kind else b"n"
    if kind_name == b"inlineStr":
        return "".join(t.decode() for t in re.findall(rb"<t(?:\s[^>]*)?>([^<]*)</t>", cell))
    value = re.search(rb"<v>([^<]*)</v>", cell)
    if value is None:
        return ""
    if kind_name == b"s":
        return package.strings.text(int(value.group(1)))
    return value.group(1).decode()


def _row_year(package: Package, row: bytes, when: bytes) -> int | None:
    """The year of a log row's `When` cell: a date serial, or a date written as text; else None."""
    cell = _cell_in_row(row, when)
    if cell is None:
        return None
    text = _raw_cell_text(package, cell).strip()
    kind = re.search(rb'\bt="(\w+)"', cell[:cell.find(b">") + 1])
    if kind is None or kind.group(1) == b"n":
        try:
            serial = float(text)
        except ValueError:
            return None
        epoch = datetime(1904, 1, 1) if package.date1904 else datetime(1899, 12, 30)
        if not 1 <= serial < 2958466:
            return None
        return (epoch + timedelta(days=serial)).year
    found = re.match(r"(\d{4})-\d{1,2}-\d{1,2}", text) or re.match(r"\d{1,2}/\d{1,2}/(\d{4})\b", text)
    return int(found.group(1)) if found else None


def _add_log_year(package: Package, name: str, template: bytes, header_row: int, rows: YearRows,
                  low: int, high: int) -> tuple[str, Segments]:
    """A new sheet `name` shaped like the Change log (header rows, columns, page setup, frozen header) holding
    `rows`, with an autofilter over them: its part (registered, with an empty placeholder in `changed` until
    the filing is done, so each new sheet gets a part of its own) and its content as deflate runs
    (`Segments`: the rows' compressed bytes as they were made, never inflated)."""
    root = etree.fromstring(template, PARSER)
    for tag in _SHEET_PARTS_WITH_LINKS:
        for element in root.findall(f"{M}{tag}"):
            root.remove(element)
    setup = root.find(f"{M}pageSetup")
    if setup is not None:
        setup.attrib.pop(f"{{{REL_NS}}}id", None)  # the printer settings part stays the log's own
    for view in root.iter(f"{M}sheetView"):
        view.attrib.pop("tabSelected", None)  # two selected tabs would group the sheets in Excel
    last = header_row + rows.count
    _set_filter_element(root, f"{column_letter(low - 1)}{header_row}:{column_letter(high - 1)}{last}")
    xml = _set_sheet_range(serialise(root), last, low, high)
    open_at, close = xml.find(b"<sheetData>"), xml.rfind(b"</sheetData>")
    if open_at == -1 or close == -1:
        raise PackageError("The Change log sheet has no header row to copy to a year sheet.")
    start = open_at + len(b"<sheetData>")
    header = xml[start:close]
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    header_raw = compressor.compress(header) + compressor.flush(zlib.Z_FULL_FLUSH)
    segments = Segments(xml[:start], xml[close:], header_raw + rows.raw(),
                        crc32_combine(zlib.crc32(header), rows.crc, rows.length), len(header) + rows.length, last)
    package.sheets.add_sheet(name, b"")
    package.sheets.set_filter_name(name, header_row, last, low, high)
    titles = package.sheets.defined_names("_xlnm.Print_Titles", LOG_SHEET)
    if titles and titles[0].text:
        package.sheets.defined_name("_xlnm.Print_Titles", name).text = titles[0].text.replace(
            quoted_sheet(LOG_SHEET), quoted_sheet(name)).replace(f"{LOG_SHEET}!", f"{quoted_sheet(name)}!")
        package.sheets.flush()
    return package.sheet_parts[name], segments


def _append_rows_raw(package: Package, sheet_name: str, rows: list[bytes]) -> None:
    """Rows (as XML, from another sheet) added at the end of a sheet, renumbered."""
    part = package.sheet_part(sheet_name)
    data = package.current(part)
    close = data.rfind(b"</sheetData>")
    last = data.rfind(b"<row ", 0, close)
    last_number = _row_number(data[last:last + 500]) if last != -1 else 0
    rows_xml = b"".join(renumber(row, last_number + n) for n, row in enumerate(rows, start=1))
    data = grow_dimension(data[:close] + rows_xml + data[close:], last_number + len(rows), 0)
    package.changed[part] = package.sheets.grow_filter(sheet_name, data, last_number, last_number + len(rows))


def year_sheet_name(year: int) -> str:
    """Name of the sheet holding a closed year's Change log rows: `Change log 2026`."""
    return f"{LOG_SHEET} {year}"


def log_sheet_year(name: str) -> int | None:
    """2026 for `Change log 2026`; None for any other sheet (including `Change log` itself)."""
    found = _YEAR_SHEET.match(name)
    return int(found.group(1)) if found else None


def _next_row(data: bytes, position: int, close: int) -> tuple[int, int] | None:
    """Byte span of the next `<row>` element from `position` (before `close`), or None."""
    found = ROW_TAG.search(data, position, close)
    if found is None:
        return None
    if found.group(1):
        return found.start(), found.end()
    end = data.find(b"</row>", found.end(), close)
    if end == -1:
        raise PackageError("A row of the Change log sheet is not closed; the sheet cannot be read.")
    return found.start(), end + len(b"</row>")


def _row_number(row: bytes) -> int:
    found = re.match(rb'<row\b[^>]*?\br="(\d+)"', row)
    if not found:
        raise PackageError("The Change log sheet has rows without numbers.")
    return int(found.group(1))


def _cell_in_row(row: bytes, letter: bytes) -> bytes | None:
    found = re.search(rb'<c\b[^>]*?\br="' + letter + rb'\d+"[^>]*?(?:/>|>.*?</c>)', row, re.DOTALL)
    return found.group(0) if found else None


def _set_sheet_range(data: bytes, last: int, low: int, high: int) -> bytes:
    """The `<dimension>` and an `<autoFilter>` of a rewritten log sheet, set to end at row `last`."""
    found = re.search(rb'<dimension ref="[^"]*"\s*/>', data[:4000])
    if found:
        ref = f"{column_letter(low - 1)}1:{column_letter(high - 1)}{max(last, 1)}".encode()
        data = data[:found.start()] + b'<dimension ref="' + ref + b'"/>' + data[found.end():]
    close = data.rfind(b"</sheetData>")
    found = FILTER.search(data, close)
    if found:
        ref = found.group(1) + found.group(2) + b":" + found.group(3) + str(max(last, int(found.group(2)))).encode()
        data = data[:found.start()] + b'<autoFilter ref="' + ref + b'"' + data[found.end():]
    return data


#: Worksheet children that come after `<autoFilter>` in the schema's order.
_AFTER_FILTER = ("sortState", "dataConsolidate", "customSheetViews", "mergeCells", "phoneticPr",
                 "conditionalFormatting", "dataValidations", "hyperlinks", "printOptions", "pageMargins",
                 "pageSetup", "headerFooter", "rowBreaks", "colBreaks", "customProperties", "cellWatches",
                 "ignoredErrors", "smartTags", "drawing", "legacyDrawing", "legacyDrawingHF", "drawingHF",
                 "picture", "oleObjects", "controls", "webPublishItems", "tableParts", "extLst")


def _with_filter(tail: bytes, ref: str) -> bytes:
    """A sheet's XML after `</sheetData>` with an `<autoFilter>` put where the schema's order wants it."""
    names = b"|".join(name.encode() for name in _AFTER_FILTER)
    found = re.search(rb"<(?:" + names + rb")\b", tail) or re.search(rb"</worksheet>", tail)
    if found is None:
        return tail
    return tail[:found.start()] + f'<autoFilter ref="{ref}"/>'.encode() + tail[found.start():]


def _set_filter_element(root: etree._Element, ref: str) -> None:
    existing = root.find(f"{M}autoFilter")
    if existing is not None:
        for child in list(existing):
            existing.remove(child)  # a filter criterion would hide rows of the new sheet
        existing.set("ref", ref)
        return
    element = etree.Element(f"{M}autoFilter", ref=ref)
    for child in root:
        if isinstance(child.tag, str) and etree.QName(child).localname in _AFTER_FILTER:
            child.addprevious(element)
            return
    root.append(element)
