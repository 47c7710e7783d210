"""Session 32, second attacker: the async façade's promise that "network and disk I/O never block the event
loop" (docs/library/async.md), for the methods it wraps generically ("any other public method of
StorageService ... is wrapped in the same way"). `await storage.iter_objects(request)` runs iter_objects in a
worker thread, but iter_objects returns a generator: the listing requests are made later, as the caller
iterates, on the event loop's own thread. The same holds for the focused services (`await storage.versions()`
returns the synchronous Versions, whose calls block the loop).
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from its_store.s3.client import S3Client


class _ThreadNoting(S3Client):
    """An S3Client that notes the thread of each request (the documented way to count or log requests:
    `StorageService(settings, s3=...)`)."""

    threads: list[str]

    def _raw(self, *args: Any, **kwargs: Any) -> Any:
        self.threads.append(threading.current_thread().name)
        return super()._raw(*args, **kwargs)


def test_iterating_an_awaited_listing_makes_no_request_on_the_event_loop(service: Any, bucket: str) -> None:
    """Fails on main (a83dc6e): every listing request of the iteration is made on MainThread (the loop's
    thread). Expected: iter_objects on the façade is an async iterator whose pages are fetched in the
    façade's threads (or the awaited call returns the whole list), so the loop never waits on the network."""
    from its_store import ListObjectsRequest, StorageService, UploadRequest
    from its_store.aio import AsyncStorageService

    for i in range(3):
        service.upload_object(UploadRequest(bucket=bucket, key=f"cam/{i}.jpg", data=b"\xff\xd8\xff"))
    s3 = _ThreadNoting(service.settings)
    s3.threads = []
    sync = StorageService(service.settings, s3=s3)
    loop_threads: list[str] = []

    async def main() -> int:
        loop_threads.append(threading.current_thread().name)
        async with AsyncStorageService(sync, own=True) as storage:
            listing = await storage.iter_objects(ListObjectsRequest(bucket=bucket, prefix="cam/"))
            s3.threads.clear()
            if hasattr(listing, "__aiter__"):
                return len([o async for o in listing])
            return len(list(listing))

    try:
        assert asyncio.run(main()) == 3
    finally:
        s3.close()
    assert s3.threads, "no request noted"
    assert loop_threads[0] not in s3.threads, s3.threads
