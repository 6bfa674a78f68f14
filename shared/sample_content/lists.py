"""The illustrative workbook's lists: statuses, lead organisations, framework priorities, accountable roles,
boards, and which recommendation is accountable to whom, with its evidence and assurance."""

from datetime import date

ILLUSTRATIVE_NOTE = (
    "Illustrative content: these recommendations and progress updates were written "
    "from the review's published scope and are not the review's actual wording; "
    "all names are fictitious."
)

STATUSES = ["Not started", "On track", "At risk", "Off track", "Complete"]

LEAD_ORGANISATIONS = [
    "BwD Council Public Health",
    "BwD Council Children's Services",
    "Blackburn with Darwen CCG",
    "East Lancashire CCG",
    "East Lancashire Hospitals NHS Trust (ELHT)",
    "Lancashire Care NHS Foundation Trust (LCFT)",
    "Blackburn with Darwen LSCB",
    "Pan-Lancashire CDOP",
]

FRAMEWORK_PRIORITIES = [
    "Smoking in Pregnancy",
    "Infant Feeding",
    "Safer Sleeping",
    "Social Needs Assessment",
    "Maternal Healthy Weight",
    "Family Genetics",
    "Maternal Mental Health",
    "Awareness raising for wider partners",
    "Safeguarding",
    "Drug and Alcohol Misuse",
    "Data and Intelligence",
]

#: The accountable roles (sheet Lists): the paper's "via the Director of Public Health and/or the Chair of the
#: Local Safeguarding Children's Board (LSCB), as appropriate".
ACCOUNTABLE_ROLES = ["Director of Public Health", "LSCB Chair"]
DPH, LSCB_CHAIR = ACCOUNTABLE_ROLES
#: The boards that receive their own paper (`sli report --for BOARD`) and which roles report to each: the
#: Health and Wellbeing Board sees everything; the LSCB what its chair is accountable for; the Child Death
#: Overview Panel the recommendations on modifiable factors of child deaths (by framework priority).
BOARDS = [
    {"board": "HWBB", "reported_to_by": "All", "only_priorities": ""},
    {"board": "LSCB", "reported_to_by": LSCB_CHAIR, "only_priorities": ""},
    {"board": "CDOP", "reported_to_by": "All",
     "only_priorities": "Smoking in Pregnancy; Safer Sleeping; Maternal Healthy Weight; Drug and Alcohol Misuse"},
]
ASSURANCE_NOTE = (
    "Assurance: a Complete claim carries its evidence and counts as done once a holder of the recommendation's "
    "Accountable role (sheet Leads, Accountable for) assures it. Boards: HWBB is the Health and Wellbeing Board, "
    "LSCB the Local Safeguarding Children Board and CDOP the Child Death Overview Panel. LSCBs were replaced by "
    "local safeguarding partnerships in 2019 (Children and Social Work Act 2017): rename the LSCB Chair role and "
    "board to the partnership's if you wish; the drop-downs follow."
)
#: Which role each recommendation is accountable to in the illustration (the rest: the DPH).
_ACCOUNTABLE = {"L4": f"{DPH}; {LSCB_CHAIR}", "L5": LSCB_CHAIR, "L16": LSCB_CHAIR, "L17": LSCB_CHAIR,
                "L19": LSCB_CHAIR, "L22": LSCB_CHAIR}
#: The Complete claims' evidence, and who assured which (L3 and L22 still await assurance).
_EVIDENCE = {
    "L3": "Record keeping audit, September 2026: safer sleep template completed at 97% of 200 contacts.",
    "L4": "Guidance signed off by all partners; published in the LSCB procedures manual, section 4.7.",
    "L13": "Health visiting performance report Q2 2026/27: Whooley questions asked at 95% of contacts.",
    "L16": "ICON launch report to the LSCB, September 2026: 612 practitioners briefed.",
    "L22": "LSCB training platform report: e-learning module live since October 2026, 230 completions.",
}
_ASSURED = {"L4": ("Rebecca Lord", date(2026, 10, 5)), "L13": ("Rebecca Lord", date(2026, 10, 20)),
            "L16": ("Margaret Pearson", date(2026, 10, 8))}
