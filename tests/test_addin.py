"""The Excel add-in on Linux, with no Excel: the real scripts through xlwings' remote engine
(`xlwings.Book(json=...)` with the payload the Office.js client sends) and through xlwings Server's
HTTP endpoints (FastAPI's TestClient). `tests/officejs_payload.OfficeJsStandIn`, a Python imitation of
xlwings' Office.js client, plays Excel's part: it builds the payload from a copy of the committed workbook
and applies the actions that come back. Requests the real client posted from Chromium
(tests/test_taskpane_browser.py, kept in tests/officejs/captured/) are sent here too, and the imitation's
payload is held to their shape.

xlwings Server reads its settings when first imported, and xlwings enables its remote engine when first
imported, given the licence key: so `build_app` (which gives both their settings from shared/settings.py and
leaves the process environment as it found it) runs here at import time, before this module imports xlwings.
The workbook each test serves is configured with `serve()`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import warnings
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

import sli
from excel import server as addin_server

_root = logging.getLogger()
_root_state = (_root.level, list(_root.handlers))
# Before anything imports xlwings: it enables its remote engine at import time, given the licence key.
_environment_before = dict(os.environ)
APP = addin_server.build_app(local=True)
_environment_after = dict(os.environ)
# xlwings Server calls logging.basicConfig(INFO) on import: leave the root logger as the other tests had it.
_root.setLevel(_root_state[0])
_root.handlers[:] = _root_state[1]

import xlwings  # noqa: E402
import xlwings as xw  # noqa: E402
import xlwings.server  # noqa: E402

with warnings.catch_warnings():  # starlette's notice that its TestClient will move from httpx to httpx2
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient
from addin_support import serve  # noqa: E402
from officejs_payload import OfficeJsStandIn, get_cell, json_shape, payload_from_workbook, set_cell  # noqa: E402
from xlwings_server.config import settings  # noqa: E402
from xlwings_server.routers import xlwings as xlwings_router  # noqa: E402

from excel import appendix_scripts, macros  # noqa: E402
from shared import journal as j  # noqa: E402
from shared.domain import schema as s  # noqa: E402
from shared.owner import write_owner_file  # noqa: E402
from shared.settings import Settings  # noqa: E402
from shared.usecases import Store, submit_update  # noqa: E402

MAIN, LOG, VALIDATION = s.MAIN_SHEET, s.LOG_SHEET, appendix_scripts.VALIDATION_SHEET
RED, AMBER = appendix_scripts.FILLS["error"], appendix_scripts.FILLS["warning"]
#: Before every due date in the committed workbook, so it has no overdue warnings.
EARLY = date(2026, 1, 15)
#: Requests xlwings' JavaScript client posted from Chromium (refreshed by tests/test_taskpane_browser.py).
CAPTURED = Path(__file__).resolve().parent / "officejs" / "captured"


def captured(name: str) -> dict:
    return json.loads((CAPTURED / f"{name}.json").read_text(encoding="utf-8"))


# Cells of the committed workbook (header on row 3): L2 on row 5 is At risk, L5 on row 8 At risk,
# L6 on row 9 On track, L7 on row 10 Off track; Status F, Summary G, Next steps H, Next step due I.


@pytest.fixture
def http(workbook, monkeypatch):
    serve(monkeypatch, workbook)
    with TestClient(APP) as client:
        yield client


@pytest.fixture
def in_excel(workbook) -> OfficeJsStandIn:
    """The committed workbook as Excel has it open."""
    return OfficeJsStandIn.for_workbook(workbook)


def call_script(http, in_excel: OfficeJsStandIn, name: str) -> list[dict]:
    response = http.post(f"/xlwings/custom-scripts-call/{name}", json=in_excel.request())
    assert response.status_code == 200, response.text
    in_excel.apply(response.json())
    return response.json()["actions"]


def run_in_engine(in_excel: OfficeJsStandIn, function, *args, **kwargs):
    """Call an add-in function on `xlwings.Book(json=...)` and play its actions back into Excel."""
    book = xw.Book(json=in_excel.request())
    result = function(book, *args, **kwargs)
    actions = book.json()["actions"]
    in_excel.apply({"actions": actions})
    return result, actions


def colour_actions(actions: list[dict]) -> dict[tuple[int, int], str | None]:
    """(row, column) from 0, as Office.js addresses them -> the fill set (None: cleared)."""
    return {(a["start_row"], a["start_column"]): a["args"][0] for a in actions if a["func"] == "setRangeColor"}


def validation_rows(in_excel: OfficeJsStandIn) -> list[tuple[str, str, str]]:
    """(cell, severity, rule) of each row of the Validation sheet."""
    values = next(sh["values"] for sh in in_excel.payload["sheets"] if sh["name"] == VALIDATION)
    assert values[0][:7] == list(appendix_scripts.VALIDATION_COLUMNS)
    return [(row[0], row[1], row[5]) for row in values[1:] if row[0]]


def break_the_workbook(in_excel: OfficeJsStandIn, overdue: date) -> None:
    set_cell(in_excel.payload, MAIN, "F5", "Amber")                                 # L2: not a status
    set_cell(in_excel.payload, MAIN, "H8", "")                                      # L5 At risk: no next steps
    set_cell(in_excel.payload, MAIN, "I9", overdue)                                 # L6 On track: overdue
    set_cell(in_excel.payload, MAIN, "G10", '=HYPERLINK("http://x.example")')       # L7: a formula as text
    set_cell(in_excel.payload, MAIN, "H10", "+44 1254 000000: call the midwives")   # L7: formula-like


# --- the scripts through xlwings' remote engine ---------------------------------------------------

def test_validation_flags_each_problem_on_its_cell(in_excel):
    break_the_workbook(in_excel, overdue=EARLY - timedelta(days=3))
    report, actions = run_in_engine(in_excel, appendix_scripts.validate_book, today=EARLY)

    assert colour_actions(actions) == {(4, 5): RED, (7, 7): RED, (8, 8): AMBER, (9, 6): RED, (9, 7): AMBER}
    assert sorted(validation_rows(in_excel)) == sorted([
        ("F5", "error", "status_unknown"), ("H8", "error", "next_steps_missing"), ("I9", "warning", "overdue"),
        ("G10", "error", "formula"), ("H10", "warning", "formula_like")])
    assert (report.errors, report.warnings) == (3, 2)
    assert in_excel.alerts[-1]["prompt"].startswith("3 errors and 2 warnings in Appendix 1.")
    assert in_excel.alerts[-1]["mode"] == "critical"
    assert "Did you mean 'At risk'" in next(f.message for f in report.findings if f.cell == "F5")
    # Only cells with findings were coloured; the header and every other cell were left alone.
    assert set(in_excel.coloured(MAIN)) == {"F5", "H8", "I9", "G10", "H10"}


def test_a_valid_workbook_gets_no_colours(in_excel):
    report, actions = run_in_engine(in_excel, appendix_scripts.validate_book, today=EARLY)

    assert report.findings == []
    assert colour_actions(actions) == {}
    assert get_cell(in_excel.payload, VALIDATION, "C2") == "No problems found."
    assert in_excel.alerts[-1] == {"prompt": "No problems found in Appendix 1.", "title": "SLI Tracker: validation",
                                "buttons": "ok", "mode": "info"}


def test_the_desktop_macro_runs_the_same_function(in_excel, monkeypatch):
    break_the_workbook(in_excel, overdue=date.today() - timedelta(days=3))
    excel_twin = OfficeJsStandIn(in_excel.request())
    _, script_actions = run_in_engine(in_excel, appendix_scripts.validate_book)

    book = xw.Book(json=excel_twin.request())
    monkeypatch.setattr(xw.Book, "caller", staticmethod(lambda: book))  # what RunPython gives the macro
    report = macros.validate_appendix1()
    macro_actions = book.json()["actions"]

    assert macros.validate_book is appendix_scripts.validate_book
    assert report.errors == 3

    def same(actions):  # all but the time stamp of the run (the values written at I1 of Validation)
        return [a for a in actions if not (a["func"] == "setValues" and (a["start_row"], a["start_column"]) == (0, 8))]

    assert same(script_actions) == same(macro_actions)


# --- the scripts through the server's HTTP endpoints ----------------------------------------------

def test_validate_over_http_then_fixed_cells_are_cleared(http, in_excel):
    overdue = date.today() - timedelta(days=10)
    break_the_workbook(in_excel, overdue=overdue)
    first = call_script(http, in_excel, "validate_appendix1")
    assert {(4, 5): RED, (7, 7): RED, (8, 8): AMBER, (9, 6): RED, (9, 7): AMBER}.items() <= \
        colour_actions(first).items()
    assert {"F5", "H8", "I9", "G10", "H10"} <= {cell for cell, _, _ in validation_rows(in_excel)}
    assert in_excel.callbacks[-1][0] == "sliShowFindings"
    # A message quoting what was typed ('Amber' ...) reaches Excel as text: the quote prefix keeps its apostrophe.
    assert get_cell(in_excel.payload, VALIDATION, "C2").startswith("'Amber' is not a status.")
    assert (VALIDATION, "C2") in in_excel.quote_prefixed

    # An officer fixes the status and the next steps; the rest stays wrong.
    set_cell(in_excel.payload, MAIN, "F5", "At risk")
    set_cell(in_excel.payload, MAIN, "H8", "Agree the audit dates with ELHT")
    second = call_script(http, in_excel, "validate_appendix1")
    colours = colour_actions(second)
    assert colours[(4, 5)] is None and colours[(7, 7)] is None          # cleared: now fine
    assert colours[(8, 8)] == AMBER and colours[(9, 6)] == RED           # still flagged
    assert "F5" not in in_excel.coloured(MAIN) and "H8" not in in_excel.coloured(MAIN)
    # It cleared only cells it had coloured itself.
    cleared = {rc for rc, fill in colours.items() if fill is None}
    assert cleared == {(4, 5), (7, 7)}

    # A third run with nothing fixed clears nothing.
    assert all(fill is not None for fill in colour_actions(call_script(http, in_excel, "validate_appendix1")).values())


def test_colours_are_found_again_after_an_officer_inserts_a_column(http, in_excel):
    set_cell(in_excel.payload, MAIN, "F5", "Amber")
    call_script(http, in_excel, "validate_appendix1")
    assert in_excel.coloured(MAIN)["F5"] == RED

    in_excel.insert_column(MAIN, "C")                    # Status moves from F to G, its fill with it
    set_cell(in_excel.payload, MAIN, "G5", "At risk")    # and is fixed there
    in_excel.colours[(MAIN, "F5")] = "#00B0F0"           # the officer's own fill on F5, now Lead officer
    actions = call_script(http, in_excel, "validate_appendix1")

    assert colour_actions(actions).get((4, 6), "not touched") is None   # G5 cleared
    assert (4, 5) not in colour_actions(actions)                          # F5 left alone
    assert in_excel.coloured(MAIN)["F5"] == "#00B0F0"


def test_pending_updates_are_applied_and_conflicts_kept(http, in_excel, workbook):
    store = Store.for_workbook(workbook)
    write_owner_file(workbook, "Helen Lowey")  # Excel has the file open: updates wait in the journal
    applied = submit_update(store, "L7", {"Status": "At risk", "Next steps": "+Agree cover with ELHT by 12/3"},
                            by="Aisha Khan", via="Slack")
    conflicting = submit_update(store, "L2", {"Status": "Off track"}, by="Sam Jones", via="Slack")
    assert (applied.state, conflicting.state) == (j.PENDING, j.PENDING)
    assert 'id="sli-pending-count">2<' in http.get("/sli/pending").text

    set_cell(in_excel.payload, MAIN, "F5", "Complete")   # an officer changed L2 after Sam saw it
    set_cell(in_excel.payload, MAIN, "G5", "Options paper agreed by the board.")
    actions = call_script(http, in_excel, "apply_pending_updates")

    writes = {(a["sheet_position"], a["start_row"], a["start_column"]): a["values"]
              for a in actions if a["func"] == "setValues"}
    assert writes[(0, 9, 5)] == [["At risk"]]                                   # F10
    assert writes[(0, 9, 7)] == [["'+Agree cover with ELHT by 12/3"]]            # H10, as text
    assert writes[(0, 9, 10)] == [["Aisha Khan"]]                                # K10 Updated by
    assert not [key for key in writes if key[:2] == (0, 4)]                     # nothing on L2's row
    assert get_cell(in_excel.payload, MAIN, "F5") == "Complete"
    assert get_cell(in_excel.payload, MAIN, "H10") == "+Agree cover with ELHT by 12/3"
    assert (MAIN, "H10") in in_excel.quote_prefixed

    log = next(sh["values"] for sh in in_excel.payload["sheets"] if sh["name"] == LOG)
    assert [row[1:8] for row in log[1:]] == [
        ["L7", "Status", "Off track", "At risk", "Aisha Khan", "Slack", applied.update_id],
        ["L7", "Next steps", "Agree interim cover with the health visiting infant feeding team and go out to "
         "tender for a replacement peer support service.", "+Agree cover with ELHT by 12/3", "Aisha Khan",
         "Slack", applied.update_id]]
    assert abs(datetime.fromisoformat(log[1][0][:19]) - datetime.now(UTC).replace(tzinfo=None)) < timedelta(minutes=5)
    assert in_excel.number_formats[(LOG, "A2")] == appendix_scripts.LOG_TIME_FORMAT

    journal = store.journal()
    assert journal.get(applied.update_id).state == j.IN_EXCEL
    assert journal.get(conflicting.update_id).state == j.CONFLICT
    alert = in_excel.alerts[-1]["prompt"]
    assert "Applied 1 update" in alert and "Save the workbook now" in alert
    assert "L2 Status: the workbook has 'Complete', Sam Jones sent 'Off track'." in alert
    assert in_excel.callbacks[-1][0] == "sliShowUpdates"

    # Nothing is waiting any more: a second press says so and writes nothing.
    again = call_script(http, in_excel, "apply_pending_updates")
    assert [a["func"] for a in again] == ["alert", "runMacro"]
    assert in_excel.alerts[-1]["prompt"] == "No updates from partner leads are waiting."


def test_a_date_excel_made_in_next_steps_is_no_conflict_when_applied(http, workbook):
    """An officer's `12/3` in Next steps became a date; an update to that field, journalled while Excel had the
    file open, is applied into the open workbook: the journal gives back the date the sender saw."""
    wb = openpyxl.load_workbook(workbook)
    wb[MAIN]["H10"].value = datetime(2026, 3, 12)  # L7's Next steps
    wb.save(workbook)
    write_owner_file(workbook, "Helen Lowey")
    assert sli.main(["--workbook", str(workbook), "update", "L7", "--next", "Agree audit with ELHT",
                     "--by", "Aisha Khan"]) == sli.EXIT_PENDING
    in_excel = OfficeJsStandIn.for_workbook(workbook)
    assert get_cell(in_excel.payload, MAIN, "H10") == "2026-03-12T00:00:00.000Z"

    actions = call_script(http, in_excel, "apply_pending_updates")
    assert get_cell(in_excel.payload, MAIN, "H10") == "Agree audit with ELHT", in_excel.alerts[-1]["prompt"]
    assert "Applied 1 update" in in_excel.alerts[-1]["prompt"]
    assert [a for a in actions if a["func"] == "setValues"]
    [entry] = Store.for_workbook(workbook).journal().for_ref("L7")
    assert entry.state == j.IN_EXCEL


def test_apply_refuses_a_workbook_it_does_not_serve(http, workbook):
    store = Store.for_workbook(workbook)
    write_owner_file(workbook, "Helen Lowey")
    waiting = submit_update(store, "L7", {"Status": "At risk"}, by="Aisha Khan", via="Slack")
    other = OfficeJsStandIn.for_workbook(workbook, book_name="Appendix1 (copy).xlsx")

    actions = call_script(http, other, "apply_pending_updates")

    assert not [a for a in actions if a["func"] == "setValues"]
    assert "This add-in applies updates to Appendix1.xlsx" in other.alerts[-1]["prompt"]
    assert other.alerts[-1]["mode"] == "critical"
    assert store.journal().get(waiting.update_id).state == j.PENDING


# --- only the scripts can be called ---------------------------------------------------------------

def test_custom_scripts_expose_only_the_two_scripts():
    module = xlwings_router.custom_scripts
    assert module.__file__ == str(addin_server.EXCEL_DIR / "custom_scripts" / "__init__.py")
    public = {name for name in dir(module) if not name.startswith("__")}
    assert public == {"validate_appendix1", "apply_pending_updates"}
    functions = {name for name in dir(xlwings_router.custom_functions) if not name.startswith("__")}
    assert functions == {"check", "pending"}


@pytest.mark.parametrize("name", ["xw", "script", "appendix_scripts", "validate_for_taskpane", "__loader__",
                                  "__spec__", "__init__", "sys", "no_such_script", "validate_appendix1/",
                                  "Validate_Appendix1", "validate_appendix1.__globals__"])
def test_a_name_that_is_not_a_script_gets_404_and_nothing_runs(http, in_excel, monkeypatch, name):
    calls = []

    async def spy(module, script_name, *args, typehint_to_value, **kwargs):
        calls.append(script_name)
        return typehint_to_value[xw.Book]

    monkeypatch.setattr(xlwings.server, "custom_scripts_call", spy)
    monkeypatch.setattr(appendix_scripts, "validate_for_taskpane", lambda book: calls.append(book))
    monkeypatch.setattr(appendix_scripts, "apply_for_taskpane", lambda book: calls.append(book))

    for method in (http.post, http.get):
        response = method(f"/xlwings/custom-scripts-call/{name}", **({"json": in_excel.request()}
                                                                      if method == http.post else {}))
        assert response.status_code == 404
    assert calls == []
    assert http.post("/xlwings/custom-scripts-call/validate_appendix1", json=in_excel.request()).status_code == 200
    assert len(calls) == 1  # the control: a real script does get through


@pytest.mark.parametrize("name", ["arg", "func", "check_cells", "__loader__", "no_such_function"])
def test_a_name_that_is_not_a_custom_function_is_refused(workbook, monkeypatch, name):
    serve(monkeypatch, workbook)
    monkeypatch.setattr(appendix_scripts, "check_cells", lambda *args: pytest.fail("called"))
    body = {"client": "Office.js", "func_name": name, "args": [], "caller_address": None,
            "version": xlwings.__version__}
    with TestClient(APP, raise_server_exceptions=False) as client:
        assert client.post("/xlwings/custom-functions-call", json=body).status_code == 500


def test_scripts_meta_lists_the_two_scripts_with_their_sheets(http):
    meta = {m["function_name"]: m for m in http.get("/xlwings/custom-scripts-meta").json()}
    assert set(meta) == {"validate_appendix1", "apply_pending_updates"}
    assert meta["validate_appendix1"]["exclude"] == "Change log"


# --- custom functions, task pane, manifest --------------------------------------------------------

def _function_call(http, name: str, *args) -> object:
    """A call as the real client makes it (a captured body; the server writes its own xlwings version into
    the client's JavaScript), with this function's name and arguments."""
    body = {**captured("custom_functions_call_check"), "func_name": name, "args": [[[a]] for a in args],
            "version": xlwings.__version__}
    response = http.post("/xlwings/custom-functions-call", json=body)
    assert response.status_code == 200, response.text
    return response.json()["result"]


def test_sli_check_through_the_custom_functions_endpoint(http):
    future = (date.today() + timedelta(days=90) - date(1899, 12, 30)).days   # a date cell: Excel's serial
    past = (date.today() - timedelta(days=5) - date(1899, 12, 30)).days
    assert _function_call(http, "check", "On track", "Agree the audit", future) == [["OK"]]
    assert _function_call(http, "check", "Amber", "Agree the audit", future)[0][0].startswith(
        "'Amber' is not a status. Did you mean 'At risk'?")
    assert _function_call(http, "check", "On track", "", future)[0][0].startswith("Next steps are empty")
    assert _function_call(http, "check", "Off track", "Agree the audit", "")[0][0] == \
        "A recommendation that is Off track needs a next step with a due date."
    assert "overdue" in _function_call(http, "check", "On track", "Agree the audit", past)[0][0]
    assert _function_call(http, "check", "Complete", "", past) == [["OK"]]


def test_sli_check_directly():
    today = date(2026, 11, 27)
    assert appendix_scripts.check_cells("On track", "=cmd()", date(2027, 1, 1), today).startswith(
        "Next steps starts with '='")
    assert appendix_scripts.check_cells("On track", "Plan", "31/01/2027", today).startswith(
        "Next step due '31/01/2027' is text")
    assert appendix_scripts.check_cells([["At risk"]], [["Plan"]], [[46418.0]], today) == "OK"


def test_sli_pending_counts_waiting_updates(http, workbook):
    assert _function_call(http, "pending") == [[0]]
    write_owner_file(workbook, "Helen Lowey")
    submit_update(Store.for_workbook(workbook), "L7", {"Status": "At risk"}, by="Aisha Khan", via="Slack")
    assert _function_call(http, "pending") == [[1]]
    assert 'id="sli-pending-count">1<' in http.get("/sli/pending").text


def test_task_pane_and_manifest(http):
    pane = http.get("/taskpane").text
    assert 'xw-click="validate_appendix1"' in pane and 'xw-click="apply_pending_updates"' in pane
    assert 'id="sli-findings"' in pane and 'hx-get="/sli/pending"' in pane and "sli-taskpane.js" in pane
    assert "registerCallback(sliShowFindings)" in http.get("/static/js/sli-taskpane.js").text
    manifest = http.get("/manifest").text
    assert "<DisplayName DefaultValue=\"SLI Tracker\" />" in manifest
    assert 'id="Functions.Namespace" DefaultValue="SLI"' in manifest
    assert "<FunctionName>sli-validate</FunctionName>" in manifest and "hello" not in manifest.lower()
    assert 'associate("sli-validate"' in http.get("/static/js/ribbon.js").text
    names = {f["name"] for f in http.get("/xlwings/custom-functions-meta").json()["functions"]}
    assert names == {"CHECK", "PENDING"}


# --- requests the real client posted (tests/officejs/captured) ------------------------------------

def test_the_task_pane_is_told_each_finding_by_recommendation_and_field(http, in_excel):
    """Issue 20: the task pane's list names the recommendation and field (L2 Status); the cell address travels
    with it only as where a click goes (tests/test_taskpane_browser.py clicks it in Chromium)."""
    break_the_workbook(in_excel, overdue=date.today() - timedelta(days=10))
    call_script(http, in_excel, "validate_appendix1")
    name, args = in_excel.callbacks[-1]
    assert name == "sliShowFindings"
    findings = {f["cell"]: f for f in json.loads(args[0])["findings"]}
    assert {cell: findings[cell]["where"] for cell in ("F5", "H8", "I9", "G10")} == {
        "F5": "L2 Status", "H8": "L5 Next steps", "I9": "L6 Next step due", "G10": "L7 Summary of status"}
    script = http.get("/static/js/sli-taskpane.js").text
    assert "link.textContent = finding.where" in script and "selectCell(finding.cell)" in script


def test_the_manifest_uses_the_add_ins_own_icons_which_it_serves(http):
    """Issue 20: not xlwings' icons (nor xlwings.org's): the add-in's own, at the sizes each place names."""
    from io import BytesIO
    from urllib.parse import urlsplit

    from PIL import Image

    manifest = http.get("/manifest").text
    urls = re.findall(r'<(?:IconUrl|HighResolutionIconUrl|bt:Image id="[^"]*")\s+DefaultValue="([^"]+)"', manifest)
    assert len(urls) == 5 and [url for url in urls if "xlwings" in url] == []
    for url in urls:
        size = int(re.search(r"sli-(\d+)\.png$", url).group(1))
        response = http.get(urlsplit(url).path)
        assert response.status_code == 200 and response.headers["content-type"] == "image/png"
        assert Image.open(BytesIO(response.content)).size == (size, size)
    assert re.search(r'id="Icon.16x16" DefaultValue="[^"]+/sli-16.png"', manifest)
    assert re.search(r'<HighResolutionIconUrl DefaultValue="[^"]+/sli-64.png"', manifest)


def test_a_validate_request_the_real_client_posted_is_processed(http):
    """Posted by xlwings' JavaScript in Chromium for the committed workbook with mistakes typed in
    (F5 'Amber', H8 empty, I9 overdue, G10 '=HYPERLINK(...)', H10 '+44 ...'), with Change log excluded."""
    in_excel = OfficeJsStandIn(captured("validate_appendix1"))
    assert in_excel.payload["sheets"][3]["name"] == LOG and in_excel.payload["sheets"][3]["values"] == [[]]

    actions = call_script(http, in_excel, "validate_appendix1")

    assert {(4, 5): RED, (7, 7): RED, (8, 8): AMBER, (9, 6): RED, (9, 7): AMBER}.items() <= \
        colour_actions(actions).items()
    assert {("F5", "error", "status_unknown"), ("H8", "error", "next_steps_missing"), ("I9", "warning", "overdue"),
            ("G10", "error", "formula"), ("H10", "warning", "formula_like")} <= set(validation_rows(in_excel))
    assert in_excel.callbacks[-1][0] == "sliShowFindings"
    assert json.loads(in_excel.callbacks[-1][1][0])["errors"] == 3


def test_the_imitation_sends_requests_shaped_like_the_real_clients(workbook):
    real = captured("validate_appendix1")
    ours = payload_from_workbook(workbook, exclude=(LOG,))
    assert json_shape(ours) == json_shape(real)
    assert [sheet["name"] for sheet in ours["sheets"]] == [sheet["name"] for sheet in real["sheets"]]
    # Dates as the client sends them (convertDateValues): ISO text, not serial numbers.
    iso_date = re.compile(r"\d{4}-\d\d-\d\dT00:00:00\.000Z")
    due = (real["sheets"][0]["values"][3][8], ours["sheets"][0]["values"][3][8])  # I4, a Next step due
    assert all(iso_date.fullmatch(value) for value in due)
    # Empty cells as "", as the client sends them.
    assert "" in real["sheets"][0]["values"][0] and "" in ours["sheets"][0]["values"][0]


def test_a_custom_function_call_the_real_client_posted_is_answered(http):
    body = captured("custom_functions_call_check")
    assert body["caller_address"] == "[Appendix1.xlsx]'Appendix 1'!M5" and isinstance(body["args"][2][0][0], int)
    response = http.post("/xlwings/custom-functions-call", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["result"][0][0].startswith("'Amber' is not a status. Did you mean 'At risk'?")


def test_building_the_add_in_left_the_environment_as_it_was():
    """Nothing the add-in does reaches later code through `os.environ` (tests/test_addin_env.py: `sli addin`)."""
    added = sorted(set(_environment_after) - set(_environment_before))
    assert added == [] and _environment_after == _environment_before
    assert xlwings.__pro__ and settings.functions_namespace == "SLI"  # yet xlwings Server got its settings


# --- `sli addin` refuses to start without sign-in ------------------------------------------------

@pytest.fixture
def served(monkeypatch):
    started = []
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: started.append(kwargs))
    monkeypatch.setattr(settings, "auth_providers", list(settings.auth_providers or []))
    monkeypatch.setattr(settings, "auth_entraid_client_id", None)
    monkeypatch.setattr(settings, "auth_entraid_tenant_id", None)
    return started


@pytest.mark.parametrize("providers, message", [
    ([], "No sign-in is configured"),
    (["custom"], "accepts the fixed token 'test-token'"),
    (["entraid", "custom"], "accepts the fixed token 'test-token'"),
    (["entraid"], "needs XLWINGS_AUTH_ENTRAID_CLIENT_ID"),
])
def test_addin_refuses_to_start_without_sign_in(served, monkeypatch, capsys, providers, message):
    monkeypatch.setattr(settings, "auth_providers", providers)
    with pytest.raises(addin_server.AddinConfigError, match=message):
        addin_server.run(port=8123)
    assert addin_server.main(port=8123) == 2
    assert message in capsys.readouterr().err
    assert served == []


def test_addin_starts_with_entra_id_or_locally(served, monkeypatch):
    monkeypatch.setattr(settings, "auth_providers", ["entraid"])
    monkeypatch.setattr(settings, "auth_entraid_client_id", "00000000-0000-0000-0000-000000000001")
    monkeypatch.setattr(settings, "auth_entraid_tenant_id", "00000000-0000-0000-0000-000000000002")
    assert addin_server.main(port=8123, served=Settings(addin_public_url="https://sli.council.example")) == 0
    assert served[-1]["port"] == 8123

    with pytest.raises(addin_server.AddinConfigError, match="127.0.0.1 only"):
        addin_server.run(port=8124, local=True, host="0.0.0.0")
    assert addin_server.main(port=8124, local=True) == 0
    assert served[-1]["host"] == "127.0.0.1" and served[-1]["port"] == 8124
    assert settings.auth_providers == []  # --local: no sign-in
