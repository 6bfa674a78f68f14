"""The annual report: Appendix 1 as a board paper carries it, for the 12-month update to the Health and
Wellbeing Board, the LSCB and the CDOP (`sli report --year 2027 --format docx --output PATH`).

Public bodies must publish accessible documents, so both files are made to be read by screen readers as
well as printed: the docx has real headings (Heading 1 to 3), no layout tables, header rows marked and
repeated on every page, alt text on the chart that gives its numbers, British English as its language, a
title and an author, and page numbers; the xlsx has a title in A1 of every sheet, each table an Excel table
with its header row, the chart's alt text, and no merged cells. And both print: the xlsx on A4 landscape,
one page wide, header rows repeated, every row as tall as its wrapped text (LibreOffice never grows a row
when it opens a file), and the chart below the text, never over it."""

from __future__ import annotations

import io
import textwrap
import zipfile
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
from shared.xlsx import row_height

FORMATS = ("docx", "xlsx")
#: The report's author when the workbook names none (or names a program): the team that publishes it.
ORGANISATION = "Blackburn with Darwen Public Health"
#: What programs write as a file's author: not a person or a team, so never given as the report's author.
PROGRAM_AUTHORS = {"", "sli tracker", "openpyxl", "python-docx", "microsoft office user", "unknown", "author"}
LANGUAGE = "en-GB"
TABLE_COLUMNS = ("Ref", "Recommendation", "Status", "Summary of status", "Recommendation for next steps")
MOVES_COLUMNS = ("Ref", "Recommendation", "Lead organisation", "Start of year", "Moved", "End of year")
#: The start-to-end arrows in words too, so a screen reader says "better", not "upwards arrow" alone.
MOVED = {"↑": "↑ better", "↓": "↓ worse", "=": "= unchanged", "": "not known"}
LEAD_COLUMNS = ("Lead organisation", "Recommendations", "Updates in year", "Last update", "At risk or off track",
                "Overdue next steps", "Not updated for 60 days")
TREND_COLUMNS = ("Month", *s.STATUSES, "Source")
DATE_FORMAT, MONTH_FORMAT = "dd/mm/yyyy", "mmm yyyy"


def risk_columns(year: int) -> tuple[str, ...]:
    return ("Ref", "Recommendation", "Status now", "At risk or Off track since", "Days since then",
            f"Days At risk in {year}", f"Days Off track in {year}")


@dataclass
class ReportContent:
    """What the report says, each table's cells as values both writers share: text, whole or tenth days as
    numbers, dates as dates (the docx writes them as text, the xlsx as real dates and numbers)."""

    year: int
    title: str
    as_at: str
    counts: dict[str, int]
    completed: list[tuple[str, str, str]]  # (ref, date, recommendation)
    rows: list[tuple[str, str, str, str, str]]
    chart_png: bytes
    trend: pd.DataFrame = field(default_factory=pd.DataFrame)
    moves: list[tuple[str, ...]] = field(default_factory=list)
    at_risk: list[tuple[object, ...]] = field(default_factory=list)
    leads: list[tuple[object, ...]] = field(default_factory=list)  # numbers and a date: numbers in the xlsx
    sentences: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    author: str = ORGANISATION
    chart_title: str = ""
    chart_alt: str = ""  # what the chart shows, with its numbers, for those who cannot see it
    risk_note: str = ""  # from when the days At risk / Off track are counted, when not from 1 January
    made: datetime = field(default_factory=lambda: datetime.now(UTC))  # the report's "now"

    def trend_rows(self) -> list[tuple[object, ...]]:
        """Month by month: the month (a date, its first day), the count of each status (None: no record), and
        where the figures come from."""
        return [(datetime.strptime(month, "%Y-%m").date(),
                 *[None if pd.isna(row[st]) else int(row[st]) for st in s.STATUSES], row["source"])
                for month, row in self.trend.iterrows()]


def days_number(value: float) -> float | int | None:
    """Days as a reader wants them: whole days, or tenths below one (0.3, never a cryptic "<1"); None when
    not known."""
    if value is None or pd.isna(value):
        return None
    if value <= 0:
        return 0
    return max(0.1, round(value, 1)) if value < 1 else int(value + 0.5)


def workbook_author(workbook: Path) -> str:
    """Who the report is by: the person or team the workbook names as its author (its core properties'
    creator), unless that is a program's name or missing; then the public health team that publishes it."""
    from lxml import etree

    try:
        with zipfile.ZipFile(workbook) as archive:
            root = etree.fromstring(archive.read("docProps/core.xml"))
        creator = root.findtext("{http://purl.org/dc/elements/1.1/}creator") or ""
    except (OSError, KeyError, zipfile.BadZipFile, ValueError, etree.LxmlError):
        return ORGANISATION
    creator = " ".join(creator.split())
    return creator if creator.lower() not in PROGRAM_AUTHORS else ORGANISATION


def _month_name(month: str) -> str:
    return datetime.strptime(month, "%Y-%m").strftime("%B %Y")


def chart_description(trend: pd.DataFrame, total: int) -> str:
    """Alt text for the month-by-month chart: what it is, the months it covers, and the counts of its first
    and last month on record (every month's are in the table of statuses month by month)."""
    months = list(trend.index)
    first, last = _month_name(months[0]), _month_name(months[-1])
    if len(months) == 1:
        span = first
    elif first[-4:] == last[-4:]:
        span = f"{first[:-5]} to {last}"
    else:
        span = f"{first} to {last}"
    words = [f"Stacked bar chart of the {total} recommendations by status, month by month, {span}."]
    known = trend[trend["source"] != tr.NO_RECORD]
    if len(known) < len(trend):
        words.append(f"{len(trend) - len(known)} of its {len(trend)} months have no record.")
    for month in dict.fromkeys([known.index[0], known.index[-1]] if len(known) else []):
        row = known.loc[month]
        how = {tr.RECONSTRUCTED: " (reconstructed)", tr.NOW: " (now)"}.get(row["source"], "")
        words.append(f"{_month_name(month)}{how}: "
                     + ", ".join(f"{int(row[st])} {st.lower()}" for st in s.STATUSES) + ".")
    if (trend["source"] == tr.RECONSTRUCTED).any():
        words.append("Months marked with an asterisk were reconstructed from the Change log.")
    words.append("The counts of every month are in the table of statuses month by month.")
    return " ".join(words)


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

    # What is not known is said to be: records begin with the journal's first update (`began`).
    began = f"records began on {day_text(first)}" if first else "no update has been recorded yet"
    whole_year = first is not None and first <= start
    sentences = [f"Of the {sum(figures.counts.values())} recommendations for individual localities, as at {as_at}: "
                 + ", ".join(f"{figures.counts.get(st, 0)} {st.lower()}" for st in s.STATUSES) + "."
                 if figures.counts else f"The statuses as at {as_at} are not known: {began}."]
    known_moves = moves[moves["move"] != ""]
    if len(known_moves):
        tally = known_moves["move"].value_counts()
        sentences.append(f"Since 1 January {year}: {tally.get('↑', 0)} moved to a better status, "
                         f"{tally.get('↓', 0)} to a worse one, {tally.get('=', 0)} stayed where they were.")
    done_when = f"in {year}" if whole_year else f"in {year} since {began}"
    if completed:
        sentences.append(f"{plural(len(completed), 'recommendation')} {'was' if len(completed) == 1 else 'were'} "
                         f"completed {done_when}: " + ", ".join(ref for ref, _, _ in completed) + ".")
    elif whole_year:
        sentences.append(f"No recommendation was marked complete in {year}.")
    elif first is not None:
        sentences.append(f"None was marked complete in {year} since {began}; before then it is not known.")
    else:
        sentences.append(f"Which recommendations were completed in {year} is not known: {began}.")
    behind = leads[(leads["overdue"] > 0) | (leads["at_risk"] > 0)].head(3)
    if len(behind):
        sentences.append("Most behind: " + "; ".join(
            f"{lead} ({plural(row.overdue, 'overdue next step')}, {row.at_risk} at risk or off track)"
            for lead, row in behind.iterrows()) + ".")
    notes = []
    if (trend["source"] == tr.RECONSTRUCTED).any():
        notes.append("Months marked * had no month-end snapshot: their counts were reconstructed by replaying "
                     "each recommendation's status changes from the Change log back from today's workbook.")
    if not whole_year:
        notes.append(f"Records began on {day_text(first)}: statuses before then, the start of the year and the "
                     "updates made before then are not known (Updates in year counts those since)." if first else
                     "No update has been recorded yet: statuses before today, the start of the year and the "
                     "updates made in it are not known.")
    if first is None or first >= end:
        risk_note = "No update is recorded in the year: the days At risk and Off track are not known."
    elif first > start:
        risk_note = f"Days are counted from {day_text(first)}, when records begin."
    else:
        risk_note = ""
    chart_title = f"Recommendations by status, month by month, {year}"
    return ReportContent(
        year=year,
        title=f"Sector Led Improvement Review: Infant Mortality - progress on the individual locality "
              f"recommendations, {year}",
        as_at=as_at, counts=figures.counts, completed=completed,
        rows=[(ref, cell_text(r[s.RECOMMENDATION]), r["status"], cell_text(r[s.SUMMARY]), cell_text(r[s.NEXT_STEPS]))
              for ref, r in frame.iterrows()],
        chart_png=tr.trend_chart(chart_trend, chart_title, width_in=6.2, aspect=0.55),
        trend=trend,
        moves=[(ref, _short(r.recommendation, 70), r.lead, r.start or "not known", MOVED[r.move], r.end)
               for ref, r in moves.iterrows()],
        at_risk=[_risk_row(ref, r, frame, now) for ref, r in risk.iterrows()],
        leads=[(lead, int(r.recommendations), int(r.updates) if first else "not known",
                r.last_update.date() if pd.notna(r.last_update) else "none" if whole_year else "not known",
                int(r.at_risk), int(r.overdue), int(r.stale)) for lead, r in leads.iterrows()],
        sentences=sentences, notes=notes, author=workbook_author(store.workbook), chart_title=chart_title,
        chart_alt=chart_description(chart_trend, len(frame)), risk_note=risk_note, made=now)


def _risk_row(ref: str, r: pd.Series, frame: pd.DataFrame, now: datetime) -> tuple[object, ...]:
    """One row of the time At risk or Off track, in plain words where a number cannot say it: since when
    (a date; "before <the first record>, when records begin" when it was already so then; "not now: Off
    track until <date>" for one that came out of them), the days since (at least so many, when the start is
    not known), and the days of the year in each status."""
    spell = r["spell_since"]
    if r["status"] not in tr.RISK:  # listed for its days in the year: say when it came out, and from what
        since = (f"not now: {r['left_from']} until {day_text(r['left_at'])}" if pd.notna(r["left_at"])
                 else "not now")
        so_far = ""
    elif pd.isna(spell):
        since, so_far = "not known: no update is recorded yet", "not known"
    else:
        days = days_number((tr.utc_naive(now) - spell).total_seconds() / 86400)
        since, so_far = ((spell.date(), days) if r["since_known"] else
                         (f"before {day_text(spell)}, when records begin", f"at least {days}"))
    recommendation = _short(cell_text(frame.at[ref, s.RECOMMENDATION]), 90) if ref in frame.index else ""
    known = [days_number(r[st]) for st in tr.RISK]
    return (ref, recommendation, r["status"], since, so_far, *("not known" if d is None else d for d in known))


def _short(text: str, width: int) -> str:
    return textwrap.shorten(text, width, placeholder="…") if text else ""


def _shown(value: object) -> str:
    """A table value as the docx shows it: dates as 31/01/2027, numbers as written."""
    if isinstance(value, date):
        return day_text(value)
    return "" if value is None else str(value)


# --- the docx ---------------------------------------------------------------------------------

def _docx_table(document, header: tuple[str, ...], rows: list[tuple[object, ...]], widths_cm: tuple[float, ...],
                caption: str, font_pt: float | None = None, together: bool = False):
    """A gridded table whose first row is marked as its header row (`w:tblHeader`: screen readers announce
    the column of each cell, and Word and LibreOffice repeat the row on every page), with a caption, and
    fixed column widths (LibreOffice reads the grid, Word the cells). No row is split over two pages;
    `together` keeps a short table on one page."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    table = document.add_table(rows=1, cols=len(header))
    table.style = "Light Grid Accent 1"
    for cell, name in zip(table.rows[0].cells, header, strict=True):
        cell.text = name
    table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    for row in rows:
        for cell, value in zip(table.add_row().cells, row, strict=True):
            cell.text = _shown(value)
    table.autofit = False
    widths = [Cm(w) for w in widths_cm]
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for number, row in enumerate(table.rows, 1):
        row._tr.get_or_add_trPr().insert(0, OxmlElement("w:cantSplit"))
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.keep_with_next = together and number < len(table.rows)
                for run in paragraph.runs:
                    if font_pt:
                        run.font.size = Pt(font_pt)
    properties = table._tbl.tblPr
    description = f"{caption}: {len(rows)} rows, with the columns " + ", ".join(header) + "."
    for tag, text in (("w:tblCaption", caption), ("w:tblDescription", description)):
        element = OxmlElement(tag)
        element.set(qn("w:val"), text)
        properties.append(element)
    return table


def _field(paragraph, instruction: str, shown: str) -> None:
    """A Word field (PAGE, NUMPAGES) in `paragraph`, `shown` until the reader updates it."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    for kind in ("begin", "instruction", "separate", "shown", "end"):
        run = paragraph.add_run(shown if kind == "shown" else None)
        if kind == "instruction":
            text = OxmlElement("w:instrText")
            text.set(qn("xml:space"), "preserve")
            text.text = f" {instruction} "
            run._r.append(text)
        elif kind != "shown":
            mark = OxmlElement("w:fldChar")
            mark.set(qn("w:fldCharType"), kind)
            run._r.append(mark)


def _british(document) -> None:
    """British English for every run (the styles' defaults, and the theme's) and in the core properties."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    run_defaults = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang = run_defaults.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        run_defaults.append(lang)
    lang.set(qn("w:val"), LANGUAGE)
    lang.set(qn("w:eastAsia"), LANGUAGE)
    theme = document.settings.element.find(qn("w:themeFontLang"))
    if theme is not None:
        theme.set(qn("w:val"), LANGUAGE)
    document.core_properties.language = LANGUAGE


def _describe(document, content: ReportContent) -> None:
    """Title, author, language and dates in the core properties; python-docx's own ("python-docx", its
    template's 2013 dates and thumbnail) are not left to claim the document."""
    properties = document.core_properties
    properties.title = content.title
    properties.author = content.author
    properties.last_modified_by = content.author
    properties.subject = f"Progress on the individual locality recommendations, as at {content.as_at}"
    properties.comments = "Made by SLI Tracker from the Appendix 1 workbook and its update history."
    properties.keywords = "infant mortality; sector led improvement; Appendix 1"
    properties.created = properties.modified = tr.utc_naive(content.made)
    properties.revision = 1
    package = document.part.package
    for key, relationship in list(package.rels.items()):
        if relationship.reltype.endswith("/metadata/thumbnail"):
            del package.rels[key]


def write_docx(content: ReportContent, output: Path) -> Path:
    """Page 1 answers "how did the position move, and who is behind?": the sentences, the month-by-month
    chart and the table by lead organisation. Then each recommendation's start and end of the year, time
    At risk or Off track, the months' counts, and Appendix 1 as the board paper carries it. In reading
    order, with no table used for layout, so a screen reader reads it as it prints."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)  # A4 (python-docx's template is US Letter)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.4))
    section.footer_distance = Cm(0.6)
    document.styles["Normal"].font.size = Pt(10)
    _british(document)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("Page ")
    _field(footer, "PAGE", "1")
    footer.add_run(" of ")
    _field(footer, "NUMPAGES", "1")

    document.add_heading(f"Appendix 1: {content.title}", level=1)
    document.add_heading("Overview", level=2)
    for sentence in content.sentences:
        document.add_paragraph(sentence).paragraph_format.space_after = Pt(3)
    for note in content.notes:
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.space_after = Pt(3)
        run = paragraph.add_run(note)
        run.italic, run.font.size = True, Pt(8.5)
    picture = document.add_paragraph().add_run().add_picture(io.BytesIO(content.chart_png), width=Cm(11.0))
    picture._inline.docPr.set("name", content.chart_title)
    picture._inline.docPr.set("descr", content.chart_alt)
    picture._inline.docPr.set("title", content.chart_title)
    document.add_heading("By lead organisation", level=3)
    _docx_table(document, LEAD_COLUMNS, content.leads, (8.3, 3.9, 2.2, 2.3, 2.3, 2.4, 3.4),
                f"Recommendations by lead organisation, {content.year}", font_pt=9, together=True)
    if content.completed:
        document.add_heading(f"Completed in {content.year}", level=3)
        for ref, when, text in content.completed:
            document.add_paragraph(f"{ref} ({when}): {text}", style="List Bullet")
    document.add_page_break()
    document.add_heading(f"How each recommendation moved in {content.year}", level=2)
    document.add_paragraph("↑ better, ↓ worse, = unchanged (Not started and Off track count alike; Complete is best). "
                           f"End of year: as at {content.as_at}.")
    _docx_table(document, MOVES_COLUMNS, content.moves, (1.2, 11.3, 6.0, 2.6, 2.6, 2.6),
                f"Each recommendation's status at the start and end of {content.year}", font_pt=9)
    document.add_heading("Time At risk or Off track", level=3)
    if content.risk_note:
        document.add_paragraph(content.risk_note)
    if content.at_risk:
        _docx_table(document, risk_columns(content.year), content.at_risk, (1.2, 8.6, 2.4, 4.6, 2.6, 3.1, 3.1),
                    f"Recommendations At risk or Off track in {content.year}", font_pt=9)
    else:
        document.add_paragraph(f"No recommendation was At risk or Off track in {content.year}.")
    document.add_heading("Statuses month by month", level=3)
    _docx_table(document, TREND_COLUMNS, [(month.strftime("%B %Y"), *["" if n is None else n for n in counts],
                                          source) for month, *counts, source in content.trend_rows()],
                (3.4, 2.6, 2.4, 2.4, 2.4, 2.4, 3.2), f"Recommendations by status, month by month, {content.year}",
                font_pt=9)
    document.add_page_break()
    document.add_heading("Recommendations: status and next steps", level=2)
    _docx_table(document, TABLE_COLUMNS, content.rows, (1.3, 7.5, 2.3, 7.5, 6.5),
                "Appendix 1: each recommendation, its status, summary of status and next steps")
    _describe(document, content)
    document.save(output)
    return output


# --- the xlsx ---------------------------------------------------------------------------------

_TITLE_SIZE = 13.0
_BODY_SIZE = 11.0
_FONT = "Calibri"  # the workbook's own font: a Font without a name prints in the spreadsheet's default serif
#: The height a landscape A4 page gives rows inside its margins (0.5 in top, 0.6 in bottom), in points.
_PAGE_HEIGHT_PT = 595.3 - (0.5 + 0.6) * 72
#: The chart's width in pixels under the words, and on a page of its own: never wider than the two columns.
_CHART_WIDTH_PX, _CHART_PAGE_WIDTH_PX = 640, 800


def _print_setup(ws, title_rows: str | None) -> None:
    """As Appendix 1 prints: A4 landscape, one page wide (as many down as needed), the header row on every
    page, and a footer naming the sheet, the page and the date."""
    from openpyxl.worksheet.page import PageMargins
    from openpyxl.worksheet.properties import PageSetupProperties

    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.6, header=0.3, footer=0.3)
    if title_rows:
        ws.print_title_rows = title_rows
    ws.oddFooter.left.text = "&A"
    ws.oddFooter.center.text = "Page &P of &N"
    ws.oddFooter.right.text = "&D"
    for part in (ws.oddFooter.left, ws.oddFooter.center, ws.oddFooter.right):
        part.size = 9


def _put(ws, row: int, column: int, value: object, wrap: bool = True, bold: bool = False,
         italic: bool = False, size: float = _BODY_SIZE, number_format: str | None = None) -> str:
    """Write one cell (text stays text, never a formula; dates as dates; days as numbers) and return the text
    it shows, for its row's height."""
    from openpyxl.styles import Alignment, Font

    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # after the value: openpyxl takes "=..." for a formula
        cell.quotePrefix = value[:1] in "=+-@"
    if bold or italic or size != _BODY_SIZE:
        cell.font = Font(name=_FONT, bold=bold, italic=italic, size=size)
    cell.alignment = Alignment(wrap_text=wrap, vertical="top")
    if isinstance(value, date):
        cell.number_format = number_format or DATE_FORMAT
        return value.strftime("%b %Y") if cell.number_format == MONTH_FORMAT else day_text(value)
    if isinstance(value, float):
        cell.number_format = "0.0"
    return _shown(value)


def _fit_row(ws, row: int, cells: list[tuple[str, float, float, bool]]) -> None:
    """The row as tall as its wrapped text needs (`shared.xlsx.row_height`, the workbook's own estimate)."""
    ws.row_dimensions[row].height = row_height(cells)


def _table_sheet(wb, name: str, title: str, header: tuple[str, ...], rows: list[tuple[object, ...]],
                 widths: tuple[float, ...], formats: dict[int, str] | None = None,
                 empty: str = ""):
    """A sheet that is one table: its title in A1, the header row (bold, repeated on every printed page,
    frozen) in row 2, the rows below, an Excel table over them so screen readers and filters know the
    header; every row as tall as its text."""
    from openpyxl.styles import Border, PatternFill, Side
    from openpyxl.worksheet.table import Table, TableStyleInfo

    ws = wb.create_sheet(name)
    for index, width in enumerate(widths, 1):
        ws.column_dimensions[s.column_letter(index - 1)].width = width
    _fit_row(ws, 1, [(_put(ws, 1, 1, title, wrap=False, bold=True, size=_TITLE_SIZE), sum(widths), _TITLE_SIZE,
                      False)])
    fill, edge = PatternFill("solid", start_color="D9E1F2"), Border(bottom=Side(style="thin", color="595959"))
    shown = []
    for column, (text, width) in enumerate(zip(header, widths, strict=True), 1):
        shown.append((_put(ws, 2, column, text, bold=True), width, _BODY_SIZE, True))
        ws.cell(2, column).fill, ws.cell(2, column).border = fill, edge
    _fit_row(ws, 2, shown)
    for number, row in enumerate(rows, 3):
        _fit_row(ws, number, [(_put(ws, number, column, value, number_format=(formats or {}).get(column)), width,
                               _BODY_SIZE, True)
                              for column, (value, width) in enumerate(zip(row, widths, strict=True), 1)])
    if rows:
        last = f"{s.column_letter(len(header) - 1)}{len(rows) + 2}"
        table = Table(displayName=name.replace(" ", ""), ref=f"A2:{last}")
        table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
        ws.add_table(table)
    elif empty:
        _fit_row(ws, 3, [(_put(ws, 3, 1, empty, wrap=False), sum(widths), _BODY_SIZE, False)])
    ws.freeze_panes = "A3"
    _print_setup(ws, "2:2")
    return ws


def _chart_image(content: ReportContent, row: int, width_px: int):
    """The chart as a picture anchored at column A of `row`, `width_px` wide, with its alt text and title
    (openpyxl would call every picture "Picture")."""
    from openpyxl.drawing.fill import Blip
    from openpyxl.drawing.geometry import PresetGeometry2D
    from openpyxl.drawing.image import Image
    from openpyxl.drawing.picture import PictureFrame
    from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, OneCellAnchor
    from openpyxl.drawing.xdr import XDRPositiveSize2D
    from openpyxl.utils.units import pixels_to_EMU

    image = Image(io.BytesIO(content.chart_png))
    image.height = round(image.height * width_px / image.width)
    image.width = width_px
    picture = PictureFrame()
    picture.nvPicPr.cNvPr.id = 2
    picture.nvPicPr.cNvPr.name = content.chart_title
    picture.nvPicPr.cNvPr.descr = content.chart_alt
    picture.nvPicPr.cNvPr.title = content.chart_title
    picture.blipFill.blip = Blip(cstate="print")
    picture.spPr.prstGeom = PresetGeometry2D(prst="rect")
    picture.spPr.ln = None
    anchor = OneCellAnchor(_from=AnchorMarker(col=0, row=row - 1),
                           ext=XDRPositiveSize2D(pixels_to_EMU(image.width), pixels_to_EMU(image.height)))
    anchor.pic = picture
    image.anchor = anchor
    return image


def _overview_sheet(wb, content: ReportContent) -> None:
    """The sentences, the counts by status, and the chart below them, on rows with nothing in them."""
    from openpyxl.styles import Border, PatternFill, Side
    from openpyxl.worksheet.table import Table, TableStyleInfo

    ws = wb.create_sheet("Overview")
    widths = (100.0, 18.0)
    for letter, width in zip("AB", widths, strict=True):
        ws.column_dimensions[letter].width = width
    row = 1
    _fit_row(ws, row, [(_put(ws, row, 1, content.title, bold=True, size=_TITLE_SIZE), widths[0], _TITLE_SIZE, True)])
    for text, italic in [(sentence, False) for sentence in content.sentences] + [(n, True) for n in content.notes]:
        row += 1
        _fit_row(ws, row, [(_put(ws, row, 1, text, italic=italic), widths[0], _BODY_SIZE, True)])
    row += 2
    header = row
    fill, edge = PatternFill("solid", start_color="D9E1F2"), Border(bottom=Side(style="thin", color="595959"))
    for column, name in enumerate(("Status", f"Recommendations, as at {content.as_at}"), 1):
        _put(ws, row, column, name, bold=True)
        ws.cell(row, column).fill, ws.cell(row, column).border = fill, edge
    _fit_row(ws, row, [("Status", widths[0], _BODY_SIZE, True),
                       (f"Recommendations, as at {content.as_at}", widths[1], _BODY_SIZE, True)])
    for status in s.STATUSES:
        row += 1
        _put(ws, row, 1, status)
        _put(ws, row, 2, content.counts.get(status, 0))
        ws.row_dimensions[row].height = row_height([(status, widths[0], _BODY_SIZE, True)])
    table = Table(displayName="StatusCounts", ref=f"A{header}:B{row}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
    ws.add_table(table)
    _print_setup(ws, None)
    words = sum(ws.row_dimensions[r].height or 15.0 for r in range(1, row + 2))
    image = _chart_image(content, row + 2, _CHART_WIDTH_PX)
    if words + image.height * 0.75 > _PAGE_HEIGHT_PT - 12:  # not all on page 1: the chart on page 2, whole
        from openpyxl.worksheet.pagebreak import Break

        ws.row_breaks.append(Break(id=row + 1))
        image = _chart_image(content, row + 2, _CHART_PAGE_WIDTH_PX)
    ws.add_image(image)


def write_xlsx(content: ReportContent, output: Path) -> Path:
    """The report as a workbook of sheets that each print as a board paper and read as tables: Appendix 1,
    the Overview with its chart, the Trend (months as real dates), the Movement, the time At risk, and the
    view By lead."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    _table_sheet(wb, s.MAIN_SHEET, content.title, TABLE_COLUMNS, content.rows, (6, 55, 12, 55, 50))
    _overview_sheet(wb, content)
    _table_sheet(wb, "Trend", f"Statuses month by month, {content.year}", TREND_COLUMNS, content.trend_rows(),
                 (12, 12, 11, 10, 11, 11, 15), formats={1: MONTH_FORMAT})
    _table_sheet(wb, "Movement", f"How each recommendation moved in {content.year} (end of year: as at "
                 f"{content.as_at})", MOVES_COLUMNS, content.moves, (6, 60, 34, 14, 13, 14))
    risk_title = f"Time At risk or Off track in {content.year}" + (f". {content.risk_note}" if content.risk_note
                                                                    else "")
    _table_sheet(wb, "At risk", risk_title, risk_columns(content.year), content.at_risk, (6, 48, 12, 30, 14, 14, 14),
                 empty=f"No recommendation was At risk or Off track in {content.year}.")
    _table_sheet(wb, "By lead", f"By lead organisation, {content.year}", LEAD_COLUMNS, content.leads,
                 (42, 18, 12, 13, 14, 14, 16))
    wb.properties.title = content.title
    wb.properties.creator = content.author
    wb.properties.lastModifiedBy = content.author
    wb.properties.language = LANGUAGE
    wb.properties.subject = f"Progress on the individual locality recommendations, as at {content.as_at}"
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
