"""The add-in keeps working with the workbook in SharePoint (issue 19, point 6): officers still press *Apply
pending updates* in the open workbook; an update the tracker already wrote through Graph is never applied again,
and one the add-in put into the open workbook is settled from the saved file's Change log, never written twice."""

from __future__ import annotations

import openpyxl
import pytest
from officejs_payload import OfficeJsStandIn, get_cell
from test_addin import APP, TestClient, call_script

import sli
from excel import appendix_scripts as scripts
from shared.domain import schema as s
from shared.settings import Settings
from tests.graph_standin import GraphStandIn


@pytest.fixture
def remote(workbook, tmp_path, monkeypatch):
    served = GraphStandIn(workbook)
    env = {"SLI_WORKBOOK": served.share_url, "SLI_GRAPH_URL": served.url, "SLI_GRAPH_TOKEN": served.token,
           "SLI_STATE_DIR": str(tmp_path / "state")}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(scripts, "_served", None)
    scripts.configure(Settings.from_env(env=env))
    with TestClient(APP) as http:
        yield served, http
    served.close()


def test_an_update_written_through_graph_is_not_applied_again_in_the_open_workbook(remote, workbook):
    served, http = remote
    assert sli.main(["update", "L7", "--next", "Agree audit with ELHT", "--by", "Aisha Khan"]) == 0
    in_excel = OfficeJsStandIn.for_workbook(workbook)  # the officer opens the file as it now is
    actions = call_script(http, in_excel, "apply_pending_updates")
    assert not [a for a in actions if a["func"] == "setValues"]
    assert in_excel.alerts[-1]["prompt"] == "No updates from partner leads are waiting."


def test_an_update_the_add_in_applied_is_settled_from_the_saved_file_never_written_twice(remote, workbook):
    served, http = remote
    served.fail("POST", "createSession", 409, "accessConflict", times=100)  # an officer has it open
    assert sli.main(["update", "L7", "--next", "Agree audit with ELHT", "--by", "Aisha Khan"]) == 3
    in_excel = OfficeJsStandIn.for_workbook(workbook)
    call_script(http, in_excel, "apply_pending_updates")
    assert get_cell(in_excel.payload, s.MAIN_SHEET, "H10") == "Agree audit with ELHT"
    # The officer saves: Excel for the web writes the open workbook's values into the SharePoint file.
    book = openpyxl.load_workbook(workbook)
    book[s.MAIN_SHEET]["H10"].value = "Agree audit with ELHT"
    log = next(sh["values"] for sh in in_excel.payload["sheets"] if sh["name"] == s.LOG_SHEET)
    for row in log[1:]:
        book[s.LOG_SHEET].append(row)
    book.save(workbook)
    served.ctag_version += 1
    served.faults.clear()
    start = len(served.requests)
    assert sli.main(["sync"]) == 0
    assert not [path for method, path in served.requests[start:] if method == "POST" and "createSession" in path]
    rows = [r for r in openpyxl.load_workbook(workbook)[s.LOG_SHEET].iter_rows(values_only=True) if r[1] == "L7"]
    assert len(rows) == 1
