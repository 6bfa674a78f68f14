"""Assurance in the Excel add-in, through xlwings Server's HTTP routes with the Office.js imitation playing Excel:
*Validate* checks the `Accountable`, `Evidence`, `Assured by` and `Assured on` columns where officers edit them
(an assurance typed into Excel only by a holder of the accountable role, never the claimant), and the task
pane's status fragment lists what reads "Complete, awaiting assurance"."""

from __future__ import annotations

import json
from datetime import date

import openpyxl
from officejs_payload import set_cell
from test_addin import MAIN, RED, call_script, colour_actions, http, in_excel, validation_rows  # noqa: F401

import sli
from shared.domain import schema as s

# Rows of the committed workbook (header on row 3): L2 row 5, L3 row 6, L5 row 8, L7 row 10, L22 row 25.
# Columns: F Status, K Updated by, L Accountable, M Evidence, N Assured by, O Assured on.


def _findings(excel) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for cell, _, rule in validation_rows(excel):
        found.setdefault(cell, set()).add(rule)
    return found


def test_validate_checks_the_assurance_columns_where_officers_edit(http, in_excel):  # noqa: F811
    assert call_script(http, in_excel, "validate_appendix1")  # the committed workbook: nothing on these columns
    assert not {c for c in _findings(in_excel) if c[0] in "LMNO"}

    set_cell(in_excel.payload, MAIN, "F10", "Complete")                 # L7 claimed Complete with no evidence
    set_cell(in_excel.payload, MAIN, "L5", "Chief Executive")           # L2: not a role on sheet Lists
    set_cell(in_excel.payload, MAIN, "N6", "Anita Patel")               # L3 assured by someone not accountable
    set_cell(in_excel.payload, MAIN, "O6", date(2026, 11, 30))
    set_cell(in_excel.payload, MAIN, "K25", "Margaret Pearson")         # L22 claimed by the LSCB Chair herself ...
    set_cell(in_excel.payload, MAIN, "N25", "Margaret Pearson")         # ... and assured by her in Excel
    set_cell(in_excel.payload, MAIN, "O25", date(2026, 11, 30))
    set_cell(in_excel.payload, MAIN, "N8", "Margaret Pearson")          # L5 is At risk, and no date given
    actions = call_script(http, in_excel, "validate_appendix1")

    found = _findings(in_excel)
    assert "evidence_missing" in found["M10"]
    assert "accountable_unknown" in found["L5"]
    assert "assured_by_not_holder" in found["N6"]
    assert "assured_by_claimant" in found["N25"]
    assert {"assured_not_complete"} <= found["N8"] and "assured_on_missing" in found["O8"]
    colours = colour_actions(actions)
    assert all(colours[cell] == RED for cell in [(9, 12), (4, 11), (5, 13), (24, 13), (7, 13)])
    messages = {f["cell"]: f["message"] for f in _report(in_excel)["findings"]}  # what the task pane lists
    assert "Rebecca Lord (Director of Public Health)" in messages["N6"]
    assert messages["N25"].startswith("Margaret Pearson claimed L22 Complete and cannot assure their own claim")

    # Fixed: L3 assured by the Director of Public Health, L22 by no one yet: no more findings there.
    set_cell(in_excel.payload, MAIN, "N6", "Rebecca Lord")
    set_cell(in_excel.payload, MAIN, "N25", "")
    set_cell(in_excel.payload, MAIN, "O25", None)
    call_script(http, in_excel, "validate_appendix1")
    found = _findings(in_excel)
    assert "N6" not in found and "N25" not in found and "O25" not in found


def _report(excel) -> dict:
    name, args = excel.callbacks[-1]
    assert name == "sliShowFindings"
    return json.loads(args[0] if isinstance(args, list) else args)


def test_sli_validate_refuses_an_assurance_typed_by_the_claimant(workbook, capsys):
    """The same rule for the file (`sli validate`), so the add-in and the command line never disagree."""
    book = openpyxl.load_workbook(workbook)
    sheet = book[s.MAIN_SHEET]
    sheet["K25"], sheet["N25"], sheet["O25"] = "Margaret Pearson", "Margaret Pearson", date(2026, 11, 30)
    book.save(workbook)
    assert sli.main(["--workbook", str(workbook), "validate"]) != 0
    assert "Margaret Pearson claimed L22 Complete and cannot assure their own claim" in capsys.readouterr().out


def test_the_task_pane_lists_what_awaits_assurance(http):  # noqa: F811
    fragment = http.get("/sli/pending").text
    assert "Complete, awaiting assurance</strong> (2)" in fragment
    assert "<strong>L3</strong>: claimed by Claire Duckworth on 02/10/2026" in fragment
    assert "<strong>L22</strong>" in fragment and "<strong>L4</strong>" not in fragment  # L4 is assured
