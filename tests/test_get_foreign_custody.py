"""`get` of an object another tool wrote with an x-amz-meta-its-sha256 that is no SHA-256 (not 64 hex digits):
that value is custody its-store cannot read, not corruption; the bytes are checked by another route (the MD5
ETag of a plain PUT), as `verify` checks them (tests/test_verify_foreign_answers.py)."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pytest


@pytest.mark.parametrize("value", ["md5:{md5}", "{md5}", "x" * 64])
def test_get_of_foreign_custody_checks_the_bytes_another_way(cli: Any, bucket: str, s3_server: Any,
                                                             tmp_path: Path, value: str) -> None:
    from conftest import plain_client
    data = b"frame" * 200
    md5 = hashlib.md5(data).hexdigest()
    plain_client(s3_server).put_object(bucket, "cam/f.jpg", io.BytesIO(data), len(data),
                                       metadata={"its-sha256": value.format(md5=md5)})
    one = cli("get", f"s3://{bucket}/cam/f.jpg", str(tmp_path / "one.jpg"), "--json")
    assert one.exit_code == 0 and "Traceback" not in one.stderr, one
    assert (tmp_path / "one.jpg").read_bytes() == data and one.json()["verified"] is True, one  # by its MD5 ETag
    many = cli("get", f"s3://{bucket}/cam/", str(tmp_path / "many"), "-r", "--json")
    assert many.exit_code == 0 and "Traceback" not in many.stderr, many
    assert (tmp_path / "many" / "f.jpg").read_bytes() == data



def test_a_copy_between_endpoints_of_foreign_custody_checks_the_bytes_another_way(
        bucket: str, s3_server: Any, service: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same object copied from a fault server to another endpoint (the suite's server, as the remote
    `central`: the bytes are relayed through this machine, service/xcopy): checked by the MD5 ETag, not refused
    as corrupt."""
    from faultserver import FakeObject, FaultServer

    from helpers import as_central, fault_cli, object_bytes
    data = b"frame" * 200
    with FaultServer(buckets=("frames",)) as server:
        server.put_object("frames", "cam/f.jpg", FakeObject(data, headers={
            "x-amz-meta-its-sha256": "md5:" + hashlib.md5(data).hexdigest()}))
        cli = fault_cli(server, tmp_path, monkeypatch, MINIO_ENABLE_ENCRYPTION="false")
        as_central(monkeypatch, tmp_path, s3_server)
        for args in (["cp", "s3://frames/cam/f.jpg", f"central:{bucket}/one/f.jpg"],
                     ["cp", "-r", "s3://frames/cam/", f"central:{bucket}/many/"]):
            run = cli(*args, "--json")
            assert run.exit_code == 0 and "Traceback" not in run.stderr, (args, run)
    assert object_bytes(service, bucket, "one/f.jpg") == data == object_bytes(service, bucket, "many/f.jpg")


def test_sync_checksum_compares_foreign_custody_by_the_md5_etag(cli: Any, bucket: str, s3_server: Any,
                                                                tmp_path: Path) -> None:
    """`sync --checksum` of a folder whose file is the object's bytes, the object carrying a foreign its-sha256:
    the same by its MD5 ETag, skipped (it was "different" on every run: the file's SHA-256 against the foreign
    value, uploaded again each time, over the other tool's object)."""
    from conftest import plain_client
    data = b"frame" * 200
    (tmp_path / "cam").mkdir()
    (tmp_path / "cam" / "f.jpg").write_bytes(data)
    plain_client(s3_server).put_object(bucket, "cam/f.jpg", io.BytesIO(data), len(data),
                                       metadata={"its-sha256": "md5:" + hashlib.md5(data).hexdigest()})
    run = cli("sync", str(tmp_path / "cam"), f"s3://{bucket}/cam/", "--checksum", "--json")
    doc = run.json()
    assert run.exit_code == 0 and doc["copied"] == [] and doc["totals"]["copied"] == 0, doc


@pytest.mark.parametrize(("value", "custody"), [
    ("ab" * 32, True), ("AB" * 32, True), ("0x" + "a" * 62, False), (" " + "a" * 63, False), ("a" * 63, False),
    ("a" * 65, False), ("\u0663" * 64, False), ("g" * 64, False), ("+" + "a" * 63, False), ("", False)])
def test_what_is_a_custody_sha256(value: str, custody: bool) -> None:
    """64 hex digits, either case; nothing that int() or bytes.fromhex would also take (0x, blanks, signs,
    other scripts' digits)."""
    from its_store.core.custody import custody_sha256, is_sha256
    assert is_sha256(value) is custody and (custody_sha256(value) == value) is custody
