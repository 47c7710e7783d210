"""A Complete whose answer is lost or NoSuchUpload, on a server whose HEAD shows no multipart ETag (s3/multipart.py).

`rclone serve s3` answers a Complete with the "-N" multipart ETag the parts make, but its HEAD and listings show a
plain MD5 of the whole content. Where every part's ETag is an MD5, that "-N" was the only proof taken: a lost answer
(or NoSuchUpload passed on by a proxy that re-sent the POST) ended exit 3 "object not found" for an object stored
whole. Now, once this upload is known gone (ListParts answers NoSuchUpload: completed or aborted), the upload's
custody (its-sha256 and size) on a HEAD that shows no "-N" ETag is the proof, as for parts whose ETags are no
MD5s; a HEAD showing another "-N" ETag is still not this upload (tests/test_s35_complete_resent.py), and an upload
still open is never proven by an object already at the key (tests/test_atk35c_complete_proof.py). A Complete that
fails so never says "not found" of an object that is there.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy, Seen
from faultserver import response

from conftest import plain_client, unique
from helpers import write_file

MiB = 1024 * 1024
_GONE = response(404, b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>The '
                      b"specified upload does not exist.</Message></Error>", content_type="application/xml")


def _is_complete(seen: Seen) -> bool:
    return seen.method == "POST" and "uploadId" in seen.query


def _upload(server: Any, object_cli: Any, src: Path, **hooks: Any) -> tuple[Any, str, FaultProxy]:
    """`upload --json` of `src` in 5 MiB parts to a new bucket through a FaultProxy with `hooks`: (the run, the
    bucket, the proxy)."""
    bucket = unique("b")
    plain_client(server).make_bucket(bucket)
    with FaultProxy(int(server.endpoint.rpartition(":")[2]), **hooks) as proxy:
        run = object_cli("upload", str(src), f"s3://{bucket}/clip.mp4", "--part-size", "5MiB", "--json",
                         extra_env={"MINIO_ENDPOINT": proxy.endpoint, "MINIO_MAX_RETRIES": "0"})
    return run, bucket, proxy


def _stored(server: Any, bucket: str) -> tuple[bytes, str]:
    """The bytes and ETag of s3://bucket/clip.mp4, read with a plain client."""
    client = plain_client(server)
    resp = client.get_object(bucket, "clip.mp4")
    try:
        data = resp.read()
    finally:
        resp.close()
        resp.release_conn()
    return data, client.stat_object(bucket, "clip.mp4").etag


@pytest.mark.parametrize("object_server", ["rclone"], indirect=True)
@pytest.mark.parametrize("fault", ["no-such-upload", "lost"])
def test_a_made_object_whose_head_shows_a_plain_md5_is_proven_by_custody(
        object_server: Any, object_cli: Any, tmp_path: Path, fault: str) -> None:
    """The Complete reaches rclone (the object is made); its answer is replaced by NoSuchUpload, or lost (the
    connection closed): exit 0, the object's ETag as its HEAD shows it, its bytes whole."""
    src = write_file(tmp_path / "clip.mp4", 11 * MiB, seed=91)
    hooks = ({"replace_answer": lambda seen: _GONE if _is_complete(seen) else None} if fault == "no-such-upload"
             else {"lose_answer": _is_complete})
    run, bucket, proxy = _upload(object_server, object_cli, src, **hooks)
    assert proxy.counters.replaced + proxy.counters.lost == 1
    assert run.exit_code == 0, run
    data, etag = _stored(object_server, bucket)
    assert data == src.read_bytes()
    assert run.json()["etag"] == etag and "-" not in etag, (run.json(), etag)


@pytest.mark.parametrize("object_server", ["rclone"], indirect=True)
def test_an_earlier_object_with_the_custody_does_not_prove_an_open_upload(
        object_server: Any, object_cli: Any, tmp_path: Path) -> None:
    """Another object at the key already carries this upload's custody (other bytes of the same size); the
    proxy answers the Complete NoSuchUpload itself (it never ran, the upload is still open): not proven, exit 3,
    the other object kept, and the line does not say the object is not found (one is there)."""
    import io
    src = write_file(tmp_path / "clip.mp4", 11 * MiB, seed=92)
    other = bytes(11 * MiB)
    bucket = unique("b")
    client = plain_client(object_server)
    client.make_bucket(bucket)
    client.put_object(bucket, "clip.mp4", io.BytesIO(other), len(other),
                      metadata={"its-sha256": hashlib.sha256(src.read_bytes()).hexdigest()})
    with FaultProxy(int(object_server.endpoint.rpartition(":")[2]),
                    answer=lambda seen: _GONE if _is_complete(seen) else None) as proxy:
        run = object_cli("upload", str(src), f"s3://{bucket}/clip.mp4", "--part-size", "5MiB",
                         extra_env={"MINIO_ENDPOINT": proxy.endpoint, "MINIO_MAX_RETRIES": "0"})
    assert run.exit_code == 3 and "Traceback" not in run.stderr, run
    assert "not found" not in run.stderr, run.stderr
    assert _stored(object_server, bucket)[0] == other


@pytest.mark.parametrize("object_server", ["rclone"], indirect=True)
def test_an_object_with_the_custody_but_other_bytes_does_not_prove_an_aborted_upload(
        object_server: Any, object_cli: Any, tmp_path: Path) -> None:
    """Another object at the key carries this upload's custody over other bytes of the same size (a stale copy
    another tool rewrote, metadata carried over), and the upload is aborted before its Complete, which is answered
    NoSuchUpload: the upload is gone and the custody shown, but the bytes read back are not this upload's: exit
    3, the other object kept (never reported as this upload, nor removed)."""
    import io

    from its_store import StorageService, load_settings
    src = write_file(tmp_path / "clip.mp4", 11 * MiB, seed=93)
    other = bytes(11 * MiB)
    bucket = unique("b")
    client = plain_client(object_server)
    client.make_bucket(bucket)
    client.put_object(bucket, "clip.mp4", io.BytesIO(other), len(other),
                      metadata={"its-sha256": hashlib.sha256(src.read_bytes()).hexdigest()})
    aborter = StorageService(load_settings(endpoint=object_server.endpoint, access_key=object_server.access_key,
                                           secret_key=object_server.secret_key, secure=False, region="us-east-1",
                                           cache_dir=tmp_path / "aborter"))

    def abort_then_gone(seen: Seen) -> bytes | None:
        if not _is_complete(seen):
            return None
        aborter.s3.abort_multipart(bucket, "clip.mp4", seen.query["uploadId"])
        return _GONE

    try:
        with FaultProxy(int(object_server.endpoint.rpartition(":")[2]), answer=abort_then_gone) as proxy:
            run = object_cli("upload", str(src), f"s3://{bucket}/clip.mp4", "--part-size", "5MiB",
                             extra_env={"MINIO_ENDPOINT": proxy.endpoint, "MINIO_MAX_RETRIES": "0"})
            assert proxy.counters.answered == 1
    finally:
        aborter.close()
    assert run.exit_code == 3 and "Traceback" not in run.stderr, run
    assert "not found" not in run.stderr, run.stderr
    assert _stored(object_server, bucket)[0] == other
