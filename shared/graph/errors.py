"""Graph's error answers as what the write path does with them, following Microsoft's "Error handling for Excel
APIs" (the second-level code in `innerError` decides, then the top-level code, then the status).

Every one is a `WorkbookError` (a front end shows its one sentence). `NothingWritten` ones are also a
`PackageError`: the use cases keep such an update `pending` (nothing reached the workbook) rather than
`writing`, and they are expected, so no stack is logged. `Unanswered` is the one whose write may have landed:
the update stays `writing` and the next pass settles it from the Change log, never writing it twice.
"""

from __future__ import annotations

import httpx

from shared.reader import WorkbookError
from shared.xlsx import PackageError

#: Second-level codes meaning another client holds the workbook: wait, do not resend until it is resolved.
BUSY_CODES = {"accessconflict", "invalidsessionaccessconflict", "conflictuncategorized", "resourcelocked"}
#: A session that may be made again and the work redone from its read.
RECREATABLE = "invalidsessionrecreatable"


class GraphError(WorkbookError):
    """Graph answered with an error this cannot act on; the message is one sentence for the user."""

    def __init__(self, message: str, status: int = 0, code: str = ""):
        super().__init__(message)
        self.status, self.code = status, code


class NothingWritten(GraphError, PackageError):
    """Refused before anything was written: the update waits."""


class Busy(NothingWritten):
    """Another client holds the workbook (`accessConflict`, `invalidSessionAccessConflict`, 423)."""


class Throttled(NothingWritten):
    """429 or 503 still, after waiting as `Retry-After` said: the update waits for the next pass."""


class Denied(NothingWritten):
    """401 or 403: the sign-in or the app's permission is what the admin must fix."""


class Changed(NothingWritten):
    """A target cell changed between the read and the write (an officer's edit): checked again next time."""


class SessionLost(GraphError):
    """`invalidSessionReCreatable`: make a new session and redo the update from its read."""


class Unanswered(GraphError):
    """A write whose answer never came, or a 5xx after it was sent: it may have landed."""


#: Why an update waits while another client holds the workbook (follows "Not written yet: ").
BUSY_SENTENCE = "the workbook is busy in SharePoint or OneDrive (another person or program holds it for editing)"


def codes(body: object) -> tuple[str, str]:
    """(top-level code, second-level code), lower case; empty when the body says none."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "", ""
    inner = error.get("innerError") or error.get("innererror") or {}
    return str(error.get("code") or "").lower(), str(inner.get("code") or "").lower()


def error_of(response: httpx.Response, writes: bool) -> GraphError:
    """The error an answer means; `writes` when the request could have changed the workbook."""
    try:
        body = response.json()
    except ValueError:
        body = None
    return error_from(response.status_code, body, writes)


def error_from(status: int, body: object, writes: bool) -> GraphError:
    """The error a status and body mean (an answer, or one answer inside a `$batch`)."""
    top, inner = codes(body)
    if inner == RECREATABLE or top == RECREATABLE:
        return SessionLost("the workbook session expired", status, inner)
    if inner in BUSY_CODES or top in BUSY_CODES or status == 423:
        return Busy(BUSY_SENTENCE + ".", status, inner or top)
    if status in (429, 503):  # still asked to wait after the client's retries: nothing was applied
        return Throttled("Microsoft 365 asked the tracker to wait before its next request (throttled).", status,
                         inner or top)
    if status == 401:
        return Denied("Microsoft Graph did not accept the sign-in (401): the admin must sign in again with "
                      "'sli graph login' or renew SLI_GRAPH_TOKEN.", status, inner or top)
    if status == 403:
        return Denied("Microsoft Graph refused access to the workbook (403): the admin must give the signed-in "
                      "account edit rights on the file and the app the Files.ReadWrite.All permission (or, "
                      "signed in with a certificate, a write grant on the site under Sites.Selected) "
                      "(README, 'For IT: the workbook in SharePoint or OneDrive').", status, inner or top)
    if status == 404:
        return GraphError("Microsoft Graph found no workbook at that address (404): check SLI_WORKBOOK, and "
                          "that the signed-in account can open the file.", status, inner or top)
    if status >= 500 and writes:
        return Unanswered(f"Microsoft Graph failed while writing ({status}); whether the write landed is "
                          "checked in the Change log before anything is written again", status, inner or top)
    return GraphError(f"Microsoft Graph answered {status} ({inner or top or 'no code'}).", status, inner or top)
