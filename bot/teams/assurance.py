"""*Assure* and *Send back* pressed on a claim's card in Teams (Action.Execute, or Action.Submit from older
clients): checked and journalled by the core before the invoke is answered (bot/assurance_flows.py, as in
Slack), the card replaced by "recorded" or, refused, by the claim again with the sentence on top (who can,
or what to give); the write follows on the one writer thread and its outcome is posted in the same chat.

Also Teams' side of the assurance news (bot/assurance_news.py): a Leads row is reached by its Entra object ID,
in the personal chat the person has with the bot (Teams lets a bot write to a person only once they have one).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot import assurance_flows, flows
from bot.assurance_news import AssuranceNews, Channel
from bot.teams import assurance_cards as ac
from bot.teams import cards
from bot.teams.messenger import Messenger
from bot.writer import UpdateWriter
from shared.domain.access import entra_identity, entra_object_id
from shared.usecases import Context, claim_notice, conversation
from shared.usecases import replies as r

log = logging.getLogger("sli.teams")


class AssuranceHandlers:
    """What a press on a claim's card does; `TeamsHandlers` routes the verbs in `assurance_cards.VERBS` here."""

    def __init__(self, store: Context, writer: UpdateWriter, messenger: Messenger):
        self.store, self.writer, self.messenger = store, writer, messenger

    def press(self, data: object, identity: str | None, reference: dict, key: str) -> tuple[dict, Callable | None]:
        """(the card to show in place of the one pressed, the write to start once it is shown)."""
        data = data if isinstance(data, dict) else {}
        action = ac.ACTION_OF.get(str(data.get("verb")), r.ASSURE)
        ref = str(data.get("ref") or "")
        typed = data.get(r.REASON_FIELD if action == r.SEND_BACK else r.NOTE_FIELD)
        answer = assurance_flows.press(self.store, flows.TEAMS, action, ref, identity,
                                       typed if isinstance(typed, str) else "", idempotency_key=key,
                                       claim_key=str(data.get("claim") or ""))
        if answer.write is None and isinstance(answer.reply, r.ResultReply):
            return self._refused(ref, answer.reply), None
        recorded = answer.write
        then = None if recorded is None else (lambda: self.writer.write(recorded, lambda result: self.messenger.post(
            reference, cards.render(r.result_reply(result)))))
        return cards.card_for(answer.reply), then

    def _refused(self, ref: str, reply: r.ResultReply) -> dict:
        """The claim's card again with the refusal on top, so the holder can fix it (a reason) and press
        again; the sentence alone once there is no claim to show (already assured, no such row)."""
        sentence = " ".join(reply.reasons) or reply.message or reply.headline
        try:
            notice = claim_notice(self.store, ref)
        except Exception:  # noqa: BLE001 - a ref that is not one, a workbook unreadable: the sentence says it
            notice = None
        return ac.claim_card(r.claim_reply(notice), sentence) if notice else cards.card_for(reply)


def press_key(verb: str, activity: object, identity: str | None) -> str:
    """One press per card, person and verb: the card's message (`replyToId`), else this activity."""
    where = getattr(activity, "reply_to_id", None) or getattr(activity, "id", None) or ""
    return f"teams-{verb}:{where}:{identity}"


def teams_channel(store: Context, messenger: Messenger) -> Channel:
    """Teams' side of the assurance news: a Leads row by its Entra object ID, in their personal chat."""
    def send(identity: str, reply: object) -> bool:
        reference = conversation(store, identity)
        if reference is None:
            return False  # no personal chat yet: tried again on the next pass
        messenger.post(reference, ac.render(reply))
        return True
    return Channel("teams", lambda lead: entra_identity(lead.entra_object_id) if lead.entra_object_id else "",
                   lambda identity: entra_object_id(identity) is not None, send)


def assurance_news(store: Context, messenger: Messenger) -> AssuranceNews:
    return AssuranceNews(store, teams_channel(store, messenger))
