"""When stdout itself is what failed (`> /dev/full`: ENOSPC on every write, a closed pipe), the error
cannot be said there: the `--json` error document written to the failed stdout failed again (a traceback
instead of the error line), and the bytes still buffered failed once more at exit ("Exception ignored").

Both callers here (cli/output.error's JSON document, `--version`'s fast path in __main__) do what the rest
of the CLI does with a broken stdout: stdout is pointed at /dev/null (as cli/completion/complete.py does
for a closed pipe, so the buffer's flush at exit succeeds), a closed pipe is no error of ours (nothing
said, exit 1, as cli/app._handle), any other failure is one `its-store: error:` line on stderr. Only os
and sys: `--version` is answered before anything heavy is imported.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import BinaryIO


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
    try:
        write()
        return True
    except BrokenPipeError:
        lose_stdout()
        return True
    except OSError:
        lose_stdout()
        return False


def printed(text: str) -> int:
    """Write `text` to stdout and flush it: 0, or 1 after saying why on stderr (nothing for a closed pipe)."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
        return 0
    except BrokenPipeError:
        lose_stdout()
        return 1
    except OSError as exc:
        lose_stdout()
        reason = exc.strerror or str(exc)
        sys.stderr.write(f"its-store: error: cannot write <stdout>: {reason[:1].lower()}{reason[1:]}\n")
        return 1


def open_closed_streams() -> None:
    """stdout or stderr closed when the process started (`>&-`, `2>&-`: cron lines, daemons): Python made
    sys.stdout / sys.stderr None, and every command failed at its end writing or flushing them (a
    traceback, exit 1, also after an upload that succeeded). A closed one is thrown away as /dev/null
    would be: its descriptor is taken by /dev/null (no file its-store opens gets the number, no child
    inherits it closed) and the stream writes there. stdin is left as it is: a closed stdin read as an
    empty /dev/null would upload an empty object for `upload -`: sys.stdin stays None (`stdin_bytes` says
    so when a command reads it), only its descriptor is taken by /dev/null, so that no file gets number 0."""
    if sys.stdin is None:
        _hold_closed_descriptor(0)
    for fd, name in ((1, "stdout"), (2, "stderr")):
        if getattr(sys, name) is not None:
            continue
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            try:
                os.fstat(fd)
            except OSError:  # closed (not some file that took the number meanwhile): /dev/null takes it
                os.dup2(null, fd)
            setattr(sys, name, open(null, "w", encoding="utf-8", errors="backslashreplace"))
        except OSError:  # no /dev/null (a bare chroot): as before
            pass


def _hold_closed_descriptor(fd: int) -> None:
    """Give a closed descriptor to /dev/null, so that the next file opened does not take its number."""
    try:
        os.fstat(fd)
        return  # open after all (some file took the number meanwhile): left alone
    except OSError:
        pass
    try:
        null = os.open(os.devnull, os.O_RDONLY)
        if null != fd:
            os.dup2(null, fd)
            os.close(null)
    except OSError:  # no /dev/null (a bare chroot): as before
        pass


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
