"""What the command modules build on: new_group() and add_commands().

It imports nothing of cli's own modules, so that app.py and every module under commands/ may import it
(the import graph stays a tree: app -> commands -> base).
"""

from __future__ import annotations

from typing import Any

import typer


def new_group(**settings: Any) -> typer.Typer:
    """A command group (`its-store bucket ...`)."""
    return typer.Typer(**settings)


def add_commands(group: typer.Typer, *functions: Any) -> None:
    """Register commands; the docstring's `Example:` line becomes the epilog, so --help ends with it."""
    for fn in functions:
        doc = fn.__doc__ or ""
        lines = doc.strip().splitlines()
        examples = [line.strip() for line in lines if line.strip().startswith("Example:")]
        body = "\n".join(line for line in lines if not line.strip().startswith("Example:")).strip()
        group.command(help=body, epilog="\n\n".join(examples) or None)(fn)
