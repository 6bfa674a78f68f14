"""`sli serve --local`: one process, one port on 127.0.0.1, answering Slack (signed requests, the Slack
stand-in), Teams (activities as tests/test_teams.py posts them, the connector stand-in), the add-in (task pane,
manifest) and the health checks; started on a journal made by main before journals had a schema version
(tests/fixtures), backed up while it serves, stopped with SIGTERM. Logs are JSON here (SLI_LOG_FORMAT=json).

The process is shared by the tests of this file (one start, ~5 s); each test sends its own requests."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import teams_standin as ts
from serve_support import BOT_TOKEN, OFFICER, SECRET, Served, serve_env
from slack_standin import BoltHTTP, SlackStandIn
from test_deploy import docker_env, healthcheck_command

import sli
from shared.owner import write_owner_file
from shared.reader import read_appendix, read_change_log
from shared.usecases import Store

FIXTURES = Path(__file__).parent / "fixtures"
OLD_JOURNAL = FIXTURES / "journal-main-315290d.sqlite"
ELHT_LEAD = "5e1a0c3d-7b2f-4e81-9c4a-000000000012"   # Anita Patel in Teams
TYPED = "Typed words zebra-417 for the audit"


def journal_ids(path: Path) -> list[str]:
    db = sqlite3.connect(path)
    try:
        return [row[0] for row in db.execute("SELECT id FROM updates ORDER BY seq")]
    finally:
        db.close()


@pytest.fixture(scope="module")
def standin():
    with SlackStandIn() as slack:
        yield slack


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, standin: SlackStandIn):
    folder = tmp_path_factory.mktemp("served")
    workbook = folder / "Appendix1.xlsx"
    shutil.copy2(Path(__file__).resolve().parents[1] / "workbook" / "Appendix1.xlsx", workbook)
    shutil.copy2(OLD_JOURNAL, Store.for_workbook(workbook).journal_path)  # written by main at 315290d
    env = serve_env(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=standin.base_url,
                    SLI_LOG_FORMAT="json")
    service = Served(workbook, env, "--local")
    yield service
    service.kill()


def slack(served: Served, standin: SlackStandIn) -> BoltHTTP:
    return BoltHTTP(f"{served.url}/slack/events", SECRET, standin=standin, timeout=15)


def test_a_start_migrates_mains_journal_and_writes_what_waited(served: Served) -> None:
    """The journal made by main (no schema version, one update left pending while Excel had the file) is
    migrated by the start, and the waiting update is written by the start-up work, once."""
    assert sqlite3.connect(OLD_JOURNAL).execute("PRAGMA user_version").fetchone()[0] == 0
    body = served.ready(until=lambda b: b["updates_waiting"] == 0)
    assert body["checks"]["journal"]["schema_version"] == 2
    journal = Store.for_workbook(served.workbook).journal_path
    assert sqlite3.connect(journal).execute("PRAGMA user_version").fetchone()[0] == 2
    assert journal_ids(journal)[:3] == journal_ids(OLD_JOURNAL)
    waited = journal_ids(OLD_JOURNAL)[2]
    assert read_appendix(served.workbook).rows["L5"]["Next steps"] == "Written once Excel lets go"
    assert [row.update_id for row in read_change_log(served.workbook)].count(waited) == 1


def test_slack_teams_the_addin_and_health_answer_on_one_port(served: Served, standin: SlackStandIn) -> None:
    assert served.get("/healthz") == (200, '{"alive":true}')
    body = served.ready()
    assert body["ready"] is True and body["checks"]["slack"]["ok"] is True
    assert body["front_ends"] == ["slack (/slack/events)", "teams (/api/messages)", "addin (/taskpane)"]
    assert body["not_configured"] == ["graph"]
    # Slack: a signed question is answered on its response_url; a bad signature is refused by Bolt.
    bolt = slack(served, standin)
    status, _ = bolt.command(text="status 7", user_id=OFFICER, response_url=standin.response_url("q7"))
    assert status == 200
    [answer] = [c for c in standin.wait_for("response_url", count=1) if c["path"].endswith("/q7")]
    assert answer["args"]["text"].startswith("L7 (")
    assert bolt.command(text="status 7", user_id=OFFICER, bad_signature=True)[0] == 401
    # Teams: an activity as Teams sends it; the answer goes to the connector named in serviceUrl.
    connector = ts.ConnectorStandIn()
    try:
        response = ts.post(f"{served.url}/api/messages",
                           ts.activity(connector, ts.user(ELHT_LEAD), text="status 7"))
        assert response.status_code in (200, 202), response.text
        [reply] = connector.wait_for(1)
        assert reply["attachments"][0]["content"]["fallbackText"].startswith("L7 (")
        elsewhere = ts.activity(connector, ts.user(ELHT_LEAD), text="status 7", serviceUrl="https://example.org/")
        assert ts.post(f"{served.url}/api/messages", elsewhere).status_code == 403  # --local's own rule
    finally:
        connector.close()
    # The add-in: the task pane, and the manifest pointing at this port; its path guard in front.
    status, page = served.get("/taskpane")
    assert status == 200 and "SLI Tracker" in page
    status, manifest = served.get("/manifest")
    assert status == 200 and f"http://127.0.0.1:{served.port}/taskpane" in manifest
    assert served.get("/static/%2e%2e/%2e%2e/workbook/Appendix1.xlsx")[0] == 404
    assert served.get("/nowhere")[0] == 404


def test_an_update_is_logged_in_one_line_without_its_text_or_any_token(served: Served, standin: SlackStandIn) -> None:
    bolt = slack(served, standin)
    earlier = len(standin.calls("response_url"))  # counted before sending: the answer may come before the ack is read
    status, ack = bolt.command(text=f'update 3 next="{TYPED}"', user_id=OFFICER,
                               response_url=standin.response_url("u3"))
    assert status == 200 and "Recorded your update to L3" in ack
    told = standin.wait_for("response_url", count=1 + earlier, timeout=15)
    assert any(c["path"].endswith("/u3") and "L3 updated" in c["args"]["text"] for c in told)
    [update_id] = [r.update_id for r in read_change_log(served.workbook) if r.ref == "L3" and r.new_value == TYPED]
    lines = served.json_lines()
    written = [line for line in lines if line.get("event") == "written" and line.get("update_id") == update_id]
    assert len(written) == 1 and written[0]["ref"] == "L3" and written[0]["state"] == "applied"
    assert isinstance(written[0]["ms"], float)
    assert [line["state"] for line in lines if line.get("event") == "recorded" and line.get("update_id") == update_id] \
        == ["pending"]
    requests = [line for line in lines if line.get("event") == "request" and line.get("path") == "/slack/events"]
    assert requests and all(line["front_end"] == "slack" and isinstance(line["ms"], float) for line in requests)
    # Libraries stay at WARNING without --verbose: every INFO line is one of ours.
    assert {line["logger"] for line in lines if line["level"] == "INFO"} <= {"sli.http", "sli.updates", "sli.serve"}
    log = served.log
    assert "zebra-417" not in log and "Typed words" not in log
    assert BOT_TOKEN not in log and "xoxb-" not in log and SECRET not in log


def test_a_backup_while_serving_holds_every_update_and_restore_waits_for_the_stop(
        served: Served, standin: SlackStandIn, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    bolt = slack(served, standin)
    for n in range(5):
        assert bolt.command(text=f'update {n + 10} next="Backed up {n}"', user_id=OFFICER)[0] == 200
    target = tmp_path / "backup-1"
    assert sli.main(["backup", str(target), "--workbook", str(served.workbook)]) == sli.EXIT_OK
    assert re.search(r"\(\d+ updates?, journal schema", capsys.readouterr().out)  # "5 updates", not "update(s)"
    live = journal_ids(Store.for_workbook(served.workbook).journal_path)
    copy = target / "Appendix1.xlsx.journal.sqlite"
    db = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
    assert db.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    assert db.execute("PRAGMA user_version").fetchone()[0] == 2
    assert [row[0] for row in db.execute("SELECT id FROM updates ORDER BY seq")] == live  # every update
    db.close()
    assert not copy.with_name(copy.name + "-wal").exists()  # one self-contained file
    assert len(read_appendix(target / "Appendix1.xlsx").rows) == 22
    manifest = json.loads((target / "sli-backup.json").read_text())
    assert manifest["updates"] == len(live) and manifest["journal_schema_version"] == 2
    # The same folder again is refused: a backup is never overwritten.
    assert sli.main(["backup", str(target), "--workbook", str(served.workbook)]) == sli.EXIT_USAGE
    assert "not empty" in capsys.readouterr().err
    # Restore is refused while the server holds the workbook, and changes nothing.
    served.ready(until=lambda b: b["updates_waiting"] == 0)  # the five written: nothing else changes the file
    before = served.workbook.read_bytes()
    assert sli.main(["restore", str(target), "--workbook", str(served.workbook)]) == sli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "is running on" in err and "stop it first" in err and str(served.process.pid) in err
    assert served.workbook.read_bytes() == before
    assert sli.main(["restore", "--check", str(target)]) == sli.EXIT_OK
    assert "sound backup" in capsys.readouterr().out


def test_readyz_says_503_and_why_when_the_workbook_cannot_be_read(served: Served) -> None:
    served.ready(until=lambda b: b["updates_waiting"] == 0)  # no write in progress to overwrite the damage
    good = served.workbook.read_bytes()
    try:
        served.workbook.write_bytes(b"this is not a workbook")
        status, text = served.get("/readyz")
        body = json.loads(text)
        assert status == 503 and body["ready"] is False
        assert body["checks"]["workbook"]["ok"] is False and body["checks"]["journal"]["ok"] is True
        assert "Appendix1.xlsx" in body["reason"] and body["reason"] == body["checks"]["workbook"]["problem"]
        assert served.get("/healthz")[0] == 200  # alive all the same: a restart would not help
    finally:
        served.workbook.write_bytes(good)
    assert served.get("/readyz")[0] == 200


def test_readyz_counts_the_updates_waiting_and_the_age_of_the_oldest(served: Served, standin: SlackStandIn) -> None:
    """While Excel has the workbook open (its owner file beside it), updates wait; a monitor sees how many and
    for how long in /readyz, which stays 200: waiting for Excel is normal."""
    served.ready(until=lambda b: b["updates_waiting"] == 0)
    owner = write_owner_file(served.workbook, "Sana Iqbal")
    try:
        bolt = slack(served, standin)
        for n in range(3):
            assert "Recorded" in bolt.command(text=f'update {n + 1} next="Held {n}"', user_id=OFFICER)[1]
        body = served.ready(until=lambda b: b["updates_waiting"] == 3)
        assert body["ready"] is True and 0 <= body["oldest_waiting_seconds"] < 60
    finally:
        owner.unlink()


def container_healthcheck(served: Served) -> int:
    """The Dockerfile's HEALTHCHECK command, run as Docker runs it in the container, at this server's port."""
    env = docker_env()
    command = [part.replace(f"127.0.0.1:{env['SLI_PORT']}", f"127.0.0.1:{served.port}")
               for part in healthcheck_command()]
    command[0] = sys.executable if command[0] == "python" else command[0]
    return subprocess.run(command, capture_output=True, timeout=30).returncode


def test_the_containers_healthcheck_command_passes_against_it(served: Served) -> None:
    assert container_healthcheck(served) == 0


def test_sigterm_stops_it_with_exit_0_and_restore_then_puts_a_backup_back(
        served: Served, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    target = tmp_path / "backup-2"
    assert sli.main(["backup", str(target), "--workbook", str(served.workbook)]) == sli.EXIT_OK
    backed_up = journal_ids(target / "Appendix1.xlsx.journal.sqlite")
    code, took = served.stop()
    assert code == 0 and took < 10, (code, took, served.log[-2000:])
    assert container_healthcheck(served) != 0  # nothing answers /healthz once stopped
    assert any(line.get("message") == "stopped" for line in served.json_lines())
    served.workbook.write_bytes(b"damaged after the backup")
    assert sli.main(["restore", str(target), "--workbook", str(served.workbook)]) == sli.EXIT_OK
    out = capsys.readouterr().out
    assert "Restored" in out and "before-restore-" in out
    assert served.workbook.read_bytes() == (target / "Appendix1.xlsx").read_bytes()
    assert journal_ids(Store.for_workbook(served.workbook).journal_path) == backed_up
    assert sli.main(["pending", "--workbook", str(served.workbook)]) == sli.EXIT_OK
