"""Session 34 review (rev4): a version id does not make a key some server reads as another its own.

heads.not_another skipped every request with a version id ("a version id names one object exactly"). On
SeaweedFS `rm --version-id V s3://B/d\\f1`, V a version of s3://B/d/f1, deleted that version of the other
object for good (exit 0, 'deleted s3://B/d\\f1 (version V)'). Now not found (exit 3), the version kept.
moto keeps 'd\\f1' apart (as AWS does): a version of its own is still deleted, and only it.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from conftest import one_line_error, plain_client, unique


@pytest.mark.parametrize("odd", ["d\\f1", "d//f1"])
def test_rm_of_a_version_of_another_object_by_a_merged_name_deletes_nothing(cli: Any, service: Any, s3_server: Any,
                                                                           odd: str) -> None:
    from minio.commonconfig import ENABLED
    from minio.versioningconfig import VersioningConfig
    bucket = unique("rv")
    client = plain_client(s3_server)
    client.make_bucket(bucket)
    client.set_bucket_versioning(bucket, VersioningConfig(ENABLED))
    first = service.s3.put(bucket, "d/f1", b"evidence", {})
    service.s3.put(bucket, "d/f1", b"evidence, later", {})
    run = cli("rm", "--version-id", str(first.version_id), f"s3://{bucket}/{odd}")
    assert run.exit_code == 3 and "not found" in one_line_error(run), run
    kept = [v.version_id for v in client.list_objects(bucket, "d/", recursive=True, include_version=True)]
    assert first.version_id in kept and len(kept) == 2, kept


def test_a_version_of_a_key_a_server_keeps_apart_is_still_deleted(moto_server_info: Any, buckets: dict[str, str],
                                                                  monkeypatch: pytest.MonkeyPatch,
                                                                  tmp_path: Path) -> None:
    from minio.commonconfig import ENABLED
    from minio.versioningconfig import VersioningConfig

    from conftest import cli_runner, environment_for
    cli = cli_runner(environment_for(moto_server_info, buckets, monkeypatch, tmp_path))
    name = unique("b")
    client = plain_client(moto_server_info)
    client.make_bucket(name)
    client.set_bucket_versioning(name, VersioningConfig(ENABLED))
    odd = client.put_object(name, "d\\f1", io.BytesIO(b"backslash"), 9)
    client.put_object(name, "d/f1", io.BytesIO(b"slash"), 5)
    run = cli("rm", "--version-id", str(odd.version_id), f"s3://{name}/d\\f1")
    assert run.exit_code == 0, run
    left = [(v.object_name, v.is_delete_marker)
            for v in client.list_objects(name, recursive=True, include_version=True)]
    assert left == [("d/f1", False)], left
