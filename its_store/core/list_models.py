"""ListObjectsRequest: the library's listing request.

Their own module, as download_models.py: a pydantic class costs its creation when its module is imported
(~1-2M instructions each, callgrind), and a `get` of one object or a `sync` from a folder never builds one.
core/models.py re-exports it by name (tests/test_startup_models.py).
"""

from datetime import datetime
from typing import Any

from pydantic import Field, field_validator

from its_store.core.enums import ObjectType
from its_store.core.model_base import RequestModel


class ListObjectsRequest(RequestModel):
    """Filters for listing. `size_range` is (min, max) in bytes, either end may be None."""

    bucket: str
    prefix: str = ""
    recursive: bool = True
    max_keys: int | None = Field(default=None, ge=1)
    object_types: list[ObjectType] | None = None
    size_range: tuple[int | None, int | None] | None = None
    modified_after: datetime | None = None
    modified_before: datetime | None = None
    include_metadata: bool = False
    match_tags: dict[str, str] | None = None      # only objects carrying every one of these tags
    match_metadata: dict[str, str] | None = None  # only objects with these user metadata values

    @field_validator("size_range")
    @classmethod
    def _range(cls, value: tuple[int | None, int | None] | None) -> Any:
        if value and value[0] is not None and value[1] is not None and value[0] > value[1]:
            raise ValueError("size_range minimum is larger than its maximum")
        return value
