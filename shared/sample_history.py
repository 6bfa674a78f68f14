"""The illustrative year behind the committed workbook: how its 22 recommendations got to where they stand, as
updates sent through the tracker from its first day (15/12/2025) to the last update the workbook shows
(18/11/2026), with the monthly summaries the bot posted from September.

`shared.usecases.add_sample_history` plays it on the trial copy `sli run` makes (and docs/make_pictures.py on its
own copy), through the real use cases at these pinned times, so `sli history`, the summary, `sli export trend`
and the annual report have a year to show. Like the workbook's texts, it is illustrative: the people are the
sample `Leads` sheet's, the dates made up. Every recommendation ends exactly as the committed workbook has it,
last updated on its `Last updated` day by its `Updated by`.
"""

from __future__ import annotations

from shared.domain import schema as s

#: The officer who recorded where each recommendation stood on the tracker's first day.
OFFICER = "Sana Iqbal"
#: When records begin (London time): the first update, each recommendation's starting position.
GO_LIVE = (2025, 12, 15, 10, 0)
#: The next step each recommendation had on that day (the last update of each sets the one it has now).
GO_LIVE_NEXT_STEPS = ("Agree the action plan and its lead officer, and report progress to the Pennine Lancashire "
                      "Infant Mortality Group.")
#: Where each stood on the first day (then typed in through the tracker by `OFFICER`).
START = {
    "L1": s.NOT_STARTED, "L2": s.NOT_STARTED, "L3": s.ON_TRACK, "L4": s.ON_TRACK, "L5": s.NOT_STARTED,
    "L6": s.NOT_STARTED, "L7": s.ON_TRACK, "L8": s.NOT_STARTED, "L9": s.NOT_STARTED, "L10": s.ON_TRACK,
    "L11": s.NOT_STARTED, "L12": s.NOT_STARTED, "L13": s.ON_TRACK, "L14": s.ON_TRACK, "L15": s.NOT_STARTED,
    "L16": s.AT_RISK, "L17": s.NOT_STARTED, "L18": s.AT_RISK, "L19": s.ON_TRACK, "L20": s.NOT_STARTED,
    "L21": s.NOT_STARTED, "L22": s.ON_TRACK,
}
#: (London time, ref, new status, by): the moves during the year, before each one's last update.
MOVES = [
    ((2026, 1, 14, 10, 2), "L1", s.ON_TRACK, "Anita Patel"),
    ((2026, 1, 20, 15, 40), "L6", s.ON_TRACK, "Rachel Hughes"),
    ((2026, 2, 17, 11, 30), "L2", s.ON_TRACK, "Maryam Khan"),
    ((2026, 2, 24, 14, 5), "L9", s.ON_TRACK, "Gareth Shaw"),
    ((2026, 3, 10, 9, 0), "L7", s.AT_RISK, "Joanne Whitworth"),
    ((2026, 3, 18, 16, 20), "L12", s.ON_TRACK, "Nadia Ahmed"),
    ((2026, 3, 25, 10, 45), "L16", s.ON_TRACK, "Karen Hartley"),
    ((2026, 4, 8, 13, 10), "L5", s.ON_TRACK, "Paul Robinson"),
    ((2026, 4, 21, 9, 50), "L20", s.ON_TRACK, "Tom Moss"),
    ((2026, 5, 6, 11, 0), "L10", s.AT_RISK, "Hannah Fielding"),
    ((2026, 5, 19, 15, 25), "L17", s.ON_TRACK, "Lisa Taylor"),
    ((2026, 6, 2, 10, 10), "L18", s.OFF_TRACK, "David Ashworth"),
    ((2026, 6, 15, 12, 0), "L7", s.OFF_TRACK, "Joanne Whitworth"),
    ((2026, 6, 23, 14, 35), "L11", s.ON_TRACK, "Farah Hussain"),
    ((2026, 7, 7, 9, 30), "L14", s.AT_RISK, "Anita Patel"),
    ((2026, 7, 21, 11, 15), "L22", s.COMPLETE, "Karen Hartley"),
    ((2026, 9, 8, 9, 40), "L2", s.AT_RISK, "Maryam Khan"),
    ((2026, 9, 15, 14, 10), "L1", s.AT_RISK, "Anita Patel"),
    ((2026, 10, 6, 10, 30), "L20", s.AT_RISK, "Tom Moss"),
]
#: Each recommendation's last update is at this London time on its `Last updated` day (plus its number in
#: minutes, so two on one day keep an order).
LAST_UPDATE_TIME = (10, 30)
#: How people sent their updates: NHS partners from Teams, the council's officers from the add-in, the rest Slack.
VIA = {"Anita Patel": s.VIA_TEAMS, "Rachel Hughes": s.VIA_TEAMS, "Samina Begum": s.VIA_TEAMS,
       "Claire Duckworth": s.VIA_TEAMS, "Nadia Ahmed": s.VIA_TEAMS, OFFICER: s.VIA_EXCEL}
#: The months whose summary the bot posted (and so froze) on the first working day after: from August on.
#: Earlier months are reconstructed from the history.
POSTED = [(2026, 8), (2026, 9), (2026, 10), (2026, 11)]


def via(person: str) -> str:
    """How `person` sent their updates in the illustration."""
    return VIA.get(person, s.VIA_SLACK)
