"""Session 32, second attacker: a cached stat outliving another client's metadata change.

A listing checks a cached stat against the listed ETag and size only (state/service_cache.object_info). Another
client that replaces an object's metadata in place (CopyObject onto itself, MetadataDirective REPLACE: what
`aws s3 cp --metadata-directive REPLACE` and `mc cp --attr` do) keeps both, and changes only Last-Modified. For
the cache's TTL (an hour by default) its-store then reports the old metadata and the old date, and filters by
them: the product documentation's "Batch Operations" example lists by object type and deletes what it gets.
"""

from __future__ import annotations

from typing import Any

from conftest import ServerInfo
from helpers import boto3_client, wait_for_server_clock


def test_a_listing_does_not_serve_a_stat_older_than_the_listed_object(service: Any, bucket: str,
                                                                     s3_server: ServerInfo) -> None:
    """Fails on main (a83dc6e): after the metadata replace, list_objects(object_types=[MODEL_ARTIFACT]) still
    returns seed/a.bin as a model artifact, with the old last_modified, though the listing itself dated it
    later and the server says its-type is now 'log'. Expected: a cached stat older than the listed
    Last-Modified (compared at the one-second resolution of HEAD's Last-Modified) is stale."""
    from its_store import ListObjectsRequest, ObjectType, StorageService, UploadRequest

    service.upload_object(UploadRequest(bucket=bucket, key="seed/a.bin", data=b"weights",
                                        object_type=ObjectType.MODEL_ARTIFACT))
    request = ListObjectsRequest(bucket=bucket, prefix="seed/", object_types=[ObjectType.MODEL_ARTIFACT],
                                 include_metadata=True)
    [before] = service.list_objects(request)  # the stat is cached now
    wait_for_server_clock(service, bucket, before.last_modified)

    other = boto3_client(s3_server)  # another client relabels the object in place
    head = other.head_object(Bucket=bucket, Key="seed/a.bin")
    metadata = {**head["Metadata"], "its-type": "log"}
    other.copy_object(Bucket=bucket, Key="seed/a.bin", CopySource={"Bucket": bucket, "Key": "seed/a.bin"},
                      Metadata=metadata, MetadataDirective="REPLACE")

    later = StorageService(service.settings)  # the next process, same cache
    try:
        assert later.list_objects(request) == []
    finally:
        later.close()
