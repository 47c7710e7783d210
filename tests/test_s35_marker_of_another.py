"""Session 35 (small, gap a): a delete marker asked for through a merged name is not found.

`rm --version-id M s3://B/d\\f1`, M the delete marker that hides s3://B/d/f1: SeaweedFS reads 'd\\f1' as
'd/f1'. A delete marker has no HEAD, so object_delete._exists asked the listing of versions under the name
given whether M is a marker of it, and heads.not_another (which HEADs the merged key's version) was never
asked. Today's SeaweedFS lists no versions under 'd\\f1' or 'd//f1' (the first test: not found, as it was),
but its plain listing does show 'd//f1' under that name; a version listing that did the same (the FaultProxy
test) made the marker look like one of 'd//f1', and its DELETE removed d/f1's marker, un-hiding it (exit 0,
seen). Now the merged key's own versions are asked too: not found (exit 3), the marker kept. moto keeps
'd\\f1' apart (as AWS does): a marker of its own is still removed, and only it.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from conftest import one_line_error, plain_client, unique


def _versioned(client: Any) -> str:
    from minio.commonconfig import ENABLED
    from minio.versioningconfig import VersioningConfig
    name = unique("rm")
    client.make_bucket(name)
    client.set_bucket_versioning(name, VersioningConfig(ENABLED))
    return name


def _marker(client: Any, bucket: str, key: str) -> str:
    """Delete `key` (a marker hides it) and return the marker's version id."""
    client.remove_object(bucket, key)
    found = [v.version_id for v in client.list_objects(bucket, key, recursive=True, include_version=True)
             if v.is_delete_marker and v.object_name == key]
    assert len(found) == 1, found
    return str(found[0])


@pytest.mark.parametrize("odd", ["d\\f1", "d//f1"])
def test_rm_of_the_marker_of_another_object_by_a_merged_name_keeps_it(cli: Any, s3_server: Any, odd: str) -> None:
    client = plain_client(s3_server)
    bucket = _versioned(client)
    client.put_object(bucket, "d/f1", io.BytesIO(b"evidence"), 8)
    marker = _marker(client, bucket, "d/f1")
    run = cli("rm", "--version-id", marker, f"s3://{bucket}/{odd}")
    assert run.exit_code == 3 and "not found" in one_line_error(run), run
    left = [(v.version_id, v.is_delete_marker) for v in client.list_objects(bucket, "d/", recursive=True,
                                                                             include_version=True)]
    assert (marker, True) in left and len(left) == 2, left


def test_a_marker_of_a_key_a_server_keeps_apart_is_still_removed(moto_server_info: Any, buckets: dict[str, str],
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 tmp_path: Path) -> None:
    from conftest import cli_runner, environment_for
    cli = cli_runner(environment_for(moto_server_info, buckets, monkeypatch, tmp_path))
    client = plain_client(moto_server_info)
    bucket = _versioned(client)
    client.put_object(bucket, "d\\f1", io.BytesIO(b"backslash"), 9)
    client.put_object(bucket, "d/f1", io.BytesIO(b"slash"), 5)
    marker = _marker(client, bucket, "d\\f1")
    run = cli("rm", "--version-id", marker, f"s3://{bucket}/d\\f1")
    assert run.exit_code == 0, run
    left = sorted((v.object_name, v.is_delete_marker)
                  for v in client.list_objects(bucket, recursive=True, include_version=True))
    assert left == [("d/f1", False), ("d\\f1", False)], left


@pytest.mark.parametrize("odd", ["d\\f1", "d//f1"])
def test_a_version_listing_that_names_the_marker_after_the_merged_name_still_keeps_it(
        cli: Any, s3_server: Any, odd: str) -> None:
    """A SeaweedFS whose version listing under 'd//f1' showed d/f1's entries under the name asked (its plain
    listing does: 'd//f1' is listed as 'd//f1'), made so by a FaultProxy answering that one listing: the
    marker looked like one of 'd//f1', and its DELETE removed d/f1's marker. The merged key's own versions
    are asked too (heads.not_another): the marker is d/f1's, not found."""
    from urllib.parse import quote

    from faultproxy import FaultProxy, Seen
    from faultserver import response
    from test_gaps33_denied_settings import _port
    client = plain_client(s3_server)
    bucket = _versioned(client)
    client.put_object(bucket, "d/f1", io.BytesIO(b"evidence"), 8)
    marker = _marker(client, bucket, "d/f1")

    def answer(seen: Seen) -> bytes | None:
        if seen.method != "GET" or "versions" not in seen.query or seen.query.get("prefix") != odd:
            return None
        encoded = seen.query.get("encoding-type") == "url"
        name = quote(odd, safe="/") if encoded else odd
        body = (f'<?xml version="1.0" encoding="UTF-8"?><ListVersionsResult xmlns="http://s3.amazonaws.com/doc/'
                f'2006-03-01/"><Name>{bucket}</Name><Prefix>{name}</Prefix><KeyMarker></KeyMarker><VersionIdMarker>'
                f'</VersionIdMarker><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated><DeleteMarker><Key>{name}'
                f'</Key><VersionId>{marker}</VersionId><IsLatest>true</IsLatest><LastModified>2026-01-01T00:00:00.000Z'
                '</LastModified></DeleteMarker>' + ("<EncodingType>url</EncodingType>" if encoded else "")
                + "</ListVersionsResult>").encode()
        return response(200, body, content_type="application/xml")

    with FaultProxy(_port(s3_server.endpoint), answer=answer) as proxy:
        run = cli("rm", "--version-id", marker, f"s3://{bucket}/{odd}", extra_env={"MINIO_ENDPOINT": proxy.endpoint})
    assert run.exit_code == 3 and "not found" in one_line_error(run), run
    left = [(v.version_id, v.is_delete_marker) for v in client.list_objects(bucket, "d/", recursive=True,
                                                                             include_version=True)]
    assert (marker, True) in left and len(left) == 2, left
