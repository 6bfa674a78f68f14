"""The workbook's sheet list and new sheet parts: sheet names to parts, sheet-local defined names (the
autofilter's hidden range, print titles), and a new worksheet registered everywhere Excel looks for it."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from lxml import etree

from shared.domain.bounded import Bounded
from shared.domain.schema import column_letter, split_address
from shared.xlsx.ooxml import PARSER, PKG_REL_NS, REL_NS, STRICT_NS, M, PackageError, serialise

WORKSHEET_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
FILTER = re.compile(rb'<autoFilter ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')
#: What the sheet list says (date system, sheets' parts), by the exact bytes of xl/workbook.xml (less its
#: defined names, `_list_key`) and its relationships: every update opens a new package of the same workbook,
#: whose sheet list is the same bytes until a sheet is added or renamed (other bytes, read anew). Only bytes
#: are compared: never stale.
_listed: Bounded[tuple[bool, tuple[tuple[str, str], ...]]] = Bounded(8)
#: The defined names block as Excel and LibreOffice write it: `definedName` elements holding text alone. An
#: update moves the Change log's `_FilterDatabase` range in it, so a key with it changed at every update and
#: the sheet list was parsed again by every update and every read after one (a workbook LibreOffice saved
#: keeps that name). Anything else in the block (another element, a comment, CDATA) does not match, and the
#: whole file is the key.
_DEFINED_NAMES = re.compile(rb"<definedNames>(?:\s*<definedName\b[^<>]*(?:/>|>[^<]*</definedName>))*\s*</definedNames>")


def _list_key(workbook_xml: bytes) -> bytes:
    """xl/workbook.xml without its defined names, which say nothing of the date system or the sheets' parts:
    a name's text holds no tag, so what is cut holds no `sheet` or `workbookPr` element."""
    return _DEFINED_NAMES.sub(b"", workbook_xml, count=1)


class Sheets:
    """xl/workbook.xml and its relationships: the sheets by name, and the parts a new sheet needs. Given the
    package's parts and its changed parts (not the package: no reference cycle keeps it alive)."""

    def __init__(self, path: Path, parts: Mapping[str, bytes], changed: dict[str, bytes]):
        self._parts, self._changed = parts, changed
        workbook_xml = parts.get("xl/workbook.xml")
        if workbook_xml is None:
            raise PackageError(f"{path} has no xl/workbook.xml: it is not an Excel workbook.")
        if STRICT_NS.encode() in workbook_xml[:2000]:
            raise PackageError("The workbook is saved as Strict Open XML; save it as a normal "
                               "Excel Workbook (.xlsx) so updates can be written.")
        rels_xml = parts["xl/_rels/workbook.xml.rels"]
        self._xml = (workbook_xml, rels_xml)
        self._workbook: etree._Element | None = None
        self._rels: etree._Element | None = None
        # The exact bytes first (an update that moved no defined name: a dict lookup), then without the
        # defined names (a regular expression over the part), under which a new list is kept too.
        found = _listed.get(self._xml)
        if found is None:
            key = (_list_key(workbook_xml), rels_xml)
            found = _listed.get(key)
            if found is None:
                found = self._list()
                _listed.keep(key, found)
            _listed.keep(self._xml, found)
        self.date1904 = found[0]
        self.sheet_parts: dict[str, str] = dict(found[1])

    @property
    def workbook(self) -> etree._Element:
        """xl/workbook.xml parsed, the first time it is asked for (an update that adds no sheet and sets no
        defined name never does)."""
        if self._workbook is None:
            self._workbook = etree.fromstring(self._xml[0], PARSER)
        return self._workbook

    @property
    def rels(self) -> etree._Element:
        """xl/_rels/workbook.xml.rels parsed, the first time it is asked for."""
        if self._rels is None:
            self._rels = etree.fromstring(self._xml[1], PARSER)
        return self._rels

    def _list(self) -> tuple[bool, tuple[tuple[str, str], ...]]:
        """(the 1904 date system, (sheet name, part) in the workbook's order), read from the parsed parts."""
        pr = self.workbook.find(f"{M}workbookPr")
        date1904 = pr is not None and pr.get("date1904") in ("1", "true")
        targets = {rel.get("Id"): rel.get("Target") for rel in self.rels}
        sheet_parts: dict[str, str] = {}
        for sheet in self.workbook.iter(f"{M}sheet"):
            sheet_parts[sheet.get("name")] = _part_name(targets.get(sheet.get(f"{{{REL_NS}}}id"), ""))
        return date1904, tuple(sheet_parts.items())

    def _sheet_index(self, sheet_name: str) -> int:
        names = [sheet.get("name") for sheet in self.workbook.iter(f"{M}sheet")]
        return names.index(sheet_name)

    def defined_names(self, name: str, sheet_name: str) -> list[etree._Element]:
        index = str(self._sheet_index(sheet_name))
        return [item for item in self.workbook.iter(f"{M}definedName")
                if item.get("name") == name and item.get("localSheetId") == index]

    def defined_name(self, name: str, sheet_name: str) -> etree._Element:
        """The sheet-local defined name `name`, created if missing; workbook.xml is marked changed."""
        found = self.defined_names(name, sheet_name)
        if found:
            return found[0]
        names = self.workbook.find(f"{M}definedNames")
        if names is None:
            names = etree.Element(f"{M}definedNames")
            anchor = None
            for tag in ("externalReferences", "functionGroups", "sheets"):
                anchor = self.workbook.find(f"{M}{tag}")
                if anchor is not None:
                    break
            anchor.addnext(names)
        item = etree.SubElement(names, f"{M}definedName", name=name,
                                localSheetId=str(self._sheet_index(sheet_name)))
        return item

    def set_filter_name(self, sheet_name: str, top: int, last: int, low: int, high: int,
                        only_if_present: bool = False) -> None:
        """The hidden `_FilterDatabase` name Excel keeps beside a sheet's autofilter, set to its range."""
        if only_if_present and not self.defined_names("_xlnm._FilterDatabase", sheet_name):
            return
        item = self.defined_name("_xlnm._FilterDatabase", sheet_name)
        item.set("hidden", "1")
        item.text = (f"{quoted_sheet(sheet_name)}!${column_letter(low - 1)}${top}:"
                     f"${column_letter(high - 1)}${last}")
        self.flush()

    def add_sheet(self, name: str, xml: bytes) -> None:
        """Register a new worksheet part at the end of the sheet list: the workbook's sheet list and
        relationships, the content types, and the sheet titles in docProps/app.xml when it lists them."""
        taken = set(self._parts) | set(self._changed)
        number = 1
        while f"xl/worksheets/sheet{number}.xml" in taken:
            number += 1
        part = f"xl/worksheets/sheet{number}.xml"
        self._changed[part] = xml
        ids = {rel.get("Id") for rel in self.rels}
        rel_number = 1
        while f"rId{rel_number}" in ids:
            rel_number += 1
        etree.SubElement(self.rels, f"{{{PKG_REL_NS}}}Relationship", Id=f"rId{rel_number}",
                         Type=WORKSHEET_REL, Target=f"/{part}")
        sheets = self.workbook.find(f"{M}sheets")
        sheet_id = 1 + max((int(sheet.get("sheetId", "0")) for sheet in sheets), default=0)
        sheet = etree.SubElement(sheets, f"{M}sheet", name=name, sheetId=str(sheet_id), nsmap={"r": REL_NS})
        sheet.set(f"{{{REL_NS}}}id", f"rId{rel_number}")
        self.sheet_parts[name] = part
        types = etree.fromstring(self._current("[Content_Types].xml"), PARSER)
        etree.SubElement(types, f"{{{TYPES_NS}}}Override", PartName=f"/{part}", ContentType=WORKSHEET_TYPE)
        self._changed["[Content_Types].xml"] = serialise(types)
        self._changed["xl/_rels/workbook.xml.rels"] = serialise(self.rels)
        self.flush()
        if "docProps/app.xml" in self._parts:
            app = _add_title(self._current("docProps/app.xml"), name)
            if app is not None:
                self._changed["docProps/app.xml"] = app

    def _current(self, part: str) -> bytes:
        """A workbook-level part as it stands (changed, or as in the file)."""
        return self._changed[part] if part in self._changed else self._parts[part]

    def flush(self) -> None:
        """Mark workbook.xml changed, as it now stands."""
        self._changed["xl/workbook.xml"] = serialise(self.workbook)

    def grow_filter(self, sheet_name: str, data: bytes, old_last: int, new_last: int) -> bytes:
        """An autofilter that reached the old last row reaches the new one (and its hidden defined name)."""
        found = FILTER.search(data, data.rfind(b"</sheetData>"))
        if not found or int(found.group(4)) != old_last:
            return data
        ref = found.group(1) + found.group(2) + b":" + found.group(3) + str(new_last).encode()
        low = split_address(found.group(1).decode() + "1")[0]
        high = split_address(found.group(3).decode() + "1")[0]
        self.set_filter_name(sheet_name, int(found.group(2)), new_last, low, high, only_if_present=True)
        return data[:found.start()] + b'<autoFilter ref="' + ref + b'"' + data[found.end():]


@functools.lru_cache(maxsize=256)
def _part_name(target: str) -> str:
    """Zip name of a part from a workbook relationship's target (relative to xl/, or absolute)."""
    part = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
    return os.path.normpath(part).replace(os.sep, "/")


def quoted_sheet(sheet_name: str) -> str:
    """A sheet name as formulas and defined names quote it: 'Change log'."""
    return "'" + sheet_name.replace("'", "''") + "'"


def _add_title(app_xml: bytes, name: str) -> bytes | None:
    """docProps/app.xml with one more worksheet title (Excel checks the count against the list), or
    None when it lists no titles or lists them in a way this does not recognise (then left as it is)."""
    root = etree.fromstring(app_xml, PARSER)
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
            return serialise(root)
        offset += int(number.text)
    return None
