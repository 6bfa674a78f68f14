"""The annual report opens in independent readers with the 22 recommendations, the overview and the chart."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import docx
import openpyxl

import sli
from shared.domain import schema as s
from shared.domain.assurance import status_as_read
from shared.reader import read_appendix
from shared.usecases import Store, submit_update


def test_docx_report_has_the_22_recommendations(workbook: Path, tmp_path: Path) -> None:
    year = datetime.now(UTC).year  # the update below is logged now, so it counts for this year
    store = Store.for_workbook(workbook)
    assert submit_update(store, "L7", {s.STATUS: "Complete", s.SUMMARY: "Peer support service recommissioned",
                                       s.EVIDENCE: "Contract award notice"},
                         by="Joanne Whitworth", via="Slack").state == "applied"
    output = tmp_path / "report.docx"
    assert sli.main(["report", "--year", str(year), "--format", "docx", "--output", str(output),
                     "--workbook", str(workbook)]) == 0
    document = docx.Document(str(output))
    table = document.tables[-1]
    header = [c.text for c in table.rows[0].cells]
    assert header == ["Ref", "Recommendation", "Status", "Summary of status", "Recommendation for next steps"]
    body = [[c.text for c in row.cells] for row in table.rows[1:]]
    assert [r[0] for r in body] == [f"L{n}" for n in range(1, 23)]
    appendix = read_appendix(workbook)
    for ref, text, status, summary, next_steps in body:
        row = appendix.rows[ref]
        assert (text, status, summary, next_steps) == (
            row[s.RECOMMENDATION], status_as_read(row), row[s.SUMMARY] or "", row[s.NEXT_STEPS] or "")
    cells = [p for t in document.tables for row in t.rows for c in row.cells for p in c.paragraphs]
    paragraphs = "\n".join(p.text for p in document.paragraphs + cells)  # the overview sits beside the chart
    # Records began with that update, today: the report says its completions are those since then.
    today = datetime.now(UTC).date()
    assert f"completed in {year} since records began on {today:%d/%m/%Y}: L7" in paragraphs
    assert f"{sum(1 for r in appendix.rows.values() if r.status == 'Complete')} complete" in paragraphs
    assert len(document.inline_shapes) == 1  # the status chart


def test_xlsx_report_and_refusals(workbook: Path, tmp_path: Path) -> None:
    output = tmp_path / "report.xlsx"
    assert sli.main(["report", "--year", "2016", "--output", str(output), "--workbook", str(workbook)]) == 0
    wb = openpyxl.load_workbook(output)
    rows = list(wb["Appendix 1"].iter_rows(min_row=3, values_only=True))  # title, header, then the rows
    assert [r[0] for r in rows] == [f"L{n}" for n in range(1, 23)]
    overview = [r[0] for r in wb["Overview"].iter_rows(values_only=True)]
    # No update recorded: what was completed in 2016 is not known, not "none" beside the complete ones.
    assert "Which recommendations were completed in 2016 is not known: no update has been recorded yet." in overview
    assert len(wb["Overview"]._images) == 1
    assert {"Trend", "Movement", "At risk", "By lead"} <= set(wb.sheetnames)
    by_lead = list(wb["By lead"].iter_rows(min_row=3, values_only=True))
    assert sum(r[1] for r in by_lead) == 22  # numbers as numbers, one row per lead organisation
    assert sli.main(["report", "--year", "2027", "--output", str(tmp_path / "r.pdf"),
                     "--workbook", str(workbook)]) == sli.EXIT_USAGE
