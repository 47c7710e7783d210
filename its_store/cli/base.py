"""What the command modules build on: their command and group classes, new_group(), add_commands() and
the one confirm().

It imports nothing of cli's own modules at import time (confirm() reads output.py when called), so that
app.py and every module under commands/ may import it (the import graph stays a tree: app -> commands -> base).

The classes exist for one difference from Typer's: Typer 0.29's rich help prints every option's type,
`<bool>` for flags too (its plain help prints none for them). A flag takes no value, so before the help
is drawn each flag gets an empty metavar, which is what the rich help prints in the type column.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup, TyperOption


def hide_flag_metavars(command: Any, ctx: Any) -> None:
    """Give the flags of `command` (including --help and the completion options) an empty metavar."""
    for param in command.get_params(ctx):
        if isinstance(param, TyperOption) and (param.is_flag or param.count) and param.metavar is None:
            param.metavar = ""


class ItsCommand(TyperCommand):
    """A command whose help shows no `<bool>` on flags."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        hide_flag_metavars(self, ctx)
        super().format_help(ctx, formatter)


class ItsGroupBase(TyperGroup):
    """A group (`bucket`, `model`, ... and the root) whose help shows no `<bool>` on flags, and whose
    commands' Ctrl-C reaches the one error mapping (cli/app.py) as an error saying so."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        hide_flag_metavars(self, ctx)
        super().format_help(ctx, formatter)

    def invoke(self, ctx: Any) -> Any:
        """Run the command; Ctrl-C becomes InterruptedError_ (exit 130, "interrupted" on stderr). Typer
        turns a KeyboardInterrupt into Exit(130), which, run as we run it (not standalone), it RETURNS: the
        process exited 130 without a word, and a command's own `return 130` looked the same."""
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as exc:
            from its_store.core.errors import InterruptedError_
            raise InterruptedError_("interrupted") from exc


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
        group.command(cls=ItsCommand, help=body, epilog="\n\n".join(examples) or None)(fn)


def confirm(question: str, *, action: str, hint: str = "add --yes") -> None:
    """The one confirm-or---yes: ask `question` on a terminal (no: exit 1, nothing done); without one, refuse
    with exit 2, since a script that forgot --yes must not hang on a prompt nor go ahead unasked.

    `action` reads after "refusing " in that error ("to remove a bucket policy", "a recursive delete"); the
    caller skips this call when --yes (or --dry-run) is given."""
    import sys

    from its_store.cli import output as out
    from its_store.core.errors import InvalidInputError
    if not (sys.stdin.isatty() and out.is_tty()):
        raise InvalidInputError(f"refusing {action} without a terminal to confirm", hint=hint)
    if not typer.confirm(question, default=False, err=True):
        raise typer.Exit(1)
