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

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from shared.domain import schema as s
from shared.domain import update as u
from shared.domain.model import Recommendation
from shared.domain.rules import is_overdue
from shared.domain.update import UpdateResult
from shared.domain.values import cell_text, short_text, shown

if TYPE_CHECKING:  # for the type hints only: the summary pulls in pandas and matplotlib
    from shared.summary import MonthFigures, Reminder

__all__ = ["ChatReply", "Fact", "FormField", "FormReply", "FormState", "FormUnreadable", "HelpReply", "HomeReply",
           "ListItem", "ListReply", "NoticeReply", "RecommendationReply", "Recommendation", "ReminderReply",
           "ResultReply", "SummaryReply", "UpdateResult"]

#: How a form names each updatable column: the Slack block id and the Teams input id, both.
FIELD_FOR = {s.STATUS: "status", s.SUMMARY: "summary", s.NEXT_STEPS: "next", s.DUE: "due"}
COLUMN_FOR = {name: column for column, name in FIELD_FOR.items()}
CHOICE, TEXT, DATE = "choice", "text", "date"
#: The kind of input each field is, by field name.
FIELD_KINDS = {"status": CHOICE, "summary": TEXT, "next": TEXT, "due": DATE}
STATUSES = s.STATUSES
#: The longest text an input takes (the rules refuse more).
MAX_INPUT = 2000
#: How many days without an update the summary calls stale.
STALE_DAYS = 60


def _shown_or_empty(value: object, column: str) -> str:
    return shown(value, column) or "(empty)"


# --- notices and help ----------------------------------------------------------------------------

#: A notice's tone: how a renderer marks it (an icon), never what it says.
RECORDED, REFUSED, PLAIN = "recorded", "refused", ""


@dataclass(frozen=True)
class NoticeReply:
    """One sentence (a refusal, a query's error, "recorded"); `headline` leads it when the sentence is an
    outcome ("L7: not recorded."), and `ref` names the recommendation a form notice is about."""

    text: str
    tone: str = PLAIN
    headline: str = ""
    ref: str = ""

    @property
    def plain(self) -> str:
        return f"{self.headline} {self.text}".strip()

    def must_show(self) -> tuple[str, ...]:
        return tuple(x for x in (self.headline, self.text) if x)


def notice(text: str, tone: str = PLAIN, *, headline: str = "", ref: str = "") -> NoticeReply:
    """A sentence as a reply: each chat shows it as text (an icon for its tone), never rephrased."""
    return NoticeReply(text, tone, headline, ref)


def recorded(ref: str) -> NoticeReply:
    """What the sender reads once an update is journalled: its outcome follows."""
    return NoticeReply(f"Recorded your update to {ref}; writing it to the workbook…", RECORDED, ref=ref)


def reading(ref: str) -> NoticeReply:
    """What a form shows while the row is read."""
    return NoticeReply(f"Reading {ref} from the workbook…", ref=ref)


@dataclass(frozen=True)
class HelpLine:
    """One way to ask: the command(s), typed without the chat's prefix, an alternative, and what it gives."""

    commands: tuple[str, ...]
    alternative: str = ""
    what: str = ""


@dataclass(frozen=True)
class HelpReply:
    """What the bot understands; `prefix` is the sentence before it (what was not understood)."""

    prefix: str
    title: str
    lines: tuple[HelpLine, ...]
    plain_words: tuple[str, ...]

    def must_show(self) -> tuple[str, ...]:
        return (self.prefix, self.title, *(c for line in self.lines for c in line.commands),
                *(line.what for line in self.lines), *self.plain_words)


HELP_LINES = (
    HelpLine(("status L7",), "7", "one recommendation in full"),
    HelpLine(("status safer sleeping",), "", "search the recommendations"),
    HelpLine(("list at risk", "list ELHT"), "", "by status or lead organisation"),
    HelpLine(("mine",), "", "the recommendations your organisation leads"),
    HelpLine(("update L7",), "", "a form to update one"),
    HelpLine(('update L7 status="At risk" next="Agree safer sleep audit" due=31/01/2027 summary="..."',)),
)


def help_reply(prefix: str = "") -> HelpReply:
    """Help, after `prefix` (why it is shown: a word not understood); the commands without a chat's prefix."""
    return HelpReply(prefix, "Ask me about the SLI infant mortality recommendations", HELP_LINES,
                     ("status of 7", "what is at risk?", "update 7 status On track"))


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
    facts = (Fact("Status", row.status or "No status", status=True), Fact("Next step due", due),
             Fact("Lead", row.lead_org or "-"), Fact("Lead officer", cell_text(row[s.LEAD_OFFICER]) or "-"))
    sections = (Section("Summary of status", cell_text(row[s.SUMMARY]), "none yet"),
                Section("Next steps", cell_text(row[s.NEXT_STEPS]), "none"))
    plain = (f"{row.ref} ({row.status}): {text}\nSummary: {cell_text(row[s.SUMMARY])}\n"
             f"Next steps: {cell_text(row[s.NEXT_STEPS])} (due {due})\nLead: {row.lead_org}. "
             f"Last updated {updated} by {by}.")
    return RecommendationReply(row.ref, row.status or "No status", text, facts, sections,
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
    return ListItem(row.ref, short_title(row), row.status or "No status", row.lead_org or "no lead organisation",
                    due, overdue)


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
    """`shared.usecases.ask`'s `Reply` (one row, a titled list, or a sentence) as what a chat says."""
    if answer.row is not None:
        return recommendation_reply(answer.row)
    if answer.sentence:
        return NoticeReply(answer.sentence)
    return list_reply(answer.title, answer.rows, today if today is not None else date.today())


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
    return HomeReply(name, f"Hello {name}. Your organisation leads {len(rows)} recommendation(s).",
                     tuple(list_item(row, today) for row in rows))


# --- the outcome of an update --------------------------------------------------------------------

UNCHANGED, UPDATED, WAITING, CONFLICTED, NOT_DONE = "unchanged", "updated", "waiting", "conflict", "refused"


@dataclass(frozen=True)
class ValueChange:
    column: str
    old: str
    new: str


@dataclass(frozen=True)
class Clash:
    """A field changed after the sender saw it: who changed it to what, and what they sent."""

    column: str
    changed_by: str
    current: str
    proposed: str


@dataclass(frozen=True)
class ResultReply:
    """What became of an update: updated (old → new), nothing changed, waiting (and why), a conflict (both
    values), or refused (the reasons); with the rules' warnings as notes."""

    ref: str
    outcome: str
    headline: str
    message: str = ""
    changes: tuple[ValueChange, ...] = ()
    conflicts: tuple[Clash, ...] = ()
    reasons: tuple[str, ...] = ()
    closing: str = ""
    notes: tuple[str, ...] = ()

    @property
    def said(self) -> str:
        """The core's sentence, where the outcome shows it (a refusal with reasons shows those instead)."""
        shows = self.outcome in (UNCHANGED, WAITING) or (self.outcome == NOT_DONE and not self.reasons)
        return self.message if shows else ""

    def must_show(self) -> tuple[str, ...]:
        return (self.ref, self.headline, self.said, *(x for c in self.changes for x in (c.column, c.old, c.new)),
                *(x for c in self.conflicts for x in (c.column, c.changed_by, c.current, c.proposed)),
                *self.reasons, self.closing, *self.notes)


def result_reply(result: UpdateResult) -> ResultReply:
    ref = result.ref
    notes = tuple(f.message for f in result.warnings)
    if result.state == u.APPLIED and not result.changes:
        return ResultReply(ref, UNCHANGED, f"{ref}: nothing changed.",
                           result.message or f"{ref} already shows these values.", notes=notes)
    if result.state == u.APPLIED:
        changes = tuple(ValueChange(column, _shown_or_empty(old, column), _shown_or_empty(new, column))
                        for column, (old, new) in result.changes.items())
        return ResultReply(ref, UPDATED, f"{ref} updated.", changes=changes, notes=notes)
    if result.state in u.OPEN_STATES:  # waiting, being written, or in the workbook open in Excel
        return ResultReply(ref, WAITING, f"{ref}: recorded, not yet in the workbook.", result.message,
                           closing="I'll tell you when it is in.", notes=notes)
    if result.state == u.CONFLICT:
        clashes = tuple(Clash(c.column, c.changed_by, _shown_or_empty(c.current, c.column),
                              _shown_or_empty(c.proposed, c.column)) for c in result.conflicts)
        return ResultReply(ref, CONFLICTED, f"{ref}: not applied: it was changed after you saw it.",
                           conflicts=clashes,
                           closing="Check the new values, then send your update again if it still stands.",
                           notes=notes)
    outcome = "not applied" if result.message.startswith("Not applied") else "not recorded"
    return ResultReply(ref, NOT_DONE, f"{ref}: {outcome}.", result.message,
                       reasons=tuple(f.message for f in result.errors), notes=notes)


# --- the update form -----------------------------------------------------------------------------

@dataclass(frozen=True)
class FormField:
    """One input of the update form: `name` is its id in both chats (and how its value is read back)."""

    name: str
    label: str
    kind: str
    value: str
    choices: tuple[str, ...] = ()
    error: str = ""

    @property
    def column(self) -> str:
        return COLUMN_FOR[self.name]


@dataclass(frozen=True)
class FormReply:
    """The update form: the fields prefilled (or as typed, with the refusals beside them), and what travels
    with it for the conflict check: what the sender saw (`seen`, by column), the journal's mark when it was
    read (`view_seq`), the file's own values under waiting updates (`base`), and the form's own id."""

    ref: str
    #: The recommendation's text, cut to a few lines.
    heading: str
    fields: tuple[FormField, ...]
    seen: Mapping[str, str]
    view_seq: int | None
    form_id: str
    base: Mapping[str, str] | None = None
    #: A refusal that names no field (shown above the fields).
    error: str = ""

    @property
    def title(self) -> str:
        return f"Update {self.ref}"

    def must_show(self) -> tuple[str, ...]:
        return (self.ref, self.heading, self.error, *(x for f in self.fields for x in (f.label, f.value, f.error)),
                *(c for f in self.fields for c in f.choices))


def form_values(row: Recommendation) -> dict[str, str]:
    """A row's updatable fields as a form carries them, by column: text, the due date ISO."""
    return {column: cell_text(row[column]) if column != s.DUE else (row.due.isoformat() if row.due else "")
            for column in FIELD_FOR}


_LABELS = {s.STATUS: "Status", s.SUMMARY: "Summary of status", s.NEXT_STEPS: "Next steps", s.DUE: "Next step due"}


def form_reply(row: Recommendation, statuses: Sequence[str], view_seq: int | None = None,
               file_row: Recommendation | None = None, *, values: Mapping[str, str] | None = None,
               seen: Mapping[str, str] | None = None, base: Mapping[str, str] | None = None,
               form_id: str | None = None, errors: Mapping[str, str] | None = None) -> FormReply:
    """The form prefilled from `row` (the row as it will be once waiting updates land), or with what was
    typed (`values`, by column) and the refusals (`errors`, by column; `""` for none) beside the fields.
    `seen` stays what was first shown; `base` is `file_row`'s values unless given."""
    seen = dict(seen) if seen is not None else form_values(row)
    values = values if values is not None else seen
    errors = errors or {}
    statuses = tuple(statuses)
    fields = []
    for column, name in FIELD_FOR.items():
        value = str(values.get(column, "") or "")
        if column == s.STATUS and value not in statuses:
            value = ""
        fields.append(FormField(name, _LABELS[column], FIELD_KINDS[name], value[:MAX_INPUT],
                                statuses if column == s.STATUS else (), errors.get(column, "")))
    if base is None and file_row is not None:
        base = form_values(file_row)
    return FormReply(row.ref, short_text(row[s.RECOMMENDATION], 400), tuple(fields), seen,
                     view_seq, form_id or uuid.uuid4().hex, dict(base) if base is not None else None,
                     errors.get("", ""))


def refused_form(form: FormReply, refused: UpdateResult) -> FormReply:
    """The same form with a refusal beside its fields (above them when it names no field)."""
    errors: dict[str, str] = {}
    for finding in refused.errors:
        errors.setdefault(finding.column if finding.column in FIELD_FOR else "", finding.message)
    if not errors:
        errors[""] = refused.message
    return with_errors(form, errors)


def with_errors(form: FormReply, errors: Mapping[str, str]) -> FormReply:
    """The form with `errors` (by column; `""` above the fields) and no others."""
    fields = tuple(FormField(f.name, f.label, f.kind, f.value, f.choices, errors.get(f.column, ""))
                   for f in form.fields)
    return FormReply(form.ref, form.heading, fields, form.seen, form.view_seq, form.form_id, form.base,
                     errors.get("", ""))


def form_metadata(form: FormReply) -> dict[str, object]:
    """What travels with a form (Slack's private_metadata, Teams' action data) and comes back on submit."""
    return {"ref": form.ref, "seen": dict(form.seen), "view": form.view_seq, "base": form.base,
            "form": form.form_id}


UNREADABLE_FORM = ("This form could not be read. Close it and ask for a new one with /sli update and the ref "
                   "(e.g. /sli update L7).")


class FormUnreadable(ValueError):
    """Submitted form data that is not what `form_metadata` wrote: what the sender saw is the only basis
    of the conflict check, so such a form is refused with a sentence."""


@dataclass(frozen=True)
class FormState:
    """What a submitted form carried: its ref, what it showed (by column), the view mark, base and id."""

    ref: str
    seen: Mapping[str, str]
    view_seq: int | None
    base: Mapping[str, str] | None
    form_id: str


def _by_columns(value: object) -> dict[str, str] | None:
    if isinstance(value, dict) and set(value) <= set(FIELD_FOR) and all(isinstance(v, str) for v in value.values()):
        return dict(value)
    return None


def view_mark_of(meta: object) -> int | None:
    """A form's journal mark, or None (an older or tampered form: its view is then the submit)."""
    mark = meta.get("view") if isinstance(meta, dict) else None
    return mark if isinstance(mark, int) and not isinstance(mark, bool) and mark >= 0 else None


def base_of(meta: object) -> dict[str, str] | None:
    """The file's values a form kept beside what it showed, or None."""
    return _by_columns(meta.get("base")) if isinstance(meta, dict) else None


def form_state(meta: object, *, need_form_id: bool = False) -> FormState:
    """The metadata of a submitted form, read back; raises FormUnreadable (with the sentence) if it is not
    a ref and the text values it showed (and its id, when the chat needs it to recognise a second press)."""
    seen = _by_columns(meta.get("seen")) if isinstance(meta, dict) else None
    ref = meta.get("ref") if isinstance(meta, dict) else None
    form_id = meta.get("form") if isinstance(meta, dict) else None
    if not isinstance(ref, str) or not ref or seen is None or (need_form_id and not (isinstance(form_id, str)
                                                                                     and form_id)):
        raise FormUnreadable(UNREADABLE_FORM)
    return FormState(ref, seen, view_mark_of(meta), base_of(meta), form_id if isinstance(form_id, str) else "")


def submitted_values(by_name: Mapping[str, object]) -> dict[str, str]:
    """A submission's values by column, from the inputs' values by field name (anything not text is '')."""
    return {column: value if isinstance(value := by_name.get(name), str) else ""
            for column, name in FIELD_FOR.items()}


# --- the monthly summary and the reminders -------------------------------------------------------

@dataclass(frozen=True)
class StatusCount:
    status: str
    count: int
    #: The change since last month as shown: " (+2)", " (-1)", " (=)", or "" with nothing to compare.
    change: str

    @property
    def shown(self) -> str:
        return f"{self.count}{self.change}"


@dataclass(frozen=True)
class Move:
    """A status change this month."""

    ref: str
    old: str
    new: str
    by: str
    via: str


@dataclass(frozen=True)
class Flagged:
    """A recommendation the summary points out: overdue (status, due, text) or stale (last updated)."""

    ref: str
    lead: str
    status: str = ""
    due: str = ""
    text: str = ""
    last_updated: str = ""


@dataclass(frozen=True)
class SummaryReply:
    """The monthly summary: counts by status with the change since last month and the caveats on them,
    what changed, what is overdue or stale, what waits; with the time the figures were taken."""

    title: str
    month: str
    month_key: str
    counts: tuple[StatusCount, ...]
    comparison: str
    caveats: tuple[str, ...]
    changes: int
    changed_refs: int
    moves: tuple[Move, ...]
    more_moves: int
    overdue: tuple[Flagged, ...]
    stale: tuple[Flagged, ...]
    pending: int
    conflicts: int
    taken_at: str
    plain: str
    hint: str = "list at risk"
    stale_days: int = STALE_DAYS

    @property
    def changed_line(self) -> str:
        return f"{self.changes} change(s) to {self.changed_refs} recommendation(s)"

    @property
    def waiting_line(self) -> str:
        return (f"{self.pending} update(s) not yet in the workbook, {self.conflicts} in conflict with an "
                "officer's edit.") if self.pending or self.conflicts else ""

    @property
    def chart_alt(self) -> str:
        return f"SLI statuses, {self.month_key}"

    def must_show(self) -> tuple[str, ...]:
        return (self.month, *(f"{c.status} {c.shown}" for c in self.counts), self.comparison, *self.caveats,
                self.changed_line, *(x for m in self.moves for x in (m.ref, m.old, m.new, m.by, m.via)),
                *(x for i in self.overdue for x in (i.ref, i.status, i.due, i.text, i.lead)),
                *(x for i in self.stale for x in (i.ref, i.last_updated, i.lead)), self.waiting_line, self.taken_at)


def utc_text(stamp: str) -> str:
    """An ISO timestamp from the journal as people read it: 01/12/2026 09:00 UTC."""
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    return when.strftime("%d/%m/%Y %H:%M UTC")


def _change(value: int | None) -> str:
    if value is None:
        return ""
    return f" ({'+' if value > 0 else ''}{value})" if value else " (=)"


def summary_reply(figures: MonthFigures) -> SummaryReply:
    """A month's figures (`shared.summary.MonthFigures`) as the summary both chats post."""
    month = datetime.strptime(figures.month, "%Y-%m").strftime("%B %Y")
    counts = tuple(StatusCount(st, figures.counts.get(st, 0), _change(figures.delta(st))) for st in s.STATUSES)
    comparison = ("change since last month in brackets" if figures.previous_counts is not None
                  else "no earlier month to compare with")
    caveats, short = [], []
    if figures.previous_reconstructed:
        caveats.append("last month's counts reconstructed from the Change log: no snapshot was taken then")
        short.append(" (last month's counts reconstructed from the Change log)")
    if figures.set_aside:
        caveats.append(f"counts as at the end of the month: {figures.set_aside} status change(s) made since "
                       "set aside")
        short.append(f" (as at the month's end: {figures.set_aside} later status change(s) set aside)")
    status_moves = [Move(c.ref, c.old or "(none)", c.new, c.by, c.via) for c in figures.changes
                    if c.field == s.STATUS]
    overdue = tuple(Flagged(i.ref, i.lead, i.status, shown(i.due, s.DUE), short_text(i.text, 80))
                    for i in figures.overdue[:15])
    stale = tuple(Flagged(i.ref, i.lead, last_updated=shown(i.last_updated, s.LAST_UPDATED) or "never")
                  for i in figures.stale[:15])
    text_counts = ", ".join(f"{c.status} {c.shown}" for c in counts) + "".join(short)
    plain = (f"SLI infant mortality, {month}: {text_counts}. {len(figures.changes)} change(s) this month; "
             f"{len(figures.overdue)} overdue; {len(figures.stale)} not updated for {STALE_DAYS} days; "
             f"{figures.pending} waiting, {figures.conflicts} in conflict.")
    return SummaryReply(f"SLI infant mortality: {month}", month, figures.month, counts, comparison, tuple(caveats),
                        len(figures.changes), len({c.ref for c in figures.changes}), tuple(status_moves[:12]),
                        max(0, len(status_moves) - 12), overdue, stale, figures.pending, figures.conflicts,
                        utc_text(figures.taken_at), plain)


@dataclass(frozen=True)
class ReminderItem:
    ref: str
    title: str
    status: str
    due: str


@dataclass(frozen=True)
class ReminderReply:
    """The one message a lead gets before the summary: their recommendations not updated this month."""

    name: str
    month: str
    greeting: str
    items: tuple[ReminderItem, ...]
    plain: str

    def must_show(self) -> tuple[str, ...]:
        return (self.greeting, *(x for i in self.items for x in (i.ref, i.title, i.status, i.due)))


def reminder_reply(name: str, month_label: str, items: Sequence[Any]) -> ReminderReply:
    """A reminder from a `shared.summary.Reminder`'s name and items (`Item`s), for the month named."""
    shown_items = tuple(ReminderItem(i.ref, short_text(i.text, 70), i.status,
                                     f"due {shown(i.due, s.DUE)}" if i.due else "no due date") for i in items)
    return ReminderReply(name, month_label, f"Hello {name}. The SLI summary for {month_label} goes to the group "
                         "soon. These have not been updated this month:", shown_items,
                         f"Reminder: {', '.join(i.ref for i in items)} not updated this month ({month_label}).")


def reminder_of(reminder: Reminder, month_label: str) -> ReminderReply:
    return reminder_reply(reminder.name, month_label, reminder.items)


#: Every reply a chat lays out.
ChatReply = (NoticeReply | HelpReply | RecommendationReply | ListReply | ResultReply | FormReply | SummaryReply
             | ReminderReply | HomeReply)
