"""The ONE place where an error becomes an exit code and a one-line message (or a JSON error): handle(),
called by the root group's main (cli/app.py) for whatever a command, or the close after it, raised.

Imported only when a command ends by an exception (an error, or typer.Exit from --version or an exit code) or
meets a closed stdout pipe: a command that ends normally never loads it.
"""

import os
import sys
from typing import Any

import typer

from its_store.cli import output as out
from its_store.cli.base import PROG, interrupted
from its_store.core import errors as E


def handle(exc: BaseException) -> int:
    """Render an exception as one line (or a JSON error) and return its exit code."""
    if isinstance(exc, E.ItsStoreError):
        out.error(exc.code, exc.message, exc.hint)
        return exc.exit_code
    if isinstance(exc, typer.Exit) and not isinstance(exc.__cause__, KeyboardInterrupt):
        return exc.exit_code
    if isinstance(exc, typer.Exit) and isinstance(exc.__cause__, KeyboardInterrupt):  # Typer's Ctrl-C: Exit(130)
        exc = exc.__cause__
    if isinstance(exc, KeyboardInterrupt):  # outside a command's invoke (ItsGroupBase maps it there)
        error = interrupted(exc)
        out.error(error.code, error.message, error.hint)
        return error.exit_code
    if isinstance(exc, typer.Abort):
        out.error("aborted", "aborted")
        return E.EXIT_ERROR
    code = _machine_failure(exc)
    if code is None and hasattr(exc, "format_message") and hasattr(exc, "exit_code"):  # click usage errors
        code = _usage_error(exc)
    if code is None:
        code = _invalid_data(exc)
    if code is not None:
        return code
    if isinstance(exc, SystemExit):
        return exc.code if isinstance(exc.code, int) else E.EXIT_ERROR
    if out.STATE.debug:
        import traceback
        traceback.print_exception(exc)
    out.error("internal_error", f"unexpected {type(exc).__name__}: {exc}",
              "run with --debug for a traceback and report it")
    return E.EXIT_ERROR


def _machine_failure(exc: BaseException) -> int | None:
    """Not a bug but the machine's: stdout's reader gone (exit 141, nothing said), out of memory, a local
    file that could not be read or written (its path and the OS's reason). None for any other exception."""
    # What happened last decides: a closed pipe raised while a MemoryError was handled is the closed pipe, a
    # MemoryError raised while a closed pipe was handled is out of memory (out_of_memory follows __context__)
    if type(exc).__name__ == "ReaderGone" or (isinstance(exc, BrokenPipeError) and pipe_closed(exc)):
        return E.EXIT_PIPE  # the reader of stdout went away: nothing to say (ItsGroup.invoke, pipe_closed)
    if E.out_of_memory(exc):  # not a bug: the process's memory limit (also under a MemoryError's side effects)
        out.error("out_of_memory", f"out of memory: {type(exc).__name__} {exc}".rstrip(),
                  "raise the memory limit (ulimit -v, LimitAS=/MemoryMax= of a service, a container's), or use "
                  "fewer --workers")
        return E.EXIT_ERROR
    if isinstance(exc, OSError) and not _network(exc):
        local = _local_failure(exc)
        out.error(local.code, local.message, local.hint)
        return local.exit_code
    return None


def _usage_error(exc: Any) -> int:
    """click's usage error: one line naming the command, exit 2; a group named with nothing after it
    (no_args_is_help) prints its help, as it is."""
    if _is_help(exc):  # a group named with nothing after it (no_args_is_help): its help, as it is
        out.block(exc.format_message())
        return E.EXIT_USAGE
    out.error("usage_error", _usage_line(exc), "see `its-store COMMAND --help`")
    return E.EXIT_USAGE


def _invalid_data(exc: BaseException) -> int | None:
    """pydantic's ValidationError: data READ that does not fit its model; None for any other exception."""
    pydantic = sys.modules.get("pydantic")
    if pydantic is not None and isinstance(exc, pydantic.ValidationError):
        # Requests raise InvalidInputError themselves (core/models.RequestModel): a raw ValidationError is a
        # result model refusing what was READ (a server's answer, a state file), never the user's input.
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        out.error("invalid_data", f"data read for {exc.title} does not fit it: {where}: {first.get('msg')}",
                  "a server's answer or a local state file holds what its-store did not expect; run with --debug "
                  "and report it")
        return E.EXIT_ERROR
    return None


def _local_failure(exc: OSError) -> E.ItsStoreError:
    """The last net under the code that reads and writes local files: an OSError none of it turned into
    its own error is still one line naming the path and the OS's reason (`PATH: is a directory`, exit
    1), as core/files.io_error says it, not "unexpected". Whether it was a read or a write is not known
    here, so no verb is guessed."""
    from its_store.core.files import reason_of
    where = [os.fsdecode(name) for name in (exc.filename, exc.filename2) if name is not None]
    message = f"{' -> '.join(where)}: {reason_of(exc)}" if where else f"local I/O error: {reason_of(exc)}"
    return E.LocalIOError(message)


def _network(exc: OSError) -> bool:
    """An OSError of a connection (reset, timeout, name lookup, TLS): the s3 seam's to map, never a local
    file's; if one gets here, it is a bug to report, so it stays "unexpected"."""
    return isinstance(exc, (ConnectionError, TimeoutError)) or type(exc).__module__ in ("socket", "ssl")


def _is_help(exc: Any) -> bool:
    """Whether click's usage error is its no-args-is-help, whose message is the help of its context."""
    ctx = getattr(exc, "ctx", None)
    return ctx is not None and exc.format_message() == ctx.get_help()


def _usage_line(exc: Any) -> str:
    message = exc.format_message().replace("\n", " ").strip()
    ctx = getattr(exc, "ctx", None)
    path = ctx.command_path if ctx is not None else PROG
    words = path.split(" ")[1:]  # the program's name is already the error line's prefix: said once
    return f"{' '.join(words)}: {message}" if words else message


def pipe_closed(exc: BaseException | None = None) -> bool:
    """The one rule for a closed pipe (cli/stdout_lost's docstring): the reader of stdout went away, so stdout
    is pointed at /dev/null (nothing left to fail at exit) and the caller exits 141 without a word. False for
    a BrokenPipeError that is not stdout's (a server's socket: "unexpected", as any such error here)."""
    from its_store.cli.stdout_lost import lose_stdout, reader_gone
    if not reader_gone(exc):
        return False
    lose_stdout()
    return True
