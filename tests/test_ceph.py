"""Ceph's RADOS Gateway (Debian's radosgw 16.2, tests/servers.py CephServer): where it differs from S3,
and what its-store then does. The common object I/O, versioning, lock and registry tests run on it too
(the `object_server` fixture); these are the cases only radosgw shows.

- It drops the object-lock headers of a multipart upload (CreateMultipartUpload): the upload succeeds,
  the version has neither retention nor legal hold. its-store checks the lock of every write that asked
  for one, puts the missing part on (PutObjectRetention / PutObjectLegalHold), reads it back, and says so.
- It answers retain-until dates with nine fraction digits, which minio's date parser refuses.
- It refuses SSE over plain HTTP (rgw_crypt_require_ssl) with a bare InvalidRequest: exit 78 with the
  HTTPS hint. Without that setting it takes SSE-S3 and stores the object unencrypted: test_server_gaps.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from conftest import ServerInfo, cli_runner, environment_for, one_line_error, plain_client, unique
from helpers import audit_lines, list_versions, put_stdin, write_file

MiB = 1024 * 1024
WARNING = "its-store: warning: the server did not keep the"


@pytest.fixture
def ceph_env(ceph_server_info: ServerInfo, buckets: dict[str, str], monkeypatch: pytest.MonkeyPatch,
             tmp_path: Path) -> dict[str, str]:
    return environment_for(ceph_server_info, buckets, monkeypatch, tmp_path)


@pytest.fixture
def ceph_cli(ceph_env: dict[str, str]) -> Any:
    return cli_runner(ceph_env)


@pytest.fixture
def minio(ceph_server_info: ServerInfo) -> Any:
    """A plain minio client on the gateway: a second opinion that does not go through its-store."""
    return plain_client(ceph_server_info)


@pytest.fixture
def ceph_locked(minio: Any, ceph_env: dict[str, str]) -> str:
    name = unique("lk")
    minio.make_bucket(name, object_lock=True)
    return name


def lock_headers(minio: Any, bucket: str, key: str, version_id: str) -> dict[str, str]:
    """The object-lock headers of a plain minio HEAD (minio's own GET ?retention cannot read radosgw's
    nine-digit dates: that is item 3)."""
    meta = minio.stat_object(bucket, key, version_id=version_id).metadata
    return {k.lower(): v for k, v in meta.items() if "object-lock" in k.lower()}


def test_multipart_upload_lock_headers_dropped_by_radosgw_are_put_on_and_verified(ceph_cli, ceph_env, ceph_locked,
                                                                                   minio, tmp_path: Path):
    cli, locked = ceph_cli, ceph_locked
    big = write_file(tmp_path / "clip.bin", 6 * MiB, seed=3)  # above the tests' 5 MiB multipart threshold
    run = cli("upload", str(big), f"s3://{locked}/incidents/7/clip.bin", "--retain", "2031-01-31", "--legal-hold",
              "--json")
    assert run.exit_code == 0, run
    doc = run.json()
    assert doc["multipart"] is True and doc["version_id"]
    assert WARNING in run.stderr and "put it on after the write and read it back" in run.stderr
    shown = cli("retention", "show", f"s3://{locked}/incidents/7/clip.bin", "--version-id", doc["version_id"],
                "--json")
    assert shown.exit_code == 0, shown
    assert shown.json()["mode"] == "GOVERNANCE" and shown.json()["retain_until"].startswith("2031-01-31T00:00:00")
    held = cli("legal-hold", "show", f"s3://{locked}/incidents/7/clip.bin", "--version-id", doc["version_id"], "--json")
    assert held.exit_code == 0 and held.json()["legal_hold"] is True, held
    headers = lock_headers(minio, locked, "incidents/7/clip.bin", doc["version_id"])
    assert headers["x-amz-object-lock-mode"] == "GOVERNANCE" and headers["x-amz-object-lock-legal-hold"] == "ON"
    assert headers["x-amz-object-lock-retain-until-date"].startswith("2031-01-31T00:00:00")
    assert minio.is_object_legal_hold_enabled(locked, "incidents/7/clip.bin", version_id=doc["version_id"])
    refused = cli("rm", f"s3://{locked}/incidents/7/clip.bin", "--version-id", doc["version_id"])
    assert refused.exit_code == 6 and "under legal hold" in one_line_error(refused)

    small = cli("upload", "-", f"s3://{locked}/incidents/7/f.jpg", "--retain", "2031-01-31", input=b"frame")
    assert small.exit_code == 0 and WARNING not in small.stderr, small  # a single PUT keeps its headers
    lines = {e["key"]: e for e in audit_lines(ceph_env) if e["operation"] == "upload"}
    assert (lines["incidents/7/clip.bin"]["lock_verified"], lines["incidents/7/clip.bin"]["lock_applied_after"]) \
        == (True, True)
    assert (lines["incidents/7/f.jpg"]["lock_verified"], lines["incidents/7/f.jpg"]["lock_applied_after"]) \
        == (True, False)


def test_sync_with_retain_locks_multipart_uploads_and_server_side_copies(ceph_cli, ceph_env, ceph_locked, minio,
                                                                         tmp_path: Path):
    """sync uploads through `upload`'s path (so does the watcher); a sync from s3:// to s3:// copies on the
    server, and a copy carries no lock headers at all: its lock is put on after it (audit line `lock`)."""
    cli, locked = ceph_cli, ceph_locked
    write_file(tmp_path / "site" / "cam1" / "clip.bin", 6 * MiB, seed=4)
    run = cli("sync", "site", f"s3://{locked}/site/", "--retain", "2031-01-31", "--legal-hold", "--json")
    assert run.exit_code == 0, run
    [version] = [v for v in list_versions(cli, locked, "site/")]
    headers = lock_headers(minio, locked, "site/cam1/clip.bin", version["version_id"])
    assert headers["x-amz-object-lock-legal-hold"] == "ON" and headers["x-amz-object-lock-mode"] == "GOVERNANCE"

    source = unique("src")
    minio.make_bucket(source)
    assert cli("upload", "-", f"s3://{source}/a/f.jpg", input=b"frame").exit_code == 0
    copied = cli("sync", f"s3://{source}/a/", f"s3://{locked}/copies/", "--retain", "2031-01-31", "--json")
    assert copied.exit_code == 0, copied
    [version] = [v for v in list_versions(cli, locked, "copies/")]
    headers = lock_headers(minio, locked, "copies/f.jpg", version["version_id"])
    assert headers["x-amz-object-lock-mode"] == "GOVERNANCE"
    assert headers["x-amz-object-lock-retain-until-date"].startswith("2031-01-31T00:00:00")
    [entry] = [e for e in audit_lines(ceph_env) if e["operation"] == "lock"]
    assert (entry["key"], entry["version_id"], entry["lock_verified"], entry["lock_applied_after"]) == (
        "copies/f.jpg", version["version_id"], True, True)


def test_nine_digit_retention_dates_are_read_and_the_lock_is_named(ceph_cli, ceph_locked, minio):
    """radosgw: <RetainUntilDate>2026-12-07T07:38:27.000000000Z</RetainUntilDate>. minio-py's parser takes
    at most six digits; its-store reads any number, so show works and a refused delete names the lock."""
    cli, locked = ceph_cli, ceph_locked
    version = put_stdin(cli, locked, "d/g.jpg", "--retain", "2d")
    held = put_stdin(cli, locked, "d/h.jpg", "--legal-hold")
    raw = lock_headers(minio, locked, "d/g.jpg", version)["x-amz-object-lock-retain-until-date"]
    assert len(raw.rpartition(".")[2]) == 10, raw  # nine digits and the Z: what this test is about

    shown = cli("retention", "show", f"s3://{locked}/d/g.jpg", "--json")
    assert shown.exit_code == 0, shown
    until = datetime.fromisoformat(shown.json()["retain_until"].replace("Z", "+00:00"))
    assert shown.json()["mode"] == "GOVERNANCE" and until > datetime.now(UTC)
    hold = cli("legal-hold", "show", f"s3://{locked}/d/g.jpg", "--json")
    assert hold.exit_code == 0 and hold.json()["legal_hold"] is False, hold

    refused = cli("rm", f"s3://{locked}/d/g.jpg", "--version-id", version)
    assert refused.exit_code == 6, refused
    line = one_line_error(refused)
    assert "retained until" in line and "(governance)" in line and "MINIO_ACCESS_KEY" not in line
    erase = cli("rm", f"s3://{locked}/d/", "-r", "--all-versions", "--yes")
    assert erase.exit_code == 6, erase
    assert f"not erased: s3://{locked}/d/g.jpg (version {version}): object locked: retained until" in erase.stderr
    assert f"not erased: s3://{locked}/d/h.jpg (version {held}): object locked: under legal hold" in erase.stderr
    assert "AccessDenied" not in erase.stderr
    assert sorted(v["key"] for v in list_versions(cli, locked, "d/")) == ["d/g.jpg", "d/h.jpg"]


def test_sse_over_plain_http_is_refused_and_nothing_is_stored(ceph_cli, ceph_env, minio, tmp_path: Path):
    """rgw_crypt_require_ssl (on by default): an upload asking for SSE over plain HTTP is refused with a
    bare InvalidRequest (no message). That is encryption_unsupported (exit 78) with the HTTPS hint, for
    SSE-S3 by default or asked, and for SSE-C; it used to be exit 2 "InvalidRequest: InvalidRequest". The
    tests on Ceph set MINIO_ENABLE_ENCRYPTION=false, as a user there would."""
    cli, bucket = ceph_cli, unique("b")
    minio.make_bucket(bucket)
    key_file = tmp_path / "sse-c.key"
    key_file.write_bytes(bytes(range(32)))
    for flags, defaulted in (((), True), (("--sse", "s3"), False), (("--sse", "c", "--sse-c-key-file", str(key_file)),
                                                                    False)):
        run = cli("upload", "-", f"s3://{bucket}/f.jpg", *flags, "--json", input=b"frame",
                  extra_env={"MINIO_ENABLE_ENCRYPTION": "true"})
        error = run.json()["error"]
        assert run.exit_code == 78 and error["code"] == "encryption_unsupported", (flags, run)
        assert "refused over plain HTTP" in error["message"] and "HTTPS only" in error["hint"], error
        assert ("MINIO_ENABLE_ENCRYPTION=false" in error["hint"]) is defaulted, error
        human = cli("upload", "-", f"s3://{bucket}/f.jpg", *flags, input=b"frame",
                    extra_env={"MINIO_ENABLE_ENCRYPTION": "true"})
        assert human.exit_code == 78 and "encryption for s3://" in one_line_error(human), human
    assert list(minio.list_objects(bucket, recursive=True)) == []
    assert cli("upload", "-", f"s3://{bucket}/f.jpg", "--sse", "none", input=b"frame",
               extra_env={"MINIO_ENABLE_ENCRYPTION": "true"}).exit_code == 0
