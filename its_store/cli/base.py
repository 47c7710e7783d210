"""What the command modules build on: their command and group classes, new_group(), add_commands() and
the one confirm().

It imports nothing of cli's own modules at import time (confirm() reads output.py when called), so that
app.py and every module under commands/ may import it (the import graph stays a tree: app -> commands -> base).

Help is click's plain help (cli/app.py: rich_markup_mode=None). A help text is shown as written, rewrapped
to the terminal by click; the `Example:` lines of a docstring are kept as they are (click's `\\b`), so that
they can be copied whole.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperCommand, TyperGroup

if TYPE_CHECKING:
    from its_store.core.errors import InterruptedError_

PROG = "its-store"  # the program's name in usage and error lines


class ItsCommand(TyperCommand):
    """A command of ours (add_commands): Typer's, and in the its-store process itself the heap frozen
    before the command runs."""

    freeze_heap = False  # set by __main__.main: this process runs one command and exits (not a CliRunner)

    def invoke(self, ctx: Any) -> Any:
        """gc.freeze() first (its-store process only): the ~30,000 objects imports and parsing built
        (modules, classes, pydantic schemas) live until the process exits, and a full collection would
        traverse them again (get -r / verify of 2,000 x 100 KB ran one: ~15 ms of CPU). Frozen, the
        collector only sees what the command makes. Not in a CliRunner or a library caller: their
        processes go on, and cycles frozen there would never be collected."""
        if ItsCommand.freeze_heap:
            import gc
            gc.freeze()
        return super().invoke(ctx)


class ItsGroupBase(TyperGroup):
    """A group (`bucket`, `model`, ... and the root) whose commands' Ctrl-C reaches the one error mapping
    (cli/failures.handle, called by cli/app.py) as an error saying so."""

    def invoke(self, ctx: Any) -> Any:
        """Run the command; Ctrl-C becomes InterruptedError_ (exit 130, "interrupted" on stderr). Typer
        turns a KeyboardInterrupt into Exit(130), which, run as we run it (not standalone), it RETURNS: the
        process exited 130 without a word, and a command's own `return 130` looked the same."""
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as exc:
            raise interrupted(exc) from exc

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        """The group's context, its options parsed; a Ctrl-C, SIGTERM or SIGHUP meanwhile (the root's: Typer
        builds its options' pydantic adapters then, ~0.3 s of every start) ends as invoke()'s does, not as
        Typer's Exit(130), returned without a word whatever the signal."""
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except KeyboardInterrupt as exc:
            raise interrupted(exc) from exc


def interrupted(exc: KeyboardInterrupt) -> InterruptedError_:
    """The error a Ctrl-C (exit 130, "interrupted") or a SIGTERM / SIGHUP (core/errors.Terminated: exit 143 /
    129, "terminated by SIGTERM") ends a command with."""
    from its_store.core.errors import InterruptedError_, Terminated
    if not isinstance(exc, Terminated):
        return InterruptedError_("interrupted")
    import signal
    error = InterruptedError_(f"terminated by {signal.Signals(exc.signum).name}")
    error.exit_code = 128 + exc.signum
    return error


def new_group(**settings: Any) -> typer.Typer:
    """A command group (`its-store bucket ...`): typer.Typer with our group class."""
    return typer.Typer(cls=ItsGroupBase, **settings)


def add_commands(group: typer.Typer, *functions: Any) -> None:
    """Register commands; the docstring's `Example:` line becomes the epilog, so --help ends with it."""
    for fn in functions:
        doc = fn.__doc__ or ""
        lines = doc.strip().splitlines()
        examples = [line.strip() for line in lines if line.strip().startswith("Example:")]
        body = "\n".join(line for line in lines if not line.strip().startswith("Example:")).strip()
        group.command(cls=ItsCommand, help=body, epilog=_verbatim(examples))(fn)


def _verbatim(examples: list[str]) -> str | None:
    """The epilog of `examples`, one a line, marked for click to print as written (never rewrapped)."""
    return "\b\n" + "\n".join(examples) if examples else None


def confirm(question: str, *, action: str, hint: str = "add --yes") -> None:
    """The one confirm-or---yes: ask `question` on a terminal (no: exit 1, nothing done); without one, refuse
    with exit 2, since a script that forgot --yes must not hang on a prompt nor go ahead unasked.

    `action` reads after "refusing " in that error ("to remove a bucket policy", "a recursive delete"); the
    caller skips this call when --yes (or --dry-run) is given."""

    from its_store.cli import output as out
    from its_store.cli.stdout_lost import stdin_is_terminal
    from its_store.core.errors import InvalidInputError
    if not (stdin_is_terminal() and out.is_tty()):
        raise InvalidInputError(f"refusing {action} without a terminal to confirm", hint=hint)
    try:
        answer = typer.confirm(question, default=False, err=True)
    except typer.Abort as exc:
        # click turns an interrupt at the prompt (Ctrl-C, and SIGTERM/SIGHUP: core/errors.Terminated) into
        # Abort ("aborted", exit 1) `from None`; a stop is not a refusal: 130 / 143 / 129 as everywhere else
        if isinstance(exc.__context__, KeyboardInterrupt):
            raise exc.__context__ from None
        raise
    if not answer:
        raise typer.Exit(1)


def local_path(value: str | None) -> Path | None:
    """THE callback of a local path on the command line (`**LOCAL_PATH` in the typer.Option or Argument
    of a Path parameter: path_type=str, so that the callback sees what was typed): '' (an unset "$VAR") is
    refused, exit 2, as upload and get refuse it (core/localname.checked). Typer's Path type made it
    Path(''), the current folder, before any callback saw it."""
    if value is None:
        return None
    from its_store.core.localname import checked
    return Path(checked(value))


LOCAL_PATH: dict[str, Any] = {"path_type": str, "callback": local_path}


class Flags:
    """The typed options object of one command (`sync`'s SyncFlags, ...): each option a class annotation,
    `Annotated[type, typer.Option(...)]`, with its default as the class attribute; an instance holds the
    values given (with_flags makes it). A plain class: a NamedTuple or a dataclass would build its methods
    by eval/exec on every start (~4M instructions for sync's 29 options)."""

    def __init__(self, **values: Any) -> None:
        for name, value in values.items():
            setattr(self, name, value)


def with_flags(flags_type: type[Flags]) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """A command whose many options are one typed object: the decorated function's parameter `flags`
    (annotated `flags_type`, whose annotations carry Typer's options and whose attributes are their
    defaults) is shown to Typer as those options, in their order, where `flags` stands; the command is
    called with them gathered into one `flags_type`. The CLI surface is the one the options would make
    written out as parameters (names, help, defaults, completion: Typer reads the signature, and
    inspect.signature honours `__signature__`); tests/test_cli_flags.py fails loudly when a Typer
    upgrade stops reading it."""
    import inspect
    from functools import wraps

    def decorate(fn: Callable[..., None]) -> Callable[..., None]:
        hints = inspect.get_annotations(flags_type, eval_str=True)  # a module's string annotations evaluated
        names = tuple(hints)
        own = inspect.signature(fn, eval_str=True)
        params: list[inspect.Parameter] = []
        for param in own.parameters.values():
            params += [inspect.Parameter(name, param.kind, default=getattr(flags_type, name), annotation=hints[name])
                       for name in names] if param.name == "flags" else [param]

        @wraps(fn)
        def command(**given: Any) -> None:
            flags = flags_type(**{name: given.pop(name) for name in names})
            fn(flags=flags, **given)

        command.__signature__ = own.replace(parameters=params)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in params} | {"return": own.return_annotation}
        return command
    return decorate
