"""Finding of an attack on dfa6193 (sync --delete without s3:GetBucketVersioning: delete_marker null,
still_stored_bytes null, one warning): the same false claim stays in `rm -r`, which reports through
versions.leaves_delete_markers ("False when unknown", kept as a bool "for rm/mv/gc" on purpose). Fails now
(left failing). Server: test_atk34_least_privilege's SeaweedFS; `writerlist` may Write (PUT, DELETE) and List,
not Read (no GET ?versioning).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from test_atk34_least_privilege import _bucket, keys, least_server  # noqa: F401 - the identities' server

from helpers import random_bytes


def test_rm_r_does_not_claim_data_erased_when_versioning_is_unreadable(cli: Any, keys: dict[str, dict[str, str]],  # noqa: F811
                                                                       tmp_path: Path) -> None:
    """`rm -r s3://B/old/ --yes --json` with a Write+List key in a VERSIONED bucket: every object is only
    hidden behind a delete marker (the admin lists its version, still stored), yet the report says
    `delete_markers: false` (nothing kept: the data erased) and the items `delete_marker: false`, without a
    word: service/batch and objects.py ask leaves_delete_markers, which answers False when
    GetBucketVersioning is denied. A person believes the space freed / the frames (privacy) erased.
    Promised (dfa6193 for sync, docs/reliability 'never a false statement'): unknown is said as unknown.
    Fix (service depth, one rule): leaves_delete_markers' callers that REPORT (batch.remove_batch,
    objects.delete*) use markers_left and carry None (null) plus the one warning naming
    s3:GetBucketVersioning, as sync/deletes does; gc/registry removal the same, where they report."""
    bucket = _bucket(cli, keys, versioned=True)
    (tmp_path / "f.jpg").write_bytes(random_bytes(2_000, seed=35))
    assert cli("upload", "f.jpg", f"s3://{bucket}/old/f.jpg", extra_env=keys["admin"]).exit_code == 0
    run = cli("--json", "rm", "-r", f"s3://{bucket}/old/", "--yes", extra_env=keys["writerlist"])
    assert run.exit_code == 0, run
    versions = cli("ls", f"s3://{bucket}/old/", "--versions", "--json", extra_env=keys["admin"]).jsonl()
    assert any(v["key"] == "old/f.jpg" and not v.get("delete_marker") for v in versions), versions  # still stored
    report = run.json()
    assert report.get("delete_markers") is not False, report
    assert all(o.get("delete_marker") is not False for o in report.get("objects", [])), report
