"""The row rules: one recommendation's status, next steps, due date, summary, lead and assurance columns."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date

from shared.domain import schema as s
from shared.domain.rules.due import _read_due, is_overdue
from shared.domain.rules.findings import ERROR, WARNING, Finding, Locate, _blank
from shared.domain.rules.text import TEXT_COLUMNS, _text_problems
from shared.domain.values import suggest_status


def check_row(values: Mapping[str, object], locate: Locate, *, lead_orgs: Iterable[str] | None,
              today: date) -> list[Finding]:
    """Every rule that concerns one recommendation's row. `values` maps column names to cell values."""
    ref = str(values.get(s.REF) or "")
    found: list[Finding] = []

    def add(column: str, severity: str, rule: str, message: str) -> None:
        found.append(Finding(locate(column), severity, message, rule, column, ref))

    raw_status = values.get(s.STATUS)
    status = raw_status.strip() if isinstance(raw_status, str) else raw_status
    if _blank(status):
        add(s.STATUS, ERROR, "status_missing",
            f"Status is empty: choose one of {', '.join(s.STATUSES)}.")
        status = None
    elif status not in s.STATUSES:
        guess = suggest_status(status)
        hint = f" Did you mean '{guess}'?" if guess else ""
        add(s.STATUS, ERROR, "status_unknown",
            f"'{status}' is not a status.{hint} Use one of {', '.join(s.STATUSES)}.")
        status = None

    if status and status != s.COMPLETE and _blank(values.get(s.NEXT_STEPS)):
        add(s.NEXT_STEPS, ERROR, "next_steps_missing",
            f"Next steps are empty: say what happens next (needed unless the status is {s.COMPLETE}).")

    due_value = values.get(s.DUE)
    due, problem = _read_due(due_value)
    if problem:
        add(s.DUE, *problem)
    if status in (s.AT_RISK, s.OFF_TRACK) and due is None and _blank(due_value):
        add(s.DUE, ERROR, "due_missing",
            f"A recommendation that is {status} needs a next step with a due date.")
    if is_overdue(due, status, today):
        add(s.DUE, WARNING, "overdue",
            f"The next step was due on {due:%d/%m/%Y} and the recommendation is not complete: "
            "it is overdue. Update the status or set a new date.")

    if status == s.COMPLETE and _blank(values.get(s.SUMMARY)):
        add(s.SUMMARY, ERROR, "summary_missing",
            "The status is Complete but the summary is empty: say what was done.")

    lead = values.get(s.LEAD_ORG)
    known = list(lead_orgs) if lead_orgs is not None else None
    if _blank(lead):
        add(s.LEAD_ORG, ERROR, "lead_missing", "No lead organisation: choose one from the list.")
    elif known is not None and str(lead).strip() not in known:
        add(s.LEAD_ORG, ERROR, "lead_unknown",
            f"'{lead}' is not in the list of lead organisations (sheet Lists). "
            "Choose one from the drop-down, or add it to the list first.")

    if s.ASSURED_BY in values:
        _assurance_row(values, status, add)
    for column in (*TEXT_COLUMNS, *ASSURANCE_TEXT_COLUMNS):
        value = values.get(column)
        if isinstance(value, str) and value and (problems := _text_problems(value, column)):
            cell = locate(column)
            found.extend(Finding(cell, severity, message, rule, column, ref) for severity, rule, message in problems)
    return found


#: The assurance columns whose text is screened like every other (when the workbook has them).
ASSURANCE_TEXT_COLUMNS = (s.ACCOUNTABLE, s.EVIDENCE, s.ASSURED_BY)
EVIDENCE_NEEDED = ("Complete needs evidence for whoever is accountable to assure it: give an evidence note or link "
                   "(sli update --evidence, evidence=\"...\" in a chat, or the form's Evidence).")


def _assurance_row(values: Mapping[str, object], status: object, add: Callable[[str, str, str, str], None]) -> None:
    """The rules of a row's assurance columns (shared/domain/assurance.py): a Complete claim on a row with an
    accountable role carries evidence; `Assured by` and `Assured on` go together, on a Complete row, the
    date a date."""
    accountable = s.split_list(values.get(s.ACCOUNTABLE))
    if status == s.COMPLETE and accountable and _blank(values.get(s.EVIDENCE)):
        add(s.EVIDENCE, ERROR, "evidence_missing", EVIDENCE_NEEDED)
    by, on = values.get(s.ASSURED_BY), values.get(s.ASSURED_ON)
    if _blank(by) and _blank(on):
        return
    if status and status != s.COMPLETE:  # (an unreadable status has its own finding)
        add(s.ASSURED_BY, ERROR, "assured_not_complete",
            f"Assured by and Assured on are filled but the status is {status}: an assurance is of a "
            "Complete claim. Clear them.")
    if _blank(by):
        add(s.ASSURED_BY, ERROR, "assured_by_missing", "Assured on is filled but Assured by is empty: say who "
            "assured it.")
    if _blank(on):
        add(s.ASSURED_ON, ERROR, "assured_on_missing", "Assured by is filled but Assured on is empty: give the date.")
    elif not isinstance(on, date):
        add(s.ASSURED_ON, ERROR, "assured_on_not_date", "Assured on is not a date: write it like 31/01/2027.")
