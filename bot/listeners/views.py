"""The update modal: opened at once (the trigger expires in 3 s), filled from the workbook after; on
submit the update is checked and journalled by the core before the ack (errors inline, nothing
written), then written on the bot's writer thread, and the sender is told what happened."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import blocks
from bot.writer import UpdateWriter
from shared.domain import schema as s
from shared.domain.update import PENDING, UpdateRequest, UpdateResult, changed_only
from shared.usecases import CHAT_TIMEOUT_SECONDS, Store, WorkbookError, open_form, record_request, unreadable_refusal


def writer_of(context: dict) -> UpdateWriter:
    """The app's one writer thread (see bot/writer.py), made on first use for callers without one."""
    if "writer" not in context:
        context["writer"] = UpdateWriter(context["store"])
    return context["writer"]


def open_update_modal(client: WebClient, trigger_id: str, store: Store, ref: str, user_id: str) -> None:
    """Open a placeholder modal first, then fill it with the row's current values."""
    opened = client.views_open(trigger_id=trigger_id, view=blocks.loading_modal(ref))
    view_id, view_hash = opened["view"]["id"], opened["view"].get("hash")
    form = open_form(store, user_id, ref)
    if isinstance(form, UpdateResult):
        view = blocks.notice_modal(form.ref, form.message)
    else:
        view = blocks.update_modal(form.row, list(s.STATUSES), form.view_seq, form.file_row)
    client.views_update(view_id=view_id, hash=view_hash, view=view)


def _inline_errors(refused: UpdateResult) -> dict[str, str]:
    """A refusal as errors beside the form's fields (the status block when no field is named)."""
    errors: dict[str, str] = {}
    for finding in refused.errors:
        errors.setdefault(blocks.BLOCK_FOR.get(finding.column, "status"), finding.message[:150])
    return errors or {"status": refused.message[:150]}


def update_submitted(ack: Ack, body: dict, view: dict, client: WebClient, context: dict) -> None:
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
    request = UpdateRequest(ref, changes, s.VIA_SLACK, sender=user_id, seen=seen, base=blocks.modal_base(view),
                            view_seq=blocks.modal_view_seq(view), idempotency_key=f"view:{view['id']}")
    # Checked and journalled before the ack: a refusal, or a journal that cannot record it, keeps the
    # form open with the sentence beside the field.
    try:
        recorded = record_request(context["store"], request, journal_wait=CHAT_TIMEOUT_SECONDS)
    except WorkbookError as exc:  # nothing journalled; the whole sentence (it names the file) on top of
        refused = unreadable_refusal(request, exc)  # the form, which stays underneath as typed
        ack(response_action="push", view=blocks.notice_modal(refused.ref, f"*{refused.ref}: not recorded.* "
                                                                           f"{refused.message}"))
        return
    if recorded.state != PENDING:
        ack(response_action="errors", errors=_inline_errors(recorded))
        return
    ack()
    if not recorded.duplicate:
        writer_of(context).write(recorded, lambda result: client.chat_postMessage(
            channel=user_id, **blocks.update_result_message(result)))


def register(app: App) -> None:
    app.view(blocks.UPDATE_CALLBACK)(update_submitted)
