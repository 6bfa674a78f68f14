"""The remote workbook a front end's settings name, connected: the client with its token, and the copy."""

from __future__ import annotations

from shared.graph.client import GraphClient
from shared.graph.errors import Denied
from shared.graph.mirror import RemoteWorkbook
from shared.settings import GraphSettings


def token_source(graph: GraphSettings):
    """Where the bearer token comes from: SLI_GRAPH_TOKEN as it is, else msal's cache (`sli graph login`)."""
    if graph.token:
        return lambda: graph.token

    from shared.graph.signin import CachedToken

    cached = CachedToken(graph)

    def from_msal() -> str:
        token = cached()
        if not token:
            raise Denied("Not signed in to Microsoft 365: the admin must run 'sli graph login' (or set "
                         "SLI_GRAPH_TOKEN).", 401)
        return token
    return from_msal


def remote_workbook(graph: GraphSettings) -> RemoteWorkbook:
    return RemoteWorkbook(graph.address, GraphClient(graph.url, token_source(graph)), graph.copy)
