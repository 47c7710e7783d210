"""`retention`, `legal-hold` and `bucket retention`: object lock (WORM) for evidence."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Adds nothing yet (work in progress)."""
