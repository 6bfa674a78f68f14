"""The update form: its fields, choices and inline refusals, and reading a submission back."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shared.domain import schema as s
from shared.domain.model import Recommendation
from shared.domain.update import UpdateResult
from shared.domain.values import cell_text, short_text
from shared.usecases.replies.common import COLUMN_FOR, FIELD_FOR, FIELD_KINDS, MAX_INPUT, OPTIONAL_FIELDS

if TYPE_CHECKING:  # for the type hints only: the summary pulls in pandas and matplotlib
    pass


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


def _form_columns(row: Recommendation) -> list[str]:
    """The columns a form for this row has: Evidence only when the workbook has the column (assurance)."""
    return [column for column in FIELD_FOR if column not in OPTIONAL_FIELDS or column in row.values]


def form_values(row: Recommendation) -> dict[str, str]:
    """A row's updatable fields as a form carries them, by column: text, the due date ISO."""
    return {column: cell_text(row[column]) if column != s.DUE else (row.due.isoformat() if row.due else "")
            for column in _form_columns(row)}


_LABELS = {s.STATUS: "Status", s.SUMMARY: "Summary of status", s.NEXT_STEPS: "Next steps", s.DUE: "Next step due",
           s.EVIDENCE: "Evidence (a note or link; needed to claim Complete)"}


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
    for column in _form_columns(row):
        name = FIELD_FOR[column]
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
    """A submission's values by column, from the inputs' values by field name (anything not text is ''); an
    optional field (Evidence) only when the form had it."""
    return {column: value if isinstance(value := by_name.get(name), str) else ""
            for column, name in FIELD_FOR.items()
            if column not in OPTIONAL_FIELDS or isinstance(by_name.get(name), str)}


