"""Files keep their permissions (issue 9.7): a saved workbook keeps the old one's mode, group and (as root)
owner; a workbook marked read-only, in a read-only folder, or one this process may not write is never
replaced, and the update stays pending with a sentence saying why.

Root passes every kernel permission check (os.access says yes to anything), so "may not write" is tested
honestly by running the write in a child process as the unprivileged user `nobody`."""

from __future__ import annotations

import contextlib
import grp
import io
import os
import pwd
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import sli
from shared import journal as j
from shared.domain import schema as s
from shared.reader import read_appendix
from shared.settings import Settings
from shared.usecases import Store, process_pending, submit_update

ROOT = Path(__file__).resolve().parents[1]
COMMITTED_WORKBOOK = ROOT / "workbook" / "Appendix1.xlsx"
IS_ROOT = os.geteuid() == 0
root_only = pytest.mark.skipif(not IS_ROOT, reason="changing owners and groups needs root")


def _shared_group() -> int:
    """An existing group other than root's, standing for a team's shared group (`users` on Debian)."""
    for name in ("users", "staff"):
        try:
            return grp.getgrnam(name).gr_gid
        except KeyError:
            continue
    pytest.skip("no shared group such as 'users' on this machine")


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def update(workbook: Path, text: str = "Agree interim cover") -> object:
    """Through the store the front ends use: built from settings, which name the user this process runs as."""
    store = Settings.from_env(workbook=workbook, env={}).store()
    return submit_update(store, "L7", {s.NEXT_STEPS: text}, by="Helen Lowey", via=s.VIA_CLI)


def next_steps(workbook: Path) -> object:
    return read_appendix(workbook).rows["L7"][s.NEXT_STEPS]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".sli-tmp-" in p.name)


# --- mode, group and owner are kept -------------------------------------------------------------


@root_only
def test_a_group_shared_0660_workbook_stays_0660_in_its_group_and_owner(workbook: Path) -> None:
    gid = _shared_group()
    os.chown(workbook, 65534, gid)  # owned by someone else, shared through the group
    os.chmod(workbook, 0o660)
    result = update(workbook)
    assert result.state == j.APPLIED, result.message
    st = os.stat(workbook)
    assert (stat.S_IMODE(st.st_mode), st.st_gid, st.st_uid) == (0o660, gid, 65534)
    assert next_steps(workbook) == "Agree interim cover"


@pytest.mark.parametrize("file_mode", [0o600, 0o640, 0o664, 0o666], ids=oct)
def test_the_mode_is_kept_whatever_the_umask(workbook: Path, file_mode: int) -> None:
    os.chmod(workbook, file_mode)
    old_umask = os.umask(0o077 if file_mode != 0o600 else 0o022)
    try:
        result = update(workbook)
    finally:
        os.umask(old_umask)
    assert result.state == j.APPLIED, result.message
    assert mode(workbook) == file_mode


@root_only
def test_setgid_folder_and_setgid_bit_on_the_file_are_kept(workbook: Path) -> None:
    gid = _shared_group()
    folder = workbook.parent
    os.chown(folder, 0, gid)
    os.chmod(folder, 0o2775)  # a shared folder: new files take its group
    os.chown(workbook, 0, gid)
    os.chmod(workbook, 0o2664)  # chown clears setgid; it must come back
    result = update(workbook)
    assert result.state == j.APPLIED, result.message
    st = os.stat(workbook)
    assert (stat.S_IMODE(st.st_mode), st.st_gid) == (0o2664, gid)
    assert mode(folder) == 0o2775


@root_only
def test_a_backup_keeps_the_previous_files_bytes_mode_group_and_owner(workbook: Path) -> None:
    gid = _shared_group()
    os.chown(workbook, 65534, gid)
    os.chmod(workbook, 0o640)
    before = workbook.read_bytes()
    assert update(workbook).state == j.APPLIED
    [backup] = list((workbook.parent / ".backups").iterdir())
    st = os.stat(backup)
    assert backup.read_bytes() == before
    assert (stat.S_IMODE(st.st_mode), st.st_gid, st.st_uid) == (0o640, gid, 65534)
    assert workbook.read_bytes() != before


# --- read-only: never replaced, the update stays pending ---------------------------------------


@pytest.mark.parametrize("file_mode", [0o444, 0o400, 0o440] + ([0o000] if IS_ROOT else []), ids=oct)
def test_a_workbook_marked_read_only_is_not_replaced_and_the_update_waits(workbook: Path, file_mode: int) -> None:
    before = workbook.read_bytes()
    identity = os.stat(workbook).st_ino
    os.chmod(workbook, file_mode)
    result = update(workbook)
    assert result.state == j.PENDING
    assert result.message == (f"Not written yet: The workbook {workbook} is marked read-only (its permissions let "
                              "no one write to it); whoever manages it can clear that. The update is kept and "
                              "will be applied once this is fixed.")
    assert Store.for_workbook(workbook).journal().get(result.update_id).state == j.PENDING
    assert workbook.read_bytes() == before and os.stat(workbook).st_ino == identity
    assert mode(workbook) == file_mode
    assert leftovers(workbook.parent) == [] and not (workbook.parent / ".backups").exists()

    os.chmod(workbook, 0o644)  # whoever manages it clears the mark: the waiting update goes in
    [done] = process_pending(Store.for_workbook(workbook))
    assert (done.update_id, done.state) == (result.update_id, j.APPLIED)
    assert next_steps(workbook) == "Agree interim cover" and mode(workbook) == 0o644


def test_a_workbook_in_a_read_only_folder_is_not_replaced(tmp_path: Path) -> None:
    folder = tmp_path / "book"
    folder.mkdir()
    workbook = folder / "Appendix1.xlsx"
    shutil.copy2(COMMITTED_WORKBOOK, workbook)
    journal = tmp_path / "journal.sqlite"  # the journal lives elsewhere, as with $SLI_JOURNAL
    store = Store.for_workbook(workbook, journal=journal)
    read_appendix(workbook)
    before = workbook.read_bytes()
    # The lock file must exist before the folder is closed (filelock creates it beside the workbook).
    store.lock_path.touch()
    os.chmod(folder, 0o555)
    try:
        result = submit_update(store, "L7", {s.NEXT_STEPS: "Agree interim cover"}, by="Helen Lowey", via=s.VIA_CLI)
        assert result.state == j.PENDING
        assert f"The folder {folder} is marked read-only" in result.message
        assert workbook.read_bytes() == before and leftovers(folder) == []
    finally:
        os.chmod(folder, 0o755)
    [done] = process_pending(store)
    assert done.state == j.APPLIED and next_steps(workbook) == "Agree interim cover"


# --- a process that may not write: a real unprivileged child process -------------------------------

@pytest.fixture
def nobody_folder() -> Iterator[Path]:
    """A folder the user `nobody` owns (so a rename in it would succeed), outside root's private tmp_path."""
    if not IS_ROOT:
        pytest.skip("running a child as another user needs root")
    try:
        pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no user 'nobody'")
    folder = Path(tempfile.mkdtemp(prefix="sli-perm-"))
    try:
        os.chmod(folder, 0o755)
        book = folder / "book"
        book.mkdir()
        shutil.copy2(COMMITTED_WORKBOOK, book / "Appendix1.xlsx")
        os.chown(book, 65534, 65534)
        yield book
    finally:
        shutil.rmtree(folder)


def run_as_nobody(workbook: Path, groups: tuple[int, ...] = ()) -> tuple[str, str]:
    """submit_update in a forked child that has dropped root for `nobody` (with only `groups` besides its own).

    Forked rather than started afresh: the project's interpreter lives under /root, which `nobody` cannot
    reach. The child reports (state, message) through a pipe and always exits.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        code = 1
        try:
            os.close(read_end)
            os.setgroups(list(groups))
            os.setgid(65534)
            os.setuid(65534)
            result = update(workbook)
            os.write(write_end, f"{result.state}\n{result.message}".encode())
            code = 0
        except BaseException as exc:  # noqa: BLE001 - reported to the parent, which fails the test
            os.write(write_end, f"error\n{exc!r}".encode())
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        report = pipe.read().decode()
    _, status = os.waitpid(pid, 0)
    state, message = report.split("\n", 1)
    assert os.waitstatus_to_exitcode(status) == 0, message
    return state, message


def test_a_workbook_the_process_may_not_write_is_not_replaced(nobody_folder: Path) -> None:
    workbook = nobody_folder / "Appendix1.xlsx"
    os.chmod(workbook, 0o644)  # root's file: nobody may read it, not write it; the folder is nobody's
    before = workbook.read_bytes()
    state, message = run_as_nobody(workbook)
    assert state == j.PENDING
    assert f"The workbook {workbook} is read-only for this program (user nobody may not write to it)" in message
    assert workbook.read_bytes() == before and os.stat(workbook).st_uid == 0 and mode(workbook) == 0o644
    assert leftovers(nobody_folder) == []

    os.chown(workbook, 65534, 65534)  # the control: once nobody may write it, the same child applies it
    state, message = run_as_nobody(workbook)
    assert state == j.APPLIED, message
    assert next_steps(workbook) == "Agree interim cover"


def test_a_writer_outside_the_files_group_does_not_lock_the_group_out(nobody_folder: Path) -> None:
    gid = _shared_group()
    workbook = nobody_folder / "Appendix1.xlsx"
    os.chown(workbook, 65534, gid)  # nobody owns it but is not in its group
    os.chmod(workbook, 0o664)
    before = workbook.read_bytes()
    state, message = run_as_nobody(workbook)
    assert state == j.PENDING
    assert f"belongs to group {grp.getgrgid(gid).gr_name}, which this program is not a member of" in message
    assert workbook.read_bytes() == before and os.stat(workbook).st_gid == gid


def test_a_writer_in_the_files_group_keeps_that_group(nobody_folder: Path) -> None:
    """Not root, so the owner becomes the writer; the group and mode stay, through chown to a group it is in."""
    gid = _shared_group()
    workbook = nobody_folder / "Appendix1.xlsx"
    os.chown(workbook, 0, gid)  # root's file, shared with the group, which nobody is a member of here
    os.chmod(workbook, 0o660)
    state, message = run_as_nobody(workbook, groups=(gid,))
    assert state == j.APPLIED, message
    st = os.stat(workbook)
    assert (stat.S_IMODE(st.st_mode), st.st_gid, st.st_uid) == (0o660, gid, 65534)
    assert next_steps(workbook) == "Agree interim cover"


# --- who the sentence names: the user the system knows, read once by the settings --------------------

def _unnamed_uid() -> int:
    """A user id the system has no name for, as in a container run under an arbitrary uid."""
    for uid in range(54321, 54421):
        try:
            pwd.getpwuid(uid)
        except KeyError:
            return uid
    pytest.skip("no free user id between 54321 and 54420")


def test_sli_update_names_the_writer_by_its_user_id_not_by_USERNAME(tmp_path: Path) -> None:
    """A process whose user has no name: `sli update` (in a forked child that dropped root for that uid, with
    USERNAME set to someone else) says which uid may not write, where it used to repeat whatever USERNAME said."""
    if not IS_ROOT:
        pytest.skip("running a child as another user needs root")
    uid = _unnamed_uid()
    folder = Path(tempfile.mkdtemp(prefix="sli-perm-"))
    try:
        os.chmod(folder, 0o755)
        book = folder / "book"
        book.mkdir()
        workbook = book / "Appendix1.xlsx"
        shutil.copy2(COMMITTED_WORKBOOK, workbook)
        os.chmod(workbook, 0o644)  # root's file: the child may read it, not write it
        os.chown(book, uid, uid)  # the folder is the child's: its journal goes there
        before = workbook.read_bytes()
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child
            code = 1
            try:
                os.close(read_end)
                os.setgroups([])
                os.setgid(uid)
                os.setuid(uid)
                os.environ["USERNAME"] = "mallory"  # this child's own environment
                out = io.StringIO()
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                    exit_code = sli.main(["update", "L7", "--next", "Agree interim cover", "--by", "Helen Lowey",
                                          "--workbook", str(workbook)])
                os.write(write_end, f"{exit_code}\n{out.getvalue()}".encode())
                code = 0
            except BaseException as exc:  # noqa: BLE001 - reported to the parent, which fails the test
                os.write(write_end, f"error\n{exc!r}".encode())
            finally:
                os._exit(code)
        os.close(write_end)
        with os.fdopen(read_end, "rb") as pipe:
            report = pipe.read().decode()
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, report
        exit_code, output = report.split("\n", 1)
        assert exit_code == str(sli.EXIT_PENDING), output
        assert f"The workbook {workbook} is read-only for this program (user {uid} may not write to it)" in output
        assert "mallory" not in output
        assert workbook.read_bytes() == before and leftovers(book) == []
    finally:
        shutil.rmtree(folder)
