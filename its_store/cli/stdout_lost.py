"""When stdout itself is what failed (`> /dev/full`: ENOSPC on every write, a closed pipe), the error
cannot be said there: the `--json` error document written to the failed stdout failed again (a traceback
instead of the error line), and the bytes still buffered failed once more at exit ("Exception ignored").

Both callers here (cli/output.error's JSON document, `--version`'s fast path in __main__) do what the rest
of the CLI does with a broken stdout: stdout is pointed at /dev/null (as cli/completion/complete.py does
for a closed pipe, so the buffer's flush at exit succeeds), any failure but a closed pipe is one
`its-store: error:` line on stderr.

A closed pipe (the reader went away: `| head -1`) has ONE rule for every command, applied by cli/app (its
exception mapping and its last flush, through `reader_gone`) and by `printed` here: the command stops, says
nothing, and exits 141 (core/errors.EXIT_PIPE: 128 + SIGPIPE, what a shell shows for GNU tools, rclone and mc
in the same place), unless it had already failed with its own exit code. Output that was all written before
the reader left ends normally (0), as with those tools: nothing tells a writer that its reader left later.
Only os and sys at import: `--version` is answered before anything heavy is imported.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, BinaryIO


class ReaderGone(Exception):
    """The reader of stdout went away (cli/app.ItsGroup.invoke): not an OSError, so that click's main() passes it
    to the one error mapping (cli/failures.handle: exit 141) instead of exiting 1 itself."""


def lose_stdout() -> None:
    """Point file descriptor 1 at /dev/null: whatever is still buffered for stdout goes nowhere, quietly."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no stdout at all (closed, replaced): nothing to flush
        pass


def written(write: Callable[[], None]) -> bool:
    """Run `write` (a write and flush to stdout). True when it was written, or when the reader of a pipe is
    gone (nothing to say to anyone); False when stdout failed otherwise: the caller says the error on
    stderr instead."""
    failed = _attempt(write)
    return failed is None or isinstance(failed, BrokenPipeError)


def printed(text: str) -> int:
    """Write `text` to stdout and flush it: 0; 141 for a closed pipe (nothing said: the module's rule); 1 after
    saying why on stderr."""
    def write() -> None:
        sys.stdout.write(text)
        sys.stdout.flush()
    failed = _attempt(write)
    if failed is None:
        return 0
    if isinstance(failed, BrokenPipeError):
        from its_store.core.errors import EXIT_PIPE  # only on this path: --version stays light
        return EXIT_PIPE
    reason = failed.strerror or str(failed)
    sys.stderr.write(f"its-store: error: cannot write <stdout>: {reason[:1].lower()}{reason[1:]}\n")
    return 1


def reader_gone(exc: BaseException | None = None) -> bool:
    """Whether stdout's reader went away: `exc` (when given) is a BrokenPipeError, and descriptor 1 is a pipe or
    socket without a reader (poll: POLLERR or POLLHUP), so a BrokenPipeError of a server's socket is not taken
    for one. Call before lose_stdout: /dev/null has a reader."""
    if exc is not None and not isinstance(exc, BrokenPipeError):
        return False
    import select
    try:
        poller = select.poll()
        poller.register(1, select.POLLOUT)
        events = poller.poll(0)
    except (OSError, ValueError):
        return False
    return any(mask & (select.POLLERR | select.POLLHUP) for _, mask in events)


def _attempt(write: Callable[[], None]) -> OSError | None:
    """Run `write`; what stdout raised (stdout then lost: lose_stdout), or None."""
    try:
        write()
        return None
    except OSError as exc:
        lose_stdout()
        return exc


def open_closed_streams() -> None:
    """stdout or stderr closed when the process started (`>&-`, `2>&-`: cron lines, daemons): Python made
    sys.stdout / sys.stderr None, and every command failed at its end writing or flushing them (a
    traceback, exit 1, also after an upload that succeeded). A closed one is thrown away as /dev/null
    would be: its descriptor is taken by /dev/null (no file its-store opens gets the number, no child
    inherits it closed) and the stream writes there. stdin is left as it is: a closed stdin read as an
    empty /dev/null would upload an empty object for `upload -`: sys.stdin stays None (`stdin_bytes` says
    so when a command reads it), only its descriptor is taken by /dev/null, so that no file gets number 0."""
    if sys.stdin is None:
        _hold_closed(0, os.O_RDONLY)
    for fd, name in ((1, "stdout"), (2, "stderr")):
        if getattr(sys, name) is not None:
            continue
        try:  # the stream on its own descriptor, now /dev/null; on another /dev/null if a file took the number
            target = fd if _hold_closed(fd, os.O_WRONLY) else os.open(os.devnull, os.O_WRONLY)
            setattr(sys, name, open(target, "w", encoding="utf-8", errors="backslashreplace", closefd=target != fd))
        except OSError:  # no /dev/null (a bare chroot): as before
            pass


def _hold_closed(fd: int, flags: int) -> bool:
    """Give a closed descriptor to /dev/null (opened with `flags`), so that the next file opened does not
    take its number: True when `fd` is /dev/null now; False when it was open after all (some file took the
    number meanwhile: left alone) or there is no /dev/null."""
    try:
        os.fstat(fd)
        return False
    except OSError:
        pass
    try:
        null = os.open(os.devnull, flags)
    except OSError:
        return False
    if null != fd:
        os.dup2(null, fd)
        os.close(null)
    return True


def stdin_bytes() -> BinaryIO:
    """Standard input as bytes, for a command told to read it (`upload -`, `--secret-key-stdin`);
    InvalidInputError (exit 2, one line) when the process was started with it closed (`<&-`)."""
    from its_store.core.errors import InvalidInputError
    if sys.stdin is None:
        raise InvalidInputError("cannot read <stdin>: it is closed", hint="give a FILE, or pipe the data in")
    return sys.stdin.buffer


def stdin_is_terminal() -> bool:
    """Whether a person may be asked on standard input (False when it is closed)."""
    return sys.stdin is not None and sys.stdin.isatty()


def wait_when_full() -> None:
    """stdout or stderr in non-blocking mode (O_NONBLOCK belongs to the pipe's open file description, shared
    by every process of a pipeline: node's child_process, supervisors and earlier commands leave it set): a
    write takes what fits and then fails with EAGAIN. Python's streams then lost the rest silently
    (PYTHONUNBUFFERED=1: `ls -r --json` exited 0 with 59 KB of a 230 KB listing) or failed the command
    (exit 1, 120 with a traceback). Such a stream is rebuilt over a descriptor writer that waits until the
    pipe can take more, as a blocking one would; the flag itself is left alone (other processes share it).
    The old stream objects are kept (their collection would close the descriptor).

    stdin has the same shape on the reading side: a read of an empty non-blocking pipe returns None
    (EAGAIN), which every reader took for the end of the data (`upload -` stored the first bytes, exit 0,
    with an its-sha256 of the cut object). It is rebuilt over a descriptor reader that waits until bytes or
    the end arrive (core/streams.wait_readable), so every reader of stdin (`upload -`,
    `--secret-key-stdin`, any later one) reads it as a blocking pipe."""
    import io
    _wait_for_input()
    for fd, name in ((1, "stdout"), (2, "stderr")):
        old = getattr(sys, name)
        try:
            if old is None or old.fileno() != fd or os.get_blocking(fd):
                continue
        except (OSError, ValueError, AttributeError):
            continue
        _KEPT.append(old)
        stream = io.TextIOWrapper(io.BufferedWriter(_Patient(fd)), encoding=old.encoding, errors=old.errors,
                                  line_buffering=old.line_buffering or fd == 2,
                                  write_through=getattr(old, "write_through", False))
        setattr(sys, name, stream)


_KEPT: list[object] = []


def _wait_for_input() -> None:
    """Rebuild a non-blocking stdin over a reader that waits (wait_when_full says why)."""
    import io
    old = sys.stdin
    try:
        if old is None or old.fileno() != 0 or os.get_blocking(0):
            return
    except (OSError, ValueError, AttributeError):
        return
    _KEPT.append(old)
    sys.stdin = io.TextIOWrapper(io.BufferedReader(_patient_reader_class()(0)), encoding=old.encoding,
                                 errors=old.errors, line_buffering=bool(old.line_buffering))


def _patient_reader_class() -> type:
    import io

    from its_store.core.streams import wait_readable

    class PatientReader(io.RawIOBase):
        """A raw reader of a non-blocking descriptor that waits (poll) instead of answering None (EAGAIN)."""

        def __init__(self, fd: int) -> None:
            super().__init__()
            self._fd = fd

        def readable(self) -> bool:
            return True

        def fileno(self) -> int:
            return self._fd

        def isatty(self) -> bool:
            return os.isatty(self._fd)

        def readinto(self, buffer: Any) -> int:
            while True:
                try:
                    return os.readv(self._fd, [buffer])
                except BlockingIOError:
                    wait_readable(self._fd)

        def close(self) -> None:  # the descriptor stays open: it is the process's stdin
            super().close()

    return PatientReader


def _patient_class() -> type:
    import io

    from its_store.core.streams import wait_writable

    class Patient(io.RawIOBase):
        """A raw writer of a non-blocking descriptor that waits (poll) instead of failing with EAGAIN."""

        def __init__(self, fd: int) -> None:
            super().__init__()
            self._fd = fd

        def writable(self) -> bool:
            return True

        def fileno(self) -> int:
            return self._fd

        def isatty(self) -> bool:
            return os.isatty(self._fd)

        def write(self, data: object) -> int:
            view = memoryview(data)  # type: ignore[arg-type]
            while True:
                try:
                    return os.write(self._fd, view)
                except BlockingIOError:
                    wait_writable(self._fd)

        def close(self) -> None:  # the descriptor stays open: it is the process's stdout or stderr
            self.flush()
            super().close()

    return Patient


def _Patient(fd: int) -> Any:  # the class is built on first use (io and select only then)
    return _patient_class()(fd)
