"""The parts an update will not change, written into the new file while the update is still being worked out.

A workbook with a long history is mostly the Change log's year sheets, which no update touches. Copying
them into the new file and flushing them to disk are most of what a save of such a file costs, and neither
needs the edit: a second thread does both while the first edits the row, the log and the shared strings.
The edited parts are then written after them, and the central directory lists every part in the old file's
order, so every reader (they go by the directory) sees the package as before; only where the edited parts'
bytes lie in the file differs.

Each part is copied as it lies in the old file, its local header with it, by the kernel (copy_file_range),
and parts that lie one after the other there are copied together, two megabytes at a time, the disk asked to
start on each piece as soon as it is copied (sync_file_range), so that it writes while the rest is copied.
The second thread needs the interpreter only between those few calls (it must wait for it while the first
thread edits, hence the short switch interval meanwhile). Everything else
(where each part goes, its directory entry, the check that each local header is the part the directory
names) is worked out before the thread starts.

The parts are guessed before the edit: all but the ones an update edits, the ones it may edit (the shared
strings, when a cell's string moves) last. One the edit touched after all is cut off with every part after it
(`Ahead.take`) and written again in its turn; filing the log's years touches the part list itself, and the
file is then used only as far as the first part it changed. A wrong guess costs time, never correctness.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import threading
import zipfile
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from shared.xlsx.entries import LOCAL_HEADER_SIZE, Source, Span
from shared.xlsx.segments import HeadSplit, head_split_entry, read_head_split, stored_length
from shared.xlsx.verbatim import header_names, moved_entry, part_ends, plain_entry

#: Written ahead only when the parts to copy hold at least this many compressed bytes: a round figure, not
#: tuned. Below it the copy and its flush are short beside handing them to another thread; the case this is
#: for, a long history's year sheets, is several megabytes (`make bench`, 100,000 rows).
AHEAD_MIN_BYTES = 1 << 20

#: The thread that writes ahead: one per process (a forked child starts its own), started at the first use.
_writer: tuple[int, ThreadPoolExecutor] | None = None
_writer_lock = threading.Lock()


def _forget_writer() -> None:
    """In a forked child: the parent's thread, its lock and any file it was writing ahead did not come with it."""
    global _writer, _writer_lock, _switching
    _writer, _writer_lock = None, threading.Lock()
    if _switching:
        _switching = 0
        sys.setswitchinterval(_switch_was)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_writer)


#: The interpreter's switch interval while a file is written ahead. The copying thread needs the interpreter
#: for a moment between its kernel calls (to start the flush once the copies are done); the editing thread
#: holds it all the while, and by default lets go of it only every 5 ms, so the disk would start late.
_SWITCH_INTERVAL = 0.0002
_switching = 0
_switch_was = 0.0


def _quick_switches(on: bool) -> None:
    """Shorten the switch interval while any file is written ahead (`_SWITCH_INTERVAL`); put it back after."""
    global _switching, _switch_was
    with _writer_lock:
        if on:
            if _switching == 0:
                _switch_was = sys.getswitchinterval()
                sys.setswitchinterval(min(_switch_was, _SWITCH_INTERVAL))
            _switching += 1
        elif _switching > 0:
            _switching -= 1
            if _switching == 0:
                sys.setswitchinterval(_switch_was)


def _pool() -> ThreadPoolExecutor:
    global _writer
    with _writer_lock:
        if _writer is None or _writer[0] != os.getpid():
            _writer = (os.getpid(), ThreadPoolExecutor(max_workers=1, thread_name_prefix="sli-ahead"))
        return _writer[1]


#: How much is copied before the disk is asked to start on it (`_start_writing_back`), so that the disk writes
#: one piece while the next is copied, instead of everything only once the copy is done.
_PIECE = 1 << 21


def _writing_back() -> Callable[[int, int, int], object] | None:
    """Linux's sync_file_range(SYNC_FILE_RANGE_WRITE), which Python's os module does not offer: it starts the disk
    on a range of a file and returns at once (ctypes lets go of the interpreter meanwhile). None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        call = libc.sync_file_range
    except (OSError, AttributeError):
        return None
    call.argtypes = (ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong, ctypes.c_uint)
    call.restype = ctypes.c_int
    return lambda descriptor, offset, length: call(descriptor, offset, length, 2)  # SYNC_FILE_RANGE_WRITE


_WRITE_BACK = _writing_back()


def _start_writing_back(descriptor: int, offset: int, length: int) -> None:
    """Ask the disk to start writing `length` bytes at `offset` (the fdatasync after waits for them, and for
    anything this could not start): nothing more where the system cannot."""
    if _WRITE_BACK is not None:
        _WRITE_BACK(descriptor, offset, length)


@dataclass(frozen=True)
class _Slot:
    """A part written ahead but for its local header and stored head (`shared.xlsx.segments.HeadSplit`), whose
    length is known before the edit: the body is copied after the room left for them at `offset`, and
    `Ahead.fill` writes them once the edit has set the head (the shared strings' `count`)."""

    offset: int
    room: int
    body_start: int
    body_length: int
    split: HeadSplit


@dataclass(frozen=True)
class _Run:
    """Bytes of the old file copied as they are: `length` at `start`, to `to` in the new file."""

    start: int
    length: int
    to: int


class Ahead:
    """A new file being written with parts of the old one by another thread, then flushed to disk
    (fdatasync), so the save's own fsync has only the edited parts and the directory left."""

    def __init__(self, source: Source, entries: Sequence[zipfile.ZipInfo], runs: Sequence[_Run], target: Path,
                 slots: Mapping[str, _Slot] | None = None):
        """`entries`: the parts' directory entries as the new file will have them (where each now starts), in
        the order they lie in it; `runs`: the copies that put them there; `slots`: the parts among them whose
        header and head `fill` writes (see `plan_ahead`)."""
        self.target = Path(target)
        self.slots: dict[str, _Slot] = dict(slots or {})
        #: The parts in the file written ahead, once `take` has cut off those the edit touched.
        self.names: frozenset[str] = frozenset()
        self._entries = list(entries)
        self._end = max((run.to + run.length for run in runs), default=0)
        self._handle: IO[bytes] = open(self.target, "wb")  # noqa: SIM115 - handed on by `take`, else `discard`
        self._copied = threading.Event()
        self._whole = False  # every run copied (set by the thread before `_copied`)
        self._switching = True
        _quick_switches(True)
        started = threading.Event()
        try:
            self._done: Future = _pool().submit(self._copy, source.file.fileno(), self._handle.fileno(),
                                                list(runs), started)
        except RuntimeError as exc:  # no new threads now (the interpreter is shutting down): the usual write
            self._quick_switches_done()
            self._handle.close()
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.target)
            raise OSError(f"no thread to write ahead ({exc})") from None
        started.wait()  # let go of the interpreter until the copying thread has it and is in the kernel

    def _copy(self, source: int, target: int, runs: list[_Run], started: threading.Event) -> None:
        started.set()
        try:
            for run in runs:
                at, end, to = run.start, run.start + run.length, run.to
                while at < end:
                    done = os.copy_file_range(source, target, min(end - at, _PIECE), at, to)
                    if done <= 0:
                        return  # the old file is shorter than its directory says: not used (`take`)
                    _start_writing_back(target, to, done)
                    at, to = at + done, to + done
            self._whole = True
        finally:
            self._copied.set()
        # The disk starts on these bytes now, while the edit is written after them; the save's own fsync then
        # waits only for what is left (`settled` is waited for too, before the file replaces the old one).
        os.fdatasync(target)

    def take(self, target: Path, touched: Collection[str]) -> tuple[IO[bytes], zipfile.ZipFile] | None:
        """The new file and a zip on it holding the parts written ahead, to write the other parts after them:
        cut back to just before the first part the edit `touched` after all (the parts after it are written
        again, in their turn). None when it was begun for another path (it is removed) or a copy failed (the
        whole write then meets the failure again, on the same file, and says what it was). Waits for the copies, not for
        their flush to disk (`settled`)."""
        self._copied.wait()
        if Path(target) != self.target:
            self.discard()
            return None
        if not self._whole:
            self._let_go()
            return None
        kept = next((at for at, info in enumerate(self._entries) if info.filename in touched), len(self._entries))
        end = self._entries[kept].header_offset if kept < len(self._entries) else self._end
        if end < self._end:
            os.ftruncate(self._handle.fileno(), end)
        self._handle.seek(end)
        archive = zipfile.ZipFile(self._handle, "w")
        for info in self._entries[:kept]:  # listed as `shared.xlsx.writing.write_raw` lists what it writes
            archive.filelist.append(info)
            archive.NameToInfo[info.filename] = info
        archive.start_dir = end
        archive._didModify = True  # noqa: SLF001 - so close() writes the central directory (see write_raw)
        self.names = frozenset(info.filename for info in self._entries[:kept])
        return self._handle, archive

    def fits(self, name: str, split: HeadSplit) -> bool:
        """Whether `split` (the part as the edit left it) can go in the part's slot: the same body, copied
        already, and a head that still fits the room left for it."""
        slot = self.slots.get(name)
        body = split.body_raw
        return slot is not None and split.body is None and isinstance(body, Span) \
            and (body.start, body.length) == (slot.body_start, slot.body_length) \
            and len(split.stored_head()) == slot.room

    def fill(self, info: zipfile.ZipInfo, split: HeadSplit, archive: zipfile.ZipFile) -> None:
        """Write the part's local header and head into its slot (`fits` said they go there), and list it."""
        slot = self.slots[info.filename]
        entry, head, _body = head_split_entry(info, split)
        entry.flag_bits = info.flag_bits & ~0x08 & ~0x800  # as `shared.xlsx.writing.write_raw` writes them
        entry.extra = b""
        entry.header_offset = slot.offset
        header = entry.FileHeader(False)
        if len(header) + len(head) != _slot_header(info) + stored_length(slot.room):
            raise OSError("the part's header does not fit the room left for it")  # never: the room was made so
        os.pwrite(self._handle.fileno(), header + head, slot.offset)
        placed = next(at for at, listed in enumerate(archive.filelist) if listed.filename == info.filename)
        archive.filelist[placed] = entry
        archive.NameToInfo[info.filename] = entry

    def settled(self) -> None:
        """Wait for the parts written ahead to be on disk; raises the disk's error if they could not be. The
        switch interval is put back only now: until the flush has begun, the copying thread needs a moment of
        the interpreter, which the editing thread writing the edited parts would otherwise hold for 5 ms."""
        failed = self._done.exception()
        self._quick_switches_done()
        if failed is not None:
            raise failed

    def release(self) -> None:
        """After the save's write, whether it was whole or failed midway: wait for the copying thread to be done
        with the file (its flush may have failed with the write), and put the switch interval back. Its error,
        if any, was `settled`'s to raise; a write that failed has its own."""
        self._done.exception()
        self._quick_switches_done()

    def discard(self) -> None:
        """Let go of the file and remove it: the update was not saved (refused, failed before its save)."""
        self._let_go()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.target)

    def _quick_switches_done(self) -> None:
        if self._switching:
            self._switching = False
            _quick_switches(False)

    def _let_go(self) -> None:
        self._done.exception()  # the thread is done with the file before it is closed
        self._quick_switches_done()
        self._handle.close()


def plan_ahead(source: Source, infos: Sequence[zipfile.ZipInfo], directory_at: int, edited: Collection[str],
               maybe: Collection[str] = (), at_least: int | None = None
               ) -> tuple[list[zipfile.ZipInfo], list[_Run], dict[str, _Slot]]:
    """What to write ahead: every part of `infos` (the old file's, whose central directory starts at
    `directory_at`) but `edited`, in the old file's order; then those `maybe` edited (the shared strings), as
    slots (`_Slot`) when the old file holds them as head and body, left out otherwise. As the new file's
    directory entries, the copies that make them and the slots. Nothing when those parts are fewer than
    `at_least` (`AHEAD_MIN_BYTES`) compressed bytes, when the system cannot copy between files in the kernel,
    or when a part is not plainly where the directory says (the usual write, which checks each part, says
    what is wrong)."""
    nothing: tuple[list[zipfile.ZipInfo], list[_Run], dict[str, _Slot]] = ([], [], {})
    chosen = [info for info in infos if info.filename not in edited and info.filename not in maybe]
    least = AHEAD_MIN_BYTES if at_least is None else at_least
    if sum(info.compress_size for info in infos if info.filename not in edited) < least:
        return nothing  # too few bytes even with every part `maybe` edited: none of their heads need be read
    ends = part_ends(infos, directory_at)
    splits = {}
    for info in infos:
        if info.filename in maybe and info.filename not in edited and plain_entry(info, ends[info.filename]):
            split = read_head_split(source, info)
            if split is not None and isinstance(split.body_raw, Span):
                splits[info.filename] = split
                chosen.append(info)
    size = sum(info.compress_size for info in chosen)
    if size < least or not hasattr(os, "copy_file_range") \
            or not hasattr(os, "fdatasync"):
        return nothing
    entries: list[zipfile.ZipInfo] = []
    runs: list[_Run] = []
    slots: dict[str, _Slot] = {}
    to = 0
    for info in chosen:
        split = splits.get(info.filename)
        if split is not None:  # room for the header and head, the body copied after it
            assert isinstance(split.body_raw, Span)
            body = split.body_raw
            room = _slot_header(info) + stored_length(split.room)
            slots[info.filename] = _Slot(to, split.room, body.start, body.length, split)
            runs.append(_Run(body.start, body.length, to + room))
            entries.append(moved_entry(info, to))
            to += room + body.length
            continue
        if not plain_entry(info, ends[info.filename]) or not header_names(source, info):
            return nothing
        start, length = info.header_offset, ends[info.filename] - info.header_offset
        if runs and runs[-1].start + runs[-1].length == start and runs[-1].to + runs[-1].length == to:
            last = runs.pop()  # next to the last one in both files: one copy
            runs.append(_Run(last.start, last.length + length, last.to))
        else:
            runs.append(_Run(start, length, to))
        entries.append(moved_entry(info, to))
        to += length
    return entries, runs, slots


def _slot_header(info: zipfile.ZipInfo) -> int:
    """The length of a local header this program writes for the part (no extra field)."""
    return LOCAL_HEADER_SIZE + len(info.filename.encode("ascii"))
