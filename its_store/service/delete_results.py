"""The results of `rm` of named objects and of its dry run. Apart from service/object_delete.py (which offers
these names as before) so that a command that deletes a batch (sync --delete, rm -r) does not create them
(~3M instructions each).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from its_store.core.models import DeleteResult, Result


class DeletedObjects(Result):
    """`rm` of named objects: one DeleteResult each, in the order named."""

    deleted: list[DeleteResult] = Field(default_factory=list)


class PlannedDelete(Result):
    """One object `rm --dry-run` would delete (it exists: it was stat'ed)."""

    bucket: str
    key: str
    size: int
    version_id: str | None = None


class DeletePlan(Result):
    """`rm --dry-run` of named objects: each one would be deleted; nothing was."""

    dry_run: Literal[True] = True
    would_delete: list[PlannedDelete] = Field(default_factory=list)
