"""Issue 17 point 6: the Teams bot's app registration is read and checked in shared/settings.py (`Settings.teams`)
like every other setting, not by a config class of its own in bot/teams/app.py reading `os.environ`. A value a
registration variable cannot take is one sentence and exit code 2 before anything listens; it used to start a
bot that could never sign its posts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from test_addin_guard import free_port

import sli
from shared.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parents[1]
CLIENT = "1b2c3d4e-0000-4000-8000-123456789abc"
REGISTRATION = {"SLI_TEAMS_CLIENT_ID": CLIENT, "SLI_TEAMS_TENANT_ID": "council.onmicrosoft.com",
                "SLI_TEAMS_CLIENT_SECRET": "a secret"}


@pytest.mark.parametrize("name, value, says", [
    ("SLI_TEAMS_CLIENT_ID", "sli-bot", "SLI_TEAMS_CLIENT_ID is 'sli-bot': it takes the bot's Microsoft Entra "
                                       "application (client) id, a GUID"),
    ("SLI_TEAMS_TENANT_ID", "the council", "SLI_TEAMS_TENANT_ID is 'the council': it takes the council's Microsoft "
                                           "Entra tenant id, a GUID, or its domain"),
    ("SLI_TEAMS_CERTIFICATE", "/nowhere/bot.pfx", "SLI_TEAMS_CERTIFICATE is '/nowhere/bot.pfx': it takes the path "
                                                  "of the bot's .pfx certificate file, and there is no file there."),
])
def test_sli_teams_refuses_a_registration_it_cannot_use(workbook: Path, name: str, value: str, says: str) -> None:
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLI_", "SLACK_", "XLWINGS_"))}
    done = subprocess.run([sys.executable, str(ROOT / "sli.py"), "teams", "--workbook", str(workbook), "--port",
                           str(port)], env={**clean, **REGISTRATION, name: value}, cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stderr.startswith(f"sli: {says}") and done.stderr.count("\n") == 1, done.stderr[-2000:]
    assert "listening" not in done.stdout


def test_sli_teams_package_takes_the_client_id_from_the_settings(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLI_TEAMS_CLIENT_ID", CLIENT.upper())
    assert sli.main(["teams-package", "--output", str(tmp_path / "sli.zip")]) == 0
    with zipfile.ZipFile(tmp_path / "sli.zip") as archive:
        assert json.loads(archive.read("manifest.json"))["bots"][0]["botId"] == CLIENT


def test_the_registration_is_read_once_with_the_other_settings(tmp_path: Path) -> None:
    from shared.settings import TeamsSettings

    certificate = tmp_path / "bot.pfx"
    certificate.write_bytes(b"not read here")
    settings = Settings.from_env(env={**REGISTRATION, "SLI_TEAMS_CLIENT_ID": f" {CLIENT} ",
                                      "SLI_TEAMS_CERTIFICATE": str(certificate)})
    assert settings.teams == TeamsSettings(client_id=CLIENT, tenant_id="council.onmicrosoft.com",
                                           client_secret="a secret", certificate=str(certificate))
    assert settings.teams.missing() == []
    assert Settings.from_env(env={}).teams.missing() == ["SLI_TEAMS_CLIENT_ID", "SLI_TEAMS_TENANT_ID",
                                                        "SLI_TEAMS_CLIENT_SECRET or SLI_TEAMS_CERTIFICATE"]
    tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
    assert Settings.from_env(env={"SLI_TEAMS_TENANT_ID": tenant}).teams.tenant_id == tenant
    with pytest.raises(SettingsError, match="SLI_TEAMS_CLIENT_ID"):
        Settings.from_env(env={"SLI_TEAMS_CLIENT_ID": "1b2c3d4e-0000"})
