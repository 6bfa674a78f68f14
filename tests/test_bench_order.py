"""`make bench` runs its jobs in a seeded, shuffled order each round, and the naive openpyxl save (which leaves
the processor's caches cold for whatever runs next) right before each other job in turn: no figure pays for
it in more rounds than another by the luck of the seeds."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "benchmarks")]

from update_latency import in_round_order  # noqa: E402

JOBS = ["update sli", "floor sli", "update openpyxl", "floor openpyxl", "update LibreOffice", "floor LibreOffice"]


def test_each_job_follows_the_naive_save_in_as_many_rounds_give_or_take_one() -> None:
    naive = "naive save"
    following: Counter[str] = Counter()
    for round_ in range(20):
        order = in_round_order([*JOBS, naive], round_, naive)
        assert sorted(order) == sorted([*JOBS, naive])
        following[order[order.index(naive) + 1]] += 1
    assert set(following) == set(JOBS)
    assert max(following.values()) - min(following.values()) <= 1
    for kind in ("sli", "openpyxl", "LibreOffice"):  # a workbook's update and its floor alike
        assert following[f"update {kind}"] == following[f"floor {kind}"]


def test_without_a_naive_save_the_order_is_a_seeded_shuffle() -> None:
    orders = [in_round_order(JOBS, round_) for round_ in range(6)]
    assert all(sorted(order) == sorted(JOBS) for order in orders)
    assert orders == [in_round_order(JOBS, round_) for round_ in range(6)]  # the same on every run
    assert len({tuple(order) for order in orders}) > 1
