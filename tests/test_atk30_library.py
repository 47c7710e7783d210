"""Session 30's attacker: the library called as a script would, with arguments a script gets wrong."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from its_store import InvalidInputError, ListObjectsRequest, UploadRequest


def _keys(service: Any, bucket: str) -> list[str]:
    return sorted(o.key for o in service.list_objects(ListObjectsRequest(bucket=bucket, recursive=True)))


def _put(service: Any, bucket: str, *keys: str) -> None:
    for key in keys:
        service.upload_object(UploadRequest(bucket=bucket, key=key, data=b"x"))


def test_delete_objects_refuses_one_str(service: Any, bucket: str) -> None:
    """A str is a sequence of one-character keys: delete_objects(bucket, "cam/f.jpg") deleted c, a, m, ...
    (here: the keys 'c', 'a' and 'm' that the bucket holds) and left the object named alone."""
    _put(service, bucket, "c", "a", "m", "cam")
    with pytest.raises(InvalidInputError):
        service.delete_objects(bucket, "cam")
    with pytest.raises(InvalidInputError):
        service.remove_batch(bucket, "cam")
    assert _keys(service, bucket) == ["a", "c", "cam", "m"], "a delete not asked for"


def test_delete_objects_reads_a_generator_once(service: Any, bucket: str) -> None:
    """A generator of keys was read up by the validation pass: nothing was deleted and [] came back (no
    failure to see)."""
    _put(service, bucket, "g/1", "g/2")
    results = service.delete_objects(bucket, (k for k in ["g/1", "g/2"]))
    assert [(r.key, r.deleted) for r in results] == [("g/1", True), ("g/2", True)]
    assert _keys(service, bucket) == []


def test_async_delete_objects_refuses_one_str(service: Any, bucket: str) -> None:
    from its_store.aio import AsyncStorageService
    _put(service, bucket, "k", "key")

    async def run() -> None:
        async with AsyncStorageService(service) as storage:
            with pytest.raises(InvalidInputError):
                await storage.delete_objects(bucket, "key")
    asyncio.run(run())
    assert _keys(service, bucket) == ["k", "key"]
