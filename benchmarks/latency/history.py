"""A Change log history that looks like officers wrote it: sentence-length entries, not `Old text 1`.

Sentence length matters: earlier figures showed a 100,000-row log of short synthetic text at 5.7 MB and the
same rows with sentence-length text at 9.2 MB, and the shared-strings table an Excel-saved file carries grows
with the text. The rows are made from a fixed seed, so every run (and the fixture cache's hash) sees the same."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from shared.domain import schema as s

SEED = 18
YEARS = 10

_WHO = ("Sana Iqbal", "Joanne Whitworth", "Anita Patel", "Helen Lowey", "Mark Davies", "Priya Shah",
        "Tom Hargreaves", "Claire Ashworth")
_VIA = (s.VIA_SLACK, s.VIA_CLI, s.VIA_EXCEL, s.VIA_TEAMS)
_WHAT = ("Safer sleep audit", "Smoking in pregnancy pathway", "Peer supporter recruitment", "Infant feeding plan",
         "Bereavement support review", "Midwife training on reduced fetal movements", "Home visit checklist",
         "Translation of the safe sleep leaflet", "Data sharing agreement with ELHT", "Family hub outreach")
_DONE = ("agreed with ELHT", "signed off by the partnership board", "delayed by staff sickness",
         "rolled out to all community midwives", "piloted in Blackburn South", "reviewed with the CDOP panel",
         "discussed at the maternity voices meeting", "paused until the new contract starts")
_NEXT = ("first figures due at the April board", "training dates set for 14 and 21 January",
         "report to the health and wellbeing board in March", "funding bid goes to the ICB next month",
         "leads to confirm owners by Friday", "survey of families closes on 30 June",
         "audit repeated in the autumn to check the change held", "needs sign-off from both trusts first")


def sentence(rng: random.Random) -> str:
    """One officer's entry, 60-220 characters: what, how it went, what happens next."""
    text = f"{rng.choice(_WHAT)} {rng.choice(_DONE)}; {rng.choice(_NEXT)}."
    if rng.random() < 0.5:
        text += f" {rng.choice(_WHAT)} {rng.choice(_DONE)}, {rng.choice(_NEXT)}."
    return text


def log_rows(count: int, now: datetime) -> Iterator[tuple[object, ...]]:
    """`count` Change log rows (the LogRow header's order), dated evenly over the ten years up to `now`:
    mostly Summary and Next steps sentences, some Status changes and due dates, as officers' updates are."""
    rng = random.Random(SEED)
    start = now - timedelta(days=365.25 * YEARS - 1)
    step = (now - start) / max(count, 1)
    for n in range(count):
        field = rng.choices((s.SUMMARY, s.NEXT_STEPS, s.STATUS, s.DUE), weights=(4, 4, 2, 1))[0]
        if field == s.STATUS:
            old, new = rng.sample(s.STATUSES, 2)
        elif field == s.DUE:
            old, new = (f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/20{rng.randint(20, 30)}" for _ in "ab")
        else:
            old, new = sentence(rng), sentence(rng)
        yield (start + step * n, f"L{1 + n % 22}", field, old, new, rng.choice(_WHO), rng.choice(_VIA),
               f"{rng.getrandbits(128):032x}")
