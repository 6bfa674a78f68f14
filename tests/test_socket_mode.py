"""Socket Mode, as `sli bot` runs it when SLACK_APP_TOKEN is set: Bolt's own SocketModeHandler connects
to a local WebSocket stand-in (the URL `apps.connections.open` gives), which sends envelopes as Slack does."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import websockets.sync.server as websockets_sync
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_standin import SlackStandIn

from bot.app import Settings, create_app
from shared.reader import read_appendix


class SocketStandIn:
    """A WebSocket server on 127.0.0.1 playing Slack's Socket Mode side: hello, envelopes, collected acks."""

    def __init__(self) -> None:
        self.acks: list[dict] = []
        self.connected = threading.Event()
        self.connection = None
        self.server = websockets_sync.serve(self._handle, "127.0.0.1", 0)
        self.port = self.server.socket.getsockname()[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _handle(self, connection) -> None:
        self.connection = connection
        connection.send(json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A1"}}))
        self.connected.set()
        for raw in connection:
            self.acks.append(json.loads(raw))

    def send(self, envelope: dict) -> None:
        self.connection.send(json.dumps(envelope))

    def wait_acks(self, count: int, timeout: float = 10.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.acks) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.acks) >= count, self.acks
        return self.acks

    def close(self) -> None:
        self.server.shutdown()


def _event_envelope(envelope_id: str, event_id: str, retry: int, event: dict) -> dict:
    return {"envelope_id": envelope_id, "type": "events_api", "accepts_response_payload": False,
            "retry_attempt": retry, "retry_reason": "timeout" if retry else "",
            "payload": {"token": "x", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
                        "event_id": event_id, "event_time": int(time.time()), "event": event,
                        "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True}]}}


def test_socket_mode_answers_commands_and_a_retried_event_once(workbook: Path) -> None:
    with SlackStandIn() as standin:
        socket = SocketStandIn()
        standin.set_response("apps.connections.open", {"ok": True, "url": f"ws://127.0.0.1:{socket.port}/link"})
        app = create_app(Settings(bot_token="xoxb-test", app_token="xapp-test", api_url=standin.base_url,
                                  workbook=workbook))
        handler = SocketModeHandler(app, "xapp-test")
        try:
            handler.connect()
            assert socket.connected.wait(20)
            event = {"type": "message", "channel_type": "im", "channel": "D1", "user": "U07SLI0012",
                     "text": "status of 7", "ts": "1.1"}
            socket.send(_event_envelope("env-1", "Ev900", 0, event))
            socket.wait_acks(1, timeout=20)
            [post] = standin.wait_for("chat.postMessage", timeout=20)
            # Slack retries an event it thinks was missed: same event_id, a new envelope.
            socket.send(_event_envelope("env-2", "Ev900", 1, event))
            acks = socket.wait_acks(2, timeout=20)
            assert [a["envelope_id"] for a in acks] == ["env-1", "env-2"]
            time.sleep(0.5)
            assert len(standin.calls("chat.postMessage")) == 1
            assert post["args"]["text"].startswith(f"L7 ({read_appendix(workbook).rows['L7'].status})")

            socket.send({"envelope_id": "env-3", "type": "slash_commands", "accepts_response_payload": True,
                         "payload": {"command": "/sli", "text": "list at risk", "user_id": "U07SLI0012",
                                     "channel_id": "C1", "team_id": "T1", "api_app_id": "A1",
                                     "trigger_id": "1.2.3", "response_url": standin.response_url("sock")}})
            socket.wait_acks(3, timeout=20)
            reply = standin.wait_for("response_url", timeout=20)[-1]["args"]
            assert "Recommendations At risk" in reply["text"]
        finally:
            handler.close()
            socket.close()
