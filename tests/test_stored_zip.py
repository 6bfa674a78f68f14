"""The reduced package a cold read hands to python-calamine is written by `shared.xlsx.storedzip`: the same
bytes zipfile writes for the same stored parts (given the same date and attributes), read back with every
CRC checked, and never a package a reader could take two ways."""

from __future__ import annotations

import io
import zipfile

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


def test_a_name_given_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        stored_zip([("xl/styles.xml", b"a"), ("xl/styles.xml", b"b")])
