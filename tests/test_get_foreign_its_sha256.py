"""`get` of an object whose its-sha256 is no SHA-256 (another tool's metadata of that name): custody that cannot be
read, checked as an object without it (its MD5 ETag here), as `verify` checks it (docs/guides/evidence.md). `get`
refused it as corrupt (exit 4, "the stored body is not the one uploaded (run `its-store verify`)") while `verify`
called it ok. A real SHA-256 that differs is still refused (exit 4). SeaweedFS; objects PUT by a plain client."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

from conftest import plain_client, unique

FRAME = b"a frame another tool stored"


def _put(s3_server: Any, sha: str) -> str:
    bucket = unique("fs")
    client = plain_client(s3_server)
    client.make_bucket(bucket)
    client.put_object(bucket, "cam/f.jpg", io.BytesIO(FRAME), len(FRAME), metadata={"its-sha256": sha})
    return bucket


def test_get_takes_a_foreign_its_sha256_as_no_custody(s3_server: Any, cli: Any, tmp_path: Path) -> None:
    bucket = _put(s3_server, "base64:" + "Zm9v" * 8)
    one = cli("get", f"s3://{bucket}/cam/f.jpg", str(tmp_path / "f.jpg"), "--json")
    assert one.exit_code == 0, one
    assert (tmp_path / "f.jpg").read_bytes() == FRAME
    assert json.loads(one.stdout)["verified"], one.stdout  # by its MD5 ETag
    many = cli("get", "-r", f"s3://{bucket}/cam/", str(tmp_path / "d"))
    assert many.exit_code == 0, many
    assert (tmp_path / "d" / "f.jpg").read_bytes() == FRAME


def test_get_still_refuses_a_sha256_that_differs(s3_server: Any, cli: Any, tmp_path: Path) -> None:
    bucket = _put(s3_server, hashlib.sha256(b"other bytes").hexdigest())
    run = cli("get", f"s3://{bucket}/cam/f.jpg", str(tmp_path / "f.jpg"))
    assert run.exit_code == 4, run
    assert not (tmp_path / "f.jpg").exists()


def test_a_copy_between_endpoints_takes_a_foreign_its_sha256_as_no_custody(
        s3_server: Any, service: Any, second_seaweed: Any, tmp_path: Path) -> None:
    from test_xcopy import body, context_on

    from its_store.sync.copy import Copier
    bucket, dest_bucket = _put(s3_server, "base64:" + "Zm9v" * 8), unique("fd")
    dest = context_on(second_seaweed.endpoint, second_seaweed.access_key, second_seaweed.secret_key,
                      tmp_path / "dest-state")
    try:
        result = Copier(service.ctx, dest_owner=dest).copy(f"s3://{bucket}/cam/f.jpg", f"s3://{dest_bucket}/f.jpg")
        assert not result.errors, result.errors
        assert body(dest, dest_bucket, "f.jpg") == FRAME
    finally:
        dest.close()
