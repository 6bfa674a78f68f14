"""The Excel add-in's server: xlwings Server (the `xlwings-server` package) with this folder as its project.

`sli addin [--port N] [--local]` calls `main()`. Officers need no Python: Excel (Windows, Mac, the web)
loads the task pane and the custom functions from this server, which runs the scripts in
`custom_scripts/` against the workbook values Excel sends and answers with actions for Excel to carry out.

Safe by default:
- xlwings Server calls any attribute of `custom_scripts` a request names; `build_app` puts a route in
  front that answers 404 for every name that is not one of its `@script` functions, calling nothing.
- It will not start without sign-in (Entra ID, the one provider it supports), never with the packaged
  `custom` provider, which accepts the fixed token `test-token`, nor with a provider it does not know.
  `--local` is a trial on one's own machine: no sign-in, listening on 127.0.0.1 only.
- `PathGuard` wraps the whole app: a request whose path would resolve outside the static folders
  (`..` raw, percent-encoded once or twice, with backslashes) gets 404 before xlwings Server sees it.
- The manifest's URLs come from settings, never from the request: xlwings Server builds them from
  `XLWINGS_HOSTNAME` when set, else from the request's `Host` header (and `X-Forwarded-Proto`), so a manifest
  fetched through a hostile proxy would point Excel at another server. `/manifest`, `/manifest.xml` and
  `/manifest/download` are answered here with the configured public address (`SLI_ADDIN_PUBLIC_URL`,
  `--public-url`), or `http(s)://127.0.0.1:PORT` with `--local`; without one `sli addin` does not start.

Settings: the add-in's come from `shared/settings.py` (`Settings.xlwings`), and nothing here writes
`os.environ`. xlwings Server builds its settings object (`XLWINGS_*` environment, `.env` in this folder) when
`xlwings_server.config` is imported, and its app reads it when `xlwings_server.main` is imported; `_load_xlwings`
sets our values on that object in between. Two values only the environment can give, read at import: the
project folder (xlwings Server's config) and the licence key (xlwings); those imports run inside
`shared.settings.import_environment`, which puts the environment back exactly as it was afterwards (also
removing the `XLWINGS_ON_SERVER` xlwings Server's config writes there for xlwings). (No `from __future__ import
annotations` here: FastAPI reads the annotations of the route defined inside `_pending_router`.)
"""

import inspect
import logging
import os
import re
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute, Match, NoMatchFound

from shared.domain.schema import AWAITING_ASSURANCE
from shared.domain.values import log_safe
from shared.settings import Settings, import_environment

EXCEL_DIR = Path(__file__).resolve().parent
#: The custom functions' namespace (=SLI.CHECK): fixed, the workbook's formulas and the manifest use it.
FUNCTIONS_NAMESPACE = "SLI"
DEFAULT_PORT = 8000
LOCAL_HOST = "127.0.0.1"
#: The packaged provider that accepts the fixed token "test-token": for xlwings' own tests only.
TEST_ONLY_PROVIDERS = ("custom",)
#: The sign-in providers `sli addin` accepts (xlwings Server imports a module named after each one).
SUPPORTED_PROVIDERS = ("entraid",)

logger = logging.getLogger(__name__)


class AddinConfigError(Exception):
    """The add-in server is not configured to start safely; the message is one sentence saying what to do."""


# --- settings --------------------------------------------------------------------------------------

def _load_xlwings(served: Settings, local: bool) -> None:
    """Import xlwings Server, once per process, with the add-in's settings (`served.xlwings`; no sign-in for
    `local`), the environment untouched afterwards (see the module's docstring). Refuses, before importing
    anything, sign-in providers the add-in does not support, unless `local`."""
    if "xlwings_server.main" in sys.modules:
        from xlwings_server.config import PROJECT_DIR

        _check_project_dir(PROJECT_DIR)
        return
    if not local and served.xlwings.auth_providers is not None:
        problem = provider_problem(list(served.xlwings.auth_providers))
        if problem:
            raise AddinConfigError(problem)
    from pydantic import ValidationError

    with import_environment({"XLWINGS_PROJECT_DIR": str(EXCEL_DIR),
                             "XLWINGS_LICENSE_KEY": served.xlwings.license_key}):
        try:
            from xlwings_server import config
        except ValidationError as exc:  # an `XLWINGS_*` variable of xlwings Server's own, set to a bad value
            error = exc.errors()[0]
            name = "XLWINGS_" + "_".join(str(part) for part in error["loc"][:1]).upper()
            raise AddinConfigError(f"xlwings Server cannot start with {name} as set: "
                                   f"{error['msg'].rstrip('.')}.") from None
        _check_project_dir(config.PROJECT_DIR)
        values = {**served.xlwings.server_values(local), "functions_namespace": FUNCTIONS_NAMESPACE}
        for name, value in values.items():
            setattr(config.settings, name, value)
        try:
            import xlwings_server.main  # noqa: F401 - builds the app, importing xlwings and our scripts
        except Exception as exc:
            if type(exc).__name__ != "LicenseError":  # xlwings' own, raised while xlwings is being imported
                raise
            raise AddinConfigError(f"xlwings refused its licence key ({str(exc).rstrip('.')}): set "
                                   "XLWINGS_LICENSE_KEY to a valid key, or leave it unset for the noncommercial "
                                   "licence (see README, 'Licence').") from None


def _check_project_dir(project_dir: Path) -> None:
    if Path(project_dir).resolve() != EXCEL_DIR:
        raise AddinConfigError(f"xlwings Server was already loaded in this process for {project_dir}, "
                               f"not for the add-in in {EXCEL_DIR}: start it in a fresh process.")


def _settings():
    from xlwings_server.config import settings

    return settings


def provider_problem(providers: list) -> str | None:
    """Why these sign-in providers must not be used, in one sentence; None when they are all supported.
    Names must match exactly: xlwings Server imports a module by the name as written."""
    if any(str(p).strip().lower() in TEST_ONLY_PROVIDERS for p in providers):
        return ("The packaged 'custom' auth provider accepts the fixed token 'test-token' and must not be "
                "used: configure Entra ID sign-in (XLWINGS_AUTH_PROVIDERS='[\"entraid\"]'), or use --local.")
    unknown = [str(p) for p in providers if p not in SUPPORTED_PROVIDERS]
    if unknown:
        return (f"Unknown sign-in provider {unknown[0][:40]!r} in XLWINGS_AUTH_PROVIDERS: the add-in supports "
                "only Entra ID (XLWINGS_AUTH_PROVIDERS='[\"entraid\"]', see the README), or use --local.")
    return None


def auth_problem(settings, local: bool) -> str | None:
    """Why the server must not start with these settings, in one sentence; None when it may."""
    providers = [str(p).strip().lower() for p in (settings.auth_providers or [])]
    if local:
        return None
    if not providers:
        return ("No sign-in is configured: set XLWINGS_AUTH_PROVIDERS='[\"entraid\"]' with "
                "XLWINGS_AUTH_ENTRAID_CLIENT_ID and XLWINGS_AUTH_ENTRAID_TENANT_ID (see the README), "
                "or use --local for a trial on this machine only.")
    problem = provider_problem(settings.auth_providers or [])
    if problem:
        return problem
    if "entraid" in providers and not settings.auth_entraid_client_id:
        return "Entra ID sign-in needs XLWINGS_AUTH_ENTRAID_CLIENT_ID (the add-in's app registration)."
    if "entraid" in providers and not (settings.auth_entraid_tenant_id or settings.auth_entraid_multitenant):
        return "Entra ID sign-in needs XLWINGS_AUTH_ENTRAID_TENANT_ID (the council's Microsoft 365 tenant)."
    return None


# --- the public address ----------------------------------------------------------------------------

#: A DNS name: labels of letters, digits and hyphens (not at either end), joined by dots.
_HOST_NAME = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)(?:\.(?!-)[a-z0-9-]{1,63}(?<!-))*$")


def checked_public_url(url: str) -> str:
    """The public address as the manifest's base, `https://host[:port]`; AddinConfigError with one sentence when
    it is not such an address (Excel loads add-ins over HTTPS only; a path belongs in XLWINGS_APP_PATH)."""
    import ipaddress

    text = url.strip()
    parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError:
        port = 0
    host = parts.hostname or ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if (parts.scheme.lower() != "https" or port == 0 or parts.username is not None
            or parts.path not in ("", "/") or parts.query or parts.fragment or not text.isprintable() or " " in text
            or not (address or _HOST_NAME.match(host))):
        raise AddinConfigError("The add-in's public address must be the https address Excel reaches it at, with "
                               "nothing after the host and port, such as https://sli.council.gov.uk, not "
                               f"{text[:80]!r} (SLI_ADDIN_PUBLIC_URL or --public-url).")
    shown = f"[{host}]" if address and address.version == 6 else host
    return f"https://{shown}{f':{port}' if port else ''}"


def manifest_base(app) -> str | None:
    """The address the manifest's URLs start with, as `run` configured it (None: not configured)."""
    return getattr(app.state, "sli_public_url", None)


def _manifest_response(request, download: bool):
    """xlwings Server's manifest (the same template and context as its own route), with the configured base."""
    from xlwings_server.templates import TemplateResponse

    base = manifest_base(request.app)
    if not base:
        return PlainTextResponse("The add-in's public address is not configured (SLI_ADDIN_PUBLIC_URL).",
                                 status_code=503)
    settings = _settings()
    headers = {}
    if download:
        name = re.sub(r"[^a-z0-9]+", "-", settings.project_name.lower()).strip("-")
        headers["Content-Disposition"] = f"attachment; filename={name}-{settings.environment}.xml"
    return TemplateResponse(request=request, name="manifest.xml", media_type="text/plain", headers=headers,
                            context={"settings": settings, "base_url": base,
                                     "base_url_with_app_path": f"{base}{settings.app_path}",
                                     "manifest_id": getattr(settings, f"manifest_id_{settings.environment}")})


def _manifest_routes(app_path: str) -> list:
    """`/manifest`, `/manifest.xml` and `/manifest/download` (xlwings Server's paths), matched before its own."""
    from starlette.routing import Route

    async def manifest(request):
        return _manifest_response(request, download=False)

    async def manifest_download(request):
        return _manifest_response(request, download=True)

    return [Route(f"{app_path}/manifest", manifest, methods=["GET"]),
            Route(f"{app_path}/manifest.xml", manifest, methods=["GET"]),
            Route(f"{app_path}/manifest/download", manifest_download, methods=["GET"])]


# --- the app ---------------------------------------------------------------------------------------

def is_script(module, name: str) -> bool:
    """Whether `name` is one of the module's `@script` functions (not an import, helper or dunder)."""
    if name.startswith("_"):
        return False
    obj = module.__dict__.get(name)
    return inspect.isfunction(obj) and getattr(obj, "__xlscript__", None) is not None


class ScriptsOnly(BaseRoute):
    """Registered before xlwings Server's own route: `custom-scripts-call/{name}` for a name that is not
    an `@script` function of the custom-scripts module gets 404 here, and nothing is looked up or called."""

    def __init__(self, prefix: str, module):
        self.prefix = prefix
        self.module = module

    def matches(self, scope) -> tuple[Match, dict]:
        if scope["type"] != "http":
            return Match.NONE, {}
        path = scope["path"]
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root):]
        if path.startswith(self.prefix) and not is_script(self.module, path[len(self.prefix):]):
            return Match.FULL, {}
        return Match.NONE, {}

    def url_path_for(self, name: str, /, **path_params):
        raise NoMatchFound(name, path_params)

    async def handle(self, scope, receive, send) -> None:
        name = scope["path"].rsplit("/", 1)[-1]
        logger.warning("Refused a call of %s: not a script of the add-in", log_safe(name, 80))
        await PlainTextResponse("Not Found", status_code=404)(scope, receive, send)


# --- the path guard --------------------------------------------------------------------------------
#
# Guards against xlwings-server 1.20.0 (the latest release when written): its `OverridableStaticFiles`
# (the `/static` mount) looks a file up in the project's static folder first with
# `user_dir / path` and serves it if it exists, never checking that the result stays inside that folder
# (Starlette's own lookup, which it falls back to, does check). So `GET /static/../../../../etc/passwd`
# sent raw, `/static/%2e%2e/...` and `/static/..%2f...` answered 200 with the file, as did
# `/static/%2e%2e/%2e%2e/workbook/Appendix1.xlsx`, with or without sign-in (static files need none).
#
# The other routes of xlwings Server that serve files take no path from the URL: `/favicon.ico` (a fixed
# file), `/taskpane`, `/manifest`, `/manifest/download`, `/xlwings/alert` (templates named by settings,
# not by the request), `/xlwings/custom-functions-code` (a fixed file). With `XLWINGS_ENABLE_WASM` it
# mounts `/wasm`, `/custom_functions` and `/custom_scripts` the same way as `/static`: every StaticFiles
# mount of the app is guarded, whichever it is.

#: How many rounds of percent-decoding are undone when looking for `..` (`%252e` is `.` after two).
MAX_DECODES = 4


def _decoded_forms(path: str) -> list[str] | None:
    """The path and each stage of percent-decoding it, until it stops changing; None when it is still
    changing after MAX_DECODES rounds (nothing legitimate is encoded that deep)."""
    forms = [path]
    for _ in range(MAX_DECODES):
        decoded = unquote(forms[-1], errors="replace")
        if decoded == forms[-1]:
            return forms
        forms.append(decoded)
    return None


def path_traverses(path: str) -> bool:
    """Whether a request path, in any of its decoded forms and with backslashes read as separators
    (as Windows reads them), has a `..` segment or a NUL: no legitimate request has either."""
    forms = _decoded_forms(path)
    if forms is None:
        return True
    for form in forms:
        if "\x00" in form:
            return True
        if ".." in form.replace("\\", "/").split("/"):
            return True
    return False


def static_mounts(app) -> list[tuple[str, tuple[Path, ...]]]:
    """(URL prefix, folders) of every StaticFiles mount of `app`: for xlwings Server's `/static`, the
    project's static folder it checks first and the package's it falls back to."""
    from starlette.routing import Mount
    from starlette.staticfiles import StaticFiles

    mounts = []
    for route in app.routes:
        if isinstance(route, Mount) and isinstance(route.app, StaticFiles):
            folders = [getattr(route.app, "user_dir", None), *route.app.all_directories]
            mounts.append((route.path.rstrip("/"), tuple(Path(f) for f in folders if f is not None)))
    return mounts


def escapes_folder(folder: Path, relative: str) -> bool:
    """Whether `relative` (the part of a URL after a static mount) names a file outside `folder`, joined
    the way StaticFiles joins it, with symbolic links followed."""
    inner = os.path.normpath(os.path.join(*relative.replace("\\", "/").split("/"))) if relative.strip("/") else "."
    root = os.path.realpath(folder)
    full = os.path.realpath(os.path.join(root, inner))
    return os.path.commonpath([full, root]) != root


class PathGuard:
    """ASGI middleware in front of all of xlwings Server: 404, and nothing else runs, for a request whose
    path (as decoded, or as sent in `raw_path`) has a `..` segment, or whose file under a static mount
    would resolve outside that mount's folders. Whatever the sign-in mode: it wraps the app itself."""

    def __init__(self, app, mounts: list[tuple[str, tuple[Path, ...]]]):
        self.app = app
        self.mounts = mounts

    def refuses(self, scope) -> bool:
        """Whether the request must get 404 (see the class)."""
        path = scope.get("path", "")
        raw = scope.get("raw_path")
        raw_text = raw.decode("latin-1") if isinstance(raw, bytes | bytearray) else ""
        if path_traverses(path) or path_traverses(raw_text):
            return True
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root):]
        for prefix, folders in self.mounts:
            if path.startswith(prefix + "/"):
                relative = path[len(prefix) + 1:]
                try:
                    return any(escapes_folder(folder, relative) for folder in folders)
                except ValueError:  # a NUL, or paths on different drives (Windows): not a file of ours
                    return True
        return False

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] in ("http", "websocket") and self.refuses(scope):
            logger.warning("Refused a request for %s: outside the add-in's files", log_safe(scope.get("path", ""), 120))
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            else:
                await PlainTextResponse("Not Found", status_code=404)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _pending_router():
    """`GET /sli/pending`: the task pane's count of updates waiting, and the recommendations that read "Complete,
    awaiting assurance" (an htmx fragment, signed-in users only)."""
    from fastapi import APIRouter, Request
    from xlwings_server import dependencies as dep
    from xlwings_server.templates import TemplateResponse

    from excel.appendix_scripts import awaiting_assurance, pending_count, served_workbook

    router = APIRouter(prefix=_settings().app_path)

    @router.get("/sli/pending", name="sli_pending")
    async def sli_pending(request: Request, current_user: dep.User):
        return TemplateResponse(request=request, name="_sli_pending.html",
                                context={"pending": pending_count(), "workbook": served_workbook().name,
                                         "awaiting": awaiting_assurance(), "awaiting_label": AWAITING_ASSURANCE})

    return router


def build_app(local: bool = False, public_url: str | None = None, served: Settings | None = None):
    """The add-in's ASGI app: xlwings Server's FastAPI app (inside xlwings Server's CORS and, when
    enabled, Socket.IO wrappers, as `xlwings-server` serves it) with the script guard, `/sli/pending` and the
    manifest routes, all behind `PathGuard`. `public_url` is the manifest's base (`run` passes it); with
    `local` and none given, `http://127.0.0.1:8000`.

    xlwings Server is configured once per process, when first imported, from `served.xlwings` (the defaults
    when not given); later calls return the same app (with sign-in switched off for `local`).
    """
    _load_xlwings(served or Settings(), local)
    import xlwings
    import xlwings_server.main as xlwings_main
    from xlwings_server.routers import xlwings as xlwings_router

    if not xlwings.__pro__:
        raise AddinConfigError("xlwings' remote engine is off: xlwings was imported before the add-in was built "
                               "(call build_app first), or XLWINGS_LICENSE_KEY is not a valid key.")
    settings = _settings()
    if local:
        settings.auth_providers = []
    app = xlwings_main.app
    if not getattr(app.state, "sli_configured", False):
        prefix = f"{settings.app_path}/xlwings/custom-scripts-call/"
        app.router.routes.insert(0, ScriptsOnly(prefix, xlwings_router.custom_scripts))
        app.router.routes[1:1] = _manifest_routes(settings.app_path)
        # Starlette answers `/taskpane/` with a redirect to an absolute URL built from the Host header: off.
        app.router.redirect_slashes = False
        app.include_router(_pending_router())
        app.state.sli_guarded = PathGuard(xlwings_main.main_app, static_mounts(app))
        app.state.sli_configured = True
    if public_url:
        app.state.sli_public_url = public_url
    elif local and not manifest_base(app):
        app.state.sli_public_url = f"http://{LOCAL_HOST}:{DEFAULT_PORT}"
    return app.state.sli_guarded


# --- serving ---------------------------------------------------------------------------------------

def _tls_files(settings: Settings) -> tuple[str | None, str | None]:
    """`SLI_ADDIN_SSL_CERTFILE`/`SLI_ADDIN_SSL_KEYFILE`, else mkcert's files in excel/certs (as
    `xlwings-server` looks for them). Excel loads add-ins over HTTPS only."""
    cert, key = settings.addin_certfile, settings.addin_keyfile
    if cert and key:
        return cert, key
    cert_path, key_path = EXCEL_DIR / "certs" / "localhost+2.pem", EXCEL_DIR / "certs" / "localhost+2-key.pem"
    if cert_path.is_file() and key_path.is_file():
        return str(cert_path), str(key_path)
    return None, None


class Prepared:
    """The add-in checked and built for serving: its ASGI app, where it listens, TLS files, manifest base."""

    def __init__(self, app, host: str, certfile: str | None, keyfile: str | None, base: str, scheme: str):
        self.app, self.host, self.certfile, self.keyfile = app, host, certfile, keyfile
        self.base, self.scheme = base, scheme


def prepare(port: int = DEFAULT_PORT, local: bool = False, host: str | None = None,
            served: Settings | None = None, public_url: str | None = None) -> Prepared:
    """Check the settings and build the add-in for `served.workbook`, not yet serving (`run` serves it; `sli
    serve` mounts `.app` beside the other front ends). Raises AddinConfigError rather than start unsafely:
    without sign-in (unless `local`), or without a public address for the manifest (`public_url`, else
    `served.addin_public_url`; `local` uses its own 127.0.0.1 address)."""
    served = served or Settings()
    if local and host not in (None, LOCAL_HOST, "localhost"):
        raise AddinConfigError(f"--local listens on {LOCAL_HOST} only (no sign-in); leave out --host "
                               "or configure sign-in to serve other machines.")
    if local and public_url:
        raise AddinConfigError(f"--local is reached at {LOCAL_HOST} only; leave out --public-url, or configure "
                               "sign-in to serve other machines.")
    app = build_app(local, served=served)
    problem = auth_problem(_settings(), local)
    if problem:
        raise AddinConfigError(problem)
    host = LOCAL_HOST if local else (host or served.addin_host or LOCAL_HOST)
    certfile, keyfile = _tls_files(served)
    scheme = "https" if certfile else "http"
    if local:
        base = f"{scheme}://{LOCAL_HOST}:{port}"
    elif public_url or served.addin_public_url:
        base = checked_public_url(public_url or served.addin_public_url)
    else:
        raise AddinConfigError("No public address for the add-in: set SLI_ADDIN_PUBLIC_URL (or --public-url) to "
                               "the https address Excel reaches it at, such as https://sli.council.gov.uk, or use "
                               "--local for a trial on this machine only.")
    app = build_app(local, public_url=base)
    from excel.appendix_scripts import configure

    configure(served)
    return Prepared(app, host, certfile, keyfile, base, scheme)


def run(port: int = DEFAULT_PORT, local: bool = False, host: str | None = None,
        served: Settings | None = None, public_url: str | None = None, verbose: bool = False) -> None:
    """Serve the add-in for `served.workbook` (blocks until stopped); see `prepare` for what it refuses. It
    prints the task pane's and the manifest's addresses; uvicorn logs at `SLI_ADDIN_LOG_LEVEL` (warning by
    default: no line per request), at info with `verbose`."""
    served = served or Settings()
    prepared = prepare(port, local, host, served, public_url)
    app, host, certfile, keyfile = prepared.app, prepared.host, prepared.certfile, prepared.keyfile
    scheme, base = prepared.scheme, prepared.base
    app_path = _settings().app_path
    print(f"SLI Tracker add-in for {served.workbook} at {scheme}://{host}:{port}"
          f"{' (local trial, no sign-in)' if local else ''}: task pane {base}{app_path}/taskpane (it runs inside "
          f"Excel), manifest to sideload {base}{app_path}/manifest/download.", file=sys.stderr)
    if not certfile:
        print("No TLS certificate (excel/certs or SLI_ADDIN_SSL_CERTFILE/KEYFILE): Excel loads add-ins over "
              "HTTPS only, so put this behind an HTTPS proxy or add a certificate.", file=sys.stderr)
    import uvicorn

    uvicorn.run(app, host=host, port=port, ssl_certfile=certfile, ssl_keyfile=keyfile,
                log_level="info" if verbose else served.addin_log_level)


def serve_local_in_background(served: Settings, port: int = DEFAULT_PORT):
    """The local trial server (127.0.0.1, no sign-in) in a daemon thread, for `sli run`: over HTTPS when
    a certificate is found (excel/certs, as for `sli addin`), since Excel loads add-ins over HTTPS only.
    Returns the uvicorn server (`.started` turns true once it listens, `.config.is_ssl` says whether it
    is HTTPS, `.should_exit = True` stops it)."""
    import threading

    import uvicorn

    from excel.appendix_scripts import configure

    configure(served)
    certfile, keyfile = _tls_files(served)
    base = f"{'https' if certfile else 'http'}://{LOCAL_HOST}:{port}"
    app = build_app(local=True, public_url=base, served=served)
    server = uvicorn.Server(uvicorn.Config(app, host=LOCAL_HOST, port=port, log_level="warning",
                                           ssl_certfile=certfile, ssl_keyfile=keyfile))
    threading.Thread(target=server.run, name="sli-addin", daemon=True).start()
    return server


def main(port: int = DEFAULT_PORT, local: bool = False, host: str | None = None,
         served: Settings | None = None, public_url: str | None = None, verbose: bool = False) -> int:
    """`sli addin [--port N] [--local] [--host H] [--public-url URL]`: 0 when the server stopped, 2 when it
    refused to start."""
    try:
        run(port=port, local=local, host=host, served=served, public_url=public_url, verbose=verbose)
    except AddinConfigError as exc:
        print(f"sli addin: {exc}", file=sys.stderr)
        return 2
    return 0

