"""The benchmark runs: `benchmarks/update_latency.py --quick` as `make bench-quick` would (one 2,000-row size,
4 rounds), and every line `make bench` prints is there with numbers that hang together: each figure beside its
floor with the right multiple, each of issue 18's targets with its ratio, its limit and PASS or FAIL, and the
JSON the README's tables are made from. The targets themselves are not asserted here (that is `make bench` on
the 2-core machine, and `--quick` is too small to hold them); what is held is that nothing is missing, nothing
is nonsense, and a change that makes an update or an answer ten times slower fails.

Measured (quick, 2-core machine, quiet): update 13-16 ms (13-20x the floor of about 1 ms), naive 350 ms, status
13 ms, bare Starlette 0.9 ms, bot peak 124-128 MB, 8 writers p50 158 ms; about 15 s with the fixtures cached.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import office
import pytest

ROOT = Path(__file__).resolve().parents[1]
ROWS = "2,000"
ROUNDS = 4
KINDS = ("sli-written", "openpyxl-saved", "LibreOffice-saved")
COMPARED = ("sli-written", "LibreOffice-saved")
FIGURE = re.compile(r"^(?P<label>\S.*?)\s+p50\s+(?P<p50>[\d.]+) ms\s+p95\s+(?P<p95>[\d.]+) ms\s+\(n=(?P<n>\d+)\)"
                    r"\s+floor\s+(?P<floor>[\d.]+) ms\s+(?P<ratio>[\d.]+)x floor$", re.MULTILINE)
MEMORY = re.compile(r"^(?P<label>bot peak \(VmHWM\) .*?)\s+(?P<mb>\d+) MB$", re.MULTILINE)
TARGET = re.compile(r"^TARGET (?P<name>.*?)\s+(?P<value>[\d.]+)(?:x| MB)\s+<= (?P<limit>[\d.]+)(?:x| MB)\s+"
                    r"(?P<verdict>PASS|FAIL)$", re.MULTILINE)

#: Every timed figure, by label, with the least number of samples it must have.
FIGURES = {
    **{f"first update (files earlier years once), {ROWS} rows, {k}": 1 for k in KINDS},
    **{f"floor, {ROWS} rows, {k}": ROUNDS for k in KINDS},
    **{f"update, {ROWS} rows, {k}": ROUNDS for k in KINDS},
    f"naive openpyxl load+edit+save+fsync, {ROWS} rows, LibreOffice-saved": ROUNDS,
    **{f"status cold (after a write), {ROWS} rows, {k}": ROUNDS for k in COMPARED},
    **{f"status warm, {ROWS} rows, {k}": ROUNDS for k in COMPARED},
    **{f"bare Starlette endpoint, beside {ROWS} rows, {k}": ROUNDS for k in COMPARED},
    **{f"8 concurrent sli update writers, {ROWS} rows, {k}": 24 for k in COMPARED},
    "record an update, 0 waiting (Excel has the file open)": 6,
    "record an update, 300 waiting (Excel has the file open)": 6,
}
MEMORIES = [f"bot peak (VmHWM) after 5 updates through it, {ROWS} rows, {k}" for k in COMPARED] + \
    [f"bot peak (VmHWM) filing {ROWS} rows from one sheet, {k}" for k in KINDS]
#: Issue 18's targets: name -> limit (x, or MB for memory).
TARGETS = {
    **{f"update / floor (target for an empty log), {ROWS} rows, {k}": 5 for k in COMPARED},
    **{f"update / floor (target for a long log), {ROWS} rows, {k}": 1.3 for k in COMPARED},  # quick: one size
    **{f"bot peak after 5 updates, {ROWS} rows, {k}": 70 for k in COMPARED},
    **{f"bot peak filing {ROWS} rows from one sheet, {k}": 150 for k in KINDS},
    f"update LibreOffice-saved / sli-written, {ROWS} rows": 1.3,
    f"status cold after an update LibreOffice-saved / sli-written, {ROWS} rows": 1.3,
    f"status warm via HTTP bot / bare Starlette, {ROWS} rows, LibreOffice-saved": 6,
    **{f"8 concurrent writers p95 / p50, {ROWS} rows, {k}": 4 for k in COMPARED},
}
#: Ceilings (ms) an update and a status answer stay under even on a loaded runner (measured 13-16 ms idle).
UPDATE_P50_MS, STATUS_P50_MS = 300, 500


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict]:
    office.tool("soffice")  # the LibreOffice-saved workbook needs it: skip, or fail under SLI_REQUIRE_LIBREOFFICE=1
    results = tmp_path_factory.mktemp("bench") / "results.json"
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "update_latency.py"), "--quick",
                           "--json", str(results)], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout, json.loads(results.read_text())


def _figures(out: str) -> dict[str, re.Match]:
    return {m["label"]: m for m in FIGURE.finditer(out)}


def test_every_figure_is_printed_beside_its_floor(run: tuple[str, dict]) -> None:
    out, _ = run
    figures = _figures(out)
    for label, least in FIGURES.items():
        assert label in figures, f"no line for {label!r} in:\n{out}"
        m = figures[label]
        p50, p95, floor, ratio = (float(m[k]) for k in ("p50", "p95", "floor", "ratio"))
        assert 0 < p50 <= p95 and int(m["n"]) >= least, m.group(0)
        assert 0 < floor < 1000, m.group(0)
        assert abs(ratio - p50 / floor) <= 0.06 + 0.06 * ratio, m.group(0)  # p50 and floor are printed rounded
    for kind in KINDS:  # a floor is its own unit, and an update costs more than copying the file
        assert float(figures[f"floor, {ROWS} rows, {kind}"]["ratio"]) == 1.0
        assert float(figures[f"update, {ROWS} rows, {kind}"]["ratio"]) > 1.0


def test_the_figures_are_sane(run: tuple[str, dict]) -> None:
    out, _ = run
    p50 = {label: float(m["p50"]) for label, m in _figures(out).items()}
    for kind in KINDS:
        assert p50[f"update, {ROWS} rows, {kind}"] < UPDATE_P50_MS, out
    naive = p50[f"naive openpyxl load+edit+save+fsync, {ROWS} rows, LibreOffice-saved"]
    assert naive > 3 * p50[f"update, {ROWS} rows, LibreOffice-saved"], out  # measured 21x
    for kind in COMPARED:
        warm = p50[f"status warm, {ROWS} rows, {kind}"]
        bare = p50[f"bare Starlette endpoint, beside {ROWS} rows, {kind}"]
        assert p50[f"status cold (after a write), {ROWS} rows, {kind}"] < STATUS_P50_MS and warm < STATUS_P50_MS
        assert bare < warm, out  # the bot does more than an empty endpoint on the same server
    held = p50["record an update, 300 waiting (Excel has the file open)"] / \
        p50["record an update, 0 waiting (Excel has the file open)"]
    assert held < 3, out  # measured 1.0-1.3x; it was 100x when every waiting row was rewritten
    assert "writers' exit codes" not in out, out  # every concurrent `sli update` was applied
    memory = {m["label"]: float(m["mb"]) for m in MEMORY.finditer(out)}
    for label in MEMORIES:
        assert label in memory, f"no line for {label!r} in:\n{out}"
        assert 20 < memory[label] < 2000, (label, memory[label])


def test_every_target_is_printed_with_its_ratio_limit_and_verdict(run: tuple[str, dict]) -> None:
    out, _ = run
    printed = {m["name"]: m for m in TARGET.finditer(out)}
    for name, limit in TARGETS.items():
        assert name in printed, f"no target {name!r} in:\n{out}"
        m = printed[name]
        assert float(m["limit"]) == limit, m.group(0)
        assert m["verdict"] == ("PASS" if float(m["value"]) <= limit else "FAIL"), m.group(0)
    figures = _figures(out)
    for kind in COMPARED:  # a target's ratio is the one its figures give
        for case in ("an empty log", "a long log"):
            assert float(printed[f"update / floor (target for {case}), {ROWS} rows, {kind}"]["value"]) == \
                float(figures[f"update, {ROWS} rows, {kind}"]["ratio"])
    warm = float(figures[f"status warm, {ROWS} rows, LibreOffice-saved"]["p50"])
    bare = float(figures[f"bare Starlette endpoint, beside {ROWS} rows, LibreOffice-saved"]["p50"])
    value = float(printed[f"status warm via HTTP bot / bare Starlette, {ROWS} rows, LibreOffice-saved"]["value"])
    assert abs(value - warm / bare) <= 0.1 * value + 0.2, (value, warm, bare)
    passed = sum(m["verdict"] == "PASS" for m in printed.values())
    assert f"targets: {passed} of {len(printed)} PASS, {len(printed) - passed} FAIL" in out


def test_the_json_holds_what_was_printed(run: tuple[str, dict]) -> None:
    out, data = run
    assert data["mode"] == "quick"
    for label, m in _figures(out).items():
        kept = data["figures"][label]
        assert len(kept["ms"]) == kept["n"] == int(m["n"])
        assert abs(kept["p50_ms"] - float(m["p50"])) <= 0.05 and abs(kept["floor_p50_ms"] - float(m["floor"])) <= 0.005
    assert {t["name"] for t in data["targets"]} == {m["name"] for m in TARGET.finditer(out)}
    assert all(t["pass"] == (t["value"] <= t["limit"]) for t in data["targets"])


def test_the_libreoffice_fixture_shares_every_string_and_is_cached(run: tuple[str, dict],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The realistic workbook is what a spreadsheet program saves: no inline strings, a shared-strings table;
    and a second ask finds it in the cache instead of starting LibreOffice again."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    from latency.fixtures import fixture

    first = fixture("libreoffice", 2000)
    made = first.stat().st_mtime_ns
    with zipfile.ZipFile(first) as package:
        sheets = [name for name in package.namelist() if name.startswith("xl/worksheets/sheet")]
        assert "xl/sharedStrings.xml" in package.namelist()
        assert not any(b't="inlineStr"' in package.read(name) for name in sheets)
    assert fixture("libreoffice", 2000) == first and first.stat().st_mtime_ns == made
    assert subprocess.run(["git", "-C", str(ROOT), "check-ignore", "-q", str(first)]).returncode == 0
