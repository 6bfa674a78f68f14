"""The reduced package a cold read hands to python-calamine is written by `shared.xlsx.storedzip`: the same
bytes zipfile writes for the same stored parts (given the same date and attributes), read back with every
CRC checked, and never a package a reader could take two ways."""

from __future__ import annotations

import io
import zipfile
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.xlsx.storedzip import stored_zip

NAMES = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=30)


def _as_zipfile_writes(parts: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for name, data in parts:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.create_system = 3  # Unix, as zipfile says on this machine
            archive.writestr(info, data)
    return out.getvalue()


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(NAMES, st.binary(max_size=3000), max_size=8))
def test_the_same_bytes_as_zipfile_for_stored_parts(parts: dict[str, bytes]) -> None:
    items = list(parts.items())
    written = stored_zip(items)
    assert written == _as_zipfile_writes(items)
    with zipfile.ZipFile(io.BytesIO(written)) as archive:
        assert archive.testzip() is None
        assert [(info.filename, archive.read(info)) for info in archive.infolist()] == items


@settings(max_examples=50, deadline=None)
@given(st.dictionaries(NAMES, st.binary(max_size=3000), max_size=8), st.data())
def test_a_crc_known_already_is_taken_not_worked_out(parts: dict[str, bytes], data: st.DataObject) -> None:
    """A part taken as it is from a zip comes with its directory's CRC: the same bytes as working it out."""
    items = list(parts.items())
    known = {name: zlib.crc32(part) for name, part in items if data.draw(st.booleans())}
    assert stored_zip(items, known) == stored_zip(items)
    wrong = {name: crc ^ 1 for name, crc in known.items()}  # taken as given, never computed again
    with zipfile.ZipFile(io.BytesIO(stored_zip(items, wrong))) as archive:
        assert {name: archive.getinfo(name).CRC for name in wrong} == wrong


def test_a_name_given_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        stored_zip([("xl/styles.xml", b"a"), ("xl/styles.xml", b"b")])
