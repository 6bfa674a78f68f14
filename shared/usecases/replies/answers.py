"""Answers to questions: one recommendation, a titled list, App Home."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from shared.domain import schema as s
from shared.domain.assurance import status_as_read
from shared.domain.model import Recommendation
from shared.domain.rules import is_overdue
from shared.domain.values import cell_text, plural, short_text
from shared.usecases.replies.notices import NoticeReply

if TYPE_CHECKING:  # for the type hints only: the summary pulls in pandas and matplotlib
    pass


# --- one recommendation --------------------------------------------------------------------------

@dataclass(frozen=True)
class Fact:
    """A labelled value; `status` marks the status, which a chat may decorate (Slack's coloured circle)."""

    label: str
    value: str
    status: bool = False


@dataclass(frozen=True)
class Section:
    """A labelled paragraph of text from the row; `empty` is said when it has none."""

    label: str
    text: str
    empty: str


@dataclass(frozen=True)
class RecommendationReply:
    """One recommendation in full: what `status L7` shows."""

    ref: str
    status: str
    #: The recommendation's text, in full.
    title: str
    facts: tuple[Fact, ...]
    sections: tuple[Section, ...]
    footer: str
    plain: str

    @property
    def header(self) -> str:
        return f"{self.ref} · {self.status}"

    def must_show(self) -> tuple[str, ...]:
        return (self.ref, self.status, self.title, *(f.value for f in self.facts),
                *(x.text or x.empty for x in self.sections), self.footer)


def recommendation_reply(row: Recommendation) -> RecommendationReply:
    due = cell_text(row.due) or "no date"
    updated = cell_text(row[s.LAST_UPDATED]) or "never"
    by = cell_text(row[s.UPDATED_BY]) or "unknown"
    text = cell_text(row[s.RECOMMENDATION])
    status = status_as_read(row)
    facts = (Fact("Status", status or "No status", status=True), Fact("Next step due", due),
             Fact("Lead", row.lead_org or "-"), Fact("Lead officer", cell_text(row[s.LEAD_OFFICER]) or "-"))
    sections = (Section("Summary of status", cell_text(row[s.SUMMARY]), "none yet"),
                Section("Next steps", cell_text(row[s.NEXT_STEPS]), "none"))
    plain = (f"{row.ref} ({status}): {text}\nSummary: {cell_text(row[s.SUMMARY])}\n"
             f"Next steps: {cell_text(row[s.NEXT_STEPS])} (due {due})\nLead: {row.lead_org}. "
             f"Last updated {updated} by {by}.")
    return RecommendationReply(row.ref, status or "No status", text, facts, sections,
                               f"Last updated {updated} by {by}", plain)


# --- lists ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ListItem:
    """A recommendation on two lines: ref and short title; status, lead organisation, due date (overdue?)."""

    ref: str
    title: str
    status: str
    lead: str
    due: str
    overdue: bool = False

    @property
    def details(self) -> str:
        """The second line without the status: ` · lead · due …`."""
        return f" · {self.lead} · {self.due}"

    def must_show(self) -> tuple[str, ...]:
        return (self.ref, self.title, self.status, self.lead, self.due) + (("overdue",) if self.overdue else ())


def short_title(row: Recommendation) -> str:
    """The recommendation's text cut to a line: what a list shows beside the ref."""
    return short_text(row[s.RECOMMENDATION], 70) or "(no recommendation text)"


def list_item(row: Recommendation, today: date | None = None) -> ListItem:
    due = f"due {cell_text(row.due)}" if row.due else "no due date"
    overdue = today is not None and is_overdue(row.due, row.status, today)
    return ListItem(row.ref, short_title(row), status_as_read(row) or "No status",
                    row.lead_org or "no lead organisation", due, overdue)


@dataclass(frozen=True)
class ListReply:
    """A titled list of recommendations (an empty one says "none")."""

    title: str
    items: tuple[ListItem, ...]
    plain: str

    @property
    def heading(self) -> str:
        return f"{self.title} ({len(self.items)})"

    def must_show(self) -> tuple[str, ...]:
        if not self.items:
            return (self.plain,)
        return (self.title, str(len(self.items)), *(f for item in self.items for f in item.must_show()))


def list_reply(title: str, rows: Iterable[Recommendation], today: date | None = None) -> ListReply:
    items = tuple(list_item(row, today) for row in rows)
    if not items:
        return ListReply(title, (), f"{title}: none.")
    plain = f"{title} ({len(items)}):\n" + "\n".join(f"{i.ref} {i.title}: {i.status}{i.details}" for i in items)
    return ListReply(title, items, plain)


def answer_reply(answer: Any, today: date | None = None) -> RecommendationReply | ListReply | NoticeReply:
    """`shared.usecases.ask`'s `Reply` (one row, a titled list, or a sentence) as what a chat says; a list marks
    what is overdue as of `today` (given by the caller, from its context's clock)."""
    if answer.row is not None:
        return recommendation_reply(answer.row)
    if answer.sentence:
        return NoticeReply(answer.sentence)
    return list_reply(answer.title, answer.rows, today)


@dataclass(frozen=True)
class HomeReply:
    """Slack's App Home: the person's own recommendations, each to be updated from there."""

    name: str
    greeting: str
    items: tuple[ListItem, ...]

    def must_show(self) -> tuple[str, ...]:
        return (self.greeting, *(f for item in self.items for f in item.must_show()))


def home_reply(name: str, rows: Sequence[Recommendation], today: date) -> HomeReply:
    if not rows:
        return HomeReply(name, f"Hello {name}. No recommendations are led by your organisation in the Leads sheet.",
                         ())
    return HomeReply(name, f"Hello {name}. Your organisation leads {plural(len(rows), 'recommendation')}.",
                     tuple(list_item(row, today) for row in rows))


