"""What the bot says, once, for every chat: each reply as chat-neutral data, decided here.

Slack and Teams used to say the same things twice, in two markups, and drifted (Teams' summary lost the
"reconstructed" and "set aside" caveats). Now a reply is built here from the core's results (a
`Recommendation`, `ask`'s `Reply`, an `UpdateResult`, a month's figures, a reminder, an opened form) as a
frozen dataclass holding the words, numbers, refs, names, dates and caveats people read, already chosen
and cut to length. `bot/blocks.py` (Block Kit) and `bot/teams/cards.py` (Adaptive Cards) only lay these
out, each with its own escaping; `must_show()` lists what both must show (tests/test_replies.py checks it).

Texts here are as people should read them, never escaped. Commands are kept without the chat's prefix
(`list at risk`): Slack shows `/sli list at risk`, Teams `list at risk`. Dates people read are
31/01/2027; only a form's date value is ISO, which both chats' date pickers need.

Forms are read back here too (`form_state`, `submitted_values`): both chats name a form's inputs by
`FormField.name` and carry the same metadata (`form_metadata`), so they read a submission the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.domain.model import Recommendation  # noqa: F401 (renderers' vocabulary)
from shared.domain.update import UpdateResult  # noqa: F401 (renderers' vocabulary)
from shared.usecases.replies.answers import (  # noqa: F401
    Fact,
    HomeReply,
    ListItem,
    ListReply,
    RecommendationReply,
    Section,
    answer_reply,
    home_reply,
    list_item,
    list_reply,
    recommendation_reply,
    short_title,
)
from shared.usecases.replies.assurance import (  # noqa: F401
    ASSURE,
    NOTE_FIELD,
    REASON_FIELD,
    SEND_BACK,
    AssuranceReminderReply,
    ClaimReply,
    SentBackReply,
    assurance_reminder_reply,
    claim_reply,
    sent_back_reply,
)
from shared.usecases.replies.common import (  # noqa: F401
    CHOICE,
    COLUMN_FOR,
    DATE,
    FIELD_FOR,
    FIELD_KINDS,
    MAX_INPUT,
    STALE_DAYS,
    STATUSES,
    TEXT,
    shown_or_empty,
)
from shared.usecases.replies.forms import (  # noqa: F401
    UNREADABLE_FORM,
    FormField,
    FormReply,
    FormState,
    FormUnreadable,
    base_of,
    form_metadata,
    form_reply,
    form_state,
    form_values,
    refused_form,
    submitted_values,
    view_mark_of,
    with_errors,
)
from shared.usecases.replies.monthly import (  # noqa: F401
    Flagged,
    Move,
    ReminderItem,
    ReminderReply,
    StatusCount,
    SummaryReply,
    reminder_of,
    reminder_reply,
    summary_reply,
    time_text,
)
from shared.usecases.replies.notices import (  # noqa: F401
    HELP_LINES,
    PLAIN,
    RECORDED,
    REFUSED,
    HelpLine,
    HelpReply,
    NoticeReply,
    help_reply,
    notice,
    reading,
    recorded,
)
from shared.usecases.replies.results import (  # noqa: F401
    CONFLICTED,
    NOT_DONE,
    UNCHANGED,
    UPDATED,
    WAITING,
    Clash,
    ResultReply,
    ValueChange,
    result_reply,
)

#: Every reply a chat lays out.
ChatReply = (NoticeReply | HelpReply | RecommendationReply | ListReply | ResultReply | FormReply | SummaryReply
             | ReminderReply | HomeReply | ClaimReply | SentBackReply | AssuranceReminderReply)

if TYPE_CHECKING:  # for the type hints only: the summary pulls in pandas and matplotlib
    from shared.summary import MonthFigures, Reminder  # noqa: F401
