"""Questions people ask of Appendix 1 (one recommendation, a status, a lead, a keyword).

Answered here once for every front end."""

from __future__ import annotations

import re

from shared.domain import schema as s
from shared.domain.access import is_person
from shared.domain.model import Appendix, Recommendation
from shared.domain.values import canonical_status, straighten_quotes, suggest_status


class QueryError(ValueError):
    """The question cannot be answered as asked; the message says what to type instead."""


def resolve_status(text: str) -> str:
    """A status filter as typed (`at risk`, `amber`) to the vocabulary, or a QueryError that suggests one."""
    status = canonical_status(text) or suggest_status(text)
    if status is None:
        raise QueryError(f"'{text}' is not a status: use one of {', '.join(s.STATUSES)}.")
    return status


def matches_lead(organisation: str, wanted: str) -> bool:
    """`ELHT`, `elht`, `east lancashire hospitals` all match 'East Lancashire Hospitals NHS Trust (ELHT)'."""
    organisation, wanted = organisation.casefold(), " ".join(straighten_quotes(wanted).split()).casefold()
    if not wanted:
        return False
    if wanted in organisation:
        return True
    words = re.findall(r"[a-z0-9']+", organisation)
    initials = "".join(w[0] for w in words if w not in ("of", "and", "with"))
    return wanted.replace(" ", "") in (initials, "".join(w[0] for w in words))


def filter_rows(appendix: Appendix, status: str | None = None, lead: str | None = None) -> list[Recommendation]:
    """Rows by status and/or lead organisation, in ref order."""
    wanted_status = resolve_status(status) if status else None
    rows = [row for row in sorted(appendix.rows.values(), key=lambda r: int(r.ref[1:]))
            if (wanted_status is None or row.status == wanted_status)
            and (not lead or matches_lead(row.lead_org, lead))]
    if lead and not any(matches_lead(org, lead) for org in {r.lead_org for r in appendix.rows.values()}):
        raise QueryError(f"No lead organisation matches '{lead}'. Leads are: "
                         f"{', '.join(sorted({r.lead_org for r in appendix.rows.values()}))}.")
    return rows


def search(appendix: Appendix, words: str) -> list[Recommendation]:
    """Rows whose recommendation text or framework priority holds every word typed (`safer sleeping`)."""
    terms = [t for t in re.findall(r"[a-z0-9]+", straighten_quotes(words).casefold()) if len(t) > 1]
    if not terms:
        return []

    def stem(word: str) -> str:
        return re.sub(r"(ing|ed|es|s)$", "", word) if len(word) > 4 else word

    found = []
    for row in sorted(appendix.rows.values(), key=lambda r: int(r.ref[1:])):
        text = f"{row[s.RECOMMENDATION] or ''} {row[s.PRIORITY] or ''}".casefold()
        tokens = {stem(t) for t in re.findall(r"[a-z0-9]+", text)}
        if all(stem(term) in tokens or term in text for term in terms):
            found.append(row)
    return found


def rows_for_person(appendix: Appendix, identity: str) -> list[Recommendation]:
    """The recommendations whose lead organisation the person (Slack user ID or `entra:<id>`) leads."""
    orgs = {lead.lead_organisation for lead in appendix.leads if is_person(lead, identity)}
    return [row for row in sorted(appendix.rows.values(), key=lambda r: int(r.ref[1:])) if row.lead_org in orgs]
