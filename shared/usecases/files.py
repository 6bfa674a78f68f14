"""Files the tracker makes besides the workbook's updates: a new Appendix 1 workbook (`sli workbook init`) and
any other output a front end makes (the Teams app package, a working copy), always written whole (a temporary
file, then a rename) and never over the workbook, its journal, lock, owner file or backups; and the trial copy's
illustrative year of history (`add_sample_history`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from shared import sample_history as story
from shared.builder import build_workbook
from shared.domain import schema as s
from shared.domain.update import APPLIED
from shared.outputs import write_output_file
from shared.summary import LONDON, summary_time
from shared.uow import Context, Store, as_context
from shared.usecases.asking import appendix
from shared.usecases.assuring import assure
from shared.usecases.reporting import month_figures
from shared.usecases.updating import submit_update


def init_workbook(ctx: Context | Store, path: Path | str) -> Path:
    """Write a new, empty Appendix 1 workbook at `path`; refused (OutputError) where any file already is."""
    return write_output_file(path, build_workbook, as_context(ctx).store, new_file=True)


def write_file(ctx: Context | Store, path: Path | str, make: Callable[[Path], object]) -> Path:
    """`make(temporary)` writes a file, which then replaces `path` whole; refused (OutputError, nothing
    written) where `path` is the workbook or something kept beside it, a folder or a link."""
    return write_output_file(path, make, as_context(ctx).store)


#: An event of the sample history that is an assurance (its value the note), not an update.
ASSURE = "assure"


def add_sample_history(ctx: Context | Store) -> int:
    """Give a copy of the committed workbook (with no journal yet) the illustrative year that led to it
    (`shared.sample_history`): every update sent through `submit_update` at its own pinned time (`ctx.at`),
    so the journal, the Change log, `Last updated` and `Updated by` are what a year of use leaves; and the
    month-end figures of the months the bot posted, frozen at their posting time. Returns the updates made.

    Each recommendation ends exactly as the copy began (the committed workbook's values); ValueError (one
    sentence) when the workbook is not the committed sample or already has a journal."""
    ctx = as_context(ctx)
    if ctx.read().has_journal():
        raise ValueError(f"{ctx.store.workbook} already has a journal: the sample history goes only into a fresh "
                         "copy of the committed workbook.")
    final = {ref: row for ref, row in appendix(ctx).rows.items()}
    if set(final) != set(story.START):
        raise ValueError(f"{ctx.store.workbook} is not the committed sample workbook (its refs differ).")
    events: list[tuple[datetime, str, dict[str, object], str]] = []
    # With assurance, a claim carries its evidence (none before it) and is assured on its `Assured on` day.
    evidence = s.EVIDENCE in appendix(ctx).header.columns
    for number, (ref, status) in enumerate(story.START.items()):
        changes = {s.STATUS: status, **({s.EVIDENCE: ""} if evidence else {})}
        if final[ref][s.NEXT_STEPS] or status != s.COMPLETE:
            changes[s.NEXT_STEPS] = story.GO_LIVE_NEXT_STEPS
        events.append((_london(*story.GO_LIVE) + timedelta(minutes=number), ref, changes, story.OFFICER))
    events += [(_london(*when), ref, {s.STATUS: status, **({s.EVIDENCE: final[ref][s.EVIDENCE]} if evidence
                                                          and status == s.COMPLETE else {})}, by)
               for when, ref, status, by in story.MOVES]
    for ref, row in final.items():
        day = row[s.LAST_UPDATED]
        changes = {column: "" if row[column] is None else row[column]
                   for column in (s.STATUS, s.SUMMARY, s.NEXT_STEPS, s.DUE, *((s.EVIDENCE,) if evidence else ()))
                   if row[column] is not None or column == s.NEXT_STEPS}
        events.append((_london(day.year, day.month, day.day, *story.LAST_UPDATE_TIME) + timedelta(
            minutes=int(ref[1:])), ref, changes, str(row[s.UPDATED_BY])))
        if evidence and row[s.ASSURED_BY]:
            on = row[s.ASSURED_ON]
            events.append((_london(on.year, on.month, on.day, *story.LAST_UPDATE_TIME), ref,
                           {ASSURE: "Evidence checked against the report."}, str(row[s.ASSURED_BY])))
    posts = [(summary_time(year, month), year, month) for year, month in story.POSTED]
    made = 0
    for when, ref, changes, by in sorted(events, key=lambda event: event[0]):
        while posts and posts[0][0] <= when:  # the bot posts (and freezes) a month before later updates
            moment, year, month = posts.pop(0)
            month_figures(ctx.at(moment), year, month, freeze=True)
        if ASSURE in changes:
            result = assure(ctx.at(when), ref, by, str(changes[ASSURE]), via=story.via(by))
        else:
            result = submit_update(ctx.at(when), ref, changes, by=by, via=story.via(by))
        if result.state != APPLIED:
            raise ValueError(f"The sample history could not be made: {ref} at {when:%d/%m/%Y}: {result.message}")
        made += 1
    for moment, year, month in posts:
        month_figures(ctx.at(moment), year, month, freeze=True)
    now = appendix(ctx).rows
    differing = [ref for ref, row in final.items() if any(
        now[ref][column] != row[column] for column in row.values)]
    if differing:
        raise ValueError(f"The sample history does not end where the workbook began: {', '.join(differing)} differ.")
    return made


def _london(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)
