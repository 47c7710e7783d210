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


def test_a_server_copy_whose_complete_answer_is_lost_is_never_aborted(s3_server: Any, service: Any, bucket: str,
                                                                     tmp_path: Path) -> None:
    data = random_bytes(11 * MiB, seed=3)
    service.s3.put(bucket, "cam/clip.mp4", data, {})

    def answer(seen: Seen) -> bytes | None:
        complete = seen.method == "POST" and "uploadId" in seen.query
        return response(504, b"<html>gateway timeout</html>", content_type="text/html") if complete else None

    with FaultProxy(int(s3_server.endpoint.rsplit(":", 1)[1]), answer=answer, record=True) as proxy:
        via = _service_via(proxy, s3_server, tmp_path)
        try:
            result = _copy(via, bucket)
        finally:
            via.close()
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

    with FaultProxy(int(s3_server.endpoint.rsplit(":", 1)[1]), answer=answer, record=True) as proxy:
        via = _service_via(proxy, s3_server, tmp_path)
        try:
            result = _copy(via, bucket)
        finally:
            via.close()
        assert result.failed, result
        assert len(_aborts(proxy)) == 1
    assert service.s3.list_multipart_uploads(bucket, "old/") == []
