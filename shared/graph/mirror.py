"""The remote workbook as a file in the state folder, kept by the item's cTag, read by shared.reader.

Reading chosen by measurement (README, "For IT: the workbook in SharePoint or OneDrive"): one `GET` of the item's cTag
answers "unchanged" (then shared.reader's cache answers without parsing); a changed cTag costs one download,
read by the same calamine reader as a file, so every question, the summary, the report and the exports read
exactly what they read from a file. The address is resolved to its drive and item ids once
(`/shares/u!{base64url}/driveItem`) and kept in `remote.json` beside the copy.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path

from shared.graph.address import RemoteAddress
from shared.graph.client import GraphClient


class RemoteWorkbook:
    """One workbook in Microsoft 365 and its copy (`copy`) in the state folder."""

    def __init__(self, address: RemoteAddress, client: GraphClient, copy: Path):
        self.address, self.client, self.copy = address, client, Path(copy)
        self._state = self.copy.with_name("remote.json")
        self._lock = threading.Lock()

    def _saved(self) -> dict:
        try:
            return json.loads(self._state.read_text())
        except (OSError, ValueError):
            return {}

    def _save(self, state: dict) -> None:
        self._state.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(self._state, json.dumps(state).encode())

    @property
    def item_path(self) -> str:
        """`/drives/{drive-id}/items/{item-id}`, resolved once through `/shares` for a browser address."""
        if self.address.drive_id:
            return f"/drives/{self.address.drive_id}/items/{self.address.item_id}"
        saved = self._saved()
        if saved.get("address") != self.address.text or not saved.get("item"):
            item = self.client.json("GET", f"/shares/{self.address.share_id}/driveItem")
            saved = {"address": self.address.text, "name": item.get("name", ""),
                     "item": f"/drives/{item['parentReference']['driveId']}/items/{item['id']}"}
            self._save(saved)
        return saved["item"]

    def refresh(self) -> Path:
        """The copy, downloaded again only when the item's cTag changed: one request when unchanged."""
        with self._lock:
            item = self.client.json("GET", f"{self.item_path}?$select=id,name,cTag,size")
            saved = self._saved()
            if saved.get("ctag") == item.get("cTag") and saved.get("copy") == _identity(self.copy):
                return self.copy
            data = self.client.download(f"{self.item_path}/content")
            self.copy.parent.mkdir(parents=True, exist_ok=True)
            _write_atomically(self.copy, data)
            self._save({**self._saved(), "ctag": item.get("cTag"), "name": item.get("name", ""),
                        "copy": _identity(self.copy)})
            return self.copy


def _identity(path: Path) -> list[int] | None:
    """The copy as it was downloaded (size, modification time): anything else (a restore, a hand edit, our own
    patch after a write) is downloaded again when the cTag is next asked."""
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def _write_atomically(path: Path, data: bytes) -> None:
    """`data` in `path`, whole or not at all (a reader never sees half a copy)."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
