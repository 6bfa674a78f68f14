"""The workbook in SharePoint or OneDrive, for the admin: `graph_login` (`sli graph login`, msal's device-code
flow) and `graph_check` (`sli graph check`: what this set-up can reach, in plain words). Both need SLI_WORKBOOK
to name a remote workbook (shared/graph/)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from shared.domain import schema as s
from shared.graph.connect import remote_workbook
from shared.graph.errors import GraphError
from shared.graph.session import WorkbookSession
from shared.settings import GraphSettings, Settings

#: The sheets the tracker reads and writes.
NEEDED_SHEETS = (s.MAIN_SHEET, s.LISTS_SHEET, s.LEADS_SHEET, s.LOG_SHEET)


class NotRemote(ValueError):
    """SLI_WORKBOOK names a file here, not a workbook in Microsoft 365."""


def _graph(settings: Settings) -> GraphSettings:
    if settings.graph is None:
        raise NotRemote(f"SLI_WORKBOOK names a file here ({settings.workbook}), not a SharePoint or OneDrive "
                        "address: 'sli graph' is for a workbook in Microsoft 365.")
    return settings.graph


def graph_login(settings: Settings, show: Callable[[str], None], http_client: object | None = None) -> str:
    """Sign the service account in (device code); the account's name. `http_client` is msal's (tests)."""
    from shared.graph.signin import login

    return login(_graph(settings), show, http_client)


@dataclass
class GraphCheck:
    """What `sli graph check` found: `lines` to print, and whether everything the tracker needs is there."""

    lines: list[str] = field(default_factory=list)
    ok: bool = True


def graph_check(settings: Settings) -> GraphCheck:
    """Reach the file (its name), list its sheets (the four the tracker needs?), and open and close a
    persistent session (whether it may write; nothing is written)."""
    graph = _graph(settings)
    remote = remote_workbook(graph)
    check = GraphCheck()
    try:
        item = remote.client.json("GET", f"{remote.item_path}?$select=id,name,cTag")
        check.lines.append(f"Workbook: {item.get('name', '?')}, reached through {graph.url}.")
        sheets = [w.get("name", "") for w in remote.client.json(
            "GET", f"{remote.item_path}/workbook/worksheets").get("value", [])]
        missing = [name for name in NEEDED_SHEETS if name not in sheets]
        check.lines.append(f"Sheets: {', '.join(sheets)}." + (f" Missing: {', '.join(missing)}." if missing else ""))
        check.ok = not missing
        session = WorkbookSession(remote.client, remote.item_path)
        try:
            session.current()
            check.lines.append("Writing: allowed (a session that keeps changes opened and closed; nothing written).")
        except GraphError as exc:
            check.ok = False
            check.lines.append(f"Writing: not allowed. {exc}")
        finally:
            session.close()
    finally:
        remote.client.close()
    return check
