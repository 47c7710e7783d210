"""Session 37 (gaps): what proves that a CompleteMultipartUpload made the object, when the parts' ETags are no MD5s.

Where every part's ETag is an MD5, the multipart ETag they make (MD5 of the MD5s, "-N") is known before the
answer: an answer naming it is proof, anything else is HEADed. Where one is not (SSE-C and SSE-KMS on S3 and
MinIO; on SeaweedFS an UploadPartCopy whose range crosses the source's chunks answers "<md5>-2"), no ETag can
be computed: the answer to the Complete was believed without a HEAD, whatever it named (another upload's
answer passed on by a proxy: success claimed, no object), and a lost answer (a 503, a connection closed after
the server completed it) was HEADed without the upload's custody, so an object stored whole was reported as
failed. Now such an answer is HEADed, and the upload's custody (its-sha256 and size, which a multipart copy sends
again from its source) on the object is the proof. Where a HEAD decided, the SSE headers reported are that HEAD's,
never those of an answer that was lost or not this upload's.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy, Seen
from faultserver import response

from helpers import object_bytes, random_bytes, write_file

MiB = 1024 * 1024


def _is_complete(seen: Seen) -> bool:
    return seen.method == "POST" and "uploadId" in seen.query


def _result(bucket: str, key: str, etag: str, headers: dict[str, str] | None = None) -> bytes:
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUploadResult '
            f'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Location>http://x/{bucket}/{key}</Location>'
            f"<Bucket>{bucket}</Bucket><Key>{key}</Key><ETag>{etag and '&quot;' + etag + '&quot;'}</ETag>"
            "</CompleteMultipartUploadResult>").encode()
    return response(200, body, content_type="application/xml", headers=headers)


_UNAVAILABLE = response(503, b"<html>service unavailable</html>", content_type="text/html")


def _source(service: Any, bucket: str, seed: int) -> bytes:
    """An 11 MiB object stored by one PUT with its custody SHA-256: SeaweedFS keeps it in 8 MiB chunks, so
    5 MiB copy parts cross one and the second part's ETag is no MD5."""
    data = random_bytes(11 * MiB, seed=seed)
    service.s3.put(bucket, "cam/clip.mp4", data, {"x-amz-meta-its-sha256": hashlib.sha256(data).hexdigest()})
    return data


def _copy_through(s3_server: Any, bucket: str, tmp_path: Path, **hooks: Any) -> Any:
    """cam/clip.mp4 copied to old/clip.mp4 by a multipart server copy through a FaultProxy with `hooks`."""
    from its_store import StorageService, load_settings
    from its_store.sync.copy import Copier
    with FaultProxy(int(s3_server.endpoint.rsplit(":", 1)[1]), **hooks) as proxy:
        via = StorageService(load_settings(endpoint=proxy.endpoint, access_key=s3_server.access_key,
                                           secret_key=s3_server.secret_key, secure=False, region="us-east-1",
                                           cache_dir=tmp_path / "state", max_retries=0))
        try:
            return Copier(via, copy_threshold=5 * MiB, copy_part_size=5 * MiB).copy(
                f"s3://{bucket}/cam/clip.mp4", f"s3://{bucket}/old/clip.mp4")
        finally:
            via.close()


@pytest.mark.parametrize("loss", ["503", "connection-closed"])
def test_a_server_copy_whose_complete_answer_is_lost_is_proven_by_custody(s3_server: Any, service: Any, bucket: str,
                                                                         tmp_path: Path, loss: str) -> None:
    """The Complete reaches the server (the copy is made); its answer is lost: replaced by a 503, or the
    connection closed without it. Failed before (no multipart ETag to look for, and the HEAD looked for
    nothing else): now the copy's custody on the object proves it, the copy succeeds with the object's ETag."""
    data = _source(service, bucket, seed=71)
    hooks = ({"replace_answer": lambda seen: _UNAVAILABLE if _is_complete(seen) else None} if loss == "503"
             else {"lose_answer": _is_complete})
    result = _copy_through(s3_server, bucket, tmp_path, **hooks)
    assert not result.failed, result
    stored = service.s3.stat(bucket, "old/clip.mp4")
    assert [item.etag for item in result.objects] == [stored.etag], result
    assert object_bytes(service, bucket, "old/clip.mp4") == data


def test_a_server_copy_answered_for_another_upload_claims_nothing(s3_server: Any, service: Any, bucket: str,
                                                                 tmp_path: Path) -> None:
    """The proxy answers the Complete itself with another upload's result (the copy is never completed).
    Believed before: the copy was a success naming that ETag, with no object at the key. Now: failed, nothing
    claimed, no object."""
    from its_store.core import errors as E
    _source(service, bucket, seed=72)
    canned = _result(bucket, "old/clip.mp4", "0123456789abcdef0123456789abcdef-3")
    result = _copy_through(s3_server, bucket, tmp_path, answer=lambda seen: canned if _is_complete(seen) else None)
    assert result.failed, result
    with pytest.raises(E.NotFoundError):
        service.s3.stat(bucket, "old/clip.mp4")


def test_a_server_copy_answered_with_another_etag_takes_the_objects(s3_server: Any, service: Any, bucket: str,
                                                                   tmp_path: Path) -> None:
    """The Complete makes the copy; the proxy passes on another upload's ETag. The object shows the copy's
    custody: a success with the object's ETag, not the answer's (claimed before)."""
    data = _source(service, bucket, seed=73)
    canned = _result(bucket, "old/clip.mp4", "0123456789abcdef0123456789abcdef-3")
    result = _copy_through(s3_server, bucket, tmp_path,
                           replace_answer=lambda seen: canned if _is_complete(seen) else None)
    assert not result.failed, result
    stored = service.s3.stat(bucket, "old/clip.mp4")
    assert [item.etag for item in result.objects] == [stored.etag] != ["0123456789abcdef0123456789abcdef-3"], result
    assert object_bytes(service, bucket, "old/clip.mp4") == data


def _unencrypted(method: str, head: bytes) -> bytes:
    """A head_of hook: the SSE headers taken off every HEAD's answer (a server that stored it in clear)."""
    if method != "HEAD":
        return head
    return b"\r\n".join(line for line in head.split(b"\r\n")
                         if not line.lower().startswith(b"x-amz-server-side-encryption"))


_GONE = response(404, b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>The '
                      b"specified upload does not exist.</Message></Error>", content_type="application/xml")


def _upload(s3_server: Any, cli: Any, bucket: str, src: Path, canned: bytes, *, asked: bool, **hooks: Any) -> Any:
    """`upload --json` of `src` in 3 parts through a FaultProxy that replaces the Complete's answer by `canned`
    (the object is made); SSE-S3 asked (the default) or not (MINIO_ENABLE_ENCRYPTION=false)."""
    with FaultProxy(int(s3_server.endpoint.rsplit(":", 1)[1]), **hooks,
                    replace_answer=lambda seen: canned if _is_complete(seen) else None) as proxy:
        done = cli("upload", str(src), f"s3://{bucket}/clip.mp4", "--part-size", "5MiB", "--json",
                   extra_env={"MINIO_ENDPOINT": proxy.endpoint, "MINIO_MAX_RETRIES": "0",
                              "MINIO_MAX_POOL_CONNECTIONS": "2", "MINIO_MAX_WORKERS": "2",
                              **({} if asked else {"MINIO_ENABLE_ENCRYPTION": "false"})})
        assert proxy.counters.replaced == 1
    return done


def test_a_lost_answer_does_not_hide_the_encryption_the_object_has(s3_server: Any, cli: Any, service: Any,
                                                                   bucket: str, tmp_path: Path) -> None:
    """No encryption asked; the bucket encrypts by default (SSE-S3). The Complete makes the object and the answer
    passed on is NoSuchUpload: the HEAD shows the object made, encrypted. `encryption` was null (the lost
    answer's headers: none); now the HEAD's, "SSE-S3"."""
    assert cli("bucket", "encryption", "set", f"s3://{bucket}").exit_code == 0
    src = write_file(tmp_path / "clip.mp4", 11 * MiB, seed=74)
    done = _upload(s3_server, cli, bucket, src, _GONE, asked=False)
    assert done.exit_code == 0, done
    assert service.s3.stat(bucket, "clip.mp4").metadata.get("x-amz-server-side-encryption") == "AES256"
    assert done.json()["encryption"] == "SSE-S3", done.json()
    assert object_bytes(service, bucket, "clip.mp4") == src.read_bytes()


@pytest.mark.parametrize("asked", [False, True], ids=["not-asked", "sse-s3-asked"])
def test_an_unproven_answer_vouches_for_no_encryption(s3_server: Any, cli: Any, service: Any, bucket: str,
                                                      tmp_path: Path, asked: bool) -> None:
    """radosgw's empty <ETag> form, saying AES256 and naming a version: the object is HEADed (it shows the parts'
    multipart ETag: made), and nothing shows the answer to be this upload's. The object is stored in clear
    (nothing asked), or its HEAD shows it so (SSE-S3 asked; the proxy takes the SSE headers off every HEAD's
    answer). Before: "SSE-S3" reported, exit 0, both times, with the answer's version id. Now the HEAD's: no
    encryption and the object's version; where SSE-S3 was asked, it is not kept (exit 78, encryption_not_kept),
    as where the answer is another upload's (tests/test_s36_atk2_complete_answer)."""
    src = write_file(tmp_path / "clip.mp4", 11 * MiB, seed=75)
    canned = _result(bucket, "clip.mp4", "", {"x-amz-server-side-encryption": "AES256",
                                              "x-amz-version-id": "another-upload-s"})
    done = _upload(s3_server, cli, bucket, src, canned, asked=asked, **({"head_of": _unencrypted} if asked else {}))
    if asked:
        assert done.exit_code == 78 and done.json()["error"]["code"] == "encryption_not_kept", done
        return
    assert done.exit_code == 0, done
    stored = service.s3.stat(bucket, "clip.mp4")
    assert stored.metadata.get("x-amz-server-side-encryption") is None
    assert done.json()["encryption"] is None, done.json()
    assert done.json()["version_id"] == stored.version_id != "another-upload-s", done.json()  # nor its version
    assert object_bytes(service, bucket, "clip.mp4") == src.read_bytes()


def test_a_server_copy_whose_read_back_is_denied_stands_on_its_answer(s3_server: Any, service: Any, bucket: str,
                                                                      tmp_path: Path, caplog: Any) -> None:
    """A key that may write the copy but not read it back (every HEAD of old/clip.mp4 after the Complete answered
    403): nothing but the answer can tell, so it is taken as before this check (a success with its ETag), and
    that ETag is said to be unchecked, never an error for a copy the server made."""
    import logging
    data = _source(service, bucket, seed=76)
    completed: list[bool] = []
    denied = response(403, b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access '
                           b"Denied</Message></Error>", content_type="application/xml",
                      headers={"x-amz-request-id": "denied-1"})

    def answer(seen: Seen) -> bytes | None:
        if _is_complete(seen):
            completed.append(True)
        return denied if completed and seen.method == "HEAD" and seen.path.endswith("/old/clip.mp4") else None

    with caplog.at_level(logging.WARNING, logger="its_store.s3"):
        result = _copy_through(s3_server, bucket, tmp_path, answer=answer)
    assert not result.failed, result
    assert [item.etag for item in result.objects] == [service.s3.stat(bucket, "old/clip.mp4").etag], result
    assert "unchecked" in caplog.text, caplog.text
    assert object_bytes(service, bucket, "old/clip.mp4") == data
