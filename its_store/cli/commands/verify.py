"""`verify`: the integrity scrub of a prefix, and a folder compared with a prefix."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Adds nothing yet (work in progress)."""
