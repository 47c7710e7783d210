"""Every state file under MINIO_CACHE_DIR is private (0600): it names buckets, keys, counts and what the
cache holds. stats.json and the disk cache's stale marker (disk.stale) were made 0644 (the umask's default)
while the audit log, the journals and the sync state were 0600. Written by real runs against the real
server, with the usual umask 022; a marker left 0644 by an older its-store is made 0600 when touched again.
The Prometheus textfile stays 0644 (the exporter reads it: tests/test_stats_audit.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import immutable, write_file


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_stats_json_is_private(cli, env, bucket: str, tmp_path: Path, umask_022: None) -> None:
    data = write_file(tmp_path / "f.bin", 1000, seed=1)
    assert cli("upload", str(data), f"s3://{bucket}/f.bin").exit_code == 0
    stats = Path(env["MINIO_CACHE_DIR"]) / "stats.json"
    assert stats.exists()
    assert mode(stats) == 0o600
    assert mode(Path(env["MINIO_AUDIT_LOG"])) == 0o600  # as the audit log beside it


def test_the_disk_cache_stale_marker_is_private(cli, env, bucket: str, tmp_path: Path, umask_022: None) -> None:
    cache = Path(env["MINIO_CACHE_DIR"])
    marker = cache / "disk.stale"
    data = write_file(tmp_path / "f.bin", 1000, seed=1)
    assert cli("upload", str(data), f"s3://{bucket}/f.bin").exit_code == 0
    assert cli("stat", f"s3://{bucket}/f.bin").exit_code == 0  # cached: the disk cache's database exists
    assert (cache / "metadata" / "cache.db").exists()
    with immutable(cache / "metadata"):  # the disk cache cannot be written: an upload marks it stale
        run = cli("upload", str(data), f"s3://{bucket}/f.bin")
        assert run.exit_code == 0, run
        assert marker.exists(), run
        assert mode(marker) == 0o600
        marker.chmod(0o644)  # as an older its-store left it
        assert cli("upload", str(data), f"s3://{bucket}/g.bin").exit_code == 0
        assert mode(marker) == 0o600
