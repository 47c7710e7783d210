"""An erasure with --older-than lists every version before it erases any (service/versions._erase_all: a listing
paged while its entries are deleted may end early), and so held in memory every version of the prefix, the newer
ones it keeps too: a retention job (`rm -r --all-versions --older-than 30d` over a camera bucket) held the whole
bucket's listing where it erases a day's worth. Only what it may erase is held (as its result holds it), so an
erasure that keeps every version needs no more memory than a listing read page by page. Real SeaweedFS."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from conftest import plain_client

KEYS = 3000  # ~0.75 KB each when held: ~2.2 MB, over the 1 MB allowed past the listing's own peak


def _peak(run: Callable[[], Any]) -> tuple[Any, int]:
    tracemalloc.start()
    try:
        got = run()
        return got, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_an_erasure_that_keeps_every_version_holds_no_listing(service: Any, bucket: str, s3_server: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor
    client = plain_client(s3_server)
    with ThreadPoolExecutor(8) as pool:  # the same KEYS objects, eight at a time (one by one: ~3x the time)
        list(pool.map(lambda i: client.put_object(bucket, f"cam/{i:05d}.jpg", io.BytesIO(b"x"), 1), range(KEYS)))
    versions = service.versions()
    newest = max(v.last_modified for v in versions.iter_versions(bucket, "cam/"))
    _, listing = _peak(lambda: sum(1 for _ in versions.iter_versions(bucket, "cam/")))
    result, erasure = _peak(lambda: versions.erase(bucket, "cam/", recursive=True, older_than=timedelta(hours=1),
                                                   now=newest + timedelta(minutes=1)))
    assert (result.versions, result.failed) == (0, 0), result
    assert erasure < listing + (1 << 20), (erasure, listing)
    assert sum(1 for _ in versions.iter_versions(bucket, "cam/")) == KEYS  # every version kept
