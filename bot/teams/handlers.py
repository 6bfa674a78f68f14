"""What the Teams bot does with each activity: plain callbacks over the core, like the Slack listeners.

A message (a personal chat, or an @mention in a channel with the mention removed by the SDK) is read
with the chat-neutral grammar (bot/parse.py) and answered by the same conversation as in Slack
(bot/flows.py), laid out as Teams messages and cards (cards.py). An update is
checked and journalled (`record_request`) before the bot answers, then written on the one writer
thread (bot/writer.py), and the sender is told the outcome proactively in the same conversation.
Everything the core does is synchronous file and SQLite work, so it runs in a worker thread
(`asyncio.to_thread`) and the event loop keeps answering others.

Who the sender is: Teams' `from.aadObjectId` (stable across bot registrations; `from.id` is not),
named to the core as `entra:<object id>` and matched against the Leads sheet's Entra object ID column.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus

from microsoft_agents.activity import Activity, AdaptiveCardInvokeResponse, ContentTypes
from microsoft_agents.hosting.core import TurnContext

from bot import flows, parse
from bot.teams import assurance_cards, cards
from bot.teams.assurance import AssuranceHandlers, press_key
from bot.teams.messenger import Messenger
from bot.writer import UpdateWriter
from shared.domain.access import entra_identity
from shared.domain.update import UpdateResult
from shared.usecases import Context, JournalUnavailable, forget_conversation, keep_conversation
from shared.usecases import replies as r

log = logging.getLogger("sli.teams")

#: Conversation kinds kept in the journal: a team the app is installed in, a person's personal chat.
TEAM, PERSONAL = "team", "personal"
_SLI_PREFIX = re.compile(r"^\s*/?sli\b\s*", re.IGNORECASE)


@dataclass
class Answer:
    """Activities to send now, and work to start once they are sent (a write whose outcome follows)."""

    activities: list[dict] = field(default_factory=list)
    then: Callable[[], None] | None = None


def identity_of(activity: Activity) -> str | None:
    """The sender as the core knows them (`entra:<object id>`), or None when Teams did not say."""
    sender = activity.from_property
    object_id = getattr(sender, "aad_object_id", None) if sender else None
    return entra_identity(object_id) if object_id and object_id.strip() else None


def reference_of(activity: Activity, thread: bool = True) -> dict:
    """The conversation reference of an incoming activity, as JSON the journal can keep. Without
    `thread`, a post through it starts a new message rather than replying to this activity."""
    reference = activity.get_conversation_reference().model_dump(mode="json", by_alias=True, exclude_none=True)
    if not thread:
        reference.pop("activityId", None)
    return reference


class TeamsHandlers:
    """The bot's callbacks, registered on an `AgentApplication` by `register`."""

    def __init__(self, store: Context, writer: UpdateWriter, messenger: Messenger):
        self.store, self.writer, self.messenger = store, writer, messenger
        self._known_personal: set[tuple[str, str]] = set()
        self.assurance = AssuranceHandlers(store, writer, messenger)

    # --- messages: questions, one-line updates, `update L7` ------------------------------------

    def answer(self, typed: str, identity: str | None, reference: dict) -> Answer:
        """The reply to one message as typed (the bot's mention already removed): bot/flows.py's, as in Slack."""
        intent = parse.parse_typed(_SLI_PREFIX.sub("", typed or "", count=1))
        answer = flows.message(self.store, flows.TEAMS, intent, identity)
        return Answer([cards.render(answer.reply)], then=self._then(answer, reference))

    def _then(self, answer: flows.Answer, reference: dict) -> Callable[[], None] | None:
        recorded = answer.write
        return None if recorded is None else (lambda: self._write(recorded, reference))

    def _write(self, recorded: UpdateResult, reference: dict) -> None:
        self.writer.write(recorded, lambda result: self.messenger.post(reference,
                                                                       cards.render(r.result_reply(result))))

    # --- the update form -----------------------------------------------------------------------

    def form_for(self, ref: str, identity: str | None) -> dict:
        """The update form prefilled from the workbook (rows still waiting included), or why not."""
        return cards.render(flows.open_update_form(self.store, flows.TEAMS, ref, identity))

    def form_card(self, ref: str, identity: str | None) -> dict:
        """The update form's card, or a card with the sentence saying why there is none."""
        return cards.card_for(flows.open_update_form(self.store, flows.TEAMS, ref, identity))

    def submit_form(self, data: object, identity: str | None, reference: dict) -> tuple[dict, Callable | None]:
        """A submitted form: (the card to show in its place, the write to start once it is shown).

        A refusal comes back as the same form, with what was typed and the sentence beside the field."""
        answer = flows.submit_form(self.store, flows.TEAMS, data, data if isinstance(data, dict) else {}, identity)
        return cards.card_for(answer.reply), self._then(answer, reference)

    # --- where the bot may post unasked --------------------------------------------------------

    def remember(self, activity: Activity) -> None:
        """Keep the conversation reference of a personal chat (for the outcome of held updates and the
        monthly reminder) and of a team the app is installed in (for the monthly summary)."""
        conversation = activity.conversation
        identity = identity_of(activity)
        try:
            team = _team_id(activity)
            if activity.type in ("conversationUpdate", "installationUpdate") and team:
                if activity.type == "installationUpdate" and (activity.action or "").startswith("remove"):
                    forget_conversation(self.store, f"{TEAM}:{team}")
                elif activity.type == "installationUpdate" or _bot_added(activity):
                    keep_conversation(self.store, f"{TEAM}:{team}", TEAM, _team_reference(activity, team))
            elif conversation and conversation.conversation_type == PERSONAL and identity:
                key = (identity, conversation.id)
                if key not in self._known_personal:
                    keep_conversation(self.store, identity, PERSONAL, reference_of(activity, thread=False))
                    self._known_personal.add(key)
        except JournalUnavailable as exc:  # never stop an answer for this; the next message tries again
            log.warning("could not keep the conversation reference: %s", exc)

    # --- registration --------------------------------------------------------------------------

    def register(self, app) -> None:
        """Route every message, the form's Action.Execute and the installation events to this object."""
        app.activity("message")(self._on_message)
        app.adaptive_card.action_execute(re.compile(f"^({cards.UPDATE_VERB}|{cards.OPEN_FORM_VERB})$"))(
            self._on_execute)
        app.adaptive_card.action_execute(re.compile(f"^({'|'.join(assurance_cards.VERBS)})$"))(self._on_assurance)
        app.activity("conversationUpdate")(self._on_installed)
        app.activity("installationUpdate")(self._on_installed)

    async def _send(self, context: TurnContext, activities: list[dict]) -> None:
        for activity in activities:
            await context.send_activity(Activity.model_validate(activity))

    async def _on_message(self, context: TurnContext, _state) -> None:
        activity = context.activity
        identity, reference = identity_of(activity), reference_of(activity)
        await asyncio.to_thread(self.remember, activity)
        if activity.value is not None and not (activity.text or "").strip():  # Action.Submit (older clients)
            data = activity.value if isinstance(activity.value, dict) else {}
            if data.get("verb") == cards.OPEN_FORM_VERB:
                await self._send(context, [await asyncio.to_thread(self.form_for, str(data.get("ref")), identity)])
                return
            if data.get("verb") in assurance_cards.VERBS:
                shown, then = await asyncio.to_thread(self.assurance.press, data, identity, reference,
                                                      press_key(str(data.get("verb")), activity, identity))
                await self._send(context, [cards.card_message(shown)])
                if then:
                    then()
                return
            shown, then = await asyncio.to_thread(self.submit_form, data, identity, reference)
            await self._send(context, [cards.card_message(shown)])
            if then:
                then()
            return
        answer = await asyncio.to_thread(self.answer, activity.text or "", identity, reference)
        await self._send(context, answer.activities)
        if answer.then:
            answer.then()

    async def _on_execute(self, context: TurnContext, _state, data) -> AdaptiveCardInvokeResponse:
        """Action.Execute: the card is replaced in place by what comes back (the form with its errors,
        or "recorded"); the outcome of the write follows as a message."""
        activity = context.activity
        identity, reference = identity_of(activity), reference_of(activity)
        verb = (activity.value or {}).get("action", {}).get("verb") if isinstance(activity.value, dict) else None
        if verb == cards.OPEN_FORM_VERB:
            opened = await asyncio.to_thread(self.form_card, str((data or {}).get("ref")), identity)
            return _card_response(opened)
        shown, then = await asyncio.to_thread(self.submit_form, data, identity, reference)
        if then:
            then()
        return _card_response(shown)

    async def _on_assurance(self, context: TurnContext, _state, data) -> AdaptiveCardInvokeResponse:
        """*Assure* or *Send back* on a claim's card: the card is replaced by what comes back; the outcome of
        the write follows as a message (bot/teams/assurance.py)."""
        activity = context.activity
        identity, reference = identity_of(activity), reference_of(activity)
        await asyncio.to_thread(self.remember, activity)
        data = data if isinstance(data, dict) else {}
        verb = (activity.value or {}).get("action", {}).get("verb") if isinstance(activity.value, dict) else None
        data = {**data, "verb": verb or data.get("verb")}
        shown, then = await asyncio.to_thread(self.assurance.press, data, identity, reference,
                                              press_key(str(data["verb"]), activity, identity))
        if then:
            then()
        return _card_response(shown)

    async def _on_installed(self, context: TurnContext, _state) -> None:
        await asyncio.to_thread(self.remember, context.activity)


def _card_response(content: dict) -> AdaptiveCardInvokeResponse:
    return AdaptiveCardInvokeResponse(status_code=HTTPStatus.OK, type=ContentTypes.adaptive_card, value=content)


def _team_id(activity: Activity) -> str | None:
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    team = data.get("team") if isinstance(data.get("team"), dict) else None
    return team.get("id") if team and team.get("id") else None


def _bot_added(activity: Activity) -> bool:
    bot = activity.recipient.id if activity.recipient else None
    return any(member.id == bot for member in activity.members_added or [])


def _team_reference(activity: Activity, team: str) -> dict:
    """A team's reference: the channel the app was installed from (a new post, not a reply in a thread:
    `;messageid=` is dropped), else the General channel, whose conversation id is the team's id."""
    reference = reference_of(activity, thread=False)
    conversation = dict(reference.get("conversation") or {})
    conversation["id"] = (conversation.get("id") or team).split(";")[0]
    reference["conversation"] = conversation
    return reference
