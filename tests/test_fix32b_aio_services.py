"""Session 32, fix2: what an awaited call of the async façade returns is async too (its_store/aio.py).

A focused service (`await storage.versions()`) is a façade on the same worker threads, and an iterator it
returns is an async iterator read in those threads a bounded chunk at a time, in order."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from test_atk32b_aio_loop import _ThreadNoting


def test_a_focused_service_and_its_iterators_make_no_request_on_the_event_loop(
        service: Any, bucket: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import its_store.aio
    from its_store import StorageService, UploadRequest
    from its_store.aio import AsyncStorageService

    monkeypatch.setattr(its_store.aio, "CHUNK", 2)  # 5 objects: three chunks, the last one short
    keys = [f"cam/{i}.jpg" for i in range(5)]
    for key in keys:
        service.upload_object(UploadRequest(bucket=bucket, key=key, data=b"\xff\xd8\xff"))
    s3 = _ThreadNoting(service.settings)
    s3.threads = []
    sync = StorageService(service.settings, s3=s3)
    loop_threads: list[str] = []

    async def main() -> list[str]:
        loop_threads.append(threading.current_thread().name)
        async with AsyncStorageService(sync, own=True) as storage:
            versions = await storage.versions()
            await versions.status(bucket)
            listing = await versions.iter_versions(bucket, "cam/")
            return [v.key async for v in listing]

    try:
        assert asyncio.run(main()) == keys
    finally:
        s3.close()
    assert s3.threads, "no request noted"
    assert loop_threads[0] not in s3.threads, s3.threads
