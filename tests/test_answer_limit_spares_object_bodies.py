"""s3/pool.py reads an answer read whole (a listing page, a configuration, an error's document) only up to
ANSWER_LIMIT (32 MiB); an object's body is streamed and must never go through that bound (a 2 GB model in one
GET is a legitimate answer). Here the limit is lowered to 1 MiB in this process and objects of 3 MiB are read by
every command that reads object bodies, on the session's SeaweedFS: each must still succeed, byte for byte.
Worst cases of legitimate whole answers, from S3's limits (1,000 entries a page, keys of 1,024 bytes, URL-encoded
at most 3 bytes a byte or XML-escaped at most 6): ListObjectsV2 / ListObjectVersions / ListMultipartUploads
~3.5 MB a page, DeleteObjects' answer ~6.2 MB, ListParts ~0.5 MB (5 MB if a server ignored max-parts=1000), a
lifecycle of 1,000 rules ~2 MB, a bucket policy 20 KB: all well under 32 MiB.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from helpers import write_file

SIZE = 3 * 1024 * 1024


def test_object_bodies_larger_than_the_answer_limit_are_streamed(cli: Any, bucket: str, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from its_store.s3 import pool
    write_file(tmp_path / "big.bin", SIZE, seed=1)
    data = (tmp_path / "big.bin").read_bytes()
    one_part = {"MINIO_MULTIPART_THRESHOLD": "64MiB", "MINIO_PART_SIZE": "64MiB"}  # one GET of the whole body
    assert cli("upload", str(tmp_path / "big.bin"), f"s3://{bucket}/a/big.bin", extra_env=one_part).exit_code == 0
    assert cli("upload", str(tmp_path / "big.bin"), f"s3://{bucket}/a/z.bin", "--compress", "zstd",
               extra_env=one_part).exit_code == 0
    monkeypatch.setattr(pool, "ANSWER_LIMIT", 1024 * 1024)
    runs = {
        "get": cli("get", f"s3://{bucket}/a/big.bin", str(tmp_path / "o1"), extra_env=one_part),
        "get -": cli("get", f"s3://{bucket}/a/big.bin", "-", extra_env=one_part),
        "get zstd": cli("get", f"s3://{bucket}/a/z.bin", str(tmp_path / "o2"), extra_env=one_part),
        "get -r": cli("get", "-r", f"s3://{bucket}/a/", str(tmp_path / "o3") + "/", extra_env=one_part),
        "sync": cli("sync", f"s3://{bucket}/a/", str(tmp_path / "o4") + "/", extra_env=one_part),
        "verify": cli("verify", f"s3://{bucket}/a/big.bin", extra_env=one_part),
    }
    assert {name: run.exit_code for name, run in runs.items()} == dict.fromkeys(runs, 0), runs
    assert runs["get -"].stdout_bytes == data
    for got in ("o1", "o2", "o3/big.bin", "o3/z.bin", "o4/big.bin", "o4/z.bin"):
        assert (tmp_path / got).read_bytes() == data, got
