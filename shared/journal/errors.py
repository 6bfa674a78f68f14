"""The journal's failures, each a sentence for the person: what was not done, why, and what to do."""

from __future__ import annotations

import shutil
from pathlib import Path


class EntryTooLarge(ValueError):
    """An update larger than `MAX_ENTRY_CHARS`: refused before anything is written. One sentence."""


class Replayed(ValueError):
    """A signed request (or event) whose key the journal already keeps: a replay, so nothing was recorded."""


class JournalUnavailable(Exception):
    """The journal cannot be read or written (locked, disk full, read-only, damaged): nothing was recorded.

    Its message is one sentence for the person, saying what happened and what to do."""


class JournalTooNew(JournalUnavailable):
    """The journal's schema version is newer than this code knows: a newer version of the tracker wrote it.
    Nothing is read or written, so a downgrade cannot damage it; the sentence says what to do."""


def _unavailable(path: Path, exc: BaseException, reading: bool = False) -> JournalUnavailable:
    """The sentence for a failure: what was not done (nothing recorded; or, `reading`, the history not
    read), why, and what to do."""
    text = str(exc).lower()
    if _disk_full(path):
        text = "full"
    if "locked" in text or "busy" in text:
        why = "it is locked by another program"
        todo = "Try again in a minute."
    elif "full" in text or getattr(exc, "errno", None) == 28:
        why = "the disk is full"
        todo = "Ask IT to free space on the file server, then try again."
    elif "readonly" in text or "read-only" in text or "permission" in text or "unable to open" in text:
        why = "its folder or file cannot be written (read-only or no permission)"
        todo = "Ask IT to give the tracker write access to the workbook's folder, then try again."
    elif "malformed" in text or "not a database" in text or "corrupt" in text:
        why = "the journal file is damaged"
        todo = "Ask an officer to move it aside (it is rebuilt empty) and restore it from backup."
    else:
        why = f"of an error ({exc})"
        todo = "Try again; if it keeps happening, tell an officer."
    done = "The history of updates could not be read" if reading else "Nothing was recorded"
    return JournalUnavailable(f"{done}: the update journal {path.name} cannot be used because {why}. {todo}")


def _disk_full(path: Path) -> bool:
    """SQLite reports a full disk as "database or disk is full" or as a plain "disk I/O error"."""
    try:
        return shutil.disk_usage(path.parent).free < 64 * 1024
    except OSError:
        return False
