"""Every file a command writes (exports, the report, the summary's charts, the Teams package, a new workbook)
goes through `write_output`, so that no output can destroy the workbook or what is kept beside it.

Why: an export is aimed by a person typing a path. `--output Appendix1.xlsx.journal.sqlite` used to overwrite
the journal and lose every waiting update; `--output Appendix1.xlsx` replaced the workbook. So an output path is
refused, in one sentence and before anything is written, when it is the workbook, its journal (and SQLite's
`-wal`, `-shm`, `-journal`), its lock, Excel's owner file, the writer's temporary files, anything in the backups
folder, or a folder. Paths are compared after resolving `..`, the symbolic links in the folders named and case
(and by file identity, which also catches a hard link), because `book/../book/APPENDIX1.XLSX` names the same
file on the council's file server. A symbolic link as the file itself is refused (dangling or not): writing
through it would put the file somewhere the person did not name.

The file is written in a private temporary folder beside the target, fsynced and renamed over the target
(`os.replace`), so a full disk or a crash leaves the old file or the new one, never half of one, and no
temporary file behind. Any OSError becomes one sentence (`OutputError`) that says nothing was written.
"""

from __future__ import annotations

import errno
import gc
import os
import shutil
import stat
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from shared.uow import Store

#: Suffix of the private temporary folder an output is written in (beside the target, removed after).
SCRATCH_SUFFIX = ".sli-out"


class OutputError(ValueError):
    """An output path refused, or a write that failed: one sentence; nothing was written."""


def open_new(path: Path) -> BinaryIO:
    """Create `path` for writing: never over an existing file, never through a link. Every output's bytes
    go through the opener `write_output` is given (this one by default), so a test can hand it another
    that fails the way a full disk or a read-only file system does."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    return os.fdopen(os.open(path, flags, 0o666), "wb")


def protected_paths(store: Store) -> tuple[list[tuple[Path, str]], list[tuple[Path, str]]]:
    """(files, folders) no output may be written to, each with what it is, from the Store's own paths."""
    workbook, journal = store.workbook, store.journal_path
    files = [(workbook, "the workbook itself"),
             *((journal.with_name(journal.name + suffix), "the workbook's update journal")
               for suffix in ("", "-wal", "-shm", "-journal")),
             (store.lock_path, "the workbook's lock file"),
             *((workbook.with_name(name), "Excel's owner file for the workbook")
               for name in (f"~${workbook.name}", f"~${workbook.name[2:]}"))]
    return files, [(store.backup_dir, "the workbook's backups folder")]


def check_output(target: Path | str, store: Store | None, new_file: bool = False) -> Path:
    """The path `target` names, resolved (folders' links, `..`), or OutputError saying why it may not be
    written. `new_file` (a new workbook): the workbook's own path is allowed, any existing file is not."""
    given = Path(target)
    if given.name in ("", ".", ".."):
        raise OutputError(f"{target} is a folder: name a file in it instead.")
    try:
        final = given.parent.resolve() / given.name
    except (OSError, RuntimeError) as exc:  # RuntimeError: a loop of symbolic links (Python 3.11)
        raise OutputError(f"The folder of {target} cannot be followed ({_reason(exc)}): nothing was written.") \
            from None
    try:  # pathlib's is_symlink/is_dir/exists ignore only ENOENT, ENOTDIR, EBADF, ELOOP: a name too long or a
        # folder that may not be searched raise (ENAMETOOLONG, EACCES), and are said in one sentence here
        if final.is_symlink():
            link = os.readlink(final)
            state = "" if final.exists() else ", which does not exist"
            raise OutputError(f"{target} is a symbolic link (to {link}{state}): name a plain file; an output is "
                              "never written through a link.")
        if final.is_dir():
            raise OutputError(f"{target} is a folder: name a file in it instead.")
        if final.exists() and not final.is_file():  # /dev/null, a pipe: never replaced by a file
            raise OutputError(f"{target} is not a plain file (a device, pipe or socket): name a file to write.")
        if store is not None:
            _refuse_protected(target, final, store, new_file)
        if new_file and final.exists():
            raise OutputError(f"{target} already exists: choose another path or remove it first.")
    except OSError as exc:
        failure = _sentence(target, final, exc)
    else:
        return final
    raise OutputError(failure)  # outside the handler: no "during handling" chain


def write_output(target: Path | str, write: Callable[[BinaryIO], object], store: Store | None,
                 opener: Callable[[Path], BinaryIO] | None = None, new_file: bool = False) -> Path:
    """Check `target` (`check_output`), then `write(handle)` into a temporary file beside it, fsync, rename
    over `target`. Returns the path written. OutputError (one sentence) if refused or if writing failed;
    then `target` is as it was and no temporary file is left."""
    return _publish(target, store, new_file, lambda temporary: _write_handle(temporary, write, opener))


def write_output_file(target: Path | str, make: Callable[[Path], object], store: Store | None,
                      new_file: bool = False) -> Path:
    """`write_output` for a library that wants a path, not a handle (python-docx, openpyxl, zipfile): `make`
    writes a new file at the path it is given, in the private temporary folder; then fsync and rename."""
    def made(temporary: Path) -> None:
        make(temporary)
        _fsync(temporary)

    return _publish(target, store, new_file, made)


def write_bytes(target: Path | str, data: bytes, store: Store | None) -> Path:
    """`write_output` of bytes already made (a chart)."""
    return write_output(target, lambda handle: handle.write(data), store)


def _write_handle(temporary: Path, write: Callable[[BinaryIO], object],
                  opener: Callable[[Path], BinaryIO] | None) -> None:
    with (opener or open_new)(temporary) as handle:
        write(handle)
        handle.flush()
        os.fsync(handle.fileno())


def _publish(target: Path | str, store: Store | None, new_file: bool, make: Callable[[Path], object]) -> Path:
    final = check_output(target, store, new_file)
    scratch: str | None = None
    failure = ""
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        scratch = tempfile.mkdtemp(prefix=f".{final.name}.", suffix=SCRATCH_SUFFIX, dir=final.parent)
        temporary = Path(scratch) / final.name
        try:
            make(temporary)
        except OSError as exc:
            _drop_leftovers(exc)
            raise
        try:
            os.chmod(temporary, stat.S_IMODE(os.stat(final).st_mode))  # a re-export keeps the file's mode
        except FileNotFoundError:
            pass
        if new_file and final.exists():  # made by someone else meanwhile: never replaced
            raise OutputError(f"{target} already exists: choose another path or remove it first.")
        os.replace(temporary, final)
        _fsync(final.parent)
    except OSError as exc:
        failure = _sentence(target, final, exc)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    if failure:
        raise OutputError(failure)  # outside the handler: the OSError and what it held are gone
    return Path(target)


def _drop_leftovers(exc: OSError) -> None:
    """Release now, quietly, what a library left half-written when the disk failed under it (openpyxl's
    zip file and row generators): dropped later, they print "Exception ignored" tracebacks at exit."""
    hook = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: None
    try:
        chain: list[BaseException] = []
        seen: BaseException | None = exc
        while seen is not None and seen not in chain:  # and what it happened during (the close failed too)
            chain.append(seen)
            traceback.clear_frames(seen.__traceback__)
            seen = seen.__cause__ or seen.__context__
        gc.collect()
    finally:
        sys.unraisablehook = hook


def _fsync(path: Path) -> None:
    """fsync a file, or a folder after a rename (as the workbook's own save does)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _norm(path: Path) -> str:
    return os.path.normcase(str(path)).casefold()


def _forms(path: Path) -> set[str]:
    """`path` as compared: with its folder resolved, and fully resolved (the workbook may itself be a link)."""
    try:
        return {_norm(path.parent.resolve() / path.name), _norm(path.resolve())}
    except (OSError, RuntimeError):
        return {_norm(path.absolute())}


def _same(one: Path, other: Path) -> bool:
    try:
        return os.path.samefile(one, other)
    except OSError:
        return False


def _refuse_protected(target: Path | str, final: Path, store: Store, new_file: bool) -> None:
    """OutputError if `final` (folder already resolved, not a link) is one of the Store's protected paths."""
    files, folders = protected_paths(store)
    wanted, exists = _norm(final), final.exists()
    for path, what in files:
        if new_file and path is store.workbook and not exists:
            continue  # `sli workbook init` making the workbook SLI_WORKBOOK names
        if wanted in _forms(path) or (exists and _same(final, path)):
            raise OutputError(f"{target} is {what}: an output is never written there; choose another file.")
    prefix = f".{store.workbook.name}.sli-tmp-".casefold()
    beside_workbook = {os.path.dirname(form) for form in _forms(store.workbook)}
    if final.name.casefold().startswith(prefix) and (_norm(final.parent) in beside_workbook
                                                     or _same(final.parent, store.workbook.parent)):
        raise OutputError(f"{target} is a temporary file of the workbook's writer: choose another file.")
    for folder, what in folders:
        names = _forms(folder)
        for ancestor in (final.parent, *final.parent.parents):
            if _norm(ancestor) in names or _same(ancestor, folder):
                raise OutputError(f"{target} is in {what} ({folder}): choose a file outside it.")


def _reason(exc: BaseException) -> str:
    return (exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)).rstrip(".")


def _sentence(target: Path | str, final: Path, exc: OSError) -> str:
    """One sentence for an OSError while writing `target`: what happened and what to do."""
    code = exc.errno
    if code == errno.ENAMETOOLONG:
        return f"{target} cannot be written: its name is too long for the file system, so nothing was written; " \
               "choose a shorter name."
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return f"There is no room on the disk for {target} (the disk is full): nothing was written; free some " \
               "space or choose another place."
    if code == errno.EROFS:
        return f"{target} is on a read-only file system: nothing was written; choose another place."
    if code in (errno.EACCES, errno.EPERM):
        return f"{target} may not be written here (permission denied): nothing was written; choose another place."
    if code in (errno.ENOTDIR, errno.EEXIST) and not os.path.isdir(final.parent):  # isdir: never raises
        return f"{target} cannot be written: part of its folder path is a file, not a folder."
    if code == errno.EISDIR:
        return f"{target} is a folder: name a file in it instead."
    if code == errno.ELOOP:
        return f"{target} is a symbolic link: name a plain file; an output is never written through a link."
    return f"{target} could not be written ({_reason(exc)}): nothing was written."
