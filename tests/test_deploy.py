"""deploy/: the systemd unit and the Dockerfile, checked here as far as this machine can (no systemd running,
no container daemon or registry): the unit is verified by `systemd-analyze verify` and its keys read; the
Dockerfile's instructions are parsed, and what they run is what the tests run (`sli serve`, the HEALTHCHECK
command against a served `/healthz`: tests/test_serve.py), with the state where the settings put it."""

from __future__ import annotations

import configparser
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from service.run import STOP_BUDGET_SECONDS
from shared.settings import Settings
from shared.usecases.operations import service_lock_path

ROOT = Path(__file__).resolve().parents[1]
UNIT = ROOT / "deploy" / "sli.service"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # keys are case-sensitive
    parser.read_string(UNIT.read_text(encoding="utf-8"))
    return parser


def unit_environment() -> dict[str, str]:
    env = {}
    for line in UNIT.read_text(encoding="utf-8").splitlines():
        if line.startswith("Environment="):
            name, value = line.removeprefix("Environment=").split("=", 1)
            env[name] = value
    return env


def state_paths(env: dict[str, str]) -> list[Path]:
    """Every file the service writes, from the settings these variables make."""
    store = Settings.from_env(env=env).store()
    return [store.workbook, store.journal_path, store.lock_path, store.backup_dir / "x.xlsx",
            service_lock_path(store)]


def test_the_unit_runs_sli_serve_as_its_own_user_confined_to_its_state_folder() -> None:
    service = unit()["Service"]
    program, *arguments = shlex.split(service["ExecStart"])
    assert Path(program).name == "sli" and arguments == ["serve"]
    assert service["User"] == "sli" and service["User"] != "root"
    assert service["NoNewPrivileges"] == "yes" and service["ProtectSystem"] == "strict"
    assert service["Restart"] == "on-failure" and service["KillSignal"] == "SIGTERM"
    # Longer than the most a stop takes (requests answered, the write in progress), so systemd never kills it.
    assert int(service["TimeoutStopSec"]) > STOP_BUDGET_SECONDS and STOP_BUDGET_SECONDS <= 10
    writable = [Path(p) for p in service["ReadWritePaths"].split()]
    for path in state_paths(unit_environment()):
        assert any(path.is_relative_to(folder) for folder in writable), path
    assert Path(unit_environment()["MPLCONFIGDIR"]).is_relative_to(Path("/var/cache") / service["CacheDirectory"])
    assert unit_environment()["SLI_HOST"] == "127.0.0.1"  # behind the HTTPS proxy on the same machine


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed here")
def test_systemd_analyze_verifies_the_unit(tmp_path: Path) -> None:
    """With ExecStart pointed at this machine's `sli` (verify checks the program exists): no error and no
    warning about the unit (an unknown or misspelt key is a warning)."""
    sli = Path(sys.executable).with_name("sli")
    text = UNIT.read_text(encoding="utf-8").replace("/opt/sli/.venv/bin/sli", str(sli))
    copy = tmp_path / "sli.service"
    copy.write_text(text, encoding="utf-8")
    done = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert [line for line in (done.stdout + done.stderr).splitlines() if "sli.service" in line] == []


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def docker_env() -> dict[str, str]:
    env = {}
    for word, rest in dockerfile():
        if word == "ENV":
            for pair in shlex.split(rest):
                name, value = pair.split("=", 1)
                env[name] = value
    return env


def healthcheck_command() -> list[str]:
    [rest] = [rest for word, rest in dockerfile() if word == "HEALTHCHECK"]
    return json.loads(rest[rest.index("CMD") + 3:].strip())


def test_the_dockerfile_runs_sli_serve_unprivileged_with_its_state_on_a_volume() -> None:
    steps = dockerfile()
    first = [rest for word, rest in steps if word == "FROM"][0]
    assert re.fullmatch(r"python:3\.1[1-9]-slim(-\w+)?", first)
    assert [json.loads(rest) for word, rest in steps if word == "CMD"] == [["sli", "serve"]]
    [user] = [rest for word, rest in steps if word == "USER"]
    assert user not in ("root", "0")
    [volume] = [json.loads(rest) for word, rest in steps if word == "VOLUME"]
    env = docker_env()
    for path in state_paths(env):
        assert any(path.is_relative_to(folder) for folder in volume), path
    assert [rest for word, rest in steps if word == "STOPSIGNAL"] == ["SIGTERM"]
    assert [rest for word, rest in steps if word == "EXPOSE"] == [env["SLI_PORT"]]
    assert Settings.from_env(env=env).serve_port == int(env["SLI_PORT"])
    command = healthcheck_command()
    assert command[0] == "python" and f"http://127.0.0.1:{env['SLI_PORT']}/healthz" in command[-1]
    # Only what the image needs goes into it: no local state, journals or certificates.
    ignored = (ROOT / "deploy" / "Dockerfile.dockerignore").read_text(encoding="utf-8").split()
    assert {"workbook", ".venv", "excel/certs", ".git"} <= set(ignored)


CONFINED = r"""
set -e
mount --bind "$STATE" "$STATE"
mount -o remount,bind,ro /
mount -o remount,bind,rw "$STATE"
if touch "$ROOT/.sli-write-probe" 2>/dev/null; then echo "the code folder is writable"; exit 3; fi
cd "$ROOT"
"$PYTHON" sli.py serve --local --port 0 > "$STATE/out" 2> "$STATE/err" &
server=$!
"$PYTHON" - <<'PY'
import json, os, re, time, urllib.request
state = os.environ["STATE"]
deadline = time.monotonic() + 60
while not re.search(r":(\d+):", open(f"{state}/out").read()) and time.monotonic() < deadline:
    time.sleep(0.1)
port = re.search(r":(\d+):", open(f"{state}/out").read()).group(1)
print("readyz", json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz").read())["ready"])
print("taskpane", urllib.request.urlopen(f"http://127.0.0.1:{port}/taskpane").status)
PY
"$PYTHON" sli.py update L7 --next "Written in the state folder only" --by "Helen Lowey"
"$PYTHON" sli.py backup "$STATE/backup"
kill -TERM $server
wait $server
echo "stopped $?"
"""


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("unshare") is None,
                    reason="needs root and unshare for a private read-only mount namespace")
def test_it_serves_with_everything_read_only_but_the_state_folder(workbook: Path) -> None:
    """What ProtectSystem=strict with ReadWritePaths does, made by hand in a private mount namespace: the whole
    file system read-only except the state folder. The service starts, is ready, serves the task pane, an update
    is written, a backup taken, and it stops with 0: it writes nowhere else (matplotlib's cache is sent to the
    state folder here, to the cache folder by the unit and to /tmp in the image)."""
    state = workbook.parent
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SLI_", "XLWINGS_"))},
           "STATE": str(state), "ROOT": str(ROOT), "PYTHON": sys.executable, "HOME": "/nonexistent",
           "PYTHONDONTWRITEBYTECODE": "1", "MPLCONFIGDIR": str(state / ".cache"), "SLI_WORKBOOK": str(workbook)}
    done = subprocess.run(["unshare", "-m", "sh", "-c", CONFINED], env=env, capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr + (state / "err").read_text()
    assert "readyz True" in done.stdout and "taskpane 200" in done.stdout and "stopped 0" in done.stdout
    assert "L7 updated" in done.stdout and "Backed up" in done.stdout
