"""Quote-prefix twins: the style a cell gets when its text must stay text is its own style plus
quotePrefix, with everything else (alignment and wrapping, protection, borders...) kept.

A twin picked by attributes and child count alone once gave a wrapped next-steps cell the Ref column's
unwrapped twin, and a long `@…` next step printed as one cut-off line.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from lxml import etree

from shared.domain import schema as s
from shared.usecases import Store, submit_update
from shared.xlsx import Package

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
COMMITTED = Path(__file__).resolve().parents[1] / "workbook" / "Appendix1.xlsx"
LONG_AT = ("@ward round with the neonatal unit each month: agree who phones every family after discharge, "
           "check the safer sleep advice was given, and bring the audit to the Infant Mortality Group.")


def _xfs(package: Package) -> list[etree._Element]:
    root = etree.fromstring(package.changed.get("xl/styles.xml", package.parts["xl/styles.xml"]))
    return list(root.find(f"{MAIN}cellXfs").iterchildren(f"{MAIN}xf"))


def _content(xf: etree._Element, quoted: bool) -> tuple:
    """The style as a comparable value, with its quote prefix stated explicitly."""
    attributes = dict(xf.attrib)
    attributes["quotePrefix"] = "1" if quoted else attributes.get("quotePrefix", "0")
    return (tuple(sorted(attributes.items())),
            tuple(etree.tostring(child, method="c14n", with_tail=False) for child in xf))


def _xml(style_part) -> bytes:
    """openpyxl's border, font or fill as XML, to compare styles of two loaded workbooks."""
    return etree.tostring(style_part.to_tree())


def _style_count() -> int:
    return len(_xfs(Package(COMMITTED)))


@pytest.mark.parametrize("style", range(_style_count()))
def test_each_committed_style_has_its_exact_twin(tmp_path, style):
    copy = tmp_path / "Appendix1.xlsx"
    shutil.copy2(COMMITTED, copy)
    package = Package(copy)
    base = _xfs(package)[style]
    twin_index = package.quoted_style(style)
    twin = _xfs(package)[twin_index]
    assert twin.get("quotePrefix") in ("1", "true")
    assert _content(twin, quoted=True) == _content(base, quoted=True)
    if base.get("quotePrefix") in ("1", "true"):
        assert twin_index == style
    else:
        assert twin_index != style
    # The builder made every twin already: finding one never changes the styles part.
    assert "xl/styles.xml" not in package.changed


def _with_styles(path: Path, extra_xfs: list[str]) -> list[int]:
    """Append cell styles (XML text) to a workbook's cellXfs; returns their indexes."""
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    root = etree.fromstring(parts["xl/styles.xml"])
    xfs = root.find(f"{MAIN}cellXfs")
    first = len(xfs)
    for xml in extra_xfs:
        xfs.append(etree.fromstring(f'<xf xmlns="{MAIN[1:-1]}" {xml}'))
    xfs.set("count", str(len(xfs)))
    parts["xl/styles.xml"] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return list(range(first, first + len(extra_xfs)))


def test_a_near_twin_is_not_taken_for_the_twin(workbook):
    """As Excel writes them (no quotePrefix="0"): a wrapped, locked-off style and a quoted style that
    differs only inside its children. The near twin must not be chosen; a new exact twin is added."""
    wrapped, near = _with_styles(workbook, [
        'numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1" applyProtection="1">'
        '<alignment vertical="top" wrapText="1"/><protection locked="0"/></xf>',
        'numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1" applyProtection="1" '
        'quotePrefix="1"><alignment vertical="top"/><protection locked="1"/></xf>',
    ])
    package = Package(workbook)
    twin = package.quoted_style(wrapped)
    assert twin not in (wrapped, near)
    xfs = _xfs(package)
    assert _content(xfs[twin], quoted=True) == _content(xfs[wrapped], quoted=True)
    assert xfs[twin].find(f"{MAIN}alignment").get("wrapText") == "1"
    assert xfs[twin].find(f"{MAIN}protection").get("locked") == "0"
    assert package.quoted_style(wrapped) == twin  # asked again: the same one, nothing added twice
    assert len(xfs) == len(_xfs(package))


def test_long_at_next_step_keeps_wrapping_and_its_whole_style(workbook):
    before = openpyxl.load_workbook(workbook)[s.MAIN_SHEET]
    column = s.MAIN_COLUMNS.index(s.NEXT_STEPS) + 1
    row = next(r for r in range(1, 40) if before.cell(r, 1).value == "L7")
    old = before.cell(row, column)
    assert old.alignment.wrap_text and not old.quotePrefix
    result = submit_update(Store.for_workbook(workbook), "L7", {s.NEXT_STEPS: LONG_AT}, by="Anita Patel",
                           via=s.VIA_SLACK)
    assert result.state == "applied", result.message
    cell = openpyxl.load_workbook(workbook)[s.MAIN_SHEET].cell(row, column)
    assert cell.value == LONG_AT and cell.data_type == "s"
    assert cell.quotePrefix
    assert cell.alignment.wrap_text and cell.alignment.vertical == old.alignment.vertical
    for part in ("border", "font", "fill"):
        assert _xml(getattr(cell, part)) == _xml(getattr(old, part)), part
    assert cell.number_format == old.number_format
