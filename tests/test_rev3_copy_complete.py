"""Session 34 review (rev3): a multipart server copy whose CompleteMultipartUpload may have been sent is never aborted.

A server copy above the copy threshold went through minio's compose_object, which aborts the upload on ANY
error, the one of its CompleteMultipartUpload included (a gateway's 504, a timeout, an answer it cannot read):
on SeaweedFS an abort that lands while the completion runs deletes the chunks the completed object is built
from (transfer/resume.py's docstring). Uploads and relays stopped doing that (resume.UploadJournal.completing);
the server copy did not. Now its Complete is never followed by an abort unless the server refused it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy, Seen
from faultserver import response

from helpers import random_bytes

MiB = 1024 * 1024


def _service_via(proxy: FaultProxy, server: Any, tmp_path: Path) -> Any:
    from its_store import StorageService, load_settings
    return StorageService(load_settings(endpoint=proxy.endpoint, access_key=server.access_key,
                                        secret_key=server.secret_key, secure=False, region="us-east-1",
                                        cache_dir=tmp_path / "state", max_retries=0))


def _copy(service: Any, bucket: str) -> Any:
    from its_store.sync.copy import Copier
    return Copier(service, copy_threshold=5 * MiB, copy_part_size=5 * MiB).copy(
        f"s3://{bucket}/cam/clip.mp4", f"s3://{bucket}/old/clip.mp4")


def _aborts(proxy: FaultProxy) -> list[Seen]:
    return proxy.requests_to("DELETE", lambda seen: "uploadId" in seen.query)


def _copy_through(s3_server: Any, bucket: str, tmp_path: Path, answer: Any) -> tuple[FaultProxy, Any]:
    """The copy run through a recording FaultProxy that answers as `answer` says: (the proxy, the result)."""
    with FaultProxy(int(s3_server.endpoint.rsplit(":", 1)[1]), answer=answer, record=True) as proxy:
        via = _service_via(proxy, s3_server, tmp_path)
        try:
            return proxy, _copy(via, bucket)
        finally:
            via.close()


def test_a_server_copy_whose_complete_answer_is_lost_is_never_aborted(s3_server: Any, service: Any, bucket: str,
                                                                     tmp_path: Path) -> None:
    data = random_bytes(11 * MiB, seed=3)
    service.s3.put(bucket, "cam/clip.mp4", data, {})

    def answer(seen: Seen) -> bytes | None:
        complete = seen.method == "POST" and "uploadId" in seen.query
        return response(504, b"<html>gateway timeout</html>", content_type="text/html") if complete else None

    proxy, result = _copy_through(s3_server, bucket, tmp_path, answer)
    assert result.failed, result
    assert proxy.requests_to("POST", lambda seen: "uploadId" in seen.query)  # Complete was asked
    assert not _aborts(proxy), [seen.query for seen in _aborts(proxy)]


def test_a_server_copy_whose_complete_is_refused_is_aborted(s3_server: Any, service: Any, bucket: str,
                                                           tmp_path: Path) -> None:
    """The server's own refusal (an S3 <Error>: the upload was not completed): the parts are aborted as before."""
    data = random_bytes(11 * MiB, seed=4)
    service.s3.put(bucket, "cam/clip.mp4", data, {})

    def answer(seen: Seen) -> bytes | None:
        if seen.method == "POST" and "uploadId" in seen.query:
            return response(400, b"<?xml version=\"1.0\"?><Error><Code>InvalidPart</Code><Message>no</Message>"
                                 b"<RequestId>r1</RequestId></Error>", content_type="application/xml",
                            headers={"x-amz-request-id": "r1"})
        return None

    proxy, result = _copy_through(s3_server, bucket, tmp_path, answer)
    assert result.failed, result
    assert len(_aborts(proxy)) == 1
    assert service.s3.list_multipart_uploads(bucket, "old/") == []


@pytest.mark.parametrize("key", ["d\\f2", "d//f2"], ids=["backslash", "empty-segment"])
def test_a_presigned_delete_of_a_key_the_server_reads_as_another_is_refused(service: Any, bucket: str,
                                                                           key: str) -> None:
    """`service.presign(B, 'd\\f2', method='DELETE')` signed a URL that, on SeaweedFS, deletes s3://B/d/f2 (the
    server reads the key as that one): the rm of that name refuses it (heads.not_another), the URL did not.
    Not found now, no URL; s3://B/d/f2 stays."""
    import urllib.request

    from its_store.core import errors as E
    service.s3.put(bucket, "d/f2", b"the original", {})
    try:
        signed = service.presign(bucket, key, 60, "DELETE")
    except E.ObjectNotFoundError:
        signed = None
    if signed is not None:
        urllib.request.urlopen(urllib.request.Request(signed.url, method="DELETE")).close()
    body = service.s3.get(bucket, "d/f2")
    try:
        assert body.read() == b"the original"
    finally:
        body.close()
    assert signed is None
