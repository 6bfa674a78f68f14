"""What SLI_WORKBOOK (or --workbook) may name besides a file: a SharePoint or OneDrive address, as copied from
the browser's address bar or from *Copy link*, or `graph:/drives/{drive-id}/items/{item-id}`. Pure: no I/O."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

_ITEM = re.compile(r"^graph:/drives/([^/\s]+)/items/([^/\s]+)$")
#: Hosts of Microsoft 365 files: SharePoint (and OneDrive for work, which is SharePoint) and personal OneDrive.
_HOSTS = (".sharepoint.com", ".sharepoint.us", ".sharepoint.de", ".sharepoint.cn", "onedrive.live.com", "1drv.ms")


@dataclass(frozen=True)
class RemoteAddress:
    """A workbook in Microsoft 365: a sharing/browser address (`url`) resolved through `/shares`, or a drive
    item named by its ids."""

    text: str
    url: str = ""
    drive_id: str = ""
    item_id: str = ""

    @property
    def share_id(self) -> str:
        """`u!` and the unpadded base64url of the address: how Graph's `/shares/{id}` takes a URL."""
        return "u!" + base64.urlsafe_b64encode(self.url.encode()).decode().rstrip("=")

    @property
    def file_name(self) -> str:
        """The .xlsx name the address shows, or Appendix1.xlsx when it hides it (a *Copy link* address)."""
        tail = unquote(urlsplit(self.url).path.rstrip("/").rsplit("/", 1)[-1]) if self.url else ""
        return tail if tail.lower().endswith(".xlsx") and "/" not in tail else "Appendix1.xlsx"


def _unfolded(text: str) -> str:
    """The address as typed, where a path object folded `https://` into `https:/`, without the quotes or angle
    brackets a mail or a chat puts around a pasted link (`<https://…>`)."""
    text = text.strip()
    while len(text) > 1 and (text[0], text[-1]) in (("<", ">"), ('"', '"'), ("'", "'")):
        text = text[1:-1].strip()
    return re.sub(r"^(https?):/(?!/)", r"\1://", text)


def is_remote(text: str) -> bool:
    """Whether SLI_WORKBOOK names a workbook in Microsoft 365 rather than a file on this computer."""
    text = _unfolded(text)
    if text.startswith("graph:"):
        return True
    parts = urlsplit(text)
    return parts.scheme in ("https", "http") and bool(parts.hostname)


def parse(text: str) -> RemoteAddress:
    """The remote address SLI_WORKBOOK names; ValueError (one sentence) when it is not one this can reach."""
    text = _unfolded(text)
    if text.startswith("graph:"):
        match = _ITEM.match(text)
        if not match:
            raise ValueError(f"SLI_WORKBOOK is '{text[:80]}': a graph: address takes the form "
                             "graph:/drives/{drive-id}/items/{item-id}.")
        return RemoteAddress(text, drive_id=match.group(1), item_id=match.group(2))
    parts = urlsplit(text)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not any(host == h.lstrip(".") or host.endswith(h) for h in _HOSTS):
        raise ValueError(f"SLI_WORKBOOK is '{text[:80]}': a web address must be the workbook's SharePoint or "
                         "OneDrive address (https://….sharepoint.com/…), as copied from the browser or Copy link.")
    return RemoteAddress(text, url=text)
