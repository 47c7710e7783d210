"""SIGTERM and SIGHUP while a command runs: raised as core/errors.Terminated (a KeyboardInterrupt), so that
every path cleans up as after Ctrl-C, and only recorded once the command's end is being written.

ItsGroup.main (cli/app.py) calls stop_on_signals() before the command, ending() as soon as its outcome is
being written (its error line, the service closed, output flushed), then restore_signals() and
take_stops(): a signal that came while the end was written makes the exit code 128 + its number, after
the end is written whole.
"""

from typing import Any

from its_store.core import errors as E

# not empty once the command's outcome is being written (its error line, the service closed, output flushed):
# a SIGTERM/SIGHUP then only adds its number, and main exits 128 + it after the end is written whole (a
# Terminated raised inside that write would escape every handler: a traceback, the handlers never put back)
_STOPPED: list[int] = []


def stop_on_signals() -> dict[int, Any]:
    """SIGTERM and SIGHUP raise core/errors.Terminated (a KeyboardInterrupt: every path cleans up as after
    Ctrl-C) for every command, where they still have their default action and this is the main thread: a
    single `get` died where it stood (no line, its temp file left), a single upload left its multipart
    upload behind. The handlers replaced, to put back when the command ends (an in-process caller keeps its
    own signal handling)."""
    import signal
    import threading
    if threading.current_thread() is not threading.main_thread():
        return {}
    previous: dict[int, Any] = {}
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) is signal.SIG_DFL:
            previous[sig] = signal.signal(sig, _terminated)
    return previous


def _terminated(signum: int, _frame: Any) -> None:
    if _STOPPED:
        _STOPPED.append(signum)
        return
    raise E.Terminated(signum)


def ending() -> None:
    """The command's end is being written: from here a SIGTERM/SIGHUP is only recorded (take_stops)."""
    _STOPPED.append(0)


def restore_signals(previous: dict[int, Any]) -> None:
    """Put back the handlers stop_on_signals() replaced."""
    import signal
    for sig, handler in previous.items():
        signal.signal(sig, handler)


def take_stops() -> list[int]:
    """The signals recorded while the end was written (in order), forgetting them and the ending."""
    stopped = [sig for sig in _STOPPED if sig]
    _STOPPED.clear()
    return stopped
