"""Every byte a local name can hold that is not UTF-8 shows as that byte (core/refs.printable, _escape_char).

Python holds such a byte as U+DC80..U+DCFF (os.fsdecode's surrogateescape); tests/test_byte_names_shown.py shows
a few of them as \\xHH. Here the whole range, its two ends included, each read back to the byte it names, and
the lone surrogates just outside it (no byte of a name) keep their \\uHHHH form.
"""

from __future__ import annotations

import os

from its_store.core.refs import printable


def test_each_non_utf8_byte_shows_as_itself() -> None:
    for byte in range(0x80, 0x100):
        shown = printable(os.fsdecode(b"f" + bytes([byte])))
        assert shown == f"f\\x{byte:02x}", (byte, shown)


def test_surrogates_that_name_no_byte_keep_their_code_point() -> None:
    assert printable("f\udc7f") == "f\\udc7f"
    assert printable("f\udd00") == "f\\udd00"
