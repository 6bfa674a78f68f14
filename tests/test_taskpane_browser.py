"""The task pane in a real browser with xlwings' real JavaScript client.

Headless Chromium (Debian's package, driven by Playwright for Python with `executable_path`) opens the task
pane the add-in server serves in local mode (uvicorn in this process, on a free 127.0.0.1 port). Everything
on the page is what Excel would load: our template, xlwings Server's JavaScript (custom-scripts/index.js,
custom-functions-code.js, alerts, htmx), except Office.js itself, which only exists inside Excel: its URL is
routed to tests/officejs/office.js, a stand-in for the Excel JavaScript API over a workbook exported from the
real .xlsx. Every other request that does not go to our server is refused: the tests need no network.

What is checked: pressing the buttons does what `sli validate` and the file writer say it should, a finding
clicked selects its cell, the pending count refreshes, `=SLI.CHECK(...)` computed through the custom-functions
endpoint agrees with the rules. The JSON the browser posts is recorded; tests/officejs/captured/ keeps a copy
(refresh with SLI_RECORD_OFFICEJS=1) that tests/test_addin.py sends to the server, and these tests fail when
the client's payload no longer has the shape of that copy.

Without Chromium or Playwright the tests skip, unless SLI_REQUIRE_BROWSER=1 (CI sets it).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import shutil
import socket
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
import openpyxl
import pytest

from excel import server as addin_server

CHROMIUM = Path(os.environ.get("SLI_CHROMIUM", "/usr/bin/chromium"))
HERE = Path(__file__).resolve().parent
STAND_IN = HERE / "officejs" / "office.js"
CAPTURED = HERE / "officejs" / "captured"
SCREENSHOT = os.environ.get("SLI_TASKPANE_SCREENSHOT")  # e.g. docs/taskpane.png: where to save the picture
RECORD = os.environ.get("SLI_RECORD_OFFICEJS") == "1"
LAUNCH_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _browser_missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -e '.[dev]')"
    if not CHROMIUM.exists():
        return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    return None


_missing = _browser_missing()
if _missing:
    if os.environ.get("SLI_REQUIRE_BROWSER") == "1":
        pytest.fail(f"SLI_REQUIRE_BROWSER=1 and {_missing}.", pytrace=False)
    pytest.skip(_missing, allow_module_level=True)

_root = logging.getLogger()
_root_state = (_root.level, list(_root.handlers))
APP = addin_server.build_app(local=True)  # before anything imports xlwings: see tests/test_addin.py
_root.setLevel(_root_state[0])
_root.handlers[:] = _root_state[1]

import uvicorn  # noqa: E402
from addin_support import serve  # noqa: E402
from officejs_payload import json_shape, payload_from_workbook  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

import sli  # noqa: E402
from excel import appendix_scripts  # noqa: E402
from shared import journal as j  # noqa: E402
from shared import usecases  # noqa: E402
from shared.domain import schema as s  # noqa: E402
from shared.domain.logrow import LogRow  # noqa: E402
from shared.owner import write_owner_file  # noqa: E402
from shared.usecases import Store, process_pending, submit_update  # noqa: E402

MAIN, LOG, VALIDATION = s.MAIN_SHEET, s.LOG_SHEET, appendix_scripts.VALIDATION_SHEET
RED, AMBER = appendix_scripts.FILLS["error"], appendix_scripts.FILLS["warning"]
#: A fixed past date, so the recorded payloads do not change from day to day.
OVERDUE = date(2026, 1, 5)
EXCEL_EPOCH = datetime(1899, 12, 30)


# --- the workbook as Excel holds it ------------------------------------------------------------------

def _serial(value: datetime | date) -> float:
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    return (value - EXCEL_EPOCH) / timedelta(days=1)


def export_workbook(path: Path) -> dict:
    """The .xlsx as the Office.js stand-in loads it: per sheet, each cell's value as Excel reports it
    (dates as serial numbers), number format, solid fill and quote prefix (openpyxl, an independent reader)."""
    book = openpyxl.load_workbook(path)
    sheets = []
    for sheet in book.worksheets:
        cells = {}
        for row in sheet.iter_rows():
            for cell in row:
                fill = cell.fill.fgColor.rgb if cell.fill is not None and cell.fill.patternType == "solid" else None
                entry: dict = {}
                if cell.value is not None:
                    entry["value"] = _serial(cell.value) if isinstance(cell.value, datetime | date) else cell.value
                if cell.number_format != "General":
                    entry["numberFormat"] = cell.number_format
                if isinstance(fill, str):
                    entry["fill"] = "#" + fill[-6:].upper()
                if cell.quotePrefix:
                    entry["quotePrefix"] = True
                if entry:
                    cells[cell.coordinate] = entry
        sheets.append({"name": sheet.title, "cells": cells})
    return {"name": path.name, "sheets": sheets}


def python_value(cell: dict | None) -> object:
    """A stand-in cell as openpyxl would read the same cell from a file: dates back to datetime."""
    if not cell or cell.get("value") in (None, ""):
        return None
    value, fmt = cell["value"], cell.get("numberFormat", "General")
    if isinstance(value, int | float) and not isinstance(value, bool) and re.search(r"[dmy]", fmt.split(";")[0]):
        return EXCEL_EPOCH + timedelta(days=value)
    return value


def break_the_workbook(path: Path) -> None:
    """Mistakes an officer could have typed and saved (a test copy: openpyxl's save loses nothing we read)."""
    book = openpyxl.load_workbook(path)
    sheet = book[MAIN]
    sheet["F5"] = "Amber"                                      # L2: not a status
    sheet["H8"] = None                                         # L5 At risk: no next steps
    sheet["I9"] = datetime.combine(OVERDUE, datetime.min.time())  # L6 On track: overdue
    sheet["G10"] = '=HYPERLINK("http://x.example")'            # L7: a formula typed as text
    sheet["G10"].data_type = "s"
    sheet["H10"] = "+44 1254 000000: call the midwives"        # L7: formula-like
    book.save(path)


def cli_findings(path: Path) -> list[tuple[str, str, str]]:
    """(cell, severity, message) of each finding `sli validate PATH` prints, in its order. The command line names
    the recommendation and field (`L2 Status: error: ...`); the cell is the same finding's, from the rules."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        sli.main(["validate", str(path)])
    printed = [m.groups() for m in re.finditer(r"^(L\d+ [^:]+): (error|warning): (.*)$", out.getvalue(), re.M)]
    _, findings = usecases.validate(usecases.context(Store.for_workbook(path)))
    assert [(f.where, f.severity, f.message) for f in findings] == printed
    return [(f.cell, f.severity, f.message) for f in findings]


def where_of(path: Path) -> dict[str, str]:
    """Each finding's cell -> the words the task pane and the command line name it by (`L2 Status`)."""
    _, findings = usecases.validate(usecases.context(Store.for_workbook(path)))
    return {f.cell: f.where for f in findings}


# --- server and browser ------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server_url():
    """The add-in server in local mode (no sign-in, 127.0.0.1), as `sli addin --local` runs it."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(APP, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the add-in server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium; Playwright gives each launch a fresh temporary profile (its own --user-data-dir)."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_FLAGS)
        yield launched
        launched.close()


class TaskPane:
    """One task pane open on one workbook: the page, what it posted, and the stand-in's view of Excel."""

    def __init__(self, page, base: str):
        self.page, self.base = page, base
        self.posted: list[tuple[str, object]] = []
        self.errors: list[str] = []
        page.on("request", self._request)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)

    def _request(self, request) -> None:
        if request.method == "POST" and "/xlwings/" in request.url:
            self.posted.append((request.url[len(self.base):], request.post_data_json))

    def posted_to(self, path: str) -> list:
        return [body for url, body in self.posted if url == path]

    def excel(self, expression: str, arg: object = None):
        return self.page.evaluate(expression, arg)

    def snapshot(self) -> dict[str, dict[str, dict]]:
        return {sheet["name"]: sheet["cells"] for sheet in self.excel("OfficeStandIn.snapshot()")["sheets"]}

    def press(self, button: str) -> None:
        """Click a task-pane button and wait until xlwings' client has run the script's actions."""
        self.page.click(button)
        self.page.wait_for_function(f"!document.querySelector('{button}').hasAttribute('disabled')"
                                    f" && !document.querySelector('{button} .spinner-border')")

    def pending_count(self) -> str:
        return self.page.locator("#sli-pending-count").inner_text()


@pytest.fixture
def open_pane(browser, server_url, monkeypatch):
    """open_pane(path) -> TaskPane: the task pane in Excel with the .xlsx at `path` open (and served)."""
    contexts = []

    def open_(path: Path) -> TaskPane:
        serve(monkeypatch, path)
        office_js = f"globalThis.__SLI_WORKBOOK__ = {json.dumps(export_workbook(path))};\n" + STAND_IN.read_text()
        context = browser.new_context(viewport={"width": 350, "height": 760}, device_scale_factor=2)
        context.set_default_timeout(5000)  # the whole pane answers in well under a second here
        contexts.append(context)

        def route(route):
            url = route.request.url
            if re.search(r"/office(\.debug)?\.js(\?|$)", url):
                route.fulfill(status=200, content_type="text/javascript", body=office_js)
            elif url.startswith(server_url + "/"):
                route.continue_()
            else:
                route.abort()  # no network: Office's CDN, fonts, telemetry

        context.route("**/*", route)
        page = context.new_page()
        pane = TaskPane(page, server_url)
        page.goto(f"{server_url}/taskpane")
        # xlwings' client has hooked up the buttons, and htmx has fetched the pending count.
        page.wait_for_selector("#sli-validate[xw-click-initialized]", state="attached")
        page.wait_for_selector("#sli-pending-count", state="attached")
        # Office.onReady() named Excel as the host: the pane is shown, not the note for a plain browser.
        page.wait_for_function("document.documentElement.dataset.sliHost === 'office'")
        assert page.locator("main.sli-pane").is_visible() and not page.locator("#sli-outside-office").is_visible()
        return pane

    yield open_
    for context in contexts:
        context.close()


def check_capture(name: str, body: dict, normalise=lambda body: body) -> None:
    """Record (SLI_RECORD_OFFICEJS=1) or compare the shape (keys and types; the values follow the
    workbook, which others edit) with tests/officejs/captured/<name>.json."""
    path = CAPTURED / f"{name}.json"
    body = normalise(json.loads(json.dumps(body)))
    if RECORD or not path.exists():
        CAPTURED.mkdir(exist_ok=True)
        path.write_text(json.dumps(body, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    kept = json.loads(path.read_text(encoding="utf-8"))
    assert json_shape(body) == json_shape(kept), (
        f"xlwings' client now posts a differently shaped {name} request than {path.name}: check that "
        "tests/test_addin.py still holds, then refresh tests/officejs/captured with SLI_RECORD_OFFICEJS=1.")


# --- the tests ---------------------------------------------------------------------------------------

def test_validate_colours_exactly_the_cells_the_rules_name_and_lists_them(open_pane, workbook):
    break_the_workbook(workbook)
    expected = cli_findings(workbook)
    assert {"F5", "H8", "I9", "G10", "H10"} <= {cell for cell, _, _ in expected}
    write_owner_file(workbook, "Helen Lowey")  # two updates from partner leads waiting, as in the README's picture
    store = Store.for_workbook(workbook)
    submit_update(store, "L7", {"Status": "At risk"}, by="Aisha Khan", via="Slack")
    submit_update(store, "L2", {"Next steps": "Options paper to the January board"}, by="Sam Jones", via="Slack")
    pane = open_pane(workbook)
    assert pane.pending_count() == "2"
    before = pane.snapshot()
    assert pane.excel("OfficeStandIn.functions()") == ["CHECK", "PENDING"]  # custom-functions-code.js ran

    pane.press("#sli-validate")

    after = pane.snapshot()
    fills = {address: cell.get("fill") for address, cell in after[MAIN].items()}
    changed = {address: fill for address, fill in fills.items()
               if fill != before[MAIN].get(address, {}).get("fill")}
    wanted = {}
    for cell, severity, _ in expected:
        if severity == "error" or cell not in wanted:
            wanted[cell] = RED if severity == "error" else AMBER
    assert changed == wanted
    for name in set(before) - {MAIN}:  # no other sheet's fills, and no value of Appendix 1, were touched
        assert {a: c.get("fill") for a, c in after[name].items() if c.get("fill")} == \
            {a: c.get("fill") for a, c in before[name].items() if c.get("fill")}
    assert {a: python_value(c) for a, c in after[MAIN].items() if python_value(c) is not None} == \
        {a: python_value(c) for a, c in before[MAIN].items() if python_value(c) is not None}

    # The task pane lists the same findings, in the same order and words, as `sli validate`: the recommendation
    # and field (L2 Status), never the cell address, which is the link's target.
    items = pane.page.locator("#sli-findings li").all_inner_texts()
    named = where_of(workbook)
    assert [item.split(": ", 2) for item in items] == [[named[cell], severity, message]
                                                       for cell, severity, message in expected]
    assert not [item for item, (cell, _, _) in zip(items, expected, strict=True) if item.startswith(f"{cell}:")]
    errors = sum(1 for _, severity, _ in expected if severity == "error")
    summary = pane.page.locator("#sli-summary").inner_text()
    assert summary.startswith(f"{errors} errors and {len(expected) - errors} warnings in Appendix 1.")
    # Sheet Validation was added and lists each finding; xlwings' alert dialog says the same.
    assert pane.excel("OfficeStandIn.sheetNames()") == [MAIN, "Lists", "Leads", LOG, VALIDATION]
    validation = after[VALIDATION]
    assert [validation[f"A{n}"]["value"] for n in range(2, len(expected) + 2)] == [c for c, _, _ in expected]
    assert validation["C2"].get("quotePrefix") and validation["C2"]["value"].startswith("'Amber' is not a status.")
    dialog = pane.excel("OfficeStandIn.dialogs")[-1]
    assert (dialog["prompt"], dialog["title"], dialog["mode"]) == (summary, "SLI Tracker: validation", "critical")
    with httpx.Client(base_url=pane.base) as client:  # the dialog page xlwings opens renders
        assert summary[:40] in client.get(dialog["url"][len(pane.base):]).text

    # Clicking a finding (named L6 Next step due, L2 Status) selects its cell in Excel.
    for cell in ("I9", "F5"):
        pane.page.locator("#sli-findings a.sli-cell", has_text=re.compile(f"^{named[cell]}$")).click()
        pane.page.wait_for_function(f"OfficeStandIn.selection().address === '{cell}'")
        assert pane.excel("OfficeStandIn.selection()") == {"sheet": MAIN, "address": cell}

    assert pane.pending_count() == "2"  # validating applies nothing

    # The ribbon's Validate button (static/js/ribbon.js) runs the same script on the same sheets: same colours.
    assert pane.excel("OfficeStandIn.ribbon('sli-validate')") is True
    again = pane.snapshot()
    assert {a: c.get("fill") for a, c in again[MAIN].items()} == fills
    ribbon_call = pane.posted_to("/xlwings/custom-scripts-call/validate_appendix1")[-1]
    assert [sheet["values"] == [[]] for sheet in ribbon_call["sheets"]] == [False, False, False, True, False]
    assert pane.excel("OfficeStandIn.unknown") == []
    assert pane.errors == []
    posted, _ = pane.posted_to("/xlwings/custom-scripts-call/validate_appendix1")
    assert [sheet["name"] for sheet in posted["sheets"]] == [MAIN, "Lists", "Leads", LOG]
    assert posted["sheets"][3]["values"] == [[]]  # the script's exclude="Change log" reached the client
    # The Python imitation the fast tests use sends exactly what the real client sent.
    assert payload_from_workbook(workbook, exclude=(LOG,)) == posted
    check_capture("validate_appendix1", posted)
    if SCREENSHOT:
        pane.page.screenshot(path=SCREENSHOT, full_page=True)


def test_apply_pending_updates_writes_what_the_file_writer_would(open_pane, workbook, tmp_path):
    write_owner_file(workbook, "Helen Lowey")  # Excel has the file open: updates wait in the journal
    store = Store.for_workbook(workbook)
    first = submit_update(store, "L7", {"Status": "At risk", "Next steps": "+Agree cover with ELHT by 12/3"},
                          by="Aisha Khan", via="Slack")
    second = submit_update(store, "L2", {"Next steps": "Options paper to the January board"},
                           by="Sam Jones", via="Slack")
    assert (first.state, second.state) == (j.PENDING, j.PENDING)
    # The same folder (workbook and journal) for the file writer: Excel closed, `sli sync` writes the file.
    filed = tmp_path / "file-writer"
    shutil.copytree(workbook.parent, filed)
    (filed / f"~${workbook.name}").unlink()
    assert {r.state for r in process_pending(Store.for_workbook(filed / workbook.name))} == {j.APPLIED}

    pane = open_pane(workbook)
    assert pane.pending_count() == "2"
    pane.press("#sli-apply")
    pane.page.wait_for_function("document.getElementById('sli-pending-count').textContent.trim() === '0'")

    after = pane.snapshot()
    written = openpyxl.load_workbook(filed / workbook.name)
    # Appendix 1: every cell holds what the file writer put in the file (Last updated: the same day).
    main = written[MAIN]
    for row in main.iter_rows(min_row=1, max_row=main.max_row, max_col=main.max_column):
        for cell in row:
            ours = python_value(after[MAIN].get(cell.coordinate))
            if isinstance(cell.value, datetime) and isinstance(ours, datetime):
                assert ours.date() == cell.value.date(), cell.coordinate
            else:
                assert ours == cell.value, cell.coordinate
            assert bool(after[MAIN].get(cell.coordinate, {}).get("quotePrefix")) == bool(cell.quotePrefix), \
                cell.coordinate
    assert after[MAIN]["H10"]["value"] == "+Agree cover with ELHT by 12/3" and after[MAIN]["H10"]["quotePrefix"]
    # Change log: the same rows (time within a few minutes: the two writers ran seconds apart).
    log = written[LOG]
    file_rows = [[c.value for c in row] for row in log.iter_rows(min_row=2, max_col=len(LogRow.HEADER))]
    pane_rows = [[python_value(after[LOG].get(f"{s.column_letter(c)}{r}")) for c in range(len(LogRow.HEADER))]
                 for r in range(2, len(file_rows) + 3)]
    assert len(file_rows) == 3 and pane_rows[-1] == [None] * len(LogRow.HEADER)
    for ours, theirs in zip(pane_rows, file_rows, strict=False):
        assert ours[1:] == theirs[1:]
        assert abs(ours[0] - theirs[0]) < timedelta(minutes=5)
    assert {row[-1] for row in pane_rows[:-1]} == {first.update_id, second.update_id}

    journal = store.journal()
    assert {journal.get(u.update_id).state for u in (first, second)} == {j.IN_EXCEL}
    lines = pane.page.locator("#sli-updates").inner_text()
    assert "Applied 2 updates" in lines and "Save the workbook now" in lines
    assert pane.excel("OfficeStandIn.dialogs")[-1]["title"] == "SLI Tracker: pending updates"
    assert pane.excel("OfficeStandIn.unknown") == []
    assert pane.errors == []


def test_sli_check_in_a_cell_says_what_the_rules_say(open_pane, workbook):
    break_the_workbook(workbook)
    findings = cli_findings(workbook)
    pane = open_pane(workbook)
    rows = range(4, 26)
    pane.excel("""async (rows) => {
        await Excel.run(async (context) => {
            const sheet = context.workbook.worksheets.getItem("Appendix 1");
            for (const row of rows) sheet.getRange(`M${row}`).formulas = [[`=SLI.CHECK(F${row},H${row},I${row})`]];
            await context.sync();
        });
        await OfficeStandIn.calculated();
    }""", list(rows))
    results = {row: pane.snapshot()[MAIN][f"M{row}"]["value"] for row in rows}

    for row in rows:  # the first error, else the first warning, on the row's Status, Next steps or Due
        own = [(severity, message) for cell, severity, message in findings
               if cell in (f"F{row}", f"H{row}", f"I{row}")]
        ordered = [f for f in own if f[0] == "error"] or own
        assert results[row] == (ordered[0][1] if ordered else "OK"), row
    assert results[5].startswith("'Amber' is not a status.") and results[4] == "OK"

    calls = pane.posted_to("/xlwings/custom-functions-call")
    assert len(calls) == len(rows)
    [amber] = [body for body in calls if body["caller_address"].endswith("!M5")]
    assert amber["args"][0] == [["Amber"]] and isinstance(amber["args"][2][0][0], int | float)  # a date: serial
    check_capture("custom_functions_call_check", amber, normalise=lambda body: {**body, "session_id": "recorded"})
    assert pane.excel("OfficeStandIn.unknown") == []
    assert pane.errors == []
    # The control: a part of the Excel API the stand-in lacks is noticed, read or set.
    pane.excel("""Excel.run(async (context) => {
        const range = context.workbook.worksheets.getItem("Appendix 1").getRange("A1");
        range.hyperlink = {address: "https://example.org"};
        return range.format.font;
    })""")
    assert pane.excel("OfficeStandIn.unknown") == ["Range.hyperlink=", "RangeFormat.font"]


def test_in_a_plain_browser_the_task_pane_says_it_runs_in_excel_and_how_to_load_it(browser, server_url):
    """The address `make run` prints, opened in a browser with no Office (Microsoft's real office.js, the one
    xlwings Server serves): no reload loop, no "The add-in didn't load properly", no buttons that fail with
    "Excel is not defined"; a note saying the pane runs inside Excel and how to sideload the manifest."""
    context = browser.new_context()
    context.set_default_timeout(30000)  # a loaded machine: office.js and xlwings' recovery take their time
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(server_url + "/")
                  else route.abort())
    page = context.new_page()
    loads, said = [], []
    page.on("framenavigated", lambda frame: loads.append(frame.url) if frame == page.main_frame else None)
    page.on("console", lambda message: said.append(message.text))
    try:
        page.goto(f"{server_url}/taskpane")
        # office.js found no host (or never answered): xlwings' recovery decided, to reload or to give up...
        deadline = time.monotonic() + 30
        while not any("budget exhausted" in text for text in said):
            assert time.monotonic() < deadline, said
            page.wait_for_timeout(50)
        # ...and gave up without reloading: the page was loaded once, and shows only the note.
        assert loads == [f"{server_url}/taskpane"], said
        page.wait_for_function("document.documentElement.dataset.sliHost === 'none'", polling=50)
        note = page.locator("#sli-outside-office")
        assert note.is_visible()
        assert "SLI Tracker runs inside Excel" in note.inner_text()
        assert "Upload My Add-in" in note.inner_text()
        manifest = page.locator("#sli-manifest-link").get_attribute("href")
        assert manifest.endswith("/manifest/download")
        assert page.locator("#sli-needs-https").is_visible()  # served over http: says Excel needs https
        for hidden in ("#xlwings-office-ready-error", "main.sli-pane", "#sli-validate", "#global-error-alert"):
            assert not page.locator(hidden).is_visible(), hidden
        with httpx.Client() as client:  # the link it gives is the manifest
            assert "<OfficeApp" in client.get(f"{server_url}/manifest/download").text
    finally:
        context.close()
