"""The lean ListObjectsV2 path: pagination, delimiters, odd keys, against the real server."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from its_store.s3.listing import parse_list_v2

ODD_KEYS = ["plain.txt", "with space/a b.jpg", "plus+sign.txt", "percent%20.txt", "ünïcödé/ß.txt",
            "amp&lt;.xml", "quote'\"s.txt", "tilde~/x", "deep/a/b/c/d.bin", "trailing.dot."]


def test_odd_keys_round_trip_through_listing(service, bucket):
    for key in ODD_KEYS:
        service.s3.put(bucket, key, b"x", {"Content-Type": "text/plain"})
    listed = sorted(e.key for e in service.s3.list_fast(bucket, "", recursive=True))
    assert listed == sorted(ODD_KEYS)
    via_minio = sorted(o.object_name for o in service.s3.list_objects(bucket, "", recursive=True))
    assert listed == via_minio


def test_pagination_and_delimiter(service, bucket):
    keys = [f"cam{i % 3}/f{i:05d}.jpg" for i in range(2100)] + ["top.txt"]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: service.s3.put(bucket, k, b"y" * 3, {"Content-Type": "image/jpeg"}), keys))
    entries = list(service.s3.list_fast(bucket, "", recursive=True))
    assert [e.key for e in entries] == sorted(keys)  # > 2 pages, in order, nothing twice
    assert all(e.size == 3 and e.etag and e.last_modified for e in entries)
    top = list(service.s3.list_fast(bucket, "", recursive=False))
    assert [(e.key, e.is_prefix) for e in top] == [("cam0/", True), ("cam1/", True), ("cam2/", True),
                                                   ("top.txt", False)]
    assert len(list(service.s3.list_fast(bucket, "cam1/", recursive=True))) == 700


def test_parser_rejects_non_s3_answers():
    with pytest.raises(ValueError, match="ListBucketResult"):
        parse_list_v2(b"<html><body>hello</body></html>")


def test_parser_decodes_url_encoded_keys():
    xml = (b'<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><EncodingType>url</EncodingType>'
           b"<IsTruncated>true</IsTruncated><NextContinuationToken>tok</NextContinuationToken>"
           b"<Contents><Key>a%20b%2Bc</Key><Size>5</Size><ETag>&quot;abc&quot;</ETag>"
           b"<LastModified>2026-11-24T00:15:02.000Z</LastModified></Contents>"
           b"<CommonPrefixes><Prefix>dir%2F</Prefix></CommonPrefixes></ListBucketResult>")
    page = parse_list_v2(xml)
    assert page.truncated and page.next_token == "tok"
    assert [(e.key, e.size, e.etag, e.is_prefix) for e in page.entries] == [("a b+c", 5, "abc", False),
                                                                           ("dir/", 0, None, True)]
    assert page.entries[0].last_modified.isoformat() == "2026-11-24T00:15:02+00:00"


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
