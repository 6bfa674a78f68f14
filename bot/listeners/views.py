"""The update modal: opened at once (the trigger expires in 3 s), filled from the workbook after,
checked by the shared rules on submit (errors inline, nothing written), then written through the core."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import blocks
from bot.writer import UpdateWriter
from shared import journal as j
from shared import schema as s
from shared.access import may_update
from shared.reader import read_appendix
from shared.updates import Store, changed_only, check_submission, expected_row, record_as_person, view_mark


def writer_of(context: dict) -> UpdateWriter:
    """The app's one writer thread (see bot/writer.py), made on first use for callers without one."""
    if "writer" not in context:
        context["writer"] = UpdateWriter(context["store"])
    return context["writer"]


def open_update_modal(client: WebClient, trigger_id: str, store: Store, ref: str, user_id: str) -> None:
    """Open a placeholder modal first, then fill it with the row's current values."""
    opened = client.views_open(trigger_id=trigger_id, view=blocks.loading_modal(ref))
    view_id, view_hash = opened["view"]["id"], opened["view"].get("hash")
    mark = view_mark(store)  # before the file is read: anything written after it came through the journal
    appendix = read_appendix(store.workbook)
    row = appendix.rows.get(ref)
    if row is None:
        view = blocks.notice_modal(ref, f"There is no {ref} in the workbook.")
    elif not (permission := may_update(appendix, user_id, ref)).allowed:
        view = blocks.notice_modal(ref, permission.message)
    else:
        view = blocks.update_modal(expected_row(store, row), list(s.STATUSES), mark)
    client.views_update(view_id=view_id, hash=view_hash, view=view)


def update_submitted(ack: Ack, body: dict, view: dict, client: WebClient, context: dict) -> None:
    store: Store = context["store"]
    user_id = body["user"]["id"]
    try:
        ref, submitted, seen = blocks.read_modal(view)
    except blocks.ModalError as exc:  # not the form update_modal built: refuse with a sentence, change nothing
        ack(response_action="errors", errors={"status": str(exc)})
        return
    changes = changed_only(submitted, seen)
    if not changes:
        ack(response_action="errors", errors={"status": "Nothing has changed: edit a field, or press Cancel."})
        return
    _, blocking = check_submission(store, user_id, ref, changes)
    errors: dict[str, str] = {}
    for finding in blocking:
        errors.setdefault(blocks.BLOCK_FOR.get(finding.column, "status"), finding.message[:150])
    if errors:
        ack(response_action="errors", errors=errors)
        return
    # Journalled before the ack: if it cannot be recorded, the form says so and stays open.
    recorded = record_as_person(store, user_id, ref, changes, via=s.VIA_SLACK, seen=seen,
                                view_seq=blocks.modal_view_seq(view), idempotency_key=f"view:{view['id']}",
                                journal_wait=j.CHAT_TIMEOUT_SECONDS)
    if recorded.state not in (j.PENDING, j.REJECTED) or recorded.update_id is None:
        ack(response_action="errors", errors={"status": recorded.message[:150]})
        return
    ack()
    if recorded.duplicate:
        return
    if recorded.state == j.REJECTED:
        client.chat_postMessage(channel=user_id, **blocks.update_result_message(recorded))
        return
    writer_of(context).write(recorded, lambda result: client.chat_postMessage(
        channel=user_id, **blocks.update_result_message(result)))


def register(app: App) -> None:
    app.view(blocks.UPDATE_CALLBACK)(update_submitted)
