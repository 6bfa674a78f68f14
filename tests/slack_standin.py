"""A local stand-in for Slack's Web API, plus helpers that send signed requests to a Bolt app over HTTP.

Everything listens on 127.0.0.1 only. Typical use::

    with SlackStandIn() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.base_url)
        app = App(signing_secret=SECRET, client=client)   # App() calls auth.test: the stand-in answers
        url, stop = serve_bolt(app)
        try:
            bolt = BoltHTTP(url, SECRET, standin=slack)
            status, body = bolt.command("/sli", text="list")
            posted = slack.wait_for("chat.postMessage")   # work done after ack() runs in another thread
        finally:
            stop()

Every request the stand-in receives is recorded as a dict
``{"method", "args", "headers", "path", "status"}``: ``method`` is the Web API method
(``chat.postMessage``), ``"upload"`` for the file-upload POST of ``files_upload_v2`` and
``"response_url"`` for a POST to :meth:`SlackStandIn.response_url`; ``status`` is the HTTP status
the stand-in answered with (429 for an injected rate limit), so retried attempts show up too.
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import hmac
import itertools
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["SlackStandIn", "BoltHTTP", "sign", "serve_bolt", "JSON_FIELDS"]

HOST = "127.0.0.1"

#: Form fields that slack_sdk sends as JSON strings; the stand-in records them decoded.
JSON_FIELDS = frozenset(
    {
        "attachments",
        "blocks",
        "files",
        "metadata",
        "outputs",
        "payload",
        "unfurls",
        "user_auth_blocks",
        "view",
    }
)

Answer = dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]]


def _start(
    handler: type[BaseHTTPRequestHandler], **attrs: Any
) -> tuple[ThreadingHTTPServer, threading.Thread]:
    server = ThreadingHTTPServer((HOST, 0), handler)
    server.daemon_threads = True
    for name, value in attrs.items():
        setattr(server, name, value)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return server, thread


def _stop(server: ThreadingHTTPServer, thread: threading.Thread) -> None:
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _decode_json_fields(args: dict[str, Any]) -> dict[str, Any]:
    for key in JSON_FIELDS & args.keys():
        value = args[key]
        if isinstance(value, str) and value[:1] in ("{", "["):
            try:
                args[key] = json.loads(value)
            except ValueError:
                pass
    return args


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    """Fields of a multipart/form-data body: text parts as str, file parts as bytes."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        data = part.get_payload(decode=True) or b""
        fields[str(name)] = data if part.get_filename() else data.decode("utf-8", "replace")
    return fields


def parse_body(content_type: str, body: bytes) -> dict[str, Any]:
    """Decode a JSON, form-encoded or multipart request body into a dict (JSON_FIELDS decoded too)."""
    ctype = content_type.split(";", 1)[0].strip().lower()
    if not body:
        return {}
    if ctype == "application/json":
        parsed = json.loads(body.decode("utf-8"))
        return parsed if isinstance(parsed, dict) else {"_json": parsed}
    if ctype == "multipart/form-data":
        return _decode_json_fields(_parse_multipart(content_type, body))
    pairs = urllib.parse.parse_qs(body.decode("utf-8"), keep_blank_values=True)
    return _decode_json_fields({k: v[0] if len(v) == 1 else v for k, v in pairs.items()})


class _StandInHandler(BaseHTTPRequestHandler):
    server_version = "SlackStandIn/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass

    def do_GET(self) -> None:
        self._handle(b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._handle(self.rfile.read(length) if length else b"")

    def _handle(self, body: bytes) -> None:
        standin: SlackStandIn = self.server.standin  # type: ignore[attr-defined]
        status, headers, payload = standin._serve(self.path, dict(self.headers.items()), body)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class SlackStandIn:
    """A fake ``https://slack.com/api/`` on 127.0.0.1 that records every call.

    ``token``: when given, ``/api/`` calls whose bearer token (or ``token`` field) differs are
    answered ``{"ok": false, "error": "invalid_auth"}`` (HTTP 200, like Slack).
    """

    def __init__(self, token: str | None = None) -> None:
        self.token = token
        self._lock = threading.Condition()
        self._calls: list[dict[str, Any]] = []
        self._failures: dict[str, list[tuple[int, int | None, str]]] = {}
        self._answers: dict[str, Answer] = {}
        self._delays: dict[str, float] = {}
        self._views: dict[str, dict[str, Any]] = {}
        self._files: dict[str, dict[str, Any]] = {}
        self.uploads: dict[str, bytes] = {}
        self._counter = itertools.count(1)
        self._ts_base = int(time.time())
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> SlackStandIn:
        if self._server is None:
            self._server, self._thread = _start(_StandInHandler, standin=self)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            _stop(self._server, self._thread)
        self._server = self._thread = None

    def __enter__(self) -> SlackStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("SlackStandIn is not started")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """Root URL, ``http://127.0.0.1:PORT/``."""
        return f"http://{HOST}:{self.port}/"

    @property
    def base_url(self) -> str:
        """For ``WebClient(base_url=...)``; ends in ``/`` because slack_sdk joins with urljoin."""
        return f"{self.url}api/"

    def response_url(self, key: str = "r") -> str:
        """A ``response_url`` whose POSTs are recorded as method ``"response_url"``."""
        return f"{self.url}response/{urllib.parse.quote(key)}"

    # ----------------------------------------------------------------- test controls
    def calls(self, method: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [c for c in self._calls if method is None or c["method"] == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Block until ``count`` calls of ``method`` arrived; return them all. AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [c for c in self._calls if c["method"] == method]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [c["method"] for c in self._calls]
                    raise AssertionError(
                        f"waited {timeout}s for {count} {method!r} call(s), got {len(found)}; "
                        f"calls seen: {seen}"
                    )
                self._lock.wait(left)

    def fail_next(
        self, method: str, status: int = 429, retry_after: int | None = 1, error: str | None = None
    ) -> None:
        """Answer the next call of ``method`` with ``status`` (queued: call again for more failures).

        429 carries ``Retry-After: retry_after`` and ``{"ok": false, "error": "ratelimited"}``.
        With ``status=200`` and ``error`` it is a plain Slack error (``{"ok": false, "error": error}``).
        """
        if error is None:
            error = "ratelimited" if status == 429 else "internal_error"
        with self._lock:
            self._failures.setdefault(method, []).append((status, retry_after, error))

    def delay(self, method: str, seconds: float) -> None:
        """Answer every later call of ``method`` ``seconds`` late, as a slow Slack does (0 restores).
        The call is recorded (and ``wait_for`` sees it) when it arrives, before the wait."""
        with self._lock:
            self._delays[method] = seconds

    def set_response(self, method: str, answer: Answer | None) -> None:
        """Replace the default answer for ``method``: a dict or a callable ``args -> dict``; None restores."""
        with self._lock:
            if answer is None:
                self._answers.pop(method, None)
            else:
                self._answers[method] = answer

    def reset(self) -> None:
        """Forget recorded calls, uploads, views and pending failures (answers set by set_response stay)."""
        with self._lock:
            self._calls.clear()
            self._failures.clear()
            self._views.clear()
            self._files.clear()
            self.uploads.clear()

    # ----------------------------------------------------------------- request handling
    def _next(self) -> int:
        with self._lock:
            return next(self._counter)

    def _ts(self) -> str:
        return f"{self._ts_base}.{self._next():06d}"

    def _serve(
        self, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        split = urllib.parse.urlsplit(raw_path)
        path = split.path
        ctype = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        if path.startswith("/api/"):
            method = path[len("/api/") :]
        elif path.startswith("/upload/"):
            method = "upload"
        elif path.startswith("/response/"):
            method = "response_url"
        else:
            return 404, {"Content-Type": "text/plain"}, b"not found"

        if method == "upload":
            file_id = urllib.parse.unquote(path[len("/upload/") :])
            data = body
            if ctype.lower().startswith("multipart/form-data"):
                parts = [v for v in _parse_multipart(ctype, body).values() if isinstance(v, bytes)]
                data = parts[0] if parts else b""
            args: dict[str, Any] = {"file_id": file_id, "size": len(data)}
        else:
            try:
                args = parse_body(ctype, body)
            except ValueError:
                args = {"_raw": body.decode("utf-8", "replace")}
            for key, values in urllib.parse.parse_qs(split.query, keep_blank_values=True).items():
                args.setdefault(key, values[0] if len(values) == 1 else values)
            if method == "response_url":
                args.setdefault("_key", urllib.parse.unquote(path[len("/response/") :]))

        record = {"method": method, "args": args, "headers": headers, "path": path, "status": 200}
        with self._lock:
            queued = self._failures.get(method)
            failure = queued.pop(0) if queued else None
            answer = self._answers.get(method)
            if failure is None or failure[0] < 400:
                if method == "upload":
                    self.uploads[args["file_id"]] = data
            if failure is not None and failure[0] >= 400:
                record["status"] = failure[0]
            self._calls.append(record)
            self._lock.notify_all()
            late = self._delays.get(method, 0.0)
        if late > 0:
            time.sleep(late)

        json_headers = {"Content-Type": "application/json; charset=utf-8"}
        if failure is not None:
            status, retry_after, error = failure
            out = dict(json_headers)
            if status == 429 and retry_after is not None:
                out["Retry-After"] = str(retry_after)
            return status, out, json.dumps({"ok": False, "error": error}).encode()
        if method == "upload":
            return 200, {"Content-Type": "text/plain"}, f"OK - {len(data)}".encode()
        if method == "response_url":
            return 200, {"Content-Type": "text/plain"}, b"ok"
        if self.token is not None and self._token_of(headers, args) != self.token:
            return 200, json_headers, json.dumps({"ok": False, "error": "invalid_auth"}).encode()
        if answer is not None:
            result = answer(args) if callable(answer) else dict(answer)
        else:
            result = self._default_answer(method, args)
        return 200, json_headers, json.dumps(result).encode()

    @staticmethod
    def _token_of(headers: dict[str, str], args: dict[str, Any]) -> str | None:
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        if auth.lower().startswith("bearer "):
            return auth[7:].strip()
        token = args.get("token")
        return token if isinstance(token, str) else None

    def _view(self, args: dict[str, Any], view_id: str | None = None) -> dict[str, Any]:
        posted = args.get("view")
        posted = dict(posted) if isinstance(posted, dict) else {}
        n = self._next()
        view = {
            "id": view_id or f"V{n:08d}",
            "team_id": "T1",
            "app_id": "A1",
            "bot_id": "BBOT",
            "type": posted.get("type", "modal"),
            "blocks": [],
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            "state": {"values": {}},
            **posted,
            "hash": f"h{n:08d}",
        }
        view.setdefault("root_view_id", view["id"])
        with self._lock:
            self._views[view["id"]] = view
        return view

    def _default_answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://sli-test.slack.com/",
                "team": "SLI Test",
                "user": "sli-bot",
                "team_id": "T1",
                "user_id": "UBOT",
                "bot_id": "BBOT",
                "is_enterprise_install": False,
            }
        if method == "chat.postMessage":
            ts = self._ts()
            message = {
                "type": "message",
                "user": "UBOT",
                "bot_id": "BBOT",
                "ts": ts,
                "text": args.get("text", ""),
            }
            for key in ("blocks", "attachments", "thread_ts", "metadata"):
                if key in args:
                    message[key] = args[key]
            return {"ok": True, "channel": args.get("channel"), "ts": ts, "message": message}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._ts()}
        if method == "chat.update":
            message = {"type": "message", "user": "UBOT", "bot_id": "BBOT", "text": args.get("text", "")}
            if "blocks" in args:
                message["blocks"] = args["blocks"]
            return {
                "ok": True,
                "channel": args.get("channel"),
                "ts": args.get("ts"),
                "text": message["text"],
                "message": message,
            }
        if method == "chat.delete":
            return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}
        if method in ("views.open", "views.push", "views.publish"):
            view_id = None
            if method == "views.publish":  # one Home tab per user: keep its id
                view_id = f"VHOME{args.get('user_id', '')}"
            return {"ok": True, "view": self._view(args, view_id)}
        if method == "views.update":
            view_id = args.get("view_id")
            with self._lock:
                if view_id is None and args.get("external_id"):
                    view_id = next(
                        (k for k, v in self._views.items() if v.get("external_id") == args["external_id"]),
                        None,
                    )
                current = self._views.get(view_id) if view_id else None
            if view_id is None and not args.get("external_id"):
                return {"ok": False, "error": "invalid_arguments"}
            if current is not None and args.get("hash") and args["hash"] != current["hash"]:
                return {"ok": False, "error": "hash_conflict"}
            return {"ok": True, "view": self._view(args, view_id)}
        if method == "conversations.open":
            users = args.get("users") or args.get("user") or ""
            first = users.split(",")[0] if isinstance(users, str) else users[0]
            return {"ok": True, "channel": {"id": f"D{first}"}}
        if method == "users.info":
            user = args.get("user", "")
            name = f"User {user}"
            return {
                "ok": True,
                "user": {
                    "id": user,
                    "team_id": "T1",
                    "name": user.lower(),
                    "real_name": name,
                    "tz": "Europe/London",
                    "is_bot": False,
                    "profile": {
                        "real_name": name,
                        "display_name": name,
                        "email": f"{user.lower()}@example.org",
                    },
                },
            }
        if method == "files.getUploadURLExternal":
            file_id = f"F{self._next():08d}"
            with self._lock:
                self._files[file_id] = {"name": args.get("filename"), "size": int(args.get("length") or 0)}
            return {"ok": True, "upload_url": f"{self.url}upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            channel = args.get("channel_id") or args.get("channels")
            files = []
            for item in args.get("files") or []:
                with self._lock:
                    meta = self._files.get(item.get("id"), {})
                    size = len(self.uploads.get(item.get("id"), b""))
                name = meta.get("name")
                files.append(
                    {
                        "id": item.get("id"),
                        "name": name,
                        "title": item.get("title") or name,
                        "size": size,
                        "channels": [channel] if channel else [],
                        "permalink": f"https://sli-test.slack.com/files/UBOT/{item.get('id')}/{name}",
                    }
                )
            return {"ok": True, "files": files}
        return {"ok": True}


# --------------------------------------------------------------------------- signing and the Bolt client


def sign(signing_secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """Slack's request-signing headers for ``body`` (v0 HMAC-SHA256 over ``v0:{ts}:{body}``)."""
    ts = str(int(time.time()) if timestamp is None else int(timestamp))
    base = b"v0:" + ts.encode() + b":" + body
    digest = hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


class BoltHTTP:
    """Sends signed Slack-shaped requests to a Bolt app's URL; methods return ``(status, body_text)``.

    ``standin``: when given, commands get ``response_url=standin.response_url(...)`` by default.
    Every request method takes ``timestamp=`` (forge a stale one) and ``bad_signature=True``.
    The last response's headers are kept in ``last_headers``.
    """

    def __init__(
        self, url: str, signing_secret: str, standin: SlackStandIn | None = None, timeout: float = 10.0
    ) -> None:
        self.url = url
        self.signing_secret = signing_secret
        self.standin = standin
        self.timeout = timeout
        self.last_headers: dict[str, str] = {}
        self._counter = itertools.count(1)

    def post(
        self,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
        timestamp: int | None = None,
        bad_signature: bool = False,
    ) -> tuple[int, str]:
        secret = self.signing_secret + ("-wrong" if bad_signature else "")
        all_headers = {"Content-Type": content_type, **sign(secret, body, timestamp), **(headers or {})}
        request = urllib.request.Request(self.url, data=body, headers=all_headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:
                self.last_headers = dict(resp.headers.items())
                return resp.status, resp.read().decode("utf-8")
        except urllib.error.HTTPError as err:
            self.last_headers = dict(err.headers.items()) if err.headers else {}
            return err.code, err.read().decode("utf-8")

    def _form(self, fields: dict[str, Any], **opts: Any) -> tuple[int, str]:
        body = urllib.parse.urlencode(fields).encode()
        return self.post(body, "application/x-www-form-urlencoded", **opts)

    def command(
        self,
        command: str = "/sli",
        text: str = "",
        user_id: str = "U123",
        channel_id: str = "C1",
        trigger_id: str | None = None,
        response_url: str | None = None,
        *,
        timestamp: int | None = None,
        bad_signature: bool = False,
        **extra: Any,
    ) -> tuple[int, str]:
        """A slash command, form-encoded as Slack sends it; ``extra`` adds or overrides fields."""
        n = next(self._counter)
        if response_url is None:
            # Port 9 (discard) on loopback: a respond() without a stand-in fails fast and stays local.
            response_url = (
                self.standin.response_url(f"cmd{n}") if self.standin else f"http://{HOST}:9/response/cmd{n}"
            )
        fields = {
            "token": "verification-token",
            "team_id": "T1",
            "team_domain": "sli-test",
            "channel_id": channel_id,
            "channel_name": "general" if channel_id.startswith("C") else "directmessage",
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A1",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id or f"{n}.{int(time.time())}.trigger{n:04d}",
            **{k: str(v) for k, v in extra.items()},
        }
        return self._form(fields, timestamp=timestamp, bad_signature=bad_signature)

    def interactive(
        self, payload: dict[str, Any], *, timestamp: int | None = None, bad_signature: bool = False
    ) -> tuple[int, str]:
        """An interactivity request (block_actions, view_submission, shortcut...): form ``payload=<json>``."""
        return self._form({"payload": json.dumps(payload)}, timestamp=timestamp, bad_signature=bad_signature)

    def event(
        self,
        event: dict[str, Any],
        event_id: str = "Ev1",
        retry_num: int | None = None,
        *,
        retry_reason: str = "http_timeout",
        timestamp: int | None = None,
        bad_signature: bool = False,
    ) -> tuple[int, str]:
        """An Events API ``event_callback`` envelope (JSON); ``retry_num`` adds Slack's retry headers."""
        envelope = {
            "token": "verification-token",
            "team_id": "T1",
            "api_app_id": "A1",
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": "T1",
                    "user_id": "UBOT",
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        return self.post(
            json.dumps(envelope).encode(),
            "application/json",
            headers=headers,
            timestamp=timestamp,
            bad_signature=bad_signature,
        )


# --------------------------------------------------------------------------- serving a Bolt App over HTTP


def serve_bolt(app: Any, path: str = "/slack/events") -> tuple[str, Callable[[], None]]:
    """Serve a slack_bolt ``App`` on 127.0.0.1 at ``/slack/events``; return ``(url, stop)``."""
    from bot.http_server import serve_in_thread  # the bot's own HTTP entry point, so tests serve what runs

    server = serve_in_thread(app, host=HOST)

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return f"http://{HOST}:{server.server_port}{path}", stop
