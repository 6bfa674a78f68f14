"""Posting into a Teams conversation unasked (proactively), from any thread.

Teams lets a bot post into a chat or a channel only through a conversation reference it was given
there (kept in the journal when the app is installed or spoken to). The SDK's adapter posts through
it with a fresh turn context: signed with the app registration's token, or anonymously in `--local`
mode (then only to a connector on 127.0.0.1: the Playground or the tests' stand-in).
"""

from __future__ import annotations

import asyncio
import logging

from microsoft_agents.activity import Activity, ConversationReference
from microsoft_agents.hosting.core import ChannelServiceAdapter, ClaimsIdentity, ConnectorClientBase, TurnContext

log = logging.getLogger("sli.teams.messenger")
#: How long a background thread waits for one proactive post before giving up on it.
POST_TIMEOUT_SECONDS = 30.0


class Messenger:
    """Sends activities into stored conversations; `post` may be called from any thread."""

    def __init__(self, adapter: ChannelServiceAdapter, app_id: str = ""):
        self.adapter, self.app_id = adapter, app_id
        self.loop: asyncio.AbstractEventLoop | None = None  # the server's loop, set when it starts

    async def send(self, reference: dict, activity: dict) -> str | None:
        """Post `activity` into the conversation of `reference`; the id Teams gave it, if any."""
        ref = ConversationReference.model_validate(reference)
        continuation = ref.get_continuation_activity()
        sent: list[str | None] = []

        async def callback(context: TurnContext) -> None:
            # Addressed by the stored reference itself and sent through the turn's connector client: a
            # reference kept without an activity id starts a new post (TurnContext.send_activity would
            # reply to the continuation's made-up id), and only the fields set are sent (the adapter's
            # own path sends `"id": null`, which a connector may refuse, as the Agents Playground's does).
            outgoing = Activity.model_validate(_addressed(activity, reference))
            connector = context.services.get(ConnectorClientBase)
            conversation = outgoing.conversation.id
            if outgoing.reply_to_id:
                response = await connector.conversations.reply_to_activity(conversation, outgoing.reply_to_id,
                                                                           outgoing)
            else:
                response = await connector.conversations.send_to_conversation(conversation, outgoing)
            sent.append(getattr(response, "id", None))

        if self.app_id:
            await self.adapter.continue_conversation(self.app_id, continuation, callback)
        else:  # --local: no registration, no token
            identity = ClaimsIdentity({}, authentication_type="Anonymous")
            await self.adapter.continue_conversation_with_claims(identity, continuation, callback)
        if not sent:  # the adapter's error handler swallowed a failure (logged): the caller must know
            raise RuntimeError("The post to Teams failed; see the log.")
        return sent[0]

    def post(self, reference: dict, activity: dict, timeout: float = POST_TIMEOUT_SECONDS) -> str | None:
        """`send` from a thread that is not the server's (the writer, the scheduler, the notifier)."""
        if self.loop is None or not self.loop.is_running():
            raise RuntimeError("The Teams bot is not running, so nothing can be posted to Teams.")
        return asyncio.run_coroutine_threadsafe(self.send(reference, activity), self.loop).result(timeout)


def _addressed(activity: dict, reference: dict) -> dict:
    """`activity` addressed by a stored reference, with no empty fields (a connector may refuse a null
    `recipient` or `locale`, as the Agents Playground's does); a reply only if the reference names an activity."""
    addressed = {**activity, "channelId": reference.get("channelId"), "serviceUrl": reference.get("serviceUrl"),
                 "conversation": reference.get("conversation"), "from": reference.get("bot"),
                 "recipient": reference.get("user"), "locale": reference.get("locale"),
                 "replyToId": reference.get("activityId")}
    return {key: value for key, value in addressed.items() if value is not None}
