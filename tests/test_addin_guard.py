"""The add-in server never serves a file outside its static folders, over real HTTP.

xlwings-server 1.20.0's `/static` mount serves `excel/static/<path>` without checking that the path stays
in the folder (see `excel.server.PathGuard`). Here `sli addin` runs as officers and IT run it, in a
subprocess under uvicorn on 127.0.0.1, once with `--local` and once with Entra ID sign-in configured, and
each request is sent with `http.client`, which sends the path exactly as given (httpx and requests would
remove the `..` before it left). `sli addin` also refuses sign-in providers it does not support.
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from excel.server import escapes_folder, path_traverses

ROOT = Path(__file__).resolve().parents[1]
COMMITTED_WORKBOOK = ROOT / "workbook" / "Appendix1.xlsx"
UP = "../" * 12  # more than enough to reach / from any checkout's excel/static

#: Requests for files outside the static folders: the committed workbook, this repository's code, /etc/passwd.
ESCAPES = [
    "/static/" + UP + "etc/passwd",                                          # raw
    "/static/../../workbook/Appendix1.xlsx",
    "/static/js/../../../sli.py",
    "/static/" + "%2e%2e/" * 12 + "etc/passwd",                              # percent-encoded dots
    "/static/%2E%2E/%2E%2E/workbook/Appendix1.xlsx",
    "/static/%2e%2e/%2e%2e/workbook/Appendix1.xlsx",
    "/static/" + "..%2f" * 12 + "etc/passwd",                                # encoded slashes
    "/static/%2e%2e%2f%2e%2e%2fworkbook%2fAppendix1.xlsx",
    "/static/%252e%252e/%252e%252e/workbook/Appendix1.xlsx",                 # double-encoded
    "/static/..%252f..%252fworkbook/Appendix1.xlsx",
    "/static/%25252e%25252e/%25252e%25252e/workbook/Appendix1.xlsx",         # triple-encoded
    "/static/..\\..\\workbook\\Appendix1.xlsx",                             # backslashes
    "/static/..%5c..%5cworkbook%5cAppendix1.xlsx",
    "/static/%2e%2e%5c%2e%2e%5cworkbook%5cAppendix1.xlsx",
    "/static/.%2e/%2e./workbook/Appendix1.xlsx",                             # mixed
    "/static/..%2f%2e%2e/workbook/Appendix1.xlsx",
    "/static/css/..\\../%2e%2e/workbook/Appendix1.xlsx",
    "/static/%00../../workbook/Appendix1.xlsx",                              # NUL
    "/taskpane/../static/../../workbook/Appendix1.xlsx",                     # not under /static as sent
    "/favicon.ico/../../workbook/Appendix1.xlsx",
]
#: Files the task pane loads: the xlwings JS client and Office.js (from the package), ours (excel/static).
LEGITIMATE = ["/static/js/custom-scripts/index.js", "/static/vendor/office-js/16.0.20308.15050/dist/office.js",
              "/static/js/sli-taskpane.js", "/static/js/ribbon.js", "/static/css/style.css", "/favicon.ico",
              "/taskpane", "/manifest"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def raw_get(port: int, path: str, method: str = "GET") -> tuple[int, bytes]:
    """One request with `path` sent byte for byte as given."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "XLWINGS_", "SLI_"))}
    return {**env, **extra}


def wait_until_listening(process: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"sli addin stopped: {process.stderr.read()[-2000:]}")
        try:
            raw_get(port, "/")
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("sli addin did not listen within 30 s")


@pytest.fixture(scope="module")
def servers(tmp_path_factory) -> Iterator[dict[str, int]]:
    """`sli addin --local` and `sli addin` with Entra ID sign-in configured, each on a free port."""
    book = tmp_path_factory.mktemp("served") / "Appendix1.xlsx"
    shutil.copy2(COMMITTED_WORKBOOK, book)
    entraid = {"XLWINGS_AUTH_PROVIDERS": '["entraid"]',
               "XLWINGS_AUTH_ENTRAID_CLIENT_ID": "00000000-0000-0000-0000-000000000001",
               "XLWINGS_AUTH_ENTRAID_TENANT_ID": "00000000-0000-0000-0000-000000000002",
               "SLI_ADDIN_PUBLIC_URL": "https://sli.council.example"}
    modes = {"local": (["--local"], {}), "entraid": ([], entraid)}
    ports, processes = {}, []
    try:
        for mode, (flags, env) in modes.items():
            ports[mode] = free_port()
            processes.append(subprocess.Popen(
                [sys.executable, str(ROOT / "sli.py"), "addin", "--workbook", str(book), "--port",
                 str(ports[mode]), *flags], env=clean_env(SLI_ADDIN_LOG_LEVEL="warning", **env), cwd=ROOT,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
        for process, port in zip(processes, ports.values(), strict=True):
            wait_until_listening(process, port)
        yield ports
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)


@pytest.mark.parametrize("mode", ["local", "entraid"])
def test_paths_outside_the_static_folders_get_404(servers, mode):
    assert COMMITTED_WORKBOOK.is_file() and (ROOT / "sli.py").is_file()  # the targets exist
    answers = {path: raw_get(servers[mode], path) for path in ESCAPES}
    leaked = {path: status for path, (status, _) in answers.items() if status != 404}
    assert leaked == {}
    for _, body in answers.values():
        assert b"root:" not in body and not body.startswith(b"PK") and b"argparse" not in body
    assert raw_get(servers[mode], "/static/" + UP + "etc/passwd", method="HEAD")[0] == 404


@pytest.mark.parametrize("mode", ["local", "entraid"])
def test_the_task_panes_own_files_are_still_served(servers, mode):
    answers = {path: raw_get(servers[mode], path) for path in LEGITIMATE}
    assert {path: status for path, (status, _) in answers.items()} == dict.fromkeys(LEGITIMATE, 200)
    assert b"registerCallback(sliShowFindings)" in answers["/static/js/sli-taskpane.js"][1]
    assert b'xw-click="validate_appendix1"' in answers["/taskpane"][1]


def test_the_two_modes_differ_in_sign_in_only(servers):
    assert raw_get(servers["local"], "/sli/pending")[0] == 200
    assert raw_get(servers["entraid"], "/sli/pending")[0] == 401   # no Entra ID token


@pytest.mark.parametrize("path, traverses", [
    ("/static/js/ribbon.js", False), ("/static/css/style.css", False), ("/static/a..b/x.js", False),
    ("/static/../x", True), ("/static/%2e%2e/x", True), ("/static/%252E%252E/x", True),
    ("/static/..\\x", True), ("/static/%2e.%5cx", True), ("/static/%2525252e", True), ("/static/\x00", True),
])
def test_path_traverses(path, traverses):
    assert path_traverses(path) is traverses


def test_a_symbolic_link_out_of_a_static_folder_is_outside_it(tmp_path):
    folder, outside = tmp_path / "static", tmp_path / "secret"
    folder.mkdir()
    outside.mkdir()
    (folder / "ok.js").write_text("ok")
    (folder / "link").symlink_to(outside, target_is_directory=True)
    assert not escapes_folder(folder, "ok.js")
    assert escapes_folder(folder, "link/anything.txt")
    assert escapes_folder(folder, "../secret/x")


# --- sign-in providers ----------------------------------------------------------------------------------

@pytest.mark.parametrize("providers, says", [
    ('["bogus"]', "Unknown sign-in provider 'bogus'"),
    ('["entraid", "bogus"]', "Unknown sign-in provider 'bogus'"),
    ('["EntraID"]', "Unknown sign-in provider 'EntraID'"),   # xlwings Server imports the name as written
    ('["custom"]', "fixed token 'test-token'"),
    # Not a list at all: a value the setting cannot take, refused when the settings are read (shared/settings.py).
    ("bogus", "XLWINGS_AUTH_PROVIDERS is 'bogus': it takes a JSON list"),
    ('{"entraid": 1}', "it takes a JSON list"),
])
def test_sli_addin_refuses_an_unsupported_sign_in_provider(providers, says):
    port = free_port()
    done = subprocess.run([sys.executable, str(ROOT / "sli.py"), "addin", "--port", str(port)],
                          env=clean_env(XLWINGS_AUTH_PROVIDERS=providers), cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2, done.stderr[-2000:]
    ours = [line for line in done.stderr.splitlines() if line.startswith(("sli addin:", "sli:"))]
    assert len(ours) == 1 and says in ours[0] and ours[0].endswith(".")
    assert "Traceback" not in done.stderr and "Uvicorn running" not in done.stderr
    with pytest.raises(OSError):  # nothing was served
        raw_get(port, "/")
