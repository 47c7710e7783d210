"""The its-store process ends without the interpreter's teardown, once everything that must run has run.

After a command, CPython's finalization deallocates every module, class and schema the start-up built:
~120M instructions (~8 % of an `ls`, 25-50 ms of CPU) spent freeing memory the kernel takes back at once
anyway. Only the process that the console script or `python -m its_store` starts skips it, and only after all
of the finalization that has an effect:
- non-daemon threads: joined by the interpreter before any exit handler runs (threading._shutdown);
- exit handlers (atexit: logging.shutdown, weakref.finalize's, whatever a library registered): this module's
  handler is registered FIRST, so it runs LAST (atexit is last in, first out). If any handler was registered
  before it (a coverage or profiling tool started by site), it is not registered at all: nothing is skipped;
- buffered output: sys.stdout and sys.stderr flushed; if a flush fails (a closed pipe, a full disk) the
  normal teardown runs and reports it as it always did.
The exit status is the one the command ended with (`finished`); a process that ended another way (an
exception's traceback, a caller that caught the SystemExit and went on) is left to the normal teardown. A
caller that went on is seen by its frames: cli() hands `finished` its caller's frame, and every frame from
there to the top must still stand on the instruction it was at when the command ended (an exception passing
through a frame runs none of its code; catching it, a `finally`, anything after it does). The console script
(`sys.exit(cli())`) and runpy's frames run nothing more; a program that catches the SystemExit and then
exits with its own status, crashes, or leaves a file open for the teardown to flush, keeps all of that.
Files a command left open unflushed would lose their buffer: the code closes what it writes (`python -X dev`
shows no unclosed file on the transfer commands). tests/test_teardown.py checks the status, the handlers and
the output; the suite's tests that run real its-store processes read the stats and audit lines they wrote.
"""

from __future__ import annotations

import atexit
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from types import FrameType

__all__ = ["end_without_teardown", "finished"]

_UNSET = object()
_status: object = _UNSET  # the command's exit status, once it ended by returning or by SystemExit
_watched: list[tuple[FrameType, int]] = []  # the caller's frames and where each stood when the command ended


def end_without_teardown() -> bool:
    """Arrange, at the start of the process, to skip the interpreter's teardown at exit (see the module's
    docstring). False (nothing arranged) when another exit handler is already registered."""
    if _handlers_registered() != 0:
        return False
    atexit.register(_exit_now)
    return True


def finished(code: object, caller: FrameType | None = None) -> None:
    """The command ended with exit status `code` (SystemExit's code: None, an int, or a message). `caller`:
    the frame of whoever called the entry (cli()); if it or any frame above it runs on, the process is no
    longer the command's and ends with the normal teardown."""
    global _status
    _status = code
    _watched.clear()
    while caller is not None:
        _watched.append((caller, caller.f_lasti))
        caller = caller.f_back


def _handlers_registered() -> int:
    """How many exit handlers are registered. atexit has no public count: `_ncallbacks` is CPython's (3.x);
    tests/test_teardown.py fails loudly when an upgrade removes or changes it."""
    return int(atexit._ncallbacks())


def _exit_now() -> None:
    code = _status
    if code is None:
        code = 0
    if not isinstance(code, int) or isinstance(code, bool):
        return  # a message to print, or no status: the normal teardown does it
    if any(frame.f_lasti != stood for frame, stood in _watched):
        return  # the caller went on after the command: its own status, its own teardown
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):  # (AttributeError: a stream that is None, closed at start)
        return  # the normal teardown reports a failed flush as it always did
    os._exit(code)
