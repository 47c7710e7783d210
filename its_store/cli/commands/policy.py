"""`bucket policy set|show|rm`: who may do what where, anonymous access included."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Adds nothing yet (work in progress)."""
