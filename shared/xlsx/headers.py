"""A sheet's header row, found by text among its first rows; and what the first rows of the Change log gave,
kept per process.

Every update looks for the Change log's header in a new package: its first rows are inflated, parsed and their
cells made text (shared strings, after a spreadsheet program saves). The header found is kept by what it was
found from: the exact bytes of the header row when it is the first (the rows after it are never looked at, and
every append changes them), the names looked for, and the identity of the shared strings part
their cells may refer to (`KeptParts.items_key`: equal identities, equal strings). An officer's edit of the
header (other bytes, or other strings) makes another key.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence

from lxml import etree

from shared.domain.bounded import Bounded
from shared.domain.schema import split_address
from shared.xlsx.ooxml import M, text_key

_found: Bounded[tuple[tuple[str, int], ...]] = Bounded(8)


def kept_header(key: Hashable | None) -> dict[str, int] | None:
    """The header columns kept under `key` (a new dict: the caller's to keep), or None."""
    found = _found.get(key)
    return dict(found) if found is not None else None


def keep_header(key: Hashable | None, found: Mapping[str, int]) -> None:
    """Keep the header columns found from what `key` says (nothing when there is no key)."""
    if key is not None:
        _found.keep(key, tuple(found.items()))


def header_key(rows_xml: bytes, wanted: Mapping[str, str], strings: Hashable | None) -> tuple | None:
    """What a header found in the first of the rows `rows_xml` depends on: that row's bytes (the rows after it are
    never looked at; appending changes them), the names wanted, and the identity of the shared strings (`strings`).
    None when any is not sure: no identity, or a comment, CDATA or processing instruction in the rows (where
    `</row>` may not end the row)."""
    end = rows_xml.find(b"</row>")
    if strings is None or end == -1 or b"<!" in rows_xml or b"<?" in rows_xml:
        return None
    return rows_xml[:end + len(b"</row>")], tuple(wanted.items()), strings


class FirstRows:
    """A sheet's first rows, each read as {header key: first 1-based column holding it} only when a header
    is looked for past the rows already read (the header is usually the first)."""

    def __init__(self, rows: Sequence[etree._Element], text_of: Callable[[etree._Element], str], whole: bool = True):
        self._rows, self._text_of = rows, text_of
        #: All the rows a header is looked for in (else the first of them, read from the sheet's first bytes).
        self.whole = whole
        self._keys: list[dict[str, int]] = []
        #: The index of the row `header` last found the header in.
        self.found_at: int | None = None

    def _row_keys(self, index: int) -> dict[str, int]:
        while len(self._keys) <= index:
            keys: dict[str, int] = {}
            for cell in self._rows[len(self._keys)].iterchildren(f"{M}c"):
                if cell.get("r"):
                    keys.setdefault(text_key(self._text_of(cell)), split_address(cell.get("r"))[0])
            self._keys.append(keys)
        return self._keys[index]

    def header(self, wanted: Mapping[str, str]) -> dict[str, int] | None:
        """The columns of the first row holding every wanted header key, by header name; None if none does."""
        for index in range(len(self._rows)):
            keys = self._row_keys(index)
            if all(key in keys for key in wanted):
                self.found_at = index
                return {name: keys[key] for key, name in wanted.items()}
        return None
