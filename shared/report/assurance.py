"""What the report says of assurance, and each board's own paper (`sli report --for BOARD`): the Complete claims
with their evidence, who assured them when, and since when the others wait; a board's paper carries only the
recommendations accountable to the roles that report to it (sheet Lists), its name in the title.

No file format here: `shared.report.docx` and `shared.report.xlsx` lay out what this adds to `ReportContent`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pandas as pd

from shared import trend as tr
from shared.domain import assurance as a
from shared.domain import schema as s
from shared.domain.assurance import ASSURED_LABEL, AWAITING_LABEL, assurance_counts, counts_sentence  # noqa: F401
from shared.domain.model import Appendix
from shared.domain.values import cell_text, plural
from shared.uow import Store

ASSURANCE_TABLE_COLUMNS = ("Ref", "Status", "Accountable", "Claimed by", "Claimed on", "Evidence", "Assured by",
                           "Assured on", "Waiting since")
def _day(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def assurance_rows(store: Store, appendix: Appendix, changes: pd.DataFrame,
                   refs: set[str] | None = None) -> list[tuple[object, ...]]:
    """The assurance table: each Complete claim (among `refs`), its accountable roles, who claimed it and
    when, its evidence, who assured it when, or since when it waits. Claims are found in the update history
    from the first one on (`changes`: its status changes), so the cost does not grow with older history."""
    asked = [row for ref, row in appendix.rows.items()
             if (refs is None or ref in refs) and a.assurance_state(appendix, row) is not None]
    if not asked:
        return []
    claimed = changes[(changes["new"] == s.COMPLETE) & changes["ref"].isin([row.ref for row in asked])]
    log = tr.logged_changes(store, claimed["at"].min()) if len(claimed) else []
    out: list[tuple[object, ...]] = []
    for row in asked:
        claim = a.find_claim(row, [], [r for r in log if r.ref == row.ref])
        assured = a.assurance_state(appendix, row) == a.ASSURED
        on = row[s.ASSURED_ON]
        out.append((row.ref, a.shown_status(appendix, row), "; ".join(a.roles_of(row)), claim.by or "not known",
                    _day(claim.at) or "not known", claim.evidence, cell_text(row[s.ASSURED_BY]) if assured else "",
                    on if assured and isinstance(on, date) else "", "" if assured else (_day(claim.at) or "not known")))
    return out


def board_refs(appendix: Appendix, board: str) -> tuple[str, set[str]]:
    """The board's name as sheet Lists spells it, and the refs its paper carries; `BoardError` (a sentence
    naming the boards there are) for a name not on Lists."""
    found = a.find_board(appendix, board)
    return found.name, {ref for ref, row in appendix.rows.items() if a.board_sees(found, row)}


def for_board(content, board: str, refs: set[str], total: int):
    """The report narrowed to one board's recommendations (`report_content` has already limited what moved
    and was completed to them): its name in the title, the tables of recommendations (Appendix 1, movement,
    time at risk, assurance) theirs, and a sentence saying which. The counts by status, the chart and the
    table by lead were counted over its recommendations only (`report_content`): a board reading the whole
    partnership's figures beside its own tables would take them for its own."""
    keep = sorted(refs, key=lambda ref: int(ref[1:]))
    sentence = (f"This paper for the {board} covers {plural(len(keep), 'recommendation')} of the {total}: "
                + (", ".join(keep) or "none") + ".")
    note = (f"Every figure, table and chart in this paper is of the {board}'s {plural(len(keep), 'recommendation')} "
            f"only, not of all {total}.")
    return replace(
        content,
        title=f"{content.title}: paper for the {board}",
        board=board,
        rows=[r for r in content.rows if r[0] in refs],
        moves=[r for r in content.moves if r[0] in refs],
        at_risk=[r for r in content.at_risk if r[0] in refs],
        completed=[c for c in content.completed if c[0] in refs],
        assurance=[r for r in content.assurance if r[0] in refs],
        sentences=[sentence, *content.sentences],
        notes=[*content.notes, note],
    )
