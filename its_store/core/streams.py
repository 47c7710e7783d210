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
    pipe's BrokenPipeError then).

    A descriptor in non-blocking mode (O_NONBLOCK, set on a shared pipe by another process of the pipeline,
    by node's child_process...) takes what fits and then would block: an unbuffered stream (PYTHONUNBUFFERED=1,
    as most container images set) returns None, a buffered one raises BlockingIOError. Both are waited out
    (poll until writable) and the rest written, and what a buffered stream holds is flushed before write()
    returns: before, `get -` exited 0 with only the pipe's 64 KiB delivered, or 120 with a traceback. A write()
    of a caller's object without a descriptor returning None (see BinaryWriter) is taken as having written
    everything."""

    def __init__(self, out: BinaryWriter) -> None:
        self.out = out
        self.name = getattr(out, "name", None)  # core/files.writing_to names the stream in its errors
        self._fd = _nonblocking_fd(out)  # None: a blocking stream (the usual case) or no descriptor

    def write(self, data: bytes, /) -> int:
        total = len(data)
        took = self._write(data)  # the usual case: one call, `data` as it came
        while took < len(data):
            if took <= 0 and self._fd is None:  # a blocking stream that takes nothing would loop forever
                raise OSError(errno.EIO, "the output took no bytes")
            data = data[took:]  # only after a short write: the rest, written again
            took = self._write(data)
        if self._fd is not None:
            self._drain()
        return total

    def _write(self, data: bytes) -> int:
        """One write(): the bytes it took (all of them for a caller's writer that returns no count)."""
        try:
            took = self.out.write(data)
        except BlockingIOError as exc:  # a buffered stream over a non-blocking descriptor: part taken
            if self._fd is None:
                raise
            self._wait()
            return exc.characters_written
        if took is None:
            if self._fd is None:
                return len(data)
            self._wait()  # an unbuffered stream over a non-blocking descriptor: nothing taken
            return 0
        count: int = int(took)  # type: ignore[call-overload]  # a count, as file objects return
        return count

    def _drain(self) -> None:
        """Flush what a buffered stream holds, waiting whenever the descriptor is full."""
        flush = getattr(self.out, "flush", None)
        while flush is not None:
            try:
                flush()
                return
            except BlockingIOError:
                self._wait()

    def _wait(self) -> None:
        assert self._fd is not None
        wait_writable(self._fd)


def wait_writable(fd: int) -> None:
    """Until the non-blocking descriptor `fd` can take bytes again (or its reader left: the next write says);
    WholeWriter here and the CLI's rebuilt stdout/stderr (cli/stdout_lost.wait_when_full) wait this way."""
    import select
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    poller.poll()


def wait_readable(fd: int) -> None:
    """Until the non-blocking descriptor `fd` has bytes to read or its writer left (the next read says which):
    the CLI's rebuilt stdin (cli/stdout_lost.wait_when_full) waits this way instead of taking an empty pipe
    for the end of the data."""
    import select
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    poller.poll()


def _nonblocking_fd(out: object) -> int | None:
    """The descriptor of `out` when it is in non-blocking mode, else None."""
    import os
    try:
        fd = out.fileno()  # type: ignore[attr-defined]
        return None if os.get_blocking(fd) else fd
    except (AttributeError, OSError, ValueError, TypeError):
        return None
