"""BucketInfo: one bucket of `ls` without a target.

Its own module, as download_models.py: a pydantic class costs its creation when its module is imported
(~1M instructions), and only `ls` of the buckets builds one. core/models.py re-exports it by name
(tests/test_startup_models.py).
"""

from datetime import datetime

from its_store.core.model_base import Result


class BucketInfo(Result):
    """One bucket of `ls` without a target (list_buckets)."""

    name: str
    created: datetime | None = None
