"""The package as the write path edits it: set a few cells of a sheet, append rows to one, fit row heights,
find a header; every part it does not change stays byte-identical (see `shared.xlsx`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from lxml import etree

from shared.domain.schema import LOG_SHEET, split_address
from shared.xlsx.cells import (
    CellValue,
    SharedStrings,
    StyleTwins,
    cell_text,
    fill_cell,
    find_or_insert_cell,
)
from shared.xlsx.frames import appended_frame, kept_frame, sheet_frame
from shared.xlsx.headers import FirstRows, header_key, keep_header, kept_header
from shared.xlsx.heights import Layout, estimate_height, height_set_by_hand, marked_custom, set_height
from shared.xlsx.keptparts import KeptParts
from shared.xlsx.ooxml import MAIN_NS, PARSER, M, PackageError, serialise, text_key
from shared.xlsx.parts import HEADER_PREFIX, PREFIX, ZipParts
from shared.xlsx.rows import grow_dimension, head_without_data, row_as_elements, row_as_text, row_ranges
from shared.xlsx.segments import Segments
from shared.xlsx.sheets import Sheets


class Package(ZipParts):
    """An opened .xlsx: its parts in order, sheets by name, and the pieces needed to edit cells."""

    def __init__(self, path: Path):
        super().__init__(path)
        self.parts = KeptParts(self._archive, self._source)  # the sheet list and styles: inflated once a process
        self.sheets = Sheets(self.path, self.parts, self.changed)
        self.date1904 = self.sheets.date1904
        self.sheet_parts = self.sheets.sheet_parts
        self.segmented_part = self.sheet_parts.get(LOG_SHEET)
        self.styles = StyleTwins(self.parts, self.changed)
        self.strings = SharedStrings(self.parts, self.parts.stream, self.parts.items_key)
        #: Cells referring to shared strings that this edit added (+) or turned into other cells (-): the
        #: shared strings part's `count` is moved by as much when the package is written.
        self.shared_references = 0
        #: The first rows of a sheet as header keys, read once per edit (`header_columns`).
        self._header_rows: dict[tuple[str, int], FirstRows] = {}
        #: Header keys (`text_key`) known to be in a sheet's first row, and their columns: every header found
        #: there. An update asks for the log's header three times (the rows, their year, the filing), and a
        #: header in the first row answers any of the names it holds (none is in an earlier row).
        self._first_row_headers: dict[str, dict[str, int]] = {}

    def edited_by_updates(self, sheet_names: Sequence[str]) -> tuple[set[str], set[str]]:
        """The parts an update edits when it writes into sheets `sheet_names`: theirs and the workbook's (an
        autofilter's hidden name grows with the log); and the part whose head it may edit, the shared strings
        (their `count` moves whenever a cell stops referring to one: the first update of a cell after Excel
        saved). The others are written ahead (`ZipParts.write_ahead`), the shared strings' body too."""
        return {self.sheet_parts[name] for name in sheet_names if name in self.sheet_parts} | {_WORKBOOK}, \
            {_SHARED_STRINGS}

    def cell_style_count(self) -> int:
        """How many cell styles the workbook has (the builder gives each its quote-prefix twin)."""
        return self.styles.cell_style_count()

    def quoted_style(self, style: int) -> int:
        """Index of a cell style like `style` but with quotePrefix set, added if the file lacks one."""
        return self.styles.quoted_style(style)

    def _fill_cell(self, cell: etree._Element, value: CellValue) -> None:
        fill_cell(cell, value, self.date1904, self.styles.quoted_style)

    def edit_cells(self, sheet_name: str, edits: Mapping[str, CellValue]) -> None:
        """Set the given cells of one sheet; every other element of the sheet stays as it is, and every
        other row is copied as the bytes it was (`shared.xlsx.rows`): only the rows edited are serialised.

        A row whose text changes gets the height its new text needs (LibreOffice never grows a row for
        wrapped text, and a printed Appendix 1 must show every word), unless an officer set the height
        by hand: Excel marks a dragged row `customHeight`, and a custom height that is not what
        `row_height` gives for the row's old text is theirs and stays.
        """
        part = self.sheet_part(sheet_name)
        self._forget_header(sheet_name)
        data = self.current(part)
        ranges = row_ranges(data)
        numbers = {split_address(address)[1] for address in edits}
        if ranges is not None and numbers <= ranges.ranges.keys():
            around = (data[:ranges.open_end], data[ranges.close:])
            frame = kept_frame(around)
            rows_only = ranges.rows_only(numbers) if frame is not None else None
            if rows_only is not None:  # the frame's bytes are the ones kept: only the rows edited are parsed
                root = etree.fromstring(rows_only, PARSER)
            else:
                root = etree.fromstring(ranges.sheet_with_only(numbers), PARSER)
                frame = sheet_frame(root, around)
            references = self._edit_in(root, sheet_name, edits, frame, ranges.rows_xml(numbers), measured := {})
            spliced = ranges.replaced(serialise(root), numbers)
            if spliced is not None:
                self.changed[part] = spliced
                self.shared_references += references
                frame[0].keep_measures(measured, self._measure_context(root), ranges.written)
                return
        root = etree.fromstring(data, PARSER)
        references = self._edit_in(root, sheet_name, edits, sheet_frame(root, None), {}, {})
        self.changed[part] = serialise(root)
        self.shared_references += references

    def _edit_in(self, root: etree._Element, sheet_name: str, edits: Mapping[str, CellValue],
                 frame: tuple[Layout, dict[int, str]], rows_xml: Mapping[int, bytes], measured: dict) -> int:
        """`edit_cells` on the parsed sheet `root` (the whole sheet, or only the rows edited), whose column
        widths, merged cells and column styles are `frame` (`sheet_frame`); returns how many cells referring to
        shared strings it turned into other cells (negative). Cells of rows whose bytes (`rows_xml`) an edit wrote
        are not measured again (`Layout.kept_measures`); the rows sized go in `measured`."""
        data = next(root.iterchildren(f"{M}sheetData"), None)  # `find`'s child, without its path's parse
        if data is None:
            raise PackageError(f"The sheet '{sheet_name}' has no cell data.")
        layout, column_styles = frame
        rows = {int(row.get("r")): row for row in data.iterchildren(f"{M}row") if row.get("r")}
        heights_before: dict[int, float | None] = {}
        known: dict[int, dict] = {}  # each edited row's cells as its estimate before found them (`estimate_height`)
        references, context = 0, self._measure_context(root) if rows_xml else None
        for address, value in edits.items():
            column, row_number = split_address(address)
            row = rows.get(row_number)
            if row is None:
                raise PackageError(f"Row {row_number} of '{sheet_name}' is not where it was expected.")
            if row_number not in heights_before:
                known[row_number] = layout.kept_measures(row, context, rows_xml.get(row_number))
                # Only a height marked custom can be an officer's (`height_set_by_hand`): the estimate of the row
                # before the edit is made for such a row only.
                heights_before[row_number] = (self._estimate_height(row, layout, known[row_number])
                                              if marked_custom(row) else None)
            cell = find_or_insert_cell(row, address, column)
            known[row_number].pop(cell, None)  # its text and style change: read again after
            if next(cell.iterchildren(f"{M}f"), None) is not None:
                raise PackageError(f"Cell {address} on '{sheet_name}' holds a formula; an officer "
                                   "needs to replace it with a plain value before updates can be written.")
            if cell.get("s") is None and column in column_styles:
                cell.set("s", column_styles[column])
            if cell.get("t") == "s":
                references -= 1  # it becomes an inline string (or empty, a number, a date)
            self._fill_cell(cell, value)
        for row_number, before in heights_before.items():
            row = rows[row_number]
            if before is not None and height_set_by_hand(row, before):
                continue
            after = self._estimate_height(row, layout, known[row_number])
            measured[row_number] = (row, known[row_number])
            if row.get("ht") is None and after <= layout.default_height:
                continue
            set_height(row, after)
        return references

    def _measure_context(self, root: etree._Element) -> tuple | None:
        """What a measure reads but its row and layout (style metrics, shared strings); None when not known or
        the sheet declares a document type (its entities could make other texts)."""
        strings = self.parts.items_key(_SHARED_STRINGS) if _SHARED_STRINGS in self.parts else ("no strings",)
        declared = root.getroottree().docinfo.doctype
        return None if strings is None or declared else (tuple(self.styles.metrics()), strings)

    def _forget_header(self, sheet_name: str) -> None:
        """Cells of the sheet change: its first rows are read again when a header is next looked for."""
        for key in [key for key in self._header_rows if key[0] == sheet_name]:
            del self._header_rows[key]
        self._first_row_headers.pop(sheet_name, None)

    def fit_row_heights(self, sheet_name: str, first_row: int = 1) -> None:
        """Give every row of a sheet from `first_row` on the height its text needs (the builder's
        heights, so that the file prints with every word in LibreOffice as in Excel)."""
        part = self.sheet_part(sheet_name)
        root = etree.fromstring(self.current(part), PARSER)
        data = root.find(f"{M}sheetData")
        if data is None:
            return
        layout = Layout(root)
        for row in data.iterchildren(f"{M}row"):
            if int(row.get("r", "0")) >= first_row:
                set_height(row, self._estimate_height(row, layout))
        self.changed[part] = serialise(root)

    def _estimate_height(self, row: etree._Element, layout: Layout, known: dict | None = None) -> float:
        """`row_height` of a row as it stands: its cells' text, column widths and styles (`known`: see
        `estimate_height`). Its texts are serialised at once unless its document declares a type (see
        `cell_text`): the rows an update edits or adds are parsed without one, or made here."""
        plain = not row.getroottree().docinfo.doctype
        return estimate_height(row, layout, self.styles.metrics(), self._plain_text if plain else self._cell_text,
                               known)

    def append_rows(self, sheet_name: str, rows: Sequence[Mapping[int, CellValue]]) -> list[int]:
        """Add rows after the last row of a sheet, touching nothing else in it; returns their numbers.

        Each row maps 1-based column numbers to values (found from the sheet's header, since officers
        insert and move columns). Works on the bytes (the log sheet may hold tens of thousands of rows):
        the new rows go in before `</sheetData>` and the `<dimension>` grows to include them. A row
        whose text wraps (the column's style) gets the height it needs, so the log prints whole.
        Nothing is filed here: moving the Change log's earlier years to their own sheets is a step of
        its own (`shared.xlsx.changelog.file_log_years`), which the package writer takes first.
        """
        part = self.sheet_part(sheet_name)
        tail_end = self.appendable(part)
        if tail_end is not None:
            return self._append_to_segments(sheet_name, part, tail_end, rows)
        data = self.current(part)
        head = data[:4000]
        if not _DEFAULT_NS.search(head):
            raise PackageError(f"The sheet '{sheet_name}' is saved in a form the log cannot be appended to.")
        frame = appended_frame(head_without_data(data))
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
        numbers, xml_rows, width = self._rows_xml(frame, last_number, rows)
        data = data[:close] + xml_rows + data[close:]
        data = grow_dimension(data, numbers[-1] if numbers else last_number, width)
        if numbers and b"<autoFilter" in data[close:]:
            data = self.sheets.grow_filter(sheet_name, data, last_number, numbers[-1])
        self.changed[part] = data
        return numbers

    def _rows_xml(self, frame: tuple[Layout, dict[int, str]], last_number: int,
                  rows: Sequence[Mapping[int, CellValue]]) -> tuple[list[int], bytes, int]:
        """The XML of rows numbered from `last_number + 1`, styled by their columns (`frame`: the sheet's layout
        and column styles, `appended_frame`): (numbers, XML, width)."""
        numbers, xml_rows = [], []
        width = max((max(r, default=0) for r in rows), default=0)
        for offset, values in enumerate(rows, start=1):
            number = last_number + offset
            numbers.append(number)
            made = row_as_text(frame, number, values, self.date1904, self.styles.quoted_style, self.styles.metrics)
            xml_rows.append(made if made is not None else row_as_elements(
                frame, number, values, self._fill_cell, self._estimate_height))
        return numbers, b"".join(xml_rows), width

    def _append_to_segments(self, sheet_name: str, part: str, segments: Segments,
                            rows: Sequence[Mapping[int, CellValue]]) -> list[int]:
        """`append_rows` on a sheet stored as deflate segments: its rows are never inflated."""
        if not _DEFAULT_NS.search(segments.head[:4000]):
            raise PackageError(f"The sheet '{sheet_name}' is saved in a form the log cannot be appended to.")
        frame = appended_frame(segments.head[:-len(b"<sheetData>")] + segments.tail[len(b"</sheetData>"):])
        last_number = segments.last_row
        numbers, xml_rows, width = self._rows_xml(frame, last_number, rows)
        if not numbers:
            return numbers
        segments.new_rows.append(xml_rows)
        segments.last_row = numbers[-1]
        segments.head = grow_dimension(segments.head, numbers[-1], width)
        if b"<autoFilter" in segments.tail:
            segments.tail = self.sheets.grow_filter(sheet_name, segments.tail, last_number, numbers[-1])
        return numbers

    def write(self, target: Path, while_syncing: Callable[[], object] | None = None) -> None:
        """Write the package to `target` (see `ZipParts.write`), the shared strings' count first made true."""
        self._settle_shared_count()
        super().write(target, while_syncing)

    def _settle_shared_count(self) -> None:
        """Move `count` in xl/sharedStrings.xml by the cells this edit made refer to shared strings or stop
        referring to them, so it stays the number of such cells in every sheet (Excel and LibreOffice write
        it true; `uniqueCount`, the number of strings, does not change: no string is added or removed).

        Counting every sheet's cells would cost a read of the whole log on every update; the change is known
        instead. Only the part's root start tag is compressed anew when this program wrote the part last
        (`ZipParts.head_of`); a part without `count` is left as it is (the attribute is optional)."""
        delta, self.shared_references = self.shared_references, 0
        part = _SHARED_STRINGS
        if not delta or part not in self.parts:
            return
        if not _COUNT.search(self.prefix(part, 4000)):
            return
        split = self.head_of(part)
        found = _COUNT.search(split.head) if split is not None else None
        if found is None:
            return
        count = str(max(0, int(found.group(2)) + delta)).encode()
        split.head = split.head[:found.start(2)] + count + split.head[found.end(2):]

    def header_columns(self, sheet_name: str, names: Sequence[str], search_rows: int = 20) -> dict[str, int]:
        """1-based column number of each header `names` in the first rows of a sheet, found by text.

        Reads only the first rows' XML (and the shared strings up to the ones they use), so it stays
        fast on a log of tens of thousands of rows; and only once per edit: an update asks for the log's
        header three times (filing, the year, the rows), and appending and filing never move it. A header
        in the first row answers the next asks of this edit for any of its names at once. What the
        first kilobytes' rows gave is kept for the next package whose rows and strings are the same bytes
        (`shared.xlsx.headers`). PackageError when the header is not there.
        """
        wanted = {text_key(name): name for name in names}
        first_row = self._first_row_headers.get(sheet_name)
        if first_row is not None and search_rows > 0 and all(key in first_row for key in wanted):
            return {name: first_row[key] for key, name in wanted.items()}
        found = self._header_columns(sheet_name, wanted, search_rows)
        if found is None:
            raise PackageError(f"The sheet '{sheet_name}' has no header row with the columns {', '.join(names)}; "
                               "restore the header so changes can be logged.")
        return found

    def _header_columns(self, sheet_name: str, wanted: Mapping[str, str], search_rows: int) -> dict[str, int] | None:
        """`header_columns` of the names `wanted` (by header key), or None; a header found in the sheet's first
        row is noted as such (`_first_row_headers`)."""
        cached = self._header_rows.get((sheet_name, search_rows))
        found = cached.header(wanted) if cached is not None else None
        kept_key = None
        if cached is None:
            kept_key = self._header_key(self._first_row_xml(sheet_name, search_rows), wanted)
            found = kept_header(kept_key)
            if found is not None:  # kept only when found in the first row (below)
                self._in_first_row(sheet_name, wanted, found)
                return found
        strings = self.strings  # not the package: no reference cycle keeps it alive
        # The sheet's first few kilobytes first (the header is at its top); its first rows as before only
        # when they do not hold it. The rows read are the first rows either way, so the same row is found.
        for size in (HEADER_PREFIX, PREFIX) if cached is None else (PREFIX,):
            if found is not None or (cached is not None and cached.whole):
                break
            rows, whole = self._first_rows(sheet_name, search_rows, size)
            cached = FirstRows(rows, lambda cell: cell_text(cell, strings), whole or size == PREFIX)
            self._header_rows[(sheet_name, search_rows)] = cached
            found = cached.header(wanted)
            if found is not None and size == HEADER_PREFIX and cached.found_at == 0:
                keep_header(kept_key, found)
        if found is not None and cached is not None and cached.found_at == 0:
            self._in_first_row(sheet_name, wanted, found)
        return found

    def _in_first_row(self, sheet_name: str, wanted: Mapping[str, str], found: Mapping[str, int]) -> None:
        """Note the header `found` (the names `wanted`, by key) as the sheet's first row."""
        first_row = self._first_row_headers.setdefault(sheet_name, {})
        for key, name in wanted.items():
            first_row[key] = found[name]

    def _header_key(self, rows_xml: bytes, wanted: Mapping[str, str]) -> tuple | None:
        """`header_key` of the rows `rows_xml`, with the shared strings part's identity (`KeptParts.items_key`)."""
        name = "xl/sharedStrings.xml"
        strings = self.parts.items_key(name) if name in self.parts else ("no shared strings",)
        return header_key(rows_xml, wanted, strings)

    def _first_row_xml(self, sheet_name: str, search_rows: int) -> bytes:
        """`_first_rows_xml` from the sheet's first FIRST_PREFIX bytes when they hold its first row whole (all a
        header's key reads, `_header_key`), else from its first HEADER_PREFIX bytes."""
        rows_xml = self._first_rows_xml(sheet_name, search_rows, FIRST_PREFIX)[0]
        return rows_xml if b"</row>" in rows_xml else self._first_rows_xml(sheet_name, search_rows, HEADER_PREFIX)[0]

    def _first_rows_xml(self, sheet_name: str, search_rows: int, size: int = PREFIX) -> tuple[bytes, bool]:
        """The XML of the first `search_rows` rows of a sheet, from its first bytes only, and whether they are
        all the rows `header_columns` may look at (a `size` short of them gives the first rows it holds whole)."""
        part = self.sheet_part(sheet_name)
        data = self.prefix(part, size)
        whole = len(data) < size or data.count(b"</row>") >= search_rows
        if size == PREFIX and not whole:
            data = self.current(part)
        start = data.find(b"<sheetData>")
        end = start
        for _ in range(search_rows):
            found = data.find(b"</row>", end + 1)
            if found == -1:
                break
            end = found
        return (data[start + len(b"<sheetData>"):end + len(b"</row>")] if start != -1 and end > start else b""), whole

    def _first_rows(self, sheet_name: str, search_rows: int, size: int = PREFIX) -> tuple[list[etree._Element], bool]:
        """`_first_rows_xml`'s rows, parsed."""
        rows_xml, whole = self._first_rows_xml(sheet_name, search_rows, size)
        fragment = etree.fromstring(b'<sheetData xmlns="' + MAIN_NS.encode() + b'">' + rows_xml + b"</sheetData>",
                                    PARSER)
        return list(fragment.iterchildren(f"{M}row")), whole

    def _cell_text(self, cell: etree._Element) -> str:
        return cell_text(cell, self.strings)

    def _plain_text(self, cell: etree._Element) -> str:
        return cell_text(cell, self.strings, no_entities=True)

    def sheet_part(self, sheet_name: str) -> str:
        """The part of the sheet called `sheet_name`; PackageError when the workbook has none."""
        part = self.sheet_parts.get(sheet_name)
        if part is None or (part not in self.parts and part not in self.changed and part not in self.segments):
            raise PackageError(f"The workbook has no sheet called '{sheet_name}'.")
        return part


#: How much of a sheet is inflated first for its first rows: the Change log's header row and the row under it are a
#: kilobyte or two (an inflated kilobyte costs about 45,000 instructions); HEADER_PREFIX when they are not whole in it.
FIRST_PREFIX = 1 << 12
#: The `count` attribute of the shared strings part's root (not `uniqueCount`: attribute names are case-sensitive).
#: The shared strings part (its name in every package Excel and LibreOffice write).
_SHARED_STRINGS = "xl/sharedStrings.xml"
_WORKBOOK = "xl/workbook.xml"
_COUNT = re.compile(rb"""\scount\s*=\s*(["'])(\d+)\1""")
#: A worksheet whose elements are in the main namespace by default: the only one rows are appended to as bytes.
_DEFAULT_NS = re.compile(rb"<worksheet[^>]*?\sxmlns=\"" + re.escape(MAIN_NS.encode()) + b'"')
