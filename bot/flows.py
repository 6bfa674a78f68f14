"""The conversations both chats have, written once: a question, the one-line update, opening the update
form and submitting it, App Home. Each takes what the chat's listener parsed (an intent from bot/parse.py,
a form's metadata and values by field name) and who sent it, and returns the reply to show
(`shared/usecases/replies/`) and, for an update, what to write next: the Slack listeners and the Teams
handlers only read their platform's payload, call these, lay the reply out and start the write.

What differs between the chats is said by `Chat`: how they are named in the journal (`via`), how a person
is known in the Leads sheet, how a command is typed, and whether a message may open a form.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from bot import parse
from shared.domain import schema as s
from shared.domain.access import display_name
from shared.domain.queries import rows_for_person
from shared.domain.update import PENDING, UpdateRequest, UpdateResult, changed_only
from shared.usecases import (
    CHAT_TIMEOUT_SECONDS,
    Context,
    WorkbookError,
    appendix,
    as_context,
    ask,
    find,
    open_form,
    record_request,
    unreadable_refusal,
)
from shared.usecases import replies as r


@dataclass(frozen=True)
class Chat:
    """One chat platform, as far as a conversation's words and records differ."""

    name: str
    #: The Change log's *via* for updates from this chat.
    via: str
    #: What identifies a person in the Leads sheet for this chat.
    identity_name: str
    #: How a command is typed: the core's sentences name Slack's `/sli`.
    prefix: str
    #: Whether `update L7` typed in a message opens the form (Teams); Slack's modal needs a slash command.
    forms_from_messages: bool

    def words(self, text: str) -> str:
        """A sentence that names `/sli` commands, in this chat's words."""
        return text.replace("/sli ", self.prefix) if self.prefix != "/sli " else text

    def command(self, words: str) -> str:
        return f"`{self.prefix}{words}`" if self.prefix else words


SLACK = Chat("Slack", s.VIA_SLACK, "Slack user ID", "/sli ", False)
TEAMS = Chat("Teams", s.VIA_TEAMS, "Microsoft Entra object ID", "", True)


@dataclass(frozen=True)
class Answer:
    """What a conversation step gives back: the reply to show now, and a recorded update to write once it
    is shown (its outcome is told later, as `replies.result_reply`)."""

    reply: r.ChatReply
    write: UpdateResult | None = None


def no_identity(chat: Chat) -> str:
    return (f"{chat.name} did not say who you are (no {chat.identity_name}), so I cannot check that you may "
            "update this. You can still ask about any recommendation.")


def question(store: Context, chat: Chat, intent: parse.Intent, identity: str | None,
             today: date | None = None) -> r.ChatReply:
    """A read-only intent (help, status, search, list, mine; anything else gets help)."""
    if intent.kind == parse.UNKNOWN:
        return r.help_reply(chat.words(intent.error))
    if intent.kind not in (parse.STATUS, parse.SEARCH, parse.LIST, parse.MINE):
        return r.help_reply()
    answer = ask(store, intent.kind, intent.ref if intent.kind == parse.STATUS else intent.query, identity)
    if intent.kind == parse.MINE and not answer.rows and not answer.sentence:
        return r.notice(f"The Leads sheet does not list you as a lead: ask an officer to add your "
                        f"{chat.identity_name}. {chat.command('list ELHT')} shows one organisation's "
                        "recommendations.")
    return r.answer_reply(answer, today if today is not None else as_context(store).today())


def message(store: Context, chat: Chat, intent: parse.Intent, identity: str | None,
            replay_keys: Sequence[str] = ()) -> Answer:
    """Whatever was typed in a message: a question, the one-line update, or `update L7` (the form where a
    message may open one, else how to get it). `replay_keys`: see `one_line_update`."""
    if intent.kind == parse.UPDATE:
        return one_line_update(store, chat, intent, identity, replay_keys)
    if intent.kind == parse.UPDATE_MODAL:
        if chat.forms_from_messages:
            return Answer(open_update_form(store, chat, intent.ref, identity))
        return Answer(r.notice(f"To update {intent.ref}, use {chat.command(f'update {intent.ref}')} for a form, "
                               f"or write `update {intent.ref} status=\"On track\" next=\"...\"`."))
    return Answer(question(store, chat, intent, identity))


def one_line_update(store: Context, chat: Chat, intent: parse.Intent, identity: str | None,
                    replay_keys: Sequence[str] = ()) -> Answer:
    """The one-line update, journalled before the answer: the answer says it is recorded (or refused with a
    sentence saying what to fix, or that nothing was recorded), and the write follows. A workbook that
    cannot be read is a refusal with its sentence: nothing journalled. `replay_keys`: the keys of the
    request that carried it (its signature, its event), kept with the update so a replay is refused even
    after a restart."""
    if intent.error:
        return Answer(r.notice(chat.words(intent.error), r.REFUSED))
    if identity is None:
        return Answer(r.notice(no_identity(chat)))
    request = UpdateRequest(intent.ref, intent.changes, chat.via, sender=identity)
    try:
        recorded = record_request(store, request, journal_wait=CHAT_TIMEOUT_SECONDS, replay_keys=replay_keys)
    except WorkbookError as exc:
        recorded = unreadable_refusal(request, exc)
    if recorded.state != PENDING or recorded.duplicate:
        return Answer(r.result_reply(recorded))
    return Answer(r.recorded(recorded.ref), write=recorded)


def open_update_form(store: Context, chat: Chat, ref: str, identity: str | None) -> r.FormReply | r.NoticeReply:
    """The update form prefilled from the workbook (rows still waiting included), or why there is none."""
    if identity is None:
        return r.notice(no_identity(chat))
    form = open_form(store, identity, ref)
    if isinstance(form, UpdateResult):
        return r.notice(form.message, ref=form.ref)
    return r.form_reply(form.row, s.STATUSES, form.view_seq, form.file_row)


def _ref(text: str) -> str:
    try:
        return s.normalise_ref(text)
    except s.RefError:
        return text


def submit_form(store: Context, chat: Chat, metadata: object, values: Mapping[str, object], identity: str | None,
                idempotency_key: str | None = None, replay_keys: Sequence[str] = ()) -> Answer:
    """A submitted form: its metadata (`replies.form_metadata`, as it came back) and the inputs' values by
    field name. The answer is the form again with the refusal beside its fields (nothing written), or a
    notice in its place: recorded (and the write to start), or why nothing was recorded. Pressing Save
    twice is one update: `idempotency_key` (else the form's own id) names the submission; `replay_keys`, see
    `one_line_update`."""
    try:
        state = r.form_state(metadata, need_form_id=idempotency_key is None)
    except r.FormUnreadable as exc:
        return Answer(r.notice(chat.words(str(exc))))
    submitted = r.submitted_values(values)
    try:
        row = find(store, state.ref)
    except s.RefError as exc:
        return Answer(r.notice(str(exc)))
    except WorkbookError as exc:  # nothing journalled: the sentence `sli` prints, in the form's place
        return Answer(r.notice(str(exc), headline=f"{_ref(state.ref)}: not recorded.", ref=_ref(state.ref)))
    if row is None:
        return Answer(r.notice(f"There is no {state.ref} in the workbook."))
    form = r.form_reply(row, s.STATUSES, state.view_seq, values=submitted, seen=state.seen, base=state.base,
                        form_id=state.form_id or None)
    if identity is None:
        return Answer(r.with_errors(form, {"": no_identity(chat)}))
    changes = changed_only(submitted, state.seen)
    if not changes:
        return Answer(r.with_errors(form, {"": "Nothing has changed: edit a field, then press Save."}))
    request = UpdateRequest(state.ref, changes, chat.via, sender=identity, seen=state.seen, base=state.base,
                            view_seq=state.view_seq,
                            idempotency_key=idempotency_key or f"{chat.name.lower()}-form:{state.form_id}")
    try:
        recorded = record_request(store, request, journal_wait=CHAT_TIMEOUT_SECONDS, replay_keys=replay_keys)
    except WorkbookError as exc:  # unreadable since `find` read it: the same sentence, nothing journalled
        return Answer(r.notice(str(exc), headline=f"{row.ref}: not recorded.", ref=row.ref))
    if recorded.duplicate:  # Save pressed again on the same form: the first press is the update
        return Answer(r.recorded(row.ref))
    if recorded.state != PENDING:
        return Answer(r.refused_form(form, recorded))
    return Answer(r.recorded(recorded.ref), write=recorded)


def home(store: Context, identity: str, today: date) -> r.HomeReply | r.NoticeReply:
    """A person's own recommendations (Slack's App Home), or why they cannot be shown."""
    try:
        current = appendix(store)
    except WorkbookError as exc:  # the Home tab says why it is empty, in the words `sli` uses
        return r.notice(str(exc))
    return r.home_reply(display_name(current, identity), rows_for_person(current, identity), today)
