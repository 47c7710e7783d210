"""`sync SRC DEST` (and `--watch`): the CLI face of its_store/sync/."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Adds nothing yet (work in progress)."""
