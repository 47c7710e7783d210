"""Reading an object back only to hash it (the `verify` scrub): nothing is written anywhere.

A small object is one GET whose body is read into a reused per-thread buffer. A large one is read
as part-sized ranges fetched in parallel and fed to the hash in order (SHA-256 cannot be split), with
at most `workers` ranges in memory. The first range's GET also answers the object's headers, so a
scrub costs one request per small object and no HEAD at all.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Any

from its_store.core import errors as E
from its_store.transfer.download import _fetch_bytes, _with_retries
from its_store.transfer.parts import READ_BUF

if TYPE_CHECKING:
    from its_store.s3.client import S3Client

Feed = Callable[[memoryview | bytes], None]

_LOCAL = threading.local()


def _buffer() -> memoryview:
    view = getattr(_LOCAL, "view", None)
    if view is None:
        view = _LOCAL.view = memoryview(bytearray(READ_BUF))
    return view


def drain(resp: Any, feed: Feed, where: str, expected: int | None = None) -> int:
    """Feed a GET's body to `feed` in READ_BUF slices (each slice is overwritten by the next; feed
    must consume it at once); close the response. A body shorter than `expected` is an error."""
    view = _buffer()
    total = 0
    try:
        while n := resp.readinto(view):
            feed(view[:n])
            total += n
    finally:
        resp.close()
        resp.release_conn()
    if expected is not None and total != expected:
        raise E.ServiceUnavailableError(f"connection ended early for {where}: got {total} of {expected} bytes",
                                        mid_body=True)
    return total


def drain_ranges(s3: S3Client, bucket: str, key: str, version_id: str | None, start: int, size: int,
                 part: int, workers: int, feed: Feed) -> int:
    """Feed object bytes [start, size) to `feed` in order: ranges of `part` bytes fetched by `workers`
    threads with a read-ahead window of `workers` ranges (memory: workers x part)."""
    ranges = [(pos, min(part, size - pos)) for pos in range(start, size, part)]
    if not ranges:
        return 0
    from its_store.transfer.download import ObjectHead
    head = ObjectHead(bucket=bucket, key=key, size=size, etag="", version_id=version_id)
    pool = ThreadPoolExecutor(max_workers=max(workers, 1), thread_name_prefix="its-scrub")
    window: deque[Future[bytes]] = deque()
    total = 0
    try:
        pending = iter(ranges)
        for pos, length in pending:
            window.append(pool.submit(_with_retries, s3, partial(_fetch_bytes, s3, head, pos, length)))
            if len(window) >= max(workers, 1):
                break
        while window:
            data = window.popleft().result()
            feed(data)
            total += len(data)
            nxt = next(pending, None)
            if nxt:
                window.append(pool.submit(_with_retries, s3, partial(_fetch_bytes, s3, head, *nxt)))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return total
