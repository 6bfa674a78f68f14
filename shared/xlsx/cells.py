"""Cells, values and style twins: what a value becomes in a cell's XML, the rules that keep text as text
(Excel's quote prefix, on a twin of the cell's style), and reading a cell's text back."""

from __future__ import annotations

import copy
import functools
import io
import re
from collections.abc import Callable, Hashable, Iterable, Mapping
from datetime import date, datetime
from typing import IO

from lxml import etree

from shared.domain.values import plain_newlines
from shared.xlsx.heights import DEFAULT_FONT_SIZE, column_of
from shared.xlsx.keptstrings import scanned_items
from shared.xlsx.ooxml import PARSER, XML_SPACE, M, PackageError, serialise

CellValue = str | date | datetime | int | float | None
_FORMULA_START = ("=", "+", "-", "@")
_NUMBER_LIKE = re.compile(r"[\d\s/.:,%()£$€+\-eE]*\d[\d\s/.:,%()£$€+\-eE]*")
_MONTH = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b", re.IGNORECASE)
_ERROR_VALUE = re.compile(r"#[A-Z0-9/!?]+")
_DIGIT = re.compile(r"\d")


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
    return len(stripped) <= 30 and bool(_DIGIT.search(stripped)) and bool(_MONTH.search(stripped))


def excel_serial(value: date | datetime, date1904: bool = False) -> float:
    """Excel's day number for a date (1900 date system unless the workbook says 1904)."""
    epoch = datetime(1904, 1, 1) if date1904 else datetime(1899, 12, 30)
    moment = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
    delta = moment.replace(tzinfo=None) - epoch
    serial = delta.days + delta.seconds / 86400
    return int(serial) if serial == int(serial) else round(serial, 8)


class StyleTwins:
    """The styles part: the quote-prefix twin of a cell style, and what row heights need of each style.
    Given the package's parts and its changed parts (not the package: no reference cycle keeps it alive)."""

    def __init__(self, parts: Mapping[str, bytes], changed: dict[str, bytes]):
        self._parts, self._changed = parts, changed
        self._styles: etree._Element | None = None
        self._quoted_styles: dict[int, int] = {}
        self._metrics: list[tuple[float, bool]] | None = None

    def _style_root(self) -> etree._Element:
        if self._styles is None:
            if "xl/styles.xml" not in self._parts:
                raise PackageError("The workbook has no styles part; it cannot keep text as text.")
            self._styles = etree.fromstring(self._parts["xl/styles.xml"], PARSER)
        return self._styles

    def cell_style_count(self) -> int:
        return len(list(self._style_root().find(f"{M}cellXfs").iterchildren(f"{M}xf")))

    def quoted_style(self, style: int) -> int:
        """Index of a cell style like `style` but with quotePrefix set, added if the file lacks one.

        The twin is the whole original with quotePrefix added: same attributes and the same children
        (alignment with its wrapping, protection, extensions). Two styles with equal attributes but a
        different alignment are different styles: a long `@…` next step must keep wrapping.
        """
        if style in self._quoted_styles:
            return self._quoted_styles[style]
        xfs = self._style_root().find(f"{M}cellXfs")
        entries = list(xfs.iterchildren(f"{M}xf"))
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
        self._changed["xl/styles.xml"] = serialise(self._styles)
        self._metrics = None
        self._quoted_styles[style] = len(entries)
        return len(entries)

    def metrics(self) -> list[tuple[float, bool]]:
        """(font size in points, wraps text) of each cell style, for estimating row heights. Styles this edit
        has not changed are the file's bytes, whose metrics the last updates worked out already (`_metrics_of`):
        not parsed again per update."""
        if self._metrics is None:
            if self._styles is None and "xl/styles.xml" in self._parts:
                self._metrics = list(_metrics_of(self._parts["xl/styles.xml"]))
            else:
                self._metrics = _style_metrics(self._style_root())
        return self._metrics


@functools.lru_cache(maxsize=4)
def _metrics_of(styles: bytes) -> tuple[tuple[float, bool], ...]:
    """`_style_metrics` of a styles part's bytes, kept for the next package opened with the same styles."""
    return tuple(_style_metrics(etree.fromstring(styles, PARSER)))


def _style_metrics(root: etree._Element) -> list[tuple[float, bool]]:
    """(font size in points, wraps text) of each cell style of the styles part `root`."""
    sizes = []
    fonts = root.find(f"{M}fonts")
    for font in (fonts.iterchildren(f"{M}font") if fonts is not None else ()):
        size = font.find(f"{M}sz")
        try:
            sizes.append(float(size.get("val")) if size is not None else DEFAULT_FONT_SIZE)
        except (TypeError, ValueError):
            sizes.append(DEFAULT_FONT_SIZE)
    metrics = []
    for xf in root.find(f"{M}cellXfs").iterchildren(f"{M}xf"):
        font_id = int(xf.get("fontId", "0"))
        size = sizes[font_id] if font_id < len(sizes) else DEFAULT_FONT_SIZE
        alignment = xf.find(f"{M}alignment")
        wraps = alignment is not None and alignment.get("wrapText") in ("1", "true")
        metrics.append((size, wraps))
    return metrics


def _xf_signature(xf: etree._Element) -> tuple:
    """A cell style's whole content (attributes and children, canonically), to find an exact twin."""
    attributes = dict(xf.attrib)
    if attributes.get("quotePrefix") == "true":
        attributes["quotePrefix"] = "1"
    children = tuple(etree.tostring(child, method="c14n", with_tail=False) for child in xf)
    return tuple(sorted(attributes.items())), children


def fill_cell(cell: etree._Element, value: CellValue, date1904: bool, quoted_style: Callable[[int], int]) -> None:
    """Put `value` in `cell` (inline string, boolean, number or date serial), text Excel would convert on
    the twin of its style that `quoted_style` gives. Line breaks go in as LF (`plain_newlines`): the domain
    gives text so already, and a CR read from an older cell (the old value in the Change log) is not
    carried on as `&#13;`."""
    for child in list(cell):
        if child.tag in (f"{M}v", f"{M}is", f"{M}f"):
            cell.remove(child)
    cell.attrib.pop("t", None)
    if value is None or value == "":
        return
    if isinstance(value, str):
        value = plain_newlines(value)
        cell.set("t", "inlineStr")
        if needs_quote_prefix(value):
            cell.set("s", str(quoted_style(int(cell.get("s", "0")))))
        inline = etree.SubElement(cell, f"{M}is")
        text = etree.SubElement(inline, f"{M}t")
        text.text = value
        if value != value.strip() or "\n" in value:
            text.set(XML_SPACE, "preserve")
        return
    if isinstance(value, bool):
        cell.set("t", "b")
        etree.SubElement(cell, f"{M}v").text = "1" if value else "0"
        return
    number = excel_serial(value, date1904) if isinstance(value, date) else value
    etree.SubElement(cell, f"{M}v").text = repr(number) if isinstance(number, float) else str(number)


#: Text and attribute values a new cell's XML is written with directly (`new_cell_xml`): tab, line feed and the
#: characters XML allows from the space on, but DEL, the C1 controls and the non-characters. Any other text is put
#: in through lxml, which writes it, or refuses it, as it always has.
_PLAIN = re.compile("[\t\n\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*")
#: What libxml2 escapes in text when it serialises.
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
#: A style index as Excel, LibreOffice and the builder write it: the only column style written directly.
_STYLE_INDEX = re.compile("[0-9]+")


def new_cell_xml(ref: str, style: str | None, value: CellValue, date1904: bool,
                 quoted_style: Callable[[int], int]) -> tuple[str, str, int] | None:
    """A new cell at `ref` (styled `style`, its column's) holding `value`, as `fill_cell` makes it in a new `<c>`
    element and lxml serialises it (UTF-8, its main namespace left out), without making the elements: (its XML,
    its text as `cell_text` reads it back, its style's index). None when a text holds other than plain characters,
    the style is not an index or the value is of no type `fill_cell` writes: lxml writes such a cell (or refuses
    it) instead. An update appends a Change log row of eight cells: made as elements, they cost more than the rest
    of the row."""
    attributes = [("r", ref)] if style is None else [("r", ref), ("s", style)]
    if style is not None and _STYLE_INDEX.fullmatch(style) is None:
        return None
    if isinstance(value, str):
        text = plain_newlines(value)
        if _PLAIN.fullmatch(text) is None:
            return None
        attributes.append(("t", "inlineStr"))
        if needs_quote_prefix(text):  # set on the element as `fill_cell` does: in place, or after `t`
            quoted = str(quoted_style(int(style if style is not None else "0")))
            attributes = [(name, quoted if name == "s" else given) for name, given in attributes] \
                if style is not None else [*attributes, ("s", quoted)]
        space = f' {_XML_SPACE_ATTRIBUTE}="preserve"' if text != text.strip() or "\n" in text else ""
        body = f"<is><t{space}>{text.translate(_TEXT_ESCAPES)}</t></is>"
    elif isinstance(value, bool):
        text = "1" if value else "0"
        attributes.append(("t", "b"))
        body = f"<v>{text}</v>"
    elif isinstance(value, date | int | float):
        number = excel_serial(value, date1904) if isinstance(value, date) else value
        text = repr(number) if isinstance(number, float) else str(number)
        body = f"<v>{text}</v>"
    else:
        return None
    shown = dict(attributes)
    start = " ".join(f'{name}="{given}"' for name, given in attributes)  # a reference, digits, a kind: no escapes
    return f"<c {start}>{body}</c>", text, int(shown.get("s", "0"))


_XML_SPACE_ATTRIBUTE = "xml:space"


def styles_by_column(root: etree._Element) -> dict[int, str]:
    """Column number -> the style officers (or the builder) set on the whole column."""
    styles: dict[int, str] = {}
    cols = root.find(f"{M}cols")
    if cols is None:
        return styles
    for col in cols.iterchildren(f"{M}col"):
        if col.get("style") is not None:
            for number in range(int(col.get("min")), int(col.get("max")) + 1):
                styles[number] = col.get("style")
                if number > 16384:
                    break
    return styles


def find_or_insert_cell(row: etree._Element, address: str, column: int) -> etree._Element:
    """The cell at `address` in `row`, inserted in column order (and the row's spans widened) if missing."""
    for cell in row.iterchildren(f"{M}c"):
        ref = cell.get("r")
        if ref == address:
            return cell
        if ref and column_of(ref) > column:
            new = etree.Element(f"{M}c", r=address)
            cell.addprevious(new)
            return new
    new = etree.SubElement(row, f"{M}c", r=address)
    spans = row.get("spans")
    if spans and ":" in spans:
        low, high = (int(x) for x in spans.split(":"))
        if column > high or column < low:
            row.set("spans", f"{min(low, column)}:{max(high, column)}")
    return new


#: How many shared strings are cut from the table at first (Appendix 1's are first after a save).
_FIRST_STRINGS = 512


class SharedStrings:
    """The shared strings part, inflated and parsed only as far as the strings asked for: after Excel
    saves, it holds every string of every sheet (the whole Change log's), and a row height needs a few."""

    def __init__(self, parts: Mapping[str, bytes], stream: Callable[[str], IO[bytes]] | None = None,
                 identity: Callable[[str], Hashable | None] | None = None):
        """`identity`: what a part's bytes are known by (`KeptParts.key`), so that a cut of the table kept from
        an earlier package of the same bytes is taken without inflating it (`scanned_items`)."""
        self._parts, self._stream, self._identity = parts, stream, identity
        self._strings: _Texts = _Texts()
        self._string_events = None
        self._skip = 0
        self._scannable, self._complete = True, False

    def _read_scanned(self, last: int) -> None:
        """The strings up to `last` at least (all when fewer), from the start of the part cut by its end tags."""
        identity = self._identity("xl/sharedStrings.xml") if self._identity is not None else None
        scanned = scanned_items(self._source, last, identity)  # the last package's, when the items are the same bytes
        if scanned is None:  # not a table the scan is sure of: iterparse reads it
            self._scannable = False
            return
        items, self._complete = scanned
        self._strings = _Texts(items)

    def _source(self) -> IO[bytes]:
        name = "xl/sharedStrings.xml"
        if name not in self._parts:
            return io.BytesIO(b"<sst/>")
        return self._stream(name) if self._stream is not None else io.BytesIO(self._parts[name])

    def text(self, index: int) -> str:
        """Shared string `index`, inflating and parsing the shared strings part only as far as needed: cut by
        `strings_prefix` (a few hundred items at a time) and parsed whole, else item by item with iterparse."""
        if index >= len(self._strings) and self._string_events is None and self._scannable:
            self._read_scanned(max(index, 2 * len(self._strings), _FIRST_STRINGS - 1))
        if index < len(self._strings) or (self._string_events is None and self._complete):
            return self._strings[index] if index < len(self._strings) else ""
        if self._string_events is None:
            self._string_events = etree.iterparse(self._source(), events=("end",), tag=f"{M}si")
            # A table the scan read a start of before it met what it is unsure of: iterparse starts again at the
            # table's first item, and the items held already are not appended a second time.
            self._skip = len(self._strings)
        for _, item in self._string_events:
            if self._skip:
                self._skip -= 1
                continue
            self._strings.append("".join(t.text or "" for t in item.iter(f"{M}t")))
            if len(self._strings) > index:
                break
        return self._strings[index] if index < len(self._strings) else ""

    def texts_made(self) -> int:
        """How many strings were made text so far (a row height needs its row's, not the table's)."""
        return self._strings.made


class _Texts:
    """Shared string items, each made text (its runs joined) only when asked for: the table is cut at a few
    hundred items and parsed at once, and a row height reads a dozen of them."""

    def __init__(self, items: Iterable[etree._Element | str] = ()):
        self._items: list[etree._Element | str] = list(items)
        self.made = 0

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: int) -> str:
        item = self._items[index]
        if not isinstance(item, str):
            item = self._items[index] = "".join(t.text or "" for t in item.iter(f"{M}t"))
            self.made += 1
        return item

    def append(self, text: str) -> None:
        self._items.append(text)
        self.made += 1


_INLINE, _VALUE = f"{M}is", f"{M}v"


def cell_text(cell: etree._Element, strings: SharedStrings, no_entities: bool = False) -> str:
    """A cell's text as shown: inline, shared or the value as written. `no_entities`: the cell's document has no
    document type declaration, so no entity references (which the text serialisation gives expanded, where
    `itertext` gives them as written): an inline string's text is then serialised at once, an element proxy for
    each of its runs not made (a row height reads every cell of the row)."""
    kind = cell.get("t")
    if kind == "inlineStr":
        for inline in cell.iterchildren(_INLINE):  # the first, as `find` gives it, without its path's parse
            if no_entities:
                return etree.tostring(inline, method="text", encoding=str, with_tail=False)
            return "".join(inline.itertext())
        return ""
    for value in cell.iterchildren(_VALUE):
        if value.text is None:
            return ""
        return strings.text(int(value.text)) if kind == "s" else value.text
    return ""
