"""The two stream shapes the library takes: what an upload reads from and what a download writes into.

Protocols (matched by shape, never by class): a file opened "rb"/"wb", io.BytesIO, sys.stdin.buffer,
a pipe, or an object of the caller's with just read() or write() all fit, as they did when these
parameters were typed IO[bytes] but only read() or write() was ever called on them.
"""

from __future__ import annotations

from typing import Protocol


class BinaryReader(Protocol):
    """Something to read bytes from: read(n) gives up to n bytes, b"" at the end."""

    def read(self, size: int = -1, /) -> bytes: ...


class BinaryWriter(Protocol):
    """Something to write bytes into, in order; what write() returns is not used."""

    def write(self, data: bytes, /) -> object: ...
