"""`model gc` and `model webhooks`: the registry's housekeeping commands."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Adds nothing yet (work in progress)."""
