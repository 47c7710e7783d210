"""The root `its-store` app: global options, the command table (COMMANDS), and ItsGroup.main, which hands
every failure to the ONE place where errors become exit codes and one-line messages (cli/failures.handle),
for the console script and CliRunner alike.

The root group is lazy, through click's public Group API: list_commands() reads COMMANDS, get_command()
imports the modules of the one command asked for (cli/commands/NAME.py register(app)). `its-store ls ...`
imports objects.py only; `--help` lists the commands from COMMANDS and imports none of them. Everything that
walks the tree (`typer.main.get_command(app)` with list_commands/get_command, or the group's `commands`
mapping) still sees every command, built on first use.

Help is click's plain help (rich_markup_mode=None): Typer's rich help imports rich's Markdown, Syntax and
Traceback (markdown_it, pygments: ~110 ms), most of a `--help`.
"""

import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from functools import partial
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from its_store._version import __version__
from its_store.cli import output as out
from its_store.cli.base import PROG, ItsCommand, ItsGroupBase
from its_store.cli.signals import ending, restore_signals, stop_on_signals, take_stops
from its_store.core import errors as E

EPILOG = "\b\nExample: its-store upload frame.jpg s3://its-video/camera_001/ --type video_frame"  # \\b: as written
COMPLETE_VAR = "_ITS_STORE_COMPLETE"  # click's and Typer's name for it; see cli/completion/
HELP_NAMES = ("-h", "--help")
CONTEXT: dict[str, Any] = {"help_option_names": list(HELP_NAMES), "max_content_width": 120}


class ItsGroup(ItsGroupBase):
    """The root group: lazy commands, and every failure mapped to (message, exit code) in main()."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = Commands()  # type: ignore[assignment]  # click's public mapping, filled on use

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        return command(cmd_name)

    def invoke(self, ctx: Any) -> Any:
        """Run the command; a closed stdout pipe leaves as ReaderGone (exit 141: cli/failures.pipe_closed), before
        click's main() can take the BrokenPipeError (it exits 1 and wraps sys.stdout)."""
        try:
            return super().invoke(ctx)
        except BrokenPipeError as exc:
            try:
                from its_store.cli.failures import pipe_closed
            except BaseException as failed:  # noqa: BLE001 - the rule cannot be loaded: one line, as _handle
                raise typer.Exit(_unmapped(failed)) from None  # (a Ctrl-C here went to Typer: 130, no word)
            if pipe_closed(exc):
                from its_store.cli.stdout_lost import ReaderGone
                raise ReaderGone from None
            raise

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The command list of `--help`, drawn by Typer from the short helps declared in COMMANDS."""
        listing = TyperGroup(name=self.name, commands=[ItsCommand(name, help=short)
                                                       for name, (_, short) in COMMANDS.items()])
        listing.format_commands(ctx, formatter)

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, windows_expand_args: bool = True, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        out.reset(argv)
        _audit_lost(0, at_start=True)  # lines an earlier command of this process lost are not this one's
        run = partial(super().main, args=argv, prog_name=prog_name or PROG, complete_var=complete_var,
                      standalone_mode=False, windows_expand_args=windows_expand_args, **extra)
        previous = stop_on_signals()  # SIGTERM / SIGHUP: cleaned up as after Ctrl-C, one line, 143 / 129
        try:
            try:
                instruction = os.environ.get(complete_var or COMPLETE_VAR)  # a completion protocol's request
                rv = _script_request(self, instruction) if instruction else _help_only(self, argv,
                                                                                       prog_name or PROG)
                if rv is None:
                    rv = run()
                code = rv if isinstance(rv, int) else 0
            except BaseException as exc:  # noqa: BLE001 - this is the single mapping point
                ending()  # first: from here a SIGTERM/SIGHUP is only recorded (cli/signals.py)
                code = _handle(exc)
            ending()
            code = _flush(_audit_lost(_close_service(code)))
        finally:
            restore_signals(previous)
            stopped = take_stops()
        if stopped:  # a stop while the end was written: the line (or output) whole, then its exit code
            code = 128 + stopped[0]
        if standalone_mode:
            sys.exit(code)
        return code


class Commands(Mapping[str, Any]):
    """The root group's `commands`: the names of COMMANDS, each built on first access (see command())."""

    def __getitem__(self, name: str) -> Any:
        found = command(name)
        if found is None:
            raise KeyError(name)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(COMMANDS)

    def __len__(self) -> int:
        return len(COMMANDS)


_HOLDER: list[typer.Typer] = []  # the app every command module registers into, once per process
_REGISTERED: list[str] = []      # the modules registered into it
_BUILT: dict[str, Any] = {}      # name -> its click command, built once


def command(name: str) -> Any:
    """The click command `name` (None when COMMANDS has no such name), built from its modules on first use.

    Each module registers once per process (its groups are module-level Typer instances) into one holder app;
    only the command asked for is built (Typer builds each registered function's parameters: objects.py's
    six commands cost ~30 ms, one ~5 ms), by typer.main.get_command on an app holding just its registration."""
    entry = COMMANDS.get(name)
    if entry is None:
        return None
    if name not in _BUILT:
        from importlib import import_module
        if not _HOLDER:
            _HOLDER.append(_plain_app())
        for module in (m for first in entry[0] for m in _registered_with(first)):
            if module not in _REGISTERED:
                import_module(f"{__package__}.commands.{module}").register(_HOLDER[0])
                _REGISTERED.append(module)
        one = _plain_app()
        one.registered_commands = [info for info in _HOLDER[0].registered_commands if _name_of(info) == name]
        one.registered_groups = [info for info in _HOLDER[0].registered_groups if info.name == name]
        _BUILT[name] = typer.main.get_command(one).commands.get(name)  # type: ignore[attr-defined]
    return _BUILT[name]


def _registered_with(module: str) -> list[str]:
    """The modules to register with `module`, in order: those of every COMMANDS entry naming it. Modules
    that add to another's group (retention, lifecycle... to `bucket`) then always register in the entry's
    order, so a group's subcommands come in one order whichever command a process built first."""
    order: list[str] = []
    for modules, _ in COMMANDS.values():
        if module in modules:
            order += [m for m in modules if m not in order]
    return order


def _plain_app() -> typer.Typer:
    """An app to register or build commands in: plain help, as the root's; a group even with one command."""
    new = typer.Typer(rich_markup_mode=None, add_completion=False, pretty_exceptions_enable=False)
    new.callback()(_holder_callback)
    return new


def _name_of(info: Any) -> str:
    """A registered command's name, as Typer derives it from the function when none is given."""
    return str(info.name or info.callback.__name__.lower().replace("_", "-"))


def _holder_callback() -> None:
    """The callback of the apps commands are registered and built in (never run: only their commands are)."""


def _help_only(group: ItsGroup, argv: list[str], prog_name: str) -> int | None:
    """Answer `its-store [GROUP...] [COMMAND] --help` (-h), and a group named with nothing after it (its
    no_args_is_help: the help, exit 2), as click would, without processing the root's options first: Typer
    coerces each of them through a pydantic TypeAdapter (~110 ms, most of an `ls --help`), and no global
    option can change a help. None: any other line, which click runs as usual (an option or argument before
    the -h, an unknown name)."""
    asked = bool(argv) and argv[-1] in HELP_NAMES
    path = argv[:-1] if asked else argv
    if any(word.startswith("-") for word in path):
        return None
    cmd: Any = group
    ctx = group.context_class(group, info_name=prog_name, **group.context_settings)
    for name in path:
        sub = cmd.get_command(ctx, name) if hasattr(cmd, "list_commands") else None
        if sub is None:
            return None
        cmd, ctx = sub, sub.context_class(sub, info_name=name, parent=ctx, **sub.context_settings)
    if not asked and not (hasattr(cmd, "list_commands") and getattr(cmd, "no_args_is_help", False)):
        return None
    out.block(cmd.get_help(ctx))
    return 0 if asked else E.EXIT_USAGE


def _script_request(group: ItsGroup, instruction: str) -> int | None:
    """`_ITS_STORE_COMPLETE=source_SHELL its-store` (click's way to print a completion script): ours, from
    cli/completion/scripts.py. `complete_SHELL` comes from a script Typer once installed: Typer answers it
    (through this group's list_commands/get_command, our callbacks giving the names), with its shells
    registered here since the app has no Typer completion options (add_completion=False)."""
    if instruction.startswith("complete_"):
        from typer.completion import completion_init
        completion_init()
    if not instruction.startswith("source_"):
        return None
    from its_store.cli.completion.scripts import SHELLS, script, tree
    shell = instruction.removeprefix("source_")
    if shell not in SHELLS:
        raise E.InvalidInputError(f"no completion script for {shell!r}", hint=f"one of: {', '.join(SHELLS)}")
    out.block(script(shell, tree(group)))
    return 0


def _handle(exc: BaseException) -> int:
    """cli/failures.handle(exc): that module is imported here, by a command that fails (one that ends normally
    never loads it). Its import can fail itself: out of memory at the process's limit (loading a module
    allocates), a second Ctrl-C, a broken install. Then one line says that, never a traceback
    (tests/test_error_mapping_unloadable.py)."""
    try:
        from its_store.cli.failures import handle
    except BaseException as failed:  # noqa: BLE001 - the mapping cannot be loaded: said without it
        return _unmapped(failed)
    return handle(exc)


def _unmapped(failed: BaseException) -> int:
    """The line and exit code of a failure to load cli/failures (`failed`), written straight to stderr with as
    little as can be allocated (no JSON document: that needs pydantic loaded): out of memory, exit 1; a
    Ctrl-C, interrupted, exit 130; else unexpected, exit 1."""
    if isinstance(failed, KeyboardInterrupt):
        line, code = b"its-store: error: interrupted\n", E.EXIT_INTERRUPTED
    elif E.out_of_memory(failed):
        line, code = b"its-store: error: out of memory (reporting the error needed more)\n", E.EXIT_ERROR
    else:
        try:
            from its_store.core.refs import printable  # loaded already (cli/output's safe)
            line = printable(f"its-store: error: unexpected {type(failed).__name__} loading the error report: "
                            f"{failed}").encode("utf-8", "replace") + b"\n"
        except BaseException:  # noqa: BLE001 - as plain as it gets
            line = b"its-store: error: unexpected failure loading the error report\n"
        code = E.EXIT_ERROR
    try:
        os.write(2, line)
    except OSError:
        pass
    return code


def _close_service(code: int) -> int:
    """Persist this invocation's stats and close its cache; the exit code after it. StorageService.close
    maps what it expects, but whatever else it raises (MemoryError in a state write, Ctrl-C) goes through
    the same mapping as the command's own errors: one line, never a traceback after the work was done. The
    command's own failure keeps its exit code."""
    svc = out.STATE.open_service
    if svc is None or not hasattr(svc, "close"):
        return code
    try:
        svc.close()
    except BaseException as exc:  # noqa: BLE001 - the single mapping point, for the close too
        failed = _handle(exc)
        return code or failed
    return code


def _audit_lost(code: int, *, at_start: bool = False) -> int:
    """The exit code once this command's audit lines are counted: 74 (E.EXIT_AUDIT_LOST) instead of 0 when
    any could not be written, including those still waiting in a buffer (written first: state/audit.flush_waiting;
    each loss is said on stderr, state/audit.py); a failure keeps its
    own code. The audit module is asked only when something imported it (--help, completion: never)."""
    if "its_store.state.audit" not in sys.modules:
        return code
    from its_store.state.audit import flush_waiting, take_lost
    if not at_start:
        flush_waiting()  # lines still waiting in a buffer: written (or counted lost) now, not at exit after the code
    return E.EXIT_AUDIT_LOST if take_lost() and code == 0 else code


def _flush(code: int) -> int:
    """Flush stdout and stderr; the exit code after it: E.EXIT_PIPE instead of 0 when stdout's reader had gone
    away (the last buffered output met a closed pipe: stopped, as any write; the rule of cli/failures.pipe_closed).
    That rule unloadable (out of memory, a Ctrl-C at its import) ends as _handle does, in _unmapped's one line
    and code, unless the command failed already (its line said); stdout is dropped (its bytes go nowhere)."""
    gone = False
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BrokenPipeError as exc:
            try:
                from its_store.cli.failures import pipe_closed
            except BaseException as failed:  # noqa: BLE001 - the rule cannot be loaded: one line, no traceback
                if stream is sys.stdout:
                    _drop_stdout()
                return _unmapped(failed) if code == 0 else code
            gone = gone or pipe_closed(exc)
        except (ValueError, OSError):
            pass
    return E.EXIT_PIPE if gone and code == 0 else code


def _drop_stdout() -> None:
    """Point file descriptor 1 at /dev/null (as cli/stdout_lost.lose_stdout, not loadable here): what is still
    buffered for a stdout whose reader has gone is not flushed into the closed pipe again at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    except OSError:
        pass


def _version(value: bool) -> None:
    if value:
        out.lines([f"its-store {__version__}"])
        raise typer.Exit(0)


def _show_completion(ctx: typer.Context, value: bool) -> None:
    """--show-completion: the completion script of the shell this runs in (`its-store completion show SHELL`
    names one)."""
    if value:
        from its_store.cli.completion.scripts import detect_shell, script, tree
        out.block(script(detect_shell(), tree(ctx.find_root().command)))
        raise typer.Exit(0)


def _install_completion(ctx: typer.Context, value: bool) -> None:
    """--install-completion: install the script of the shell this runs in (cli/completion/scripts.install)."""
    if value:
        from its_store.cli.completion.scripts import detect_shell, install, tree
        shell = detect_shell()
        out.lines([f"{shell} completion installed in {install(shell, tree(ctx.find_root().command))}",
                   "Completion will take effect once you restart the terminal"])
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
    install_completion: Annotated[bool, typer.Option(
        "--install-completion", callback=_install_completion, is_eager=True,
        help="Install completion for the current shell (bash, zsh or fish).")] = False,
    show_completion: Annotated[bool, typer.Option(
        "--show-completion", callback=_show_completion, is_eager=True,
        help="Show completion for the current shell, to copy it or customize the installation.")] = False,
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
    state.overrides = _overrides(endpoint, region, secure, retries, no_verify_tls, bwlimit)


def _overrides(endpoint: str | None, region: str | None, secure: bool | None, retries: int | None,
               no_verify_tls: bool, bwlimit: str | None) -> dict[str, Any]:
    """The settings the global flags give (None: not given, the environment's or the default holds)."""
    if bwlimit is not None:  # a bad form is InvalidInputError here (exit 2); from the environment, exit 78
        from its_store.core.bwlimit import parse_bwlimit
        bwlimit = str(parse_bwlimit(bwlimit))
    return {"endpoint": endpoint, "region": region, "secure": secure, "max_retries": retries,
            "verify_tls": False if no_verify_tls else None, "bwlimit": bwlimit}


# The commands of `its-store`, in the order `--help` lists them: name -> (the modules under cli/commands/ whose
# register(app) adds it and its subcommands, the short help `--help` shows). A command runs with only its own
# modules imported (ItsGroup.get_command), and `--help` lists the commands from here without importing any.
# tests/test_startup.py fails when a module registers a command this table does not declare, or a short help
# here differs from the command's own (the first sentence of its docstring). Add a command: one line here.
COMMANDS: dict[str, tuple[tuple[str, ...], str]] = {
    "upload": (("objects",), "Upload a file, a folder (--recursive) or stdin (-) to object storage."),
    "get": (("objects",), "Download an object to a file, a folder, or stdout (-); a prefix with --recursive."),
    "ls": (("objects_info",), "List buckets, or objects under a prefix, with filters."),
    "rm": (("objects_rm",), "Delete objects, or everything under a prefix with --recursive."),
    "stat": (("objects_info",), "Show an object's size, ETag, type, content type, metadata, tags, codec and "
                                "encryption."),
    "presign": (("objects_info",), "Print a presigned URL that works without credentials until it expires (max 7 "
                                   "days)."),
    "health": (("admin",), "Check that the endpoint answers, the credentials work and the configured buckets exist."),
    "config": (("admin",), "Show the effective configuration (env, .env file and flags), secrets masked."),
    "init": (("admin",), "Create the configured buckets (default, video, models, logs) that do not exist yet."),
    "restore": (("versions",), "Make an older version of an object current again (server-side copy; nothing is "
                               "deleted)."),
    "stats": (("cache",), "Operation counts, success rate, cache hit rate and average speeds, kept between runs."),
    "sync": (("sync",), "Make DEST like SRC: copy what is missing or differs (size and mtime by default), "
                        "optionally delete what SRC lacks."),
    "cp": (("transfer",), "Copy an object or file; s3 to s3 is a server-side copy keeping metadata and tags."),
    "mv": (("transfer",), "Move: copy, verify the copy, then delete the source (a local file or an object)."),
    "du": (("transfer",), "Bytes and object counts under a prefix; with --depth, per folder (each with everything "
                          "below it)."),
    "verify": (("verify",), "Re-read objects and check them against the SHA-256 recorded at upload (else an MD5 "
                            "ETag)."),
    "bucket": (("bucket", "lifecycle", "encryption", "retention", "policy"),
               "Buckets: list, create, remove, inspect, configure."),
    "tag": (("tags",), "Tags of objects and buckets: set, get, remove."),
    "model": (("model", "model_admin"), "Model registry: versioned, verified ML artifacts in the models bucket."),
    "cache": (("cache",), "The metadata cache (disk or Redis): statistics, clear; the model blob cache: prune."),
    "audit": (("audit",), "The audit log of mutating operations: tail, ship."),
    "retention": (("retention",), "Object retention (object lock): set, show."),
    "legal-hold": (("retention",), "Legal hold (object lock): on, off, show."),
    "completion": (("completion",), "Shell completion for bash, zsh and fish: show the script, install it."),
    "remote": (("remote",), "Named remotes (endpoints): add, ls, show, rm, test."),
}


app = typer.Typer(
    cls=ItsGroup, name=PROG, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
    rich_markup_mode=None, help="Object storage for ITS camera frames and ML models, on MinIO or any S3-compatible "
    "server.", epilog=EPILOG, context_settings=CONTEXT,
)
app.callback()(root)


def run() -> None:
    """Console-script entry point."""
    app()
