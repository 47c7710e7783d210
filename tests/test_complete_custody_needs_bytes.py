"""A Complete whose parts' ETags are no MD5s, its answer lost or NoSuchUpload and the upload gone: custody (an
its-sha256 and size on the object at the key) was the whole proof (s3/multipart._completed_as). That is metadata
any writer can carry: a planted object, or someone else's upload of the same bytes, was believed to be this
upload, and its version id reported (then an encryption check could remove that version). Now a multipart ETag
of another part count is another upload's, the bytes read back must hash to the custody SHA-256, and the version
id the HEAD shows is not reported as this upload's (None, `unchecked: "version"`).

The non-MD5 parts: a multipart server copy on SeaweedFS whose 5 MiB parts cross the source's 8 MiB chunks
(tests/test_complete_proof.py).
"""

from __future__ import annotations

import hashlib
import io
from typing import TYPE_CHECKING, Any

from faultproxy import Seen
from test_complete_proof import _GONE, _copy_through, _is_complete, _source

from its_store import StorageService, load_settings

from conftest import plain_client
from helpers import object_bytes

if TYPE_CHECKING:
    from pathlib import Path

MiB = 1024 * 1024


def _abort_then_gone(s3_server: Any, bucket: str, tmp_path: Path) -> tuple[Any, Any]:
    """An `answer` hook that aborts the upload (another client) and answers its Complete NoSuchUpload itself: the
    upload is gone, and never made an object; and the client that aborts (close it)."""
    aborter = StorageService(load_settings(endpoint=s3_server.endpoint, access_key=s3_server.access_key,
                                           secret_key=s3_server.secret_key, secure=False, region="us-east-1",
                                           cache_dir=tmp_path / "aborter"))

    def answer(seen: Seen) -> bytes | None:
        if not _is_complete(seen):
            return None
        aborter.s3.abort_multipart(bucket, "old/clip.mp4", seen.query["uploadId"])
        return _GONE
    return answer, aborter


def _planted(s3_server: Any, bucket: str, data: bytes, custody_of: bytes, part_size: int) -> str:
    """`data` written at old/clip.mp4 by another client (in parts of `part_size`), carrying the custody of
    `custody_of`; its version id."""
    put = plain_client(s3_server).put_object(
        bucket, "old/clip.mp4", io.BytesIO(data), len(data), part_size=part_size,
        metadata={"its-sha256": hashlib.sha256(custody_of).hexdigest()})
    return str(put.version_id)


def test_a_planted_object_with_the_custody_but_other_bytes_is_not_the_copy(
        s3_server: Any, service: Any, bucket: str, tmp_path: Path) -> None:
    data = _source(service, bucket, seed=81)
    other = bytes(len(data))
    planted = _planted(s3_server, bucket, other, data, 64 * MiB)
    answer, aborter = _abort_then_gone(s3_server, bucket, tmp_path)
    try:
        result = _copy_through(s3_server, bucket, tmp_path, answer=answer)
    finally:
        aborter.close()
    assert result.failed and not result.objects, result
    assert object_bytes(service, bucket, "old/clip.mp4") == other
    assert service.s3.stat(bucket, "old/clip.mp4").version_id == planted  # kept, never reported as the copy


def test_the_same_bytes_in_another_number_of_parts_are_another_upload(
        s3_server: Any, service: Any, bucket: str, tmp_path: Path) -> None:
    """The same bytes and custody, written by another client in 2 parts ("-2"); this copy had 3: not this copy."""
    data = _source(service, bucket, seed=82)
    _planted(s3_server, bucket, data, data, 6 * MiB)
    assert service.s3.stat(bucket, "old/clip.mp4").etag.strip('"').endswith("-2")
    answer, aborter = _abort_then_gone(s3_server, bucket, tmp_path)
    try:
        result = _copy_through(s3_server, bucket, tmp_path, answer=answer)
    finally:
        aborter.close()
    assert result.failed and not result.objects, result


def test_a_lost_answer_proven_by_the_bytes_does_not_claim_the_version(
        s3_server: Any, service: Any, bucket: str, tmp_path: Path) -> None:
    """The copy is made, its answer lost (the upload then gone): the bytes read back prove the key holds the copy,
    but not which writer's version it is: the version id is not reported, and the result says so."""
    data = _source(service, bucket, seed=83)
    result = _copy_through(s3_server, bucket, tmp_path, lose_answer=_is_complete)
    assert not result.failed, result
    stored = service.s3.stat(bucket, "old/clip.mp4")
    assert stored.version_id  # a versioned bucket
    [item] = result.objects
    assert item.etag == stored.etag and item.version_id is None and item.unchecked == "version", item
    assert item.model_dump(mode="json")["version_unproven"] is True  # --json says so in a field of its own
    assert object_bytes(service, bucket, "old/clip.mp4") == data
