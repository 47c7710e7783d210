"""Chain of custody: every upload records the SHA-256 of its whole original content (its-sha256
metadata), in the audit line and in the upload's answer; `verify` checks it, and so does `get` where the
server keeps no CRC32 of its own (with one, `get` checks that: transfer/download.checks, issue 22)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from its_store.codec.compression import META_SHA256

from helpers import random_bytes, write_file


def _audit(env: dict[str, str], key: str) -> dict:
    lines = [json.loads(x) for x in Path(env["MINIO_AUDIT_LOG"]).read_text().splitlines() if x.strip()]
    return [x for x in lines if x.get("operation") == "upload" and x.get("key") == key][-1]


def _stored_sha(service, bucket: str, key: str) -> str | None:
    return service.stat_object(bucket, key).sha256


def test_single_put_records_sha256_in_metadata_audit_and_answer(cli, env, service, bucket, tmp_path: Path):
    src = write_file(tmp_path / "frame.jpg", 70_000, seed=1)
    want = hashlib.sha256(src.read_bytes()).hexdigest()
    run = cli("upload", str(src), f"s3://{bucket}/cam/frame.jpg", "--json")
    assert run.exit_code == 0, run
    assert run.json()["sha256"] == want
    assert _stored_sha(service, bucket, "cam/frame.jpg") == want
    assert _audit(env, "cam/frame.jpg")["sha256"] == want
    assert cli("stat", f"s3://{bucket}/cam/frame.jpg", "--json").json()["sha256"] == want


def test_multipart_file_records_sha256_of_the_whole_file(cli, env, service, bucket, tmp_path: Path):
    src = write_file(tmp_path / "clip.mp4", 12 * 1024 * 1024 + 333, seed=2)  # threshold 5 MiB: 3 parts
    want = hashlib.sha256(src.read_bytes()).hexdigest()
    run = cli("upload", str(src), f"s3://{bucket}/clip.mp4", "--json", "--compress", "none")
    assert run.exit_code == 0, run
    doc = run.json()
    assert doc["multipart"] is True and doc["sha256"] == want
    assert _stored_sha(service, bucket, "clip.mp4") == want
    assert _audit(env, "clip.mp4")["sha256"] == want
    got = cli("get", f"s3://{bucket}/clip.mp4", "out.mp4", "--json")
    assert got.exit_code == 0 and got.json()["verified"] is True
    assert Path("out.mp4").read_bytes() == src.read_bytes()


def test_short_and_long_streams_record_sha256(cli, service, bucket, tmp_path: Path):
    short = random_bytes(10_000, seed=3)
    run = cli("upload", "-", f"s3://{bucket}/short.bin", "--json", input=short)
    assert run.exit_code == 0 and run.json()["sha256"] == hashlib.sha256(short).hexdigest()
    long = random_bytes(11 * 1024 * 1024, seed=4)  # longer than one 8 MiB part: spooled and hashed
    run = cli("upload", "-", f"s3://{bucket}/long.bin", "--json", "--compress", "none", input=long)
    assert run.exit_code == 0, run
    want = hashlib.sha256(long).hexdigest()
    assert run.json()["sha256"] == want and run.json()["multipart"] is True
    assert _stored_sha(service, bucket, "long.bin") == want


def test_compressed_and_recursive_uploads_record_the_original_sha256(cli, service, bucket, tmp_path: Path):
    text = b"speed,camera\n" + b"".join(b"%d,cam_%d\n" % (i, i % 7) for i in range(50_000))
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "log.csv").write_bytes(text)
    write_file(tmp_path / "d" / "sub" / "a.jpg", 3000, seed=5)
    run = cli("upload", "d", f"s3://{bucket}/up/", "-r", "--compress", "zstd", "--json")
    assert run.exit_code == 0, run
    assert _stored_sha(service, bucket, "up/log.csv") == hashlib.sha256(text).hexdigest()
    assert _stored_sha(service, bucket, "up/sub/a.jpg") == hashlib.sha256(
        (tmp_path / "d" / "sub" / "a.jpg").read_bytes()).hexdigest()


def test_a_plain_body_replaced_behind_our_back_is_found_by_verify(cli, service, bucket, tmp_path: Path):
    """A body replaced behind our back (fresh S3 checksums, our old its-sha256): `get` checks the bytes
    against the server's CRC32 of what it stored, which they match (exit 0, by the one-GET path for listed
    small objects and by the regular path); `verify` checks them against its-sha256 and exits 4."""
    good = random_bytes(5000, seed=6)
    cli("upload", "-", f"s3://{bucket}/x.bin", input=good)
    sha = _stored_sha(service, bucket, "x.bin")
    service.s3.put(bucket, "x.bin", random_bytes(5000, seed=7), {"x-amz-meta-" + META_SHA256: sha})
    run = cli("get", f"s3://{bucket}/x.bin", "x.out", "--json")
    assert run.exit_code == 0 and run.json()["verified"] is True, run
    (tmp_path / "dl").mkdir()
    assert cli("get", f"s3://{bucket}/", "dl", "-r").exit_code == 0  # listed: one GET per small object
    run = cli("verify", f"s3://{bucket}/x.bin")
    assert run.exit_code == 4 and "sha256 expected" in run.stdout, run


def test_get_of_an_object_from_another_tool_is_verified_by_etag_only(cli, service, bucket):
    service.s3.put(bucket, "other.bin", b"z" * 100, {})
    run = cli("get", f"s3://{bucket}/other.bin", "o.bin", "--json")
    assert run.exit_code == 0 and Path("o.bin").read_bytes() == b"z" * 100


def test_sync_records_sha256_too(cli, service, bucket, tmp_path: Path):
    src = write_file(tmp_path / "site" / "cam" / "f.jpg", 4000, seed=8)
    run = cli("sync", str(tmp_path / "site"), f"s3://{bucket}/site/")
    assert run.exit_code == 0, run
    assert _stored_sha(service, bucket, "site/cam/f.jpg") == hashlib.sha256(src.read_bytes()).hexdigest()


def test_a_large_replaced_body_is_found_by_verify(cli, service, bucket, tmp_path: Path):
    """Above the multipart threshold `get` downloads ranges in parallel, checked against the server's CRC32
    (combined over the ranges; a composite one per part), to a file and to stdout alike; the its-sha256
    that a replaced body still carries is `verify`'s to check (exit 4)."""
    src = write_file(tmp_path / "clip.bin", 12 * 1024 * 1024 + 5, seed=11)
    assert cli("upload", str(src), f"s3://{bucket}/clip.bin", "--compress", "none").exit_code == 0
    ok = cli("get", f"s3://{bucket}/clip.bin", "ok.bin", "--json")
    assert ok.exit_code == 0 and ok.json()["verified"] is True and Path("ok.bin").read_bytes() == src.read_bytes()
    sha = _stored_sha(service, bucket, "clip.bin")
    body = bytearray(src.read_bytes())
    body[7 * 1024 * 1024] ^= 0x80  # in the second 8 MiB range
    service.s3.put(bucket, "clip.bin", bytes(body), {"x-amz-meta-" + META_SHA256: sha})
    run = cli("get", f"s3://{bucket}/clip.bin", "bad.bin", "--json")
    assert run.exit_code == 0 and run.json()["verified"] is True, run
    assert Path("bad.bin").read_bytes() == bytes(body)
    assert cli("get", f"s3://{bucket}/clip.bin", "-").exit_code == 0
    run = cli("verify", f"s3://{bucket}/clip.bin")
    assert run.exit_code == 4 and "sha256 expected" in run.stdout, run
