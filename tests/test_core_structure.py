"""The shape of the core, checked: the domain imports no I/O, front ends go through the use cases, reads
cannot be changed by their callers, the journal's queries use their indexes, the Change log's columns are
spelled out in one place and the journal's SQL lives in one module, and the Slack manifest is the one truth
of the command, events and scopes."""

from __future__ import annotations

import ast
import gc
import inspect
import re
import sqlite3
import weakref
from datetime import datetime
from pathlib import Path

import pytest

from bot import manifest
from shared import journal as j
from shared.domain import schema as s
from shared.domain.logrow import LogRow
from shared.journal import connection as journal_connection
from shared.owner import write_owner_file
from shared.reader import read_appendix
from shared.uow import Store
from shared.usecases import deliver_to_open_book, submit_update
from shared.xlsx import Package, file_log_years

ROOT = Path(__file__).resolve().parents[1]
#: Modules that read or write files, archives, XML, databases, locks, the network or chat services.
IO_MODULES = {"os", "io", "shutil", "pathlib.Path.open", "zipfile", "sqlite3", "lxml", "openpyxl", "python_calamine",
              "filelock", "slack_sdk", "slack_bolt", "xlwings", "socket", "subprocess", "tempfile", "urllib",
              "http", "requests", "httpx", "uvicorn", "apscheduler", "matplotlib", "docx", "shared.journal",
              "shared.xlsx", "shared.reader", "shared.uow", "shared.writers", "shared.usecases", "shared.owner"}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def is_io(module: str) -> bool:
    return any(module == m or module.startswith(m + ".") for m in IO_MODULES)


@pytest.mark.parametrize("path", sorted((ROOT / "shared" / "domain").rglob("*.py")),
                         ids=lambda p: p.relative_to(ROOT / "shared" / "domain").as_posix())
def test_the_domain_imports_no_io(path: Path) -> None:
    assert not [m for m in imports_of(path) if is_io(m)]
    assert not re.search(r"\bopen\(", path.read_text(encoding="utf-8"))


#: The one module that reads the environment (and, for one import, writes it): shared/settings.py.
SETTINGS_HOME = ROOT / "shared" / "settings.py"
#: What reads or writes the process environment, as attributes of the `os` module.
ENVIRONMENT_NAMES = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}


def environment_uses(source: str) -> list[str]:
    """Each place `source` reads or writes the process environment through `os` (`os.environ`, `os.getenv`,
    `from os import environ`, an `os` imported under another name...), as `line: what`."""
    tree = ast.parse(source)
    aliases = {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
               for alias in node.names if alias.name == "os"}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "os":
            found += [f"{node.lineno}: from os import {alias.name}" for alias in node.names
                      if alias.name in ENVIRONMENT_NAMES or alias.name == "*"]
        elif isinstance(node, ast.Attribute) and node.attr in ENVIRONMENT_NAMES \
                and isinstance(node.value, ast.Name) and node.value.id in aliases:
            found.append(f"{node.lineno}: {node.value.id}.{node.attr}")
    return found


def test_the_environment_check_finds_each_way_in() -> None:
    assert environment_uses("import os\nos.environ['X'] = '1'\nos.getenv('Y')") == ["2: os.environ", "3: os.getenv"]
    assert environment_uses("import os as system\nsystem.putenv('X', '1')") == ["2: system.putenv"]
    assert environment_uses("from os import environ as e, path\n") == ["1: from os import environ"]
    assert environment_uses("import os\nos.path.join('a', 'environ')\nsettings.environ") == []


SOURCES = sorted(path for folder in ("shared", "bot", "excel", "service", "sli")
                 for path in (ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", [*SOURCES, ROOT / "sli.py"], ids=lambda p: str(p.relative_to(ROOT)))
def test_only_the_settings_read_or_write_the_environment(path: Path) -> None:
    """Every setting is read in shared/settings.py and passed down (issue 17 point 6): no other module of the
    product reads `os.environ`, nor writes it."""
    uses = environment_uses(path.read_text(encoding="utf-8"))
    if path == SETTINGS_HOME:
        assert uses  # the check sees the one module that does read it
    else:
        assert uses == []


FRONT_ENDS = sorted([*(ROOT / "bot").rglob("*.py"), *(ROOT / "excel").rglob("*.py"),
                     *(ROOT / "service").rglob("*.py"), *(ROOT / "sli").rglob("*.py"),
                     ROOT / "sli.py"])
#: All a front end may import from the core: the use cases (and their rooms, `shared.usecases.replies` too),
#: the domain's values and the settings. Everything else (the journal, the reader, the writers, the package,
#: the unit of work, summary, report, export, outputs, builder) is reached through a use case.
FRONT_END_MAY_IMPORT = ("shared.usecases", "shared.domain", "shared.settings")


def core_imports_of(path: Path) -> set[str]:
    """The modules of `shared` a file imports, by full name (`from shared import usecases` is
    `shared.usecases`), wherever the import statement is (inside functions too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {f"{node.module}.{alias.name}" for alias in node.names} if node.module == "shared" \
                else {node.module}
    return {name for name in names if name == "shared" or name.startswith("shared.")}


@pytest.mark.parametrize("path", FRONT_ENDS, ids=lambda p: str(p.relative_to(ROOT)))
def test_front_ends_import_only_the_use_cases_the_domain_and_the_settings(path: Path) -> None:
    allowed = [m for m in core_imports_of(path) if any(m == a or m.startswith(a + ".") for a in FRONT_END_MAY_IMPORT)]
    assert sorted(core_imports_of(path) - set(allowed)) == []
    assert ".journal()" not in path.read_text(encoding="utf-8")


def test_the_allow_list_sees_every_kind_of_import(tmp_path: Path) -> None:
    """The check above cannot be passed by importing differently: each of these is caught."""
    sneaky = tmp_path / "front.py"
    sneaky.write_text("from shared import summary as sm\nimport shared.reader\n\ndef f():\n"
                      "    from shared.outputs import check_output\n    from shared import usecases\n")
    assert core_imports_of(sneaky) == {"shared.summary", "shared.reader", "shared.outputs", "shared.usecases"}


USECASES = ROOT / "shared" / "usecases"
#: The clock read directly: use cases take the time only from the context they are given (`ctx.clock()`).
CLOCK_READS = re.compile(r"\b(?:datetime\.(?:now|utcnow|today)|date\.today|time\.time|time\.monotonic)\s*\(")


@pytest.mark.parametrize("path", sorted(USECASES.glob("*.py")), ids=lambda p: p.name)
def test_use_cases_take_the_time_only_from_their_context(path: Path) -> None:
    assert CLOCK_READS.findall(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("path", sorted(USECASES.glob("*.py")), ids=lambda p: p.name)
def test_use_cases_open_units_of_work_only_through_their_context(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"WorkbookUnitOfWork\(|\.journal\(|read_appendix\(|read_change_log\(|find_owner_file\(",
                         text)


def test_the_use_cases_all_lists_every_public_use_case() -> None:
    """`shared.usecases.__all__` is what front ends may call: each name is there, and every public function or
    class the rooms define is in it (replies.py has its own `__all__`)."""
    import importlib

    from shared import usecases

    assert [name for name in usecases.__all__ if not hasattr(usecases, name)] == []
    defined = set()
    for path in USECASES.glob("*.py"):
        if path.stem in ("__init__", "replies"):
            continue
        room = importlib.import_module(f"shared.usecases.{path.stem}")
        defined |= {name for name, value in vars(room).items() if not name.startswith("_")
                    and callable(value) and getattr(value, "__module__", "") == room.__name__}
    assert sorted(defined - set(usecases.__all__)) == []


XLSX = ROOT / "shared" / "xlsx"
#: The .xlsx writer's rooms in the order they may import one another (each only those before it).
XLSX_ROOMS = ("ooxml", "stringscan", "pieces", "syncing", "keptstrings", "entries", "storedzip", "writing", "directory",
              "segments", "keptparts", "verbatim", "ahead", "parts", "heights", "cells", "frames", "sheets", "rows",
              "headers", "reduced", "package", "logstream", "changelog", "save")
ROOM_LINES = 400


def test_the_xlsx_writer_lives_in_rooms_none_over_400_lines() -> None:
    """shared/xlsx/ replaces the one 1,392-line package.py (issue 17): no module and no class over 400
    lines, and the rooms import one another in one direction only, so none grows back into all of them."""
    assert not (ROOT / "shared" / "package.py").exists()
    rooms = {path.stem: path for path in XLSX.glob("*.py")}
    assert set(rooms) == {"__init__", *XLSX_ROOMS}
    too_big = {}
    for name, path in rooms.items():
        text = path.read_text(encoding="utf-8")
        if len(text.splitlines()) > ROOM_LINES:
            too_big[name] = len(text.splitlines())
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef) and node.end_lineno - node.lineno + 1 > ROOM_LINES:
                too_big[f"{name}.{node.name}"] = node.end_lineno - node.lineno + 1
        if name != "__init__":  # the package's public face imports the rooms; no room imports it
            later = {f"shared.xlsx.{room}" for room in XLSX_ROOMS[XLSX_ROOMS.index(name):]} | {"shared.xlsx"}
            assert not imports_of(path) & later, name
    assert too_big == {}


def test_a_package_is_freed_as_soon_as_it_is_dropped(workbook: Path) -> None:
    """The rooms are given the package's parts, never the package: no reference cycle keeps a unit of work's
    file bytes (5.7 MB at 100,000 log rows) and parsed sheets alive until the garbage collector runs."""
    gc.disable()
    try:
        package = Package(workbook)
        package.edit_cells(s.MAIN_SHEET, {"H7": "=not a formula"})  # a quote-prefix style twin
        columns = package.header_columns(s.LOG_SHEET, LogRow.HEADER)  # shared strings
        rows = [{columns[LogRow.HEADER[0]]: datetime(2031, 1, 1), columns["Update ID"]: "freed"}]
        file_log_years(package, rows)
        package.append_rows(s.LOG_SHEET, rows)
        package.write(workbook.with_name("written.xlsx"))
        alive = weakref.ref(package)
        del package
        assert alive() is None
    finally:
        gc.enable()


def test_reads_cannot_be_changed_by_whoever_receives_them(workbook: Path) -> None:
    appendix = read_appendix(workbook)
    with pytest.raises(TypeError):
        appendix.rows["L7"].values[s.STATUS] = "Complete"  # type: ignore[index]
    with pytest.raises(TypeError):
        appendix.rows["L99"] = appendix.rows["L7"]  # type: ignore[index]
    with pytest.raises((TypeError, AttributeError)):
        appendix.leads.append(appendix.leads[0])  # type: ignore[attr-defined]
    assert read_appendix(workbook).rows["L7"].status == "Off track"


def test_delivering_to_the_open_book_leaves_the_cached_read_as_it_was(workbook: Path) -> None:
    store = Store.for_workbook(workbook)
    write_owner_file(workbook, "Sana Iqbal")
    submit_update(store, "L7", {s.STATUS: "At risk", s.DUE: "31/03/2027"}, by="Joanne Whitworth", via=s.VIA_SLACK)

    class Book:  # the open workbook's writer: takes the plans, saves nothing
        def apply(self, plan) -> None:
            self.plan = plan

        def finish(self) -> None:
            pass

    before = read_appendix(workbook)
    [plan] = deliver_to_open_book(store, before, Book())
    assert plan.edits
    assert read_appendix(workbook) is before and before.rows["L7"].status == "Off track"


def test_the_journal_is_opened_once_per_unit_of_work_and_its_queries_use_indexes(workbook: Path) -> None:
    store = Store.for_workbook(workbook)
    for n in range(3):
        submit_update(store, f"L{n + 1}", {s.NEXT_STEPS: f"Step {n}"}, by="A", via=s.VIA_CLI)
    db = sqlite3.connect(store.journal_path)
    plans = {
        "waiting for a ref": ("SELECT * FROM updates WHERE state IN (?,?,?) AND ref=? ORDER BY seq",
                              (*j.OPEN_STATES, "L1")),
        "written since a view": ("SELECT state, changes, detail FROM updates WHERE ref=? AND seq>? AND seq<? AND "
                                 "state IN (?,?,?,?) ORDER BY seq", ("L1", 0, 9, *j.WRITTEN_STATES, j.PENDING)),
        "anything open": ("SELECT 1 FROM updates WHERE state IN (?,?,?) LIMIT 1", j.OPEN_STATES),
        "held while Excel has it": ("UPDATE updates SET detail=json_set(detail, '$.message', ?), updated_at=? "
                                    "WHERE state=? AND json_extract(detail, '$.message') IS NOT ?",
                                    ("m", "t", j.PENDING, "m")),
        "waiting behind an earlier one": ("UPDATE updates SET updated_at=? WHERE state=? AND ref=? AND seq>?",
                                          ("t", j.PENDING, "L1", 0)),
        "refused rows still holding text": ("SELECT seq FROM updates WHERE state=? AND seen != '{}'", (j.REJECTED,)),
        "what still needs telling": ("SELECT * FROM updates INDEXED BY updates_to_tell WHERE notified_at IS NULL "
                                     "AND reply_to IS NOT NULL AND state IN (?,?,?) ORDER BY seq", j.FINAL_STATES),
    }
    for name, (query, args) in plans.items():
        detail = " ".join(row[-1] for row in db.execute("EXPLAIN QUERY PLAN " + query, args))
        assert "USING INDEX" in detail or "USING COVERING INDEX" in detail, (name, detail)
    # Updates whose senders were told at once leave the to-tell index: it stays small with history.
    assert db.execute("SELECT COUNT(*) FROM updates WHERE notified_at IS NULL AND reply_to IS NOT NULL").fetchone() \
        == (0,)


def test_a_unit_of_work_uses_one_journal_connection(workbook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store.for_workbook(workbook)
    store.journal()  # the schema, once per process
    opened = []
    real_connect = sqlite3.connect

    def counting_connect(*args, **kwargs):
        opened.append(args[0])
        return real_connect(*args, **kwargs)

    monkeypatch.setattr(journal_connection.sqlite3, "connect", counting_connect)
    result = submit_update(store, "L7", {s.NEXT_STEPS: "Counted"}, by="A", via=s.VIA_CLI)
    assert result.state == j.APPLIED
    # record: one for the view mark and one for the insert; the unit of work that writes it: one.
    assert len(opened) <= 4, opened


def _modules(*folders: Path) -> list[Path]:
    """The project's own Python modules (not tests, benchmarks, docs or installed packages)."""
    found = [ROOT / "sli.py", *(ROOT / "sli").rglob("*.py")] if not folders else []
    for folder in folders or (ROOT / "shared", ROOT / "bot", ROOT / "excel"):
        found += [p for p in folder.rglob("*.py") if not {"node_modules", ".venv"} & set(p.parts)]
    return sorted(found)


def _strings(path: Path) -> list[ast.Constant]:
    return [node for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def test_only_the_log_row_spells_out_the_change_log_columns() -> None:
    """The Change log's header lives on `LogRow` alone (issue 17: it was spelled out in four places): no
    other module of the project has a string that is one of its column names, except the one Appendix 1
    shares (Ref), which the schema names. Names of several words are matched as the reader matches headers
    (spacing and case ignored); one-word names (By, Via, Field) as written, since `by` and `via` are words."""
    home = Path(inspect.getfile(LogRow)).resolve()

    def key(text: str) -> str:
        words = " ".join(text.split())
        return words.casefold() if " " in words else words

    own = {key(name) for name in LogRow.HEADER if name not in s.MAIN_COLUMNS}
    assert {"old value", "new value", "update id", "when (utc)", "By", "Via", "Field"} == own
    spelled = [f"{path.relative_to(ROOT)}:{node.lineno} {node.value!r}" for path in _modules()
               if path.resolve() != home for node in _strings(path) if key(node.value) in own]
    assert spelled == []
    web = [p for p in (ROOT / "excel").rglob("*") if p.suffix in (".js", ".html", ".ts", ".json")
           and "node_modules" not in p.parts]
    quoted = [f"{path.relative_to(ROOT)} {name}" for path in web for name in LogRow.HEADER if name not in s.MAIN_COLUMNS
              and re.search(rf"[\"'`]{re.escape(name)}[\"'`]", path.read_text(encoding="utf-8", errors="replace"))]
    assert quoted == []


#: SQL in a string: a query, a change, or a path into a JSON column.
SQL = re.compile(r"\bSELECT\b[\s\S]*\bFROM\b|\bINSERT\s+(?:OR\s+\w+\s+)?INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b"
                 r"|\bjson_(?:extract|each|set)\b|'\$[.\[]")


def test_only_the_journal_speaks_sql() -> None:
    """The package shared/journal/ is the one place of the core that opens SQLite and knows what its rows hold
    (issue 17): no other module imports sqlite3 or has SQL in its strings, and none but the journal and the
    row's own module (`LogRow.journal_record`) knows that an update's detail keeps `written_at`."""
    journal = ROOT / "shared" / "journal"
    row_home = Path(inspect.getfile(LogRow)).resolve()
    others = [p for p in _modules(ROOT / "shared") if journal not in p.parents]
    assert journal / "connection.py" in _modules(ROOT / "shared") and len(others) > 20
    assert [str(p.relative_to(ROOT)) for p in others if "sqlite3" in imports_of(p)] == []
    assert [f"{p.relative_to(ROOT)}:{n.lineno}" for p in others for n in _strings(p) if SQL.search(n.value)] == []
    assert [str(p.relative_to(ROOT)) for p in others if p.resolve() != row_home
            and "written_at" in p.read_text(encoding="utf-8")] == []
    readers = [ROOT / "shared" / name for name in ("trend.py", "summary.py", "export.py")]
    readers += sorted((ROOT / "shared" / "report").glob("*.py"))  # history readers: frames, no queries
    assert len(readers) > 3
    for path in readers:
        assert not re.search(r"\bdetail\b|\.execute\(|read_sql", path.read_text(encoding="utf-8"))


def test_the_manifest_is_the_one_truth_of_command_events_and_scopes() -> None:
    listeners = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "bot" / "listeners").glob("*.py"))
    # The command is registered from the manifest, not spelled out again.
    assert "app.command(manifest.COMMAND)" in listeners and '"/sli"' not in listeners
    assert manifest.COMMAND == "/sli"
    # Every subscribed event has a listener ("message.im" is Bolt's "message" event in a DM), and back.
    subscribed = {event.split(".")[0] for event in manifest.BOT_EVENTS}
    assert subscribed == set(re.findall(r'app\.event\("([a-z_]+)"\)', listeners))
    # Every scope is needed by something the bot does, and nothing it does lacks its scope.
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "bot").rglob("*.py"))
    needed = {"commands"}
    for method, scope in {"chat_postMessage": "chat:write", "files_upload_v2": "files:write",
                          "conversations_open": "im:write", "users_info": "users:read",
                          "users_list": "users:read"}.items():
        if f".{method}(" in source:
            needed.add(scope)
    needed |= {{"app_mention": "app_mentions:read", "message.im": "im:history"}[e]
               for e in manifest.BOT_EVENTS if e in ("app_mention", "message.im")}
    if re.search(r"chat_postMessage\(channel=(user_id|entry\.reply_to|lead)", source) or "channel=user_id" in source:
        needed.add("im:write")  # a message to a person by user ID goes to the app's DM with them
    assert set(manifest.SCOPES) == needed
