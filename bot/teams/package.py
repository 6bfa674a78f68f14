"""The Teams app package: bot/teams/manifest.json with the bot's Entra client id filled in, and its two
icons, zipped for sideloading (*Apps > Manage your apps > Upload an app*) or the Teams admin centre
(*Teams apps > Manage apps > Upload new app*). `sli teams-package` writes it."""

from __future__ import annotations

import json
import re
import uuid
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST, ICONS = HERE / "manifest.json", ("color.png", "outline.png")
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
#: The Teams app's own id (not the bot's): fixed, so a new package upgrades the installed app.
APP_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/bwd-public-health/sli-tracker/teams"))


def manifest(client_id: str, version: str | None = None) -> dict:
    """The manifest for the bot registered as `client_id` (its Microsoft Entra application id)."""
    if not _GUID.match(client_id or ""):
        raise ValueError(f"'{client_id}' is not the bot's Microsoft Entra client id (a GUID such as "
                         "1b2c3d4e-0000-4000-8000-123456789abc): set SLI_TEAMS_CLIENT_ID or pass --client-id.")
    data = json.loads(MANIFEST.read_text(encoding="utf-8"))
    data["id"] = APP_ID
    data["bots"][0]["botId"] = client_id.lower()
    if version:
        data["version"] = version
    return data


def write_package(output: Path, client_id: str, version: str | None = None) -> Path:
    """Write the zip (manifest.json and the icons at its root, as Teams requires)."""
    data = manifest(client_id, version)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(data, indent=2, ensure_ascii=False))
        for icon in ICONS:
            archive.write(HERE / icon, icon)
    return output
