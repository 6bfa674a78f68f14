"""An update changes only the cells it concerns: what officers put in the workbook with Excel
(threaded comments, shapes, images, cross-sheet drop-downs, defined names, add-in parts) survives."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
from lxml import etree
from officer_extras import add_officer_extras, extras_present

from shared import journal as j
from shared.domain import schema as s
from shared.reader import read_appendix
from shared.usecases import Store, submit_update
from shared.xlsx import MAIN_NS, Package

M = f"{{{MAIN_NS}}}"


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as package:
        return {name: package.read(name) for name in package.namelist()}


def without_cells(xml: bytes, addresses: set[str], drop_rows_from: int | None = None) -> bytes:
    """The sheet XML with the given cells (and rows from a number on) removed, canonicalised."""
    root = etree.fromstring(xml)
    for cell in list(root.iter(f"{M}c")):
        if cell.get("r") in addresses:
            cell.getparent().remove(cell)
    if drop_rows_from is not None:
        for row in list(root.iter(f"{M}row")):
            if int(row.get("r")) >= drop_rows_from:
                row.getparent().remove(row)
        dimension = root.find(f"{M}dimension")
        if dimension is not None:
            root.remove(dimension)
    return etree.tostring(root, method="c14n")


def test_update_keeps_everything_officers_added(workbook: Path) -> None:
    rich = workbook.with_name("Rich.xlsx")
    where = add_officer_extras(workbook, rich)
    assert all(extras_present(rich).values())
    before = parts(rich)
    sheet_parts = Package(rich).sheet_parts
    main_part, log_part = sheet_parts[s.MAIN_SHEET], sheet_parts[s.LOG_SHEET]

    result = submit_update(Store.for_workbook(rich), "L3", {s.STATUS: "At risk", s.NEXT_STEPS: "Escalate to ICB",
                                                            s.DUE: "2027-03-31"}, by="Sana Iqbal", via=s.VIA_EXCEL)
    assert result.state == j.APPLIED, result.message
    after = parts(rich)

    # Every part but the two changed sheets is byte-identical, and no part is lost or added.
    assert sorted(after) == sorted(before)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {main_part, log_part}
    assert all(extras_present(rich).values())
    for label, part in where.items():
        if part not in (main_part, log_part):
            assert after[part] == before[part], label

    # The main sheet differs only in the changed cells of L3's row.
    appendix = read_appendix(rich)
    touched = {appendix.locate("L3", c) for c in (s.STATUS, s.NEXT_STEPS, s.DUE, s.LAST_UPDATED, s.UPDATED_BY)}
    assert without_cells(before[main_part], touched) == without_cells(after[main_part], touched)
    assert b"x14:dataValidation" in after[main_part] and b"<legacyDrawing" in after[main_part]

    # The log sheet differs only in the appended rows.
    assert without_cells(before[log_part], set(), drop_rows_from=2) == without_cells(
        after[log_part], set(), drop_rows_from=2)
    log = openpyxl.load_workbook(rich, read_only=True)[s.LOG_SHEET]
    assert [row[2] for row in log.iter_rows(min_row=2, values_only=True)] == [s.STATUS, s.NEXT_STEPS, s.DUE]


def test_second_update_appends_after_the_first(workbook: Path) -> None:
    store = Store.for_workbook(workbook)
    for n in range(3):
        assert submit_update(store, "L1", {s.NEXT_STEPS: f"Step {n}"}, by="A", via=s.VIA_CLI).state == j.APPLIED
    log = openpyxl.load_workbook(workbook)[s.LOG_SHEET]
    assert [log.cell(r, 5).value for r in range(2, 5)] == ["Step 0", "Step 1", "Step 2"]
    assert log.dimensions == "A1:H4"
