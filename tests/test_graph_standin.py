"""The Graph stand-in itself behaves as Microsoft's pages say (tests/graph_standin.py's docstring names them):
the tests of the remote workbook are only as good as it is."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from tests.graph_standin import DRIVE_ID, ITEM_ID, GraphStandIn, share_id

ITEM = f"/drives/{DRIVE_ID}/items/{ITEM_ID}"


@pytest.fixture
def standin(workbook):
    served = GraphStandIn(workbook)
    yield served
    served.close()


def call(standin: GraphStandIn, method: str, path: str, body: object = None, session: str | None = None,
         token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token or standin.token}"}
    if session:
        headers["workbook-session-id"] = session
    return httpx.request(method, standin.url + path, json=body, headers=headers, timeout=10)


def session(standin: GraphStandIn, persist: bool = True) -> str:
    made = call(standin, "POST", f"{ITEM}/workbook/createSession", {"persistChanges": persist})
    assert made.status_code == 201
    return made.json()["id"]


def cell(standin, address: str, sheet: str = "Appendix 1"):
    return call(standin, "GET", f"{ITEM}/workbook/worksheets/{sheet}/range(address='{address}')").json()


def test_shares_resolve_the_copied_link_and_a_wrong_one_is_not_found(standin):
    found = call(standin, "GET", f"/shares/{share_id(standin.share_url)}/driveItem")
    assert found.status_code == 200 and found.json()["id"] == ITEM_ID
    assert found.json()["parentReference"]["driveId"] == DRIVE_ID
    assert call(standin, "GET", f"/shares/{share_id(standin.share_url + 'x')}/driveItem").status_code == 404
    assert call(standin, "GET", ITEM, token="wrong").status_code == 401


def test_content_redirects_to_a_download_of_the_file(standin, workbook):
    answer = call(standin, "GET", f"{ITEM}/content")
    assert answer.status_code == 302
    assert httpx.get(answer.headers["Location"]).content == workbook.read_bytes()


def test_strings_are_typed_as_excel_would_and_text_stays_text_with_an_apostrophe(standin):
    sid = session(standin)
    patch = call(standin, "PATCH", f"{ITEM}/workbook/worksheets/Appendix 1/range(address='P30:T30')",
                 {"values": [["07/08/2026", "+44 7700 900123", "TRUE", "'07/08/2026", "=1+2"]]}, sid)
    assert patch.status_code == 200
    values = cell(standin, "P30:T30")
    date_serial = (datetime(2026, 7, 8) - datetime(1899, 12, 30)).days
    assert values["values"][0][:4] == [date_serial, 447700900123, True, "07/08/2026"]
    assert values["formulas"][0][4] == "=1+2"
    assert standin.cell("Appendix 1", "S30").data_type == "s"


def test_null_leaves_a_cell_and_an_empty_string_clears_it(standin):
    sid = session(standin)
    call(standin, "PATCH", f"{ITEM}/workbook/worksheets/Appendix 1/range(address='P30:Q30')",
         {"values": [["kept", "cleared"]]}, sid)
    before = cell(standin, "P30:Q30")["values"][0]
    call(standin, "PATCH", f"{ITEM}/workbook/worksheets/Appendix 1/range(address='P30:Q30')",
         {"values": [[None, ""]]}, sid)
    after = cell(standin, "P30:Q30")["values"][0]
    assert after[0] == before[0] and before[1] != "" and after[1] == ""


def test_only_a_persistent_session_keeps_a_change_and_each_change_gives_a_new_ctag(standin):
    ctag = call(standin, "GET", ITEM).json()["cTag"]
    body = {"values": [["Not kept"]]}
    address = f"{ITEM}/workbook/worksheets/Appendix 1/range(address='P30')"
    assert call(standin, "PATCH", address, body).json()["values"] == [["Not kept"]]  # echoed, not kept
    call(standin, "PATCH", address, body, session(standin, persist=False))
    assert cell(standin, "P30")["values"] != [["Not kept"]]
    assert call(standin, "GET", ITEM).json()["cTag"] == ctag
    call(standin, "PATCH", address, body, session(standin))
    assert cell(standin, "P30")["values"] == [["Not kept"]]
    assert call(standin, "GET", ITEM).json()["cTag"] != ctag


def test_an_idle_session_expires_as_recreatable(standin):
    sid = session(standin)
    later = datetime.now() + timedelta(minutes=10)
    standin.now = lambda: later
    answer = call(standin, "GET", f"{ITEM}/workbook/worksheets", session=sid)
    assert answer.status_code == 404
    assert answer.json()["error"]["innerError"]["code"] == "invalidSessionReCreatable"


def test_worksheets_used_range_add_and_batch(standin):
    names = [w["name"] for w in call(standin, "GET", f"{ITEM}/workbook/worksheets").json()["value"]]
    assert "Appendix 1" in names and "Change log" in names
    used = call(standin, "GET", f"{ITEM}/workbook/worksheets/Change log/usedRange(valuesOnly=true)").json()
    assert used["address"].startswith("Change log!A1:") and used["values"][0][0] == "When (UTC)"
    sid = session(standin)
    added = call(standin, "POST", f"{ITEM}/workbook/worksheets/add", {"name": "Change log 2025"}, sid)
    assert added.status_code == 201 and added.json()["name"] == "Change log 2025"
    batch = call(standin, "POST", "/$batch", {"requests": [
        {"id": "1", "method": "GET", "url": f"{ITEM}/workbook/worksheets/Nope/range(address='A1')"},
        {"id": "2", "method": "GET", "url": f"{ITEM}/workbook/worksheets", "dependsOn": ["1"]}]}, sid).json()
    assert [r["status"] for r in batch["responses"]] == [404, 424]


def test_faults_answer_as_injected(standin):
    standin.fail("GET", ITEM, 429, "tooManyRequestsUncategorized", retry_after=2)
    answer = call(standin, "GET", ITEM)
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "2"
    assert call(standin, "GET", ITEM).status_code == 200
    standin.fail("POST", "createSession", 409, "accessConflict")
    assert call(standin, "POST", f"{ITEM}/workbook/createSession", {}).json()["error"]["innerError"]["code"] \
        == "accessConflict"
    standin.open_for_editing = True
    assert call(standin, "PUT", f"{ITEM}/content").status_code == 423
    standin.fail("PATCH", "range", 500, "internalServerErrorUncategorized", after_apply=True)
    sid = session(standin)
    answer = call(standin, "PATCH", f"{ITEM}/workbook/worksheets/Appendix 1/range(address='P30')",
                  {"values": [["Applied anyway"]]}, sid)
    assert answer.status_code == 500 and cell(standin, "P30")["values"] == [["Applied anyway"]]
    standin.drop("PATCH", "range")
    with pytest.raises(httpx.TransportError):
        call(standin, "PATCH", f"{ITEM}/workbook/worksheets/Appendix 1/range(address='P30')",
             {"values": [["Dropped"]]}, sid)
    assert cell(standin, "P30")["values"] == [["Dropped"]]


def test_a_batch_request_is_in_a_session_only_through_its_own_headers_and_holds_at_most_20(standin):
    sid = session(standin)
    patch = {"id": "1", "method": "PATCH", "url": f"{ITEM}/workbook/worksheets/Appendix 1/range(address='P31')",
             "body": {"values": [["Outer header only"]]}, "headers": {"Content-Type": "application/json"}}
    assert call(standin, "POST", "/$batch", {"requests": [patch]}, sid).json()["responses"][0]["status"] == 200
    assert cell(standin, "P31")["values"] == [[""]]  # answered, not kept: the batch's header is not passed on
    patch["headers"]["workbook-session-id"] = sid
    call(standin, "POST", "/$batch", {"requests": [patch]})
    assert cell(standin, "P31")["values"] == [["Outer header only"]]
    tree = [{"id": "a", "method": "GET", "url": ITEM}, {"id": "b", "method": "GET", "url": ITEM, "dependsOn": ["a"]},
            {"id": "c", "method": "GET", "url": ITEM, "dependsOn": ["a"]}]
    assert call(standin, "POST", "/$batch", {"requests": tree}).status_code == 400  # neither sequential nor parallel
    tree[2]["dependsOn"] = ["b"]
    assert call(standin, "POST", "/$batch", {"requests": tree}).status_code == 200
    many = [{"id": str(i), "method": "GET", "url": ITEM} for i in range(21)]
    assert call(standin, "POST", "/$batch", {"requests": many}).status_code == 400


def test_more_strings_are_retyped_as_excel_would(standin):
    sid = session(standin)
    call(standin, "PATCH", f"{ITEM}/workbook/worksheets/Appendix 1/range(address='P32:T32')",
         {"values": [["1e5", "2026-08-07", "50%", "12:30", "1/2"]]}, sid)
    values = cell(standin, "P32:T32")["values"][0]
    assert values[0] == 100000 and values[1] == (datetime(2026, 8, 7) - datetime(1899, 12, 30)).days
    assert values[2] == 0.5 and values[3] == 0.5208333333333334
    assert values[4] == (datetime(datetime.now().year, 1, 2) - datetime(1899, 12, 30)).days
