"""`sli serve` as a council runs it behind HTTPS: Slack over HTTP at the public address, the Teams bot with
its Entra registration, the add-in with Entra sign-in, all on one port. Each front end keeps its own
security exactly: Slack's signatures, Teams' token check, the add-in's sign-in and path guard. And what it
refuses to start with, in one sentence (exit 2)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import pytest
import teams_standin as ts
from serve_support import OFFICER, SECRET, Served, serve_env
from slack_standin import BoltHTTP, SlackStandIn
from test_socket_mode import SocketStandIn

import sli

PUBLIC = "https://sli.council.example"
#: A script call as xlwings' JavaScript client posts it (kept by tests/test_taskpane_browser.py).
CAPTURED = Path(__file__).resolve().parent / "officejs" / "captured"
REGISTRATION = {"SLI_TEAMS_CLIENT_ID": "1b2c3d4e-0000-4000-8000-123456789abc",
                "SLI_TEAMS_TENANT_ID": "00000000-0000-4000-8000-0000000000aa",
                "SLI_TEAMS_CLIENT_SECRET": "teams-client-secret-value"}
SIGN_IN = {"XLWINGS_AUTH_PROVIDERS": '["entraid"]',
           "XLWINGS_AUTH_ENTRAID_CLIENT_ID": "00000000-0000-0000-0000-000000000001",
           "XLWINGS_AUTH_ENTRAID_TENANT_ID": "00000000-0000-0000-0000-000000000002"}


def test_every_front_end_keeps_its_own_security_on_the_shared_port(workbook: Path, monkeypatch) -> None:
    with SlackStandIn() as standin:
        env = serve_env(SLACK_BOT_TOKEN="xoxb-registered", SLACK_SIGNING_SECRET=SECRET,
                        SLACK_API_URL=standin.base_url, SLI_PUBLIC_URL=PUBLIC, **REGISTRATION, **SIGN_IN)
        served = Served(workbook, env)
        try:
            body = served.ready()
            assert body["front_ends"] == ["slack (/slack/events)", "teams (/api/messages)", "addin (/taskpane)"]
            # Slack: signed is answered, unsigned or wrongly signed refused before anything runs.
            bolt = BoltHTTP(f"{served.url}/slack/events", SECRET, standin=standin)
            assert bolt.command(text="status 7", user_id=OFFICER)[0] == 200
            assert standin.wait_for("response_url")[0]["args"]["text"].startswith("L7 (")
            assert bolt.command(text="status 7", user_id=OFFICER, bad_signature=True)[0] == 401
            assert httpx.post(f"{served.url}/slack/events", content=b"command=/sli").status_code == 401
            # Teams: registered, so an activity without Microsoft's token is refused and nothing is posted.
            connector = ts.ConnectorStandIn()
            try:
                response = ts.post(f"{served.url}/api/messages",
                                   ts.activity(connector, ts.user("5e1a0c3d-7b2f-4e81-9c4a-000000000012"),
                                               text="status 7"))
                assert response.status_code == 401
                assert connector.mark() == 0
            finally:
                connector.close()
            # The add-in: the task pane is public, its manifest points at the public address (never the Host
            # header), and a script call without an Entra token is refused.
            status, page = served.get("/taskpane")
            assert status == 200 and "SLI Tracker" in page
            manifest = httpx.get(f"{served.url}/manifest", headers={"Host": "evil.example"}).text
            assert f"{PUBLIC}/taskpane" in manifest and "evil.example" not in manifest
            body = json.loads((CAPTURED / "validate_appendix1.json").read_text(encoding="utf-8"))
            call = httpx.post(f"{served.url}/xlwings/custom-scripts-call/validate_appendix1", json=body)
            assert call.status_code == 401 and "token" in call.text
            assert served.get("/static/..%2f..%2f..%2fetc/passwd")[0] == 404
            # A second server on the same workbook is refused, naming the running one.
            for name, value in {**env, "SLI_HOST": "127.0.0.1"}.items():
                monkeypatch.setenv(name, value)
            assert sli.main(["serve", "--port", "0", "--workbook", str(workbook)]) == sli.EXIT_USAGE
        finally:
            code, took = served.stop()
        assert code == 0 and took < 10


@pytest.mark.parametrize(("settings", "sentence"), [
    ({}, "Nothing to serve"),
    ({"SLACK_BOT_TOKEN": "xoxb-x"}, "Slack needs a way in"),
    ({"SLACK_BOT_TOKEN": "xoxb-x", "SLI_PUBLIC_URL": PUBLIC}, "needs SLACK_SIGNING_SECRET"),
    ({"SLI_TEAMS_CLIENT_ID": "1b2c3d4e-0000-4000-8000-123456789abc"}, "SLI_TEAMS_TENANT_ID"),
    ({"XLWINGS_AUTH_PROVIDERS": '["entraid"]'}, "set SLI_PUBLIC_URL"),
    ({"XLWINGS_AUTH_PROVIDERS": '["custom"]', "SLI_PUBLIC_URL": PUBLIC}, "fixed token 'test-token'"),
    ({"SLI_LOG_FORMAT": "xml", "SLACK_BOT_TOKEN": "xoxb-x"}, "SLI_LOG_FORMAT is 'xml'"),
    ({"SLI_PORT": "99999"}, "SLI_PORT is '99999'"),
])
def test_it_refuses_to_start_without_what_it_needs_in_one_sentence(
        workbook: Path, monkeypatch, capsys, settings: dict[str, str], sentence: str) -> None:
    wanted = serve_env(**settings)
    for name in set(os.environ) - set(wanted):
        monkeypatch.delenv(name)
    for name, value in wanted.items():
        monkeypatch.setenv(name, value)
    assert sli.main(["serve", "--port", "0", "--workbook", str(workbook)]) == sli.EXIT_USAGE
    err = capsys.readouterr().err
    assert sentence in err and err.count("\n") == 1 and "Traceback" not in err, err


def test_without_a_public_address_slack_comes_in_by_socket_mode(workbook: Path) -> None:
    """No SLI_PUBLIC_URL: Slack is reached from inside the council's network by Socket Mode (the stand-in's
    WebSocket, as tests/test_socket_mode.py), and nothing answers at /slack/events on the port."""
    with SlackStandIn() as standin:
        socket = SocketStandIn()
        standin.set_response("apps.connections.open", {"ok": True, "url": f"ws://127.0.0.1:{socket.port}/link"})
        env = serve_env(SLACK_BOT_TOKEN="xoxb-socket", SLACK_APP_TOKEN="xapp-socket", SLACK_API_URL=standin.base_url)
        served = Served(workbook, env)
        try:
            assert served.ready()["front_ends"] == ["slack (Socket Mode)"]
            assert httpx.post(f"{served.url}/slack/events", content=b"x").status_code == 404
            assert socket.connected.wait(20)
            socket.send({"envelope_id": "env-1", "type": "slash_commands", "accepts_response_payload": True,
                         "payload": {"command": "/sli", "text": "status 7", "user_id": OFFICER, "channel_id": "C1",
                                     "team_id": "T1", "api_app_id": "A1", "trigger_id": "1.2.3",
                                     "response_url": standin.response_url("sock")}})
            assert [ack["envelope_id"] for ack in socket.wait_acks(1, timeout=20)] == ["env-1"]
            assert standin.wait_for("response_url", timeout=20)[-1]["args"]["text"].startswith("L7 (")
        finally:
            code, took = served.stop()
            socket.close()
        assert code == 0 and took < 10, served.log[-2000:]
