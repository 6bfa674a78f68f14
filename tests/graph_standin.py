"""A stand-in for Microsoft Graph's drive and Excel workbook APIs, over a real .xlsx on disk, on 127.0.0.1.

No emulator of Graph exists, so the tests of the remote workbook (shared/graph/) run against this. It follows
Microsoft's pages in microsoftgraph/microsoft-graph-docs-contrib:

- `api-reference/v1.0/api/driveitem-get.md`, `shares-get.md` (`/shares/u!{base64url}/driveItem`),
  `driveitem-get-content.md` (`GET …/content` answers 302 to a pre-authenticated download address),
  `driveitem-put-content.md` (a whole-file upload; 423 while someone has the file open for editing);
- `workbook-createsession.md`, `workbook-closesession.md` and `concepts/excel-manage-sessions.md` ("Manage
  sessions": persistent or not, the `workbook-session-id` header, expiry after minutes idle);
- `worksheet-list.md`, `worksheetcollection-add.md`, `worksheet-range.md`, `range-update.md` ("range: update":
  `values`, `numberFormat`; `null` leaves a cell as it is, `""` clears it), `worksheet-usedrange.md`;
- `concepts/json-batching.md` (`POST /$batch`, `dependsOn`, fully sequential or fully parallel (refused
  here otherwise), at most 20 requests; each request carries its own
  headers, so a session's `workbook-session-id` goes in each one's `headers`, not only on the batch);
- `concepts/workbook-error-handling.md` and `workbook-error-codes.md` ("Error handling for Excel APIs": the
  second-level code in `innerError` decides; `Retry-After` is a cooldown).

Strings written into cells are typed as Excel's UI would in en-US (what Graph does): a leading apostrophe keeps
text (and is not part of the value), `=…` is a formula, `07/08/2026` is 8 July 2026 and `2026-08-07` and
`1/2` are days too (serial numbers with a date format), `+44…`, `1e5` and `50%` numbers, `12:30` a time, `TRUE` a
boolean; a cell formatted `@` keeps any string as text. A range PATCH without a
session, or in a session made with `persistChanges: false`, is answered but never reaches the file (users report
this of the real service). Every kept change gives the item a new `cTag`.

Faults are injected by the tests: `fail(...)` answers a matching request with an error (before or after applying
it), `drop(...)` applies a request and closes the connection without answering, `before(...)` runs a callable
(an officer's edit in Excel for the web) before a matching request is served. `requests` lists every request
served as (method, path), so the tests count Graph round trips.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as day_time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import openpyxl
from openpyxl.utils import column_index_from_string, get_column_letter

EPOCH = datetime(1899, 12, 30)
DRIVE_ID = "b!standinDrive0123"
ITEM_ID = "01STANDINITEM0000000000000000000"
ITEM_PATH = f"/drives/{DRIVE_ID}/items/{ITEM_ID}"
_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})$")
_NUMBER = re.compile(r"^[+-]?(\d[\d ,]*)(\.\d+)?([eE][+-]?\d+)?%?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DAY_MONTH = re.compile(r"^(\d{1,2})/(\d{1,2})$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_CELL = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")


def share_id(url: str) -> str:
    """The `/shares/{id}` of a sharing address, as Microsoft documents: `u!` + unpadded base64url of the URL."""
    return "u!" + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=").replace("/", "_").replace("+", "-")


def serial(value: date | datetime) -> float | int:
    """Excel's serial number of a day (and time)."""
    moment = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
    days = (moment - EPOCH) / timedelta(days=1)
    return int(days) if days == int(days) else days


def excel_typed(text: str) -> tuple[object, str | None, bool]:
    """A string as Excel's UI (en-US) would type it: (value, number format it sets or None, quote prefix)."""
    if text.startswith("'"):
        return text[1:], None, True
    if text.startswith("="):
        return text, None, False
    if text.strip().upper() in ("TRUE", "FALSE"):
        return text.strip().upper() == "TRUE", None, False
    if match := _DATE.match(text.strip()):
        month, day, year = (int(part) for part in match.groups())
        year = year + 2000 if year < 100 else year
        try:
            return datetime(year, month, day), "m/d/yyyy", False
        except ValueError:
            return text, None, False
    if match := _ISO_DATE.match(text.strip()):
        try:
            return datetime(*(int(part) for part in match.groups())), "yyyy-mm-dd", False
        except ValueError:
            return text, None, False
    if match := _DAY_MONTH.match(text.strip()):  # 1/2 is 2 January of this year
        try:
            return datetime(date.today().year, *(int(part) for part in match.groups())), "d-mmm", False
        except ValueError:
            return text, None, False
    if match := _TIME.match(text.strip()):
        hours, minutes = (int(part) for part in match.groups())
        if hours < 24 and minutes < 60:
            return (hours * 60 + minutes) / 1440, "h:mm", False
    if _NUMBER.match(text.strip()):
        digits = text.strip().replace(" ", "").replace(",", "")
        number = float(digits.rstrip("%")) / (100 if digits.endswith("%") else 1)
        return (int(number) if number.is_integer() else number), ("0%" if digits.endswith("%") else None), False
    return text, None, False


def _cells(address: str) -> tuple[int, int, int, int]:
    """(first row, first column, last row, last column), 1-based, of `A1` or `A1:C3`."""
    first, _, last = address.partition(":")
    last = last or first
    (c1, r1), (c2, r2) = (_CELL.match(part.upper()).groups() for part in (first, last))
    return int(r1), column_index_from_string(c1), int(r2), column_index_from_string(c2)


@dataclass
class Fault:
    method: str
    pattern: str
    status: int = 0
    code: str = ""
    retry_after: float | None = None
    after_apply: bool = False
    drop: bool = False
    action: Callable[[], None] | None = None
    times: int = 1
    skip: int = 0
    #: Match the whole path (after /v1.0) rather than a part of it.
    exact: bool = False


@dataclass
class Session:
    id: str
    persist: bool
    last_used: datetime
    closed: bool = False


@dataclass
class GraphStandIn:
    """Serves one workbook file as a drive item; `url` is what SLI_GRAPH_URL takes."""

    path: Path
    name: str = "Appendix1.xlsx"
    share_url: str = "https://council.sharepoint.com/:x:/s/SLI/EabcDEF123?e=xyz"
    token: str = "standin-token"
    session_idle: timedelta = timedelta(minutes=5)
    open_for_editing: bool = False
    requests: list[tuple[str, str]] = field(default_factory=list)
    #: When each request in `requests` arrived (time.monotonic()).
    times: list[float] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    sessions: dict[str, Session] = field(default_factory=dict)
    ctag_version: int = 1
    now: Callable[[], datetime] = datetime.now
    #: Sessions that answered a 5xx or an `invalidSession…` code: "Error handling for Excel APIs" expects no
    #: further request in them; `spent_used` lists any that came (method, path), for the tests to assert on.
    spent: set[str] = field(default_factory=set)
    spent_used: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lock = threading.RLock()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def _serve(self) -> None:
                standin._handle(self)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve  # noqa: N815 (http.server's names)

        class Server(ThreadingHTTPServer):
            request_queue_size = 64
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    # --- what tests use -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1.0"

    @property
    def graph_address(self) -> str:
        return f"graph:/drives/{DRIVE_ID}/items/{ITEM_ID}"

    @property
    def ctag(self) -> str:
        return f'"c:{{{ITEM_ID}}},{self.ctag_version}"'

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail(self, method: str, pattern: str, status: int, code: str = "", retry_after: float | None = None,
             after_apply: bool = False, times: int = 1, skip: int = 0) -> None:
        """The next `times` requests whose path contains `pattern` (after `skip` of them) get `status` with
        second-level `code`; `after_apply` applies the request first (a 5xx after the change was kept)."""
        self.faults.append(Fault(method, pattern, status, code, retry_after, after_apply, times=times, skip=skip))

    def drop(self, method: str, pattern: str, skip: int = 0) -> None:
        """The next matching request (after `skip`) is applied, then the connection closes without an answer."""
        self.faults.append(Fault(method, pattern, after_apply=True, drop=True, skip=skip))

    def before(self, method: str, pattern: str, action: Callable[[], None], skip: int = 0,
               exact: bool = False) -> None:
        """`action` runs just before the next matching request (after `skip`) is served (an officer's edit);
        `exact` matches the whole path after /v1.0 (`ITEM_PATH` is the item alone, not its content)."""
        self.faults.append(Fault(method, pattern, action=action, skip=skip, exact=exact))

    def graph_requests(self, start: int = 0) -> list[tuple[str, str]]:
        """The Graph requests served since `start` (the pre-authenticated download is not Graph)."""
        return [r for r in self.requests[start:] if not r[1].startswith("/download/")]

    def edit(self, sheet: str, address: str, value: object) -> None:
        """An officer's edit in Excel for the web: kept at once, a new cTag."""
        with self.lock:
            book = openpyxl.load_workbook(self.path)
            book[sheet][address].value = value
            book.save(self.path)
            self.ctag_version += 1

    def cell(self, sheet: str, address: str) -> openpyxl.cell.Cell:
        return openpyxl.load_workbook(self.path)[sheet][address]

    # --- serving --------------------------------------------------------------------------------

    def _fault_for(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                here = unquote(path).removeprefix("/v1.0")
                if fault.method == method and (here == fault.pattern if fault.exact else fault.pattern in here):
                    if fault.skip:
                        fault.skip -= 1
                        continue
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def _handle(self, http: BaseHTTPRequestHandler) -> None:
        method, path = http.command, urlsplit(http.path).path
        length = int(http.headers.get("Content-Length") or 0)
        raw = http.rfile.read(length) if length else b""
        self.requests.append((method, unquote(path)))
        self.times.append(time.monotonic())
        fault = self._fault_for(method, path)
        if fault and fault.action:
            fault.action()
            fault = None
        if not path.startswith("/download/") and http.headers.get("Authorization") != f"Bearer {self.token}":
            return self._answer(http, *_error(401, "InvalidAuthenticationToken", "unauthorizedUncategorized"))
        self._note_session(http.headers.get("workbook-session-id"), method, path, 0, "")
        if fault and not fault.after_apply:
            self._note_session(http.headers.get("workbook-session-id"), method, path, fault.status, fault.code)
            return self._answer(http, *_error(fault.status, _top(fault.status), fault.code), fault.retry_after)
        status, body, headers = self._route(method, unquote(path), raw, http.headers)
        if isinstance(body, dict) and "error" in body:
            self._note_session(http.headers.get("workbook-session-id"), method, path, status,
                               str((body["error"].get("innerError") or {}).get("code", "")))
        if fault and fault.drop:
            http.close_connection = True
            http.connection.shutdown(2)
            return None
        if fault:
            inner = json.loads(raw or b"{}").get("requests", []) if path.endswith("/$batch") else []
            for request in inner:  # a failed batch spends the sessions its requests were in
                self._note_session((request.get("headers") or {}).get("workbook-session-id"), "POST", path,
                                   fault.status, fault.code)
            return self._answer(http, *_error(fault.status, _top(fault.status), fault.code), fault.retry_after)
        return self._answer(http, status, body, None, headers)

    def _answer(self, http: BaseHTTPRequestHandler, status: int, body: object, retry_after: float | None = None,
                headers: dict[str, str] | None = None) -> None:
        data = body if isinstance(body, bytes) else (b"" if body is None else json.dumps(body).encode())
        http.send_response(status)
        http.send_header("Content-Type", "application/octet-stream" if isinstance(body, bytes)
                         else "application/json")
        http.send_header("Content-Length", str(len(data)))
        if retry_after is not None:
            http.send_header("Retry-After", f"{retry_after:g}")
        for name, value in (headers or {}).items():
            http.send_header(name, value)
        http.end_headers()
        http.wfile.write(data)

    def _route(self, method: str, path: str, raw: bytes, headers) -> tuple[int, object, dict[str, str]]:
        path = path.removeprefix("/v1.0")
        if path.startswith("/download/"):
            return 200, self.path.read_bytes(), {}
        if method == "POST" and path == "/$batch":
            answer = self._batch(json.loads(raw or b"{}"), headers)
            return (*answer, {}) if isinstance(answer, tuple) else (200, answer, {})
        body = json.loads(raw) if raw and method in ("POST", "PATCH") else None
        return self._resource(method, path, body, headers.get("workbook-session-id"), raw)

    def _batch(self, batch: dict, headers) -> dict | tuple[int, dict]:
        requests = batch.get("requests", [])
        if len(requests) > 20:
            return _error(400, "BadRequest", "")
        chained = all(r.get("dependsOn") == [requests[i - 1]["id"]] for i, r in enumerate(requests) if i)
        if any(r.get("dependsOn") for r in requests) and not (chained and not requests[0].get("dependsOn")):
            return _error(400, "BadRequest", "")  # "either fully sequential or fully parallel"
        responses, failed = [], set()
        for request in batch.get("requests", []):
            if any(d in failed for d in request.get("dependsOn", [])):
                responses.append({"id": request["id"], "status": 424, "body": _error(424, "failedDependency",
                                                                                       "")[1]})
                failed.add(request["id"])
                continue
            # each request's headers are its own ("JSON batching"): the batch's header is not passed on
            merged = {**{k.lower(): v for k, v in (request.get("headers") or {}).items()}}
            session = merged.get("workbook-session-id")
            url = "/" + unquote(request["url"]).lstrip("/")
            self._note_session(session, request["method"], url, 0, "")
            fault = self._fault_for(request["method"], url)
            if fault and fault.action:
                fault.action()
                fault = None
            if fault and not fault.after_apply:
                status, body = _error(fault.status, _top(fault.status), fault.code)
            else:
                status, body, _ = self._resource(request["method"], url.split("?")[0], request.get("body"),
                                                 session, b"")
                if fault:
                    status, body = _error(fault.status, _top(fault.status), fault.code)
            self._note_session(session, request["method"], url, status,
                               str(((body or {}).get("error") or {}).get("innerError", {}).get("code", ""))
                               if isinstance(body, dict) else "")
            if status >= 400:
                failed.add(request["id"])
            responses.append({"id": request["id"], "status": status, "body": body})
        return {"responses": responses}

    def _note_session(self, session: str | None, method: str, path: str, status: int, code: str) -> None:
        """Before a request (`status` 0): note one sent in a spent session; after: spend the session on a 5xx
        or an `invalidSession…` answer."""
        if not session:
            return
        with self.lock:
            if status == 0 and session in self.spent:
                self.spent_used.append((method, unquote(path)))
            elif status >= 500 or code.lower().startswith("invalidsession"):
                self.spent.add(session)

    def _item(self) -> dict:
        return {"id": ITEM_ID, "name": self.name, "cTag": self.ctag, "eTag": f'"{{{ITEM_ID}}},{self.ctag_version}"',
                "size": self.path.stat().st_size, "file": {}, "parentReference": {"driveId": DRIVE_ID},
                "webUrl": self.share_url}

    def _resource(self, method: str, path: str, body: object, session_id: str | None,
                  raw: bytes) -> tuple[int, object, dict[str, str]]:
        if path.startswith("/shares/"):
            wanted = share_id(self.share_url)
            if path == f"/shares/{wanted}/driveItem" and method == "GET":
                return 200, self._item(), {}
            return (*_error(404, "itemNotFound", "itemNotFound"), {})
        prefix = f"/drives/{DRIVE_ID}/items/{ITEM_ID}"
        if not path.startswith(prefix):
            return (*_error(404, "itemNotFound", "itemNotFound"), {})
        rest = path[len(prefix):]
        if rest == "" and method == "GET":
            return 200, self._item(), {}
        if rest == "/content" and method == "GET":
            base = self.url.removesuffix("/v1.0")
            return 302, None, {"Location": f"{base}/download/{uuid.uuid4().hex}"}
        if rest == "/content" and method == "PUT":
            if self.open_for_editing:
                return (*_error(423, "resourceLocked", "resourceLocked"), {})
            self.path.write_bytes(raw)
            self.ctag_version += 1
            return 200, self._item(), {}
        if rest.startswith("/workbook"):
            return (*self._workbook(method, rest.removeprefix("/workbook"), body, session_id), {})
        return (*_error(404, "itemNotFound", "itemNotFound"), {})

    # --- the workbook API -----------------------------------------------------------------------

    def _session(self, session_id: str | None) -> tuple[Session | None, tuple[int, dict] | None]:
        if not session_id:
            return None, None
        with self.lock:
            session = self.sessions.get(session_id)
            if session is None or session.closed or self.now() - session.last_used > self.session_idle:
                return None, _error(404, "itemNotFound", "invalidSessionReCreatable")
            session.last_used = self.now()
            return session, None

    def _workbook(self, method: str, rest: str, body: object, session_id: str | None) -> tuple[int, object]:
        if rest == "/createSession" and method == "POST":
            session = Session(uuid.uuid4().hex, bool((body or {}).get("persistChanges")), self.now())
            self.sessions[session.id] = session
            return 201, {"id": session.id, "persistChanges": session.persist}
        session, problem = self._session(session_id)
        if problem:
            return problem
        if rest == "/closeSession" and method == "POST":
            if session:
                session.closed = True
            return 204, None
        keep = session is not None and session.persist
        with self.lock:
            book = openpyxl.load_workbook(self.path)
            if rest == "/worksheets" and method == "GET":
                return 200, {"value": [_sheet_json(book, ws) for ws in book.worksheets]}
            if rest in ("/worksheets/add", "/worksheets") and method == "POST":
                name = (body or {}).get("name") or f"Sheet{len(book.worksheets) + 1}"
                if name in book.sheetnames:
                    return _error(409, "itemAlreadyExists", "itemAlreadyExists")
                sheet = book.create_sheet(name)
                self._keep(book, keep)
                return 201, _sheet_json(book, sheet)
            match = re.match(r"^/worksheets(?:/([^/(]+)|\('([^']+)'\))(/.*)$", rest)
            if not match or (match.group(1) or match.group(2)) not in book.sheetnames:
                return _error(404, "itemNotFound", "itemNotFound")
            sheet = book[match.group(1) or match.group(2)]
            tail = match.group(3)
            if tail.startswith("/usedRange") and method == "GET":
                if sheet.max_row == 1 and sheet.max_column == 1 and sheet["A1"].value is None:
                    return 200, _range_json(sheet, "A1")
                address = f"A1:{get_column_letter(sheet.max_column)}{sheet.max_row}"
                return 200, _range_json(sheet, address)
            found = re.match(r"^/range\(address='([^']+)'\)$", tail)
            if not found:
                return _error(400, "invalidRequest", "invalidArgument")
            address = found.group(1).split("!")[-1]
            if method == "GET":
                return 200, _range_json(sheet, address)
            if method == "PATCH":
                problem = _patch(sheet, address, body or {})
                if problem:
                    return problem
                answer = _range_json(sheet, address)
                self._keep(book, keep)
                return 200, answer
        return _error(405, "methodNotAllowed", "methodNotAllowed")

    def _keep(self, book: openpyxl.Workbook, keep: bool) -> None:
        if keep:
            book.save(self.path)
            self.ctag_version += 1


def _top(status: int) -> str:
    return {401: "unauthenticated", 403: "accessDenied", 404: "itemNotFound", 409: "conflict", 423: "resourceLocked",
            429: "tooManyRequests", 500: "generalException", 503: "serviceNotAvailable",
            504: "gatewayTimeout"}.get(status, "generalException")


def _error(status: int, code: str, inner: str) -> tuple[int, dict]:
    error: dict = {"code": code, "message": f"stand-in: {inner or code}"}
    if inner:
        error["innerError"] = {"code": inner, "message": f"stand-in: {inner}"}
    return status, {"error": error}


def _sheet_json(book: openpyxl.Workbook, sheet) -> dict:
    return {"id": "{" + uuid.uuid5(uuid.NAMESPACE_OID, sheet.title).hex.upper() + "}", "name": sheet.title,
            "position": book.worksheets.index(sheet), "visibility": "Visible"}


def _json_value(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return serial(value)
    if isinstance(value, day_time):  # a time of day is a fraction of one
        return (value.hour * 3600 + value.minute * 60 + value.second) / 86400
    return value


def _text(cell) -> str:
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        shown = "%d/%m/%Y" if cell.number_format.lower().startswith("dd/mm") else "%-m/%-d/%Y"
        return value.strftime(shown)
    return str(value)


def _range_json(sheet, address: str) -> dict:
    r1, c1, r2, c2 = _cells(address)
    rows = [[sheet.cell(r, c) for c in range(c1, c2 + 1)] for r in range(r1, r2 + 1)]
    return {"address": f"{sheet.title}!{address}", "rowCount": len(rows), "columnCount": c2 - c1 + 1,
            "values": [[_json_value(c.value) if c.data_type != "f" else None for c in row] for row in rows],
            "text": [[_text(c) for c in row] for row in rows],
            "formulas": [[_json_value(c.value) for c in row] for row in rows],
            "numberFormat": [[c.number_format for c in row] for row in rows]}


def _patch(sheet, address: str, body: dict) -> tuple[int, dict] | None:
    """range: update. `numberFormat` first (so `@` then a value keeps the value as text), then `values`."""
    r1, c1, r2, c2 = _cells(address)
    shape = (r2 - r1 + 1, c2 - c1 + 1)
    for key in ("numberFormat", "values", "formulas"):
        grid = body.get(key)
        if grid is not None and (len(grid) != shape[0] or any(len(row) != shape[1] for row in grid)):
            return _error(400, "invalidArgument", "invalidArgument")
    for i, row in enumerate(body.get("numberFormat") or []):
        for k, fmt in enumerate(row):
            if fmt is not None:
                sheet.cell(r1 + i, c1 + k).number_format = fmt
    for key in ("values", "formulas"):
        for i, row in enumerate(body.get(key) or []):
            for k, value in enumerate(row):
                if value is not None:
                    _set(sheet.cell(r1 + i, c1 + k), value)
    return None


def _set(cell, value: object) -> None:
    if value == "":
        cell.value = None
        return
    if not isinstance(value, str):
        cell.value = value
        return
    if cell.number_format == "@":
        cell.value = value
        cell.data_type = "s"
        return
    typed, number_format, quoted = excel_typed(value)
    cell.value = typed
    if isinstance(typed, str) and not typed.startswith("=") or quoted:
        cell.data_type = "s"
    if quoted:
        cell._style.quotePrefix = 1
    if number_format and not cell.is_date:
        cell.number_format = number_format
