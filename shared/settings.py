"""Every setting the tracker reads from the environment, read once (`Settings.from_env`) and passed
down: the core and the front ends take a `Settings` (or the `Store` it makes), never `os.environ`.
tests/test_core_structure.py checks that no other module of shared/, bot/, excel/ or sli.py reads or
writes `os.environ`.

A value a setting cannot take is a `SettingsError`: one sentence naming the variable and what it accepts,
which `sli` (and so the bot, Teams and add-in start commands) prints with exit code 2, never a traceback.

The one write: xlwings reads its licence key and xlwings Server its project folder from `os.environ` when
they are imported, and offer no other way to be given them (xlwings Server's own config also writes
`XLWINGS_ON_SERVER` there for xlwings to read). `import_environment` sets such values for the length of
that import only and then puts the environment back exactly as it was (excel/server.py uses it once)."""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from shared.graph.address import RemoteAddress, is_remote, parse
from shared.uow import DEFAULT_KEEP_BACKUPS, Store

DEFAULT_WORKBOOK = Path("workbook/Appendix1.xlsx")
#: Microsoft Graph, unless SLI_GRAPH_URL names a stand-in (the tests') or a national cloud.
GRAPH_URL = "https://graph.microsoft.com/v1.0"
#: Where msal signs in (`SLI_GRAPH_AUTHORITY` for a national cloud).
GRAPH_AUTHORITY = "https://login.microsoftonline.com"
SLACK_API_URL = "https://slack.com/api/"
#: The add-in server's log levels (uvicorn's).
ADDIN_LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
#: How `sli serve` writes its log lines (`SLI_LOG_FORMAT`): plain text, or one JSON object a line.
LOG_FORMATS = ("plain", "json")
#: `sli serve`'s port unless `SLI_PORT` or `--port` says otherwise.
DEFAULT_SERVE_PORT = 8000
#: The longest interval a `*_SECONDS` setting takes: a day. Waiting updates are retried this often at least;
#: a far longer one (1e12) overflows the scheduler's date arithmetic when the bot or Teams starts.
MAX_SECONDS = 86_400
#: This add-in's own manifest IDs, one per xlwings Server environment (its defaults are shared by every
#: project that kept them); `XLWINGS_MANIFEST_ID_<ENVIRONMENT>` overrides one.
MANIFEST_IDS = {
    "dev": "a7e7e0e8-e4f5-48ef-a4db-f1898c0c9873",
    "qa": "76af83e4-16cc-444e-8369-b0be19ec6dd9",
    "uat": "ec4ba8e6-b07b-4e20-936a-43bbb464ffa5",
    "staging": "a6946470-5d11-4cf6-8737-d0d8e3c3d58d",
    "prod": "d1bf4891-5672-454f-8deb-9b829d545e0e",
}
#: What pydantic (xlwings Server's settings) takes as true and false.
_TRUE, _FALSE = ("1", "true", "t", "yes", "y", "on"), ("0", "false", "f", "no", "n", "off")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
#: A DNS name (a tenant such as contoso.onmicrosoft.com): labels of letters, digits and hyphens, joined by dots.
_DOMAIN = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)(?:\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))+$")


class SettingsError(ValueError):
    """An environment variable set to a value it cannot take: one sentence naming it and what it accepts."""


@dataclass(frozen=True)
class TeamsSettings:
    """The Teams bot's Microsoft Entra app registration (README, "Teams")."""

    client_id: str = ""
    tenant_id: str = ""
    client_secret: str = field(default="", repr=False)  # secrets stay out of the repr (and so of logs)
    #: A certificate instead of a secret: the path of a .pfx file (no password) registered on the app.
    certificate: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> TeamsSettings:
        """`SLI_TEAMS_CLIENT_ID` (a GUID), `SLI_TEAMS_TENANT_ID` (a GUID or the tenant's domain),
        `SLI_TEAMS_CLIENT_SECRET` or `SLI_TEAMS_CERTIFICATE` (an existing file; it wins over a secret)."""
        client_id = env.get("SLI_TEAMS_CLIENT_ID", "").strip()
        if client_id and not _GUID.match(client_id):
            raise SettingsError(f"SLI_TEAMS_CLIENT_ID is '{client_id[:60]}': it takes the bot's Microsoft Entra "
                                "application (client) id, a GUID such as 1b2c3d4e-0000-4000-8000-123456789abc.")
        tenant_id = env.get("SLI_TEAMS_TENANT_ID", "").strip()
        if tenant_id and not (_GUID.match(tenant_id) or _DOMAIN.match(tenant_id)):
            raise SettingsError(f"SLI_TEAMS_TENANT_ID is '{tenant_id[:60]}': it takes the council's Microsoft Entra "
                                "tenant id, a GUID, or its domain such as council.onmicrosoft.com.")
        certificate = env.get("SLI_TEAMS_CERTIFICATE", "").strip()
        if certificate and not Path(certificate).is_file():
            raise SettingsError(f"SLI_TEAMS_CERTIFICATE is '{certificate[:80]}': it takes the path of the bot's "
                                ".pfx certificate file, and there is no file there.")
        return cls(client_id=client_id, tenant_id=tenant_id, client_secret=env.get("SLI_TEAMS_CLIENT_SECRET", ""),
                   certificate=certificate)

    def missing(self) -> list[str]:
        """What the registration lacks, as the variables to set (empty when it is complete)."""
        out = [name for name, value in (("SLI_TEAMS_CLIENT_ID", self.client_id),
                                        ("SLI_TEAMS_TENANT_ID", self.tenant_id)) if not value]
        if not self.client_secret and not self.certificate:
            out.append("SLI_TEAMS_CLIENT_SECRET or SLI_TEAMS_CERTIFICATE")
        return out


@dataclass(frozen=True)
class GraphSettings:
    """A workbook in SharePoint or OneDrive (README, "For IT: the workbook in SharePoint or OneDrive"): its address,
    Graph's address, how to sign in, and the folder its journal, state and downloaded copy live in (never
    beside the remote file)."""

    address: RemoteAddress
    url: str = GRAPH_URL
    #: `SLI_GRAPH_TOKEN`: a bearer token used as it is (tests, unusual set-ups); else msal's cache.
    token: str = field(default="", repr=False)  # kept out of the settings' repr (and so of logs)
    state_dir: Path = Path(".")
    #: `SLI_GRAPH_CLIENT_ID` / `SLI_GRAPH_TENANT_ID`: the Entra app `sli graph login` signs in through.
    client_id: str = ""
    tenant_id: str = "organizations"
    #: `SLI_GRAPH_CERTIFICATE` (a .pem with the private key and certificate) and its thumbprint: app-only
    #: sign-in, which Microsoft does not document for the workbook API.
    certificate: str = ""
    thumbprint: str = ""
    authority: str = GRAPH_AUTHORITY

    @classmethod
    def from_env(cls, text: str, env: Mapping[str, str]) -> GraphSettings:
        try:
            address = parse(text)
        except ValueError as exc:
            raise SettingsError(str(exc)) from None
        url = (env.get("SLI_GRAPH_URL") or GRAPH_URL).strip().rstrip("/")
        if not url.startswith(("https://", "http://")):
            raise SettingsError(f"SLI_GRAPH_URL is '{url[:60]}': it takes a web address starting with https:// "
                                f"(Microsoft Graph's own, the default, is {GRAPH_URL}).")
        certificate = env.get("SLI_GRAPH_CERTIFICATE", "").strip()
        if certificate and not Path(certificate).is_file():
            raise SettingsError(f"SLI_GRAPH_CERTIFICATE is '{certificate[:80]}': it takes the path of a .pem file "
                                "holding the app's private key and certificate, and there is no file there.")
        state = env.get("SLI_STATE_DIR", "").strip()
        base = Path(env.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "sli-tracker"
        folder = Path(state) if state else base / f"graph-{hashlib.sha256(address.text.encode()).hexdigest()[:12]}"
        return cls(address=address, url=url, token=env.get("SLI_GRAPH_TOKEN", "").strip(), state_dir=folder,
                   client_id=env.get("SLI_GRAPH_CLIENT_ID", "").strip(),
                   tenant_id=env.get("SLI_GRAPH_TENANT_ID", "").strip() or "organizations",
                   certificate=certificate,
                   thumbprint=env.get("SLI_GRAPH_THUMBPRINT", "").strip(),
                   authority=env.get("SLI_GRAPH_AUTHORITY", "").strip() or GRAPH_AUTHORITY)

    @property
    def copy(self) -> Path:
        """The downloaded copy the readers read (journal, lock and backups beside it, in the state folder)."""
        return self.state_dir / self.address.file_name


@dataclass(frozen=True)
class XlwingsSettings:
    """What the add-in gives xlwings Server (excel/server.py sets them on its settings object before its app
    is built). xlwings Server reads any other `XLWINGS_*` variable itself (sign-in ids, `XLWINGS_APP_PATH`...)."""

    #: xlwings' licence: PolyForm Noncommercial 1.0.0 unless a key is set (README, "Licence").
    license_key: str = field(default="noncommercial", repr=False)  # a paid key is a secret
    project_name: str = "SLI Tracker"
    #: No streaming functions, so no Socket.IO needed.
    enable_socketio: bool = False
    enable_examples: bool = False
    #: (environment, manifest id) for each of xlwings Server's environments.
    manifest_ids: tuple[tuple[str, str], ...] = tuple(MANIFEST_IDS.items())
    #: `XLWINGS_AUTH_PROVIDERS` as a list; None when it is not set (xlwings Server's own default then holds).
    auth_providers: tuple[str, ...] | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> XlwingsSettings:
        """`XLWINGS_LICENSE_KEY`, `XLWINGS_PROJECT_NAME`, `XLWINGS_ENABLE_SOCKETIO`, `XLWINGS_ENABLE_EXAMPLES`,
        `XLWINGS_MANIFEST_ID_<ENVIRONMENT>` and `XLWINGS_AUTH_PROVIDERS`."""
        defaults = cls()
        return cls(license_key=env.get("XLWINGS_LICENSE_KEY", "").strip() or defaults.license_key,
                   project_name=env.get("XLWINGS_PROJECT_NAME", "").strip() or defaults.project_name,
                   enable_socketio=_flag(env, "XLWINGS_ENABLE_SOCKETIO", defaults.enable_socketio),
                   enable_examples=_flag(env, "XLWINGS_ENABLE_EXAMPLES", defaults.enable_examples),
                   manifest_ids=tuple((name, _manifest_id(env, name, default))
                                      for name, default in MANIFEST_IDS.items()),
                   auth_providers=_providers(env))

    def server_values(self, local: bool) -> dict[str, object]:
        """The fields of xlwings Server's settings object these set; `local` has no sign-in at all."""
        values: dict[str, object] = {
            "license_key": self.license_key, "project_name": self.project_name,
            "enable_socketio": self.enable_socketio, "enable_examples": self.enable_examples,
            **{f"manifest_id_{name}": uuid.UUID(value) for name, value in self.manifest_ids}}
        if local:
            values["auth_providers"] = []
        elif self.auth_providers is not None:
            values["auth_providers"] = list(self.auth_providers)
        return values


@dataclass(frozen=True)
class Settings:
    """The workbook and what sits beside it, and the Slack, Teams and add-in settings (see README)."""

    workbook: Path = DEFAULT_WORKBOOK
    journal: Path | None = None
    keep_backups: int = DEFAULT_KEEP_BACKUPS
    bot_token: str = field(default="", repr=False)  # secrets stay out of the repr (and so of logs)
    signing_secret: str = field(default="", repr=False)
    app_token: str = field(default="", repr=False)
    api_url: str = SLACK_API_URL
    summary_channel: str = ""
    poll_seconds: float = 10.0
    addin_host: str = ""
    addin_certfile: str = ""
    addin_keyfile: str = ""
    addin_log_level: str = "warning"
    #: Where Excel reaches the add-in (`https://sli.council.gov.uk`): the manifest's URLs, never request headers.
    addin_public_url: str = ""
    teams: TeamsSettings = field(default_factory=TeamsSettings)
    xlwings: XlwingsSettings = field(default_factory=XlwingsSettings)
    #: Who this process writes the workbook as, for the sentence when it may not ("" when not known).
    owner_name: str = ""
    #: `SLI_RETENTION_DAYS`: how long `sli purge` lets the journal keep settled updates (README, "Personal
    #: data"); None: as long as the workbook keeps its Change log.
    retention_days: int | None = None
    # `sli serve` (README, "For IT"): one process, one port, every front end these settings enable.
    #: The https address the service is reached at from outside (`SLI_PUBLIC_URL`): Slack then posts to
    #: `/slack/events` on it, and the add-in's manifest points there unless SLI_ADDIN_PUBLIC_URL says otherwise.
    #: Without it Slack is reached by Socket Mode (SLACK_APP_TOKEN), from inside the council's network.
    public_url: str = ""
    serve_host: str = "127.0.0.1"
    serve_port: int = DEFAULT_SERVE_PORT
    log_format: str = "plain"
    #: The workbook in SharePoint or OneDrive, when SLI_WORKBOOK names one (`workbook` is then its copy).
    graph: GraphSettings | None = None

    @classmethod
    def from_env(cls, workbook: Path | str | None = None, env: Mapping[str, str] | None = None) -> Settings:
        """`SLI_*`, `SLACK_*` and the add-in's `XLWINGS_*` variables; an explicit `workbook` (`--workbook`)
        wins over `SLI_WORKBOOK`."""
        env = os.environ if env is None else env
        api_url = env.get("SLACK_API_URL") or SLACK_API_URL
        if not api_url.startswith(("https://", "http://")):
            raise SettingsError(f"SLACK_API_URL is '{api_url}': it takes a web address starting with https:// "
                                "(Slack's own, the default, is https://slack.com/api/).")
        named = str(workbook or env.get("SLI_WORKBOOK") or "")
        graph = GraphSettings.from_env(named, env) if is_remote(named) else None
        return cls(workbook=graph.copy if graph else Path(named or DEFAULT_WORKBOOK), graph=graph,
                   journal=Path(env["SLI_JOURNAL"]) if env.get("SLI_JOURNAL") else None,
                   keep_backups=_whole_number(env, "SLI_KEEP_BACKUPS", DEFAULT_KEEP_BACKUPS),
                   bot_token=env.get("SLACK_BOT_TOKEN", ""), signing_secret=env.get("SLACK_SIGNING_SECRET", ""),
                   app_token=env.get("SLACK_APP_TOKEN", ""),
                   api_url=api_url if api_url.endswith("/") else api_url + "/",
                   summary_channel=env.get("SLI_SUMMARY_CHANNEL", ""),
                   poll_seconds=_seconds(env, "SLI_POLL_SECONDS", 10.0),
                   addin_host=env.get("SLI_ADDIN_HOST", ""),
                   addin_certfile=env.get("SLI_ADDIN_SSL_CERTFILE", ""),
                   addin_keyfile=env.get("SLI_ADDIN_SSL_KEYFILE", ""),
                   addin_log_level=_choice(env, "SLI_ADDIN_LOG_LEVEL", ADDIN_LOG_LEVELS, "warning"),
                   addin_public_url=env.get("SLI_ADDIN_PUBLIC_URL", ""),
                   public_url=env.get("SLI_PUBLIC_URL", "").strip(),
                   serve_host=env.get("SLI_HOST", "").strip() or "127.0.0.1",
                   serve_port=_port(env, "SLI_PORT", DEFAULT_SERVE_PORT),
                   log_format=_choice(env, "SLI_LOG_FORMAT", LOG_FORMATS, "plain"),
                   teams=TeamsSettings.from_env(env), xlwings=XlwingsSettings.from_env(env),
                   owner_name=owner_name(env), retention_days=_retention_days(env))

    def with_workbook(self, workbook: Path | str) -> Settings:
        return replace(self, workbook=Path(workbook), graph=None)

    def store(self) -> Store:
        if self.graph is not None:  # the journal, locks and copy of a remote workbook live in its state folder
            self.graph.state_dir.mkdir(parents=True, exist_ok=True)
        return Store.for_workbook(self.workbook, journal=self.journal, keep_backups=self.keep_backups,
                                  owner_name=self.owner_name)


def owner_name(env: Mapping[str, str]) -> str:
    """The user this process runs as: on POSIX its effective user's name (the uid when the system has no name
    for it, as in a container run under an arbitrary uid; never `USERNAME`, which anyone can set), on Windows
    `USERNAME`."""
    if hasattr(os, "geteuid"):
        try:
            import pwd

            return pwd.getpwuid(os.geteuid()).pw_name
        except (ImportError, KeyError):
            return str(os.geteuid())
    return env.get("USERNAME", "").strip()


@contextmanager
def import_environment(values: Mapping[str, str]) -> Iterator[None]:
    """`values` in the process environment for the length of the block (an import that reads them from
    there, see the module's docstring); afterwards the environment is exactly what it was before, whatever
    the block added or changed. Not for code that runs alongside other threads writing the environment."""
    before = dict(os.environ)
    try:
        os.environ.update(values)
        yield
    finally:
        for name in [name for name in os.environ if name not in before]:
            del os.environ[name]
        for name, value in before.items():
            if os.environ.get(name) != value:
                os.environ[name] = value


def _whole_number(env: Mapping[str, str], name: str, default: int) -> int:
    text = (env.get(name) or "").strip()
    if not text:
        return default
    if not text.isdecimal():
        raise SettingsError(f"{name} is '{env[name]}': it takes a whole number, 0 or more (default {default}).")
    return int(text)


def _retention_days(env: Mapping[str, str]) -> int | None:
    """`SLI_RETENTION_DAYS`: a whole number of days, 1 or more; unset (or empty) keeps the journal's history as
    long as the workbook keeps its Change log."""
    text = (env.get("SLI_RETENTION_DAYS") or "").strip()
    if not text:
        return None
    if not text.isdecimal() or int(text) < 1:
        raise SettingsError(f"SLI_RETENTION_DAYS is '{env['SLI_RETENTION_DAYS'][:40]}': it takes a whole number of "
                            "days, 1 or more (unset: the journal keeps updates as long as the workbook keeps its "
                            "Change log).")
    return int(text)


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    text = (env.get(name) or "").strip()
    if not text:
        return default
    if not text.isdecimal() or not 0 < int(text) < 65536:
        raise SettingsError(f"{name} is '{env[name]}': it takes a port number from 1 to 65535 (default {default}).")
    return int(text)


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    text = (env.get(name) or "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 < value <= MAX_SECONDS):
        raise SettingsError(f"{name} is '{env[name]}': it takes a number of seconds greater than 0 and at most "
                            f"{MAX_SECONDS:,} (a day), such as 10 or 2.5 (default {default:g}).")
    return value


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    text = (env.get(name) or "").strip().lower()
    if not text:
        return default
    if text not in choices:
        raise SettingsError(f"{name} is '{env[name]}': it takes one of {', '.join(choices)} (default {default}).")
    return text


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    text = (env.get(name) or "").strip().lower()
    if not text:
        return default
    if text not in _TRUE + _FALSE:
        raise SettingsError(f"{name} is '{env[name][:40]}': it takes true or false "
                            f"(default {str(default).lower()}).")
    return text in _TRUE


def _manifest_id(env: Mapping[str, str], environment: str, default: str) -> str:
    name = f"XLWINGS_MANIFEST_ID_{environment.upper()}"
    text = (env.get(name) or "").strip()
    if not text:
        return default
    try:
        version = uuid.UUID(text).version if _GUID.match(text) else None
    except ValueError:
        version = None
    if version != 4:
        raise SettingsError(f"{name} is '{text[:60]}': it takes a random (version 4) UUID such as {default}.")
    return text.lower()


def _providers(env: Mapping[str, str]) -> tuple[str, ...] | None:
    """`XLWINGS_AUTH_PROVIDERS`, a JSON list of names (whether the add-in supports them is excel/server.py's
    to say, and only when it starts with sign-in); None when it is not set."""
    value = env.get("XLWINGS_AUTH_PROVIDERS")
    if value is None or not value.strip():
        return None
    try:
        providers = json.loads(value)
    except ValueError:
        providers = None
    if not isinstance(providers, list) or not all(isinstance(p, str) for p in providers):
        raise SettingsError(f"XLWINGS_AUTH_PROVIDERS is {value[:60]!r}: it takes a JSON list such as "
                            "'[\"entraid\"]' (see README, 'Sign-in with Entra ID').")
    return tuple(providers)
