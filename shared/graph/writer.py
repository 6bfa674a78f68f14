"""The third writer behind `shared.writers.WorkbookWriter`: the same plans, written into the workbook in
SharePoint or OneDrive through Graph's range API, in the shared persistent session.

`apply` only gathers; `finish` writes, in two round trips per update ($batch, Microsoft's "JSON batching"):
1. read: the target cells of Appendix 1 and the Change log's usedRange (where new rows go, by its header);
   a target cell that no longer holds what the copy held (an officer's edit since the read) is `Changed`:
   nothing is written and the update is checked again from a fresh read;
2. write and read back: the changed cells of the row as one range (`null` leaves the others as they are),
   the Change log rows below its used range, then both read back and compared with what was sent.
A session Graph lost (`invalidSessionReCreatable`) is made again and the update redone from step 1.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from urllib.parse import quote

from shared.domain import schema as s
from shared.domain.logrow import LogRow
from shared.domain.model import Sheet
from shared.domain.update import Plan
from shared.graph.cells import position, same, span, to_graph, used_corner
from shared.graph.client import GraphClient
from shared.graph.errors import Busy, Changed, GraphError, NothingWritten, SessionLost, Unanswered, error_from
from shared.graph.session import WorkbookSession
from shared.writers import LOG_TIME_FORMAT, Mark, mark_first

#: How many times one update is redone on a new session before it is left waiting.
SESSION_ATTEMPTS = 3


class GraphWriter:
    """Plans into the remote workbook. `held(address)` is the copy's value of an Appendix 1 cell: what the
    plan was made against, checked again in the session before anything is written."""

    def __init__(self, client: GraphClient, session: WorkbookSession, held: Callable[[str], object]):
        self.client, self.session, self._held = client, session, held
        self.edits: dict[str, object] = {}
        self.log_rows: list[LogRow] = []
        self.plans: list[Plan] = []

    def apply(self, plan: Plan) -> None:
        self.plans.append(plan)
        self.edits.update(plan.edits)
        self.log_rows.extend(plan.log_rows)

    def finish(self, mark: Mark | None = None) -> None:
        """Write every plan's cells and Change log rows in the workbook's session, `mark` durable first."""
        mark_first(mark)
        if not self.edits and not self.log_rows:
            return
        for attempt in range(SESSION_ATTEMPTS):
            try:
                return self._write(self.session.current() if attempt == 0 else self.session.renew())
            except SessionLost:
                continue
            except GraphError as exc:
                if isinstance(exc, Unanswered) or exc.status >= 500 or exc.code.startswith("invalidsession"):
                    self.session.forget()  # "Error handling for Excel APIs": no further request in it
                raise
        raise Busy("the workbook's session in Microsoft 365 kept expiring.")

    # --- the two round trips --------------------------------------------------------------------

    def _range(self, sheet: str, address: str) -> str:
        return f"{self.session.item}/workbook/worksheets/{quote(sheet, safe='')}/range(address='{address}')"

    def _batch(self, requests: list[dict], session: str, writes: bool) -> dict[str, dict]:
        """`requests` in one `$batch`, each in the session: a request in a batch carries its own headers
        (Microsoft's "JSON batching"), so the session's header goes in each one (on the batch alone, a
        PATCH would be answered and not kept)."""
        for request in requests:
            request["headers"] = {**request.get("headers", {}), "workbook-session-id": session}
        answer = self.client.json("POST", "/$batch", {"requests": requests})
        responses = {str(r.get("id")): r for r in answer.get("responses", [])}
        for request in requests:
            response = responses.get(request["id"])
            if response is None:
                raise Unanswered("Microsoft Graph left part of a write unanswered") if writes else GraphError(
                    "Microsoft Graph left part of a read unanswered; try again.")
            status = int(response.get("status", 500))
            if status == 424:  # a request it depended on failed: that one's error stands
                continue
            if status >= 400:
                error = error_from(status, response.get("body"), writes and request["method"] != "GET")
                if writes and request["id"] != "main":  # the row's cells may already hold it: settle by the log
                    raise Unanswered(str(error).rstrip("."))
                raise error
        return responses

    def _write(self, session: str) -> None:
        row, first, last = self._row_span()
        main = span(row, first, row, last) if row else ""
        reads = [{"id": "log", "method": "GET", "url": self._range(s.LOG_SHEET, "A1").replace(
            "/range(address='A1')", "/usedRange(valuesOnly=true)")}]
        if main:
            reads.append({"id": "main", "method": "GET", "url": self._range(s.MAIN_SHEET, main)})
        got = self._batch(reads, session, writes=False)
        formats: list = []
        if main:
            body = got["main"]["body"]
            formats = body.get("numberFormat", [[]])[0]
            formulas = body.get("formulas", [[]])[0]
            for column in range(first, last + 1):
                address = f"{s.column_letter(column - 1)}{row}"
                formula = str(formulas[column - first] or "")
                # a formula's value is what it computes; text that starts with '=' is its own value
                if address in self.edits and formula.startswith("=") and formula != body["values"][0][column - first]:
                    raise NothingWritten(f"Cell {address} on '{s.MAIN_SHEET}' holds a formula; an officer must "
                                         "replace it with a value before this update can be written")
                if address in self.edits and not same(body["values"][0][column - first], self._held(address)):
                    raise Changed(f"{s.MAIN_SHEET} {address} was changed in the workbook while this update was "
                                  "being written; it will be checked again against the new value")
        log_start, log_cells, log_values = self._log_rows(got["log"]["body"])
        writes, checks = [], []
        if main:
            values, number_formats = [], []
            for column in range(first, last + 1):
                address = f"{s.column_letter(column - 1)}{row}"
                if address in self.edits:
                    value, fmt = to_graph(self.edits[address], str(formats[column - first] or "General"))
                    values.append(value)
                    number_formats.append(fmt)
                else:
                    values.append(None)
                    number_formats.append(None)
            writes.append({"id": "main", "method": "PATCH", "url": self._range(s.MAIN_SHEET, main),
                           "headers": {"Content-Type": "application/json"},
                           "body": {"values": [values], "numberFormat": [number_formats]}})
            checks.append(("main-back", s.MAIN_SHEET, main))
        if log_cells:
            writes.append({"id": "log", "method": "PATCH", "url": self._range(s.LOG_SHEET, log_cells),
                           "headers": {"Content-Type": "application/json"},
                           "body": {"values": [[v for v, _ in row_] for row_ in log_values],
                                    "numberFormat": [[f for _, f in row_] for row_ in log_values]},
                           **({"dependsOn": ["main"]} if main else {})})
            checks.append(("log-back", s.LOG_SHEET, log_cells))
        for name, sheet, address in checks:  # "JSON batching": a batch fully sequential, each after the one before
            writes.append({"id": name, "method": "GET", "url": self._range(sheet, address),
                           "dependsOn": [writes[-1]["id"]]})
        answers = self._batch(writes, session, writes=True)
        self._confirm(answers, row, first, log_start)

    def _row_span(self) -> tuple[int, int, int]:
        """The one Appendix 1 row the edits are in, and its first and last edited columns (0s when none)."""
        if not self.edits:
            return 0, 0, 0
        places = [position(address) for address in self.edits]
        rows = {row for row, _ in places}
        if len(rows) != 1:
            raise NothingWritten("An update changes one recommendation's row; this one spans several.")
        columns = [column for _, column in places]
        return rows.pop(), min(columns), max(columns)

    def _log_rows(self, used: Mapping) -> tuple[int, str, list[list[tuple[object, str | None]]]]:
        """Where the Change log rows go (the row below the used range, columns by the log's header; an
        empty sheet gets the header first), as (first row, range, [(value, number format)…] a row)."""
        if not self.log_rows:
            return 0, "", []
        r1, c1, r2, _ = used_corner(str(used.get("address", "A1")))
        grid = [list(row) for row in used.get("values") or [[""]]]
        rows: list[list[tuple[object, str | None]]] = []
        if all(v in (None, "") for row in grid for v in row):
            columns = {name: index for index, name in enumerate(LogRow.HEADER)}
            rows.append([(name, None) for name in LogRow.HEADER])
            first = 1
        else:
            header = s.find_header(grid, LogRow.HEADER, s.LOG_SHEET)
            columns = {name: c1 - 1 + index for name, index in header.columns.items()}
            first = r2 + 1
        width = max(columns.values()) + 1
        for log_row in self.log_rows:
            cells: list[tuple[object, str | None]] = [(None, None)] * width
            for column, value in log_row.to_sheet_row(columns).items():
                cells[column] = to_graph(value, time_format=LOG_TIME_FORMAT)
            rows.append(cells)
        return first, span(first, 1, first + len(rows) - 1, width), rows

    def _confirm(self, answers: Mapping[str, dict], row: int, first: int, log_start: int) -> None:
        """What was written reads back as sent; else the Change log decides on the next pass."""
        back = answers.get("main-back")
        if back is not None:
            values = back["body"]["values"][0]
            for address, value in self.edits.items():
                if not same(values[position(address)[1] - first], value):
                    raise Unanswered(f"{s.MAIN_SHEET} {address} did not read back as written")
        if not log_start:
            return
        log_back = answers.get("log-back")
        if log_back is None:
            raise Unanswered("the Change log rows were not read back")
        grid = log_back["body"]["values"]
        ours = grid[len(grid) - len(self.log_rows):]  # below the header an empty sheet was given
        if any(not any(same(value, log_row.update_id) for value in row_)
               for row_, log_row in zip(ours, self.log_rows, strict=True)):
            # another tracker wrote the same rows (no atomic append for a range): the next pass finds these
            # rows missing from the Change log and appends them below whatever it then holds
            raise Unanswered(f"the {s.LOG_SHEET} rows read back are not this update's (another program wrote "
                             "there at the same moment)")


def held_in(sheet: Sheet) -> Callable[[str], object]:
    """A sheet's value of a cell by address (what the copy held when the plan was made)."""
    def value(address: str) -> object:
        row, column = position(address)
        r, c = row - 1 - sheet.origin[0], column - 1 - sheet.origin[1]
        if 0 <= r < len(sheet.grid) and 0 <= c < len(sheet.grid[r]):
            return sheet.grid[r][c]
        return None
    return value
