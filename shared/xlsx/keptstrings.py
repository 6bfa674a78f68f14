"""The start of the shared strings table as the last package cut and parsed it, kept for the next package.

Every update opens a new package, and its row-height estimate needs a few shared strings (after a spreadsheet
program saves, Appendix 1's text is there): cutting the table's first items (`strings_prefix`) and parsing them
cost a third of writing the cells. An update changes the part only in its root's start tag (`count`), not in
its items, so the items bytes that were cut, and the items parsed from them, are kept per process; the next
package reuses them when its part's bytes after the root's start tag start with exactly those bytes (only that
many are inflated, and compared: no scan, no parse). Items are bytes the file holds, so equal bytes under an
equal root (but for its counts) are the same strings: an officer's edit of a string, of any length, is new bytes.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable, Hashable
from typing import IO, NamedTuple

from lxml import etree

from shared.domain.bounded import Bounded
from shared.xlsx.ooxml import PARSER, M
from shared.xlsx.stringscan import ROOT_START, strings_prefix

#: The most items bytes kept (the parsed items take a few times as much): Appendix 1's first 512 strings are
#: 20-60 KB; a table whose start is larger is cut and parsed at every update, as before.
KEEP_ITEMS_BYTES = 1 << 18
#: The root's attributes an update changes (how many cells refer to the table, how many strings it has), and
#: the white space before the start tag's end, which this program pads (`shared.xlsx.segments.padded_head`).
_COUNTS = re.compile(rb"""\s(?:count|uniqueCount)\s*=\s*(?:"[^"]*"|'[^']*')|\s+(?=/?>\Z)""")


class _Kept(NamedTuple):
    root: bytes  # the root's start tag without its counts (its namespaces say what the items mean)
    items: bytes  # the part's bytes after the root's start tag that were cut
    last: int  # the item index the cut was asked for
    complete: bool  # the cut held the whole table (fewer items than asked for)
    parsed: tuple[etree._Element, ...]  # the items, as parsed


_kept: _Kept | None = None
#: The same cuts by the identity of the part they were cut from (`KeptParts.key`: its compressed bytes, when
#: small): a package of a file holding the very same compressed part takes the cut without inflating anything.
_by_identity: Bounded[_Kept] = Bounded(2)
_lock = threading.Lock()


def scanned_items(open_source: Callable[[], IO[bytes]], last: int,
                  identity: Hashable | None = None) -> tuple[list[etree._Element], bool] | None:
    """The table's items up to index `last` at least (all when fewer) and whether that is all of them, from
    the start of the part that `open_source` opens; None when the scan is not sure of the table (a comment,
    CDATA, an unusual start: then the caller reads it with iterparse). The items are only read, never
    changed: they may be the ones the last package parsed. `identity`: what the part's bytes are known by
    (equal identities, equal bytes), or None."""
    kept = _by_identity.get(identity)
    if kept is not None and (kept.last >= last or kept.complete):
        return list(kept.parsed), kept.complete
    kept = _kept
    if kept is not None and (kept.last >= last or kept.complete):
        with open_source() as source:
            if _starts_with(source, kept):
                if identity is not None:
                    _by_identity.keep(identity, kept)
                return list(kept.parsed), kept.complete
    with open_source() as source:
        prefix = strings_prefix(source, last)
    if prefix is None:
        return None
    root = etree.fromstring(prefix, PARSER)
    parsed = tuple(root.iterchildren(f"{M}si"))
    complete = len(parsed) <= last
    _keep(prefix, last, complete, parsed, identity)
    return list(parsed), complete


def _keep(prefix: bytes, last: int, complete: bool, parsed: tuple[etree._Element, ...],
          identity: Hashable | None = None) -> None:
    """Keep a cut (`strings_prefix`'s bytes: the part's own, closed by the root's end tag when it was cut)."""
    global _kept
    found = ROOT_START.match(prefix)
    if found is None:
        return
    close = b"</" + found.group(1) + b">"
    end = len(prefix) if complete else len(prefix) - len(close)
    if end - found.end() > KEEP_ITEMS_BYTES:
        return
    with _lock:
        _kept = _Kept(_COUNTS.sub(b"", found.group(0)), prefix[found.end():end], last, complete, parsed)
        kept = _kept
    if identity is not None:
        _by_identity.keep(identity, kept)


def _starts_with(source: IO[bytes], kept: _Kept) -> bool:
    """Whether the part read from `source` has the kept root (but for its counts) and then the kept items."""
    head = source.read(len(kept.items) + len(kept.root) + 256)
    found = ROOT_START.match(head)
    if found is None or _COUNTS.sub(b"", found.group(0)) != kept.root:
        return False
    end = found.end() + len(kept.items)
    while len(head) < end and (chunk := source.read(end - len(head))):
        head += chunk
    return head[found.end():end] == kept.items


@functools.lru_cache(maxsize=8)
def without_counts(start: bytes) -> bytes:
    """A part's start (its root's start tag) without the counts an update changes. Kept for the last starts (a
    function of its argument alone): every update keys the shared strings by the same start (`KeptParts.items_key`),
    which this program pads with spaces that the substitution steps through one by one."""
    return _COUNTS.sub(b"", start)


def forget() -> None:
    """Drop what is kept (a test compares with the uncached path)."""
    global _kept, _by_identity
    with _lock:
        _kept = None
        _by_identity = Bounded(2)
