"""The root `its-store` app: global options, command registration, and the ONE place where errors
become exit codes and one-line messages (ItsGroup.main), for the console script and CliRunner alike.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from functools import partial
from typing import Annotated, Any

import typer

from its_store._version import __version__
from its_store.cli import output as out
from its_store.cli.base import ItsGroupBase
from its_store.cli.completion import fast, shells
from its_store.core import errors as E

EPILOG = "Example: its-store upload frame.jpg s3://its-video/camera_001/ --type video_frame"


class ItsGroup(ItsGroupBase):
    """Runs the command in non-standalone mode and maps every failure to (message, exit code)."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, windows_expand_args: bool = True, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        out.reset(argv)
        run = partial(super().main, args=argv, prog_name=prog_name, complete_var=complete_var,
                      standalone_mode=False, windows_expand_args=windows_expand_args, **extra)
        try:
            rv = _run_completing(self, run, prog_name, complete_var)
            code = rv if isinstance(rv, int) else 0
        except BaseException as exc:  # noqa: BLE001 - this is the single mapping point
            code = _handle(exc)
        finally:
            _close_service()
            _flush()
        if standalone_mode:
            sys.exit(code)
        return code


def _run_completing(group: ItsGroup, run: Any, prog_name: str | None, complete_var: str | None) -> Any:
    """run(), with our bash script and bash requests in Typer's completion (see completion/shells.py)."""
    for param in group.params:
        if param.name in shells.COMPLETION_OPTIONS and param.callback is not None \
                and not isinstance(param.callback, partial):
            param.callback = partial(shells.show_or_install, typer_callback=param.callback)
    if complete_var is None:
        complete_var = fast.complete_var(prog_name)
    if os.environ.get(complete_var) not in ("source_bash", "complete_bash"):
        return run()
    return shells.bash(run, prog_name or fast.program_name(), complete_var)


def _handle(exc: BaseException) -> int:
    """Render an exception as one line (or a JSON error) and return its exit code."""
    if isinstance(exc, E.ItsStoreError):
        out.error(exc.code, exc.message, exc.hint)
        return exc.exit_code
    if isinstance(exc, typer.Exit) and not isinstance(exc.__cause__, KeyboardInterrupt):
        return exc.exit_code
    if isinstance(exc, (KeyboardInterrupt, typer.Exit)):  # Typer turns Ctrl-C into Exit(130)
        out.error("interrupted", "interrupted")
        return E.EXIT_INTERRUPTED
    if isinstance(exc, typer.Abort):
        out.error("aborted", "aborted")
        return E.EXIT_ERROR
    if isinstance(exc, BrokenPipeError):
        return E.EXIT_ERROR
    if isinstance(exc, OSError) and not _network(exc):
        local = _local_failure(exc)
        out.error(local.code, local.message, local.hint)
        return local.exit_code
    if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):  # click usage errors
        out.error("usage_error", _usage_line(exc), "see `its-store COMMAND --help`")
        return E.EXIT_USAGE
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
    if isinstance(exc, SystemExit):
        return exc.code if isinstance(exc.code, int) else E.EXIT_ERROR
    if out.STATE.debug:
        import traceback
        traceback.print_exception(exc)
    out.error("internal_error", f"unexpected {type(exc).__name__}: {exc}",
              "run with --debug for a traceback and report it")
    return E.EXIT_ERROR


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


def _usage_line(exc: Any) -> str:
    message = exc.format_message().replace("\n", " ").strip()
    ctx = getattr(exc, "ctx", None)
    path = ctx.command_path if ctx is not None else "its-store"
    return f"{path}: {message}"


def _close_service() -> None:
    """Persist this invocation's stats and close its cache (StorageService.close never raises)."""
    svc = out.STATE.open_service
    if svc is not None and hasattr(svc, "close"):
        svc.close()


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError, OSError):
            pass


def _new_app() -> typer.Typer:
    """The root app with its global options and no commands yet."""
    new = typer.Typer(
        cls=ItsGroup, name="its-store", no_args_is_help=True, add_completion=True,
        pretty_exceptions_enable=False, rich_markup_mode="rich",
        help="Object storage for ITS camera frames and ML models, on MinIO or any S3-compatible server.",
        epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]},
    )
    new.callback()(root)
    return new


def _version(value: bool) -> None:
    if value:
        out.lines([f"its-store {__version__}"])
        raise typer.Exit(0)


def root(
    json_: Annotated[bool, out.JsonOption] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No talk on stderr; errors only.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="More detail on stderr.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Tracebacks for unexpected errors.")] = False,
    endpoint: Annotated[str | None, typer.Option(help="S3 endpoint host:port (beats MINIO_ENDPOINT).")] = None,
    region: Annotated[str | None, typer.Option(help="Region (beats MINIO_REGION).")] = None,
    secure: Annotated[bool | None, typer.Option("--secure/--insecure",
                                                help="HTTPS or plain HTTP (beats MINIO_SECURE).")] = None,
    retries: Annotated[int | None, typer.Option(help="Retries per request (beats MINIO_MAX_RETRIES).",
                                                min=0, max=20)] = None,
    no_verify_tls: Annotated[bool, typer.Option(
        "--no-verify-tls", help="Skip TLS certificate checks (unsafe; prints a warning).")] = False,
    env_file: Annotated[str | None, typer.Option(help="Read settings from this .env file.")] = None,
    bwlimit: Annotated[str | None, typer.Option(
        help="Bandwidth limit, bytes/s: RATE, UP:DOWN or a timetable (10M, 512k:4M, \"08:00,1M 19:00,off\"; "
             "beats MINIO_BWLIMIT).")] = None,
    version: Annotated[bool, typer.Option("--version", "-V", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Object storage for ITS camera frames and ML models, on MinIO or any S3-compatible server.

    Configuration comes from MINIO_* variables, a .env file and these flags (flags win).
    Secrets are read from the environment or files only, never from the command line.
    """
    state = out.STATE
    state.quiet, state.verbose, state.debug = quiet, verbose, debug
    from its_store.cli import logs
    logs.configure(verbose, debug)  # and the cache/stats/audit warnings: one stderr line each
    state.env_file = env_file
    if bwlimit is not None:  # a bad form is InvalidInputError here (exit 2); from the environment, exit 78
        from its_store.core.bwlimit import parse_bwlimit
        bwlimit = str(parse_bwlimit(bwlimit))
    state.overrides = {"endpoint": endpoint, "region": region, "secure": secure, "max_retries": retries,
                       "verify_tls": False if no_verify_tls else None, "bwlimit": bwlimit}


# Command modules under its_store/cli/commands/, each with register(app), which adds its commands to the
# app (lifecycle and encryption add theirs to bucket's group). Add a module here to add commands.
COMMAND_MODULES = ("objects", "admin", "bucket", "lifecycle", "tags", "versions", "model", "cache", "audit",
                   "encryption", "sync", "transfer", "retention", "policy", "verify", "model_admin", "remote")


# The modules that register each top-level command and its subcommands, in COMMAND_MODULES order
# (tests/test_startup.py checks this against what the modules really register).
COMMAND_INDEX: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("upload", "get", "ls", "rm", "stat", "presign"), ("objects",)),
    **dict.fromkeys(("health", "config", "init"), ("admin",)),
    "stats": ("cache",), "cache": ("cache",), "restore": ("versions",), "tag": ("tags",),
    "model": ("model", "model_admin"), "audit": ("audit",),
    "bucket": ("bucket", "lifecycle", "encryption", "retention", "policy"),
    "sync": ("sync",), **dict.fromkeys(("cp", "mv", "du"), ("transfer",)),
    **dict.fromkeys(("retention", "legal-hold"), ("retention",)), "verify": ("verify",),
    "remote": ("remote",),
}
_VALUE_OPTIONS = {"--endpoint", "--region", "--retries", "--env-file"}  # global options taking a value
_FULL: list[typer.Typer] = []


def _register(target: typer.Typer, modules: tuple[str, ...] = COMMAND_MODULES) -> typer.Typer:
    from importlib import import_module
    for name in modules:
        import_module(f"{__package__}.commands.{name}").register(target)
    return target


def full_app() -> typer.Typer:
    """The app with every command (built once per process)."""
    if not _FULL:
        _FULL.append(_register(_new_app()))
    return _FULL[0]


def __getattr__(name: str) -> Any:  # `from its_store.cli.app import app`: the full app, built on first use
    if name == "app":
        return full_app()
    raise AttributeError(name)


def app_for(argv: list[str]) -> typer.Typer:
    """The app to run `argv` with: only the module of the command named, when there is one (Typer
    builds a click command for every registered function on each run: ~35 ms for all of them); the
    full app for top-level help, completion, unknown commands and anything unusual."""
    if _FULL:
        return _FULL[0]
    words = iter(argv)
    for word in words:
        if word in _VALUE_OPTIONS:
            next(words, None)
        elif not word.startswith("-"):
            modules = COMMAND_INDEX.get(word)
            return _register(_new_app(), modules) if modules else full_app()
        elif word in ("-h", "--help"):
            break
    return full_app()


def run() -> None:
    """Console-script entry point."""
    app_for(sys.argv[1:])()
