"""The annual report: Appendix 1 as a board paper carries it, for the 12-month update to the Health and
Wellbeing Board, the LSCB and the CDOP (`sli report --year 2027 --format docx --output PATH`)."""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from shared import summary as sm
from shared import trend as tr
from shared.domain import schema as s
from shared.domain.values import cell_text, day_text, plural
from shared.reader import read_appendix
from shared.uow import Store

FORMATS = ("docx", "xlsx")
TABLE_COLUMNS = ("Ref", "Recommendation", "Status", "Summary of status", "Recommendation for next steps")
MOVES_COLUMNS = ("Ref", "Recommendation", "Lead organisation", "Start of year", "", "End of year")
RISK_COLUMNS = ("Ref", "Status now", "At risk or off track since", "Days so far", "Days at risk in year",
                "Days off track in year")
LEAD_COLUMNS = ("Lead organisation", "Recommendations", "Updates in year", "Last update", "At risk or off track",
                "Overdue next steps", "Not updated for 60 days")


@dataclass
class ReportContent:
    """What the report says; every table already as the text a reader sees (both writers share it)."""

    year: int
    title: str
    as_at: str
    counts: dict[str, int]
    completed: list[tuple[str, str, str]]  # (ref, date, recommendation)
    rows: list[tuple[str, str, str, str, str]]
    chart_png: bytes
    trend: pd.DataFrame = field(default_factory=pd.DataFrame)
    moves: list[tuple[str, ...]] = field(default_factory=list)
    at_risk: list[tuple[str, ...]] = field(default_factory=list)
    leads: list[tuple[object, ...]] = field(default_factory=list)  # numbers and a date: numbers in the xlsx
    sentences: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _days(value: float) -> str:
    return f"{value:.0f}" if value >= 0.5 or value == 0 else "<1"


def report_content(store: Store, year: int, now: datetime | None = None) -> ReportContent:
    """What the report says, from the workbook (now), the journal's snapshots and its update history."""
    now = now or datetime.now(UTC)
    appendix = read_appendix(store.workbook)
    frame = tr.appendix_frame(appendix)
    start, end = tr.year_window(year, now)
    month = (year, 12) if now.year > year else (now.year, now.month)
    changes = tr.status_changes(store)  # read once: the figures, the trend, the moves and time at risk use it
    figures = sm.month_figures(store, *month, now=now, changes=changes)
    months = [(year, m) for m in range(1, 13) if tr.month_start(year, m) < max(end, start + pd.Timedelta(days=1))]
    trend = tr.month_trend(store, appendix, months, now, changes)
    known = trend[trend["source"] != tr.NO_RECORD]
    chart_trend = trend.loc[known.index[0]:] if len(known) else trend
    in_year = tr.since(changes, store, start)
    done = in_year[(in_year["new"] == s.COMPLETE) & (in_year["at"] < end)].drop_duplicates("ref", keep="last")
    completed = [(ref, day_text(at), cell_text(frame.at[ref, s.RECOMMENDATION]) if ref in frame.index else "")
                 for ref, at in zip(done["ref"], done["at"], strict=True)]

    moves = tr.year_moves(store, appendix, year, now, changes)
    risk = tr.time_at_risk(store, appendix, year, now, changes)
    leads = tr.by_lead(store, appendix, year, now, overdue_as_of=min(end.date(), now.date()))
    as_at = day_text(min(end - pd.Timedelta(seconds=1), tr.utc_naive(now)))
    first = tr.first_record(store)

    sentences = [f"Of the {sum(figures.counts.values())} recommendations for individual localities, as at {as_at}: "
                 + ", ".join(f"{figures.counts.get(st, 0)} {st.lower()}" for st in s.STATUSES) + "."]
    known_moves = moves[moves["move"] != ""]
    if len(known_moves):
        tally = known_moves["move"].value_counts()
        sentences.append(f"Since 1 January {year}: {tally.get('↑', 0)} moved to a better status, "
                         f"{tally.get('↓', 0)} to a worse one, {tally.get('=', 0)} stayed where they were.")
    sentences.append(f"{plural(len(completed), 'recommendation')} {'was' if len(completed) == 1 else 'were'} "
                     f"completed in {year}: "
                     + ", ".join(ref for ref, _, _ in completed) + "."
                     if completed else f"No recommendation was marked complete in {year}.")
    behind = leads[(leads["overdue"] > 0) | (leads["at_risk"] > 0)].head(3)
    if len(behind):
        sentences.append("Most behind: " + "; ".join(
            f"{lead} ({plural(row.overdue, 'overdue next step')}, {row.at_risk} at risk or off track)"
            for lead, row in behind.iterrows()) + ".")
    notes = []
    if (trend["source"] == tr.RECONSTRUCTED).any():
        notes.append("Months marked * had no month-end snapshot: their counts were reconstructed by replaying "
                     "each recommendation's status changes from the Change log back from today's workbook.")
    if first is None or first > start:
        since = day_text(first) if first else "any update was recorded"
        notes.append(f"Records begin {'on ' + since if first else 'only once ' + since}: statuses before then, "
                     f"and the start of the year, are not known.")

    return ReportContent(
        year=year,
        title=f"Sector Led Improvement Review: Infant Mortality - progress on the individual locality "
              f"recommendations, {year}",
        as_at=as_at, counts=figures.counts, completed=completed,
        rows=[(ref, cell_text(r[s.RECOMMENDATION]), r["status"], cell_text(r[s.SUMMARY]), cell_text(r[s.NEXT_STEPS]))
              for ref, r in frame.iterrows()],
        chart_png=tr.trend_chart(chart_trend, f"Recommendations by status, month by month, {year}", width_in=7.5,
                                 aspect=0.55),
        trend=trend,
        moves=[(ref, _short(r.recommendation, 70), r.lead, r.start or "not known", r.move, r.end)
               for ref, r in moves.iterrows()],
        at_risk=[(ref, r["status"], (day_text(r["spell_since"]) if r["since_known"] else
                                     f"before {day_text(r['spell_since'])}") if pd.notna(r["spell_since"]) else "",
                  (_days((tr.utc_naive(now) - r["spell_since"]).total_seconds() / 86400)
                   + ("" if r["since_known"] else "+")) if pd.notna(r["spell_since"]) else "",
                  _days(r[s.AT_RISK]), _days(r[s.OFF_TRACK])) for ref, r in risk.iterrows()],
        leads=[(lead, int(r.recommendations), int(r.updates),
                r.last_update.date() if pd.notna(r.last_update) else "none", int(r.at_risk), int(r.overdue),
                int(r.stale)) for lead, r in leads.iterrows()],
        sentences=sentences, notes=notes)


def _short(text: str, width: int) -> str:
    return textwrap.shorten(text, width, placeholder="…") if text else ""


def _docx_table(document, header: tuple[str, ...], rows: list[tuple[object, ...]], widths_cm: tuple[float, ...],
                font_pt: float | None = None):
    """A gridded table with a header row and fixed column widths (LibreOffice reads the grid, Word the cells)."""
    from docx.shared import Cm, Pt

    table = document.add_table(rows=1, cols=len(header))
    table.style = "Light Grid Accent 1"
    for cell, name in zip(table.rows[0].cells, header, strict=True):
        cell.text = name
    for row in rows:
        for cell, value in zip(table.add_row().cells, row, strict=True):
            cell.text = day_text(value) if isinstance(value, date) else str(value)
    table.autofit = False
    widths = [Cm(w) for w in widths_cm]
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width
            if font_pt:
                for paragraph in cell.paragraphs:
                    for run in paragraph.runs:
                        run.font.size = Pt(font_pt)
    return table


def write_docx(content: ReportContent, output: Path) -> Path:
    """Page 1 answers "how did the position move, and who is behind?": the sentences, the month-by-month
    chart and the table by lead organisation. Then each recommendation's start and end of the year, time
    At risk or Off track, and Appendix 1 as the board paper carries it."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm, Pt

    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.4))
    document.styles["Normal"].font.size = Pt(10)
    document.add_heading("Appendix 1", level=0)
    document.add_paragraph(content.title)
    document.add_heading("Overview", level=1)
    layout = document.add_table(rows=1, cols=2)  # the chart beside the words, on one page
    layout.autofit = False
    chart_cell, words = layout.rows[0].cells
    for column, cell, width in zip(layout.columns, (chart_cell, words), (Cm(14.0), Cm(12.3)), strict=True):
        column.width = cell.width = width  # LibreOffice reads the grid; Word reads the cells
    chart_cell.paragraphs[0].add_run().add_picture(io.BytesIO(content.chart_png), width=Cm(13.6))
    for index, sentence in enumerate(content.sentences):
        paragraph = words.paragraphs[0] if index == 0 else words.add_paragraph()
        paragraph.add_run(sentence).font.size = Pt(9.5)
    for note in content.notes:
        run = words.add_paragraph().add_run(note)
        run.italic, run.font.size = True, Pt(8.5)
    document.add_heading("By lead organisation", level=2)
    _docx_table(document, LEAD_COLUMNS, content.leads, (6.9, 3.9, 2.3, 2.4, 2.6, 2.6, 2.8), font_pt=9)
    if content.completed:
        document.add_heading(f"Completed in {content.year}", level=2)
        for ref, when, text in content.completed:
            document.add_paragraph(f"{ref} ({when}): {text}", style="List Bullet")
    document.add_page_break()
    document.add_heading(f"How each recommendation moved in {content.year}", level=1)
    document.add_paragraph("↑ better, ↓ worse, = unchanged (Not started and Off track count alike; Complete is best). "
                           f"End of year: as at {content.as_at}.")
    _docx_table(document, MOVES_COLUMNS, content.moves, (1.2, 11.5, 6.0, 2.6, 0.8, 2.6), font_pt=9)
    if content.at_risk:
        document.add_heading("Time At risk or Off track", level=2)
        _docx_table(document, RISK_COLUMNS, content.at_risk, (1.2, 2.6, 4.2, 2.4, 3.2, 3.2), font_pt=9)
    document.add_page_break()
    document.add_heading("Recommendations: status and next steps", level=1)
    _docx_table(document, TABLE_COLUMNS, content.rows, (1.3, 7.5, 2.3, 7.5, 6.5))
    document.core_properties.title = content.title
    document.save(output)
    return output


def _text_cell(cell) -> None:
    """Text from people stays text: never a formula, even "=..." (openpyxl would write one)."""
    if isinstance(cell.value, str):
        cell.data_type = "s"
        cell.quotePrefix = cell.value[:1] in "=+-@"


def _sheet(wb, title: str, header: tuple[str, ...] | list[str], rows, widths: tuple[int, ...]):
    from openpyxl.styles import Alignment, Font

    ws = wb.create_sheet(title)
    ws.append(list(header))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(list(row))
        for cell in ws[ws.max_row]:
            _text_cell(cell)
            if isinstance(cell.value, date):
                cell.number_format = "dd/mm/yyyy"
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for index, width in enumerate(widths, 1):
        ws.column_dimensions[ws.cell(1, index).column_letter].width = width
    ws.freeze_panes = "A2"
    return ws


def write_xlsx(content: ReportContent, output: Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.drawing.image import Image
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Appendix 1"
    ws.append([content.title])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([])
    ws.append(list(TABLE_COLUMNS))
    for cell in ws[3]:
        cell.font = Font(bold=True)
    for row in content.rows:
        ws.append(list(row))
        for cell in ws[ws.max_row]:
            _text_cell(cell)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in zip("ABCDE", (6, 60, 12, 60, 50), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A4"
    overview = wb.create_sheet("Overview")
    for sentence in content.sentences + content.notes:
        overview.append([sentence])
    overview.append([])
    overview.append(["Status", "Recommendations"])
    for status in s.STATUSES:
        overview.append([status, content.counts.get(status, 0)])
    overview.column_dimensions["A"].width = 30
    overview.add_image(Image(io.BytesIO(content.chart_png)), "D1")
    trend = content.trend
    _sheet(wb, "Trend", ["Month", *s.STATUSES, "Source"],
           [[month, *[None if pd.isna(row[st]) else int(row[st]) for st in s.STATUSES], row["source"]]
            for month, row in trend.iterrows()], (10, 12, 12, 12, 12, 12, 14))
    _sheet(wb, "Movement", MOVES_COLUMNS, content.moves, (6, 60, 30, 14, 4, 14))
    _sheet(wb, "At risk", RISK_COLUMNS, content.at_risk, (6, 12, 24, 12, 18, 18))
    _sheet(wb, "By lead", LEAD_COLUMNS, content.leads, (40, 16, 16, 14, 18, 18, 20))
    wb.save(output)
    return output


def write_report(store: Store, year: int, fmt: str, output: Path) -> Path:
    """Write the report in `fmt` (docx or xlsx) to `output`."""
    if fmt not in FORMATS:
        raise ValueError(f"'{fmt}' is not a report format: use docx or xlsx.")
    content = report_content(store, year)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    return write_docx(content, output) if fmt == "docx" else write_xlsx(content, output)
