"""A key another client stored is usable through the library as the listing gives it (issue 19, "hostile
input"): `validate_key` refuses control characters in keys a user types or we create (the CLI), but
`for o in svc.list_objects(...): svc.stat_object(bucket, o.key)` / `svc.delete_objects(bucket, [o.key])`
used to fail on such a key with "object key contains control characters", and one such key refused a
whole delete_objects batch. Now: stat, get and delete take any listed key; a key with a '.'/'..' segment,
which no request URL carries exactly (s3/keys.py), is refused for stat and get and deleted in a batch
only; a key that is not a key at all fails alone."""

from __future__ import annotations

import io
from typing import Any

import pytest

from its_store.core import errors as E
from its_store.core.models import ListObjectsRequest
from its_store.s3.keys import dot_segments, xml_safe

from helpers import boto3_client, held_keys, hostile_keys, store_keys


@pytest.fixture
def listed(service: Any, bucket: str, s3_server: Any) -> list[str]:
    """The hostile corpus stored with boto3 (what SeaweedFS accepts of it), as the library lists it."""
    client = boto3_client(s3_server)
    store_keys(client, bucket, hostile_keys())
    keys = [o.key for o in service.list_objects(ListObjectsRequest(bucket=bucket, prefix="h/"))]
    assert sorted(keys) == held_keys(client, bucket, "h/")
    assert any(ord(c) < 32 for k in keys for c in k), "the corpus must hold control characters"
    return keys


def test_stat_and_get_take_every_listed_key(service: Any, bucket: str, s3_server: Any, listed: list[str]) -> None:
    client = boto3_client(s3_server)
    for key in listed:
        if dot_segments(key):  # a URL would name another key: refused before any request
            with pytest.raises(E.InvalidInputError, match="would be resolved away"):
                service.stat_object(bucket, key)
            continue
        info = service.stat_object(bucket, key)
        assert info.key == key
        out = io.BytesIO()
        service.download_to_stream(bucket, key, out)
        assert out.getvalue() == client.get_object(Bucket=bucket, Key=key)["Body"].read(), key  # a server may rename


def test_delete_objects_takes_every_listed_key_and_fails_only_the_bad_ones(service: Any, bucket: str,
                                                                           s3_server: Any, listed: list[str]) -> None:
    results = service.delete_objects(bucket, ["", *listed])
    by_key = {r.key: r for r in results}
    assert not by_key[""].deleted and "empty object key" in (by_key[""].error or "")
    undeletable = {k for k in listed if dot_segments(k) and not xml_safe(k)}  # neither XML nor a URL names it
    assert {k for k in listed if not by_key[k].deleted} == undeletable, [r for r in results if not r.deleted]
    assert held_keys(boto3_client(s3_server), bucket, "h/") == sorted(undeletable)


def test_one_listed_key_with_a_control_character_deletes_alone(service: Any, bucket: str, s3_server: Any) -> None:
    """The loop of the issue: delete what the listing gives, one key at a time, through both calls."""
    client = boto3_client(s3_server)
    store_keys(client, bucket, ["c/bell\x07.jpg", "c/tab\t.jpg", "c/ok.jpg"])
    for obj in service.list_objects(ListObjectsRequest(bucket=bucket, prefix="c/")):
        if obj.key == "c/tab\t.jpg":
            assert service.delete_object(bucket, obj.key).key == obj.key
        else:
            assert [r.deleted for r in service.delete_objects(bucket, [obj.key])] == [True]
    assert held_keys(client, bucket, "c/") == []


def test_keys_typed_by_a_user_keep_the_strict_rules(cli, bucket: str) -> None:
    run = cli("stat", f"s3://{bucket}/a\x07b")
    assert run.exit_code == 2 and "control characters" in run.stderr, run
