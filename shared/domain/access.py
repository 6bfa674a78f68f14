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


#: How a person known by their Microsoft Entra object ID is named to the core (sender, journal `reply_to`):
#: `entra:<object id>`. Slack user IDs (`U…`, `W…`) never carry a prefix, so the two cannot be confused.
ENTRA_PREFIX = "entra:"


def entra_identity(object_id: str) -> str:
    """The chat-neutral identity of a person signed in with Microsoft Entra (Teams' `from.aadObjectId`)."""
    return ENTRA_PREFIX + object_id.strip().lower()


def entra_object_id(identity: str) -> str | None:
    """The Entra object ID inside an identity made by `entra_identity`, else None (a Slack user ID)."""
    if identity.startswith(ENTRA_PREFIX):
        return identity[len(ENTRA_PREFIX):] or None
    return None


def is_person(lead: Lead, identity: str) -> bool:
    """Whether a Leads row is this person: by Slack user ID, or by Entra object ID (`entra:<id>`)."""
    if not identity:
        return False
    object_id = entra_object_id(identity)
    if object_id is not None:
        return bool(lead.entra_object_id) and lead.entra_object_id == object_id.lower()
    return lead.slack_user_id == identity


def person(appendix: Appendix, identity: str) -> Lead | None:
    """The first row of `Leads` for this person (a person may lead for several organisations)."""
    return next((lead for lead in appendix.leads if is_person(lead, identity)), None)


def display_name(appendix: Appendix, identity: str) -> str:
    """The name `Leads` gives a person; their ID when the sheet does not list them."""
    found = person(appendix, identity)
    return found.name if found and found.name else identity


def may_update(appendix: Appendix, identity: str, ref: str) -> Permission:
    """Whether this person (a Slack user ID, or `entra:<object id>` from Teams) may update recommendation
    `ref`, and if not, who can. One decision for every chat front end."""
    row = appendix.rows[ref]
    roles = [lead for lead in appendix.leads if is_person(lead, identity)]
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
