"""A Python imitation of the add-in's Office.js client (xlwings' JavaScript in Excel), for the fast tests.

A test double: it lives in tests/, not in the product. tests/test_taskpane_browser.py runs the real client in
Chromium; tests/test_addin.py checks this imitation against the payloads that run captured
(tests/officejs/captured/).

`payload_from_workbook` reads an .xlsx file (python-calamine) into the JSON the xlwings Office.js client
sends with every script call: each sheet's values from A1 to the last used cell, dates as ISO strings,
empty cells as "". `OfficeJsStandIn.apply` plays back the actions a script returns (`setValues`,
`setRangeColor`, `addSheet`, ...) on that payload the way Excel would, so a second call sees what the
first one wrote, and it keeps the fill colours, alerts and task-pane callbacks for the tests to check.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib.metadata import version
from pathlib import Path

import python_calamine

from shared.domain.schema import column_letter

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


def officejs_value(value: object) -> object:
    """A cell value as Office.js reports it: "" for empty, dates as `2027-01-31T00:00:00.000Z`."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%dT00:00:00.000Z")
    return value


def _sheet_json(name: str, values: list[list[object]]) -> dict:
    sheet = {
        "name": name, "visibility": "Visible", "show_gridlines": True, "print_area": None,
        "notes": [], "notes_supported": True, "values": values or [[""]],
        "pictures": [], "shapes": [], "charts": [], "tables": [], "pivot_tables": [],
    }
    _refresh_used_range(sheet)
    return sheet


def _refresh_used_range(sheet: dict) -> None:
    """Office.js sends the values-only used range; the values always start at A1."""
    cells = [(r, c) for r, row in enumerate(sheet["values"]) for c, v in enumerate(row) if v != ""]
    if not cells:
        sheet.update(used_range_address=None, used_range_row_count=0, used_range_column_count=0)
        return
    top, bottom = min(r for r, _ in cells), max(r for r, _ in cells)
    left, right = min(c for _, c in cells), max(c for _, c in cells)
    sheet.update(used_range_address=f"{column_letter(left)}{top + 1}:{column_letter(right)}{bottom + 1}",
                 used_range_row_count=bottom - top + 1, used_range_column_count=right - left + 1)


def payload_from_workbook(path: Path | str, book_name: str | None = None,
                          exclude: tuple[str, ...] = ()) -> dict:
    """The request body the Office.js client sends for a workbook open in Excel (sheets in `exclude`
    are listed without values, as the client does for a script's `exclude`)."""
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    sheets = []
    for name in book.sheet_names:
        if name in exclude:
            sheets.append({**_sheet_json(name, [[""]]), "values": [[]]})
            continue
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        width = max((len(r) for r in rows), default=0)
        sheets.append(_sheet_json(name, [[officejs_value(v) for v in r] + [""] * (width - len(r)) for r in rows]))
    return {
        "client": "Office.js",
        "version": version("xlwings"),  # not `import xlwings`: see excel/server.py
        "book": {"name": book_name or Path(path).name, "active_sheet_index": 0, "selection": "A1",
                 "calculation": "Automatic"},
        "names": [],
        "sheets": sheets,
    }


def _address(address: str) -> tuple[int, int]:
    """`F7` -> (6, 5): 0-based row and column."""
    match = re.fullmatch(r"([A-Z]{1,3})(\d+)", address)
    if not match:
        raise ValueError(f"not a cell address: {address}")
    column = 0
    for char in match.group(1):
        column = column * 26 + ord(char) - 64
    return int(match.group(2)) - 1, column - 1


def _sheet(payload: dict, name: str) -> dict:
    for sheet in payload["sheets"]:
        if sheet["name"] == name:
            return sheet
    raise KeyError(name)


def get_cell(payload: dict, sheet_name: str, address: str) -> object:
    row, col = _address(address)
    values = _sheet(payload, sheet_name)["values"]
    return values[row][col] if row < len(values) and col < len(values[row]) else ""


def set_cell(payload: dict, sheet_name: str, address: str, value: object) -> None:
    """Type into a cell of the open workbook (before the next script call)."""
    row, col = _address(address)
    _write(_sheet(payload, sheet_name), row, col, [[officejs_value(value)]])


def _write(sheet: dict, row: int, col: int, block: list[list[object]]) -> None:
    values = sheet["values"]
    if values == [[]]:
        values[:] = [[""]]
    width = max(max(len(r) for r in values), col + max(len(r) for r in block))
    while len(values) < row + len(block):
        values.append([""] * width)
    for r in values:
        r.extend([""] * (width - len(r)))
    for dr, block_row in enumerate(block):
        for dc, value in enumerate(block_row):
            values[row + dr][col + dc] = value
    _refresh_used_range(sheet)


def _as_excel_stores(value: object) -> tuple[object, bool]:
    """What Excel keeps when Office.js sets a value: a leading apostrophe is the quote prefix (text, not
    shown), ISO date strings become dates. Returns the value Office.js would read back and the prefix flag."""
    if isinstance(value, str):
        if value.startswith("'"):
            return value[1:], True
        if _ISO_DATE.match(value):
            return f"{value}T00:00:00.000Z", False
        if _ISO_DATETIME.match(value):
            return value.replace(" ", "T") + ".000Z", False
    return ("" if value is None else value), False


@dataclass
class OfficeJsStandIn:
    """Plays the actions a script returns onto the payload, as the Office.js client does in Excel."""

    payload: dict
    colours: dict[tuple[str, str], str] = field(default_factory=dict)
    number_formats: dict[tuple[str, str], str] = field(default_factory=dict)
    quote_prefixed: set[tuple[str, str]] = field(default_factory=set)
    alerts: list[dict] = field(default_factory=list)
    callbacks: list[tuple[str, list]] = field(default_factory=list)

    @classmethod
    def for_workbook(cls, path: Path | str, book_name: str | None = None) -> OfficeJsStandIn:
        return cls(payload_from_workbook(path, book_name))

    def request(self) -> dict:
        """A copy of the payload to send (the server pops `args`, and must not change our copy)."""
        return copy.deepcopy(self.payload)

    def apply(self, result: dict) -> None:
        for action in result.get("actions", []):
            getattr(self, "_" + action["func"])(action)

    def _cells(self, action: dict) -> list[tuple[str, str]]:
        sheet = self.payload["sheets"][action["sheet_position"]]["name"]
        return [(sheet, f"{column_letter(c)}{r + 1}")
                for r in range(action["start_row"], action["start_row"] + action["row_count"])
                for c in range(action["start_column"], action["start_column"] + action["column_count"])]

    def _setValues(self, action: dict) -> None:
        sheet = self.payload["sheets"][action["sheet_position"]]
        block = []
        for r, row in enumerate(action["values"]):
            stored = []
            for c, value in enumerate(row):
                value, prefixed = _as_excel_stores(value)
                address = f"{column_letter(action['start_column'] + c)}{action['start_row'] + r + 1}"
                (self.quote_prefixed.add if prefixed else self.quote_prefixed.discard)((sheet["name"], address))
                stored.append(value)
            block.append(stored)
        _write(sheet, action["start_row"], action["start_column"], block)

    def _setRangeColor(self, action: dict) -> None:
        for cell in self._cells(action):
            if action["args"][0] is None:
                self.colours.pop(cell, None)
            else:
                self.colours[cell] = action["args"][0]

    def _setNumberFormat(self, action: dict) -> None:
        for cell in self._cells(action):
            self.number_formats[cell] = action["args"][0]

    def _addSheet(self, action: dict) -> None:
        index, name = action["args"]
        self.payload["sheets"].insert(index, _sheet_json(name, [[""]]))

    def _sheetClearContents(self, action: dict) -> None:
        sheet = self.payload["sheets"][action["sheet_position"]]
        sheet["values"] = [[""]]
        _refresh_used_range(sheet)

    def _alert(self, action: dict) -> None:
        prompt, title, buttons, mode, callback = action["args"]
        self.alerts.append({"prompt": prompt, "title": title, "buttons": buttons, "mode": mode})

    def _runMacro(self, action: dict) -> None:
        self.callbacks.append((action["args"][0], action["args"][1:]))

    def insert_column(self, sheet_name: str, letter: str) -> None:
        """An officer inserts an empty column before `letter`: values and fills to its right move over."""
        _, at = _address(f"{letter}1")
        sheet = _sheet(self.payload, sheet_name)
        for row in sheet["values"]:
            if len(row) > at:
                row.insert(at, "")
        _refresh_used_range(sheet)
        moved = {}
        for (name, address), colour in self.colours.items():
            row, col = _address(address)
            if name == sheet_name and col >= at:
                address = f"{column_letter(col + 1)}{row + 1}"
            moved[(name, address)] = colour
        self.colours = moved

    def coloured(self, sheet: str) -> dict[str, str]:
        """Cell address -> fill colour the scripts set on `sheet`."""
        return {address: colour for (name, address), colour in self.colours.items() if name == sheet}


def json_shape(value: object) -> object:
    """The structure of a JSON value, not its values: every key, and each value's type ("list" for lists, whose
    items follow the workbook). Two payloads with the same shape are read the same way by xlwings."""
    if isinstance(value, dict):
        return {key: json_shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return "list"
    return "null" if value is None else type(value).__name__
