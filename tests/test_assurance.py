"""Assurance (issue 21), through the command line as officers use it: Complete is a claim with evidence until a
holder of the accountable role assures it (`sli assure`) or sends it back (`sli send-back`); each board gets its
own paper (`sli report --for BOARD`); the summary, the report and the export count assured and awaiting apart.
Every refusal is one sentence and changes nothing. The use cases the chats will call (notices, reminders) are
driven here with a pinned clock.

The committed workbook names the Director of Public Health (Rebecca Lord) and the LSCB Chair (Margaret
Pearson) on Leads; L3 (DPH) and L22 (LSCB Chair) await assurance, L4, L13 and L16 are assured.
"""

from __future__ import annotations

import csv
import hashlib
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import docx
import openpyxl
import pytest
from conftest import ROOT

import sli
from bot.parse import parse_command
from shared import usecases
from shared.domain import schema as s
from shared.reader import read_change_log
from shared.uow import Store
from shared.usecases import replies

DPH, CHAIR = "Rebecca Lord", "Margaret Pearson"
#: L2, At risk, BwD Council Public Health, accountable to the Director of Public Health.
REF = "L2"


@pytest.fixture(autouse=True)
def _no_env_workbook(monkeypatch):
    monkeypatch.delenv("SLI_WORKBOOK", raising=False)


def run(capsys, workbook: Path, *argv: str) -> tuple[int, str, str]:
    code = sli.main([*argv, "--workbook", str(workbook)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def status_line(capsys, workbook: Path, ref: str) -> str:
    code, out, _ = run(capsys, workbook, "status", ref)
    assert code == 0
    return next(line for line in out.splitlines() if line.startswith("Status:"))


def claim(capsys, workbook: Path, ref: str = REF, by: str = "Maryam Khan", evidence: str = "Audit report, Q3") -> str:
    code, out, _ = run(capsys, workbook, "update", ref, "--status", "Complete", "--summary", "Pilot finished",
                       "--evidence", evidence, "--by", by)
    assert code == 0, out
    return out


def log_rows(workbook: Path, ref: str) -> list:
    return [row for row in read_change_log(workbook) if row.ref == ref]


# --- Complete is claimed with evidence ------------------------------------------------------------

def test_complete_without_evidence_is_refused_with_a_sentence_and_nothing_written(workbook, capsys):
    before = digest(workbook)
    code, out, _ = run(capsys, workbook, "update", REF, "--status", "Complete", "--summary", "Done",
                       "--by", "Maryam Khan")
    assert code == sli.EXIT_FINDINGS
    assert "Complete needs evidence" in out and "--evidence" in out
    assert digest(workbook) == before


@pytest.mark.parametrize("evidence, rule", [
    ("=HYPERLINK(\"http://x.example\")", "formula"),
    ("Audit of 943 476 5919 attached", "NHS number"),
    ("Report\u202eattached", "invisible"),
])
def test_evidence_is_screened_like_every_other_text(workbook, capsys, evidence, rule):
    before = digest(workbook)
    code, out, _ = run(capsys, workbook, "update", REF, "--status", "Complete", "--summary", "Done",
                       "--evidence", evidence, "--by", "Maryam Khan")
    assert code == sli.EXIT_FINDINGS, out
    assert "Evidence" in out
    assert digest(workbook) == before


def test_a_claim_reads_complete_awaiting_assurance_everywhere(workbook, capsys):
    claim(capsys, workbook)
    assert status_line(capsys, workbook, REF) == "Status: Complete, awaiting assurance"
    code, out, _ = run(capsys, workbook, "list", "--lead", "BwD Council Public Health")
    assert any(line.startswith("L2 ") and "Complete, awaiting assurance" in line for line in out.splitlines())
    evidence = [r for r in log_rows(workbook, REF) if r.field == s.EVIDENCE]
    assert [(r.new_value, r.by, r.via) for r in evidence] == [("Audit report, Q3", "Maryam Khan", s.VIA_CLI)]
    code, out, _ = run(capsys, workbook, "history", REF)
    assert "Evidence: '' -> 'Audit report, Q3'  by Maryam Khan via CLI" in out
    # The chats' answer says the same (the reply model both lay out).
    row = usecases.find(Store.for_workbook(workbook), REF)
    assert replies.recommendation_reply(row).status == s.AWAITING_ASSURANCE


# --- assure ---------------------------------------------------------------------------------------

def test_the_holder_assures_and_status_says_who_and_when(workbook, capsys):
    claim(capsys, workbook)
    code, out, _ = run(capsys, workbook, "assure", REF, "--by", DPH, "--note", "Checked against the audit")
    assert code == 0 and f"{REF} assured by {DPH}" in out, out
    code, out, _ = run(capsys, workbook, "status", "2")
    assert "Status: Complete\n" in out and f"Assured by {DPH} on " in out
    assert f"Assured by: {DPH}" in out
    rows = {r.field: r for r in log_rows(workbook, REF)}
    assert rows[s.ASSURED_BY].new_value == DPH and rows[s.ASSURED_BY].via == s.VIA_CLI
    assert rows[s.ASSURANCE_NOTE].new_value == "Checked against the audit" and rows[s.ASSURANCE_NOTE].by == DPH
    assert rows[s.ASSURED_BY].update_id == rows[s.ASSURANCE_NOTE].update_id  # one update, journalled
    code, out, _ = run(capsys, workbook, "history", REF)
    assert "Assurance note: '' -> 'Checked against the audit'  by Rebecca Lord via CLI" in out
    assert openpyxl.load_workbook(workbook)[s.MAIN_SHEET]["O5"].is_date  # Assured on, a real date


def test_someone_not_holding_the_role_is_refused_and_told_who_can(workbook, capsys):
    before = digest(workbook)
    code, out, _ = run(capsys, workbook, "assure", "3", "--by", "Maryam Khan")
    assert code == sli.EXIT_FINDINGS
    assert out.strip() == ("Only a holder of Director of Public Health can assure L3: Rebecca Lord "
                           "(Director of Public Health).")
    assert digest(workbook) == before


def test_the_claimant_cannot_assure_their_own_claim(workbook, capsys):
    claim(capsys, workbook, by=DPH)
    before = digest(workbook)
    code, out, _ = run(capsys, workbook, "assure", REF, "--by", DPH)
    assert code == sli.EXIT_FINDINGS
    assert f"{DPH} claimed L2 Complete and cannot assure their own claim" in out
    assert digest(workbook) == before


def test_nothing_to_assure_and_a_note_with_patient_data_are_refused(workbook, capsys):
    before = digest(workbook)
    code, out, _ = run(capsys, workbook, "assure", "7", "--by", DPH)
    assert code == sli.EXIT_FINDINGS and out.strip() == "L7 is not awaiting assurance: its status is Off track."
    code, out, _ = run(capsys, workbook, "assure", "3", "--by", DPH, "--note", "see 943 476 5919")
    assert code == sli.EXIT_FINDINGS and "NHS number" in out
    code, out, _ = run(capsys, workbook, "assure", "4", "--by", DPH)
    assert code == sli.EXIT_FINDINGS and "already assured by Rebecca Lord on 05/10/2026" in out
    assert digest(workbook) == before


# --- send back ------------------------------------------------------------------------------------

def test_send_back_returns_the_status_before_the_claim_and_the_lead_is_told_why(workbook, capsys):
    claim(capsys, workbook)  # L2 was At risk
    code, out, _ = run(capsys, workbook, "send-back", REF, "--by", DPH, "--reason", "The audit covers one ward")
    assert code == 0, out
    assert status_line(capsys, workbook, REF) == "Status: At risk"
    sent = [r for r in log_rows(workbook, REF) if r.by == DPH]
    assert {(r.field, r.old_value, r.new_value) for r in sent} == {
        (s.STATUS, s.COMPLETE, s.AT_RISK), (s.EVIDENCE, "Audit report, Q3", ""),
        (s.SENT_BACK, "", "The audit covers one ward")}
    code, out, _ = run(capsys, workbook, "history", REF)
    assert "Sent back: '' -> 'The audit covers one ward'  by Rebecca Lord via CLI" in out
    notice = usecases.sent_back_notice(Store.for_workbook(workbook), REF)
    assert notice.reason == "The audit covers one ward" and notice.by == DPH
    assert "Maryam Khan" in {lead.name for lead in notice.leads}
    reply = replies.sent_back_reply(notice)
    assert reply.must_show() == (REF, reply.heading, DPH, "The audit covers one ward", s.AT_RISK)
    # A new claim needs new evidence: the old was cleared with the claim.
    code, out, _ = run(capsys, workbook, "update", REF, "--status", "Complete", "--by", "Maryam Khan")
    assert code == sli.EXIT_FINDINGS and "Complete needs evidence" in out
    assert usecases.sent_back_notice(Store.for_workbook(workbook), REF) is not None


def test_send_back_needs_a_reason_and_a_holder(workbook, capsys):
    claim(capsys, workbook)
    before = digest(workbook)
    code, out, _ = run(capsys, workbook, "send-back", REF, "--by", DPH, "--reason", "  ")
    assert code == sli.EXIT_FINDINGS and out.strip() == "Say why L2 is sent back: the lead is told the reason."
    code, out, _ = run(capsys, workbook, "send-back", REF, "--by", CHAIR, "--reason", "No")
    assert code == sli.EXIT_FINDINGS and out.startswith("Only a holder of Director of Public Health can send back")
    assert digest(workbook) == before


# --- the use cases the chats call -----------------------------------------------------------------

def test_claim_notice_names_the_holders_and_reminders_nudge_after_fourteen_days(workbook, capsys):
    claim(capsys, workbook)
    store = Store.for_workbook(workbook)
    notice = usecases.claim_notice(store, REF)
    assert [lead.name for lead in notice.holders] == [DPH] and notice.claim.by == "Maryam Khan"
    assert notice.claim.evidence == "Audit report, Q3" and notice.claim.status_before == s.AT_RISK
    message = replies.claim_reply(notice)
    assert message.actions == (replies.ASSURE, replies.SEND_BACK) and "Audit report, Q3" in message.must_show()
    assert usecases.claim_notice(store, "7") is None
    now = datetime.now(UTC)
    soon = usecases.assurance_reminders(usecases.context(store, usecases.fixed_clock(now + timedelta(days=3))))
    assert REF not in {r.row.ref for r in soon}
    later = usecases.assurance_reminders(usecases.context(store, usecases.fixed_clock(now + timedelta(days=15))))
    waiting = {r.row.ref: r for r in later if r.kind == "waiting"}
    assert waiting[REF].days >= 15 and [p.name for p in waiting[REF].people] == [DPH]
    assert "L3" in waiting  # claimed before any record: waiting since its Last updated day
    assert sli.main(["send-back", REF, "--by", DPH, "--reason", "Partial", "--workbook", str(workbook)]) == 0
    back = [r for r in usecases.assurance_reminders(store) if r.row.ref == REF]
    assert [(r.kind, r.reason) for r in back] == [("sent_back", "Partial")]
    assert "Maryam Khan" in {p.name for p in back[0].people}


def test_the_one_line_update_carries_evidence():
    intent = parse_command('update 7 status=Complete evidence="https://example.org/audit.pdf"')
    assert (intent.kind, intent.ref, intent.error) == ("update", "L7", "")
    assert intent.changes == {s.STATUS: "Complete", s.EVIDENCE: "https://example.org/audit.pdf"}


def test_the_form_has_an_evidence_field_only_where_the_workbook_has_the_column(workbook, tmp_path):
    row = usecases.find(Store.for_workbook(workbook), "3")
    form = replies.form_reply(row, s.STATUSES)
    assert [f.name for f in form.fields][-1] == "evidence" and form.fields[-1].value.startswith("Record keeping")
    old = without_assurance(workbook, tmp_path)
    form = replies.form_reply(usecases.find(Store.for_workbook(old), "3"), s.STATUSES)
    assert "evidence" not in [f.name for f in form.fields]
    assert replies.submitted_values({"status": "Complete"}) == {s.STATUS: "Complete", s.SUMMARY: "",
                                                                 s.NEXT_STEPS: "", s.DUE: ""}


# --- a workbook without the columns ---------------------------------------------------------------

def without_assurance(workbook: Path, tmp_path: Path) -> Path:
    """A workbook as made before assurance: Appendix 1 without its four columns."""
    target = tmp_path / "old" / "Appendix1.xlsx"
    target.parent.mkdir()
    wb = openpyxl.load_workbook(workbook)
    ws = wb[s.MAIN_SHEET]
    ws.delete_cols(len(s.MAIN_COLUMNS) + 1, len(s.ASSURANCE_COLUMNS))
    wb.save(target)
    return target


def test_a_workbook_without_the_columns_works_as_before_and_says_once_how_to_add_them(workbook, tmp_path, capsys):
    old = without_assurance(workbook, tmp_path)
    code, out, _ = run(capsys, old, "validate")
    assert code == 0 and out.count(s.HOW_TO_ADD_ASSURANCE) == 1
    code, out, _ = run(capsys, old, "update", REF, "--status", "Complete", "--summary", "Done", "--by", "Maryam Khan")
    assert code == 0, out
    assert status_line(capsys, old, REF) == "Status: Complete"
    code, out, _ = run(capsys, old, "assure", REF, "--by", DPH)
    assert code == sli.EXIT_FINDINGS and "This workbook asks for no assurance" in out
    code, out, _ = run(capsys, old, "update", "3", "--evidence", "link", "--by", "Maryam Khan")
    assert code == sli.EXIT_FINDINGS and "no Evidence column" in out
    assert usecases.assurance_reminders(Store.for_workbook(old)) == []
    code, out, _ = run(capsys, workbook, "validate")
    assert s.HOW_TO_ADD_ASSURANCE not in out


def test_a_board_paper_from_a_workbook_without_the_accountable_column_is_refused_not_empty(workbook, tmp_path,
                                                                                          capsys):
    """A board that sees only its roles' recommendations cannot be told which they are without the column:
    one sentence on how to add it, and no paper (an empty one would read as 'nothing for this board')."""
    old = without_assurance(workbook, tmp_path)
    output = tmp_path / "lscb.docx"
    code, out, err = run(capsys, old, "report", "--for", "LSCB", "--output", str(output))
    assert code != 0 and s.ACCOUNTABLE in out + err and s.HOW_TO_ADD_ASSURANCE in out + err
    assert not output.exists()
    code, out, err = run(capsys, old, "report", "--for", "HWBB", "--output", str(output))
    assert code == 0 and output.exists(), out + err


# --- validation -----------------------------------------------------------------------------------

def test_validate_checks_roles_against_lists_and_the_assured_columns(workbook, capsys):
    wb = openpyxl.load_workbook(workbook)
    ws = wb[s.MAIN_SHEET]
    ws["L5"] = "Chief Executive"        # L2: not a role on Lists
    ws["N17"] = "Tom Moss"              # L14 (At risk): assured, not Complete, not a holder, no date
    ws["N7"] = None                     # L4 (Complete, assured): the date left without the name
    ws["M6"] = None                     # L3 (Complete, awaiting): its evidence removed
    wb[s.LEADS_SHEET]["F2"] = "Mayor"   # Maryam Khan: not a role on Lists
    wb.save(workbook)
    code, out, _ = run(capsys, workbook, "validate")
    assert code == sli.EXIT_FINDINGS
    for expected in ("L2 Accountable: error: 'Chief Executive' is not an accountable role on sheet Lists",
                     "L14 Assured by: error: Assured by and Assured on are filled but the status is At risk",
                     "L14 Assured on: error: Assured by is filled but Assured on is empty",
                     "L14 Assured by: error: Tom Moss does not hold Director of Public Health",
                     "L4 Assured by: error: Assured on is filled but Assured by is empty",
                     "L3 Evidence: error: Complete needs evidence",
                     "Accountable for: error: Leads: Maryam Khan is given the role 'Mayor'"):
        assert any(line.startswith(expected) for line in out.splitlines()), (expected, out)


# --- counted, and each board its paper ------------------------------------------------------------

def test_summary_report_and_export_count_assured_and_awaiting_apart_the_same(workbook, tmp_path, capsys):
    month = datetime.now(UTC).strftime("%Y-%m")
    code, out, _ = run(capsys, workbook, "summary", "--month", month, "--dry-run", "--chart", str(tmp_path / "c.png"))
    assert code == 0 and "of the 5 complete: 3 complete and assured, 2 awaiting assurance" in out, out
    code, _, _ = run(capsys, workbook, "report", "--year", month[:4], "--output", str(tmp_path / "r.docx"))
    text = "\n".join(p.text for p in docx.Document(str(tmp_path / "r.docx")).paragraphs)
    assert code == 0 and "Of the 5 complete: 3 complete and assured, 2 awaiting assurance." in text
    code, _, _ = run(capsys, workbook, "export", "appendix", "--output", str(tmp_path / "a.csv"))
    with open(tmp_path / "a.csv", encoding="utf-8-sig", newline="") as handle:
        said = [row["Assurance"] for row in csv.DictReader(handle)]
    assert (said.count("complete and assured"), said.count("awaiting assurance")) == (3, 2)


def test_each_board_gets_its_own_paper_with_an_assurance_table(workbook, tmp_path, capsys):
    year = datetime.now(UTC).strftime("%Y")
    output = tmp_path / "lscb.docx"
    code, out, _ = run(capsys, workbook, "report", "--year", year, "--for", "lscb", "--output", str(output))
    assert code == 0, out
    document = docx.Document(str(output))
    assert document.paragraphs[0].text.endswith("paper for the LSCB")
    assert document.core_properties.title.endswith("paper for the LSCB")
    tables = {t.rows[0].cells[0].text + "|" + t.rows[0].cells[-1].text: t for t in document.tables}
    appendix = tables["Ref|Recommendation for next steps"]
    assert [r.cells[0].text for r in appendix.rows[1:]] == ["L4", "L5", "L16", "L17", "L19", "L22"]
    assurance = tables["Ref|Waiting since"]
    rows = {r.cells[0].text: [c.text for c in r.cells] for r in assurance.rows[1:]}
    assert set(rows) == {"L4", "L16", "L22"}
    assert rows["L16"][6:8] == [CHAIR, "08/10/2026"] and rows["L22"][1] == s.AWAITING_ASSURANCE
    assert rows["L22"][5].startswith("LSCB training platform report")
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Of the LSCB's 3 complete: 2 complete and assured, 1 awaiting assurance." in text
    xlsx = tmp_path / "cdop.xlsx"
    code, _, _ = run(capsys, workbook, "report", "--year", year, "--for", "CDOP", "--output", str(xlsx))
    assert code == 0
    wb = openpyxl.load_workbook(xlsx)
    assert wb[s.MAIN_SHEET]["A1"].value.endswith("paper for the CDOP")
    refs = [r[0] for r in wb[s.MAIN_SHEET].iter_rows(min_row=3, values_only=True)]
    assert refs == ["L1", "L2", "L3", "L4", "L5", "L8", "L9", "L18", "L19"]  # its modifiable factors
    assert [r[0] for r in wb["Assurance"].iter_rows(min_row=3, values_only=True)] == ["L3", "L4"]


def test_an_unknown_board_is_refused_naming_the_boards_and_nothing_is_written(workbook, tmp_path):
    output = tmp_path / "x.docx"
    done = subprocess.run([sys.executable, str(ROOT / "sli.py"), "report", "--for", "Cabinet", "--output",
                           str(output), "--workbook", str(workbook)], capture_output=True, text=True, timeout=120)
    assert done.returncode == sli.EXIT_USAGE
    assert done.stderr.strip() == "sli: There is no board called 'Cabinet' on sheet Lists: use one of HWBB, LSCB, CDOP."
    assert not output.exists() and "Traceback" not in done.stderr


def test_assure_and_send_back_through_the_installed_command(workbook):
    """The same through a subprocess, as an officer types it."""
    def sli_run(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(ROOT / "sli.py"), *argv, "--workbook", str(workbook)],
                              capture_output=True, text=True, timeout=120)
    done = sli_run("assure", "3", "--by", DPH, "--note", "Audit seen")
    assert done.returncode == 0 and done.stdout.startswith(f"L3 assured by {DPH} on "), done.stdout + done.stderr
    done = sli_run("send-back", "22", "--by", CHAIR, "--reason", "Completions by team, please")
    assert done.returncode == 0, done.stdout + done.stderr
    status = sli_run("status", "22").stdout
    assert "Status: On track" in status  # before the claim (no record: On track), the evidence cleared
    assert "Evidence: -" in status


def test_a_board_paper_s_counts_chart_and_leads_are_the_board_s_own(workbook, tmp_path, capsys):
    """Each board its own paper: the LSCB's figures add up to its 6 recommendations, not the partnership's 22."""
    year = datetime.now(UTC).strftime("%Y")
    xlsx, output = tmp_path / "lscb.xlsx", tmp_path / "lscb.docx"
    assert run(capsys, workbook, "report", "--year", year, "--for", "LSCB", "--output", str(xlsx))[0] == 0
    assert run(capsys, workbook, "report", "--year", year, "--for", "LSCB", "--output", str(output))[0] == 0
    wb = openpyxl.load_workbook(xlsx)
    overview = [r for r in wb["Overview"].iter_rows(values_only=True) if r[0] in s.STATUSES]
    assert sum(n for _, n, *_ in overview) == 6, overview
    leads = list(wb["By lead"].iter_rows(min_row=3, values_only=True))
    assert sum(r[1] for r in leads) == 6 and "Pan-Lancashire CDOP" not in [r[0] for r in leads]
    *_, last = wb["Trend"].iter_rows(min_row=3, values_only=True)
    assert sum(n for n in last[1:6]) == 6, last
    document = docx.Document(str(output))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Of the LSCB's 6 recommendations, as at" in text and "of all 22 recommendations" not in text
    alt = document.inline_shapes[0]._inline.docPr.get("descr")
    assert alt.startswith("Stacked bar chart of the 6 recommendations"), alt


def _claim_in_excel(workbook: Path, ref: str, by: str, evidence: str) -> None:
    """An officer sets `ref` Complete in Excel: status, evidence and Updated by typed, no journal entry."""
    wb = openpyxl.load_workbook(workbook)
    ws = wb[s.MAIN_SHEET]
    header_row = next(r for r in ws.iter_rows() if any(c.value == "Ref" for c in r))
    column = {c.value: c.column for c in header_row}
    [row] = [r[0].row for r in ws.iter_rows(min_row=header_row[0].row + 1) if r[column["Ref"] - 1].value == ref]
    for name, value in ((s.STATUS, s.COMPLETE), (s.EVIDENCE, evidence), (s.UPDATED_BY, by)):
        ws.cell(row, column[name]).value = value
    wb.save(workbook)


def test_a_claim_typed_in_excel_after_one_sent_back_is_its_own_claim(workbook, capsys):
    """L2 claimed by Maryam Khan and sent back; set Off track; then the Director of Public Health claims it
    Complete in Excel: it is her claim (she cannot assure it), and sent back it reads Off track again, the
    status before this claim, not the first claim's."""
    claim(capsys, workbook)
    assert run(capsys, workbook, "send-back", REF, "--by", DPH, "--reason", "One ward only")[0] == 0
    assert run(capsys, workbook, "update", REF, "--status", "Off track", "--by", "Maryam Khan")[0] == 0
    _claim_in_excel(workbook, REF, DPH, "Board minutes, December 2026")
    assert status_line(capsys, workbook, REF) == f"Status: {s.AWAITING_ASSURANCE}"
    before = digest(workbook)
    code, out, _ = run(capsys, workbook, "assure", REF, "--by", DPH)
    assert code == sli.EXIT_FINDINGS and "Rebecca Lord claimed L2 Complete and cannot assure their own claim" in out
    assert digest(workbook) == before
    code, out, _ = run(capsys, workbook, "send-back", REF, "--by", DPH, "--reason", "Minutes not yet approved")
    assert code == 0, out
    assert status_line(capsys, workbook, REF) == "Status: Off track"


def test_by_names_the_holder_however_it_is_spaced_cased_or_quoted(workbook, capsys):
    """`--by` pasted from an email or a document: curly quotes, other case, doubled spaces."""
    claim(capsys, workbook)
    before = digest(workbook)
    code, out, _ = run(capsys, workbook, "assure", REF, "--by", " “ ” ")
    assert code == sli.EXIT_FINDINGS and out.strip() == "Say who assures it: --by NAME, as on sheet Leads."
    assert digest(workbook) == before
    code, out, _ = run(capsys, workbook, "assure", REF, "--by", " “rebecca  LORD” ")
    assert code == 0, out
    assert out.strip().startswith(f"{REF} assured by {DPH} on ")


def test_the_monthly_summary_shows_the_assurance_and_the_sending_back_of_the_month(workbook, tmp_path, capsys):
    """The Done-when's summary shows both: L3 assured, and L22 sent back with its reason, beside the counts."""
    month = datetime.now(UTC).strftime("%Y-%m")
    assert run(capsys, workbook, "assure", "L3", "--by", DPH)[0] == 0
    assert run(capsys, workbook, "send-back", "L22", "--by", CHAIR, "--reason", "Need the completion figures")[0] == 0
    code, out, _ = run(capsys, workbook, "summary", "--month", month, "--dry-run", "--chart", str(tmp_path / "c.png"))
    assert code == 0, out
    assert f"L3 {s.AWAITING_ASSURANCE} → complete and assured ({DPH}, via CLI)" in out, out
    assert f"L22 Complete → On track (sent back: Need the completion figures) ({CHAIR}, via CLI)" in out, out
