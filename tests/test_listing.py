"""Listing through the s3 seam: pagination, delimiters, odd keys, against the real server."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

ODD_KEYS = ["plain.txt", "with space/a b.jpg", "plus+sign.txt", "percent%20.txt", "ünïcödé/ß.txt",
            "amp&lt;.xml", "quote'\"s.txt", "tilde~/x", "deep/a/b/c/d.bin", "trailing.dot."]


def test_odd_keys_round_trip_through_listing(service, bucket):
    for key in ODD_KEYS:
        service.s3.put(bucket, key, b"x", {"Content-Type": "text/plain"})
    listed = sorted(e.key for e in service.s3.list_objects(bucket, "", recursive=True))
    assert listed == sorted(ODD_KEYS)


def test_pagination_and_delimiter(service, bucket, monkeypatch):
    """More than two pages: pages of 100 (the max-keys every listing sends, here a tenth of its 1,000), 211 keys,
    the same requests and paging as 2,101 keys at full size."""
    from its_store.s3 import listing
    monkeypatch.setattr(listing, "MAX_KEYS", "100")
    keys = [f"cam{i % 3}/f{i:05d}.jpg" for i in range(210)] + ["top.txt"]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: service.s3.put(bucket, k, b"y" * 3, {"Content-Type": "image/jpeg"}), keys))
    entries = list(service.s3.list_objects(bucket, "", recursive=True))
    assert [e.key for e in entries] == sorted(keys)  # > 2 pages, in order, nothing twice
    assert all(e.size == 3 and e.etag and e.last_modified for e in entries)
    top = list(service.s3.list_objects(bucket, "", recursive=False))
    # within a page S3 returns objects and common prefixes as two lists; minio yields objects first
    assert sorted((e.key, e.is_prefix) for e in top) == [("cam0/", True), ("cam1/", True), ("cam2/", True),
                                                   ("top.txt", False)]
    assert len(list(service.s3.list_objects(bucket, "cam1/", recursive=True))) == 70


def test_listed_object_info_equals_a_validated_one():
    from datetime import UTC, datetime

    from its_store.core.models import ObjectInfo
    when = datetime(2026, 11, 24, 0, 15, 2, tzinfo=UTC)
    fast = ObjectInfo.listed(bucket="b", key="k", size=5, etag="e", last_modified=when, version_id=None)
    slow = ObjectInfo(bucket="b", key="k", size=5, etag="e", last_modified=when)
    assert fast.model_dump() == slow.model_dump()
    assert fast.model_dump_json() == slow.model_dump_json()
    fast.metadata = {"a": "1"}  # defaults are not shared between instances
    assert ObjectInfo.listed(bucket="b", key="k2").metadata is None
