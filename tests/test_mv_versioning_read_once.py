"""mv on a server that ignores If-Match on DELETE reads a bucket's versioning once a run, not once an object
(service/delete_guard.versioning), except where it is Enabled.

Each object of `mv -r` sent a GET ?versioning before its DELETE (delete_guard.unconditioned). An answer other than
Enabled is now kept for the run. "Enabled" is read again for each object: were the bucket suspended meanwhile, a
rewrite would be the "null" version, which the DELETE replaces by a "null" delete marker, while the version below
the marker is still the one copied: the marker check passed and the rewrite was lost (test below: the rewrite
lands after the source's last HEAD, and the versioning is suspended then).

The server is SeaweedFS; that it ignores If-Match on DELETE is what its probe finds when tests/faultproxy.py
answers the probe 204, as MinIO, rclone serve s3 and Ceph 16.2 do (tests/test_mv_delete_if_match_ignored.py).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy, Seen
from test_mv_sse_c_source_if_match_ignored import _probe_ignored

from conftest import plain_client, unique

DATA, NEW = b"a frame that is moved", b"the other writer's frame"


def _versioning_reads(seen: list[Seen]) -> int:
    return sum(s.method == "GET" and "versioning" in s.query for s in seen)


def test_mv_r_reads_an_unversioned_buckets_versioning_once(s3_server: Any, cli: Any,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """8 objects moved by 4 workers: one GET ?versioning (the guard's, which the report's delete_marker reuses),
    not 9 (one an object, and the report's; up to 8 when 4 workers asked at once with no lock)."""
    bucket = unique("b")
    plain_client(s3_server).make_bucket(bucket)  # unversioned
    for n in range(8):
        assert cli("upload", "-", f"s3://{bucket}/in/{n}.jpg", input=DATA).exit_code == 0
    proxy = FaultProxy(int(s3_server.endpoint.rpartition(":")[2]), answer=_probe_ignored, record=True).start()
    try:
        monkeypatch.setenv("MINIO_ENDPOINT", proxy.endpoint)
        run = cli("mv", f"s3://{bucket}/in/", f"s3://{bucket}/out/", "-r", "-w", "4", "--json")
    finally:
        proxy.stop()
    assert run.exit_code == 0, run
    assert [o["delete_conditional"] for o in run.json()["objects"]] == [False] * 8, run
    assert _versioning_reads(proxy.seen) == 1, [s.target for s in proxy.seen if "versioning" in s.query]


def test_a_bucket_suspended_after_the_first_objects_delete_keeps_a_rewrite(
        s3_server: Any, cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A versioned bucket: a.jpg is moved (its delete marker checked), then, right after the last HEAD of
    b.jpg before its DELETE, another writer suspends the versioning and writes b.jpg again (its "null" version).
    The versioning read again for b.jpg says Suspended: b.jpg is HEADed once more, the rewrite found and kept
    (exit 5). Kept "Enabled" had sent the DELETE, which replaced that null version by its marker: lost."""
    from minio.commonconfig import ENABLED
    from minio.versioningconfig import SUSPENDED, VersioningConfig
    direct, bucket = plain_client(s3_server), unique("b")
    direct.make_bucket(bucket)
    direct.set_bucket_versioning(bucket, VersioningConfig(ENABLED))
    for name in ("a", "b"):
        assert cli("upload", "-", f"s3://{bucket}/in/{name}.jpg", input=DATA).exit_code == 0
    heads: list[str] = []

    def other_writer(seen: Seen) -> bytes | None:
        if seen.method == "HEAD" and seen.path.endswith("/in/b.jpg"):
            heads.append(seen.path)
            if len(heads) == 3:  # the copy's HEAD, the guard's, then the delete's own: after it, the rewrite
                direct.set_bucket_versioning(bucket, VersioningConfig(SUSPENDED))
                direct.put_object(bucket, "in/b.jpg", io.BytesIO(NEW), len(NEW))
        return _probe_ignored(seen)

    proxy = FaultProxy(int(s3_server.endpoint.rpartition(":")[2]), answer=other_writer).start()
    try:
        monkeypatch.setenv("MINIO_ENDPOINT", proxy.endpoint)
        run = cli("mv", f"s3://{bucket}/in/", f"s3://{bucket}/out/", "-r", "-w", "1")
    finally:
        proxy.stop()
    monkeypatch.setenv("MINIO_ENDPOINT", s3_server.endpoint)
    assert len(heads) >= 3, heads
    assert run.exit_code == 5 and "in/b.jpg was rewritten" in run.stderr, run
    got = cli("get", f"s3://{bucket}/in/b.jpg", "-")
    assert got.exit_code == 0 and got.stdout_bytes == NEW, got  # the rewrite is kept, and current
