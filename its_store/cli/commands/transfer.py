"""`cp`, `mv` and `du`: copies and moves between locations, sizes of prefixes."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Adds nothing yet (work in progress)."""
