"""Test helper: add Excel-only "officer extras" to an .xlsx package.

Council officers open the generated workbooks in Excel and add things that
openpyxl does not round-trip (threaded comments, shapes, pictures, x14
drop-downs, add-in task panes, ...).  The helpers here fake those edits by
editing the OPC package directly with :mod:`zipfile` and :mod:`lxml` - never
through openpyxl - so tests can check that the project preserves (or at least
survives) them.

Public API:

* :func:`add_officer_extras` - copy a workbook, adding the six extras.
* :func:`extras_present` - report which of the six extras a package contains.

This module contains no tests itself.
"""

from __future__ import annotations

import pathlib
import posixpath
import re
import struct
import uuid
import zipfile
import zlib
from urllib.parse import unquote

from lxml import etree

__all__ = ["add_officer_extras", "extras_present"]

# --------------------------------------------------------------------------
# Namespaces, relationship types and content types
# --------------------------------------------------------------------------

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PR = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
X14 = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
XM = "http://schemas.microsoft.com/office/excel/2006/main"
TC = "http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments"
XR = "http://schemas.microsoft.com/office/spreadsheetml/2014/revision"
V = "urn:schemas-microsoft-com:vml"
O = "urn:schemas-microsoft-com:office:office"  # noqa: E741 (the VML prefix)
X = "urn:schemas-microsoft-com:office:excel"
WE = "http://schemas.microsoft.com/office/webextensions/webextension/2010/11"
WETP = "http://schemas.microsoft.com/office/webextensions/taskpanes/2010/11"

_OFFDOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
RT_OFFICE_DOCUMENT = f"{_OFFDOC}/officeDocument"
RT_WORKSHEET = f"{_OFFDOC}/worksheet"
RT_DRAWING = f"{_OFFDOC}/drawing"
RT_IMAGE = f"{_OFFDOC}/image"
RT_COMMENTS = f"{_OFFDOC}/comments"
RT_VML = f"{_OFFDOC}/vmlDrawing"
RT_THREADED_COMMENT = "http://schemas.microsoft.com/office/2017/10/relationships/threadedComment"
RT_PERSON = "http://schemas.microsoft.com/office/2017/10/relationships/person"
RT_TASKPANES = "http://schemas.microsoft.com/office/2011/relationships/webextensiontaskpanes"
RT_WEBEXTENSION = "http://schemas.microsoft.com/office/2011/relationships/webextension"

_OXML = "application/vnd.openxmlformats-officedocument"
CT_DRAWING = f"{_OXML}.drawing+xml"
CT_VML = f"{_OXML}.vmlDrawing"
CT_COMMENTS = f"{_OXML}.spreadsheetml.comments+xml"
CT_THREADED_COMMENTS = "application/vnd.ms-excel.threadedcomments+xml"
CT_PERSON = "application/vnd.ms-excel.person+xml"
CT_PNG = "image/png"
CT_WEBEXTENSION = "application/vnd.ms-office.webextension+xml"
CT_TASKPANES = "application/vnd.ms-office.webextensiontaskpanes+xml"

X14_DV_URI = "{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}"
X14_CF_URI = "{78C0D931-6437-407d-A8EE-F0AAD7539E65}"

# What the extras contain (module constants so tests can refer to them).
COMMENT_CELL = "B5"
COMMENT_TEXT = "Officer query: please confirm this figure with Finance before Cabinet."
COMMENT_AUTHOR = "Test Officer"
COMMENT_DATE = "2024-05-01T09:30:00.00"
SHAPE_TEXT = "Draft - figures subject to change"
LIST_FORMULA = "Lists!$A$2:$A$6"
DEFINED_NAME = "OfficerNotes"
FIRST_X14_COLUMN = 13  # M

# Deterministic GUIDs so the output is reproducible run to run.
_GUID_NS = uuid.UUID("6f1c1d2e-4b8a-4c63-9a51-0f1e2d3c4b5a")


def _guid(label: str) -> str:
    return "{" + str(uuid.uuid5(_GUID_NS, label)).upper() + "}"


# CT_Worksheet child order (ECMA-376 Part 1, 18.3.1.99).
_WORKSHEET_ORDER = [
    "sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData",
    "sheetCalcPr", "sheetProtection", "protectedRanges", "scenarios", "autoFilter",
    "sortState", "dataConsolidate", "customSheetViews", "mergeCells", "phoneticPr",
    "conditionalFormatting", "dataValidations", "hyperlinks", "printOptions",
    "pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks",
    "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing",
    "legacyDrawing", "legacyDrawingHF", "drawingHF", "picture", "oleObjects",
    "controls", "webPublishItems", "tableParts", "extLst",
]

# CT_Workbook child order (ECMA-376 Part 1, 18.2.27).
_WORKBOOK_ORDER = [
    "fileVersion", "fileSharing", "workbookPr", "workbookProtection", "bookViews",
    "sheets", "functionGroups", "externalReferences", "definedNames", "calcPr",
    "oleSize", "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes",
    "webPublishing", "fileRecoveryPr", "webPublishObjects", "extLst",
]

_EMU_PER_PX = 9525


# --------------------------------------------------------------------------
# Small XML helpers
# --------------------------------------------------------------------------


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def _order_name(el, ns: str) -> str | None:
    """The name that decides where `el` sits in a sequence of `ns` elements.

    mc:AlternateContent (Excel wraps e.g. <controls>/<oleObjects> in it) takes
    the name of the element inside its first mc:Choice.
    """
    if not isinstance(el.tag, str):
        return None
    qn = etree.QName(el)
    if qn.namespace == MC and qn.localname == "AlternateContent":
        for choice in el:
            for inner in choice:
                if isinstance(inner.tag, str) and etree.QName(inner).namespace == ns:
                    return etree.QName(inner).localname
        return None
    return qn.localname if qn.namespace == ns else None


def _insert_ordered(parent, child, order: list[str]):
    """Insert `child` into `parent` respecting the schema sequence `order`."""
    ns = etree.QName(parent).namespace
    pos = order.index(etree.QName(child).localname)
    for existing in parent:
        name = _order_name(existing, ns)
        if name in order and order.index(name) > pos:
            existing.addprevious(child)
            return child
    parent.append(child)
    return child


def _parse(data: bytes):
    parser = etree.XMLParser(resolve_entities=False, huge_tree=True, remove_blank_text=False)
    return etree.fromstring(data, parser)


_XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'


def _serialize(root, declaration: bool = True) -> bytes:
    body = etree.tostring(root, encoding="UTF-8", xml_declaration=False)
    return _XML_DECLARATION + body if declaration else body


def _col_letters(n: int) -> str:
    s = ""
    while n:
        n, rem = divmod(n - 1, 26)
        s = chr(65 + rem) + s
    return s


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def _quote_sheet(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


# --------------------------------------------------------------------------
# OPC package model
# --------------------------------------------------------------------------


def _rels_name(part: str) -> str:
    """Relationship part for `part` ("" is the package itself)."""
    directory, base = posixpath.split(part)
    return posixpath.join(directory, "_rels", f"{base}.rels")


def _resolve(source: str, target: str) -> str:
    target = unquote(target)
    if target.startswith("/"):
        return posixpath.normpath(target[1:])
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


def _relative(source: str, target: str) -> str:
    return posixpath.relpath(target, posixpath.dirname(source) or ".")


class _Package:
    """An .xlsx held in memory; parts are edited as lxml trees and re-serialised on save."""

    def __init__(self, path: pathlib.Path):
        with zipfile.ZipFile(path) as zf:
            self.infos = zf.infolist()
            self.data = {info.filename: zf.read(info) for info in self.infos}
        self._lower = {name.lower(): name for name in self.data}
        self._trees: dict[str, object] = {}
        self.dirty: set[str] = set()
        self.new: list[str] = []

    # ---- parts -----------------------------------------------------------
    def has(self, part: str) -> bool:
        return part.lower() in self._lower

    def _canonical(self, part: str) -> str:
        return self._lower[part.lower()]

    def xml(self, part: str):
        part = self._canonical(part)
        if part not in self._trees:
            self._trees[part] = _parse(self.data[part])
        return self._trees[part]

    def touch(self, part: str) -> None:
        self.dirty.add(self._canonical(part))

    def add_part(self, part: str, content, content_type: str | None = None) -> None:
        if self.has(part):
            raise ValueError(f"part {part!r} already exists")
        if isinstance(content, bytes):
            self.data[part] = content
        else:
            self._trees[part] = content
            self.data[part] = b""
            self.dirty.add(part)
        self._lower[part.lower()] = part
        self.new.append(part)
        if content_type is not None:
            self.set_override(part, content_type)

    def free_name(self, template: str) -> str:
        n = 1
        while self.has(template.format(n)):
            n += 1
        return template.format(n)

    # ---- relationships ---------------------------------------------------
    def rels(self, source: str, create: bool = False):
        name = _rels_name(source)
        if self.has(name):
            return self.xml(name)
        if not create:
            return None
        root = etree.Element(_q(PR, "Relationships"), nsmap={None: PR})
        self.add_part(name, root)
        return root

    def related(self, source: str, rel_type: str) -> list[tuple[str, str]]:
        """[(rId, target part name)] of internal relationships of `rel_type`."""
        root = self.rels(source)
        if root is None:
            return []
        out = []
        for rel in root.iter(_q(PR, "Relationship")):
            if rel.get("Type") == rel_type and rel.get("TargetMode", "Internal") != "External":
                out.append((rel.get("Id"), _resolve(source, rel.get("Target"))))
        return out

    def target_of(self, source: str, rid: str) -> str | None:
        root = self.rels(source)
        if root is None:
            return None
        for rel in root.iter(_q(PR, "Relationship")):
            if rel.get("Id") == rid:
                return _resolve(source, rel.get("Target"))
        return None

    def add_rel(self, source: str, rel_type: str, target: str) -> str:
        root = self.rels(source, create=True)
        used = {rel.get("Id") for rel in root.iter(_q(PR, "Relationship"))}
        n = 1
        while f"rId{n}" in used:
            n += 1
        rid = f"rId{n}"
        etree.SubElement(
            root, _q(PR, "Relationship"),
            Id=rid, Type=rel_type, Target=_relative(source, target),
        )
        self.touch(_rels_name(source))
        return rid

    # ---- content types ---------------------------------------------------
    def set_override(self, part: str, content_type: str) -> None:
        root = self.xml("[Content_Types].xml")
        name = "/" + part
        for ov in root.iter(_q(CT, "Override")):
            if ov.get("PartName", "").lower() == name.lower():
                ov.set("ContentType", content_type)
                break
        else:
            etree.SubElement(root, _q(CT, "Override"), PartName=name, ContentType=content_type)
        self.touch("[Content_Types].xml")

    def ensure_default(self, extension: str, content_type: str) -> None:
        root = self.xml("[Content_Types].xml")
        for d in root.iter(_q(CT, "Default")):
            if d.get("Extension", "").lower() == extension.lower():
                return
        el = etree.Element(_q(CT, "Default"), Extension=extension, ContentType=content_type)
        defaults = list(root.iter(_q(CT, "Default")))
        if defaults:
            defaults[-1].addnext(el)
        else:
            root.insert(0, el)
        self.touch("[Content_Types].xml")

    # ---- output ----------------------------------------------------------
    def save(self, dst: pathlib.Path) -> None:
        for part in self.dirty:
            # Excel writes VML without an XML declaration.
            declaration = not part.lower().endswith(".vml")
            self.data[part] = _serialize(self._trees[part], declaration)
        names = [info.filename for info in self.infos]
        infos = {info.filename: info for info in self.infos}
        # [Content_Types].xml first, as Excel writes it.
        order = sorted(names, key=lambda n: n != "[Content_Types].xml") + self.new
        dst.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zf:
            for name in order:
                info = infos.get(name)
                if info is None:
                    info = zipfile.ZipInfo(name, date_time=(2024, 5, 1, 9, 30, 0))
                    info.compress_type = zipfile.ZIP_DEFLATED
                    info.external_attr = 0o600 << 16
                zf.writestr(info, self.data[name])

    # ---- workbook / sheet lookup ------------------------------------------
    def workbook_part(self) -> str:
        found = self.related("", RT_OFFICE_DOCUMENT)
        if found and self.has(found[0][1]):
            return found[0][1]
        return "xl/workbook.xml"

    def sheet_part(self, sheet_name: str) -> str:
        wb = self.workbook_part()
        root = self.xml(wb)
        names = []
        for sheet in root.iter(_q(MAIN, "sheet")):
            names.append(sheet.get("name"))
            if sheet.get("name") == sheet_name:
                rid = sheet.get(_q(R, "id"))
                target = self.target_of(wb, rid)
                if target is None or not self.has(target):
                    raise ValueError(f"sheet {sheet_name!r} has a dangling relationship {rid!r}")
                return target
        raise KeyError(f"no sheet named {sheet_name!r} in workbook (sheets: {names})")


# --------------------------------------------------------------------------
# Tiny PNG
# --------------------------------------------------------------------------


def _png(width: int = 16, height: int = 16) -> bytes:
    """A small valid RGB PNG (council-ish crest: blue with a yellow diagonal)."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (struct.pack(">I", len(payload)) + kind + payload
                + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF))

    raw = bytearray()
    for y in range(height):
        raw.append(0)  # filter type: None
        for x in range(width):
            raw += b"\xff\xd7\x00" if abs(x - y) <= 1 else b"\x1f\x3a\x93"
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + chunk(b"IEND", b""))


# --------------------------------------------------------------------------
# The individual extras
# --------------------------------------------------------------------------


def _max_used_column(ws) -> int:
    cols = [0]
    dim = ws.find(_q(MAIN, "dimension"))
    refs = [dim.get("ref", "")] if dim is not None else []
    sheet_data = ws.find(_q(MAIN, "sheetData"))
    if sheet_data is not None:
        refs += [c.get("r", "") for c in sheet_data.iter(_q(MAIN, "c"))]
    for ref in refs:
        cols += [_col_number(m) for m in re.findall(r"\$?([A-Za-z]{1,3})\$?\d+", ref)]
    return max(cols)


def _add_threaded_comment(pkg: _Package, sheet: str, ws) -> str:
    wb = pkg.workbook_part()
    comment_id = _guid(f"threaded-comment:{sheet}:{COMMENT_CELL}")
    person_id = _guid(f"person:{COMMENT_AUTHOR}")

    # persons (one part per workbook)
    persons = pkg.related(wb, RT_PERSON)
    if persons:
        person_part = persons[0][1]
        plist = pkg.xml(person_part)
    else:
        person_part = "xl/persons/person.xml"
        if pkg.has(person_part):
            person_part = pkg.free_name("xl/persons/person{}.xml")
        plist = etree.Element(_q(TC, "personList"), nsmap={None: TC, "x": MAIN})
        pkg.add_part(person_part, plist, CT_PERSON)
        pkg.add_rel(wb, RT_PERSON, person_part)
    if not any(p.get("id") == person_id for p in plist.iter(_q(TC, "person"))):
        etree.SubElement(plist, _q(TC, "person"), displayName=COMMENT_AUTHOR,
                         id=person_id, userId=COMMENT_AUTHOR, providerId="None")
        pkg.touch(person_part)

    # threaded comments part for the sheet
    existing = pkg.related(sheet, RT_THREADED_COMMENT)
    if existing:
        tc_part = existing[0][1]
        tc_root = pkg.xml(tc_part)
        if any(t.get("ref") == COMMENT_CELL for t in tc_root.iter(_q(TC, "threadedComment"))):
            raise ValueError(f"{sheet} already has a threaded comment on {COMMENT_CELL}")
        pkg.touch(tc_part)
    else:
        tc_part = pkg.free_name("xl/threadedComments/threadedComment{}.xml")
        tc_root = etree.Element(_q(TC, "ThreadedComments"), nsmap={None: TC, "x": MAIN})
        pkg.add_part(tc_part, tc_root, CT_THREADED_COMMENTS)
        pkg.add_rel(sheet, RT_THREADED_COMMENT, tc_part)
    tc = etree.SubElement(tc_root, _q(TC, "threadedComment"), ref=COMMENT_CELL,
                          dT=COMMENT_DATE, personId=person_id, id=comment_id)
    etree.SubElement(tc, _q(TC, "text")).text = COMMENT_TEXT

    _add_legacy_comment(pkg, sheet, ws, comment_id)
    return tc_part


def _add_legacy_comment(pkg: _Package, sheet: str, ws, comment_id: str) -> None:
    """The comments part + VML note Excel writes as a fallback for a threaded comment."""
    author = f"tc={comment_id}"
    text = ("[Threaded comment]\n\nYour version of Excel allows you to read this threaded "
            "comment; however, any edits to it will get removed if the file is opened in a "
            "newer version of Excel. Learn more: https://go.microsoft.com/fwlink/?linkid=870924"
            f"\n\nComment:\n    {COMMENT_TEXT}")

    existing = pkg.related(sheet, RT_COMMENTS)
    if existing:
        cm_part = existing[0][1]
        cm_root = pkg.xml(cm_part)
        if any(c.get("ref") == COMMENT_CELL for c in cm_root.iter(_q(MAIN, "comment"))):
            raise ValueError(f"{sheet} already has a note on {COMMENT_CELL}")
        pkg.touch(cm_part)
    else:
        cm_part = pkg.free_name("xl/comments{}.xml")
        cm_root = etree.Element(_q(MAIN, "comments"), nsmap={None: MAIN, "mc": MC, "xr": XR})
        cm_root.set(_q(MC, "Ignorable"), "xr")
        etree.SubElement(cm_root, _q(MAIN, "authors"))
        etree.SubElement(cm_root, _q(MAIN, "commentList"))
        pkg.add_part(cm_part, cm_root, CT_COMMENTS)
        pkg.add_rel(sheet, RT_COMMENTS, cm_part)
    authors = cm_root.find(_q(MAIN, "authors"))
    if authors is None:
        authors = etree.Element(_q(MAIN, "authors"))
        cm_root.insert(0, authors)
    etree.SubElement(authors, _q(MAIN, "author")).text = author
    clist = cm_root.find(_q(MAIN, "commentList"))
    if clist is None:
        clist = etree.Element(_q(MAIN, "commentList"))
        authors.addnext(clist)
    comment = etree.SubElement(clist, _q(MAIN, "comment"), ref=COMMENT_CELL,
                               authorId=str(len(authors) - 1), shapeId="0")
    if cm_root.nsmap.get("xr") == XR and "xr" in cm_root.get(_q(MC, "Ignorable"), "").split():
        # Excel ties the fallback note to its thread with xr:uid; only safe where
        # xr is declared ignorable (an undeclared extension attribute breaks Excel).
        comment.set(_q(XR, "uid"), comment_id)
    t = etree.SubElement(etree.SubElement(comment, _q(MAIN, "text")), _q(MAIN, "t"))
    t.text = text
    t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")

    # VML note shape
    legacy = ws.find(_q(MAIN, "legacyDrawing"))
    if legacy is not None:
        vml_part = pkg.target_of(sheet, legacy.get(_q(R, "id")))
        try:
            vml = pkg.xml(vml_part)
        except etree.XMLSyntaxError as exc:  # old Excel VML is not always well-formed
            raise ValueError(f"cannot extend non-XML VML part {vml_part}: {exc}") from exc
        pkg.touch(vml_part)
        idmap = vml.find(f"{{{O}}}shapelayout/{{{O}}}idmap")
        block = int(re.split(r"[ ,]", idmap.get("data"))[0]) if idmap is not None else 1
    else:
        # Each VML drawing in the workbook gets its own block of 1024 shape ids.
        blocks = [0]
        for name, data in pkg.data.items():
            if name.lower().endswith(".vml"):
                blocks += [int(b) for m in re.findall(rb'data="([\d, ]+)"', data)
                           for b in re.split(rb"[ ,]+", m.strip()) if b]
        block = max(blocks) + 1
        vml_part = pkg.free_name("xl/drawings/vmlDrawing{}.vml")
        vml = etree.Element("xml", nsmap={"v": V, "o": O, "x": X})
        layout = etree.SubElement(vml, _q(O, "shapelayout"))
        layout.set(_q(V, "ext"), "edit")
        idmap = etree.SubElement(layout, _q(O, "idmap"), data=str(block))
        idmap.set(_q(V, "ext"), "edit")
        pkg.add_part(vml_part, vml)
        pkg.ensure_default("vml", CT_VML)
        rid = pkg.add_rel(sheet, RT_VML, vml_part)
        el = etree.Element(_q(MAIN, "legacyDrawing"), nsmap={"r": R})
        el.set(_q(R, "id"), rid)
        _insert_ordered(ws, el, _WORKSHEET_ORDER)

    if not any(st.get("id") == "_x0000_t202" for st in vml.iter(_q(V, "shapetype"))):
        st = etree.SubElement(vml, _q(V, "shapetype"), id="_x0000_t202",
                              coordsize="21600,21600", path="m,l,21600r21600,l21600,xe")
        st.set(_q(O, "spt"), "202")
        etree.SubElement(st, _q(V, "stroke"), joinstyle="miter")
        p = etree.SubElement(st, _q(V, "path"), gradientshapeok="t")
        p.set(_q(O, "connecttype"), "rect")
    used = [int(m) for s in vml.iter(_q(V, "shape"))
            for m in re.findall(r"_x0000_s(\d+)", s.get("id", ""))]
    shape_no = max(used + [block * 1024]) + 1
    shape = etree.SubElement(
        vml, _q(V, "shape"), id=f"_x0000_s{shape_no}", type="#_x0000_t202",
        style=("position:absolute;margin-left:59.25pt;margin-top:1.5pt;width:108pt;"
               "height:59.25pt;z-index:1;visibility:hidden"),
        fillcolor="#ffffe1")
    shape.set(_q(O, "insetmode"), "auto")
    etree.SubElement(shape, _q(V, "fill"), color2="#ffffe1")
    etree.SubElement(shape, _q(V, "shadow"), on="t", color="black", obscured="t")
    etree.SubElement(shape, _q(V, "path")).set(_q(O, "connecttype"), "none")
    box = etree.SubElement(shape, _q(V, "textbox"), style="mso-direction-alt:auto")
    etree.SubElement(box, "div", style="text-align:left")
    cd = etree.SubElement(shape, _q(X, "ClientData"), ObjectType="Note")
    col = _col_number(re.match(r"[A-Z]+", COMMENT_CELL).group()) - 1
    row = int(re.search(r"\d+", COMMENT_CELL).group()) - 1
    for tag, value in (("MoveWithCells", None), ("SizeWithCells", None),
                       ("Anchor", f"{col + 1}, 15, {max(row - 1, 0)}, 10, {col + 3}, 31, {row + 3}, 9"),
                       ("AutoFill", "False"), ("Row", str(row)), ("Column", str(col))):
        etree.SubElement(cd, _q(X, tag)).text = value


def _drawing_part(pkg: _Package, sheet: str, ws) -> str:
    """The sheet's DrawingML part, created (with <drawing r:id>) if missing."""
    el = ws.find(_q(MAIN, "drawing"))
    if el is not None:
        part = pkg.target_of(sheet, el.get(_q(R, "id")))
        pkg.touch(part)
        return part
    part = pkg.free_name("xl/drawings/drawing{}.xml")
    root = etree.Element(_q(XDR, "wsDr"), nsmap={"xdr": XDR, "a": A})
    pkg.add_part(part, root, CT_DRAWING)
    rid = pkg.add_rel(sheet, RT_DRAWING, part)
    el = etree.Element(_q(MAIN, "drawing"), nsmap={"r": R})
    el.set(_q(R, "id"), rid)
    _insert_ordered(ws, el, _WORKSHEET_ORDER)
    return part


def _next_shape_id(drawing) -> int:
    ids = [int(c.get("id")) for c in drawing.iter(_q(XDR, "cNvPr")) if c.get("id", "").isdigit()]
    return max(ids + [1]) + 1


def _anchor(drawing, col0: int, row0: int, col1: int, row1: int, edit_as: str | None = None):
    anchor = etree.SubElement(drawing, _q(XDR, "twoCellAnchor"))
    if edit_as:
        anchor.set("editAs", edit_as)
    for tag, (c, r) in (("from", (col0, row0)), ("to", (col1, row1))):
        pos = etree.SubElement(anchor, _q(XDR, tag))
        for name, value in (("col", c), ("colOff", 0), ("row", r), ("rowOff", 0)):
            etree.SubElement(pos, _q(XDR, name)).text = str(value)
    return anchor


def _xfrm(parent, cx: int, cy: int) -> None:
    xfrm = etree.SubElement(parent, _q(A, "xfrm"))
    etree.SubElement(xfrm, _q(A, "off"), x="0", y="0")
    etree.SubElement(xfrm, _q(A, "ext"), cx=str(cx), cy=str(cy))


def _add_shape(pkg: _Package, drawing_part: str, col0: int) -> None:
    drawing = pkg.xml(drawing_part)
    sid = _next_shape_id(drawing)
    anchor = _anchor(drawing, col0, 1, col0 + 3, 6)
    sp = etree.SubElement(anchor, _q(XDR, "sp"), macro="", textlink="")
    nv = etree.SubElement(sp, _q(XDR, "nvSpPr"))
    etree.SubElement(nv, _q(XDR, "cNvPr"), id=str(sid), name=f"TextBox {sid - 1}")
    etree.SubElement(nv, _q(XDR, "cNvSpPr"), txBox="1")
    sppr = etree.SubElement(sp, _q(XDR, "spPr"))
    _xfrm(sppr, 1828800, 952500)
    geom = etree.SubElement(sppr, _q(A, "prstGeom"), prst="roundRect")
    etree.SubElement(geom, _q(A, "avLst"))
    fill = etree.SubElement(sppr, _q(A, "solidFill"))
    etree.SubElement(fill, _q(A, "srgbClr"), val="FFF2CC")
    ln = etree.SubElement(sppr, _q(A, "ln"), w="12700")
    etree.SubElement(etree.SubElement(ln, _q(A, "solidFill")), _q(A, "srgbClr"), val="BF9000")
    body = etree.SubElement(sp, _q(XDR, "txBody"))
    etree.SubElement(body, _q(A, "bodyPr"), vertOverflow="clip", horzOverflow="clip",
                     wrap="square", rtlCol="0", anchor="t")
    etree.SubElement(body, _q(A, "lstStyle"))
    run = etree.SubElement(etree.SubElement(body, _q(A, "p")), _q(A, "r"))
    etree.SubElement(run, _q(A, "rPr"), lang="en-GB", sz="1100", b="1")
    etree.SubElement(run, _q(A, "t")).text = SHAPE_TEXT
    etree.SubElement(anchor, _q(XDR, "clientData"))


def _add_image(pkg: _Package, drawing_part: str, col0: int) -> str:
    media = pkg.free_name("xl/media/image{}.png")
    pkg.add_part(media, _png(16, 16))
    pkg.ensure_default("png", CT_PNG)
    rid = pkg.add_rel(drawing_part, RT_IMAGE, media)

    drawing = pkg.xml(drawing_part)
    sid = _next_shape_id(drawing)
    anchor = _anchor(drawing, col0, 7, col0 + 1, 9, edit_as="oneCell")
    pic = etree.SubElement(anchor, _q(XDR, "pic"))
    nv = etree.SubElement(pic, _q(XDR, "nvPicPr"))
    etree.SubElement(nv, _q(XDR, "cNvPr"), id=str(sid), name=f"Picture {sid - 1}",
                     descr="Council crest")
    locks = etree.SubElement(etree.SubElement(nv, _q(XDR, "cNvPicPr")), _q(A, "picLocks"))
    locks.set("noChangeAspect", "1")
    blip_fill = etree.SubElement(pic, _q(XDR, "blipFill"))
    blip = etree.SubElement(blip_fill, _q(A, "blip"), nsmap={"r": R})
    blip.set(_q(R, "embed"), rid)
    etree.SubElement(etree.SubElement(blip_fill, _q(A, "stretch")), _q(A, "fillRect"))
    sppr = etree.SubElement(pic, _q(XDR, "spPr"))
    _xfrm(sppr, 16 * _EMU_PER_PX, 16 * _EMU_PER_PX)
    geom = etree.SubElement(sppr, _q(A, "prstGeom"), prst="rect")
    etree.SubElement(geom, _q(A, "avLst"))
    etree.SubElement(anchor, _q(XDR, "clientData"))
    return media


def _add_x14_validation(ws, column: int) -> str:
    sqref = f"{_col_letters(column)}5:{_col_letters(column)}10"
    ext_list = ws.find(_q(MAIN, "extLst"))
    if ext_list is None:
        ext_list = _insert_ordered(ws, etree.Element(_q(MAIN, "extLst")), _WORKSHEET_ORDER)
    ext = next((e for e in ext_list if isinstance(e.tag, str) and e.get("uri") == X14_DV_URI), None)
    if ext is None:
        ext = etree.Element(_q(MAIN, "ext"), uri=X14_DV_URI, nsmap={"x14": X14})
        # Excel writes the x14 conditionalFormattings ext before the dataValidations one.
        cf = next((e for e in ext_list if isinstance(e.tag, str) and e.get("uri") == X14_CF_URI), None)
        if cf is not None:
            cf.addnext(ext)
        else:
            ext_list.insert(0, ext)
    dvs = ext.find(_q(X14, "dataValidations"))
    if dvs is None:
        dvs = etree.SubElement(ext, _q(X14, "dataValidations"), nsmap={"xm": XM})
    dv = etree.SubElement(dvs, _q(X14, "dataValidation"), type="list", allowBlank="1",
                          showInputMessage="1", showErrorMessage="1")
    etree.SubElement(etree.SubElement(dv, _q(X14, "formula1")), _q(XM, "f")).text = LIST_FORMULA
    etree.SubElement(dv, _q(XM, "sqref")).text = sqref
    dvs.set("count", str(len(dvs.findall(_q(X14, "dataValidation")))))
    return sqref


def _add_defined_name(pkg: _Package, sheet_name: str) -> str:
    wb = pkg.workbook_part()
    root = pkg.xml(wb)
    names = root.find(_q(MAIN, "definedNames"))
    if names is None:
        names = _insert_ordered(root, etree.Element(_q(MAIN, "definedNames")), _WORKBOOK_ORDER)
    existing = names.findall(_q(MAIN, "definedName"))
    if any(d.get("name", "").lower() == DEFINED_NAME.lower() and d.get("localSheetId") is None
           for d in existing):
        raise ValueError(f"workbook already defines {DEFINED_NAME!r}")
    el = etree.Element(_q(MAIN, "definedName"), name=DEFINED_NAME)
    el.text = f"{_quote_sheet(sheet_name)}!$B$5"
    # Excel keeps defined names sorted (case-insensitively); mimic that.
    after = next((d for d in existing if d.get("name", "").lower() > DEFINED_NAME.lower()), None)
    if after is not None:
        after.addprevious(el)
    else:
        names.append(el)
    pkg.touch(wb)
    return wb


def _add_addin(pkg: _Package) -> str:
    we_part = pkg.free_name("xl/webextensions/webextension{}.xml")
    we = etree.Element(_q(WE, "webextension"), nsmap={"we": WE},
                       id=_guid(f"webextension:{we_part}"))
    # A sideloaded (developer) add-in, so nothing points at a real store add-in.
    etree.SubElement(we, _q(WE, "reference"), id=_guid("officer-notes-addin"),
                     version="1.0.0.0", store="developer", storeType="Registry")
    etree.SubElement(we, _q(WE, "alternateReferences"))
    props = etree.SubElement(we, _q(WE, "properties"))
    etree.SubElement(props, _q(WE, "property"),
                     name="Office.AutoShowTaskpaneWithDocument", value="true")
    etree.SubElement(we, _q(WE, "bindings"))
    etree.SubElement(we, _q(WE, "snapshot"), nsmap={"r": R})
    pkg.add_part(we_part, we, CT_WEBEXTENSION)

    existing = pkg.related("", RT_TASKPANES)
    if existing:
        tp_part = existing[0][1]
        taskpanes = pkg.xml(tp_part)
        pkg.touch(tp_part)
    else:
        tp_part = "xl/webextensions/taskpanes.xml"
        if pkg.has(tp_part):
            tp_part = pkg.free_name("xl/webextensions/taskpanes{}.xml")
        taskpanes = etree.Element(_q(WETP, "taskpanes"), nsmap={"wetp": WETP})
        pkg.add_part(tp_part, taskpanes, CT_TASKPANES)
        pkg.add_rel("", RT_TASKPANES, tp_part)
    rid = pkg.add_rel(tp_part, RT_WEBEXTENSION, we_part)
    row = str(4 + len(taskpanes.findall(_q(WETP, "taskpane"))))
    pane = etree.SubElement(taskpanes, _q(WETP, "taskpane"), dockstate="right",
                            visibility="0", width="350", row=row)
    ref = etree.SubElement(pane, _q(WETP, "webextensionref"), nsmap={"r": R})
    ref.set(_q(R, "id"), rid)
    return we_part


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------


def add_officer_extras(src: pathlib.Path, dst: pathlib.Path,
                       sheet_name: str = "Appendix 1") -> dict[str, str]:
    """Copy the .xlsx `src` to `dst`, adding things officers put in workbooks with Excel.

    These are what openpyxl's load-and-save drops.

    On sheet `sheet_name` this adds a threaded comment on B5 (with the legacy
    comments/VML fallback Excel writes), a rounded-rectangle text box and a
    PNG picture in the sheet's drawing, an x14 cross-sheet list validation
    (``Lists!$A$2:$A$6`` on a column beyond the used range, M by default),
    the workbook-level defined name ``OfficerNotes`` -> ``'<sheet>'!$B$5``
    and an Office add-in task pane.  Parts that need no change are copied
    byte-for-byte.

    Returns ``{label: part name}`` for the labels ``threaded_comment``,
    ``shape``, ``image``, ``x14_validation``, ``defined_name`` and ``addin``.
    """
    src, dst = pathlib.Path(src), pathlib.Path(dst)
    if src.resolve() == dst.resolve():
        raise ValueError("src and dst must differ")
    pkg = _Package(src)
    sheet = pkg.sheet_part(sheet_name)
    ws = pkg.xml(sheet)
    pkg.touch(sheet)

    x14_column = max(FIRST_X14_COLUMN, _max_used_column(ws) + 2)

    result = {"threaded_comment": _add_threaded_comment(pkg, sheet, ws)}
    drawing = _drawing_part(pkg, sheet, ws)
    _add_shape(pkg, drawing, col0=x14_column)  # 0-based: the column right of the drop-downs
    result["shape"] = drawing
    _add_image(pkg, drawing, col0=x14_column)
    result["image"] = drawing
    _add_x14_validation(ws, x14_column)
    result["x14_validation"] = sheet
    result["defined_name"] = _add_defined_name(pkg, sheet_name)
    result["addin"] = _add_addin(pkg)

    pkg.save(dst)
    return result


def extras_present(path: pathlib.Path, sheet_name: str = "Appendix 1") -> dict[str, bool]:
    """Report which of the six officer extras the package at `path` contains.

    Checks by parsing the package XML (never openpyxl): a threaded comment on
    B5 of `sheet_name`; an ``xdr:sp`` and an ``xdr:pic`` (whose image part
    exists) in that sheet's drawing; an x14 list validation with formula
    ``Lists!$A$2:$A$6`` in the sheet's extLst; the ``OfficerNotes`` defined
    name pointing at the sheet's B5; and a web-extension part reached through
    a package-level taskpanes relationship.
    """
    result = dict.fromkeys(
        ("threaded_comment", "shape", "image", "x14_validation", "defined_name", "addin"), False)
    pkg = _Package(pathlib.Path(path))

    # add-in: _rels/.rels -> taskpanes -> webextension
    for _, tp_part in pkg.related("", RT_TASKPANES):
        if not pkg.has(tp_part):
            continue
        for _, we_part in pkg.related(tp_part, RT_WEBEXTENSION):
            if pkg.has(we_part) and etree.QName(pkg.xml(we_part)).text == _q(WE, "webextension"):
                result["addin"] = True

    wb = pkg.workbook_part()
    wb_root = pkg.xml(wb)
    for d in wb_root.iter(_q(MAIN, "definedName")):
        if d.get("name", "").lower() == DEFINED_NAME.lower():
            ref = (d.text or "").replace("$", "")
            result["defined_name"] = ref in (f"{_quote_sheet(sheet_name)}!B5", f"{sheet_name}!B5")

    try:
        sheet = pkg.sheet_part(sheet_name)
    except (KeyError, ValueError):
        return result
    ws = pkg.xml(sheet)

    for _, tc_part in pkg.related(sheet, RT_THREADED_COMMENT):
        if pkg.has(tc_part) and any(t.get("ref") == COMMENT_CELL
                                    for t in pkg.xml(tc_part).iter(_q(TC, "threadedComment"))):
            result["threaded_comment"] = True

    el = ws.find(_q(MAIN, "drawing"))
    drawing = pkg.target_of(sheet, el.get(_q(R, "id"))) if el is not None else None
    if drawing and pkg.has(drawing):
        droot = pkg.xml(drawing)
        result["shape"] = droot.find(f".//{_q(XDR, 'sp')}") is not None
        for blip in droot.iterfind(f".//{_q(XDR, 'pic')}//{_q(A, 'blip')}"):
            media = pkg.target_of(drawing, blip.get(_q(R, "embed"), ""))
            if media and pkg.has(media):
                result["image"] = True

    for ext in ws.iterfind(f"{_q(MAIN, 'extLst')}/{_q(MAIN, 'ext')}"):
        if ext.get("uri") != X14_DV_URI:
            continue
        for dv in ext.iterfind(f"{_q(X14, 'dataValidations')}/{_q(X14, 'dataValidation')}"):
            f = dv.find(f"{_q(X14, 'formula1')}/{_q(XM, 'f')}")
            if dv.get("type") == "list" and f is not None and f.text == LIST_FORMULA \
                    and dv.find(_q(XM, "sqref")) is not None:
                result["x14_validation"] = True
    return result
