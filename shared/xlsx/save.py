"""Saving: the new file written beside the old one, given its permissions, group and owner, a backup kept,
and put in place with one rename, so a crash leaves the old file or the new one, never half of one."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from shared.xlsx.ooxml import PackageError
from shared.xlsx.parts import ZipParts
from shared.xlsx.syncing import Job, Worker


def _write_problem(path: Path, kind: str, user: str = "", facts: os.stat_result | None = None,
                   root: bool | None = None) -> str | None:
    """Why this process must not replace (or write into) `path`, or None; `user` is who it runs as, `facts`
    its os.stat when the caller has it already, `root` whether it runs as root when the caller asked already.

    Two checks. No write bit at all means someone marked it read-only on purpose; that holds even for
    root, for whom the kernel's own check (os.access) always says yes. Otherwise, for anyone but root,
    the kernel decides with the process's effective user and groups (and any ACL), as a write would.
    """
    st = facts if facts is not None else os.stat(path)
    if not stat.S_IMODE(st.st_mode) & 0o222:
        return (f"The {kind} {path} is marked read-only (its permissions let no one write to it); whoever "
                "manages it can clear that")
    if not (_is_root() if root is None else root):
        wanted = os.W_OK | (os.X_OK if kind == "folder" and os.name == "posix" else 0)
        if not os.access(path, wanted, effective_ids=os.access in os.supports_effective_ids):
            who = f"user {user}" if user else "the user it runs as"
            return (f"The {kind} {path} is read-only for this program ({who} may not write to it); give that "
                    "user write access")
    return None


def _stat_if_there(path: Path) -> os.stat_result | None:
    """os.stat of `path`, or None where `Path.exists` would say it is not there: one stat, not two."""
    try:
        return os.stat(path)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP):
            return None
        raise
    except ValueError:
        return None


def _is_root() -> bool:
    """Root on a POSIX system; False on Windows, which has no user ids (nor chown)."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _keep_ownership(temporary: Path, original: os.stat_result, written: os.stat_result, root: bool) -> None:
    """Give the new file (`written`: its os.stat) the old one's group (and owner, when run as root), then its mode.

    os.replace would otherwise leave the file with this process's umask, user and group: a workbook
    shared through a group (0660, group `publichealth`) would become 0644 in the writer's own group and
    lock colleagues out, and a 0600 workbook would become readable by all. chown comes first because it
    clears the setuid and setgid bits that chmod then restores.
    """
    uid = original.st_uid if root else -1
    if hasattr(os, "chown") and (original.st_gid != written.st_gid or uid != -1):
        try:
            os.chown(temporary, uid, original.st_gid)
        except PermissionError:
            raise PackageError(f"The workbook belongs to group {_group_name(original.st_gid)}, which this program "
                               "is not a member of, so a saved copy would lock that group out; run it as a "
                               "member of the group") from None
    os.chmod(temporary, stat.S_IMODE(original.st_mode))


def _group_name(gid: int) -> str:
    try:
        import grp

        return grp.getgrgid(gid).gr_name
    except (ImportError, KeyError):
        return str(gid)


def save_atomically(package: ZipParts, path: Path, backup_dir: Path | None, keep_backups: int,
                    user: str = "", while_syncing: Callable[[], object] | None = None,
                    once_replaced: Callable[[tuple[int, int, int]], object] | None = None) -> tuple[int, int, int]:
    """Write to a temporary file in the same folder, fsync, keep a backup of the old file, replace; returns the
    identity (size, modification time in ns, inode: `shared.reader.file_identity`) of the file put in place,
    taken before the rename: what is at the path a moment later may already be someone else's save.

    Called under the write lock, so any temporary file already there is a dead writer's. A crash at
    any point leaves either the old file or the new one under `path`, never half of one. The new file
    keeps the old one's permissions, group (and owner when run as root). A workbook marked read-only,
    or one this process may not write, is never replaced: PackageError says why, so the update stays
    pending (a rename would otherwise succeed wherever the folder is writable, whatever the file says); so is
    one someone else saved (Excel) since the package read it: their save is kept, the update waits.
    `user` is who this process writes as (`Settings.owner_name`), for that sentence. `while_syncing` runs
    while the new file is synced to disk, before it replaces the old one (see `ZipParts.write`);
    `once_replaced` runs, given the identity returned, once the folder is synced after the rename (both before
    this returns).
    """
    path = path if isinstance(path, Path) else Path(path)  # a Path's copy is not free
    original = _stat_if_there(path)
    root = _is_root()  # asked once a save: each check below would ask the kernel again
    problem = (_write_problem(path, "workbook", user, original, root) if original is not None else None) or \
        _write_problem(path.parent, "folder", user, root=root)
    if problem:
        raise PackageError(problem + ".")
    temporary = temporary_for(path)
    if original is None:  # the workbook went (deleted during the update): a new file, with the default mode
        package.discard_ahead()
    ahead = package.writing_ahead_to(temporary)  # made by `fresh_temporary` when the edit began
    if not ahead:
        _remove_leftovers(path)
        # Created private (never readable by others before it has the old mode) by the write's own open.
        package.will_create(temporary, 0o600 if original is not None else 0o666)
    replaced = False
    try:
        try:
            package.write(temporary, while_syncing)
        except OSError as exc:  # before the rename: the old file is still whole, the update waits
            raise PackageError(_unsaved(exc)) from None
        written = package.written  # its size, time and inode: chown and chmod change none of them
        if original is not None:
            _keep_ownership(temporary, original, written, root)
        read_here = original is not None and _read_from(package, path)
        if read_here and not package.unchanged_at(path):
            raise PackageError(f"The workbook {path} was saved by someone else while this update was being "
                               "written, so it was not replaced (their changes are kept)")
        # Found unchanged just now, so it is there: asked again only when it was not looked at.
        backed_up = backup_dir is not None and keep_backups > 0 and (read_here or path.exists())
        if backed_up:
            wait_for_pruning()  # the last save's, so backups never pile up beyond one more than kept
            try:
                _backup(path, backup_dir, keep_backups)
            except OSError as exc:
                raise PackageError(f"No backup of the workbook could be kept in {backup_dir} "
                                   f"({exc.strerror or exc}), so it was not replaced") from None
        os.replace(temporary, path)
        replaced = True
    finally:
        if not replaced and temporary.exists():  # once renamed it is not there to look for
            temporary.unlink()
    identity = (written.st_size, written.st_mtime_ns, written.st_ino)
    # The folder is synced by this thread: what another could overlap with it (`once_replaced`, a cache's fill)
    # is a few microseconds, less than waking that thread and being woken by it (issue 18).
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    if once_replaced is not None:
        once_replaced(identity)
    if backed_up:
        _prune_later(path, backup_dir, keep_backups)
    return identity


def temporary_for(path: Path) -> Path:
    """The new file a save of `path` writes before the rename: beside it (a rename stays on one disk), hidden,
    named for this process (a dead writer's is known by its name and removed: `_remove_leftovers`)."""
    return path.with_name(f".{path.name}.sli-tmp-{os.getpid()}")


def fresh_temporary(path: Path) -> Path:
    """`temporary_for(path)` created empty and private (mode 0600: never readable by others before it has the
    old file's mode), dead writers' leftovers removed first: for a save whose new file is begun before the save
    itself (`ZipParts.write_ahead`). Called under the write lock, as `save_atomically` is."""
    _remove_leftovers(path)
    temporary = temporary_for(path)
    os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    return temporary


def _remove_leftovers(path: Path) -> None:
    """Remove the temporary files writers killed mid-save left beside `path` (`.NAME.sli-tmp-PID`), found by
    their names as text in one scandir (a glob took `[` in a workbook's name for a pattern and found none)."""
    prefix = f".{path.name}.sli-tmp-"
    with os.scandir(path.parent) as entries:
        leftovers = [entry.path for entry in entries if entry.name.startswith(prefix)]
    for leftover in leftovers:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(leftover)


def _unsaved(exc: OSError) -> str:
    """The sentence for a new file that could not be written or synced (the old one is left as it was)."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return ("The workbook could not be saved because the disk holding it is full; ask IT to free space on the "
                "file server")
    return f"The workbook could not be saved ({exc.strerror or exc})"


def _read_from(package: ZipParts, path: Path) -> bool:
    """Whether `package` was read from the file at `path` (the file it now replaces), not a template."""
    return package.path == path or package.path.resolve() == path.resolve()  # the same path: no link to follow


def _backup(path: Path, backup_dir: Path, keep: int) -> None:
    """Keep the file about to be replaced as the newest backup; the oldest beyond `keep` go once it is replaced
    (`_prune_later`). The link is tried first and the folder made only when it is not there (the first backup):
    making it every save cost a mkdir and a stat for a folder that is there all but once."""
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S%f")
    target = backup_dir / f"{path.stem}-{stamp}{path.suffix}"
    try:
        os.link(path, target)  # the old file's bytes (and its permissions), without copying them
        return
    except (FileNotFoundError, NotADirectoryError):  # no folder yet (or not a folder: mkdir says so, as it did)
        backup_dir.mkdir(parents=True, exist_ok=True)
    except OSError:  # no links on this disk: copied
        _copy_backup(path, target)
        return
    try:
        os.link(path, target)
    except OSError:
        _copy_backup(path, target)


def _copy_backup(path: Path, target: Path) -> None:
    """The backup as a copy, where the disk cannot link: given the old file's owner and group too as root."""
    import shutil

    shutil.copy2(path, target)
    if _is_root():
        original = os.stat(path)
        os.chown(target, original.st_uid, original.st_gid)
        os.chmod(target, stat.S_IMODE(original.st_mode))


#: The thread that removes old backups after a save: one per process (a forked child starts its own). Removing
#: the oldest backup frees the blocks of a whole old workbook (1.7 ms for a 10 MB file on this machine's ext4),
#: which no one waiting for their update needs; the process waits for it before it exits, and the next save waits
#: for it before keeping its own backup.
_pruner = Worker("sli-prune")
#: The last save's pruning, to wait for.
_pruning: Job | None = None


def _forget_pruning() -> None:
    global _pruning
    _pruning = None  # the parent's: never run in a forked child


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pruning)


def wait_for_pruning() -> None:
    """Return once the old backups the last save let go of are removed (a save's answer does not wait for it)."""
    pruning = _pruning
    if pruning is not None:
        failed = pruning.wait()
        if failed is not None and not isinstance(failed, OSError):
            raise failed


def _prune_later(path: Path, backup_dir: Path, keep: int) -> None:
    """`_prune` the backups of `path` beyond `keep` in this process's pruning thread."""
    global _pruning
    _pruning = _pruner.run(_prune, backup_dir, f"{path.stem}-", path.suffix, keep)


def _prune(backup_dir: Path, prefix: str, suffix: str, keep: int) -> None:
    """Remove all but the newest `keep` backups (`prefix` + time stamp + `suffix`: by name, oldest first). The
    names are read with one scandir and matched as text (a glob made a path object of every entry, and took
    `[` in a workbook's name for a pattern)."""
    with os.scandir(backup_dir) as entries:
        backups = sorted(entry.name for entry in entries if entry.name.startswith(prefix)
                         and entry.name.endswith(suffix) and len(entry.name) >= len(prefix) + len(suffix))
    for old in backups[:-keep]:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(backup_dir, old))
