"""A single-PUT upload hashes its body once (s3/payload.py): the custody SHA-256 (x-amz-meta-its-sha256) is
the x-amz-content-sha256 the PUT is signed with, not computed again by minio. The guards: minio hashes no
uploaded body any more (each path that makes a Payload: a file of `upload -r`, one file, stdin, bytes), what
is stored, audited and counted is what it was (the file's SHA-256 on the object and on its audit line),
and the request that reaches the server is the one minio's own put_object sends for the same bytes."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import minio.api
import pytest
from faultserver import FaultServer

from its_store.s3.crc import HEADER as CRC_HEADER
from its_store.s3.crc import crc32_of
from its_store.s3.payload import Payload

from conftest import ServerInfo, environment_for
from helpers import audit_lines, random_bytes, write_file


@pytest.fixture
def minio_hashed(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The sizes of the bodies minio hashed for a signature (minio.api.sha256_hash, called by
    Minio._build_headers with the request body; minio's signer hashes its canonical request, a str, apart)."""
    sizes: list[int] = []
    real = minio.api.sha256_hash

    def counted(data: str | bytes | None) -> str:
        if isinstance(data, bytes) and data:
            sizes.append(len(data))
        return real(data)
    monkeypatch.setattr(minio.api, "sha256_hash", counted)
    yield sizes


def test_a_batch_of_frames_is_hashed_once(cli: Any, env: dict[str, str], bucket: str, tmp_path: Path,
                                          minio_hashed: list[int]) -> None:
    frames = [write_file(tmp_path / "frames" / f"f{i}.jpg", 100_000 + i, seed=i) for i in range(5)]
    minio_hashed.clear()  # the bucket's setup
    run = cli("upload", str(tmp_path / "frames"), f"s3://{bucket}/cam/", "-r", "--json")
    assert run.exit_code == 0, run
    assert minio_hashed == []  # before: one 100 KB body per frame, hashed again by minio
    assert run.json()["succeeded"] == 5
    lines = {line["key"]: line for line in audit_lines(env) if line["operation"] == "upload"}
    for frame in frames:
        digest = hashlib.sha256(frame.read_bytes()).hexdigest()
        stat = cli("stat", f"s3://{bucket}/cam/{frame.name}", "--json").json()
        assert stat["sha256"] == digest and stat["size"] == frame.stat().st_size
        assert lines[f"cam/{frame.name}"]["sha256"] == digest and lines[f"cam/{frame.name}"]["result"] == "ok"


def test_one_file_stdin_and_bytes_are_hashed_once(cli: Any, service: Any, bucket: str, tmp_path: Path,
                                                  minio_hashed: list[int]) -> None:
    from its_store.core.models import UploadRequest
    one = write_file(tmp_path / "one.bin", 70_000, seed=3)
    data = random_bytes(12_000, seed=5)  # not compressible: stored as it is
    minio_hashed.clear()
    assert cli("upload", str(one), f"s3://{bucket}/one.bin").exit_code == 0
    assert cli("upload", "-", f"s3://{bucket}/stdin.bin", input=data).exit_code == 0
    service.upload_object(UploadRequest(bucket=bucket, key="bytes.bin", data=data))
    assert not {one.stat().st_size, len(data)} & set(minio_hashed)  # (other requests' small XML bodies apart)
    for key, content in (("one.bin", one.read_bytes()), ("stdin.bin", data), ("bytes.bin", data)):
        assert service.stat_object(bucket, key).sha256 == hashlib.sha256(content).hexdigest()
        assert service.s3.stat(bucket, key).size == len(content)


def test_a_body_sent_without_a_payload_is_still_hashed_by_minio(service: Any, bucket: str,
                                                                minio_hashed: list[int]) -> None:
    """Plain bytes (a registry index, a compressed body): minio hashes them, as before."""
    service.s3.put(bucket, "plain.bin", b"x" * 1000, {})
    assert minio_hashed == [1000]


def test_a_payload_sha256_is_never_a_header(service: Any, bucket: str) -> None:
    with pytest.raises(ValueError, match="Payload"):
        service.s3.put(bucket, "k", b"body", {"X-Amz-Content-Sha256": hashlib.sha256(b"body").hexdigest()})


def test_a_payload_is_the_hash_of_its_bytes() -> None:
    for data in (b"", b"a", b"\x00" * 100_000):
        assert Payload(data).sha256 == hashlib.sha256(data).hexdigest() and Payload(data).data is data


def test_a_payload_hash_cannot_be_replaced() -> None:
    """Neither the hash nor the body of a Payload can be set after it was made (with slots, `p.sha256 = x`
    made the PUT signed, and the custody hash recorded, with a hash that was not the body's); a mutable body
    is copied when hashed, so changing it afterwards changes nothing sent."""
    payload = Payload(b"frame")
    for name, value in (("sha256", hashlib.sha256(b"other").hexdigest()), ("data", b"other")):
        with pytest.raises(AttributeError):
            setattr(payload, name, value)
    with pytest.raises(AttributeError):
        payload.extra = 1  # type: ignore[attr-defined]
    assert payload.data == b"frame" and payload.sha256 == hashlib.sha256(b"frame").hexdigest()
    body = bytearray(b"frame")
    made = Payload(body)  # type: ignore[arg-type]
    body[:] = b"other"
    assert made.data == b"frame" and made.sha256 == hashlib.sha256(made.data).hexdigest()


def test_a_payload_copies_and_pickles_as_the_same_body_and_hash() -> None:
    """A Payload is a tuple: copy, deepcopy and pickle rebuild it from its body (hashed again), as they did
    the slotted class before; tuple's own way handed the (body, hash) pair to the constructor as a body
    (TypeError: 'bytes' object cannot be interpreted as an integer)."""
    import copy
    import pickle
    payload = Payload(b"frame")
    for again in (copy.copy(payload), copy.deepcopy(payload), pickle.loads(pickle.dumps(payload))):
        assert type(again) is Payload and again.data == b"frame" and again.sha256 == payload.sha256


def test_a_payload_of_a_number_is_refused() -> None:
    """Only a bytes-like body is copied into bytes: bytes(3) is three zero bytes, which a Payload made of a
    script's size or count would have sent and signed (hashlib refused a number before it was a tuple)."""
    for wrong in (3, None, "frame"):
        with pytest.raises(TypeError):
            Payload(wrong)  # type: ignore[arg-type]
    assert Payload(memoryview(b"frame")).data == b"frame"  # type: ignore[arg-type]


DATA = b"\xff\xd8\xff\xe0" + hashlib.sha256(b"frame").digest() * 3000
UNSIGNED = {"authorization", "x-amz-date"}


def test_a_payload_put_sends_what_put_object_sends(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Same method, target, body and every header but the signature's date and the signature itself; the
    signed payload hash is the body's SHA-256."""
    from its_store import StorageService, load_settings
    names = {"default": "e-default", "video": "e-video", "models": "e-models", "logs": "e-logs"}
    headers = {"Content-Type": "image/jpeg", "x-amz-meta-its-sha256": hashlib.sha256(DATA).hexdigest()}
    with FaultServer(buckets=("e-default",)) as fake:
        environment_for(ServerInfo(fake.endpoint, "fakeaccess", "fake-secret-key-0123"), names, monkeypatch, tmp_path)
        with StorageService(load_settings(max_retries=0)) as svc:
            svc.s3.put("e-default", "cam/f.jpg", Payload(DATA), headers)
            req = fake.requests[-1]
            ours = (req.method, req.target, req.body, {k: v for k, v in req.headers.items() if k not in UNSIGNED})
            svc.s3._minio.put_object(bucket_name="e-default", object_name="cam/f.jpg", data=io.BytesIO(DATA),
                                     length=len(DATA), part_size=5 * 1024 * 1024, content_type="image/jpeg",
                                     metadata={"x-amz-meta-its-sha256": headers["x-amz-meta-its-sha256"],
                                               CRC_HEADER: crc32_of(DATA)})
            req = fake.requests[-1]
            theirs = (req.method, req.target, req.body, {k: v for k, v in req.headers.items() if k not in UNSIGNED})
    assert ours == theirs
    assert ours[3]["x-amz-content-sha256"] == hashlib.sha256(DATA).hexdigest() and ours[2] == DATA
