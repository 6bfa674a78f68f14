"""A local stand-in for the Bot Framework connector (an activity's `serviceUrl`), on 127.0.0.1 only.

The Teams bot answers by POSTing to `{serviceUrl}/v3/conversations/{id}/activities[/{replyToId}]`, as it
would to Microsoft's connector; this server records each activity it is sent so tests can read what a
person in Teams would see, and answers as the connector does (`{"id": ...}`). It also sends activities
to the bot (`send`) the way Teams does, with its own address as the serviceUrl.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

TENANT = "72f988bf-0000-4000-8000-00000000c0de"
BOT_ID = "28:sli-tracker-bot"


class ConnectorStandIn:
    """Records the activities the bot posts; `wait_for` blocks until enough have arrived."""

    def __init__(self) -> None:
        self.posted: list[dict] = []
        self.paths: list[str] = []
        self.authorizations: list[str | None] = []
        self._cond = threading.Condition()
        self._ids = itertools.count(1)
        #: Conversation ID -> seconds: posts there are recorded at once and answered that late (a slow connector).
        self.delays: dict[str, float] = {}
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with standin._cond:
                    standin.posted.append(body)
                    standin.paths.append(self.path)
                    standin.authorizations.append(self.headers.get("Authorization"))
                    standin._cond.notify_all()
                    late = standin.delays.get((body.get("conversation") or {}).get("id"), 0.0)
                if late > 0:
                    time.sleep(late)
                answer = json.dumps({"id": f"activity-{next(standin._ids)}"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_PUT = do_POST  # noqa: N815 (an update of an activity)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/_connector/"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def messages(self, start: int = 0) -> list[dict]:
        """The message activities posted since index `start` (typing indicators left out)."""
        with self._cond:
            return [a for a in self.posted[start:] if a.get("type") == "message"]

    def wait_for(self, count: int, start: int = 0, timeout: float = 10.0) -> list[dict]:
        """Wait until `count` messages have been posted since `start`; return them (fewer on timeout)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len([a for a in self.posted[start:] if a.get("type") == "message"]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
        return self.messages(start)

    def mark(self) -> int:
        with self._cond:
            return len(self.posted)


def user(aad: str, name: str = "Partner Lead") -> dict:
    return {"id": f"29:{aad}", "name": name, "aadObjectId": aad}


def activity(standin: ConnectorStandIn, sender: dict, *, text: str | None = None, value: dict | None = None,
             conversation: str = "a:personal-chat", conversation_type: str = "personal",
             kind: str = "message", team: str | None = None, **extra) -> dict:
    """A Bot Framework activity as Teams sends it (channelId msteams, the tenant, our serviceUrl)."""
    body = {"type": kind, "id": str(uuid.uuid4()), "channelId": "msteams", "serviceUrl": standin.url,
            "timestamp": "2026-11-27T10:00:00Z", "from": sender,
            "recipient": {"id": BOT_ID, "name": "SLI Tracker"},
            "conversation": {"id": conversation, "conversationType": conversation_type, "tenantId": TENANT},
            "channelData": {"tenant": {"id": TENANT}, **({"team": {"id": team}} if team else {})}}
    if text is not None:
        body["text"] = text
    if value is not None:
        body["value"] = value
    body.update(extra)
    return body


def post(bot_url: str, body: dict) -> httpx.Response:
    return httpx.post(bot_url, json=body, timeout=15)
