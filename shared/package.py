"""Surgical edits of the .xlsx package: set a few cells, append rows, keep every other part byte-identical.

openpyxl's load-and-save drops what officers put in workbooks with Excel (threaded comments,
shapes, cross-sheet drop-downs stored as extensions, add-in parts, cached formula results...).
So the write path never re-saves the workbook: it rewrites only the XML of the sheets it
changes, with text as inline strings (the shared strings part stays as it is), and copies every
other part of the zip unchanged. Text that Excel could take for a formula gets a cell style with
`quotePrefix`, so it stays text even after an officer edits the cell.
"""

from __future__ import annotations

import copy
import io
import math
import os
import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path, PurePosixPath

from lxml import etree

from shared.domain.schema import LOG_COLUMNS, LOG_SHEET, column_letter, split_address

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
STRICT_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_M = f"{{{MAIN_NS}}}"
_PARSER = etree.XMLParser(huge_tree=True, remove_blank_text=False, resolve_entities=False)

CellValue = str | date | datetime | int | float | None
_FORMULA_START = ("=", "+", "-", "@")

#: Row heights. Excel gives a line of its 11 pt default font a 15 pt row, and a column's width counts
#: digits of that font. The estimate takes every character to be as wide as a digit (most letters are
#: narrower) and wraps word by word, so it is generous: text fits in Excel, and in LibreOffice (which
#: never grows a row for wrapped text when it opens a file, and draws Calibri with a substitute).
DEFAULT_FONT_SIZE = 11.0
DEFAULT_COLUMN_WIDTH = 8.43
DEFAULT_ROW_HEIGHT = 15.0
_LINE_HEIGHT = 15.0 / 11.0


class PackageError(Exception):
    """The package holds something the write path cannot edit without loss; nothing was written."""


def _key(value: object) -> str:
    return " ".join(str(value).split()).casefold()


_NUMBER_LIKE = re.compile(r"[\d\s/.:,%()£$€+\-eE]*\d[\d\s/.:,%()£$€+\-eE]*")
_MONTH = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b", re.IGNORECASE)
_ERROR_VALUE = re.compile(r"#[A-Z0-9/!?]+")


def needs_quote_prefix(text: str) -> bool:
    """Text Excel would turn into something else when it is typed or retyped: a formula (`=`, `+`, `-`,
    `@`), a number, a date or time (`12/3`, `3 Mar`), TRUE/FALSE or an error value; or a leading
    apostrophe Excel would swallow. Such text is kept as text with the cell style's quote prefix."""
    stripped = text.strip()
    if not stripped:
        return False
    if stripped[0] in _FORMULA_START or text.startswith("'"):
        return True
    if stripped.upper() in ("TRUE", "FALSE") or _ERROR_VALUE.fullmatch(stripped.upper()):
        return True
    if _NUMBER_LIKE.fullmatch(stripped):
        return True
    return len(stripped) <= 30 and bool(re.search(r"\d", stripped)) and bool(_MONTH.search(stripped))


def excel_serial(value: date | datetime, date1904: bool = False) -> float:
    """Excel's day number for a date (1900 date system unless the workbook says 1904)."""
    epoch = datetime(1904, 1, 1) if date1904 else datetime(1899, 12, 30)
    moment = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
    delta = moment.replace(tzinfo=None) - epoch
    serial = delta.days + delta.seconds / 86400
    return int(serial) if serial == int(serial) else round(serial, 8)


def text_lines(text: str, width: float, font_size: float = DEFAULT_FONT_SIZE) -> int:
    """How many lines `text` takes in a wrapping cell `width` characters wide (Excel's column unit) at
    `font_size`, wrapped word by word as Excel and LibreOffice do; a word longer than a line is broken."""
    capacity = max(1, int(width * DEFAULT_FONT_SIZE / font_size))
    total = 0
    for paragraph in text.split("\n"):
        lines, used = 1, 0
        for word in paragraph.split():
            size = len(word)
            if (size if used == 0 else used + 1 + size) <= capacity:
                used = size if used == 0 else used + 1 + size
                continue
            if used:
                lines += 1
            while size > capacity:
                lines += 1
                size -= capacity
            used = size
        total += lines
    return total


def row_height(cells: Sequence[tuple[str, float, float, bool]]) -> float:
    """The row height in points that shows every cell's text: cells are (text, width in characters,
    font size, wraps). Rounded up to 0.75 pt (one pixel at 96 dpi), the step Excel stores heights in,
    so a height Excel saves back is still recognised as the estimate (see `Package.edit_cells`)."""
    height = DEFAULT_ROW_HEIGHT
    for text, width, size, wraps in cells:
        if text == "":
            continue
        lines = text_lines(text, width, size) if wraps else 1
        height = max(height, lines * size * _LINE_HEIGHT)
    return math.ceil(round(height / 0.75, 6)) * 0.75


class Package:
    """An opened .xlsx: its parts in order, sheets by name, and the pieces needed to edit cells."""

    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            # The file's bytes, read once: parts are inflated only when asked for, and every part the
            # write does not change is copied into the new file still compressed (see `write`). Holding
            # the bytes rather than an open file keeps the view consistent and lets the file be replaced.
            self._raw = self.path.read_bytes()
            self._archive = zipfile.ZipFile(io.BytesIO(self._raw))
            self.infos = self._archive.infolist()
        except (zipfile.BadZipFile, OSError) as exc:
            raise PackageError(f"{self.path} is not a readable .xlsx package ({exc}).") from None
        self.parts = _LazyParts(self._archive)
        workbook_xml = self.parts.get("xl/workbook.xml")
        if workbook_xml is None:
            raise PackageError(f"{self.path} has no xl/workbook.xml: it is not an Excel workbook.")
        if STRICT_NS.encode() in workbook_xml[:2000]:
            raise PackageError("The workbook is saved as Strict Open XML; save it as a normal "
                               "Excel Workbook (.xlsx) so updates can be written.")
        self.workbook = etree.fromstring(workbook_xml, _PARSER)
        pr = self.workbook.find(f"{_M}workbookPr")
        self.date1904 = pr is not None and pr.get("date1904") in ("1", "true")
        self._rels = etree.fromstring(self.parts["xl/_rels/workbook.xml.rels"], _PARSER)
        targets = {rel.get("Id"): rel.get("Target") for rel in self._rels}
        self.sheet_parts: dict[str, str] = {}
        for sheet in self.workbook.iter(f"{_M}sheet"):
            self.sheet_parts[sheet.get("name")] = _part_name(targets.get(sheet.get(f"{{{REL_NS}}}id"), ""))
        self.changed: dict[str, bytes] = {}
        self._styles: etree._Element | None = None
        self._quoted_styles: dict[int, int] = {}
        self._metrics: list[tuple[float, bool]] | None = None
        self._strings: list[str] = []
        self._string_events = None
        self._log_checked = False
        self._segments: dict[str, _Segments] = {}
        self._prefixes: dict[tuple[str, int], bytes] = {}

    # --- styles: the quote-prefix twin of a cell style ---------------------------------------

    def _style_root(self) -> etree._Element:
        if self._styles is None:
            if "xl/styles.xml" not in self.parts:
                raise PackageError("The workbook has no styles part; it cannot keep text as text.")
            self._styles = etree.fromstring(self.parts["xl/styles.xml"], _PARSER)
        return self._styles

    def cell_style_count(self) -> int:
        return len(list(self._style_root().find(f"{_M}cellXfs").iterchildren(f"{_M}xf")))

    def quoted_style(self, style: int) -> int:
        """Index of a cell style like `style` but with quotePrefix set, added if the file lacks one.

        The twin is the whole original with quotePrefix added: same attributes and the same children
        (alignment with its wrapping, protection, extensions). Two styles with equal attributes but a
        different alignment are different styles: a long `@…` next step must keep wrapping.
        """
        if style in self._quoted_styles:
            return self._quoted_styles[style]
        xfs = self._style_root().find(f"{_M}cellXfs")
        entries = list(xfs.iterchildren(f"{_M}xf"))
        base = entries[style] if style < len(entries) else entries[0]
        if base.get("quotePrefix") in ("1", "true"):
            self._quoted_styles[style] = style
            return style
        twin = copy.deepcopy(base)
        twin.set("quotePrefix", "1")
        wanted = _xf_signature(twin)
        for index, entry in enumerate(entries):
            if _xf_signature(entry) == wanted:
                self._quoted_styles[style] = index
                return index
        xfs.append(twin)
        xfs.set("count", str(len(entries) + 1))
        self.changed["xl/styles.xml"] = _serialise(self._styles)
        self._metrics = None
        self._quoted_styles[style] = len(entries)
        return len(entries)

    def _style_metrics(self) -> list[tuple[float, bool]]:
        """(font size in points, wraps text) of each cell style, for estimating row heights."""
        if self._metrics is None:
            root = self._style_root()
            sizes = []
            fonts = root.find(f"{_M}fonts")
            for font in (fonts.iterchildren(f"{_M}font") if fonts is not None else ()):
                size = font.find(f"{_M}sz")
                try:
                    sizes.append(float(size.get("val")) if size is not None else DEFAULT_FONT_SIZE)
                except (TypeError, ValueError):
                    sizes.append(DEFAULT_FONT_SIZE)
            self._metrics = []
            for xf in root.find(f"{_M}cellXfs").iterchildren(f"{_M}xf"):
                font_id = int(xf.get("fontId", "0"))
                size = sizes[font_id] if font_id < len(sizes) else DEFAULT_FONT_SIZE
                alignment = xf.find(f"{_M}alignment")
                wraps = alignment is not None and alignment.get("wrapText") in ("1", "true")
                self._metrics.append((size, wraps))
        return self._metrics

    # --- cell XML -----------------------------------------------------------------------------

    def _fill_cell(self, cell: etree._Element, value: CellValue) -> None:
        for child in list(cell):
            if child.tag in (f"{_M}v", f"{_M}is", f"{_M}f"):
                cell.remove(child)
        cell.attrib.pop("t", None)
        if value is None or value == "":
            return
        if isinstance(value, str):
            cell.set("t", "inlineStr")
            if needs_quote_prefix(value):
                cell.set("s", str(self.quoted_style(int(cell.get("s", "0")))))
            inline = etree.SubElement(cell, f"{_M}is")
            text = etree.SubElement(inline, f"{_M}t")
            text.text = value
            if value != value.strip() or "\n" in value:
                text.set(XML_SPACE, "preserve")
            return
        if isinstance(value, bool):
            cell.set("t", "b")
            etree.SubElement(cell, f"{_M}v").text = "1" if value else "0"
            return
        number = excel_serial(value, self.date1904) if isinstance(value, date) else value
        etree.SubElement(cell, f"{_M}v").text = repr(number) if isinstance(number, float) else str(number)

    def edit_cells(self, sheet_name: str, edits: Mapping[str, CellValue]) -> None:
        """Set the given cells of one sheet; every other element of the sheet stays as it is.

        A row whose text changes gets the height its new text needs (LibreOffice never grows a row for
        wrapped text, and a printed Appendix 1 must show every word), unless an officer set the height
        by hand: Excel marks a dragged row `customHeight`, and a custom height that is not what
        `row_height` gives for the row's old text is theirs and stays.
        """
        part = self._sheet_part(sheet_name)
        root = etree.fromstring(self._current(part), _PARSER)
        data = root.find(f"{_M}sheetData")
        if data is None:
            raise PackageError(f"The sheet '{sheet_name}' has no cell data.")
        column_styles = _column_styles(root)
        rows = {int(row.get("r")): row for row in data.iterchildren(f"{_M}row") if row.get("r")}
        layout = _Layout(root)
        heights_before: dict[int, float] = {}
        for address, value in edits.items():
            column, row_number = split_address(address)
            row = rows.get(row_number)
            if row is None:
                raise PackageError(f"Row {row_number} of '{sheet_name}' is not where it was expected.")
            if row_number not in heights_before:
                heights_before[row_number] = self._estimate_height(row, layout)
            cell = _find_or_insert_cell(row, address, column)
            if cell.find(f"{_M}f") is not None:
                raise PackageError(f"Cell {address} on '{sheet_name}' holds a formula; an officer "
                                   "needs to replace it with a plain value before updates can be written.")
            if cell.get("s") is None and column in column_styles:
                cell.set("s", column_styles[column])
            self._fill_cell(cell, value)
        for row_number, before in heights_before.items():
            row = rows[row_number]
            if _height_set_by_hand(row, before):
                continue
            after = self._estimate_height(row, layout)
            if row.get("ht") is None and after <= layout.default_height:
                continue
            _set_height(row, after)
        self.changed[part] = _serialise(root)

    def fit_row_heights(self, sheet_name: str, first_row: int = 1) -> None:
        """Give every row of a sheet from `first_row` on the height its text needs (the builder's
        heights, so that the file prints with every word in LibreOffice as in Excel)."""
        part = self._sheet_part(sheet_name)
        root = etree.fromstring(self._current(part), _PARSER)
        data = root.find(f"{_M}sheetData")
        if data is None:
            return
        layout = _Layout(root)
        for row in data.iterchildren(f"{_M}row"):
            if int(row.get("r", "0")) >= first_row:
                _set_height(row, self._estimate_height(row, layout))
        self.changed[part] = _serialise(root)

    def _estimate_height(self, row: etree._Element, layout: _Layout) -> float:
        """`row_height` of a row as it stands: its cells' text, column widths and styles."""
        metrics = self._style_metrics()
        row_number = int(row.get("r", "0"))
        cells = []
        for cell in row.iterchildren(f"{_M}c"):
            ref = cell.get("r")
            if not ref:
                continue
            column = split_address(ref)[0]
            width = layout.width_at(row_number, column)
            if width is None:
                continue
            style = int(cell.get("s", "0"))
            size, wraps = metrics[style] if style < len(metrics) else (DEFAULT_FONT_SIZE, False)
            cells.append((self._cell_text(cell), width, size, wraps))
        return row_height(cells)

    def append_rows(self, sheet_name: str, rows: Sequence[Mapping[int, CellValue]]) -> list[int]:
        """Add rows after the last row of a sheet, touching nothing else in it; returns their numbers.

        Each row maps 1-based column numbers to values (found from the sheet's header, since officers
        insert and move columns). Works on the bytes (the log sheet may hold tens of thousands of rows):
        the new rows go in before `</sheetData>` and the `<dimension>` grows to include them. A row
        whose text wraps (the column's style) gets the height it needs, so the log prints whole.
        """
        if sheet_name == LOG_SHEET and not self._log_checked:
            self._log_checked = True
            self.file_earlier_years(self._log_year(rows))
        part = self._sheet_part(sheet_name)
        tail_end = self._appendable(part)
        if tail_end is not None:
            return self._append_to_segments(sheet_name, part, tail_end, rows)
        data = self._current(part)
        head = data[:4000]
        if not re.search(rb"<worksheet[^>]*\sxmlns=\"" + re.escape(MAIN_NS.encode()) + b'"', head):
            raise PackageError(f"The sheet '{sheet_name}' is saved in a form the log cannot be appended to.")
        head = etree.fromstring(_head_without_data(data), _PARSER)
        close = data.rfind(b"</sheetData>")
        if close == -1:
            empty = re.search(rb"<sheetData\s*/>", data)
            if not empty:
                raise PackageError(f"The sheet '{sheet_name}' has no cell data.")
            data = data[:empty.start()] + b"<sheetData></sheetData>" + data[empty.end():]
            close = data.rfind(b"</sheetData>")
        last = data.rfind(b"<row ", 0, close)
        last_number = 0
        if last != -1:
            found = re.match(rb'<row [^>]*?\br="(\d+)"', data[last:last + 500])
            if not found:
                raise PackageError(f"The sheet '{sheet_name}' has rows without numbers.")
            last_number = int(found.group(1))
        numbers, xml_rows, width = self._rows_xml(head, last_number, rows)
        data = data[:close] + xml_rows + data[close:]
        data = _grow_dimension(data, numbers[-1] if numbers else last_number, width)
        if numbers and b"<autoFilter" in data[close:]:
            data = self._grow_filter(sheet_name, data, last_number, numbers[-1])
        self.changed[part] = data
        return numbers

    def _rows_xml(self, head: etree._Element, last_number: int,
                  rows: Sequence[Mapping[int, CellValue]]) -> tuple[list[int], bytes, int]:
        """The XML of rows numbered from `last_number + 1`, styled by their columns: (numbers, XML, width)."""
        column_styles = _column_styles(head)
        layout = _Layout(head)
        numbers, xml_rows = [], []
        width = max((max(r, default=0) for r in rows), default=0)
        for offset, values in enumerate(rows, start=1):
            number = last_number + offset
            numbers.append(number)
            row = etree.Element(f"{_M}row", r=str(number), nsmap={None: MAIN_NS})
            for index, value in sorted(values.items()):
                if value is None or value == "":
                    continue
                cell = etree.SubElement(row, f"{_M}c", r=f"{column_letter(index - 1)}{number}")
                if index in column_styles:
                    cell.set("s", column_styles[index])
                self._fill_cell(cell, value)
            height = self._estimate_height(row, layout)  # a long value in a wrapping column prints whole
            if height > layout.default_height:
                _set_height(row, height)
            xml_rows.append(etree.tostring(row).replace(f' xmlns="{MAIN_NS}"'.encode(), b""))
        return numbers, b"".join(xml_rows), width

    # --- appending without inflating: the log sheet in three deflate segments ---------------------

    def _appendable(self, part: str) -> _Segments | None:
        """The part as segments that rows can be added to without inflating its rows, or None.

        The write path stores the log sheet as three runs of deflate, each ended by a full flush (so
        each stands alone): the XML up to `<sheetData>`, the rows, and the rest. The zip entry's
        comment says where they are, how long, the rows' CRC and the last row number. Adding rows then
        costs what the new rows cost: head and tail (a few hundred bytes) are inflated and compressed
        anew, the rows' compressed bytes are kept, and the part's CRC is combined from the pieces'
        (`_crc32_combine`). The comment is believed only if the CRC it implies is the entry's: any other
        program's save (Excel rewrites every part, without the comment) means the ordinary path.
        """
        if part in self._segments:
            return self._segments[part]
        if part in self.changed or part not in self.parts:
            return None
        info = self._archive.getinfo(part)
        found = _SEGMENT_COMMENT.fullmatch(info.comment or b"")
        if info.compress_type != zipfile.ZIP_DEFLATED or not found:
            return None
        head_size, tail_at, head_length, tail_length, rows_crc, last_row = (int(g) for g in found.groups())
        raw = _raw_data(self._raw, info)
        if not 0 < head_size <= tail_at < len(raw):
            return None
        try:
            head = zlib.decompressobj(-15).decompress(raw[:head_size])
            inflater = zlib.decompressobj(-15)
            tail = inflater.decompress(raw[tail_at:])
        except zlib.error:
            return None
        rows_length = info.file_size - head_length - tail_length
        if (len(head), len(tail)) != (head_length, tail_length) or not inflater.eof or inflater.unused_data \
                or not head.endswith(b"<sheetData>") or not tail.startswith(b"</sheetData>") or rows_length < 0:
            return None
        crc = _crc32_combine(_crc32_combine(zlib.crc32(head), rows_crc, rows_length), zlib.crc32(tail), tail_length)
        dimension = re.search(rb'<dimension ref="[A-Z]+\d+(?::[A-Z]+(\d+))?"', head)
        if crc != info.CRC or (dimension and dimension.group(1) and int(dimension.group(1)) < last_row):
            return None
        segments = _Segments(head, tail, raw[head_size:tail_at], rows_crc, rows_length, last_row)
        self._segments[part] = segments
        return segments

    def _append_to_segments(self, sheet_name: str, part: str, segments: _Segments,
                            rows: Sequence[Mapping[int, CellValue]]) -> list[int]:
        if not re.search(rb"<worksheet[^>]*\sxmlns=\"" + re.escape(MAIN_NS.encode()) + b'"', segments.head[:4000]):
            raise PackageError(f"The sheet '{sheet_name}' is saved in a form the log cannot be appended to.")
        head = etree.fromstring(segments.head[:-len(b"<sheetData>")] + segments.tail[len(b"</sheetData>"):], _PARSER)
        last_number = segments.last_row
        numbers, xml_rows, width = self._rows_xml(head, last_number, rows)
        if not numbers:
            return numbers
        segments.new_rows.append(xml_rows)
        segments.last_row = numbers[-1]
        segments.head = _grow_dimension(segments.head, numbers[-1], width)
        if b"<autoFilter" in segments.tail:
            segments.tail = self._grow_filter(sheet_name, segments.tail, last_number, numbers[-1])
        return numbers

    def _prefix(self, part: str, size: int) -> bytes:
        """The first `size` bytes of a part, inflating no more of it than that."""
        if part in self.changed:
            return self.changed[part][:size]
        if part in self._segments:
            segments = self._segments[part]
            return (segments.head + zlib.decompressobj(-15).decompress(segments.rows_raw, size))[:size]
        info = self._archive.getinfo(part)
        if info.compress_type != zipfile.ZIP_DEFLATED or part in self.parts.inflated():
            return self.parts[part][:size]
        if (part, size) not in self._prefixes:  # the file's bytes do not change: inflate the start once
            self._prefixes[(part, size)] = zlib.decompressobj(-15).decompress(_raw_data(self._raw, info), size)
        return self._prefixes[(part, size)]

    def header_columns(self, sheet_name: str, names: Sequence[str], search_rows: int = 20) -> dict[str, int]:
        """1-based column number of each header `names` in the first rows of a sheet, found by text.

        Reads only the first rows' XML (and the shared strings up to the ones they use), so it stays
        fast on a log of tens of thousands of rows. PackageError when the header is not there.
        """
        part = self._sheet_part(sheet_name)
        data = self._prefix(part, _PREFIX)
        if len(data) == _PREFIX and data.count(b"</row>") < search_rows:
            data = self._current(part)
        start = data.find(b"<sheetData>")
        end = start
        for _ in range(search_rows):
            found = data.find(b"</row>", end + 1)
            if found == -1:
                break
            end = found
        rows_xml = data[start + len(b"<sheetData>"):end + len(b"</row>")] if start != -1 and end > start else b""
        fragment = etree.fromstring(b'<sheetData xmlns="' + MAIN_NS.encode() + b'">' + rows_xml + b"</sheetData>",
                                    _PARSER)
        wanted = {_key(name): name for name in names}
        for row in fragment.iterchildren(f"{_M}row"):
            found_columns: dict[str, int] = {}
            for cell in row.iterchildren(f"{_M}c"):
                name = wanted.get(_key(self._cell_text(cell)))
                if name and cell.get("r"):
                    found_columns.setdefault(name, split_address(cell.get("r"))[0])
            if len(found_columns) == len(wanted):
                return found_columns
        raise PackageError(f"The sheet '{sheet_name}' has no header row with the columns {', '.join(names)}; "
                           "restore the header so changes can be logged.")

    def _cell_text(self, cell: etree._Element) -> str:
        kind = cell.get("t")
        if kind == "inlineStr":
            return "".join(cell.find(f"{_M}is").itertext()) if cell.find(f"{_M}is") is not None else ""
        value = cell.find(f"{_M}v")
        if value is None or value.text is None:
            return ""
        return self._shared_string(int(value.text)) if kind == "s" else value.text

    def _shared_string(self, index: int) -> str:
        """Shared string `index`, parsing the shared strings part only as far as needed."""
        if self._string_events is None:
            data = self.parts.get("xl/sharedStrings.xml") or b"<sst/>"
            self._string_events = etree.iterparse(io.BytesIO(data), events=("end",), tag=f"{_M}si")
        for _, item in self._string_events:
            self._strings.append("".join(t.text or "" for t in item.iter(f"{_M}t")))
            if len(self._strings) > index:
                break
        return self._strings[index] if index < len(self._strings) else ""

    # --- the Change log, one sheet a year ------------------------------------------------------

    def _log_year(self, rows: Sequence[Mapping[int, CellValue]]) -> int:
        """The year the rows being logged belong to: their newest `When`, else this year (UTC)."""
        years = []
        try:
            when = self.header_columns(LOG_SHEET, (LOG_WHEN,))[LOG_WHEN]
            years = [row[when].year for row in rows if isinstance(row.get(when), date)]
        except PackageError:
            pass
        return max(years, default=datetime.now(UTC).year)

    def file_earlier_years(self, year: int) -> dict[int, int]:
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
        if LOG_SHEET not in self.sheet_parts:
            return {}
        part = self._sheet_part(LOG_SHEET)
        data = self._prefix(part, _PREFIX)
        if not re.search(rb"<worksheet[^>]*\sxmlns=\"" + re.escape(MAIN_NS.encode()) + b'"', data[:4000]):
            return {}
        try:
            columns = self.header_columns(LOG_SHEET, LOG_COLUMNS_ALL)
        except PackageError:
            return {}
        when = column_letter(columns[LOG_WHEN] - 1).encode()
        for whole in (False, True):  # the first rows tell whether anything is to move; then read it all
            if whole:
                data = self._current(part)
            open_at = data.find(b"<sheetData>")
            close = data.rfind(b"</sheetData>")
            if open_at == -1 or (close == -1 and whole):
                return {}
            close = len(data) if close == -1 else close
            header_row, first = self._log_header_row(data, open_at + len(b"<sheetData>"), close, columns)
            if header_row is None:
                return {}
            try:
                span = _next_row(data, first, close)
            except PackageError:  # a row cut by the end of the prefix
                if whole:
                    raise
                continue
            if span is None:
                return {}
            first_year = self._row_year(data[span[0]:span[1]], when)
            if first_year is None or first_year >= year:
                return {}  # the usual case: the log starts this year (or with a row whose date is not one)
        keep: list[bytes] = []
        moved: dict[int, list[bytes]] = {}
        position = first
        while (span := _next_row(data, position, close)) is not None:
            row = data[span[0]:span[1]]
            row_year = self._row_year(row, when)
            if row_year is not None and row_year < year:
                moved.setdefault(row_year, []).append(row)
            else:
                keep.append(row)
            position = span[1]
        if not moved:
            return {}
        low, high = min(columns.values()), max(columns.values())
        template = data[:first] + data[close:]
        for row_year, rows in sorted(moved.items()):
            name = year_sheet_name(row_year)
            if name in self.sheet_parts:  # a year already filed: its rows join the end of that sheet
                self._append_rows_raw(name, rows)
            else:
                self._add_log_year(name, template, header_row, rows, low, high)
        rows_xml = b"".join(_renumber(row, header_row + n) for n, row in enumerate(keep, start=1))
        last = header_row + len(keep)
        tail = data[close:]
        if b"<autoFilter" not in tail:  # like its year sheets, Change log gets a filter (it then grows with it)
            tail = _with_filter(tail, f"{column_letter(low - 1)}{header_row}:{column_letter(high - 1)}{last}")
        self.changed[part] = _set_sheet_range(data[:first] + rows_xml + tail, last, low, high)
        self._set_filter_name(LOG_SHEET, header_row, last, low, high)
        return {row_year: len(rows) for row_year, rows in moved.items()}

    def _log_header_row(self, data: bytes, start: int, close: int,
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
            if cell is not None and _key(self._raw_cell_text(cell)) == _key(LOG_WHEN):
                return _row_number(row), span[1]
            position = span[1]
        return None, start

    def _raw_cell_text(self, cell: bytes) -> str:
        """Text of one `<c>` element given as bytes (shared, inline or plain)."""
        kind = re.search(rb'\bt="(\w+)"', cell[:cell.find(b">") + 1])
        kind_name = kind.group(1) if kind else b"n"
        if kind_name == b"inlineStr":
            return "".join(t.decode() for t in re.findall(rb"<t(?:\s[^>]*)?>([^<]*)</t>", cell))
        value = re.search(rb"<v>([^<]*)</v>", cell)
        if value is None:
            return ""
        if kind_name == b"s":
            return self._shared_string(int(value.group(1)))
        return value.group(1).decode()

    def _row_year(self, row: bytes, when: bytes) -> int | None:
        """The year of a log row's `When` cell: a date serial, or a date written as text; else None."""
        cell = _cell_in_row(row, when)
        if cell is None:
            return None
        text = self._raw_cell_text(cell).strip()
        kind = re.search(rb'\bt="(\w+)"', cell[:cell.find(b">") + 1])
        if kind is None or kind.group(1) == b"n":
            try:
                serial = float(text)
            except ValueError:
                return None
            epoch = datetime(1904, 1, 1) if self.date1904 else datetime(1899, 12, 30)
            if not 1 <= serial < 2958466:
                return None
            return (epoch + timedelta(days=serial)).year
        found = re.match(r"(\d{4})-\d{1,2}-\d{1,2}", text) or re.match(r"\d{1,2}/\d{1,2}/(\d{4})\b", text)
        return int(found.group(1)) if found else None

    def _add_log_year(self, name: str, template: bytes, header_row: int, rows: list[bytes],
                      low: int, high: int) -> None:
        """A new sheet `name` shaped like the Change log (header rows, columns, page setup, frozen
        header) holding `rows`, renumbered under the header, with an autofilter over them."""
        root = etree.fromstring(template, _PARSER)
        for tag in _SHEET_PARTS_WITH_LINKS:
            for element in root.findall(f"{_M}{tag}"):
                root.remove(element)
        setup = root.find(f"{_M}pageSetup")
        if setup is not None:
            setup.attrib.pop(f"{{{REL_NS}}}id", None)  # the printer settings part stays the log's own
        for view in root.iter(f"{_M}sheetView"):
            view.attrib.pop("tabSelected", None)  # two selected tabs would group the sheets in Excel
        last = header_row + len(rows)
        _set_filter_element(root, f"{column_letter(low - 1)}{header_row}:{column_letter(high - 1)}{last}")
        xml = _serialise(root)
        close = xml.rfind(b"</sheetData>")
        if close == -1:
            raise PackageError("The Change log sheet has no header row to copy to a year sheet.")
        rows_xml = b"".join(_renumber(row, header_row + n) for n, row in enumerate(rows, start=1))
        xml = _set_sheet_range(xml[:close] + rows_xml + xml[close:], last, low, high)
        self._add_sheet(name, xml)
        self._set_filter_name(name, header_row, last, low, high)
        titles = self._defined_names("_xlnm.Print_Titles", LOG_SHEET)
        if titles and titles[0].text:
            self._defined_name("_xlnm.Print_Titles", name).text = titles[0].text.replace(
                _quoted(LOG_SHEET), _quoted(name)).replace(f"{LOG_SHEET}!", f"{_quoted(name)}!")
            self._flush_workbook()

    def _append_rows_raw(self, sheet_name: str, rows: list[bytes]) -> None:
        """Rows (as XML, from another sheet) added at the end of a sheet, renumbered."""
        part = self._sheet_part(sheet_name)
        data = self._current(part)
        close = data.rfind(b"</sheetData>")
        last = data.rfind(b"<row ", 0, close)
        last_number = _row_number(data[last:last + 500]) if last != -1 else 0
        rows_xml = b"".join(_renumber(row, last_number + n) for n, row in enumerate(rows, start=1))
        data = _grow_dimension(data[:close] + rows_xml + data[close:], last_number + len(rows), 0)
        self.changed[part] = self._grow_filter(sheet_name, data, last_number, last_number + len(rows))

    def _grow_filter(self, sheet_name: str, data: bytes, old_last: int, new_last: int) -> bytes:
        """An autofilter that reached the old last row reaches the new one (and its hidden defined name)."""
        found = _FILTER.search(data, data.rfind(b"</sheetData>"))
        if not found or int(found.group(4)) != old_last:
            return data
        ref = found.group(1) + found.group(2) + b":" + found.group(3) + str(new_last).encode()
        low = split_address(found.group(1).decode() + "1")[0]
        high = split_address(found.group(3).decode() + "1")[0]
        self._set_filter_name(sheet_name, int(found.group(2)), new_last, low, high, only_if_present=True)
        return data[:found.start()] + b'<autoFilter ref="' + ref + b'"' + data[found.end():]

    # --- workbook-level parts of a new sheet --------------------------------------------------

    def _sheet_index(self, sheet_name: str) -> int:
        names = [sheet.get("name") for sheet in self.workbook.iter(f"{_M}sheet")]
        return names.index(sheet_name)

    def _defined_names(self, name: str, sheet_name: str) -> list[etree._Element]:
        index = str(self._sheet_index(sheet_name))
        return [item for item in self.workbook.iter(f"{_M}definedName")
                if item.get("name") == name and item.get("localSheetId") == index]

    def _defined_name(self, name: str, sheet_name: str) -> etree._Element:
        """The sheet-local defined name `name`, created if missing; workbook.xml is marked changed."""
        found = self._defined_names(name, sheet_name)
        if found:
            return found[0]
        names = self.workbook.find(f"{_M}definedNames")
        if names is None:
            names = etree.Element(f"{_M}definedNames")
            anchor = None
            for tag in ("externalReferences", "functionGroups", "sheets"):
                anchor = self.workbook.find(f"{_M}{tag}")
                if anchor is not None:
                    break
            anchor.addnext(names)
        item = etree.SubElement(names, f"{_M}definedName", name=name,
                                localSheetId=str(self._sheet_index(sheet_name)))
        return item

    def _set_filter_name(self, sheet_name: str, top: int, last: int, low: int, high: int,
                         only_if_present: bool = False) -> None:
        if only_if_present and not self._defined_names("_xlnm._FilterDatabase", sheet_name):
            return
        item = self._defined_name("_xlnm._FilterDatabase", sheet_name)
        item.set("hidden", "1")
        item.text = (f"{_quoted(sheet_name)}!${column_letter(low - 1)}${top}:"
                     f"${column_letter(high - 1)}${last}")
        self._flush_workbook()

    def _add_sheet(self, name: str, xml: bytes) -> None:
        """Register a new worksheet part at the end of the sheet list: the workbook's sheet list and
        relationships, the content types, and the sheet titles in docProps/app.xml when it lists them."""
        taken = set(self.parts) | set(self.changed)
        number = 1
        while f"xl/worksheets/sheet{number}.xml" in taken:
            number += 1
        part = f"xl/worksheets/sheet{number}.xml"
        self.changed[part] = xml
        ids = {rel.get("Id") for rel in self._rels}
        rel_number = 1
        while f"rId{rel_number}" in ids:
            rel_number += 1
        etree.SubElement(self._rels, f"{{{PKG_REL_NS}}}Relationship", Id=f"rId{rel_number}",
                         Type=WORKSHEET_REL, Target=f"/{part}")
        sheets = self.workbook.find(f"{_M}sheets")
        sheet_id = 1 + max((int(sheet.get("sheetId", "0")) for sheet in sheets), default=0)
        sheet = etree.SubElement(sheets, f"{_M}sheet", name=name, sheetId=str(sheet_id), nsmap={"r": REL_NS})
        sheet.set(f"{{{REL_NS}}}id", f"rId{rel_number}")
        self.sheet_parts[name] = part
        types = etree.fromstring(self._current("[Content_Types].xml"), _PARSER)
        etree.SubElement(types, f"{{{TYPES_NS}}}Override", PartName=f"/{part}", ContentType=WORKSHEET_TYPE)
        self.changed["[Content_Types].xml"] = _serialise(types)
        self.changed["xl/_rels/workbook.xml.rels"] = _serialise(self._rels)
        self._flush_workbook()
        if "docProps/app.xml" in self.parts:
            app = _add_title(self._current("docProps/app.xml"), name)
            if app is not None:
                self.changed["docProps/app.xml"] = app

    def _flush_workbook(self) -> None:
        self.changed["xl/workbook.xml"] = _serialise(self.workbook)


    # --- saving -------------------------------------------------------------------------------

    def write(self, target: Path) -> None:
        """Write the package to `target` (a new file): changed parts compressed anew, the others copied
        as the compressed bytes they were, so an update costs what it changes, not the size of the file
        (a Change log sheet of earlier years is never inflated, let alone recompressed).

        Deflate level 1 for the changed parts: their content is what must stay identical, and the
        fastest level keeps an update quick (Excel recompresses on its next save).
        """
        with open(target, "wb") as handle:
            with zipfile.ZipFile(handle, "w") as archive:
                names = {info.filename for info in self.infos}
                log_part = self.sheet_parts.get(LOG_SHEET)
                for info in self.infos:
                    if info.filename in self._segments:
                        _write_segments(archive, handle, info, self._segments[info.filename])
                    elif info.filename == log_part and info.filename in self.changed:
                        _write_segments(archive, handle, info, _split(self.changed[info.filename]))
                    elif info.filename in self.changed:
                        archive.writestr(_clone(info), self.changed[info.filename], compresslevel=1)
                    else:
                        _copy_raw(self._raw, info, archive, handle)
                for name, data in self.changed.items():  # parts this edit added (a year's log sheet)
                    if name not in names:
                        archive.writestr(zipfile.ZipInfo(name, date_time=_NEW_PART_TIME), data,
                                         compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)
            handle.flush()
            os.fsync(handle.fileno())

    def _sheet_part(self, sheet_name: str) -> str:
        part = self.sheet_parts.get(sheet_name)
        if part is None or (part not in self.parts and part not in self.changed):
            raise PackageError(f"The workbook has no sheet called '{sheet_name}'.")
        return part

    def _current(self, part: str) -> bytes:
        if part in self._segments:  # wanted whole after all (the log's years being filed): inflate once
            segments = self._segments.pop(part)
            rows = zlib.decompressobj(-15).decompress(segments.rows_raw) + b"".join(segments.new_rows)
            self.changed[part] = segments.head + rows + segments.tail
        return self.changed[part] if part in self.changed else self.parts[part]


#: Time stamp of parts the write path adds (the zip format needs one; 1980 is its earliest).
_NEW_PART_TIME = (2026, 1, 1, 0, 0, 0)
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_ZIP64_LIMIT = (1 << 31) - 1
#: How much of a sheet is inflated to find its header and first rows.
_PREFIX = 1 << 16


class _LazyParts(Mapping[str, bytes]):
    """The package's parts by name, each inflated on first use and kept: most are never asked for."""

    def __init__(self, archive: zipfile.ZipFile):
        self._archive = archive
        self._names = [info.filename for info in archive.infolist()]
        self._known = set(self._names)
        self._read: dict[str, bytes] = {}

    def __getitem__(self, name: str) -> bytes:
        if name not in self._known:
            raise KeyError(name)
        if name not in self._read:
            self._read[name] = self._archive.read(name)
        return self._read[name]

    def __contains__(self, name: object) -> bool:
        return name in self._known

    def __iter__(self):
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def inflated(self) -> list[str]:
        """Names of the parts read so far (the tests check that an update leaves the old years alone)."""
        return list(self._read)


def _part_name(target: str) -> str:
    """Zip name of a part from a workbook relationship's target (relative to xl/, or absolute)."""
    part = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
    return os.path.normpath(part).replace(os.sep, "/")


def _clone(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    clone = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    clone.compress_type = info.compress_type
    clone.external_attr = info.external_attr
    clone.create_system = info.create_system
    return clone


def _raw_data(raw: bytes, info: zipfile.ZipInfo) -> memoryview:
    """A part's compressed bytes, found through its local header."""
    if info.flag_bits & 0x1:
        raise PackageError(f"The part {info.filename} is encrypted; the workbook cannot be updated.")
    if max(info.file_size, info.compress_size, info.header_offset) > _ZIP64_LIMIT:
        raise PackageError("The workbook is larger than 2 GB (a zip64 package); it cannot be updated.")
    fields = _LOCAL_HEADER.unpack_from(raw, info.header_offset)
    if fields[0] != b"PK\x03\x04":
        raise PackageError(f"The part {info.filename} is not where the workbook's directory says it is.")
    start = info.header_offset + _LOCAL_HEADER.size + fields[10] + fields[11]
    return memoryview(raw)[start:start + info.compress_size]  # a view: the bytes are written, not copied


def _copy_raw(raw: bytes, info: zipfile.ZipInfo, archive: zipfile.ZipFile, handle) -> None:
    """Copy one part into `archive` as its compressed bytes (see `_write_raw`)."""
    _write_raw(archive, handle, info, _raw_data(raw, info), info.CRC, info.file_size, info.comment)


def _write_raw(archive: zipfile.ZipFile, handle, info: zipfile.ZipInfo, data: bytes, crc: int, size: int,
               comment: bytes) -> None:
    """Write one part's compressed bytes: a local header made from the source's ZipInfo (without the
    data-descriptor flag, since CRC and sizes are known), the bytes, and the ZipInfo registered so the
    central directory lists it. Python's zipfile has no public way to do this; it relies on `filelist`,
    `NameToInfo` and `start_dir`, which zipfile itself keeps the same way."""
    if max(size, len(data), handle.tell()) > _ZIP64_LIMIT:
        raise PackageError("The workbook would be larger than 2 GB (a zip64 package); it cannot be updated.")
    clone = _clone(info)
    clone.flag_bits = info.flag_bits & ~0x08 & ~0x800  # zipfile adds 0x800 back for a UTF-8 name
    clone.CRC = crc
    clone.compress_size = len(data)
    clone.file_size = size
    clone.extra = b""
    clone.comment = comment
    clone.header_offset = handle.tell()
    handle.write(clone.FileHeader(False))
    handle.write(data)
    archive.filelist.append(clone)
    archive.NameToInfo[clone.filename] = clone
    archive.start_dir = handle.tell()
    archive._didModify = True  # noqa: SLF001 - so close() writes the central directory


class _Segments:
    """A sheet as head (to `<sheetData>`), rows (compressed, plus rows added since) and tail."""

    def __init__(self, head: bytes, tail: bytes, rows_raw: bytes | memoryview, rows_crc: int, rows_length: int,
                 last_row: int, new_rows: list[bytes] | None = None):
        self.head, self.tail = head, tail
        self.rows_raw, self.rows_crc, self.rows_length = rows_raw, rows_crc, rows_length
        self.last_row = last_row
        self.new_rows: list[bytes] = new_rows or []


def _split(data: bytes) -> _Segments | bytes:
    """A whole sheet as segments (all its rows new), or the bytes when it has no `<sheetData>` to split."""
    open_at, close = data.find(b"<sheetData>"), data.rfind(b"</sheetData>")
    if open_at == -1 or close == -1:
        return data
    start = open_at + len(b"<sheetData>")
    last = data.rfind(b"<row ", start, close)
    found = re.match(rb'<row [^>]*?\br="(\d+)"', data[last:last + 500]) if last != -1 else None
    if last != -1 and not found:
        return data
    empty = zlib.compressobj(1, zlib.DEFLATED, -15)
    return _Segments(data[:start], data[close:], empty.compress(b"") + empty.flush(zlib.Z_FULL_FLUSH), 0, 0,
                     int(found.group(1)) if found else 0, [data[start:close]])


def _write_segments(archive: zipfile.ZipFile, handle, info: zipfile.ZipInfo, segments: _Segments | bytes) -> None:
    """Write a sheet as three deflate runs (see `Package._appendable`), the comment saying where they are."""
    if isinstance(segments, bytes):
        archive.writestr(_clone(info), segments, compresslevel=1)
        return
    compressor = zlib.compressobj(1, zlib.DEFLATED, -15)
    head = compressor.compress(segments.head) + compressor.flush(zlib.Z_FULL_FLUSH)
    added = b"".join(segments.new_rows)
    rows_raw = b"".join((segments.rows_raw, compressor.compress(added), compressor.flush(zlib.Z_FULL_FLUSH)))
    rows_crc = _crc32_combine(segments.rows_crc, zlib.crc32(added), len(added))
    rows_length = segments.rows_length + len(added)
    tail = compressor.compress(segments.tail) + compressor.flush()
    crc = _crc32_combine(_crc32_combine(zlib.crc32(segments.head), rows_crc, rows_length),
                         zlib.crc32(segments.tail), len(segments.tail))
    comment = (f"sli-append 1 {len(head)} {len(head) + len(rows_raw)} {len(segments.head)} {len(segments.tail)} "
               f"{rows_crc} {segments.last_row}").encode()
    clone = _clone(info)
    clone.compress_type = zipfile.ZIP_DEFLATED
    _write_raw(archive, handle, clone, b"".join((head, rows_raw, tail)), crc,
               len(segments.head) + rows_length + len(segments.tail), comment)


_SEGMENT_COMMENT = re.compile(rb"sli-append 1 (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)")
_CRC_POLY = 0xEDB88320


def _crc_multiply(a: int, b: int) -> int:
    """a * b modulo the CRC-32 polynomial (bit-reflected), as in zlib's multmodp."""
    mask, product = 1 << 31, 0
    while True:
        if a & mask:
            product ^= b
            if a & (mask - 1) == 0:
                return product
        mask >>= 1
        b = (b >> 1) ^ _CRC_POLY if b & 1 else b >> 1


def _powers() -> list[int]:
    power, table = 1 << 30, []
    for _ in range(32):
        table.append(power)
        power = _crc_multiply(power, power)
    return table


_X_POWERS = _powers()  # x^(2^n) modulo the polynomial


def _crc32_combine(crc1: int, crc2: int, length2: int) -> int:
    """CRC-32 of A+B from CRC(A), CRC(B) and len(B) (zlib's crc32_combine, which Python does not expose)."""
    power, n, k = 1 << 31, length2, 3
    while n:
        if n & 1:
            power = _crc_multiply(_X_POWERS[k & 31], power)
        n >>= 1
        k += 1
    return _crc_multiply(power, crc1) ^ crc2


def _serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _head_without_data(data: bytes) -> bytes:
    """The sheet XML with its cell data left out: enough to read `<cols>` without parsing every row."""
    start = data.find(b"<sheetData")
    if start == -1:
        return data
    end = data.rfind(b"</sheetData>")
    if end == -1:
        end_tag = re.search(rb"<sheetData\s*/>", data)
        return data if not end_tag else data[:end_tag.start()] + data[end_tag.end():]
    return data[:start] + data[end + len(b"</sheetData>"):]


LOG_WHEN = LOG_COLUMNS[0]
LOG_COLUMNS_ALL = LOG_COLUMNS
WORKSHEET_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
_YEAR_SHEET = re.compile(rf"^{re.escape(LOG_SHEET)} (\d{{4}})$")
#: Elements of the Change log sheet a year sheet does not copy: they point at other parts (drawings,
#: comments, tables), or at rows and cells of the log itself.
_SHEET_PARTS_WITH_LINKS = ("mergeCells", "conditionalFormatting", "dataValidations", "hyperlinks", "rowBreaks",
                           "colBreaks", "drawing", "legacyDrawing", "legacyDrawingHF", "drawingHF", "picture",
                           "oleObjects", "controls", "tableParts", "extLst", "sortState")
_ROW_TAG = re.compile(rb"<row\b[^>]*?(/?)>")
_FILTER = re.compile(rb'<autoFilter ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')
_ROW_R = re.compile(rb'(<row\b[^>]*?\br=")\d+(")')
_CELL_R = re.compile(rb'(<c\b[^>]*?\br="[A-Z]+)\d+(")')


def year_sheet_name(year: int) -> str:
    """Name of the sheet holding a closed year's Change log rows: `Change log 2026`."""
    return f"{LOG_SHEET} {year}"


def log_sheet_year(name: str) -> int | None:
    """2026 for `Change log 2026`; None for any other sheet (including `Change log` itself)."""
    found = _YEAR_SHEET.match(name)
    return int(found.group(1)) if found else None


def _next_row(data: bytes, position: int, close: int) -> tuple[int, int] | None:
    """Byte span of the next `<row>` element from `position` (before `close`), or None."""
    found = _ROW_TAG.search(data, position, close)
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


def _renumber(row: bytes, number: int) -> bytes:
    """A row's XML moved to row `number`: its own and its cells' references."""
    text = str(number).encode()
    row = _ROW_R.sub(lambda m: m.group(1) + text + m.group(2), row, count=1)
    return _CELL_R.sub(lambda m: m.group(1) + text + m.group(2), row)


def _set_sheet_range(data: bytes, last: int, low: int, high: int) -> bytes:
    """The `<dimension>` and an `<autoFilter>` of a rewritten log sheet, set to end at row `last`."""
    found = re.search(rb'<dimension ref="[^"]*"\s*/>', data[:4000])
    if found:
        ref = f"{column_letter(low - 1)}1:{column_letter(high - 1)}{max(last, 1)}".encode()
        data = data[:found.start()] + b'<dimension ref="' + ref + b'"/>' + data[found.end():]
    close = data.rfind(b"</sheetData>")
    found = _FILTER.search(data, close)
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
    existing = root.find(f"{_M}autoFilter")
    if existing is not None:
        for child in list(existing):
            existing.remove(child)  # a filter criterion would hide rows of the new sheet
        existing.set("ref", ref)
        return
    element = etree.Element(f"{_M}autoFilter", ref=ref)
    for child in root:
        if isinstance(child.tag, str) and etree.QName(child).localname in _AFTER_FILTER:
            child.addprevious(element)
            return
    root.append(element)


def _quoted(sheet_name: str) -> str:
    return "'" + sheet_name.replace("'", "''") + "'"


def _add_title(app_xml: bytes, name: str) -> bytes | None:
    """docProps/app.xml with one more worksheet title (Excel checks the count against the list), or
    None when it lists no titles or lists them in a way this does not recognise (then left as it is)."""
    root = etree.fromstring(app_xml, _PARSER)
    ns = root.nsmap.get(None) or ""
    pairs = root.find(f"{{{ns}}}HeadingPairs/{{{VT_NS}}}vector")
    titles = root.find(f"{{{ns}}}TitlesOfParts/{{{VT_NS}}}vector")
    if pairs is None or titles is None:
        return None
    variants = list(pairs.iterchildren(f"{{{VT_NS}}}variant"))
    offset = 0
    for label, count in zip(variants[::2], variants[1::2], strict=False):
        number = count.find(f"{{{VT_NS}}}i4")
        if number is None or not (number.text or "").isdigit():
            return None
        if "".join(label.itertext()).strip() == "Worksheets":
            entries = list(titles)
            position = offset + int(number.text)
            title = etree.Element(f"{{{VT_NS}}}lpstr")
            title.text = name
            if position < len(entries):
                entries[position].addprevious(title)
            else:
                titles.append(title)
            number.text = str(int(number.text) + 1)
            titles.set("size", str(len(titles)))
            return _serialise(root)
        offset += int(number.text)
    return None


class _Layout:
    """What a row's height depends on besides its cells: column widths and merged cells."""

    def __init__(self, root: etree._Element):
        self.widths: dict[int, float] = {}
        format_pr = root.find(f"{_M}sheetFormatPr")
        self.default_width = DEFAULT_COLUMN_WIDTH
        self.default_height = DEFAULT_ROW_HEIGHT
        if format_pr is not None:
            if format_pr.get("defaultColWidth"):
                self.default_width = float(format_pr.get("defaultColWidth"))
            if format_pr.get("defaultRowHeight"):
                self.default_height = float(format_pr.get("defaultRowHeight"))
        cols = root.find(f"{_M}cols")
        for col in (cols.iterchildren(f"{_M}col") if cols is not None else ()):
            if col.get("width") is None:
                continue
            low, high = int(col.get("min")), min(int(col.get("max")), 16384)
            if high - low > 1000:
                continue  # a style for the rest of the sheet, not a width that matters here
            for number in range(low, high + 1):
                self.widths[number] = 0.0 if col.get("hidden") in ("1", "true") else float(col.get("width"))
        #: (row, column) of a merged range's first cell -> the range's width; other merged cells -> None.
        self.merged: dict[tuple[int, int], float | None] = {}
        merges = root.find(f"{_M}mergeCells")
        for merge in (merges.iterchildren(f"{_M}mergeCell") if merges is not None else ()):
            first, _, last = (merge.get("ref") or "").partition(":")
            if not last:
                continue
            (c1, r1), (c2, r2) = split_address(first), split_address(last)
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    self.merged[(r, c)] = None
            if r1 == r2:  # text in a range over several rows is spread over them: not estimated
                self.merged[(r1, c1)] = sum(self.column_width(c) for c in range(c1, c2 + 1))

    def column_width(self, column: int) -> float:
        return self.widths.get(column, self.default_width)

    def width_at(self, row: int, column: int) -> float | None:
        """Width the text of a cell has, or None when the cell is hidden inside a merged range."""
        if (row, column) in self.merged:
            return self.merged[(row, column)]
        return self.column_width(column)


def _height_set_by_hand(row: etree._Element, estimate_before: float) -> bool:
    """Excel marks a row an officer sized `customHeight`; the builder's and this module's heights are
    custom too only when a reader such as openpyxl rewrote them, and then equal the estimate."""
    height = row.get("ht")
    if height is None or row.get("customHeight") not in ("1", "true"):
        return False
    try:
        return abs(float(height) - estimate_before) > 0.01
    except ValueError:
        return True  # not a height this module understands: leave it as it is


def _set_height(row: etree._Element, height: float) -> None:
    """A height that fits the text, not marked custom, so Excel still fits the row when it is edited there."""
    row.set("ht", f"{height:g}")
    row.attrib.pop("customHeight", None)


def _xf_signature(xf: etree._Element) -> tuple:
    """A cell style's whole content (attributes and children, canonically), to find an exact twin."""
    attributes = dict(xf.attrib)
    if attributes.get("quotePrefix") == "true":
        attributes["quotePrefix"] = "1"
    children = tuple(etree.tostring(child, method="c14n", with_tail=False) for child in xf)
    return tuple(sorted(attributes.items())), children


def _column_styles(root: etree._Element) -> dict[int, str]:
    """Column number -> the style officers (or the builder) set on the whole column."""
    styles: dict[int, str] = {}
    cols = root.find(f"{_M}cols")
    if cols is None:
        return styles
    for col in cols.iterchildren(f"{_M}col"):
        if col.get("style") is not None:
            for number in range(int(col.get("min")), int(col.get("max")) + 1):
                styles[number] = col.get("style")
                if number > 16384:
                    break
    return styles


def _find_or_insert_cell(row: etree._Element, address: str, column: int) -> etree._Element:
    for cell in row.iterchildren(f"{_M}c"):
        ref = cell.get("r")
        if ref == address:
            return cell
        if ref and split_address(ref)[0] > column:
            new = etree.Element(f"{_M}c", r=address)
            cell.addprevious(new)
            return new
    new = etree.SubElement(row, f"{_M}c", r=address)
    spans = row.get("spans")
    if spans and ":" in spans:
        low, high = (int(x) for x in spans.split(":"))
        if column > high or column < low:
            row.set("spans", f"{min(low, column)}:{max(high, column)}")
    return new


def _grow_dimension(data: bytes, last_row: int, width: int) -> bytes:
    match = re.search(rb'<dimension ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"\s*/>', data[:4000])
    if not match:
        return data
    first_col, first_row = match.group(1), int(match.group(2))
    last_col = match.group(3) or first_col
    end_row = max(int(match.group(4) or first_row), last_row)
    last_col_number = max(split_address(last_col.decode() + "1")[0], width)
    ref = f"{first_col.decode()}{first_row}:{column_letter(last_col_number - 1)}{end_row}".encode()
    return data[:match.start()] + b'<dimension ref="' + ref + b'"/>' + data[match.end():]


def _write_problem(path: Path, kind: str) -> str | None:
    """Why this process must not replace (or write into) `path`, or None.

    Two checks. No write bit at all means someone marked it read-only on purpose; that holds even for
    root, for whom the kernel's own check (os.access) always says yes. Otherwise, for anyone but root,
    the kernel decides with the process's effective user and groups (and any ACL), as a write would.
    """
    st = os.stat(path)
    if not stat.S_IMODE(st.st_mode) & 0o222:
        return (f"The {kind} {path} is marked read-only (its permissions let no one write to it); whoever "
                "manages it can clear that")
    if not _is_root():
        wanted = os.W_OK | (os.X_OK if kind == "folder" and os.name == "posix" else 0)
        if not os.access(path, wanted, effective_ids=os.access in os.supports_effective_ids):
            return (f"The {kind} {path} is read-only for this program (user {_user_name()} may not "
                    "write to it); give that user write access")
    return None


def _is_root() -> bool:
    """Root on a POSIX system; False on Windows, which has no user ids (nor chown)."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _user_name() -> str:
    try:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, AttributeError, KeyError):
        return os.environ.get("USERNAME") or str(getattr(os, "geteuid", lambda: "unknown")())


def _keep_ownership(temporary: Path, original: os.stat_result) -> None:
    """Give the new file the old one's group (and owner, when run as root), then its mode.

    os.replace would otherwise leave the file with this process's umask, user and group: a workbook
    shared through a group (0660, group `publichealth`) would become 0644 in the writer's own group and
    lock colleagues out, and a 0600 workbook would become readable by all. chown comes first because it
    clears the setuid and setgid bits that chmod then restores.
    """
    uid = original.st_uid if _is_root() else -1
    if hasattr(os, "chown") and (original.st_gid != os.stat(temporary).st_gid or uid != -1):
        try:
            os.chown(temporary, uid, original.st_gid)
        except PermissionError:
            raise PackageError(f"The workbook belongs to group {_group_name(original.st_gid)}, which this program "
                               "is not a member of, so a saved copy would lock that group out; run it as a "
                               "member of the group") from None
    os.chmod(temporary, stat.S_IMODE(original.st_mode))


def _group_name(gid: int) -> str:
    try:
        import grp

        return grp.getgrgid(gid).gr_name
    except (ImportError, KeyError):
        return str(gid)


def save_atomically(package: Package, path: Path, backup_dir: Path | None, keep_backups: int) -> None:
    """Write to a temporary file in the same folder, fsync, keep a backup of the old file, replace.

    Called under the write lock, so any temporary file already there is a dead writer's. A crash at
    any point leaves either the old file or the new one under `path`, never half of one. The new file
    keeps the old one's permissions, group (and owner when run as root). A workbook marked read-only,
    or one this process may not write, is never replaced: PackageError says why, so the update stays
    pending (a rename would otherwise succeed wherever the folder is writable, whatever the file says).
    """
    path = Path(path)
    original = os.stat(path) if path.exists() else None
    problem = (_write_problem(path, "workbook") if original is not None else None) or \
        _write_problem(path.parent, "folder")
    if problem:
        raise PackageError(problem + ".")
    for leftover in path.parent.glob(f".{path.name}.sli-tmp-*"):  # left by a writer killed mid-save
        leftover.unlink(missing_ok=True)
    temporary = path.with_name(f".{path.name}.sli-tmp-{os.getpid()}")
    try:
        if original is not None:  # created private: never readable by others before it has the old mode
            os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        package.write(temporary)
        if original is not None:
            _keep_ownership(temporary, original)
        if backup_dir is not None and keep_backups > 0 and path.exists():
            try:
                _backup(path, backup_dir, keep_backups)
            except OSError as exc:
                raise PackageError(f"No backup of the workbook could be kept in {backup_dir} "
                                   f"({exc.strerror or exc}), so it was not replaced") from None
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _backup(path: Path, backup_dir: Path, keep: int) -> None:
    backup_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S%f")
    target = backup_dir / f"{path.stem}-{stamp}{path.suffix}"
    try:
        os.link(path, target)  # the old file's bytes (and its permissions), without copying them
    except OSError:
        import shutil

        shutil.copy2(path, target)
        if _is_root():
            original = os.stat(path)
            os.chown(target, original.st_uid, original.st_gid)
            os.chmod(target, stat.S_IMODE(original.st_mode))
    backups = sorted(backup_dir.glob(f"{path.stem}-*{path.suffix}"))
    for old in backups[:-keep]:
        old.unlink(missing_ok=True)
