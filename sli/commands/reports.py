"""Reports and exports: summary, report, export."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from shared import usecases
from shared.domain.queries import QueryError
from shared.domain.values import DateParseError, parse_date, plural
from sli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    context_of,
    default_output,
    settings_of,
)
from sli.render import _file_word


def cmd_summary(args: argparse.Namespace) -> int:
    from bot import plain
    from shared.usecases import replies

    ctx = context_of(args)
    year, month = usecases.month_asked(ctx, args.month)
    if args.post:
        from bot.app import make_client
        from bot.scheduler import post_summary

        settings = settings_of(args)
        if not settings.bot_token:
            raise QueryError("Posting needs SLACK_BOT_TOKEN (and SLI_SUMMARY_CHANNEL); use --dry-run to see it.")
        outcome = post_summary(ctx, make_client(settings), args.channel or settings.summary_channel,
                               year, month, again=args.again)
        print(outcome.message)
        return EXIT_OK if outcome.posted else EXIT_FINDINGS
    figures = usecases.month_figures(ctx, year, month)
    print(plain.render(replies.summary_reply(figures), prefix=None))  # the words both chats post, as plain text
    chart, trend = usecases.write_summary_charts(ctx, figures, args.chart or default_output(
        args, f"sli-summary-{figures.month}.png"))
    print(f"\nCharts written to {chart} (by lead organisation) and {trend} (by month).")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    fmt = args.format or (Path(args.output).suffix.lstrip(".").lower() if args.output else "docx")
    board = f"-{_file_word(args.board)}" if args.board else ""
    output = Path(args.output) if args.output else default_output(args, f"SLI-Appendix1-{args.year}{board}.{fmt}")
    usecases.write_report(context_of(args), args.year, fmt, output, args.board)
    print(f"Wrote {output}.")
    return EXIT_OK


def _day_argument(text: str | None, option: str) -> date | None:
    """A date option as people write dates everywhere else: 01/04/2026 or 2026-04-01 (the domain's `parse_date`)."""
    if not text:
        return None
    try:
        return parse_date(text)
    except DateParseError as exc:
        raise QueryError(f"{option}: {exc}") from None


def cmd_export(args: argparse.Namespace) -> int:
    fmt = args.format or (Path(args.output).suffix.lstrip(".").lower() if args.output else "") or "csv"
    output = Path(args.output) if args.output else default_output(args, f"SLI-{args.what}.{fmt}")
    rows = usecases.export(context_of(args), args.what, fmt, output,
                           _day_argument(args.start, "--from"), _day_argument(args.end, "--to"))
    print(f"Wrote {plural(rows, 'row')} to {output}.")
    return EXIT_OK
