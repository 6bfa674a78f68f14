"""The package as zip parts: the file's bytes read once, parts inflated only when asked for, the parts an
edit changed or added, and the new file written with every unchanged part copied compressed as it was."""

from __future__ import annotations

import contextlib
import os
import zipfile
from collections.abc import Callable, Collection, Iterator, Mapping
from pathlib import Path

from shared.xlsx.ahead import Ahead, plan_ahead
from shared.xlsx.directory import keep_listing, open_zip, write_directory
from shared.xlsx.entries import LazyParts, Source, clone_info, inflate, raw_data
from shared.xlsx.keptparts import inflated_start, keep_written
from shared.xlsx.ooxml import PackageError
from shared.xlsx.segments import (
    HeadSplit,
    Segments,
    read_head_split,
    read_segments,
    split_head,
    split_segments,
    write_head_split,
    write_segments,
)
from shared.xlsx.syncing import sync_while
from shared.xlsx.verbatim import copy_verbatim, header_names, part_ends, plain_entry
from shared.xlsx.writing import NewFile, copy_raw, write_deflated

#: Time stamp of parts the write path adds (the zip format needs one; 1980 is its earliest).
_NEW_PART_TIME = (2026, 1, 1, 0, 0, 0)
#: How much of a sheet is inflated to find its header and first rows.
PREFIX = 1 << 16
#: How much is inflated first, the header being at the top: the header row and the first row under it in a few
#: KB; PREFIX only when they are not whole in it.
HEADER_PREFIX = 1 << 13


class ZipParts:
    """An opened .xlsx as a zip: its parts in order, and what an edit changed."""

    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            # The file held open: parts are inflated only when asked for, and every part the write does
            # not change is copied into the new file still compressed, by the kernel (see `write`), never
            # read into memory. The descriptor keeps the file as opened even when a save replaces it.
            self._source = Source(self.path)
        except OSError as exc:
            raise PackageError(f"{self.path} is not a readable .xlsx package ({exc}).") from None
        try:
            self._archive = open_zip(self._source)  # the directory as written, when this process wrote the file
            self.infos = self._archive.infolist()
        except (zipfile.BadZipFile, OSError) as exc:
            self._source.close()
            raise PackageError(f"{self.path} is not a readable .xlsx package ({exc}).") from None
        self.parts = LazyParts(self._archive)
        self.changed: dict[str, bytes] = {}
        #: The part stored as three deflate runs when it is written whole (the Change log sheet's).
        self.segmented_part: str | None = None
        self.segments: dict[str, Segments] = {}
        #: Parts whose root element's start tag this edit changes (the shared strings' count), by name.
        self.heads: dict[str, HeadSplit] = {}
        self._prefixes: dict[tuple[str, int], bytes] = {}
        #: Parts read as segments for their first bytes (`prefix`) before an append asked for them (`appendable`).
        self._peeked: dict[str, Segments | None] = {}
        self._peeked_heads: dict[str, HeadSplit | None] = {}  # and as start tag and body, before `head_of`
        #: The new file being written ahead with the parts the edit is not expected to change (`write_ahead`).
        self._ahead: Ahead | None = None
        #: The new file the next `write` makes, and its mode (`will_create`).
        self._creating: tuple[Path, int] | None = None
        #: The file the last `write` wrote, as os.fstat saw it once it was synced (its size, time and inode).
        self.written: os.stat_result | None = None

    def close(self) -> None:
        """Let go of the file as opened (its descriptor); the package cannot be read or written after. A file
        written ahead and not used (no save came) is removed."""
        self.discard_ahead()
        self._source.close()

    def discard_ahead(self) -> None:
        """Remove the file being written ahead, if any (the save writes a new one whole)."""
        if self._ahead is not None:
            self._ahead, ahead = None, self._ahead
            ahead.discard()

    def write_ahead(self, make_target: Callable[[], Path], edited: Collection[str],
                    maybe: Collection[str] = ()) -> bool:
        """Start writing into the save's new file (`make_target` makes it, empty and private) every part
        but `edited`, those `maybe` edited last, by another thread while this one edits (see
        `shared.xlsx.ahead`); `write` to the same target goes on from there. Nothing is started (False)
        when those parts are too few bytes to gain from it."""
        entries, runs, slots = plan_ahead(self._source, self.infos, self._archive.start_dir, edited, maybe)
        if not entries or self._ahead is not None:
            return False
        self._ahead = Ahead(self._source, entries, runs, make_target(), slots)
        return True

    def will_create(self, target: Path, mode: int) -> None:
        """Say that the next `write` to `target` makes a new file there (the save's temporary file, with `mode`
        when it is not there yet): it is created by the write's own open, not made empty apart and opened
        again, and it is not the file this package was read from, which `write` then need not look for."""
        self._creating = (Path(target), mode)

    def writing_ahead_to(self, target: Path) -> bool:
        """Whether a file is being written ahead at `target` (the save must not create it anew)."""
        return self._ahead is not None and self._ahead.target == Path(target)

    def opened_as(self) -> tuple[int, int, int]:
        """The file as opened: its size, modification time (ns) and inode (as `shared.reader.file_identity`
        gives them), to tell whether it is the save a plan was made from."""
        _dev, inode, size, mtime = self._source.version
        return size, mtime, inode

    def unchanged_at(self, path: Path) -> bool:
        """Whether `path` still holds the file as this package read it (no one saved it since)."""
        return self._source.still_at(path)

    @property
    def archive(self) -> zipfile.ZipFile:
        """The file as it was opened (before this edit), as a zip: its parts, to be read again."""
        return self._archive

    def appendable(self, part: str) -> Segments | None:
        """The part as segments that rows can be added to without inflating its rows, or None (see
        `shared.xlsx.segments`); once read, the same segments, which collect the rows added."""
        if part in self.segments:
            return self.segments[part]
        if part in self.changed or part not in self.parts:
            return None
        segments = self._peeked.pop(part) if part in self._peeked else \
            read_segments(self._source, self._archive.getinfo(part))
        if segments is not None:
            self.segments[part] = segments
        return segments

    def head_of(self, part: str) -> HeadSplit | None:
        """The part as its root's start tag and the rest (see `shared.xlsx.segments.HeadSplit`), to change an
        attribute of the root: the rest is kept compressed when the file already stores it so (this program
        wrote it last), else read whole once. None when the part has no start tag to find."""
        if part in self.heads:
            return self.heads[part]
        if part not in self.parts:
            return None
        split = None
        if part not in self.changed and part not in self.segments:
            split = self._peeked_heads.pop(part) if part in self._peeked_heads else \
                read_head_split(self._source, self._archive.getinfo(part))
        if split is None:
            split = split_head(self.current(part))
        if split is not None:
            self.changed.pop(part, None)
            self.heads[part] = split
        return split

    def prefix(self, part: str, size: int) -> bytes:
        """The first `size` bytes of a part, inflating no more of it than that."""
        if part in self.heads:
            return self.heads[part].whole()[:size]
        if part in self.changed:
            return self.changed[part][:size]
        if part in self.segments:
            segments = self.segments[part]
            return (segments.head + inflated_start(segments.rows_raw, size))[:size]
        info = self._archive.getinfo(part)
        if info.compress_type != zipfile.ZIP_DEFLATED or part in self.parts.inflated():
            return self.parts[part][:size]
        if (part, size) not in self._prefixes:  # the file's bytes do not change: inflate the start once
            self._prefixes[(part, size)] = self._stored_prefix(part, info, size)
        return self._prefixes[(part, size)]

    def _stored_prefix(self, part: str, info: zipfile.ZipInfo, size: int) -> bytes:
        """`prefix` of a part as the file holds it. The Change log stored as segments (this program wrote it last)
        is its head, which the append reads anyway (`appendable`), and its rows' first bytes, whose compressed
        bytes an append leaves as they were: inflated once a process (`inflated_start`), not at every update."""
        if part not in self._peeked:
            self._peeked[part] = read_segments(self._source, info)
        segments = self._peeked[part]
        if segments is not None:
            head = segments.head
            if len(head) >= size:
                return head[:size]
            # Rows short of what is wanted are all the rows: the tail follows them.
            return (head + inflated_start(segments.rows_raw, size - len(head)) + segments.tail)[:size]
        # The shared strings stored as start tag and body: the tag holds the count every update changes.
        if part not in self._peeked_heads:
            self._peeked_heads[part] = read_head_split(self._source, info)
        split = self._peeked_heads[part]
        if split is not None and len(split.head) < size:
            return split.head + inflated_start(split.body_raw, size - len(split.head))
        return inflated_start(raw_data(self._source, info), size)

    def current(self, part: str) -> bytes:
        """A part's bytes as they stand: as this edit changed them, else as in the file."""
        if part in self.segments:  # wanted whole after all (the log's years being filed): inflate once
            segments = self.segments.pop(part)
            rows = inflate(segments.rows_raw) + b"".join(segments.new_rows)
            self.changed[part] = segments.head + rows + segments.tail
        if part in self.heads:
            self.changed[part] = self.heads.pop(part).whole()
        return self.changed[part] if part in self.changed else self.parts[part]

    def stream(self, part: str, size: int = 1 << 20) -> Iterator[bytes]:
        """A part's bytes as they stand, `size` at a time: inflated from the file as they are read when the
        edit has not changed the part (filing a long Change log by year never holds it inflated)."""
        if part in self.segments or part in self.heads or part in self.changed or part in self.parts.inflated():
            data = self.current(part)
            yield from (data[at:at + size] for at in range(0, len(data), size))
            return
        with self._archive.open(part) as stream:
            while chunk := stream.read(size):
                yield chunk

    def write(self, target: Path, while_syncing: Callable[[], object] | None = None) -> None:
        """Write the package to `target` (a new file): changed parts compressed anew, the others copied
        as the compressed bytes they were, so an update costs what it changes, not the size of the file
        (a Change log sheet of earlier years is never inflated, let alone recompressed). The file is synced
        to disk before this returns; `while_syncing` runs meanwhile (the disk's wait is no one's work).

        Deflate level 1 for the changed parts: their content is what must stay identical, and the
        fastest level keeps an update quick (Excel recompresses on its next save).
        """
        ahead, self._ahead = self._ahead, None
        creating, self._creating = self._creating, None
        mode = creating[1] if creating is not None and creating[0] == Path(target) else None
        if mode is None and self._source.is_file(target):  # written over the file it was read from: its bytes first
            if ahead is not None:
                ahead.discard()
                ahead = None
            self._source.hold_in_memory()
            self._archive = open_zip(self._source)
            self.parts.reopen(self._archive)
        touched = {*self.changed, *self.segments, *self.heads}
        filled: dict[str, HeadSplit] = {}
        if ahead is not None:  # a slot is filled when the part as it stands fits it, else cut off like any other
            for name, slot in ahead.slots.items():
                split = self.heads.get(name) if name in touched else slot.split
                if split is not None and ahead.fits(name, split):
                    filled[name] = split
            touched = (touched - filled.keys()) | (ahead.slots.keys() - filled.keys())
        try:
            self._write_into(target, ahead, touched, filled, while_syncing, 0o666 if mode is None else mode)
        finally:
            if ahead is not None:  # a failed write too: its thread done with the file, the switch interval back
                ahead.release()

    def _write_into(self, target: Path, ahead: Ahead | None, touched: set[str], filled: Mapping[str, HeadSplit],
                    while_syncing: Callable[[], object] | None, mode: int) -> None:
        """`write` after the slots were weighed: into the file written ahead, from where `take` cuts it, or anew
        (`mode` if it is not there yet)."""
        started = ahead.take(target, touched) if ahead is not None else None
        handle, archive = started if started is not None else (NewFile(target, mode), None)
        with contextlib.ExitStack() as closing:
            closing.enter_context(handle)
            if started is not None:  # before the file is closed, even when the write fails: its thread is done
                closing.callback(ahead.release)
            with archive if archive is not None else zipfile.ZipFile(handle, "w") as archive:
                names = {info.filename for info in self.infos}
                done = ahead.names if started is not None else frozenset()
                for name, split in filled.items():
                    if name in done:
                        ahead.fill(self._archive.getinfo(name), split, archive)
                log_part = self.segmented_part
                run = _VerbatimRun(self._source, part_ends(self.infos, self._archive.start_dir), archive, handle)
                for info in self.infos:
                    if info.filename in done:
                        continue
                    unchanged = info.filename not in self.segments and info.filename not in self.heads \
                        and info.filename not in self.changed
                    if unchanged and run.extend(info):
                        continue
                    run.copy()
                    if info.filename in self.segments:
                        write_segments(archive, handle, info, self.segments[info.filename])
                    elif info.filename in self.heads:
                        write_head_split(archive, handle, info, self.heads[info.filename])
                    elif info.filename == log_part and info.filename in self.changed:
                        write_segments(archive, handle, info, split_segments(self.changed[info.filename]))
                    elif info.filename in self.changed:
                        entry, data = clone_info(info), self.changed[info.filename]
                        if (raw := write_deflated(archive, handle, entry, data)) is not None:
                            keep_written(entry, raw, data)
                    else:
                        copy_raw(self._source, info, archive, handle)
                run.copy()
                for name, data in self.changed.items():  # parts this edit added (a year's log sheet)
                    if name not in names:
                        entry = zipfile.ZipInfo(name, date_time=_NEW_PART_TIME)
                        entry.compress_type = zipfile.ZIP_DEFLATED
                        write_deflated(archive, handle, entry, data)
                for name, segments in self.segments.items():  # added as deflate runs (filed years)
                    if name not in names:
                        write_segments(archive, handle, zipfile.ZipInfo(name, date_time=_NEW_PART_TIME), segments)
                if done:  # the directory in the old file's order, whatever order the bytes were written in
                    order = {info.filename: at for at, info in enumerate(self.infos)}
                    archive.filelist.sort(key=lambda info: order.get(info.filename, len(order)))
                listing = write_directory(archive, handle)
            handle.flush()
            sync_while(handle.fileno(), while_syncing)
            if started is not None:
                ahead.settled()
            self.written = os.fstat(handle.fileno())
            if listing is not None:  # the next update in this process opens this file: its directory as written
                keep_listing(self.written, listing)


class _VerbatimRun:
    """Unchanged parts that lie one after the other in the old file, gathered to be copied with one kernel call
    (`shared.xlsx.verbatim.copy_verbatim`) when the next part is not one of them."""

    def __init__(self, source: Source, ends: Mapping[str, int], archive: zipfile.ZipFile, handle):
        self._source, self._ends, self._archive, self._handle = source, ends, archive, handle
        self._infos: list[zipfile.ZipInfo] = []

    def extend(self, info: zipfile.ZipInfo) -> bool:
        """Add the part when it can be copied as it lies (after the last one, if any); False if not."""
        if self._infos and self._ends[self._infos[-1].filename] != info.header_offset:
            self.copy()
        if not plain_entry(info, self._ends[info.filename]) or not header_names(self._source, info):
            return False
        self._infos.append(info)
        return True

    def copy(self) -> None:
        """Copy the parts gathered, if any."""
        if self._infos:
            start = self._infos[0].header_offset
            copy_verbatim(self._source, self._infos, start, self._ends[self._infos[-1].filename] - start,
                          self._archive, self._handle)
            self._infos = []
