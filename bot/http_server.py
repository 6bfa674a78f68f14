"""Serves the Bolt app over HTTP on `/slack/events` with the standard library's threading server.

Every request goes through `App.dispatch`, so Bolt checks the signature (401 when forged or over
five minutes old), acks, and runs listeners as in any Bolt deployment.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

from slack_bolt import App, BoltRequest

EVENTS_PATH = "/slack/events"


def serve(app: App, host: str = "127.0.0.1", port: int = 0, path: str = EVENTS_PATH) -> ThreadingHTTPServer:
    """A server bound to (host, port), not yet serving: call `serve_forever()` (or use `serve_in_thread`)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            parsed = urlparse(self.path)
            if parsed.path != path:
                self.send_error(404)
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8")
            headers = {key.lower(): [value] for key, value in self.headers.items()}
            response = app.dispatch(BoltRequest(body=body, query=parsed.query, headers=headers))
            payload = (response.body or "").encode("utf-8")
            self.send_response(response.status)
            for key, values in response.headers.items():
                for value in values:
                    if key.lower() != "content-length":
                        self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    return ThreadingHTTPServer((host, port), Handler)


def serve_in_thread(app: App, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    server = serve(app, host, port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
