"""Telling senders what became of their updates: each outcome once, across the bot's threads and processes
(the journal's notified mark decides who tells), whoever notices it first."""

from __future__ import annotations

import logging
from collections.abc import Callable

from shared import journal as j
from shared.domain.update import UpdateResult, result_of
from shared.uow import Context, Store, as_context
from shared.usecases.updating import _write_waiting

log = logging.getLogger("sli.usecases")


def write_waiting(ctx: Context | Store) -> None:
    """What waits goes in if Excel has let go: the writing half of a notifier's pass, which the bot runs
    on its writer thread (the one writer in the process) and then tells from its own thread."""
    ctx = as_context(ctx)
    reader = ctx.read()
    if reader.has_journal() and reader.journal.has_open():
        _write_waiting(ctx, force=False, report=False)


def tell_senders(ctx: Context | Store, send: Callable[[str, UpdateResult], None],
                 accept: Callable[[str], bool] | None = None, write: bool = True) -> int:
    """Write what waits if Excel has let go (unless `write` is False: the caller's writer did), then tell
    each sender whose update ended without anyone telling them yet (held back while Excel had the file,
    or its first teller failed), once across processes. `accept` picks the senders this front end can
    reach. Returns how many were told."""
    ctx = as_context(ctx)
    reader = ctx.read()
    if not reader.has_journal():
        return 0
    journal = reader.journal
    if write and journal.has_open():
        _write_waiting(ctx, force=False, report=False)
    told = 0
    for entry in journal.to_notify():
        if accept is not None and not accept(entry.reply_to or ""):
            continue
        if not journal.mark_notified(entry.id):
            continue  # another teller got there first
        try:
            send(entry.reply_to or "", result_of(entry))
            told += 1
        except Exception:  # noqa: BLE001 - one failed message must not stop the others
            journal.unmark_notified(entry.id)  # tried again on the next pass
            log.warning("could not tell %s about update %s", entry.reply_to, entry.id, exc_info=True)
    return told


def tell_once(ctx: Context | Store, result: UpdateResult, send: Callable[[UpdateResult], None]) -> bool:
    """Tell a sender what became of their update, unless someone already did: an outcome (applied,
    conflict, rejected) is told once across the bot's threads and processes; a `pending` result (Excel
    has the file) is news, not an outcome, and the notifier tells the outcome later."""
    final = result.state in j.FINAL_STATES and result.update_id is not None
    try:
        journal = as_context(ctx).read().journal
        if final and not journal.mark_notified(result.update_id):
            return False
    except j.JournalUnavailable:
        return False  # the notifier tells them once the journal answers again
    try:
        send(result)
    except BaseException:
        if final:
            journal.unmark_notified(result.update_id)
        raise
    return True
