"""Transfer engine correctness at the edges, against the real server (threshold is 5 MiB here)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from its_store.transfer.parts import MAX_PARTS, MiB, choose_part_size

from conftest import SMALL_THRESHOLD
from helpers import random_bytes, write_file

T = SMALL_THRESHOLD


@pytest.mark.parametrize("size", [0, 1, T - 1, T, T + 1, 3 * T + 12_345])
def test_upload_download_sizes(cli, bucket, tmp_path: Path, size):
    src = write_file(tmp_path / "src.bin", size, seed=size)
    up = cli("upload", str(src), f"s3://{bucket}/obj", "--json", "--part-size", "5MiB")
    assert up.exit_code == 0, up
    doc = up.json()
    assert doc["total_size"] == size
    assert doc["multipart"] is (size >= T)
    if size >= T:
        assert doc["parts"] == -(-size // T)
    down = cli("get", f"s3://{bucket}/obj", "dst.bin", "--json")
    assert down.exit_code == 0, down
    assert down.json()["verified"] is True
    assert hashlib.sha256((tmp_path / "dst.bin").read_bytes()).digest() == hashlib.sha256(src.read_bytes()).digest()
    assert [p.name for p in tmp_path.iterdir() if ".its-tmp" in p.name] == []


def test_parallel_ranged_download_of_foreign_multipart(cli, bucket, service, tmp_path: Path):
    """An object with no part-size metadata is still fetched in parallel ranges, byte for byte."""
    data = random_bytes(2 * T + 777, seed=5)
    src = tmp_path / "foreign.bin"
    src.write_bytes(data)
    from its_store.s3.client import object_headers
    from its_store.transfer.upload import upload_file
    upload_file(service.s3, bucket, "foreign", src, object_headers("application/octet-stream", {}, {}),
                threshold=T, part_size=T, workers=3)
    run = cli("get", f"s3://{bucket}/foreign", "out.bin", "--workers", "4", "--json")
    assert run.exit_code == 0, run
    assert (tmp_path / "out.bin").read_bytes() == data


def test_stdin_streaming_multipart_and_stdout(cli, bucket):
    data = random_bytes(2 * T + 4242, seed=8)
    up = cli("upload", "-", f"s3://{bucket}/stream.bin", "--part-size", "5MiB", "--json", input=data)
    assert up.exit_code == 0, up
    assert up.json()["total_size"] == len(data) and up.json()["parts"] == 3
    down = cli("get", f"s3://{bucket}/stream.bin", "-")
    assert down.exit_code == 0 and down.stdout_bytes == data


def test_stdin_empty_and_small(cli, bucket):
    assert cli("upload", "-", f"s3://{bucket}/empty", "--json", input=b"").json()["total_size"] == 0
    assert cli("get", f"s3://{bucket}/empty", "-").stdout_bytes == b""


def test_failed_multipart_upload_is_aborted(service, bucket, tmp_path: Path):
    """A part that fails makes the whole upload abort: no object, no incomplete upload left behind."""
    from its_store.core import errors as E
    from its_store.s3.client import object_headers
    from its_store.transfer.upload import upload_file

    src = write_file(tmp_path / "big.bin", 3 * T, seed=2)
    real = service.s3.upload_part
    calls = []

    def flaky(bucket_, key, upload_id, number, data):
        calls.append(number)
        if number == 2:
            raise E.ServiceUnavailableError("injected failure")
        return real(bucket_, key, upload_id, number, data)

    service.s3.upload_part = flaky
    with pytest.raises(E.ServiceUnavailableError):
        upload_file(service.s3, bucket, "big", src, object_headers("application/octet-stream", {}, {}),
                    threshold=T, part_size=T, workers=1)
    assert service.s3.list_multipart_uploads(bucket) == []
    with pytest.raises(E.ObjectNotFoundError):
        service.s3.stat(bucket, "big")


@pytest.mark.parametrize("corrupt", ["crc32", "md5"])
def test_corrupt_download_is_refused_and_target_untouched(service, bucket, tmp_path: Path, corrupt):
    """A download whose bytes do not match the server's CRC32 (or, without one, the MD5 ETag) fails
    with exit 4 semantics and leaves the target as it was."""
    from its_store.core import errors as E
    from its_store.core.models import DownloadRequest
    from its_store.service import fetch

    service.s3.put(bucket, "obj", random_bytes(10_000, seed=1), {"Content-Type": "application/octet-stream"})
    target = tmp_path / "target.bin"
    target.write_bytes(b"old")
    real = fetch.answer_head  # the GET's answer stands for the HEAD (service/fetch.py)

    def tampered(*args, **kwargs):
        head = real(*args, **kwargs)
        assert head.checksum, "the server returned no CRC32 for a PUT that sent one"
        if corrupt == "crc32":
            head.checksum = "AAAAAA=="
        else:
            head.checksum, head.etag = None, "0" * 32
        return head

    fetch.answer_head = tampered
    try:
        with pytest.raises(E.IntegrityError):
            service.download_object(DownloadRequest(bucket=bucket, key="obj", file_path=target))
    finally:
        fetch.answer_head = real
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["target.bin"]


def test_server_refuses_a_body_whose_crc32_is_wrong(service, bucket):
    from its_store.core import errors as E
    from its_store.transfer.checksums import crc32_of
    data = random_bytes(200_000, seed=2)  # the server checks the CRC32 (and the signed SHA-256)
    with pytest.raises(E.IntegrityError):
        service.s3.put(bucket, "bad", data, {"Content-Type": "application/octet-stream",
                                            "x-amz-checksum-crc32": crc32_of(data + b"x")})
    with pytest.raises(E.ObjectNotFoundError):
        service.s3.stat(bucket, "bad")


def test_multipart_upload_keeps_a_composite_crc32(service, bucket, tmp_path: Path):
    from its_store.core.models import UploadRequest
    src = write_file(tmp_path / "mp.bin", 2 * T + 10, seed=4)
    service.upload_object(UploadRequest(bucket=bucket, key="mp", file_path=src, part_size=T,
                                        compression="none"))
    stat = service.s3.stat(bucket, "mp")
    checksum = {k.lower(): v for k, v in stat.metadata.items()}.get("x-amz-checksum-crc32", "")
    assert checksum.endswith("-3"), stat.metadata


def _with_etag(head, etag):
    head.etag = etag
    return head


def test_choose_part_size_limits():
    assert choose_part_size(100 * MiB) == 8 * MiB
    assert choose_part_size(100 * MiB, 1) == 5 * MiB
    huge = 500 * 1024 * MiB
    part = choose_part_size(huge)
    assert -(-huge // part) <= MAX_PARTS and part % MiB == 0


@pytest.mark.parametrize("size", [10_000, 3 * T + 5])
def test_stdout_download_is_verified(cli, service, bucket, monkeypatch, size):
    """`get -` checks the CRC32 too; the bytes are already out, so a mismatch is told by exit 4."""
    from its_store.service import fetch
    data = random_bytes(size, seed=9)
    service.s3.put(bucket, "s.bin", data, {"Content-Type": "application/octet-stream"})
    good = cli("get", f"s3://{bucket}/s.bin", "-", extra_env={"MINIO_PART_SIZE": "5MiB"})
    assert good.exit_code == 0 and good.stdout_bytes == data
    real = fetch.answer_head  # the GET's answer stands for the HEAD; a large object then goes by ranges

    def tampered(*args, **kwargs):
        head = real(*args, **kwargs)
        head.checksum = "AAAAAA=="
        return head

    monkeypatch.setattr(fetch, "answer_head", tampered)
    bad = cli("get", f"s3://{bucket}/s.bin", "-", extra_env={"MINIO_PART_SIZE": "5MiB"})
    assert bad.exit_code == 4 and "checksum mismatch" in bad.stderr


def test_part_budget_is_returned_after_success_and_failure(cli, service, bucket, tmp_path: Path):
    """Every multipart upload in the process shares one memory budget for part buffers: whatever
    happens, what a transfer reserved comes back (else later uploads would block forever)."""
    from its_store.core import errors as E
    from its_store.s3.client import object_headers
    from its_store.transfer.upload import BUDGET, ByteBudget, upload_file
    src = write_file(tmp_path / "big.bin", 3 * T, seed=7)
    assert cli("upload", str(src), f"s3://{bucket}/ok", "--part-size", "5MiB").exit_code == 0
    assert cli("upload", "-", f"s3://{bucket}/ok2", "--part-size", "5MiB", "--compress", "none",
               input=src.read_bytes()).exit_code == 0
    assert BUDGET.used == 0
    real = service.s3.upload_part

    def failing(*args, **kwargs):
        raise E.ServiceUnavailableError("injected")

    service.s3.upload_part = failing
    with pytest.raises(E.ServiceUnavailableError):
        upload_file(service.s3, bucket, "bad", src, object_headers("application/octet-stream", {}, {}),
                    threshold=T, part_size=T, workers=2)
    service.s3.upload_part = real
    assert BUDGET.used == 0

    small = ByteBudget(10)
    assert small.acquire(25) == 10  # a part larger than the whole budget still goes, alone
    small.release(10)
    assert small.used == 0
