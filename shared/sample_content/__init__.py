"""Illustrative sample content for the infant mortality SLI recommendations tracker.

The 22 recommendation texts, status summaries, next steps, owners and Slack
IDs below are ILLUSTRATIVE ONLY. They were written from the published scope of
the 2016-17 North West Sector Led Improvement review on infant mortality
(smoking in pregnancy, safer sleeping and co-sleeping, infant feeding, maternal
healthy weight, family genetics and consanguinity, maternal mental health,
social needs assessment, safeguarding, drug and alcohol misuse, CDOP data and
intelligence, and awareness raising for wider partners). They are not the
review's actual wording, and all names and IDs are made up. The progress
position is a mid-year one, as at November 2026.

The content lives in rooms: lists.py (the Lists sheet and who is accountable for what), recommendations.py
(Appendix 1's 22 rows) and leads.py (the Leads sheet).
"""

from shared.sample_content.leads import LEADS
from shared.sample_content.lists import (
    ACCOUNTABLE_ROLES,
    ASSURANCE_NOTE,
    BOARDS,
    DPH,
    FRAMEWORK_PRIORITIES,
    ILLUSTRATIVE_NOTE,
    LEAD_ORGANISATIONS,
    LSCB_CHAIR,
    STATUSES,
)
from shared.sample_content.recommendations import RECOMMENDATIONS

__all__ = ["ACCOUNTABLE_ROLES", "ASSURANCE_NOTE", "BOARDS", "DPH", "FRAMEWORK_PRIORITIES", "ILLUSTRATIVE_NOTE",
           "LEADS", "LEAD_ORGANISATIONS", "LSCB_CHAIR", "RECOMMENDATIONS", "STATUSES"]
