"""The annual report as a Word document: real headings, header rows marked and repeated on every page, no
layout tables, alt text on the chart, British English, a title and an author, and page numbers."""

from __future__ import annotations

import io
from pathlib import Path

from shared import trend as tr
from shared.report.assurance import ASSURANCE_TABLE_COLUMNS
from shared.report.content import (
    LANGUAGE,
    LEAD_COLUMNS,
    MOVES_COLUMNS,
    TABLE_COLUMNS,
    TREND_COLUMNS,
    ReportContent,
    _shown,
    risk_columns,
)


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
    if content.assurance_counts:
        document.add_heading("Assurance of completed recommendations", level=3)
        document.add_paragraph("A recommendation set to Complete is a claim, with its evidence, until the holder "
                               "of its accountable role assures it.")
        if content.assurance:
            _docx_table(document, ASSURANCE_TABLE_COLUMNS, content.assurance,
                        (1.2, 2.6, 2.8, 2.6, 2.2, 7.0, 2.6, 2.2, 2.2),
                        "Complete claims: evidence, assurance and waiting", font_pt=9)
        else:
            document.add_paragraph("No recommendation is claimed Complete.")
    document.add_page_break()
    document.add_heading("Recommendations: status and next steps", level=2)
    _docx_table(document, TABLE_COLUMNS, content.rows, (1.3, 7.5, 2.3, 7.5, 6.5),
                "Appendix 1: each recommendation, its status, summary of status and next steps")
    _describe(document, content)
    document.save(output)
    return output
