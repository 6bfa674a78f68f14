"""Who may do what, from the workbook's `Leads` sheet (officers keep it in Excel).

Anyone may read. A recommendation may be updated by the leads of its lead organisation and by
officers. A refusal names who can, so the person knows whom to ask.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.domain.model import Appendix, Lead

OFFICER, LEAD = "officer", "lead"


@dataclass(frozen=True)
class Permission:
    allowed: bool
    message: str = ""


def person(appendix: Appendix, slack_user_id: str) -> Lead | None:
    """The first row of `Leads` with this Slack user ID (a person may lead for several organisations)."""
    return next((lead for lead in appendix.leads if lead.slack_user_id == slack_user_id), None)


def display_name(appendix: Appendix, slack_user_id: str) -> str:
    """The name `Leads` gives a Slack user; their ID when the sheet does not list them."""
    found = person(appendix, slack_user_id)
    return found.name if found and found.name else slack_user_id


def may_update(appendix: Appendix, slack_user_id: str, ref: str) -> Permission:
    """Whether this Slack user may update recommendation `ref`, and if not, who can."""
    row = appendix.rows[ref]
    roles = [lead for lead in appendix.leads if lead.slack_user_id == slack_user_id]
    if any(lead.role == OFFICER for lead in roles):
        return Permission(True)
    if any(lead.role == LEAD and lead.lead_organisation == row.lead_org for lead in roles):
        return Permission(True)
    can = [lead.name for lead in appendix.leads if lead.role == LEAD and lead.lead_organisation == row.lead_org]
    officers = [lead.name for lead in appendix.leads if lead.role == OFFICER]
    who = ", ".join(can) or f"the leads of {row.lead_org}"
    return Permission(False, f"Only the leads of {row.lead_org} ({who}) or an officer "
                             f"({', '.join(officers) or 'the public health team'}) can update {ref}. "
                             "Ask one of them, or ask an officer to add you to the Leads sheet.")
