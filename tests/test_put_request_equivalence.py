"""S3Client.put sends its one PUT through `_raw` (the request minio's put_object ends in), not through
put_object: a speed change only. The guard: for the same object and headers, the request that reaches the
server is the one minio's public put_object sends for what put handed it before (same method, target,
body, and every header but the signature's date and the signature itself), and the answer reads the same."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pytest
from faultserver import FaultServer

from its_store.s3.crc import HEADER as CRC_HEADER
from its_store.s3.crc import crc32_of

from conftest import ServerInfo, environment_for

DATA = b"\xff\xd8\xff\xe0" + hashlib.sha256(b"frame").digest() * 3000
CASES: list[dict[str, str]] = [
    {"Content-Type": "image/jpeg", "x-amz-meta-its-type": "video_frame", "x-amz-meta-its-sha256": "ab" * 32},
    {"x-amz-meta-camera_id": "cam-7", "x-amz-tagging": "lane=2&a%20b=c%20d", "Cache-Control": "no-cache",
     "X-Amz-Server-Side-Encryption": "AES256"},
    {"Content-Type": "application/json", "camera": "7", "Content-Encoding": "gzip"},  # a bare name: user metadata
    {"Content-Type": "text/plain", CRC_HEADER: crc32_of(DATA), "x-amz-object-lock-legal-hold": "ON"},
]
UNSIGNED = {"authorization", "x-amz-date"}


def _before(headers: dict[str, str]) -> dict[str, Any]:
    """What put passed to minio's put_object before (its content type apart, a CRC32 unless given)."""
    sent = dict(headers)
    content_type = sent.pop("Content-Type", None) or "application/octet-stream"
    if not any(name.lower().startswith("x-amz-checksum-") for name in sent):
        sent[CRC_HEADER] = crc32_of(DATA)
    return {"content_type": content_type, "metadata": sent}


def _sent(fake: FaultServer) -> tuple[str, str, bytes | None, dict[str, str]]:
    req = fake.requests[-1]
    return req.method, req.target, req.body, {k: v for k, v in req.headers.items() if k not in UNSIGNED}


@pytest.mark.parametrize("headers", CASES)
def test_put_sends_what_put_object_sent(headers: dict[str, str], monkeypatch: pytest.MonkeyPatch,
                                        tmp_path: Path) -> None:
    from its_store import StorageService, load_settings
    names = {"default": "e-default", "video": "e-video", "models": "e-models", "logs": "e-logs"}
    with FaultServer(buckets=("e-default",)) as fake:
        environment_for(ServerInfo(fake.endpoint, "fakeaccess", "fake-secret-key-0123"), names, monkeypatch, tmp_path)
        with StorageService(load_settings(max_retries=0)) as svc:
            written = svc.s3.put("e-default", "cam/f.jpg", DATA, headers)
            ours = _sent(fake)
            answer = svc.s3._minio.put_object(bucket_name="e-default", object_name="cam/f.jpg", data=io.BytesIO(DATA),
                                              length=len(DATA), part_size=5 * 1024 * 1024, **_before(headers))
            theirs = _sent(fake)
    assert ours == theirs
    assert ours[2] == DATA and "x-amz-content-sha256" in ours[3]  # the payload signed, as before
    assert (written.etag, written.version_id) == (answer.etag, answer.version_id)


def test_put_refuses_an_empty_key_as_put_object_did(service: Any, bucket: str) -> None:
    with pytest.raises(ValueError, match="empty"):
        service.s3.put(bucket, "", b"x", {})
    assert service.s3.bucket_exists(bucket)
