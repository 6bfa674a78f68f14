"""The benchmark runs: `benchmarks/update_latency.py --quick` as `make bench-quick` would, and its figures are
held to loose bounds, so a change that breaks it, or makes an update or a status answer ten times slower,
fails here. Lines are found by their label, so lines added to the benchmark do not break this test.

Measured on the 2-core development machine (idle / while other test suites ran, load 8): update p50
12 ms / 24-31 ms, naive load+edit+save 400-450 ms / 770-1000 ms (ratio 27-35x / 15-34x); status p50 14 ms /
16-18 ms, naive read-only load 17-19 ms / 31-39 ms (ratio 1.2-1.4x / 0.7-7.9x); first update 113 ms / 200-263 ms;
peak memory 44-47 MB. The bounds leave several times that for a loaded CI runner: timings count only in
ratios to the naive way (both slow down together) and in absolute ceilings far above the measured values.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ROWS = "2,000"
TIMING = re.compile(r"^[ \t]*(?P<label>\S.*?)\s+p50\s+(?P<p50>[\d.]+) ms\s+p95\s+(?P<p95>[\d.]+) ms"
                    r"\s+\(n=(?P<n>\d+)\)[ \t]*$", re.MULTILINE)
RATIO = re.compile(r"ratio \(p50\): naive / ours = (?P<ratio>[\d.]+)x")

UPDATE = f"update, {ROWS} log rows"
NAIVE_UPDATE = f"naive openpyxl load+edit+save, {ROWS} log rows"
STATUS = f"status 7 via HTTP bot, {ROWS} log rows"
HELD, HELD_MANY = "record an update, 0 waiting (Excel has the file open)", \
    "record an update, 300 waiting (Excel has the file open)"
NAIVE_STATUS = f"naive openpyxl read_only load, {ROWS} log rows"

#: Ceilings in ms for the p50s (measured: 12 ms and 14 ms idle, about 30 ms and 18 ms under load).
UPDATE_P50_MS = 200
STATUS_P50_MS = 500
#: Least naive/ours ratio of the p50s. An update measured 15-35x faster than openpyxl's load+edit+save: a ten
#: times slower update (about 3x) fails. A status answer measured 0.7-7.9x the read-only load's speed (that
#: load is cheap at 2,000 rows, and a loaded machine slows our three threads more): ten times slower fails.
UPDATE_RATIO = 5
STATUS_RATIO = 0.4
#: Most the p50 of recording an update with 300 waiting may be of it with none (measured 1.0-1.3x on six
#: interleaved samples; it was 100x and more when every waiting row was rewritten).
WAITING_RATIO = 3


@pytest.fixture(scope="module")
def output() -> str:
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "update_latency.py"), "--quick"],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _figure(pattern: str, out: str) -> float:
    found = re.search(pattern, out)
    assert found, f"missing /{pattern}/ in:\n{out}"
    return float(found.group(1))


def test_every_timing_line_is_printed_and_sane(output: str) -> None:
    timings = {m["label"]: m for m in TIMING.finditer(output)}
    for label in (UPDATE, NAIVE_UPDATE, STATUS, NAIVE_STATUS):
        assert label in timings, f"no timing line for {label!r} in:\n{output}"
    for label, m in timings.items():
        assert 0 < float(m["p50"]) <= float(m["p95"]), (label, m.group(0))
        assert int(m["n"]) >= 1, label


def test_update_and_status_are_fast_and_faster_than_the_naive_way(output: str) -> None:
    p50 = {m["label"]: float(m["p50"]) for m in TIMING.finditer(output)}
    assert p50[UPDATE] < UPDATE_P50_MS, output
    assert p50[STATUS] < STATUS_P50_MS, output
    update_ratio, status_ratio = p50[NAIVE_UPDATE] / p50[UPDATE], p50[NAIVE_STATUS] / p50[STATUS]
    assert update_ratio > UPDATE_RATIO, output
    assert status_ratio > STATUS_RATIO, output
    # The ratios the benchmark prints agree with its own p50s (both are printed rounded).
    printed = [float(m["ratio"]) for m in RATIO.finditer(output)]
    for computed in (update_ratio, status_ratio):
        assert any(abs(value - computed) <= 0.5 + 0.02 * computed for value in printed), (computed, printed)


def test_one_off_filing_and_memory_stay_within_bounds(output: str) -> None:
    first = re.search(rf"first update, {ROWS} log rows on one sheet \(files earlier years once\): (\d+) ms; "
                      r"year sheets now: (\d+)", output)
    assert first, output
    assert int(first.group(1)) < 3000 and int(first.group(2)) == 10, first.group(0)
    empty = _figure(r"bot peak memory serving updates, empty log: (\d+) MB", output)
    filed = _figure(rf"bot peak memory serving updates, {ROWS} log rows filed by year: (\d+) MB \([+-]\d+ MB\)",
                    output)
    one_off = _figure(rf"bot peak memory, first update filing {ROWS} rows from one sheet: (\d+) MB", output)
    assert 0 < empty < 200 and 0 < filed < 200 and 0 < one_off < 250, (empty, filed, one_off)
    assert filed - empty < 50  # a log filed by year is not held in memory


def test_recording_with_300_waiting_costs_about_what_it_costs_with_none(output: str) -> None:
    p50 = {m["label"]: float(m["p50"]) for m in TIMING.finditer(output)}
    assert HELD in p50 and HELD_MANY in p50, output
    printed = _figure(r"ratio \(p50\): 300 waiting / 0 waiting = ([\d.]+)x", output)
    assert abs(printed - p50[HELD_MANY] / p50[HELD]) <= 0.02 + 0.02 * printed, (printed, p50)
    assert printed <= WAITING_RATIO, output
