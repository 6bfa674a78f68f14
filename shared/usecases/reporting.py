"""Reporting: the month's summary figures and charts, posting a month once, the reminders due, the annual
report, exports for analysis. The figures come from `shared.summary`, `shared.trend` and `shared.report`;
here they are asked for as of the context's clock, and outputs are written only where they may be
(never over the workbook, its journal, lock, owner file or backups: `shared.outputs`).

The calendar (`month_key`, `previous_month`, `month_to_summarise`, `reminder_day`, `LONDON`) and the figures'
types are re-exported so front ends need nothing below the use cases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from shared import export as ex
from shared import report as rp
from shared import summary as sm
from shared.outputs import check_output, write_bytes, write_output_file
from shared.summary import (  # noqa: F401 (the calendar and the figures, for front ends)
    LONDON,
    MonthFigures,
    Reminder,
    month_key,
    month_to_summarise,
    next_month,
    parse_month,
    previous_month,
    reminder_day,
    status_chart,
    trend_chart,
)
from shared.uow import Context, Store, as_context
from shared.usecases.conversations import Posted, post_once


def month_asked(ctx: Context | Store, text: str | None = None) -> tuple[int, int]:
    """The month `text` names (2026-11), or the month before the context's today (the one to summarise)."""
    if text:
        return parse_month(text)
    today = as_context(ctx).today()
    return previous_month(today.year, today.month)


def month_figures(ctx: Context | Store, year: int, month: int, now: datetime | None = None,
                  freeze: bool = False) -> MonthFigures:
    """The month's figures as of `now` (default: the context's clock): from its snapshot when there is one.
    With `freeze` (the poster, the month-end job) they are kept as the month's snapshot."""
    ctx = as_context(ctx)
    return sm.month_figures(ctx.store, year, month, now or ctx.clock(), freeze=freeze)


def reminders_due(ctx: Context | Store, year: int, month: int) -> list[Reminder]:
    """Each lead whose organisation has recommendations not updated in the month, with those items."""
    return sm.reminders_due(as_context(ctx).store, year, month)


def post_month(ctx: Context | Store, kind: str, year: int, month: int,
               post: Callable[[MonthFigures], dict | None], *, again: bool = False) -> Posted:
    """Summarise a month and post it at most once for `kind` (a chat platform's claim): the figures are made
    and frozen (as of the context's clock) only by the one that gets to post; `post(figures)` posts them and
    returns what to keep about the post, or None when there is nowhere to post yet (tried again later)."""
    ctx = as_context(ctx)
    return post_once(ctx, kind, month_key(year, month),
                     lambda: post(month_figures(ctx, year, month, freeze=True)), again=again)


def write_summary_charts(ctx: Context | Store, figures: MonthFigures, chart: Path | str) -> tuple[Path, Path]:
    """The month's two charts as PNG files: by lead organisation at `chart`, by month beside it
    (`...-trend.png`); both refused (OutputError) before either is written."""
    ctx = as_context(ctx)
    chart = Path(chart)
    trend = chart.with_name(f"{chart.stem}-trend{chart.suffix}")
    check_output(trend, ctx.store)
    write_bytes(chart, status_chart(figures), ctx.store)
    write_bytes(trend, trend_chart(figures), ctx.store)
    return chart, trend


def write_report(ctx: Context | Store, year: int, fmt: str, output: Path | str, board: str | None = None) -> Path:
    """The annual report for the board as of the context's clock, in `fmt` (docx or xlsx), written safely to
    `output` (refused before anything is computed when it may not be written there). With `board` (sheet
    Lists), that board's own paper: its name in the title, only its recommendations, and the assurance table;
    `BoardError` (a sentence) for a board not on Lists."""
    ctx = as_context(ctx)
    check_output(output, ctx.store)  # before the report is made: a refusal costs nothing
    if fmt not in rp.FORMATS:
        raise ValueError(f"'{fmt}' is not a report format: use docx or xlsx.")
    content = rp.report_content(ctx.store, year, ctx.clock(), board)
    write = rp.write_docx if fmt == "docx" else rp.write_xlsx
    return write_output_file(output, lambda path: write(content, path), ctx.store)


def export(ctx: Context | Store, what: str, fmt: str, output: Path | str, start: date | None = None,
           end: date | None = None) -> int:
    """`what` (changes, appendix, trend) as `fmt` (csv, xlsx) at `output`, as of the context's clock; the
    rows written. OutputError (one sentence, nothing written) where it may not be written."""
    ctx = as_context(ctx)
    check_output(output, ctx.store)  # a folder or a protected path is named as such, not as a bad format
    return ex.export(ctx.store, what, fmt, Path(output), start, end, now=ctx.clock())
