"""The local modification time kept in an object's metadata (x-amz-meta-mtime), as rclone keeps it.

rclone stores seconds since the epoch with nine fractional digits ("1700000000.123456789"); writing and
reading the same text lets rclone and its-store compare each other's uploads. The value is parsed by
splitting the string, never through a float: a float holds ~16 significant digits, and a 10-digit
second count leaves too few for nanoseconds, so a float round trip would make equal times differ.
"""

from __future__ import annotations

from its_store.core.units import is_uint

META_MTIME = "mtime"  # x-amz-meta-mtime
_NS = 1_000_000_000


def format_mtime(ns: int) -> str:
    """Nanoseconds since the epoch -> "SECONDS.NNNNNNNNN" (floor division: -0.1 s is "-1.900000000").

    Every file a sync lists goes through here (engine._decide compares the text with the stored one): a count
    of a second or more is its decimal digits with a point before the last nine, without divmod and a
    format spec (~40 % less); tests/test_sync_units.py holds it to the divmod form."""
    if type(ns) is int and ns >= _NS:
        text = str(ns)
        return f"{text[:-9]}.{text[-9:]}"
    seconds, frac = divmod(int(ns), _NS)
    return f"{seconds}.{frac:09d}"


def parse_mtime(text: str | None) -> int | None:
    """"SECONDS[.FRACTION]" -> nanoseconds since the epoch; None when absent or not such a number.

    Fractions shorter than nine digits are padded, longer ones truncated (rclone writes nine)."""
    if not text:
        return None
    head, _, frac = text.strip().partition(".")
    sign = -1 if head.startswith("-") else 1
    digits = head[1:] if head[:1] in "+-" else head
    if not is_uint(digits, 12) or (frac and not is_uint(frac, 64)):  # "²".isdigit() is true, int() refuses it
        return None
    seconds = sign * int(digits)
    return seconds * _NS + int((frac + "000000000")[:9])
