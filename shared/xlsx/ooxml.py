"""What every room of the .xlsx writer shares: the Open XML names, one parser, serialising a part, and the
one error the writer raises (PackageError: the file holds something it cannot edit without loss)."""

from __future__ import annotations

from lxml import etree

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
STRICT_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
#: The main namespace as an element tag prefix: f"{M}sheetData".
M = f"{{{MAIN_NS}}}"
PARSER = etree.XMLParser(huge_tree=True, remove_blank_text=False, resolve_entities=False)


class PackageError(Exception):
    """The package holds something the write path cannot edit without loss; nothing was written."""


def text_key(value: object) -> str:
    """Header text as compared: spaces collapsed, case folded (officers retype headers)."""
    return " ".join(str(value).split()).casefold()


def serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
