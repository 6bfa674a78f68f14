"""What the journal keeps is bounded, and a refused update keeps no field text (issue 16, point 10).

A refused update is journalled with who, when, which fields (names only) and why, in words that never
repeat what was refused; its values are never written, so they are nowhere in the journal's files (the
SQLite file and its WAL are read as bytes). A form that sends back 900 KB leaves a row of a few hundred
bytes. Refused rows kept by earlier versions lose their text when the journal is opened. Through the
command line, the Slack bot over HTTP and the Teams app.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import teams_standin as ts
from slack_standin import BoltHTTP, SlackStandIn

import sli
from bot.app import Settings, create_app
from bot.http_server import serve_in_thread
from bot.teams import cards
from bot.teams.app import Running, TeamsBot
from shared import journal as j
from shared.domain import schema as s
from shared.reader import read_appendix
from shared.usecases import Store

SECRET = "test-signing-secret"
L7_LEAD = "U07SLI0002"                                # Joanne Whitworth, lead of L7's organisation (Slack)
OFFICER = "5e1a0c3d-7b2f-4e81-9c4a-000000000006"      # Sana Iqbal, officer (Teams)
PATIENT = "Baby of Sarah Khan, NHS 9434765919"
#: Pieces of the patient's details that must not be anywhere in the journal's files.
TRACES = [b"Sarah Khan", b"9434765919", "Sarah Khan".encode("utf-16-le")]
HUGE = 900 * 1024


def journal_bytes(workbook: Path) -> bytes:
    """The journal's files as they are on disk: the database, its WAL and shared memory, if there."""
    store = Store.for_workbook(workbook)
    files = [store.journal_path, *(store.journal_path.with_name(store.journal_path.name + suffix)
                                   for suffix in ("-wal", "-shm"))]
    return b"".join(path.read_bytes() for path in files if path.exists())


def rows(workbook: Path) -> list[sqlite3.Row]:
    db = sqlite3.connect(Store.for_workbook(workbook).journal_path)
    db.row_factory = sqlite3.Row
    try:
        return db.execute("SELECT *, length(CAST(changes AS BLOB)) + length(CAST(seen AS BLOB)) "
                          "+ length(CAST(detail AS BLOB)) + length(CAST(by AS BLOB)) "
                          "+ length(CAST(COALESCE(reply_to, '') AS BLOB)) "
                          "+ length(CAST(COALESCE(idempotency_key, '') AS BLOB)) AS size FROM updates "
                          "ORDER BY seq").fetchall()
    finally:
        db.close()


# --- the command line ---------------------------------------------------------------------------

@pytest.mark.parametrize("args, reason", [
    (["--summary", PATIENT], "what looks like an NHS number"),
    (["--status", PATIENT], "is not one of the statuses"),          # the rule's own sentence quotes it
    (["--due", PATIENT], "Next step due is not a date"),            # so does this one
    (["--next", f"=HYPERLINK(\"{PATIENT}\")"], "starts with '='"),
])
def test_a_refused_command_line_update_leaves_no_trace_of_its_text(
        workbook: Path, capsys: pytest.CaptureFixture, args: list[str], reason: str) -> None:
    before = workbook.read_bytes()
    code = sli.main(["update", "L7", *args, "--by", "Helen Lowey", "--workbook", str(workbook)])
    out = capsys.readouterr().out
    assert code == sli.EXIT_FINDINGS and "Not recorded" in out, out
    assert workbook.read_bytes() == before
    [row] = rows(workbook)
    column = {"--summary": s.SUMMARY, "--status": s.STATUS, "--due": s.DUE, "--next": s.NEXT_STEPS}[args[0]]
    assert (row["state"], row["by"], row["via"]) == (j.REJECTED, "Helen Lowey", s.VIA_CLI)
    assert json.loads(row["changes"]) == {column: None} and json.loads(row["seen"]) == {}
    assert reason in " ".join(json.loads(row["detail"])["reasons"])
    data = journal_bytes(workbook)
    assert not [trace for trace in TRACES if trace in data]
    # `sli history` still says who was refused, when and why.
    assert sli.main(["history", "L7", "--workbook", str(workbook)]) == sli.EXIT_OK
    history = capsys.readouterr().out
    assert "[rejected] by Helen Lowey via CLI: Not recorded:" in history and "Sarah Khan" not in history


def test_refused_rows_kept_by_earlier_versions_lose_their_text_when_the_journal_is_opened(
        workbook: Path, capsys: pytest.CaptureFixture) -> None:
    """A journal written before this change, with refusals holding what was typed (a 900 KB one too)."""
    path = Store.for_workbook(workbook).journal_path
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(j._SCHEMA)
    old = [({s.STATUS: PATIENT}, [f"'{PATIENT}' is not a status. Use one of Not started, On track."]),
           ({s.SUMMARY: "x" * HUGE}, [f"Summary of status is {HUGE:,} characters long; the limit is 2,000."]),
           ({s.NEXT_STEPS: f"Ask {PATIENT} _x0041_"}, ["Next steps contains '_x0041_', which Excel reads as the code "
                                                      "of another character.", "Next steps contains what looks "
                                                      "like an NHS number."])]
    for n, (changes, reasons) in enumerate(old):
        detail = {"reasons": reasons, "message": "Not recorded: " + " ".join(reasons)}
        db.execute("INSERT INTO updates (id, ref, changes, seen, by, via, state, detail, created_at, updated_at, "
                   "view_seq, notified_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                   (f"old{n}", "L7", json.dumps(changes), json.dumps({c: "Off track" for c in changes}),
                    "Helen Lowey", "CLI", j.REJECTED, json.dumps(detail), "2026-11-02T10:00:00+00:00",
                    "2026-11-02T10:00:00+00:00", 0, "2026-11-02T10:00:00+00:00"))
    db.close()
    assert b"Sarah Khan" in journal_bytes(workbook)

    assert sli.main(["history", "L7", "--workbook", str(workbook)]) == sli.EXIT_OK  # opens the journal
    history = capsys.readouterr().out
    assert history.count("[rejected] by Helen Lowey via CLI") == 3 and "Sarah Khan" not in history, history
    assert "is not a status" in history and "characters long" in history and "NHS number" in history
    kept = rows(workbook)
    assert [json.loads(r["changes"]) for r in kept] == [{s.STATUS: None}, {s.SUMMARY: None}, {s.NEXT_STEPS: None}]
    assert all(json.loads(r["seen"]) == {} and r["size"] < 1024 for r in kept)
    data = journal_bytes(workbook)
    assert not [trace for trace in TRACES if trace in data] and b"_x0041_" not in data and b"x" * 2000 not in data


# --- the Slack bot over HTTP ---------------------------------------------------------------------

@pytest.fixture
def slack(workbook: Path) -> Iterator[BoltHTTP]:
    with SlackStandIn() as standin:
        settings = Settings(bot_token="xoxb-test", signing_secret=SECRET, api_url=standin.base_url,
                            workbook=workbook, poll_seconds=3600)
        server = serve_in_thread(create_app(settings))
        yield BoltHTTP(f"http://127.0.0.1:{server.server_port}/slack/events", SECRET, standin=standin, timeout=30)
        server.shutdown()
        server.server_close()


def test_slack_refusals_keep_no_text_and_a_900_kb_one_leaves_a_small_row(workbook: Path, slack: BoltHTTP) -> None:
    before = workbook.read_bytes()
    status, body = slack.command(text=f'update 7 summary="{PATIENT}"', user_id=L7_LEAD)
    assert status == 200 and "not recorded" in json.loads(body)["text"], body
    status, body = slack.command(text=f'update 7 summary="{"x" * HUGE}"', user_id=L7_LEAD)
    assert status == 200 and "921,600 characters long" in json.loads(body)["text"], body[:300]
    assert workbook.read_bytes() == before
    refused = rows(workbook)
    assert [(r["state"], r["by"], r["via"], json.loads(r["changes"])) for r in refused] == \
        [(j.REJECTED, "Joanne Whitworth", s.VIA_SLACK, {s.SUMMARY: None})] * 2
    assert all(r["size"] < 1024 for r in refused), [r["size"] for r in refused]
    data = journal_bytes(workbook)
    assert not [trace for trace in TRACES if trace in data] and b"x" * 2000 not in data


# --- the Teams app ---------------------------------------------------------------------------------

@pytest.fixture
def teams(workbook: Path) -> Iterator[tuple[Running, ts.ConnectorStandIn]]:
    standin = ts.ConnectorStandIn()
    running = Running(TeamsBot(Settings(workbook=workbook, poll_seconds=3600), local=True))
    yield running, standin
    running.stop()
    standin.close()


def form_data(running: Running, standin: ts.ConnectorStandIn) -> dict:
    """`update L7` in Sana's chat: the data of the form's Save button."""
    mark = standin.mark()
    response = ts.post(running.url, ts.activity(standin, ts.user(OFFICER), text="update L7"))
    assert response.status_code in (200, 202), response.text
    [reply] = standin.wait_for(1, start=mark)
    [card] = [a["content"] for a in reply["attachments"] if a["contentType"] == cards.CARD]
    return card["actions"][0]["data"]


def as_shown(data: dict) -> dict:
    """The form's inputs as it was prefilled (what Save sends when nothing is edited)."""
    return {cards.INPUT_FOR[column]: value for column, value in data["seen"].items()}


def press_save(running: Running, standin: ts.ConnectorStandIn, data: dict) -> dict:
    body = ts.activity(standin, ts.user(OFFICER), kind="invoke", name="adaptiveCard/action",
                       value={"action": {"type": "Action.Execute", "verb": data["verb"], "data": data},
                              "trigger": "manual"})
    response = ts.post(running.url, body)
    assert response.status_code == 200, response.text[:300]
    return response.json()


def test_a_900_kb_teams_form_field_is_refused_with_a_row_well_under_4_kb(
        workbook: Path, teams: tuple[Running, ts.ConnectorStandIn]) -> None:
    running, standin = teams
    before = workbook.read_bytes()
    data = form_data(running, standin)
    answer = press_save(running, standin, {**data, **as_shown(data), "summary": "x" * HUGE})
    errors = [b["text"] for b in answer["value"]["body"] if b.get("id", "").startswith("error_")]
    assert any("921,600 characters long" in e for e in errors), errors
    assert workbook.read_bytes() == before
    [row] = rows(workbook)
    assert (row["state"], row["by"], row["via"]) == (j.REJECTED, "Sana Iqbal", s.VIA_TEAMS)
    assert json.loads(row["changes"]) == {s.SUMMARY: None} and row["size"] < 4096, row["size"]
    assert b"x" * 2000 not in journal_bytes(workbook)


def test_a_teams_form_sending_back_900_kb_of_what_it_showed_is_kept_as_a_fingerprint(
        workbook: Path, teams: tuple[Running, ts.ConnectorStandIn]) -> None:
    """The form's `seen`, `base` and form id come back from the client: an accepted update keeps them
    bounded (a long text as its fingerprint, a long id as its hash), 900 KB between them."""
    running, standin = teams
    data = form_data(running, standin)
    summary = read_appendix(workbook).rows["L7"][s.SUMMARY]
    third = HUGE // 3  # the connector takes at most 1 MiB a request
    forged = {**data, "seen": {**data["seen"], s.SUMMARY: "y" * third}, "form": "f" * third,
              "base": {s.SUMMARY: "z" * third}}
    mark = standin.mark()
    answer = press_save(running, standin, {**forged, "status": "At risk", "next": "Audit booked",
                                           "due": "2027-02-28", "summary": summary})
    assert "Recorded your update to L7" in json.dumps(answer["value"])
    standin.wait_for(1, start=mark, timeout=30)
    [row] = rows(workbook)
    assert row["size"] < 8192, row["size"]
    seen = json.loads(row["seen"])[s.SUMMARY]
    assert seen["chars"] == third and len(seen["sha256"]) == 64
    assert len(row["idempotency_key"]) < 100
    # What it sent for the summary is what the file holds, so that field is no conflict; the rest is written.
    assert row["state"] == j.APPLIED
    assert read_appendix(workbook).rows["L7"][s.NEXT_STEPS] == "Audit booked"
    data = journal_bytes(workbook)
    assert b"y" * 2000 not in data and b"z" * 2000 not in data and b"f" * 2000 not in data


def test_the_journal_refuses_an_entry_over_its_bound_and_writes_nothing(workbook: Path) -> None:
    """The last check, in the journal itself: whatever a caller passes, nothing over MAX_ENTRY_CHARS is written."""
    journal = Store.for_workbook(workbook).journal()
    with pytest.raises(j.EntryTooLarge, match="the tracker keeps at most 32,000"):
        journal.record(ref="L7", changes={s.NEXT_STEPS: "Fine"}, seen={s.NEXT_STEPS: "z" * j.MAX_ENTRY_CHARS},
                       by="Helen Lowey", via=s.VIA_CLI, state=j.PENDING)
    assert rows(workbook) == [] and b"z" * 2000 not in journal_bytes(workbook)
