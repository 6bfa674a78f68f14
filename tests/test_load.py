"""Load runs of the HTTP bot (`make test-slow`): real uvicorn on 127.0.0.1, signed requests, the local Slack
stand-in, a real workbook read back with python-calamine and the journal read back with sqlite3.

Each test prints its figures (run with `-s` to see them): these are the README's "Measured" rows.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest
import python_calamine
from slack_standin import BoltHTTP, SlackStandIn
from test_http_server import SECRET, Bot, command_body, hammer

from bot.app import Settings
from shared.domain import schema as s
from shared.domain.access import may_update
from shared.domain.logrow import LogRow
from shared.reader import read_appendix
from shared.usecases import Store, process_pending
from shared.xlsx import Package, save_atomically

pytestmark = pytest.mark.slow

HISTORY_ROWS = 10_000
USERS = 20
UPDATES = 300
#: Two officers added to the Leads sheet, so 20 people (18 in the committed workbook) send updates.
EXTRA_OFFICERS = (("U07SLI0019", "Load Officer A"), ("U07SLI0020", "Load Officer B"))


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def grow_log(workbook: Path, rows: int) -> None:
    """`rows` old Change log rows, written the way the product appends them (columns found by header).
    (benchmarks/update_latency.py's grow_log passes lists where append_rows takes mappings.)"""
    package = Package(workbook)
    columns = package.header_columns(s.LOG_SHEET, LogRow.HEADER)
    now = datetime(2026, 1, 1, 9, 0)
    history = [[now, f"L{1 + n % 22}", s.NEXT_STEPS, f"Old text {n}", f"New text {n}", "Bench Mark", "CLI",
                f"bench{n:08d}"] for n in range(rows)]
    package.append_rows(s.LOG_SHEET, [{columns[name]: value for name, value in zip(LogRow.HEADER, row, strict=True)}
                                      for row in history])
    save_atomically(package, workbook, None, 0)


def add_officers(workbook: Path) -> None:
    package = Package(workbook)
    columns = package.header_columns(s.LEADS_SHEET, s.LEADS_COLUMNS)
    package.append_rows(s.LEADS_SHEET, [{columns["Lead organisation"]: "BwD Council Public Health",
                                         columns["Name"]: name, columns["Slack user ID"]: user,
                                         columns["Role"]: "officer"} for user, name in EXTRA_OFFICERS])
    save_atomically(package, workbook, None, 0)


def read_sheet(workbook: Path, name: str) -> list[list[object]]:
    """A sheet's rows through python-calamine directly (not through our reader)."""
    return python_calamine.CalamineWorkbook.from_path(str(workbook)).get_sheet_by_name(name).to_python()


@pytest.fixture
def standin():
    with SlackStandIn() as slack:
        yield slack


def test_fifty_connections_two_hundred_requests_each(standin: SlackStandIn, workbook: Path) -> None:
    """50 simultaneous clients x 200 signed `/sli status` commands, a new connection each: none reset."""
    bot = Bot(standin, Settings(bot_token="xoxb-test", signing_secret=SECRET, api_url=standin.base_url,
                                workbook=workbook, poll_seconds=3600))
    try:
        result = hammer(bot.port, connections=50, requests_each=200,
                        body_for=lambda n, k: command_body(standin, "status 7", key=f"c{n}r{k}"))
        answered = standin.wait_for("response_url", count=10_000, timeout=120)
    finally:
        bot.server.shutdown()
        bot.server.server_close()
    print(f"\n50 connections x 200 requests: {result['statuses']}, {len(result['errors'])} reset/failed, "
          f"{result['seconds']:.1f} s, p95 {result['p95_ms']:.0f} ms")
    assert result["errors"] == [], result["errors"][:5]
    assert result["statuses"] == {200: 10_000}
    assert len({call["path"] for call in answered}) == 10_000


@pytest.mark.parametrize("pace", ["after each ack", "after each reply"])
def test_twenty_people_three_hundred_one_line_updates(standin: SlackStandIn, workbook: Path, pace: str) -> None:
    """20 people send 300 one-line updates at once to a workbook with 10,000 Change log rows, and no officer
    touches the file. Each sends their next update as soon as Slack shows "Recording your update…" (the
    ack: a burst that piles updates up), or once they have read the result (the reply). Targets: none
    lost, none twice, none refused, written in journal order, each field ending as the last update sent
    to it says, and acks within Slack's 3 s."""
    grow_log(workbook, HISTORY_ROWS)
    add_officers(workbook)
    appendix = read_appendix(workbook)
    people = [f"U07SLI{n:04d}" for n in range(1, USERS + 1)]
    allowed = {p: [ref for ref in appendix.rows if may_update(appendix, p, ref).allowed] for p in people}
    assert all(allowed.values()), "every person may update something"

    per_person = UPDATES // USERS
    plans: dict[str, list[tuple[str, str]]] = {}
    for u, person in enumerate(people):
        plans[person] = []
        for k in range(per_person):
            refs = allowed[person]
            ref = refs[(u * 7 + k) % len(refs)]
            text = f'update {ref} next="Load u{u:02d} n{k:02d}"'
            if k % 3 == 0:
                text += f' summary="Summary u{u:02d} n{k:02d}"'
            plans[person].append((ref, text))

    settings = Settings(bot_token="xoxb-test", signing_secret=SECRET, api_url=standin.base_url, workbook=workbook,
                        poll_seconds=3600)
    bot = Bot(standin, settings)
    acks: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(USERS)

    def person_sends(person: str) -> None:
        client = BoltHTTP(bot.http.url, SECRET, standin=standin, timeout=30)
        barrier.wait()
        for k, (_, text) in enumerate(plans[person]):
            key = f"{person}-{k}"
            start = time.perf_counter()
            status, _ = client.command(text=text, user_id=person, response_url=standin.response_url(key))
            with lock:
                acks.append((time.perf_counter() - start) * 1000)
                statuses.append(status)
            if pace == "after each reply":
                deadline = time.monotonic() + 120
                while not any(c["path"] == f"/response/{key}" for c in standin.calls("response_url")):
                    assert time.monotonic() < deadline, f"no reply to {key}"
                    time.sleep(0.02)

    started = time.perf_counter()
    try:
        threads = [threading.Thread(target=person_sends, args=(p,)) for p in people]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        replies = standin.wait_for("response_url", count=UPDATES, timeout=600)
        elapsed = time.perf_counter() - started
    finally:
        bot.server.shutdown()
        bot.server.server_close()
    process_pending(Store.for_workbook(workbook))  # the sync: anything still waiting goes in now

    # --- what the journal holds (sqlite3 directly) and what the workbook holds (calamine directly)
    store = Store.for_workbook(workbook)
    with sqlite3.connect(store.journal_path) as db:
        journal = [(seq, uid, ref, json.loads(changes), state) for seq, uid, ref, changes, state in
                   db.execute("SELECT seq, id, ref, changes, state FROM updates ORDER BY seq")]
    log = read_sheet(workbook, s.LOG_SHEET)
    header = next(i for i, row in enumerate(log) if "Update ID" in row)
    col = {name: log[header].index(name) for name in LogRow.HEADER}
    new_rows = [row for row in log[header + 1:] if str(row[col["Update ID"]]) and
                not str(row[col["Update ID"]]).startswith("bench")
                and re.match(r"(Load|Summary) u\d\d", str(row[col["New value"]]))]

    sent_next = {re.search(r'next="([^"]+)"', text).group(1) for plan in plans.values() for _, text in plan}
    journal_next = [changes.get(s.NEXT_STEPS) for _, _, _, changes, _ in journal]
    logged_next = [str(row[col["New value"]]) for row in new_rows if row[col["Field"]] == s.NEXT_STEPS]
    refused = [(ref, state) for _, _, ref, _, state in journal if state in ("conflict", "rejected")]
    refused_ids = {uid for _, uid, _, _, state in journal if state in ("conflict", "rejected")}
    refused_texts = {changes.get(s.NEXT_STEPS) for _, uid, _, changes, _ in journal if uid in refused_ids}
    lost = sorted(sent_next - set(logged_next) - refused_texts)
    duplicated = (len(logged_next) - len(set(logged_next))) + (len(journal_next) - len(set(journal_next)))
    still_open = [state for *_, state in journal if state not in ("applied", "conflict", "rejected")]

    # Written in journal order: the Update IDs down the Change log follow the journal's sequence.
    seq_of = {uid: seq for seq, uid, *_ in journal}
    logged_seqs = [seq_of.get(str(row[col["Update ID"]]), -1) for row in new_rows]
    in_order = all(a <= b for a, b in zip(logged_seqs, logged_seqs[1:], strict=False))

    # Final values: each (ref, field) holds what the last journalled update sent to it.
    last: dict[tuple[str, str], object] = {}
    for _, _, ref, changes, state in journal:
        for field, value in changes.items() if state == "applied" else ():
            last[(ref, field)] = value
    main = read_sheet(workbook, s.MAIN_SHEET)
    main_header = next(i for i, row in enumerate(main) if "Ref" in row)
    ref_col = main[main_header].index("Ref")
    rows = {str(row[ref_col]): row for row in main[main_header + 1:] if row[ref_col]}
    wrong_final = [(ref, field, rows[ref][main[main_header].index(field)], value)
                   for (ref, field), value in last.items() if rows[ref][main[main_header].index(field)] != value]

    kinds: dict[str, int] = {}
    for reply in replies:
        first = reply["args"]["text"].split("\n", 1)[0]
        kind = ("applied" if " updated." in first else "conflict" if "not applied" in first
                else "waiting" if "not yet in the workbook" in first else "refused")
        kinds[kind] = kinds.get(kind, 0) + 1
    p95 = _percentile(acks, 0.95)
    figures = (f"{UPDATES} updates by {USERS} people ({pace}), {HISTORY_ROWS:,} log rows, {elapsed:.1f} s: "
               f"journalled {len(journal)}, lost {len(lost)}, duplicated {duplicated}, "
               f"wrongly refused {len(refused)}, open after sync {len(still_open)}, journal order {in_order}, "
               f"wrong final values {len(wrong_final)}, replies {kinds}, ack median "
               f"{_percentile(acks, 0.5):.0f} ms p95 {p95:.0f} ms max {max(acks):.0f} ms")
    print("\n" + figures)

    assert statuses == [200] * UPDATES, figures
    assert len(journal) == UPDATES, figures
    assert lost == [], figures
    assert duplicated == 0, figures
    assert refused == [], figures
    assert still_open == [], figures
    assert in_order, figures
    assert wrong_final == [], figures
    assert p95 < 3000, figures  # Slack shows the person an error when the ack takes over 3 s
