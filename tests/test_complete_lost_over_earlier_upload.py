"""A CompleteMultipartUpload whose answer is lost, at a key that already holds an earlier upload of the same bytes.

After a lost answer the object at the key is HEADed for proof: the multipart ETag the parts make (MD5 parts) or
this upload's custody (its-sha256 and size, where a part's ETag is no MD5: SSE-C). A re-run of the same file
stores the same bytes with the same part size: the earlier object shows both. So a Complete that never reached
the server (a proxy's 503) was "proven" by the earlier object: exit 0 with the earlier object's version id, this
upload left open on the server (its parts kept, never aborted). Now a lost answer first asks whether this upload
is still open (ListParts): still open, the Complete never ran and is sent again; gone, the HEAD is the proof.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy, Seen
from faultserver import response
from test_complete_proof import _copy_through, _source
from test_encryption import new_key

from helpers import object_bytes, write_file

MiB = 1024 * 1024
_UNAVAILABLE = response(503, b"<html>service unavailable</html>", content_type="text/html")


def _is_complete(seen: Seen) -> bool:
    return seen.method == "POST" and "uploadId" in seen.query


def _first_complete_unavailable(held: list[Seen]) -> Any:
    """An `answer` hook: the first Complete answered 503 by the proxy (never forwarded, kept in `held`), every
    other request forwarded."""
    def answer(seen: Seen) -> bytes | None:
        if _is_complete(seen) and not held:
            held.append(seen)
            return _UNAVAILABLE
        return None
    return answer


def _upload(cli: Any, bucket: str, src: Path, sse: list[str], endpoint: str | None = None) -> Any:
    return cli("upload", str(src), f"s3://{bucket}/clip.mp4", "--part-size", "5MiB", "--json", *sse,
               extra_env={"MINIO_MAX_RETRIES": "0", **({"MINIO_ENDPOINT": endpoint} if endpoint else {})})


def _sse(kind: str, tmp_path: Path) -> list[str]:
    if kind == "plain":
        return []
    key_file = tmp_path / "sse.key"
    new_key(key_file)
    key_file.chmod(0o600)
    return ["--sse", "c", "--sse-c-key-file", str(key_file)]


@pytest.mark.parametrize("kind", ["plain", "sse-c"])
def test_a_complete_lost_before_the_server_is_sent_again_not_proven_by_the_earlier_upload(
        s3_server: Any, cli: Any, service: Any, bucket: str, tmp_path: Path, kind: str) -> None:
    """The second upload's first Complete is answered 503 by the proxy, never forwarded. Before: exit 0 with the
    FIRST upload's version id, the second upload still open. Now: it is still open, so it is completed (the
    Complete sent once more, forwarded): exit 0 with a new version, the key's newest, nothing left open."""
    sse = _sse(kind, tmp_path)
    src = write_file(tmp_path / "clip.mp4", 11 * MiB, seed=81)
    first = _upload(cli, bucket, src, sse)
    assert first.exit_code == 0, first
    held: list[Seen] = []
    answer = _first_complete_unavailable(held)

    with FaultProxy(int(s3_server.endpoint.rsplit(":", 1)[1]), answer=answer) as proxy:
        second = _upload(cli, bucket, src, sse, proxy.endpoint)
        assert proxy.counters.answered == 1
    assert second.exit_code == 0, second
    newest = service.s3.stat(bucket, "clip.mp4", None, _headers(kind, tmp_path))
    assert second.json()["version_id"] == newest.version_id != first.json()["version_id"], second.json()
    assert [k for k, _ in service.s3.list_multipart_uploads(bucket, "clip.mp4")] == []
    if kind == "plain":
        assert object_bytes(service, bucket, "clip.mp4") == src.read_bytes()


def test_a_complete_never_forwarded_fails_and_claims_no_version(s3_server: Any, cli: Any, service: Any, bucket: str,
                                                                tmp_path: Path) -> None:
    """Every Complete of the second upload answered 503 by the proxy (the first one and the one sent again): the
    upload is still open after both, nothing proves it. Before: exit 0 naming the first upload's version. Now:
    the 503 stands (exit 69), and the key's newest version is still the first upload's."""
    src = write_file(tmp_path / "clip.mp4", 11 * MiB, seed=82)
    first = _upload(cli, bucket, src, [])
    assert first.exit_code == 0, first
    with FaultProxy(int(s3_server.endpoint.rsplit(":", 1)[1]),
                    answer=lambda seen: _UNAVAILABLE if _is_complete(seen) else None) as proxy:
        second = _upload(cli, bucket, src, [], proxy.endpoint)
        assert proxy.counters.answered == 2  # the Complete, and once more after ListParts found it open
    assert second.exit_code == 69, second
    assert service.s3.stat(bucket, "clip.mp4").version_id == first.json()["version_id"]


def test_a_complete_refused_when_sent_again_leaves_the_upload_open(s3_server: Any, cli: Any, service: Any,
                                                                   bucket: str, tmp_path: Path) -> None:
    """The second upload's first Complete answered 503 (never forwarded), the one sent again refused (InvalidPart,
    answered by the proxy): the run fails with the first answer's error (the server unavailable, exit 69) and
    claims no version; the upload is NOT aborted (the first Complete might still be running behind a gateway that
    gave up on it, and on SeaweedFS an abort meanwhile deletes the completed object's data): it stays listed, for
    --resume or the lifecycle rule. Before: exit 0 naming the first upload's version."""
    src = write_file(tmp_path / "clip.mp4", 11 * MiB, seed=84)
    first = _upload(cli, bucket, src, [])
    assert first.exit_code == 0, first
    refusal = response(400, b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InvalidPart</Code><Message>One or '
                            b"more of the specified parts could not be found.</Message></Error>",
                       content_type="application/xml")
    completes: list[Seen] = []

    def answer(seen: Seen) -> bytes | None:
        if not _is_complete(seen):
            return None
        completes.append(seen)
        return _UNAVAILABLE if len(completes) == 1 else refusal

    with FaultProxy(int(s3_server.endpoint.rsplit(":", 1)[1]), answer=answer) as proxy:
        second = _upload(cli, bucket, src, [], proxy.endpoint)
    assert len(completes) == 2 and second.exit_code == 69, second  # the first answer's: the server unavailable
    assert "version_id" not in second.json(), second.json()
    left = [upload_id for k, upload_id in service.s3.list_multipart_uploads(bucket, "clip.mp4") if k == "clip.mp4"]
    assert len(left) == 1, left  # not aborted
    service.s3.abort_multipart(bucket, "clip.mp4", left[0])
    assert service.s3.stat(bucket, "clip.mp4").version_id == first.json()["version_id"]


def test_a_server_copy_whose_complete_never_ran_is_not_proven_by_the_earlier_copy(s3_server: Any, service: Any,
                                                                                  bucket: str, tmp_path: Path) -> None:
    """Parts whose ETags are no MD5s (SeaweedFS's UploadPartCopy across the source's chunks): custody is the proof.
    The same copy made twice; the second's first Complete answered 503 by the proxy, never forwarded. Before: a
    success with the first copy's version (its custody is the same). Now: the upload is still open, so the Complete
    is sent again: a success with the new version, the key's newest, nothing left open."""
    data = _source(service, bucket, seed=83)
    first = _copy_through(s3_server, bucket, tmp_path)
    assert not first.failed, first
    held: list[Seen] = []
    answer = _first_complete_unavailable(held)

    second = _copy_through(s3_server, bucket, tmp_path, answer=answer)
    assert held and not second.failed, second
    newest = service.s3.stat(bucket, "old/clip.mp4")
    assert [o.version_id for o in second.objects] == [newest.version_id] != [o.version_id for o in first.objects]
    assert [k for k, _ in service.s3.list_multipart_uploads(bucket, "old/")] == []
    assert object_bytes(service, bucket, "old/clip.mp4") == data


def _headers(kind: str, tmp_path: Path) -> dict[str, str] | None:
    if kind == "plain":
        return None
    import base64
    import hashlib
    key = (tmp_path / "sse.key").read_bytes()
    return {"x-amz-server-side-encryption-customer-algorithm": "AES256",
            "x-amz-server-side-encryption-customer-key": base64.b64encode(key).decode(),
            "x-amz-server-side-encryption-customer-key-MD5": base64.b64encode(hashlib.md5(key).digest()).decode()}


def test_a_lost_answer_with_the_parts_listing_denied_is_proven_by_the_object_as_before(
        s3_server: Any, cli: Any, service: Any, bucket: str, tmp_path: Path) -> None:
    """A key without s3:ListMultipartUploadParts (every ListParts answered 403 by the proxy); the Complete reaches
    the server, its answer is lost. Whether the upload is still open cannot be asked: the object alone decides, as
    before that check (exit 0 with the object's version), and the warning says so. Without this fallback the 503
    stood (exit 69) for an object stored whole."""
    src = write_file(tmp_path / "clip.mp4", 11 * MiB, seed=85)
    denied = response(403, b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access '
                           b"Denied</Message></Error>", content_type="application/xml")
    with FaultProxy(int(s3_server.endpoint.rsplit(":", 1)[1]), lose_answer=_is_complete,
                    answer=lambda seen: denied if seen.method == "GET" and "uploadId" in seen.query else None) as proxy:
        run = _upload(cli, bucket, src, [], proxy.endpoint)
        assert proxy.counters.lost == 1 and proxy.counters.answered == 1
    assert run.exit_code == 0, run
    assert run.json()["version_id"] == service.s3.stat(bucket, "clip.mp4").version_id, run.json()
    assert "s3:ListMultipartUploadParts" in run.stderr, run.stderr
    assert object_bytes(service, bucket, "clip.mp4") == src.read_bytes()
