"""Excel's owner file (`~$Appendix1.xlsx`): whether the workbook is open in Excel, and by whom.

Desktop Excel creates it beside the workbook while the file is open. Byte 0 is the length of
the user's name, then the name in the Windows code page, padded to offset 55; at 55 a 2-byte
little-endian length and the same name in UTF-16LE. A crash or a dropped network leaves it
behind, so an old one is reported as probably stale (only `sli sync --force` then writes).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePath

from shared.domain.values import uk_time_text

STALE_AFTER = timedelta(hours=12)


@dataclass(frozen=True)
class OwnerFile:
    path: Path
    user: str
    since: datetime

    def stale(self, now: datetime | None = None, after: timedelta = STALE_AFTER) -> bool:
        return (now or datetime.now(UTC)) - self.since > after

    def describe(self, after: timedelta = STALE_AFTER) -> str:
        who = self.user or "someone"
        when = uk_time_text(self.since)  # as every time people read: UK time, the zone named
        if self.stale(after=after):
            return (f"An Excel owner file from {when} says {who} has the workbook open. It is over "
                    f"{int(after.total_seconds() // 3600)} hours old, probably left by a crash: if Excel "
                    "is really closed, run `sli sync --force`.")
        return f"The workbook is open in Excel by {who} (since {when}). The update is applied once it is closed."


def owner_user(data: bytes) -> str:
    """The user name an owner file holds (UTF-16 copy preferred, the 8-bit copy as fallback)."""
    if len(data) >= 57:
        length = int.from_bytes(data[55:57], "little")
        if 0 < length <= 255 and len(data) >= 57 + 2 * length:
            try:
                return data[57:57 + 2 * length].decode("utf-16-le").strip()
            except UnicodeDecodeError:
                pass
    if data:
        length = data[0]
        return data[1:1 + length].decode("cp1252", errors="replace").strip()
    return ""


def find_owner_file(workbook: Path | str) -> OwnerFile | None:
    """The owner file beside `workbook`, if Excel has (or had) it open. Looked for at every update, so on the
    path's text: a `Path` is made only for a path given as text (a `Path`'s text is already normal, its last
    part its name) and for an owner file found; the two names are looked up without a stat result (Excel not
    there is the common case). A name that cannot be looked up at all (a folder on the way not searchable, a
    name too long) is no owner file: the workbook's own read then says what is wrong, where the stat's error
    used to end the update."""
    text = os.fspath(workbook) if isinstance(workbook, PurePath) else str(Path(workbook))
    name = os.path.basename(text)
    if not name or text == ".":  # Path(".").name is "" too
        raise ValueError(f"{Path(workbook)!r} has an empty name")  # as `Path.with_name` said
    folder = text[:len(text) - len(name)]  # with its separator: joined by concatenation
    for candidate in (f"{folder}~${name}", f"{folder}~${name[2:]}"):
        if not os.access(candidate, os.F_OK):
            continue
        try:
            with open(candidate, "rb") as file:
                data = file.read()
            stat = os.stat(candidate)
        except (FileNotFoundError, IsADirectoryError):
            continue
        except PermissionError:
            data, stat = b"", os.stat(candidate)
        return OwnerFile(Path(candidate), owner_user(data), datetime.fromtimestamp(stat.st_mtime, UTC))
    return None


def write_owner_file(workbook: Path, user: str) -> Path:
    """Write an owner file as Excel does (used by the tests and by `sli` demos of an open workbook)."""
    name = user.encode("cp1252", errors="replace")[:54]
    data = bytes([len(name)]) + name.ljust(54, b" ")
    wide = user.encode("utf-16-le")
    data += len(user).to_bytes(2, "little") + wide
    data = data.ljust(165, b"\x00")
    target = Path(workbook).with_name(f"~${Path(workbook).name}")
    target.write_bytes(data)
    return target
