"""What IT does to a running tracker (README, "For IT"): ask whether it is ready to serve, back it up while it
serves, check a backup and restore it, and keep one server per workbook. `sli serve`, `sli backup` and
`sli restore` call these; the SQL stays in `shared/journal/`.

Why here and not in a front end: a readiness answer, a backup and a restore touch the journal, the workbook's
lock and its file, which only the core may touch (tests/test_core_structure.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from filelock import Timeout

from shared import journal as j
from shared.outputs import OutputError, write_output_file
from shared.reader import WorkbookError
from shared.uow import Context, Store, as_context

#: The file `sli backup` writes beside the two copies: when, which schema, how many updates, the workbook's hash.
BACKUP_MANIFEST = "sli-backup.json"
#: How long a backup or a restore waits for a write in progress (a save takes milliseconds to a second).
LOCK_WAIT_SECONDS = 30.0
#: A save needs room for the new file and the backup of the old one; below this the tracker is not ready.
SAVE_HEADROOM_BYTES = 1024 * 1024


class OperationError(ValueError):
    """A backup, a check or a restore that cannot be done: one sentence saying why; nothing was changed."""


# --- one server per workbook --------------------------------------------------------------------------

def service_lock_path(ctx: Context | Store) -> Path:
    """The server's lock file, beside the workbook: `.Appendix1.xlsx.sli-serve`."""
    store = as_context(ctx).store
    return store.lock_path.with_name(f".{store.workbook.name}.sli-serve")


class ServiceRunning(OperationError):
    """Another `sli serve` holds the workbook (its process ID in the sentence)."""


@contextmanager
def serving(ctx: Context | Store) -> Iterator[None]:
    """Held by `sli serve` for as long as it runs: a second server on the same workbook, or `sli restore`,
    is refused with the running one's process ID. The lock is the kernel's (released when the process ends,
    however it ends), on a file beside the workbook that holds the process ID."""
    store = as_context(ctx).store
    path = service_lock_path(store)
    try:
        handle = open(path, "a+")  # noqa: SIM115 - held open for the whole block
    except OSError as exc:
        raise OperationError(f"Cannot create {path.name} beside the workbook ({exc.strerror}): the server needs "
                             "to write in the workbook's folder.") from None
    try:
        if not _try_lock(handle):
            raise ServiceRunning(f"sli serve is already running on {store.workbook} (process {_pid_in(path)}): "
                                 "stop it first.")
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield
    finally:
        handle.close()  # releases the lock


def server_running(ctx: Context | Store) -> int | None:
    """The process ID of the `sli serve` holding this workbook, or None when none does."""
    path = service_lock_path(ctx)
    if not path.exists():
        return None
    with open(path, "a+") as handle:
        if _try_lock(handle):
            return None
    return _pid_in(path) or -1


def _try_lock(handle) -> bool:
    if sys.platform == "win32":  # pragma: no cover - servers run on Linux (deploy/); kept usable on Windows
        import msvcrt

        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def _pid_in(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdecimal() else None


# --- readiness ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Check:
    """One thing the service needs: `problem` is None when it is fine, else a sentence a person can act on."""

    name: str
    problem: str | None = None
    facts: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Readiness:
    """The answer to "can this serve now?": every check, and what waits to be written (for a monitor)."""

    checks: tuple[Check, ...]
    waiting: int | None = None
    oldest_waiting_seconds: float | None = None

    @property
    def ready(self) -> bool:
        return all(check.problem is None for check in self.checks)

    @property
    def reason(self) -> str:
        """The sentences of the checks that failed, or "Ready."."""
        return " ".join(check.problem for check in self.checks if check.problem) or "Ready."

    def as_dict(self) -> dict[str, object]:
        return {"ready": self.ready, "reason": self.reason,
                "checks": {c.name: {"ok": c.problem is None, **({"problem": c.problem} if c.problem else {}),
                                    **c.facts} for c in self.checks},
                "updates_waiting": self.waiting, "oldest_waiting_seconds": self.oldest_waiting_seconds}


def readiness(ctx: Context | Store, others: Mapping[str, Callable[[], str | None]] | None = None) -> Readiness:
    """Whether the tracker can serve now: the workbook read (the cached read while the file is unchanged:
    cheap), the journal writable (a write rolled back; waiting at most 2 s for its lock), room on the disk for
    a save, and each of `others` (a front end's own: Slack's `auth.test`; a callable returning None or a
    sentence). Also how many updates wait and how long the oldest has."""
    ctx = as_context(ctx)
    checks = [_workbook_check(ctx)]
    journal_check, waiting, oldest = _journal_check(ctx)
    checks.append(journal_check)
    for name, check in (others or {}).items():
        try:
            problem = check()
        except Exception as exc:  # noqa: BLE001 - a check that fails is a reason, never a 500
            problem = f"The {name} check failed: {type(exc).__name__}."
        checks.append(Check(name, problem))
    return Readiness(tuple(checks), waiting, oldest)


def _workbook_check(ctx: Context) -> Check:
    try:
        rows = len(ctx.read().appendix().rows)
    except WorkbookError as exc:
        return Check("workbook", str(exc))
    return Check("workbook", None, {"recommendations": rows})


def _journal_check(ctx: Context) -> tuple[Check, int | None, float | None]:
    store = ctx.store
    try:
        journal = ctx.read(j.CHAT_TIMEOUT_SECONDS).journal
        journal.check_writable()
        waiting, oldest = journal.waiting_stats()
        version = journal.schema_version()
    except j.JournalUnavailable as exc:
        return Check("journal", str(exc).replace("Nothing was recorded: ", "", 1)), None, None
    age = None
    if oldest:
        age = round(max(0.0, (ctx.clock() - datetime.fromisoformat(oldest)).total_seconds()), 1)
    try:
        free = shutil.disk_usage(store.workbook.parent).free
        needed = 2 * store.workbook.stat().st_size + SAVE_HEADROOM_BYTES
    except OSError:
        free, needed = None, 0
    facts = {"schema_version": version, "disk_free_bytes": free}
    if free is not None and free < needed:
        return Check("journal", f"The disk holding the workbook has {free:,} bytes free; a save needs about "
                                f"{needed:,}: free some space.", facts), waiting, age
    return Check("journal", None, facts), waiting, age


# --- backups ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Backup:
    """A backup folder: the workbook and journal copies, and what `sli-backup.json` says of them."""

    folder: Path
    workbook: Path
    journal: Path
    updates: int
    schema_version: int
    taken_at: str


def backup(ctx: Context | Store, folder: Path | str) -> Backup:
    """Copy the journal (SQLite's online backup API: consistent while the server writes) and the workbook
    into `folder`, a new folder or an empty one, under the workbook's lock so the pair agree (no save lands
    between the two copies; a save waiting meanwhile goes in right after). Writes `sli-backup.json` last:
    a folder without it is not a finished backup. OperationError (one sentence) when it cannot."""
    ctx, folder = as_context(ctx), Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OperationError(f"{folder} is a file: name a folder for the backup.")
    if folder.is_dir() and any(folder.iterdir()):
        raise OperationError(f"{folder} is not empty: name a new folder for each backup (such as one named by "
                             "the date), so an earlier backup is never overwritten.")
    try:
        with ctx.uow(lock_timeout=LOCK_WAIT_SECONDS) as uow:
            return _copy_pair(ctx, uow.journal, folder)
    except Timeout:
        raise OperationError(f"The workbook has been locked by a save for over {LOCK_WAIT_SECONDS:g} seconds: "
                             "nothing was copied; try again.") from None
    except OutputError as exc:
        raise OperationError(str(exc)) from None


def _copy_pair(ctx: Context, journal: j.Journal, folder: Path) -> Backup:
    store = ctx.store
    journal_copy = folder / store.journal_path.name
    workbook_copy = folder / store.workbook.name
    write_output_file(journal_copy, journal.backup_to, store, new_file=True)
    write_output_file(workbook_copy, lambda path: shutil.copyfile(store.workbook, path), store, new_file=True)
    facts = j.file_facts(journal_copy)
    taken = Backup(folder, workbook_copy, journal_copy, len(facts["update_ids"]), int(facts["schema_version"]),
                   ctx.clock().astimezone(UTC).isoformat(timespec="seconds"))
    manifest = {"taken_at": taken.taken_at, "workbook": workbook_copy.name, "journal": journal_copy.name,
                "workbook_sha256": _sha256(workbook_copy), "journal_schema_version": taken.schema_version,
                "updates": taken.updates, "source": str(store.workbook.resolve())}
    write_output_file(folder / BACKUP_MANIFEST,
                      lambda path: path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8"),
                      store, new_file=True)
    return taken


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_backup(folder: Path | str) -> Backup:
    """A backup folder, checked before anything is restored from it: `sli-backup.json` present, the workbook
    copy as it was taken (its SHA-256) and readable, the journal copy sound (SQLite's `quick_check`) and of a
    schema this version can migrate. OperationError with the first problem found."""
    folder = Path(folder)
    try:
        manifest = json.loads((folder / BACKUP_MANIFEST).read_text(encoding="utf-8"))
        workbook, journal = folder / manifest["workbook"], folder / manifest["journal"]
    except (OSError, ValueError, KeyError, TypeError):
        raise OperationError(f"{folder} holds no finished backup ({BACKUP_MANIFEST} is missing or unreadable): "
                             "name a folder `sli backup` wrote.") from None
    if Path(manifest["workbook"]).name != manifest["workbook"] or Path(manifest["journal"]).name != manifest["journal"]:
        raise OperationError(f"{BACKUP_MANIFEST} in {folder} names files outside the backup folder.")
    if not workbook.is_file() or _sha256(workbook) != manifest.get("workbook_sha256"):
        raise OperationError(f"The workbook copy {workbook} is missing or was changed after the backup was taken.")
    try:
        as_context(Store.for_workbook(workbook)).read().appendix()
    except WorkbookError as exc:
        raise OperationError(f"The workbook copy cannot be read: {exc}") from None
    try:
        facts = j.file_facts(journal)
    except j.JournalUnavailable as exc:
        raise OperationError(f"The journal copy {journal} cannot be opened: {exc}") from None
    if not facts["sound"]:
        raise OperationError(f"The journal copy {journal} is damaged (SQLite's check failed): use another backup.")
    if int(facts["schema_version"]) > j.SCHEMA_VERSION:
        raise OperationError(f"The journal copy has schema {facts['schema_version']}, newer than this version of "
                             f"the tracker knows ({j.SCHEMA_VERSION}): restore it with the version that took it.")
    return Backup(folder, workbook, journal, len(facts["update_ids"]), int(facts["schema_version"]),
                  str(manifest.get("taken_at", "")))


@dataclass(frozen=True)
class Restored:
    """A restore done: from which backup, and where the state it replaced was kept."""

    backup: Backup
    #: The state replaced, backed up first; None when there was no workbook yet (a new machine).
    kept: Backup | None
    #: With no workbook but a journal left (the workbook lost, the journal not): that journal, kept first,
    #: since it may hold updates newer than the backup's.
    kept_journal: Path | None = None


def restore(ctx: Context | Store, folder: Path | str) -> Restored:
    """Put a checked backup back: refused while `sli serve` runs on the workbook (say what to stop). The
    state it replaces is first backed up beside the workbook (`before-restore-<time>`), so a restore can be
    undone by restoring that. The journal is replaced through SQLite (its -wal included), the workbook by a
    rename; both under the workbook's lock. The next start migrates the restored journal if it is older."""
    ctx = as_context(ctx)
    store = ctx.store
    checked = check_backup(folder)
    running = server_running(ctx)
    if running:
        raise ServiceRunning(f"sli serve (process {running}) is running on {store.workbook}: stop it first "
                             "(systemctl stop sli, or docker stop with the container's name), then run sli "
                             "restore again.")
    stamp = ctx.clock().astimezone(UTC).strftime("%Y%m%d-%H%M%S")
    kept: Backup | None = None
    kept_journal: Path | None = None
    try:
        store.workbook.parent.mkdir(parents=True, exist_ok=True)
        with ctx.uow(lock_timeout=LOCK_WAIT_SECONDS) as uow:
            folder = store.workbook.parent / f"before-restore-{stamp}"
            if store.workbook.exists():
                kept = _copy_pair(ctx, uow.journal, folder)
            elif store.journal_path.exists():
                kept_journal = folder / store.journal_path.name
                write_output_file(kept_journal, uow.journal.backup_to, store, new_file=True)
            uow.journal.restore_from(checked.journal)
            _replace(store.workbook, checked.workbook)
    except Timeout:
        raise OperationError(f"The workbook has been locked by a save for over {LOCK_WAIT_SECONDS:g} seconds "
                             "(is a bot or sli sync still running?): nothing was restored.") from None
    except (OutputError, OSError, j.JournalUnavailable) as exc:
        reason = str(exc) if not isinstance(exc, OSError) else f"{exc.strerror or exc}."
        where = f" The state before it is kept in {kept.folder}: restore that, or try again." if kept else ""
        if kept_journal is not None and kept_journal.exists():
            where = f" The journal it would have replaced is kept as {kept_journal}."
        raise OperationError(f"The restore stopped: {reason}{where}") from None
    return Restored(checked, kept, kept_journal)


def _replace(target: Path, source: Path) -> None:
    """`target` becomes a copy of `source`: written beside it, fsynced, renamed over it, with its mode."""
    temporary = target.with_name(f".{target.name}.sli-restore")
    shutil.copyfile(source, temporary)
    try:
        shutil.copymode(target, temporary)
    except OSError:
        pass
    with open(temporary, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, target)
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
