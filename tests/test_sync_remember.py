"""sync/remember.known_from_answer: the state entry `get -r` and sync's downloads record from a GET answer's
headers is the one known_from_info makes from the ObjectInfo of the same answer (what a HEAD records), for
every kind of object the store tells apart: plain, multipart, compressed, encrypted, with or without our
metadata. And what `get -r` records is used: its entries are the ones a HEAD of each object writes."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from its_store.s3.messages import Headers
from its_store.service.listing import object_info
from its_store.sync.remember import known_from_answer, known_from_info

from helpers import write_file

MD5 = "0123456789abcdef0123456789abcdef"
SHA = "ab" * 32

CASES = {
    "plain": ({}, f'"{MD5}"', 100),
    "plain, our metadata": ({"x-amz-meta-mtime": "1765000000.123456789", "x-amz-meta-its-sha256": SHA}, MD5, 100),
    "multipart": ({"x-amz-meta-its-sha256": SHA}, f"{MD5}-3", 30_000_000),
    "compressed": ({"x-amz-meta-its-codec": "zstd", "x-amz-meta-its-original-size": "5000",
                    "x-amz-meta-mtime": "1765000000"}, MD5, 700),
    "compressed, original size not a number": ({"x-amz-meta-its-codec": "zstd",
                                                "x-amz-meta-its-original-size": "12x"}, MD5, 700),
    "original size without a codec": ({"x-amz-meta-its-original-size": "9"}, MD5, 100),
    "SSE-C": ({"x-amz-server-side-encryption-customer-algorithm": "AES256"}, MD5, 100),
    "SSE-S3": ({"x-amz-server-side-encryption": "AES256"}, MD5, 100),
    "SSE-KMS": ({"x-amz-server-side-encryption": "aws:kms", "x-amz-meta-mtime": "1"}, MD5, 100),
    "an ETag that is no MD5": ({}, "not-an-md5", 100),
}


@pytest.mark.parametrize("name", CASES)
def test_answer_read_as_its_object_info_reads_it(name: str) -> None:
    extra, etag, size = CASES[name]
    headers = Headers.of({"ETag": etag, "Content-Length": str(size), "Content-Type": "image/jpeg",
                          "Last-Modified": "Mon, 07 Dec 2026 10:00:00 GMT", **extra})
    info = object_info("b", "k", size, etag, None, "image/jpeg", headers, None)
    assert known_from_answer(etag.strip('"'), size, headers) == known_from_info(info), name


def _entries(cache: Path) -> dict[str, tuple[Any, ...]]:
    with sqlite3.connect(cache / "sync-state.sqlite") as db:
        rows = db.execute("SELECT key, etag, stored_size, size, mtime, sha256, md5 FROM objects").fetchall()
    return {row[0]: row[1:] for row in rows}


def test_get_r_records_what_a_head_records(cli: Any, bucket: str, tmp_path: Path, env: dict[str, str]) -> None:
    """The entries `get -r` writes (a plain object, a compressed one, one sent in parts) are those the HEADs of a
    sync from an empty store write for the same objects: the first sync after `get -r` may trust them."""
    src = tmp_path / "src"
    write_file(src / "plain.bin", 3000, seed=1)
    (src / "zipped.txt").write_text("frame 0001 ok\n" * 3000)
    write_file(src / "parts.bin", 6 * 2**20, seed=3)
    for name, *how in (("plain.bin",), ("zipped.txt", "--compress", "zstd"), ("parts.bin", "--part-size", "5MiB")):
        assert cli("upload", str(src / name), f"s3://{bucket}/e/{name}", *how).exit_code == 0
    cache = Path(env["MINIO_CACHE_DIR"])
    (cache / "sync-state.sqlite").unlink(missing_ok=True)
    assert cli("get", "-r", f"s3://{bucket}/e/", str(tmp_path / "got")).exit_code == 0
    recorded = _entries(cache)
    (cache / "sync-state.sqlite").unlink()
    assert cli("sync", f"s3://{bucket}/e/", str(tmp_path / "got"), "--checksum").exit_code == 0  # HEADs each
    headed = _entries(cache)
    assert set(recorded) == {f"e/{n}" for n in ("plain.bin", "zipped.txt", "parts.bin")}, recorded
    assert recorded == headed, (recorded, headed)
