"""Where a chat platform lets the bot speak, and saying a thing once: conversation references kept for Teams,
posts (the monthly summary, reminders) made at most once across processes and restarts, and events seen
once (a retried Slack event, a replayed request)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from shared import journal as j
from shared.uow import Context, Store, as_context


def keep_conversation(ctx: Context | Store, key: str, kind: str, reference: dict,
                      wait: float = j.CHAT_TIMEOUT_SECONDS) -> None:
    """Keep (or refresh) a conversation reference (Teams: a team the app was installed in, or a person's
    chat with the bot), so the monthly summary, reminders and outcomes can be posted there later."""
    as_context(ctx).read(wait).journal.keep_conversation(key, kind, reference)


def forget_conversation(ctx: Context | Store, key: str, wait: float = j.CHAT_TIMEOUT_SECONDS) -> None:
    """The app was removed from that team: post nothing there any more."""
    as_context(ctx).read(wait).journal.forget_conversation(key)


def conversation(ctx: Context | Store, key: str) -> dict | None:
    """The conversation reference kept for `key`, or None."""
    reader = as_context(ctx).read()
    return reader.journal.conversation(key) if reader.has_journal() else None


def conversations(ctx: Context | Store, kind: str) -> list[tuple[str, dict]]:
    """(key, reference) of one kind, most recently kept first."""
    reader = as_context(ctx).read()
    return reader.journal.conversations(kind) if reader.has_journal() else []


def first_time(ctx: Context | Store, key: str, wait: float = 0.5) -> bool:
    """True the first time `key` is offered in any process (a retried Slack event, a replayed request).
    If the journal is busy or failing, True: callers keep their own in-process memory too."""
    try:
        return as_context(ctx).read(wait).journal.first_time(key)
    except j.JournalUnavailable:
        return True


def replay_keys_since(ctx: Context | Store, since: datetime) -> list[tuple[str, datetime]]:
    """The replay guards' keys the journal kept since `since` (those of requests that carried an update,
    kept in the update's own commit), and when each was seen: what a bot remembers when it starts, so a
    request accepted before a restart is still refused within its window. Nothing if the journal fails."""
    reader = as_context(ctx).read()
    if not reader.has_journal():
        return []
    try:
        return reader.journal.seen_keys_since(since)
    except j.JournalUnavailable:
        return []


# --- posting once -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Posted:
    """What `post_once` did: `posted` now, or not (already posted: `earlier` says when and where)."""

    posted: bool
    detail: dict | None = None
    earlier: dict | None = None


def post_once(ctx: Context | Store, kind: str, key: str, post: Callable[[], dict | None], *,
              again: bool = False) -> Posted:
    """Post (kind, key) at most once across processes and restarts: the monthly summary, a reminder.

    `post` does the posting and returns what to keep about it (channel, ts), or None when there was
    nothing to post (tried again later). If it raises, the claim is released and the error goes on, so
    the next attempt posts. `again` forgets an earlier post first (`sli summary --post --again`)."""
    journal = as_context(ctx).read().journal
    if again:
        journal.forget_post(kind, key)
    if not journal.claim_post(kind, key):
        return Posted(False, earlier=journal.posted(kind, key))
    try:
        detail = post()
    except BaseException:
        journal.release_post(kind, key)
        raise
    if detail is None:
        journal.release_post(kind, key)
        return Posted(False)
    journal.finish_post(kind, key, detail)
    return Posted(True, detail)


def posted(ctx: Context | Store, kind: str, key: str) -> dict | None:
    """When and where (kind, key) was posted, or None."""
    reader = as_context(ctx).read()
    return reader.journal.posted(kind, key) if reader.has_journal() else None
