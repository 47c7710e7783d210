"""What the command modules build on: their command and group classes, new_group() and add_commands().

It imports nothing of cli's own modules, so that app.py and every module under commands/ may import it
(the import graph stays a tree: app -> commands -> base).

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
    """A group (`bucket`, `model`, ... and the root) whose help shows no `<bool>` on flags."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        hide_flag_metavars(self, ctx)
        super().format_help(ctx, formatter)


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
