"""Session 34, attacker atk2: version listings on the servers that keep versions (SeaweedFS, moto, Ceph).

- A folder marker is an empty object whose key ends in '/' (the AWS console's "Create folder", `aws s3api
put-object --key cam/`). In a versioned bucket on moto and Ceph's RADOS Gateway (as on AWS S3) it has versions
and delete markers like any object. The lean parser (s3/listing.py) read every such entry of a version listing
as the common prefix it stands for, as the plain listing does, dropping its version id: a marker with a
version and a delete marker was then the same prefix listed twice, and `ls --versions`, `du --versions`,
`bucket info` and `rm -r --all-versions` (the one way to free the space) failed with exit 69 ("the listing
would never end"); with one version, the erasure deleted 'cam/' without its version id, which only added a
delete marker. SeaweedFS keeps no versions of a folder marker (the delete removes it), so it passed there.
- radosgw 16.2 writes a URL-encoded version listing's <NextKeyMarker> as the key itself, not encoded as the
  keys are (S3 encodes it): decoded, 'cam%7E0999.jpg' became 'cam~0999.jpg', and the next page started after
  that name, past every key left: `ls --versions` listed 1,000 of 1,100 versions and `rm -r --all-versions`
  erased 1,000, left 100, and both exited 0.
- moto pages a version listing from the entry its version-id marker names; once the erasure has deleted it,
  the next page is empty: `rm -r --all-versions` of 1,100 versions erased the first 1,000 and exited 0; the
  proof listed again only what it had erased, never what it had not seen.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from conftest import ServerInfo, cli_runner, environment_for, unique
from helpers import boto3_client


@pytest.fixture(params=["seaweedfs", "moto", "ceph"])
def versioned_server(request: pytest.FixtureRequest, buckets: dict[str, str], monkeypatch: pytest.MonkeyPatch,
                     tmp_path: Any) -> tuple[Any, Any, str]:
    """(the CLI, a boto3 client, a new versioned bucket) on each server that keeps versions."""
    fixture = {"seaweedfs": "s3_server", "moto": "moto_server_info", "ceph": "ceph_server_info"}[request.param]
    server: ServerInfo = request.getfixturevalue(fixture)
    env = environment_for(server, buckets, monkeypatch, tmp_path)
    client = boto3_client(server)
    bucket = unique("fm")
    client.create_bucket(Bucket=bucket)
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    return cli_runner(env), client, bucket


def _held(client: Any, bucket: str) -> list[tuple[str, str, bool]]:
    """(key, version id, is a delete marker) of every version and marker, as boto3 lists them. The next page
    starts after the page's last key (boto3 decodes <NextKeyMarker>, which radosgw does not encode)."""
    found: list[tuple[str, str, bool]] = []
    marker: dict[str, str] = {}
    while True:
        page = client.list_object_versions(Bucket=bucket, **marker)
        listed = [(v["Key"], v["VersionId"], False) for v in page.get("Versions", [])]
        listed += [(m["Key"], m["VersionId"], True) for m in page.get("DeleteMarkers", [])]
        found += listed
        if not page.get("IsTruncated"):
            return sorted(found)
        marker = {"KeyMarker": max(key for key, _, _ in listed), "VersionIdMarker": page["NextVersionIdMarker"]}


def test_a_deleted_folder_marker_is_listed_and_erased_by_version(versioned_server: tuple[Any, Any, str]) -> None:
    """Fails before the fix on moto and Ceph: `ls --versions` exits 69 ("it listed 'cam/' a second time"),
    and so does `rm -r --all-versions`, which leaves every version and a new delete marker of cam/f.jpg."""
    cli, client, bucket = versioned_server
    client.put_object(Bucket=bucket, Key="cam/", Body=b"")
    client.put_object(Bucket=bucket, Key="cam/f.jpg", Body=b"frame")
    client.delete_object(Bucket=bucket, Key="cam/")
    held = _held(client, bucket)
    listing = cli("ls", f"s3://{bucket}/", "--versions", "-r", "--json")
    assert listing.exit_code == 0, listing
    assert sorted((e["key"], e["version_id"], e["is_delete_marker"]) for e in listing.jsonl()) == held
    usage = cli("du", f"s3://{bucket}/", "--versions", "--json")
    assert usage.exit_code == 0, usage
    assert usage.json()["total"]["delete_markers"] == sum(marker for _, _, marker in held)
    erased = cli("rm", "-r", "--all-versions", "--yes", f"s3://{bucket}/", "--json")
    assert erased.exit_code == 0, erased
    assert sorted((e["key"], e["version_id"], e["is_delete_marker"]) for e in erased.json()["entries"]) == held
    assert _held(client, bucket) == []


def test_a_folder_marker_of_one_version_is_erased_not_hidden(versioned_server: tuple[Any, Any, str]) -> None:
    """Fails before the fix on moto and Ceph: the erasure sends the delete of 'cam/' without a version id,
    which adds a delete marker, and then fails (exit 69); the marker's version is still stored."""
    cli, client, bucket = versioned_server
    client.put_object(Bucket=bucket, Key="cam/", Body=b"")
    erased = cli("rm", "-r", "--all-versions", "--yes", f"s3://{bucket}/cam/", "--json")
    assert erased.exit_code == 0, erased
    assert _held(client, bucket) == []
    gone = cli("bucket", "rm", f"s3://{bucket}", "--yes", "--json")
    assert gone.exit_code == 0, gone


def test_more_than_a_page_of_versions_is_listed_and_erased_whole(versioned_server: tuple[Any, Any, str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Failed before the fixes, at 1,100 versions in pages of 1,000: on Ceph `ls --versions` listed 1,000 of
    the 1,100 versions, exit 0 (the next page started after the decoded marker 'cam~0999.jpg'); on Ceph and
    moto `rm -r --all-versions` exited 0 with 100 (Ceph) or 400 (moto) versions still stored. Here pages of
    100 (the max-keys every listing sends) and DeleteObjects of 100 keys, both a tenth of their 1,000: the
    same requests, paging and batches with a tenth of the objects to write and erase (Ceph's case seen
    failing so: 100 of 110 listed). Since listings ask for their next page ahead (s3/listing._Ahead), an
    erasure that deletes while it lists no longer loses moto's next page, at either size."""
    from its_store.s3 import listing
    from its_store.service import versions
    monkeypatch.setattr(listing, "MAX_KEYS", "100")
    monkeypatch.setattr(versions, "BATCH", 100)
    cli, client, bucket = versioned_server
    keys = [f"cam%7E{n:04d}.jpg" for n in range(110)]  # '%7E' decoded is '~', which sorts after every key

    def put(key: str) -> None:
        client.put_object(Bucket=bucket, Key=key, Body=b"frame")
        if key < "cam%7E0030":
            client.delete_object(Bucket=bucket, Key=key)  # a delete marker on 30 of them

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put, keys))
    held = _held(client, bucket)
    assert len(held) == 140
    listed = cli("ls", f"s3://{bucket}/", "--versions", "-r", "--json")
    assert listed.exit_code == 0, listed
    assert sorted((e["key"], e["version_id"], e["is_delete_marker"]) for e in listed.jsonl()) == held
    erased = cli("rm", "-r", "--all-versions", "--yes", f"s3://{bucket}/", "--json")
    left = _held(client, bucket)
    doc = erased.json()
    assert not {(e["key"], e["version_id"]) for e in doc["entries"]} & {(k, v) for k, v, _ in left}
    assert sorted((e["key"], e["version_id"]) for e in doc["errors"]) == [(k, v) for k, v, _ in left]
    assert (erased.exit_code, left) == (0, []), erased


def test_a_delete_marker_asked_for_by_version_is_named_not_called_unsupported(
        versioned_server: tuple[Any, Any, str]) -> None:
    """Fails before the fix on moto: `get`/`stat --version-id MARKER` exit 1 with "the server does not support
    this operation (MethodNotAllowed)": S3 answers a HEAD or GET of a delete marker's version 405 with
    x-amz-delete-marker: true. SeaweedFS and Ceph answer 404 (exit 3, object not found); moto must read the same."""
    cli, client, bucket = versioned_server
    client.put_object(Bucket=bucket, Key="cam/f.jpg", Body=b"frame")
    marker = client.delete_object(Bucket=bucket, Key="cam/f.jpg")["VersionId"]
    for command in (("stat",), ("get", "-")):
        run = cli(command[0], f"s3://{bucket}/cam/f.jpg", *command[1:], "--version-id", marker)
        assert run.exit_code == 3, run
        assert "not support" not in run.stderr and f"s3://{bucket}/cam/f.jpg" in run.stderr, run
