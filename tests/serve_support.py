"""`sli serve` as IT runs it: a real process on 127.0.0.1, its log collected, stopped with SIGTERM."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECRET = "serve-signing-secret"
BOT_TOKEN = "xoxb-serve-test-token-1234567890"
OFFICER = "U07SLI0006"   # Sana Iqbal, officer: may update any recommendation
#: Settings a developer's shell may carry that would change what these processes serve.
CLEARED = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL", "SLI_PUBLIC_URL",
           "SLI_ADDIN_PUBLIC_URL", "SLI_HOST", "SLI_PORT", "SLI_JOURNAL", "SLI_WORKBOOK", "SLI_LOG_FORMAT",
           "SLI_TEAMS_CLIENT_ID", "SLI_TEAMS_TENANT_ID", "SLI_TEAMS_CLIENT_SECRET", "SLI_TEAMS_CERTIFICATE")


def serve_env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CLEARED and not k.startswith("XLWINGS_")}
    return {**env, "SLI_POLL_SECONDS": "3600", **settings}


class Served:
    """`sli serve ARGS` in its own process: `port` once it says it serves, `log` (stderr lines so far)."""

    def __init__(self, workbook: Path, env: dict[str, str], *args: str, timeout: float = 60.0):
        self.workbook = workbook
        self.process = subprocess.Popen([sys.executable, str(ROOT / "sli.py"), "serve", "--port", "0",
                                         "--workbook", str(workbook), *args], env=env, cwd=ROOT,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read_log, daemon=True)
        self._reader.start()
        started = time.monotonic()
        line = self.process.stdout.readline()
        self.started_in = time.monotonic() - started
        found = re.search(r"on http://127\.0\.0\.1:(\d+)", line)
        if not found:
            self.process.kill()
            self.process.wait(10)
            self._reader.join(5)
            raise AssertionError(f"sli serve did not start: {line!r}\n" + "\n".join(self.lines))
        self.port = int(found.group(1))
        self.url = f"http://127.0.0.1:{self.port}"

    def _read_log(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    @property
    def log(self) -> str:
        return "\n".join(self.lines)

    def json_lines(self) -> list[dict]:
        out = []
        for line in self.lines:
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out

    def get(self, path: str, timeout: float = 10.0) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=timeout) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode("utf-8", "replace")

    def ready(self, until=lambda body: True, timeout: float = 20.0) -> dict:
        """/readyz once it answers 200 and `until(body)` holds (the start-up work is done), within `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            status, text = self.get("/readyz")
            body = json.loads(text)
            if status == 200 and until(body):
                return body
            if time.monotonic() > deadline:
                raise AssertionError(f"/readyz never became ready: {status} {body}")
            time.sleep(0.1)

    def stop(self, timeout: float = 15.0) -> tuple[int, float]:
        """SIGTERM, as systemd and `docker stop` send it: (exit code, seconds it took)."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout)
        took = time.monotonic() - started
        self._reader.join(5)
        return code, took

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self._reader.join(5)
