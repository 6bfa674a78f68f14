"""Issue 16 point 9: the add-in manifest's URLs come from settings, never from the request.

xlwings Server builds the manifest's URLs from the request's `Host` header (and `X-Forwarded-Proto`) unless
`XLWINGS_HOSTNAME` is set, so a manifest fetched through a hostile proxy pointed Excel at another server.
Here `sli addin` runs as IT runs it (a subprocess under uvicorn on 127.0.0.1, Entra ID sign-in configured,
`--public-url`) and as the local trial (`--local`); each request carries forged `Host`, `X-Forwarded-Host`,
`X-Forwarded-Proto` and `Forwarded` headers, sent with `http.client` so they go out exactly as written.
"""

from __future__ import annotations

import http.client
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_addin_guard import clean_env, free_port, wait_until_listening

from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
COMMITTED_WORKBOOK = ROOT / "workbook" / "Appendix1.xlsx"
PUBLIC = "https://sli.council.example:8443"
PUBLIC_FLAG = "https://addin.council.example"
EVIL = "evil.example"
FORGED = {"Host": EVIL, "X-Forwarded-Host": EVIL, "X-Forwarded-Proto": "http", "X-Forwarded-Server": EVIL,
          "Forwarded": f"host={EVIL};proto=http"}
ENTRAID = {"XLWINGS_AUTH_PROVIDERS": '["entraid"]',
           "XLWINGS_AUTH_ENTRAID_CLIENT_ID": "00000000-0000-0000-0000-000000000001",
           "XLWINGS_AUTH_ENTRAID_TENANT_ID": "00000000-0000-0000-0000-000000000002"}
#: Addresses in the manifest that are not the add-in's: XML namespaces and xlwings' public icons.
FOREIGN_HOSTS = ("schemas.microsoft.com", "www.w3.org", "www.xlwings.org")
MANIFEST_PATHS = ["/manifest", "/manifest.xml", "/manifest/download"]


def forged_get(port: int, path: str) -> tuple[int, dict[str, str], str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest("GET", path, skip_host=True)
        for name, value in FORGED.items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode("utf-8", "replace")
    finally:
        connection.close()


@pytest.fixture(scope="module")
def servers(tmp_path_factory) -> Iterator[dict[str, tuple[int, str]]]:
    """{mode: (port, the address its manifest must use)}, each `sli addin` started when a test first asks:
    `env`: Entra ID sign-in and SLI_ADDIN_PUBLIC_URL; `flag`: the same with --public-url, which wins over the
    environment; `local`: --local."""
    if (ROOT / "excel" / "certs" / "localhost+2.pem").is_file():
        pytest.skip("excel/certs holds a certificate: --local would serve https, which these requests don't speak")
    book = tmp_path_factory.mktemp("served") / "Appendix1.xlsx"
    shutil.copy2(COMMITTED_WORKBOOK, book)
    ports = {mode: free_port() for mode in ("env", "flag", "local")}
    modes = {"env": (PUBLIC, [], {**ENTRAID, "SLI_ADDIN_PUBLIC_URL": PUBLIC + "/"}),
             "flag": (PUBLIC_FLAG, ["--public-url", PUBLIC_FLAG], {**ENTRAID, "SLI_ADDIN_PUBLIC_URL": PUBLIC}),
             "local": (f"http://127.0.0.1:{ports['local']}", ["--local"], {"SLI_ADDIN_PUBLIC_URL": PUBLIC})}
    processes: list[subprocess.Popen] = []

    class Started(dict):
        def __missing__(self, mode: str) -> tuple[int, str]:
            base, flags, env = modes[mode]
            process = subprocess.Popen(
                [sys.executable, str(ROOT / "sli.py"), "addin", "--workbook", str(book), "--port", str(ports[mode]),
                 *flags], env=clean_env(SLI_ADDIN_LOG_LEVEL="warning", **env), cwd=ROOT,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            processes.append(process)
            wait_until_listening(process, ports[mode])
            self[mode] = (ports[mode], base)
            return self[mode]

    try:
        yield Started()
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)


@pytest.mark.parametrize("mode", ["env", "flag", "local"])
@pytest.mark.parametrize("path", MANIFEST_PATHS)
def test_the_manifest_points_only_at_the_configured_address(servers, mode: str, path: str) -> None:
    port, base = servers[mode]
    status, headers, body = forged_get(port, path)
    assert status == 200, body[:300]
    assert EVIL not in body and EVIL not in str(headers)
    if mode == "flag":
        assert PUBLIC.removeprefix("https://") not in body  # the environment's address: the flag wins
    urls = re.findall(r"[a-z]+://[^\s\"'<>]+", body)
    ours = [url for url in urls if url.split("/")[2] not in FOREIGN_HOSTS]
    assert len(ours) >= 8, ours  # AppDomain, SourceLocation, icons, the task pane and custom functions
    assert all(url == base or url.startswith(base + "/") for url in ours if not url.startswith("api://")), ours
    if mode != "local":  # the Entra ID resource: api://<server host>/<client id>
        assert f"<Resource>api://{base.removeprefix('https://')}/{ENTRAID['XLWINGS_AUTH_ENTRAID_CLIENT_ID']}<" in body
    assert f"<AppDomain>{base}</AppDomain>" in body
    assert f'<SourceLocation DefaultValue="{base}/taskpane.html" />' in body
    if path.endswith("/download"):
        assert headers.get("content-disposition", "").startswith("attachment; filename=sli-tracker")


@pytest.mark.parametrize("path", ["/manifest/", "/taskpane/", "/sli/pending/"])
def test_no_redirect_is_built_from_the_host_header(servers, path: str) -> None:
    """Starlette would answer a trailing slash with a redirect to `http://evil.example/...`."""
    for port, _ in (servers["env"], servers["local"]):
        status, headers, body = forged_get(port, path)
        assert EVIL not in str(headers) and EVIL not in body
        assert status == 404


def run_addin(*flags: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "sli.py"), "addin", "--port", str(free_port()), *flags],
                          env=clean_env(**env), cwd=ROOT, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("flags, env, says", [
    ([], ENTRAID, "No public address for the add-in: set SLI_ADDIN_PUBLIC_URL"),
    ([], {**ENTRAID, "SLI_ADDIN_PUBLIC_URL": "http://sli.council.example"}, "must be the https address"),
    ([], {**ENTRAID, "SLI_ADDIN_PUBLIC_URL": "https://sli.council.example/sli?x=1"}, "nothing after the host"),
    (["--public-url", "https://evil example"], ENTRAID, "must be the https address"),
    (["--local", "--public-url", PUBLIC], {}, "leave out --public-url"),
])
def test_sli_addin_refuses_to_start_without_a_proper_public_address(flags, env, says) -> None:
    done = run_addin(*flags, **env)
    assert done.returncode == 2, done.stderr[-2000:]
    ours = [line for line in done.stderr.splitlines() if line.startswith("sli addin:")]
    assert len(ours) == 1 and says in ours[0] and ours[0].endswith(".")
    assert "Traceback" not in done.stderr and "Uvicorn running" not in done.stderr


def test_the_public_address_is_read_from_the_environment() -> None:
    env = {"SLI_ADDIN_PUBLIC_URL": PUBLIC}
    assert Settings.from_env(env=env).addin_public_url == PUBLIC
    assert Settings.from_env(env={}).addin_public_url == ""
