"""Session 35, atk1: "another server" for encryption. `rclone serve s3` keeps every request header as the
object's metadata and encrypts nothing: a HEAD answers `x-amz-server-side-encryption: AES256` back, beside the
request's own `x-amz-date` and `x-amz-content-sha256`. its-store believed it: `upload --sse s3` said exit 0,
`"encryption": "SSE-S3"` (the file on rclone's disk in clear), and `stat` showed SSE-S3. Now the echo is no
encryption (codec/encryption.describe, service/ssecheck): the upload is `encryption_not_kept` (exit 78, tests/
test_server_gaps.py), and `stat` shows `encryption: null`. Seen failing without the change ("SSE-S3").
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from conftest import ServerInfo, cli_runner, environment_for, plain_client, unique


def test_stat_of_an_object_rclone_echoes_sse_for_shows_no_encryption(rclone_server_info: ServerInfo,
                                                                      buckets: dict[str, str], tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    rclone_cli = cli_runner(environment_for(rclone_server_info, buckets, monkeypatch, tmp_path))
    bucket = unique("b")
    client = plain_client(rclone_server_info)
    client.make_bucket(bucket)
    client.put_object(bucket, "f.jpg", io.BytesIO(b"frame"), 5, metadata={"x-amz-server-side-encryption": "AES256"})
    with open(rclone_server_info.server.data_dir / bucket / "f.jpg", "rb") as stored:  # type: ignore[union-attr]
        assert stored.read() == b"frame"  # in clear on its disk: no encryption, whatever the HEAD says
    run = rclone_cli("--json", "stat", f"s3://{bucket}/f.jpg")
    assert run.exit_code == 0 and run.json()["encryption"] is None, run
