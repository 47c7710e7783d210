"""Byte ranges of `get --range`: the three forms of an HTTP Range header, inclusive like HTTP.

`START-END` (bytes START..END, both included), `START-` (from START to the end), `-SUFFIX` (the last
SUFFIX bytes). Parsing needs no object; resolving against the object's size (HEAD) follows RFC 9110:
an END past the last byte is clipped, a START at or past the end is unsatisfiable (HTTP 416), a SUFFIX
longer than the object means the whole object.
"""

from __future__ import annotations

from its_store.core import errors as E
from its_store.core.units import is_uint, shown

HINT = ("use START-END (inclusive, like HTTP), START- or -SUFFIX, in bytes: --range 0-1023, "
        "--range 1048576-, --range -500")


def parse_range(text: str) -> tuple[int, int | None]:
    """'START-END' / 'START-' / '-SUFFIX' -> (offset, length): offset < 0 counts from the end, length None
    means to the end. Bad syntax is an InvalidInputError (exit 2); a number is ASCII digits (units.is_uint),
    blanks around the whole value are dropped."""
    head, sep, tail = text.strip().partition("-")
    if not sep or (head and not is_uint(head)) or (tail and not is_uint(tail)) or not (head or tail):
        raise E.InvalidInputError(f"--range {shown(text)} is not a byte range", hint=HINT)
    if not head:
        suffix = int(tail)
        if suffix == 0:
            raise E.InvalidInputError(f"--range {shown(text)} asks for the last 0 bytes", hint=HINT)
        return -suffix, None
    start = int(head)
    if not tail:
        return start, None
    end = int(tail)
    if end < start:
        raise E.InvalidInputError(f"--range {shown(text)} ends before it starts", hint=HINT)
    return start, end - start + 1


def resolve_range(offset: int, length: int | None, size: int, where: str) -> tuple[int, int]:
    """(first byte, byte count) of a range within an object of `size` bytes."""
    if offset < 0:
        start = max(size + offset, 0)
        if size == 0:
            raise _unsatisfiable(offset, length, size, where)
        return start, size - start
    if offset >= size:
        raise _unsatisfiable(offset, length, size, where)
    count = size - offset if length is None else min(length, size - offset)
    return offset, count


def describe(offset: int, length: int | None) -> str:
    """The range as the user wrote it."""
    if offset < 0:
        return f"-{-offset}"
    return f"{offset}-" if length is None else f"{offset}-{offset + length - 1}"


def _unsatisfiable(offset: int, length: int | None, size: int, where: str) -> E.ItsStoreError:
    return E.RangeNotSatisfiableError(
        f"range {describe(offset, length)} is outside {where} ({size} bytes)",
        hint=f"the last byte is {size - 1}" if size else "the object is empty")
