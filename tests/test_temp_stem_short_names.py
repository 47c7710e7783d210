"""core/files.temp_stem takes a name of at most _TEMP_NAME_MAX / 4 characters as it is (no character is more
than 4 bytes, a surrogate-escaped byte 1: no fsencode per file of a get -r) and cuts longer ones as before."""

from __future__ import annotations

import os

import pytest


def _cut_the_long_way(name: str) -> str:
    from its_store.core.files import _TEMP_NAME_MAX
    raw = os.fsencode(name)
    if len(raw) <= _TEMP_NAME_MAX:
        return name
    return os.fsdecode(raw[:_TEMP_NAME_MAX].decode("utf-8", "ignore").encode("utf-8"))


@pytest.mark.parametrize("unit", ["a", "é", "€", "😀", "\udcff", "a😀"])
def test_temp_stem_cuts_as_the_bytes_say(unit: str) -> None:
    from its_store.core.files import _TEMP_NAME_MAX, temp_stem
    for count in range(1, _TEMP_NAME_MAX + 2):
        name = unit * count
        assert temp_stem(name) == _cut_the_long_way(name), (unit, count)
