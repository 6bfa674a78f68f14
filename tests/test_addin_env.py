"""Issue 17 point 6: the add-in's settings come from shared/settings.py and starting it writes nothing into
the process environment. xlwings Server used to be configured by `excel/server.py` writing `XLWINGS_*`
variables into `os.environ` before importing it; they stayed there for the rest of the process (and for
every test after the add-in's), so what later code saw depended on whether the add-in had been built first.

Each case runs `sli addin` through `sli.main` in a fresh process (tests/addin_env_probe.py: xlwings Server is
configured once per process), with uvicorn's `run` replaced by a stand-in that fetches the manifest instead
of serving."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_addin_guard import free_port

from shared.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parents[1]
COMMITTED_WORKBOOK = ROOT / "workbook" / "Appendix1.xlsx"
ENTRAID = {"XLWINGS_AUTH_PROVIDERS": '["entraid"]',
           "XLWINGS_AUTH_ENTRAID_CLIENT_ID": "00000000-0000-0000-0000-000000000001",
           "XLWINGS_AUTH_ENTRAID_TENANT_ID": "00000000-0000-0000-0000-000000000002",
           "SLI_ADDIN_PUBLIC_URL": "https://sli.council.example"}
#: The add-in's own manifest id for xlwings Server's "prod" environment (the one it runs in).
PROD_ID = "d1bf4891-5672-454f-8deb-9b829d545e0e"


def probe(workbook: Path, *flags: str, **env: str) -> dict:
    """`sli addin --workbook WORKBOOK --port 8123 FLAGS` in a fresh process with only `env` among the
    `SLI_*`/`SLACK_*`/`XLWINGS_*` variables; the probe's report (see tests/addin_env_probe.py)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLI_", "SLACK_", "XLWINGS_"))}
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "addin_env_probe.py"), "addin", "--workbook",
                           str(workbook), "--port", "8123", *flags],
                          env={**clean, **env, "PYTHONPATH": str(ROOT)}, cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def book(tmp_path: Path) -> Path:
    target = tmp_path / "Appendix1.xlsx"
    shutil.copy2(COMMITTED_WORKBOOK, target)
    return target


def test_sli_addin_local_leaves_the_environment_as_it_was(book: Path) -> None:
    report = probe(book, "--local")
    assert report["exit_code"] == 0 and report["served"]
    assert (report["added"], report["changed"]) == ([], [])
    assert report["environment_unchanged"]
    # ...and xlwings Server still got every value the add-in decides, without the environment keeping them:
    assert report["remote_engine"]  # the licence key reached xlwings when it was imported
    assert report["xlwings"] == {"functions_namespace": "SLI", "project_name": "SLI Tracker", "enable_socketio": False,
                                 "auth_providers": [], "manifest_id_prod": PROD_ID}
    assert f"<Id>{PROD_ID}</Id>" in report["manifest"]
    assert '<DisplayName DefaultValue="SLI Tracker" />' in report["manifest"]
    assert 'id="Functions.Namespace" DefaultValue="SLI"' in report["manifest"]


def test_sli_addin_with_sign_in_takes_its_settings_from_shared_settings(book: Path) -> None:
    own_id = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
    report = probe(book, **ENTRAID, XLWINGS_PROJECT_NAME="Public Health SLI", XLWINGS_MANIFEST_ID_PROD=own_id)
    assert report["exit_code"] == 0 and report["served"]
    assert report["environment_unchanged"], (report["added"], report["changed"])
    assert report["remote_engine"]
    assert report["xlwings"]["auth_providers"] == ["entraid"]
    assert report["xlwings"]["project_name"] == "Public Health SLI" and report["xlwings"]["manifest_id_prod"] == own_id
    assert f"<Id>{own_id}</Id>" in report["manifest"] and 'DefaultValue="Public Health SLI"' in report["manifest"]
    assert "https://sli.council.example/taskpane" in report["manifest"]


@pytest.mark.parametrize("name, value, says", [
    ("XLWINGS_ENABLE_SOCKETIO", "maybe", "XLWINGS_ENABLE_SOCKETIO is 'maybe': it takes true or false"),
    ("XLWINGS_MANIFEST_ID_PROD", "not-a-uuid", "XLWINGS_MANIFEST_ID_PROD is 'not-a-uuid': it takes a random"),
    ("XLWINGS_AUTH_PROVIDERS", "entraid", "XLWINGS_AUTH_PROVIDERS is 'entraid': it takes a JSON list"),
])
def test_an_add_in_setting_it_cannot_take_is_one_sentence(book: Path, name: str, value: str, says: str) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLI_", "SLACK_", "XLWINGS_"))}
    done = subprocess.run([sys.executable, str(ROOT / "sli.py"), "addin", "--local", "--workbook", str(book),
                           "--port", str(free_port())], env={**clean, name: value}, cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.startswith(f"sli: {says}") and done.stderr.count("\n") == 1, done.stderr[-2000:]
    assert "Traceback" not in done.stderr


def test_a_licence_key_xlwings_refuses_is_one_sentence(book: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLI_", "SLACK_", "XLWINGS_"))}
    done = subprocess.run([sys.executable, str(ROOT / "sli.py"), "addin", "--local", "--workbook", str(book),
                           "--port", str(free_port())], env={**clean, "XLWINGS_LICENSE_KEY": "not-a-key"}, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr == ("sli addin: xlwings refused its licence key (Invalid xlwings license key): set "
                           "XLWINGS_LICENSE_KEY to a valid key, or leave it unset for the noncommercial licence "
                           "(see README, 'Licence').\n")


def test_settings_read_the_add_in_values_once() -> None:
    from shared.settings import MANIFEST_IDS

    assert MANIFEST_IDS["prod"] == PROD_ID
    default = Settings.from_env(env={})
    assert default.xlwings.license_key == "noncommercial" and default.xlwings.auth_providers is None
    assert default.xlwings.server_values(local=False)["manifest_id_dev"].hex == MANIFEST_IDS["dev"].replace("-", "")
    assert "auth_providers" not in default.xlwings.server_values(local=False)  # xlwings Server's own then holds
    given = Settings.from_env(env={"XLWINGS_LICENSE_KEY": "key", "XLWINGS_ENABLE_SOCKETIO": "Yes",
                                   "XLWINGS_AUTH_PROVIDERS": '["entraid"]'})
    assert (given.xlwings.license_key, given.xlwings.enable_socketio) == ("key", True)
    assert given.xlwings.server_values(local=False)["auth_providers"] == ["entraid"]
    assert given.xlwings.server_values(local=True)["auth_providers"] == []  # --local: no sign-in
    with pytest.raises(SettingsError, match="version 4"):
        Settings.from_env(env={"XLWINGS_MANIFEST_ID_QA": "00000000-0000-1000-8000-000000000000"})


def test_import_environment_puts_back_exactly_what_was_there(monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.settings import import_environment

    monkeypatch.setenv("SLI_PROBE_KEPT", "before")
    monkeypatch.delenv("SLI_PROBE_ADDED", raising=False)
    before = dict(os.environ)
    with pytest.raises(RuntimeError):
        with import_environment({"SLI_PROBE_KEPT": "during", "SLI_PROBE_ADDED": "during"}):
            assert (os.environ["SLI_PROBE_KEPT"], os.environ["SLI_PROBE_ADDED"]) == ("during", "during")
            os.environ["SLI_PROBE_WRITTEN_BY_THE_IMPORT"] = "x"  # as xlwings Server's config writes XLWINGS_ON_SERVER
            raise RuntimeError("the import failed")
    assert dict(os.environ) == before
