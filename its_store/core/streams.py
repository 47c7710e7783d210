"""The two stream shapes the library takes: what an upload reads from and what a download writes into.

Protocols (matched by shape, never by class): a file opened "rb"/"wb", io.BytesIO, sys.stdin.buffer,
a pipe, or an object of the caller's with just read() or write() all fit, as they did when these
parameters were typed IO[bytes] but only read() or write() was ever called on them.
"""

from __future__ import annotations

import errno
from typing import Protocol


class BinaryReader(Protocol):
    """Something to read bytes from: read(n) gives up to n bytes, b"" at the end."""

    def read(self, size: int = -1, /) -> bytes: ...


class BinaryWriter(Protocol):
    """Something to write bytes into, in order; what write() returns is not used."""

    def write(self, data: bytes, /) -> object: ...


class WholeWriter:
    """A BinaryWriter whose write() puts ALL of `data` into `out`: a file object's write() may take only part of
    it and say so in its return value. CPython's sys.stdout.buffer does on a pipe: a 1 MiB write whose reader
    left after 64 KiB returns 65536 and raises nothing, so a download to stdout "succeeded" with the rest of
    the object dropped (exit 0 under `| head`; with a live reader interrupted by a signal, a hole in the
    middle of the stream). The rest is written again until it is all out or the stream raises (the closed
    pipe's BrokenPipeError then). A write() returning something other than a count (None: a caller's object,
    see BinaryWriter) is taken as having written everything."""

    def __init__(self, out: BinaryWriter) -> None:
        self.out = out
        self.name = getattr(out, "name", None)  # core/files.writing_to names the stream in its errors

    def write(self, data: bytes, /) -> int:
        total = len(data)
        took = self.out.write(data)  # the usual case: one call, `data` as it came
        while isinstance(took, int) and took < len(data):
            if took <= 0:  # a blocking stream that takes nothing would loop forever
                raise OSError(errno.EIO, "the output took no bytes")
            data = data[took:]  # only after a short write: the rest, written again
            took = self.out.write(data)
        return total
