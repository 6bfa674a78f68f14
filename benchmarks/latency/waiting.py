"""Recording an update while Excel has the workbook open (its owner file beside it), with none and with
`WAITING` updates already held: the pass checks the owner file once, so the two should cost about the same."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from latency.fixtures import copy_to
from shared.domain import schema as s
from shared.owner import write_owner_file

#: Updates already waiting for Excel to let go of the workbook.
WAITING = 300


def held_update(workbook: Path, n: int) -> str:
    """One update recorded while Excel has the workbook open: journalled and held, not written."""
    from shared.usecases import Store, submit_update

    result = submit_update(Store.for_workbook(workbook), f"L{1 + n % 22}", {s.NEXT_STEPS: f"Held step {n}"},
                           by="Bench Mark", via=s.VIA_CLI)
    assert result.state == "pending", result.message
    return result.update_id


def open_in_excel_with_waiting(folder: Path, waiting: int) -> Path:
    """A workbook Excel has open (owner file), with `waiting` updates journalled and already held once."""
    from shared.usecases import Store, UpdateRequest, record_request

    workbook = copy_to("sli", 0, folder / f"waiting{waiting}")
    write_owner_file(workbook, "Helen Lowey")
    store = Store.for_workbook(workbook)
    for n in range(waiting):  # journalled as the bot does before its ack, without a pass each
        request = UpdateRequest(f"L{1 + n % 22}", {s.NEXT_STEPS: f"Waiting step {n}"}, s.VIA_CLI, by="Bench Mark")
        assert record_request(store, request).state == "pending"
    forget(workbook, held_update(workbook, 0))  # the first pass after Excel opened the file holds them all
    return workbook


def forget(workbook: Path, update_id: str) -> None:
    """Take a timed update out of the journal again, so every sample sees the same number waiting."""
    from shared.usecases import Store

    db = sqlite3.connect(Store.for_workbook(workbook).journal_path)
    with db:
        db.execute("DELETE FROM updates WHERE id=?", (update_id,))
    db.close()


def waiting_cost(folder: Path, runs: int) -> tuple[list[float], list[float]]:
    """Recording an update with 0 and with WAITING updates waiting for Excel, interleaved (ms each)."""
    none, many = open_in_excel_with_waiting(folder, 0), open_in_excel_with_waiting(folder, WAITING)
    samples: dict[Path, list[float]] = {none: [], many: []}
    for n in range(runs):
        for workbook in (none, many) if n % 2 else (many, none):
            start = time.perf_counter()
            update_id = held_update(workbook, n + 1)
            samples[workbook].append((time.perf_counter() - start) * 1000)
            forget(workbook, update_id)
    return samples[none], samples[many]
