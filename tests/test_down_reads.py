"""The per-object read (issue 22): a frame's body is taken from its answer in one read, by `get` and by
`verify`, with no read more to find the end (http.client reads nothing past the Content-Length, and
gives the connection back once the last announced byte is in). The bytes are still checked as before."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from its_store.core.models import UploadRequest
from its_store.service import fetch
from its_store.transfer.download import response_to_file
from its_store.transfer.scrub import drain
from tests.helpers import write_file


class Counting:
    """A GET's Body as the download and verify code use it, counting the reads that reach it."""

    def __init__(self, body: Any) -> None:
        self._body, self.headers, self.reads = body, body.headers, 0

    def read(self, amt: int | None = None) -> bytes:
        self.reads += 1
        return self._body.read(amt)

    def readinto(self, buf: Any) -> int:
        self.reads += 1
        return self._body.readinto(buf)

    def close(self) -> None:
        self._body.close()

    def __enter__(self) -> Counting:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _frame(service: Any, bucket: str, tmp_path: Path) -> bytes:
    data = write_file(tmp_path / "frame.jpg", 100_000, seed=22).read_bytes()
    service.upload_object(UploadRequest(bucket=bucket, key="f/frame.jpg", file_path=tmp_path / "frame.jpg"))
    return data


def test_a_frame_is_written_from_one_read(service: Any, bucket: str, tmp_path: Path) -> None:
    data = _frame(service, bucket, tmp_path)
    for attempt in range(2):  # the second GET reuses the connection the first gave back
        answer = fetch.open_answer(service.ctx, bucket, "f/frame.jpg", None, raw=False)
        assert answer is not None
        answer.head.sha256 = answer.meta.get("its-sha256")
        body = Counting(answer.body)
        target = tmp_path / f"got-{attempt}.jpg"
        assert response_to_file(body, answer.head, target, custody=True) is True  # CRC32 and its-sha256
        assert target.read_bytes() == data
        assert body.reads == 1


def test_verify_hashes_a_frame_from_one_read(service: Any, bucket: str, tmp_path: Path) -> None:
    data = _frame(service, bucket, tmp_path)
    sha = hashlib.sha256()
    with service.ctx.s3.get(bucket, "f/frame.jpg") as got:
        body = Counting(got)
        assert drain(body, sha.update, "the frame", len(data)) == len(data)
    assert sha.digest() == hashlib.sha256(data).digest()
    assert body.reads == 1
