"""Heavy work in a worker process (shared/worker.py) gives what the same work gives in the process, and fails
as it does: the month's figures and charts, the bank holidays, and a workbook that cannot be read."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from shared import months, worker
from shared.usecases import Store, WorkbookError
from shared.usecases import reporting as rp

NOW = datetime(2026, 12, 2, 10, tzinfo=UTC)


def test_the_worker_makes_what_this_process_makes(workbook: Path) -> None:
    store = Store.for_workbook(workbook)
    there = worker.call("month_summary", store, 2026, 11, NOW, False)
    here = rp._summary_here(store, 2026, 11, NOW, False)
    assert there.figures == here.figures and there.figures.month == "2026-11"
    assert there.chart[:4] == there.trend[:4] == b"\x89PNG"
    assert worker.call("bank_holidays", (2026,)) == months.england_bank_holidays((2026,))


def test_a_failing_task_fails_here_as_it_would_there(tmp_path: Path) -> None:
    store = Store.for_workbook(tmp_path / "missing.xlsx")
    with pytest.raises(WorkbookError) as here:
        rp._figures_here(store, 2026, 11, NOW, False)
    with pytest.raises(WorkbookError) as there:
        worker.call("month_figures", store, 2026, 11, NOW, False)
    assert str(there.value) == str(here.value)
    with pytest.raises(ValueError, match="not a worker task"):
        worker.call("anything")
