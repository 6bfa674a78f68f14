"""One persistent workbook session ("Manage sessions"): made on first use with `persistChanges: true` (a range
PATCH outside such a session is answered and not kept), shared by the waiting updates of one pass, closed when
none is left, made again when Graph says `invalidSessionReCreatable`."""

from __future__ import annotations

from shared.graph.client import GraphClient
from shared.graph.errors import GraphError


class WorkbookSession:
    """The `workbook-session-id` of `item` (`/drives/…/items/…`), made when first asked for."""

    def __init__(self, client: GraphClient, item: str):
        self.client, self.item = client, item
        self.id: str | None = None

    def current(self) -> str:
        if self.id is None:
            made = self.client.json("POST", f"{self.item}/workbook/createSession", {"persistChanges": True})
            self.id = str(made["id"])
        return self.id

    def renew(self) -> str:
        """A new session after the old one was lost (its work is redone from its read)."""
        self.id = None
        return self.current()

    def forget(self) -> None:
        """Drop a session Graph failed in (a 5xx, `invalidSession…`): Microsoft's guide expects no further
        request in it, `closeSession` included; the next write makes a new one."""
        self.id = None

    def close(self) -> None:
        """`closeSession`; a session already gone is closed enough."""
        if self.id is None:
            return
        session, self.id = self.id, None
        try:
            self.client.request("POST", f"{self.item}/workbook/closeSession", session=session)
        except GraphError:
            pass
