"""The honest benchmark: what an update, a status answer, the bot's memory and a queue of writers
cost, each beside the floor, on workbooks as officers really leave them. Prints one line a figure and one line a
target with PASS or FAIL, and writes the same as JSON to out/bench/results.json (git-ignored).

Run: `make bench` (several minutes; LibreOffice makes the big workbooks once, then they are cached in
out/bench/fixtures/), or `.venv/bin/python benchmarks/update_latency.py [--quick] [--rounds N] [--json PATH]`.

Method:
- Workbooks (benchmarks/latency/fixtures.py): the committed workbook with 0, 10,000 and 100,000 Change log rows
  of sentence-length text dated over ten years on one sheet, written as sli writes rows, saved by openpyxl, and
  that file saved again by LibreOffice as an officer's Excel would (every string shared): the realistic case.
  The first update of each files the earlier years on their own sheets: timed once, on its own line.
- The floor: copying the workbook + fsync + rename + folder fsync, measured in the same rounds as the figures
  it sits beside. Every figure is printed with its floor and as a multiple of it.
- Updates: `submit_update` (validate, journal, lock, patch, change log, fsync, replace) on each workbook,
  until it returns; the removal of old backups it leaves to a thread of its own after the answer is waited for
  untimed before the next job, so it never runs under another figure's clock (the floor's);
  interleaved round by round, in a shuffled order (seeded) each round, with the floor and with the naive way
  (openpyxl load + edit + append + save through the same fsync and replace, on its own copy of the
  LibreOffice-saved file), at least 10 samples each.
- Status: a signed `/sli status 7` to the real `sli bot --http` process, until the answer reached the Slack
  stand-in; cold = right after an update written by another process (as `sli update` writes), warm = again
  straight after; beside a bare Starlette endpoint on the same uvicorn settings, interleaved.
- Memory: VmHWM of that bot process after updates sent through it; and of a bot whose first update files a
  one-sheet history.
- Writers: 8 processes running `sli update` back to back at once, on the largest workbook as sli wrote it
  and as LibreOffice saved it.
- Waiting: recording an update while Excel has the file open, with 0 and 300 already waiting.

`--quick` (one 2,000-row size, few samples; tests/test_bench_quick.py runs it in `make test`) prints the same
lines; its targets are printed but are not the point. Timings move with whatever else shares the cores.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks"), str(ROOT / "tests")]

from latency.fixtures import KINDS, FixtureError, copy_to, fixture  # noqa: E402
from latency.naive import naive_update  # noqa: E402
from latency.processes import Bare, Bot, serve_bare  # noqa: E402
from latency.report import Report  # noqa: E402
from latency.timing import Samples, floor  # noqa: E402
from latency.waiting import WAITING, waiting_cost  # noqa: E402
from latency.writers import WRITERS, concurrent_writers, writer_child  # noqa: E402

from shared.domain import schema as s  # noqa: E402
from shared.xlsx.save import wait_for_pruning  # noqa: E402

#: The workbooks the status and memory figures compare: as sli wrote it, and as LibreOffice re-saved it.
COMPARED = ("sli", "libreoffice")
NAMES = {"sli": "sli-written", "openpyxl": "openpyxl-saved", "libreoffice": "LibreOffice-saved"}


def update_once(workbook: Path, n: int) -> None:
    """One update end to end through the use case every front end calls (`sli update` does the same)."""
    from shared.usecases import Store, submit_update

    result = submit_update(Store.for_workbook(workbook), f"L{1 + n % 22}", {s.NEXT_STEPS: f"Benchmark step {n}"},
                           by="Bench Mark", via=s.VIA_CLI)
    if result.state != "applied":
        raise RuntimeError(f"an update was not applied: {result.message}")


def in_round_order(items: list, round_: int, cold_maker: object = None) -> list:
    """`items` in an order of their own for round `round_` (seeded: the same on every run). A rotation kept
    the jobs' cyclic order, so one job always ran straight after the naive openpyxl save, whose 40 ms of
    allocation leave the processor's caches cold: that job (the sli-written update) paid about 0.8 ms more
    in most of its rounds and the others in none. Shuffled, each job follows each other one about as often;
    but with 20 rounds the seeds still put the LibreOffice-saved update straight after the naive save in 4
    rounds and the other two updates in 1 each, about 0.4 ms more in those rounds. So `cold_maker` (the naive
    save's job), when given, is placed right before each other job in turn, in the order `items` has them:
    each follows it in 3 or 4 of 20 rounds."""
    order = list(items)
    random.Random(round_).shuffle(order)
    if cold_maker is not None:
        order.remove(cold_maker)
        others = [item for item in items if item is not cold_maker]
        order.insert(order.index(others[round_ % len(others)]), cold_maker)
    return order


def updates(report: Report, folder: Path, rows: int, rounds: int, naive_rounds: int) -> dict[str, Samples]:
    """First update (files the years), then `rounds` rounds of ours + floor on every workbook and the naive
    way, interleaved in a new order each round. Returns each workbook's floor."""
    books = {kind: copy_to(kind, rows, folder / kind) for kind in KINDS}
    naive_book = copy_to("libreoffice", rows, folder / "naive")
    for kind, book in books.items():
        one_floor, first = Samples(f"floor before filing, {rows:,} rows, {NAMES[kind]}"), \
            Samples(f"first update (files earlier years once), {rows:,} rows, {NAMES[kind]}")
        one_floor.time(lambda b=book: floor(b))
        first.time(lambda b=book: update_once(b, 0))
        wait_for_pruning()
        report.figure(first, one_floor)
    ours = {kind: Samples(f"update, {rows:,} rows, {NAMES[kind]}") for kind in KINDS}
    floors = {kind: Samples(f"floor, {rows:,} rows, {NAMES[kind]}") for kind in KINDS}
    naive = Samples(f"naive openpyxl load+edit+save+fsync, {rows:,} rows, {NAMES['libreoffice']}")
    for r in range(rounds):
        # Each workbook's update beside its floor: where the naive save's place (below) gives one job a round
        # more than another, it gives one workbook's update and floor that round alike.
        work = [job for k in KINDS for job in ((ours[k], lambda b=books[k], n=r + 1: update_once(b, n)),
                                               (floors[k], lambda b=books[k]: floor(b)))]
        naive_job = None
        if r < naive_rounds:
            naive_job = (naive, lambda n=r: naive_update(naive_book, n))
            work.append(naive_job)
        for samples, job in in_round_order(work, r, naive_job):
            samples.time(job)
            wait_for_pruning()  # old backups go after an answer: not timed, but never under the next job's clock
    for kind in KINDS:
        report.figure(floors[kind], floors[kind])
        report.figure(ours[kind], floors[kind])
    report.figure(naive, floors["libreoffice"])
    ratio = naive.p50 / ours["libreoffice"].p50
    report.notes[f"naive / ours, {rows:,} rows"] = ratio
    report.say(f"  naive / ours (p50), {rows:,} rows, {NAMES['libreoffice']}: {ratio:.1f}x")
    report.notes[f"file MB, {rows:,} rows"] = {NAMES[k]: fixture(k, rows).stat().st_size / 1e6 for k in KINDS}
    return floors


def statuses(report: Report, folder: Path, rows: int, rounds: int, bot_updates: int, floors: dict[str, Samples],
             bare: Bare) -> None:
    """The real bot serving each compared workbook, both at once: cold and warm status answers after a write by
    another process, beside the bare endpoint, interleaved across the workbooks in a new order each round (a
    target divides one workbook's cold answer by the other's, so both are taken in the same rounds, not one
    workbook's rounds after the other's); then `bot_updates` updates through each bot and its peak."""
    bots: dict[str, Bot] = {}
    try:
        for kind in COMPARED:
            bots[kind] = Bot(folder / kind / "Appendix1.xlsx", folder / f"bot-{kind}.log")
            bots[kind].status()  # the first answer after start
        cold = {k: Samples(f"status cold (after a write), {rows:,} rows, {NAMES[k]}") for k in COMPARED}
        warm = {k: Samples(f"status warm, {rows:,} rows, {NAMES[k]}") for k in COMPARED}
        bare_samples = {k: Samples(f"bare Starlette endpoint, beside {rows:,} rows, {NAMES[k]}") for k in COMPARED}

        def after_a_write(kind: str, n: int) -> None:
            # Written by this process, as `sli update` writes: the bot must read the file again.
            update_once(folder / kind / "Appendix1.xlsx", n)
            wait_for_pruning()
            cold[kind].time(bots[kind].status)

        for r in range(rounds):
            work = [(None, lambda k=k, n=1000 + r: after_a_write(k, n)) for k in COMPARED] + \
                   [(warm[k], bots[k].status) for k in COMPARED] + [(bare_samples[k], bare.status) for k in COMPARED]
            for samples, job in in_round_order(work, r):
                if samples is None:
                    job()  # times its own answer, not the write before it
                else:
                    samples.time(job)
        for kind in COMPARED:
            for samples in (cold[kind], warm[kind], bare_samples[kind]):
                report.figure(samples, floors[kind])
        for kind in COMPARED:
            for n in range(bot_updates):
                bots[kind].update(n)
            report.megabytes(f"bot peak (VmHWM) after {bot_updates} updates through it, {rows:,} rows, "
                             f"{NAMES[kind]}", bots[kind].peak_mb())
    finally:
        for bot in bots.values():
            bot.close()


def filing_memory(report: Report, folder: Path, rows: int) -> None:
    """The peak of a bot whose first update files a one-sheet history of `rows` rows."""
    for kind in KINDS:
        book = copy_to(kind, rows, folder / f"filing-{kind}")
        bot = Bot(book, folder / f"bot-filing-{kind}.log")
        try:
            bot.update(0)
            report.megabytes(f"bot peak (VmHWM) filing {rows:,} rows from one sheet, {NAMES[kind]}", bot.peak_mb())
        finally:
            bot.close()


def writing(report: Report, folder: Path, rows: int, each: int) -> None:
    """WRITERS command-line writers at once, back to back, on the largest workbooks (already filed), as sli
    wrote it and as LibreOffice saved it."""
    for kind in COMPARED:
        writers = Samples(f"{WRITERS} concurrent sli update writers, {rows:,} rows, {NAMES[kind]}")
        writers.ms, codes = concurrent_writers(Path(__file__), folder / f"{rows}" / kind / "Appendix1.xlsx", each)
        report.figure(writers, report.floor_of(f"floor, {rows:,} rows, {NAMES[kind]}"))
        exits = {str(c): codes.count(c) for c in sorted(set(codes))}
        report.notes[f"writers' exit codes, {NAMES[kind]}"] = exits
        if set(codes) != {0}:
            report.say(f"  writers' exit codes (0 applied, 3 waiting): {exits}")


def waiting(report: Report, folder: Path, rows: int, runs: int) -> None:
    """Recording an update while Excel has the workbook open, 0 and WAITING already waiting, interleaved."""
    none, many = waiting_cost(folder, runs)
    floor0 = report.floor_of(f"floor, {rows:,} rows, {NAMES['sli']}")
    few = Samples("record an update, 0 waiting (Excel has the file open)", none)
    lots = Samples(f"record an update, {WAITING} waiting (Excel has the file open)", many)
    report.figure(few, floor0)
    report.figure(lots, floor0)
    report.say(f"  {WAITING} waiting / 0 waiting (p50): {lots.p50 / few.p50:.2f}x")


def targets(report: Report, sizes: tuple[int, ...], bot_updates: int) -> None:
    """The speed targets from the figures: the empty-log ones at the smallest size, the rest at the largest."""
    small, large = sizes[0], sizes[-1]
    for rows, limit, case in ((small, 5, "an empty log"), (large, 1.3, "a long log")):
        for kind in COMPARED:
            report.target(f"update / floor (target for {case}), {rows:,} rows, {NAMES[kind]}",
                          report.figures[f"update, {rows:,} rows, {NAMES[kind]}"]["x_floor"], limit)
    lo, sli = NAMES["libreoffice"], NAMES["sli"]
    report.target(f"update {lo} / {sli}, {large:,} rows",
                  report.p50(f"update, {large:,} rows, {lo}") / report.p50(f"update, {large:,} rows, {sli}"), 1.3)
    report.target(f"status cold after an update {lo} / {sli}, {large:,} rows",
                  report.p50(f"status cold (after a write), {large:,} rows, {lo}")
                  / report.p50(f"status cold (after a write), {large:,} rows, {sli}"), 1.3)
    for rows in dict.fromkeys((small, large)):
        for kind in COMPARED:
            label = f"bot peak (VmHWM) after {bot_updates} updates through it, {rows:,} rows, {NAMES[kind]}"
            report.target(f"bot peak after {bot_updates} updates, {rows:,} rows, {NAMES[kind]}",
                          report.memory[label], 70, "MB")
    for kind in KINDS:
        report.target(f"bot peak filing {large:,} rows from one sheet, {NAMES[kind]}",
                      report.memory[f"bot peak (VmHWM) filing {large:,} rows from one sheet, {NAMES[kind]}"], 150,
                      "MB")
    report.target(f"status warm via HTTP bot / bare Starlette, {large:,} rows, {lo}",
                  report.p50(f"status warm, {large:,} rows, {lo}")
                  / report.p50(f"bare Starlette endpoint, beside {large:,} rows, {lo}"), 6)
    for kind in COMPARED:
        label = f"{WRITERS} concurrent sli update writers, {large:,} rows, {NAMES[kind]}"
        report.target(f"{WRITERS} concurrent writers p95 / p50, {large:,} rows, {NAMES[kind]}",
                      report.figures[label]["p95_ms"] / report.figures[label]["p50_ms"], 4)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one small size, few samples (seconds, not minutes)")
    parser.add_argument("--rounds", type=int, default=None, help="samples per figure (at least 10 unless --quick)")
    parser.add_argument("--json", type=Path, default=None, help="where the results go (default out/bench/...)")
    parser.add_argument("--writer-child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--bare-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.writer_child:
        writer_child(args.writer_child[0], int(args.writer_child[1]), int(args.writer_child[2]))
        return 0
    if args.bare_child:
        serve_bare(args.bare_child)
        return 0
    sizes = (2_000,) if args.quick else (0, 10_000, 100_000)
    rounds = args.rounds or (4 if args.quick else 20)
    if not args.quick:
        rounds = max(rounds, 10)
    bot_updates = 5 if args.quick else 20
    json_path = args.json or ROOT / "out" / "bench" / ("results-quick.json" if args.quick else "results.json")
    report = Report("quick" if args.quick else "full")
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    report.say(f"{os.cpu_count()} cores, load {load}; {rounds} rounds a size, interleaved; ms; "
               "floor = copy the workbook + fsync + rename + folder fsync, same run")
    try:
        for rows in sizes:
            for kind in KINDS:
                fixture(kind, rows)  # made (or found in the cache) before anything is timed
    except FixtureError as exc:
        print(f"update_latency: {exc}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="sli-bench-") as name:
        folder = Path(name)
        bare = Bare(Path(__file__))
        try:
            for rows in sizes:
                naive_rounds = min(rounds, 2 if args.quick else 10) if rows >= 100_000 else rounds
                floors = updates(report, folder / f"{rows}", rows, rounds, naive_rounds)
                statuses(report, folder / f"{rows}", rows, rounds, bot_updates, floors, bare)
        finally:
            bare.close()
        writing(report, folder, sizes[-1], 3 if args.quick else 10)
        filing_memory(report, folder, sizes[-1])
        waiting(report, folder, sizes[0], 6 if args.quick else 60)
    targets(report, sizes, bot_updates)
    report.finish(json_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
