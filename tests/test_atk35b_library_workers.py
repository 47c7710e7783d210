"""StorageService(workers=...) and batch delete keys from a Python caller (atk2, s35): any workers value was
taken, and -1, 2.5, "3" or True surfaced later as a TypeError or ValueError deep in a transfer (after
requests), 0 silently meant the default. It is checked as MINIO_MAX_WORKERS and --workers are: a whole number
from 1 to 256, or None. A batch delete's key that is not a str is InvalidInputError too.
"""

from __future__ import annotations

from typing import Any

import pytest

from its_store import InvalidInputError, Settings, StorageService


@pytest.mark.parametrize("workers", [0, -1, 257, 2.5, "3", True, [4]])
def test_bad_workers_are_invalid_input(workers: Any) -> None:
    with pytest.raises(InvalidInputError) as caught:
        StorageService(Settings(), workers=workers)
    assert caught.value.message.startswith("invalid StorageService: workers:"), caught.value.message


@pytest.mark.parametrize("workers", [None, 1, 256])
def test_good_workers_are_taken(workers: Any) -> None:
    service = StorageService(Settings(max_workers=5), workers=workers)
    try:
        assert service.workers == (workers or 5)
    finally:
        service.close()


@pytest.mark.parametrize("keys", [[5], ["ok", None], [b"k"]])
def test_batch_delete_keys_must_be_str(keys: list[Any]) -> None:
    """remove_batch([5]) raised AttributeError, delete_objects([5]) pydantic's ValidationError; nothing is
    sent either way (no server here: a request would fail as unreachable, not as invalid input)."""
    service = StorageService(Settings(endpoint="127.0.0.1:9", max_retries=0))
    try:
        for call in (service.delete_objects, service.remove_batch):
            with pytest.raises(InvalidInputError) as caught:
                call("bkt", keys)
            assert caught.value.message.startswith("keys must be str"), caught.value.message
    finally:
        service.close()
