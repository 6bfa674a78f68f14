"""Appendix 1 in SharePoint or OneDrive (issue 19): `sli` with SLI_WORKBOOK set to the file's SharePoint address
and Microsoft Graph played by tests/graph_standin.py over a real .xlsx. Reads, writes, conflicts, faults and
the requests each costs, through the real command line."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

import sli
from shared.domain import schema as s
from tests.graph_standin import ITEM_PATH, GraphStandIn

ROOT = Path(__file__).resolve().parents[1]
SLI = Path(sys.executable).parent / "sli"


@pytest.fixture
def standin(workbook, tmp_path, monkeypatch):
    """The committed workbook served as a SharePoint file; `sli` pointed at its address."""
    served = GraphStandIn(workbook)
    monkeypatch.setenv("SLI_WORKBOOK", served.share_url)
    monkeypatch.setenv("SLI_GRAPH_URL", served.url)
    monkeypatch.setenv("SLI_GRAPH_TOKEN", served.token)
    monkeypatch.setenv("SLI_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("SLI_JOURNAL", raising=False)
    yield served
    served.close()


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = sli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def row_of(path: Path, ref: str) -> dict[str, object]:
    sheet = openpyxl.load_workbook(path)[s.MAIN_SHEET]
    for row in sheet.iter_rows():
        if row[0].value == ref:
            header = [c.value for c in next(r for r in sheet.iter_rows() if r[0].value == s.REF)]
            return {name: cell for name, cell in zip(header, row, strict=False) if name}
    raise AssertionError(ref)


def log_rows(path: Path, update_id: str | None = None) -> list[list[object]]:
    rows = [[c.value for c in r] for r in openpyxl.load_workbook(path)[s.LOG_SHEET].iter_rows(min_row=2)]
    return [r for r in rows if update_id is None or r[7] == update_id]


def test_status_and_list_read_the_sharepoint_file_and_asking_again_costs_one_request(standin, workbook, capsys,
                                                                                     tmp_path):
    code, out, err = run(capsys, "status", "L7")
    assert code == 0, err
    assert out.splitlines()[0] == "Ref: L7" and "Status: Off track" in out
    start = len(standin.requests)
    code, again, _ = run(capsys, "status", "L7")
    assert code == 0 and again == out
    assert len(standin.graph_requests(start)) == 1  # the cTag only: the copy is unchanged
    standin.edit(s.MAIN_SHEET, row_of(workbook, "L7")[s.STATUS].coordinate, "At risk")
    code, out, _ = run(capsys, "list", "--status", "At risk")
    assert code == 0 and "L7" in out
    code, out, _ = run(capsys, "validate")
    assert code == 0 and out.splitlines()[-1].startswith(f"{standin.share_url}: 0 errors")
    assert sorted(p.name for p in workbook.parent.iterdir()) == [workbook.name]  # nothing beside the remote file
    assert (tmp_path / "state" / "Appendix1.xlsx").is_file()


def test_the_console_script_reads_a_sharepoint_address(standin, tmp_path):
    done = subprocess.run([str(SLI), "status", "7"], capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "Ref: L7"


def test_a_graph_address_and_a_bad_address_are_one_sentence(standin, capsys, monkeypatch):
    monkeypatch.setenv("SLI_WORKBOOK", standin.graph_address)
    assert run(capsys, "status", "L1")[0] == 0
    for pasted in (f"<{standin.share_url}>", f'"{standin.share_url}"', f" {standin.share_url}\n"):
        monkeypatch.setenv("SLI_WORKBOOK", pasted)  # as a mail or a chat wraps a link
        assert run(capsys, "status", "L1")[0] == 0, pasted
    monkeypatch.setenv("SLI_WORKBOOK", "https://example.com/Appendix1.xlsx")
    code, out, err = run(capsys, "status", "L1")
    assert code == 2 and out == "" and "SharePoint or OneDrive" in err and len(err.strip().splitlines()) == 1


def test_summary_report_and_export_work_on_the_sharepoint_file(standin, workbook, capsys, tmp_path):
    run(capsys, "status", "L7")
    standin.edit(s.MAIN_SHEET, row_of(workbook, "L7")[s.STATUS].coordinate, "At risk")  # after the copy was made
    code, out, err = run(capsys, "summary", "--chart", str(tmp_path / "chart.png"))
    assert code == 0, err
    assert (tmp_path / "chart.png").is_file()
    target = tmp_path / "appendix.csv"
    code, _, err = run(capsys, "export", "appendix", "--output", str(target))
    assert code == 0, err
    report = tmp_path / "report.docx"
    code, _, err = run(capsys, "report", "--year", "2026", "--output", str(report))
    assert code == 0 and report.stat().st_size > 0, err
    exported = target.read_text(encoding="utf-8-sig")
    assert "L22" in exported
    assert [line for line in exported.splitlines() if line.startswith("L7,")][0].count("At risk") == 1


def test_an_update_is_written_through_a_session_text_stays_text_and_costs_six_requests(standin, workbook, capsys):
    start = len(standin.requests)
    run(capsys, "status", "L7")  # the address resolved and the copy made once, as any first question does
    start = len(standin.requests)
    code, out, err = run(capsys, "update", "L7", "--status", "On track", "--summary", "07/08/2026",
                         "--next", "+44 7700 900123 TRUE", "--due", "30/06/2027", "--by", "Aisha Khan")
    assert code == 0, out + err
    graph = standin.graph_requests(start)
    assert len(graph) <= 6, graph
    assert ("POST", "/v1.0/drives/b!standinDrive0123/items/01STANDINITEM0000000000000000000/workbook/closeSession") \
        in graph
    assert not any(method == "PUT" for method, _ in standin.requests)  # never an upload of the whole file
    row = row_of(workbook, "L7")
    assert row[s.STATUS].value == "On track"
    assert row[s.SUMMARY].value == "07/08/2026" and row[s.SUMMARY].data_type == "s"
    assert row[s.NEXT_STEPS].value == "+44 7700 900123 TRUE"
    assert row[s.DUE].value == datetime(2027, 6, 30) and row[s.DUE].number_format == "dd/mm/yyyy"
    fields = [r[2] for r in log_rows(workbook) if r[1] == "L7" and r[5] == "Aisha Khan"]
    assert set(fields) == {s.STATUS, s.SUMMARY, s.NEXT_STEPS, s.DUE}
    code, out, _ = run(capsys, "status", "L7")
    assert "Summary of status: 07/08/2026" in out


@pytest.mark.parametrize(("status", "code"), [(409, "accessConflict"), (409, "invalidSessionAccessConflict"),
                                              (423, "resourceLocked")])
def test_a_busy_workbook_keeps_updates_waiting_and_one_session_writes_them_all(standin, workbook, capsys, status,
                                                                              code):
    standin.fail("POST", "createSession", status, code, times=100)
    for ref, status in (("L1", "At risk"), ("L2", "Off track"), ("L9", "At risk")):
        code, out, _ = run(capsys, "update", ref, "--status", status, "--by", "Sam Lee")
        assert code == 3, out
        assert "busy" in out
    assert row_of(workbook, "L1")[s.STATUS].value != "At risk"
    standin.faults.clear()  # the officer closed the workbook
    start = len(standin.requests)
    code, out, _ = run(capsys, "sync")
    assert code == 0, out
    graph = standin.graph_requests(start)
    assert sum(path.endswith("createSession") for _, path in graph) == 1
    assert len(graph) <= 3 + 3 * 3, graph
    assert [row_of(workbook, ref)[s.STATUS].value for ref in ("L1", "L2", "L9")] == ["At risk", "Off track",
                                                                                    "At risk"]


def test_an_officers_edit_after_the_senders_view_is_a_conflict_and_is_kept(standin, workbook, capsys):
    address = row_of(workbook, "L7")[s.SUMMARY].coordinate
    # the officer saves in Excel for the web after the update was journalled, before it is written
    standin.before("GET", ITEM_PATH, lambda: standin.edit(s.MAIN_SHEET, address, "Officer's own words"),
                   skip=1, exact=True)
    code, out, _ = run(capsys, "update", "L7", "--summary", "Sender's words", "--by", "Sam Lee")
    assert code == 4, out
    assert row_of(workbook, "L7")[s.SUMMARY].value == "Officer's own words"


def test_an_edit_between_the_read_and_the_write_is_never_written_over(standin, workbook, capsys):
    address = row_of(workbook, "L7")[s.SUMMARY].coordinate
    standin.before("POST", "/$batch", lambda: standin.edit(s.MAIN_SHEET, address, "Officer's own words"))
    code, out, _ = run(capsys, "update", "L7", "--summary", "Sender's words", "--by", "Sam Lee")
    assert code == 3, out
    assert row_of(workbook, "L7")[s.SUMMARY].value == "Officer's own words"
    code, out, _ = run(capsys, "sync")
    assert "[conflict]" in out
    assert row_of(workbook, "L7")[s.SUMMARY].value == "Officer's own words"


def test_retry_after_is_honoured(standin, capsys):
    run(capsys, "status", "L1")
    start = len(standin.requests)
    standin.fail("GET", "/items/01STANDINITEM", 429, "tooManyRequestsUncategorized", retry_after=1)
    code, out, err = run(capsys, "status", "L1")
    assert code == 0, err
    assert standin.times[start + 1] - standin.times[start] >= 1.0


def test_a_lost_session_is_made_again_and_the_update_redone_from_its_read(standin, workbook, capsys):
    standin.fail("POST", "/$batch", 404, "invalidSessionReCreatable")
    start = len(standin.requests)
    code, out, _ = run(capsys, "update", "L9", "--status", "At risk", "--by", "Sam Lee")
    assert code == 0, out
    assert sum(path.endswith("createSession") for _, path in standin.requests[start:]) == 2
    assert row_of(workbook, "L9")[s.STATUS].value == "At risk"


@pytest.mark.parametrize("fault", ["5xx after applying", "dropped answer"])
def test_a_write_whose_answer_never_came_is_settled_from_the_change_log_never_written_twice(
        standin, workbook, capsys, fault):
    if fault == "dropped answer":
        standin.drop("POST", "/$batch", skip=1)
    else:
        standin.fail("POST", "/$batch", 500, "internalServerErrorUncategorized", after_apply=True, skip=1)
    code, out, _ = run(capsys, "update", "L5", "--status", "Complete", "--evidence", "Audit report 2026",
                       "--by", "Sam Lee")
    assert code == 3, out
    assert row_of(workbook, "L5")[s.STATUS].value == "Complete"  # it landed, though no answer said so
    code, out, _ = run(capsys, "sync")
    assert code == 0 and "[applied]" in out, out
    fields = [r[2] for r in log_rows(workbook) if r[1] == "L5" and r[5] == "Sam Lee"]
    assert sorted(fields) == sorted(set(fields)) and s.STATUS in fields  # each field logged once


def test_403_names_what_the_admin_must_fix_and_keeps_the_update(standin, workbook, capsys):
    standin.fail("POST", "createSession", 403, "accessDenied")
    code, out, err = run(capsys, "update", "L6", "--status", "At risk", "--by", "Sam Lee")
    assert code == 3, out
    assert "admin" in out and "Files.ReadWrite.All" in out and "Traceback" not in out + err
    code, out, _ = run(capsys, "sync")
    assert code == 0 and row_of(workbook, "L6")[s.STATUS].value == "At risk"


def test_a_wrong_token_is_one_sentence(standin, capsys, monkeypatch):
    monkeypatch.setenv("SLI_GRAPH_TOKEN", "expired")
    code, out, err = run(capsys, "status", "L1")
    assert code == 2 and out == ""
    assert "sli graph login" in err and len(err.strip().splitlines()) == 1


def test_a_retry_after_too_long_to_wait_keeps_the_update_waiting_without_waiting(standin, workbook, capsys):
    run(capsys, "status", "L8")
    standin.fail("POST", "createSession", 429, "tooManyRequestsUncategorized", retry_after=600)
    start = len(standin.requests)
    code, out, _ = run(capsys, "update", "L8", "--next", "Book the venue", "--by", "Sam Lee")
    assert code == 3 and "throttled" in out, out
    assert sum(path.endswith("createSession") for _, path in standin.requests[start:]) == 1  # not sent again
    code, out, _ = run(capsys, "sync")
    assert code == 0 and row_of(workbook, "L8")[s.NEXT_STEPS].value == "Book the venue"


def test_a_target_cell_holding_a_formula_is_never_written_over(standin, workbook, capsys):
    address = row_of(workbook, "L11")[s.NEXT_STEPS].coordinate
    standin.edit(s.MAIN_SHEET, address, "=CONCAT(\"Agree \", \"audit\")")
    code, out, _ = run(capsys, "update", "L11", "--next", "Agree the audit", "--by", "Sam Lee")
    assert code == 3 and "holds a formula" in out, out
    assert standin.cell(s.MAIN_SHEET, address).value == "=CONCAT(\"Agree \", \"audit\")"


def test_sli_serve_readyz_reads_through_graph_and_says_what_the_admin_must_fix(standin, tmp_path):
    from serve_support import Served, serve_env

    env = serve_env(SLI_GRAPH_URL=standin.url, SLI_GRAPH_TOKEN=standin.token, SLI_STATE_DIR=str(tmp_path / "state"),
                    PYTHONPATH=str(ROOT))
    served = Served(standin.share_url, env, "--local")  # type: ignore[arg-type] - the address, as --workbook
    try:
        body = served.ready()
        assert body["checks"]["workbook"]["ok"] is True and body["checks"]["workbook"]["recommendations"] == 22
        standin.token = "rotated"  # the service account's sign-in no longer works
        status, text = served.get("/readyz")
        assert status == 503 and "sli graph login" in text
    finally:
        assert served.stop()[0] == 0


def test_cells_that_landed_without_their_change_log_rows_get_those_rows_on_the_next_pass(standin, workbook, capsys):
    # the row's cells land; the Change log PATCH in the same $batch fails (a 5xx, nothing of it applied)
    standin.fail("PATCH", f"/worksheets/{s.LOG_SHEET}/range", 500, "internalServerErrorUncategorized")
    code, out, _ = run(capsys, "update", "L5", "--status", "Off track", "--next", "Agree the audit",
                         "--by", "Sam Lee")
    assert code == 3, out
    assert row_of(workbook, "L5")[s.STATUS].value == "Off track"  # the cells hold it
    assert not [r for r in log_rows(workbook) if r[1] == "L5" and r[5] == "Sam Lee"]
    code, out, _ = run(capsys, "sync")
    assert code == 0 and "[applied]" in out, out
    logged = [r for r in log_rows(workbook) if r[1] == "L5" and r[5] == "Sam Lee"]
    assert sorted(r[2] for r in logged) == sorted([s.STATUS, s.NEXT_STEPS]), logged  # every change in the log
    assert {r[7] for r in logged} == {next(r[7] for r in logged)} and logged[0][7]  # under the update's ID
    assert [r[3:5] for r in logged if r[2] == s.STATUS] == [["At risk", "Off track"]]
    code, out, _ = run(capsys, "sync")  # settled: nothing written again
    assert len([r for r in log_rows(workbook) if r[1] == "L5" and r[5] == "Sam Lee"]) == 2


def test_change_log_rows_written_over_by_another_machine_are_detected_and_appended_again(standin, workbook, capsys):
    # another tracker's rows land on the same Change log rows just after ours (no atomic append for a range)
    def other_machine() -> None:
        book = openpyxl.load_workbook(workbook)
        log = book[s.LOG_SHEET]
        for row in range(2, 4):
            for column, value in enumerate(["2026-12-01", "L3", s.STATUS, "At risk", "On track", "Other", "Slack",
                                            f"other{row}"], start=1):
                log.cell(row, column).value = value
        book.save(workbook)
    standin.before("GET", f"/worksheets/{s.LOG_SHEET}/range(address=", other_machine)
    code, out, _ = run(capsys, "update", "L9", "--status", "Off track", "--next", "Agree the audit",
                       "--by", "Sam Lee")
    assert code == 3, out  # not confirmed: the rows read back are not this update's
    code, out, _ = run(capsys, "sync")
    assert code == 0 and "[applied]" in out, out
    assert [r[7] for r in log_rows(workbook)[:2]] == ["other2", "other3"]  # the other machine's rows kept
    logged = [r for r in log_rows(workbook) if r[1] == "L9" and r[5] == "Sam Lee"]
    assert sorted(r[2] for r in logged) == sorted([s.STATUS, s.NEXT_STEPS]), log_rows(workbook)


@pytest.mark.parametrize(("status", "code"), [(500, "internalServerErrorUncategorized"),
                                              (409, "invalidSessionAccessConflict")])
def test_a_session_that_failed_is_never_used_again(standin, workbook, capsys, status, code):
    standin.fail("POST", "createSession", 423, "resourceLocked", times=100)
    for ref in ("L1", "L2"):
        assert run(capsys, "update", ref, "--status", "Off track", "--by", "Sam Lee")[0] == 3
    standin.faults.clear()
    # "Error handling for Excel APIs": after these, no further request in that session
    standin.fail("PATCH", f"/worksheets/{s.LOG_SHEET}/range", status, code)
    code_, out, _ = run(capsys, "sync")
    assert standin.spent and standin.spent_used == [], standin.spent_used
    assert row_of(workbook, "L2")[s.STATUS].value == "Off track", out
    assert run(capsys, "sync")[0] == 0 and standin.spent_used == []
    assert len([r for r in log_rows(workbook) if r[5] == "Sam Lee"]) == 2


def test_a_retry_after_on_any_error_holds_every_later_request_until_it_passes(standin, workbook, capsys):
    standin.fail("POST", "createSession", 423, "resourceLocked", times=100)
    for ref in ("L1", "L2"):
        assert run(capsys, "update", ref, "--status", "Off track", "--by", "Sam Lee")[0] == 3
    standin.faults.clear()
    standin.fail("POST", "createSession", 409, "accessConflict", retry_after=1)
    start = len(standin.requests)
    run(capsys, "sync")
    refused = next(i for i in range(start, len(standin.requests)) if standin.requests[i][1].endswith("createSession"))
    assert len(standin.requests) > refused + 1
    assert standin.times[refused + 1] - standin.times[refused] >= 1.0  # "no followup requests before it passes"


TEXTS = ['=HYPERLINK("x")', "+44 7700 900123", "07/08/2026", "TRUE", "1e5", "'quoted", "2026-08-07", "50%",
         "12:30", "1/2", "Ring 👶 “Sam’s” team", "-3"]


@pytest.mark.parametrize("text", TEXTS)
def test_text_stays_the_text_sent(standin, workbook, capsys, text):
    code, out, err = run(capsys, "update", "L12", "--next", text, "--by", "Sam Lee")
    if text.startswith("="):  # refused by the rules: one sentence, nothing written
        assert code != 0 and "formula" in out and row_of(workbook, "L12")[s.NEXT_STEPS].value != text
        return
    assert code == 0, out + err
    cell = row_of(workbook, "L12")[s.NEXT_STEPS]
    assert cell.value == text and cell.data_type == "s", (cell.value, cell.data_type)
    assert [r[4] for r in log_rows(workbook) if r[1] == "L12" and r[2] == s.NEXT_STEPS] == [text]
    assert standin.cell(s.LOG_SHEET, "E2").data_type == "s"


def test_the_token_is_never_printed_logged_or_shown_in_the_settings(standin, workbook, capsys, caplog, monkeypatch):
    import logging

    from shared.settings import Settings

    secret = "eyJ0eXAiOiJKV1QiLCJzZWNyZXQiOiJub3Qtc2hvd24ifQ.sig"
    standin.token = secret
    monkeypatch.setenv("SLI_GRAPH_TOKEN", secret)
    caplog.set_level(logging.DEBUG)
    shown = []
    standin.fail("POST", "createSession", 403, "accessDenied")
    shown.append(run(capsys, "update", "L6", "--status", "At risk", "--by", "Sam Lee"))
    standin.fail("POST", "/$batch", 500, "internalServerErrorUncategorized", after_apply=True, skip=1)
    shown.append(run(capsys, "sync"))
    standin.token = "rotated"
    shown.append(run(capsys, "status", "L6"))
    assert secret not in repr(Settings.from_env(env=dict(os.environ)))
    assert secret not in caplog.text + repr(shown)


@pytest.mark.parametrize("waiting", [1, 3, 10])
def test_the_readmes_request_counts(standin, workbook, capsys, waiting):
    """README, "Requests per operation": each row as counted here."""
    start = len(standin.requests)
    assert run(capsys, "status", "L1")[0] == 0
    assert len(standin.graph_requests(start)) == 3  # the very first question: resolve, cTag, download address
    standin.edit(s.MAIN_SHEET, row_of(workbook, "L1")[s.NEXT_STEPS].coordinate, "Officer's words")
    start = len(standin.requests)
    assert run(capsys, "status", "L1")[0] == 0
    assert len(standin.graph_requests(start)) == 2  # after the file changed
    start = len(standin.requests)
    assert run(capsys, "status", "L1")[0] == 0
    assert len(standin.graph_requests(start)) == 1  # unchanged
    standin.fail("POST", "createSession", 423, "resourceLocked", times=100)
    refs = [f"L{n}" for n in range(1, 23)][:waiting]
    for ref in refs:
        assert run(capsys, "update", ref, "--summary", f"Checked {ref}", "--by", "Sam Lee")[0] == 3
    standin.faults.clear()
    start = len(standin.requests)
    assert run(capsys, "sync")[0] == 0
    assert len(standin.graph_requests(start)) == 3 + 2 * waiting, standin.graph_requests(start)
    start = len(standin.requests)
    assert run(capsys, "update", "L22", "--summary", "One more", "--by", "Sam Lee")[0] == 0
    assert len(standin.graph_requests(start)) == 7  # the copy our own writes changed is downloaded first
    start = len(standin.requests)
    assert run(capsys, "status", "L22")[0] == 0
    assert len(standin.graph_requests(start)) == 2
    start = len(standin.requests)
    assert run(capsys, "update", "L21", "--summary", "One more", "--by", "Sam Lee")[0] == 0
    assert len(standin.graph_requests(start)) == 6  # from a copy that is current



def test_text_that_starts_with_an_equals_sign_is_not_taken_for_a_formula(standin, workbook, capsys):
    import httpx

    address = row_of(workbook, "L11")[s.NEXT_STEPS].coordinate
    auth = {"Authorization": f"Bearer {standin.token}"}
    sid = httpx.post(f"{standin.url}{ITEM_PATH}/workbook/createSession", json={"persistChanges": True},
                     headers=auth).json()["id"]
    httpx.patch(f"{standin.url}{ITEM_PATH}/workbook/worksheets/{s.MAIN_SHEET}/range(address='{address}')",
                json={"values": [["'=Agree the audit"]]}, headers={**auth, "workbook-session-id": sid})
    assert standin.cell(s.MAIN_SHEET, address).data_type == "s"  # an officer's text, typed with a quote prefix
    code, out, _ = run(capsys, "update", "L11", "--next", "Agree the audit", "--by", "Sam Lee")
    assert code == 0, out
    assert standin.cell(s.MAIN_SHEET, address).value == "Agree the audit"
