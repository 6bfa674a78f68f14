"""One Graph client (httpx): the bearer token, `Retry-After` honoured, every request counted.

Microsoft's "Error handling for Excel APIs": after an error answer with `Retry-After` (429 and 503 always)
no request of any kind goes out before it passes; a 429 or 503 is then sent again (it was not applied). Any
other error is raised as the kind the write path acts on (`errors.error_of`); a request that may have changed
the workbook and got no answer is `Unanswered`, never resent here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from shared.graph.errors import GraphError, Throttled, Unanswered, error_of

#: How often one request is sent again after 429/503 before the update is left waiting.
RETRIES = 4
#: The longest single wait a `Retry-After` may ask for here; longer ones leave the update waiting.
LONGEST_WAIT_SECONDS = 120.0
_SAFE = ("GET", "HEAD")


class GraphClient:
    """Requests to `base_url` (SLI_GRAPH_URL) with `token`; `count` is how many were sent (README table)."""

    def __init__(self, base_url: str, token: Callable[[], str], timeout: float = 30.0,
                 sleep: Callable[[float], None] = time.sleep):
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._sleep = sleep
        self.count = 0
        self.http = httpx.Client(timeout=timeout, follow_redirects=False)
        #: No request before this (time.monotonic()): a `Retry-After` on any error answer is a cooldown.
        self._quiet_until = 0.0
        self._clock = time.monotonic

    def close(self) -> None:
        self.http.close()

    def request(self, method: str, path: str, body: Any = None, session: str | None = None) -> httpx.Response:
        """`method path` answered 2xx/3xx, after honouring `Retry-After`; an error as `errors.GraphError`."""
        writes = method not in _SAFE
        for attempt in range(RETRIES + 1):
            self._cool_down()
            headers = {"Authorization": f"Bearer {self._token()}"}
            if session:
                headers["workbook-session-id"] = session
            self.count += 1
            try:
                response = self.http.request(method, self.base_url + path, json=body, headers=headers)
            except httpx.TransportError as exc:
                if writes:
                    raise Unanswered("Microsoft Graph did not answer a write; whether it landed is checked in "
                                     "the Change log before anything is written again") from exc
                if attempt == RETRIES:
                    raise GraphError(f"Microsoft Graph could not be reached at {self.base_url}.") from None
                continue
            status = response.status_code
            if status in (429, 503) or (status >= 400 and "Retry-After" in response.headers):
                self._quiet_until = max(self._quiet_until, self._clock() + _retry_after(response))
            if response.status_code in (429, 503) and attempt < RETRIES:
                if _retry_after(response) <= LONGEST_WAIT_SECONDS:
                    continue  # sent again once the cooldown passed
            if response.status_code >= 400:
                raise error_of(response, writes)
            return response
        raise error_of(response, writes)

    def _cool_down(self) -> None:
        """Wait out a `Retry-After` an earlier answer gave ("Error handling for Excel APIs": no request of any
        kind before it passes); one too long to wait leaves the work for a later pass without sending."""
        wait = self._quiet_until - self._clock()
        if wait <= 0:
            return
        if wait > LONGEST_WAIT_SECONDS:
            raise Throttled("Microsoft 365 asked the tracker to wait before its next request (throttled).", 429)
        self._sleep(wait)

    def json(self, method: str, path: str, body: Any = None, session: str | None = None) -> dict:
        response = self.request(method, path, body, session)
        return response.json() if response.content else {}

    def download(self, path: str) -> bytes:
        """A file's bytes: `GET …/content` answers 302 to a pre-authenticated address, fetched without the
        token (it must not leave for another host)."""
        response = self.request("GET", path)
        if response.status_code in (301, 302, 303, 307, 308):
            location = response.headers.get("Location", "")
            try:
                response = self.http.get(location)
            except httpx.TransportError:
                raise GraphError("The workbook's download from Microsoft 365 failed; try again.") from None
            if response.status_code >= 400:
                raise GraphError(f"The workbook's download from Microsoft 365 failed ({response.status_code}).")
        return response.content


def _retry_after(response: httpx.Response) -> float:
    """Seconds the answer asks to wait (Graph gives whole seconds); 1 when it names none."""
    try:
        return max(0.0, float(response.headers.get("Retry-After", "1")))
    except ValueError:
        return 1.0
