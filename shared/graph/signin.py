"""Signing in to Microsoft 365 with msal, Microsoft's library.

Delegated (documented by Microsoft for the workbook API): a service account signs in once by the device-code
flow (`sli graph login`), and msal's token cache is kept in the state folder in a file only its owner can read
(mode 0600); every later request takes a token from it silently (msal refreshes it). App-only with a
certificate (`SLI_GRAPH_CERTIFICATE`, `SLI_GRAPH_THUMBPRINT`, the app given `Sites.Selected` on the site): reported
to work for workbooks but not documented by Microsoft for them.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

from shared.graph.errors import Denied
from shared.settings import GRAPH_AUTHORITY, GraphSettings

#: Delegated: read and write the files the signed-in account can open (the workbook API needs write).
DELEGATED_SCOPES = ["Files.ReadWrite.All"]
#: App-only: whatever the app was granted (Sites.Selected, with the site's write grant).
APP_SCOPES = ["https://graph.microsoft.com/.default"]
CACHE_NAME = "msal-token-cache.json"


def cache_path(graph: GraphSettings) -> Path:
    return graph.state_dir / CACHE_NAME


def _cache(graph: GraphSettings):
    import msal

    cache = msal.SerializableTokenCache()
    path = cache_path(graph)
    if path.is_file():
        cache.deserialize(path.read_text(encoding="utf-8"))
    return cache


def _keep(graph: GraphSettings, cache) -> None:
    """The cache written to a file only its owner can read or write (made 0600 before anything is in it)."""
    if not cache.has_state_changed:
        return
    path = cache_path(graph)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.chmod(path, 0o600)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(cache.serialize())


def _authority(graph: GraphSettings) -> str:
    return f"{graph.authority.rstrip('/')}/{graph.tenant_id}"


def _discovery(graph: GraphSettings) -> dict[str, bool]:
    """msal asks Microsoft's public cloud to vouch for an authority; another one (SLI_GRAPH_AUTHORITY: a
    national cloud's, or the tests' stand-in) is taken as given."""
    return {} if graph.authority.rstrip("/") == GRAPH_AUTHORITY else {"instance_discovery": False}


def _public(graph: GraphSettings, cache, http_client: object | None = None):
    import msal

    if not graph.client_id:
        raise Denied("SLI_GRAPH_CLIENT_ID is not set: the admin must register an app in Microsoft Entra and set "
                     "its application (client) id (README, 'For IT: the workbook in SharePoint or OneDrive').")
    extra = {"http_client": http_client} if http_client is not None else {}
    return msal.PublicClientApplication(graph.client_id, authority=_authority(graph), token_cache=cache,
                                        **extra, **_discovery(graph))


def login(graph: GraphSettings, show: Callable[[str], None], http_client: object | None = None) -> str:
    """The device-code flow: `show` gets Microsoft's sentence (the address and the code to type); returns
    the account signed in. The token cache is kept for every later request."""
    cache = _cache(graph)
    app = _public(graph, cache, http_client)
    flow = app.initiate_device_flow(scopes=DELEGATED_SCOPES)
    if "user_code" not in flow:
        raise Denied(f"Microsoft did not start a sign-in: {flow.get('error_description') or flow.get('error')}.")
    show(flow["message"])
    result = app.acquire_token_by_device_flow(flow)
    if "access_token" not in result:
        raise Denied(f"The sign-in did not finish: {result.get('error_description') or result.get('error')}.")
    _keep(graph, cache)
    return str((result.get("id_token_claims") or {}).get("preferred_username") or "the account")


class CachedToken:
    """The token source of a running process: msal's application made once (it keeps the authority's
    metadata and the access token in memory, so a request costs no sign-in round trip while the token is
    valid), the cache file read when it changes (`sli graph login` in another process) and written when msal
    refreshed a token. Calling it gives a token, or "" when no one has signed in."""

    def __init__(self, graph: GraphSettings, http_client: object | None = None):
        self.graph, self.http_client = graph, http_client
        self._app = None
        self._cache = None
        self._seen: float | None = None
        self._lock = threading.Lock()

    def __call__(self) -> str:
        with self._lock:
            if self.graph.certificate:
                return self._app_only()
            path = cache_path(self.graph)
            if not path.is_file():
                return ""
            if self._app is None or self._seen != path.stat().st_mtime:
                self._seen = path.stat().st_mtime
                self._cache = _cache(self.graph)
                self._app = _public(self.graph, self._cache, self.http_client)
            accounts = self._app.get_accounts()
            result = self._app.acquire_token_silent(DELEGATED_SCOPES, account=accounts[0]) if accounts else None
            _keep(self.graph, self._cache)
            self._seen = path.stat().st_mtime
            return str((result or {}).get("access_token") or "")

    def _app_only(self) -> str:
        """App-only with the certificate (not documented by Microsoft for the workbook API)."""
        import msal

        if self._app is None:
            key = Path(self.graph.certificate).read_text(encoding="utf-8")
            extra = {"http_client": self.http_client} if self.http_client is not None else {}
            self._app = msal.ConfidentialClientApplication(
                self.graph.client_id, authority=_authority(self.graph), **extra, **_discovery(self.graph),
                client_credential={"private_key": key, "thumbprint": self.graph.thumbprint,
                                   "public_certificate": key})
        result = self._app.acquire_token_for_client(scopes=APP_SCOPES)
        return str(result.get("access_token") or "")
