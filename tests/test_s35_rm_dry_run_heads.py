"""Session 35 (small, gap d): `rm --dry-run` sends one HEAD per key, not two.

plan_delete HEADed each key to see it exists (object_delete._exists) and then HEADed it again for its size
(stat_object, cold cache): two HEADs a key. The HEAD that proved it exists now gives the size. Counted by a
recording fault proxy (tests/faultproxy.py) in front of SeaweedFS.
"""

from __future__ import annotations

from typing import Any

from faultproxy import FaultProxy
from test_gaps33_denied_settings import _port

from helpers import put_stdin


def test_rm_dry_run_sends_one_head_per_key(cli: Any, s3_server: Any, bucket: str) -> None:
    put_stdin(cli, bucket, "d/a.bin", data=b"a" * 10)
    put_stdin(cli, bucket, "d/b.bin", data=b"b" * 20)
    with FaultProxy(_port(s3_server.endpoint), record=True) as proxy:
        run = cli("rm", f"s3://{bucket}/d/a.bin", f"s3://{bucket}/d/b.bin", "--dry-run", "--json",
                  extra_env={"MINIO_ENDPOINT": proxy.endpoint})
        heads = [seen.path for seen in proxy.requests_to("HEAD")]
    assert run.exit_code == 0, run
    assert sorted((i["key"], i["size"]) for i in run.json()["would_delete"]) == [("d/a.bin", 10), ("d/b.bin", 20)]
    assert sorted(heads) == [f"/{bucket}/d/a.bin", f"/{bucket}/d/b.bin"], heads
    assert not proxy.requests_to("DELETE") and not proxy.requests_to("POST"), "a dry run deletes nothing"
    assert cli("stat", f"s3://{bucket}/d/a.bin").exit_code == 0


def test_rm_dry_run_of_a_delete_marker_is_what_rm_deletes(cli: Any, s3_server: Any, bucket: str) -> None:
    """`rm --version-id MARKER --dry-run` said "object not found" (exit 3) of a delete marker that `rm
    --version-id MARKER` then deleted (its size was asked of a stat, which a marker has not): now planned,
    size 0, and nothing deleted (reva)."""
    from conftest import plain_client
    put_stdin(cli, bucket, "d/a.bin", data=b"a" * 10)
    assert cli("rm", f"s3://{bucket}/d/a.bin").exit_code == 0  # versioned bucket: a delete marker
    client = plain_client(s3_server)
    marker = next(v.version_id for v in client.list_objects(bucket, "d/", recursive=True, include_version=True)
                  if v.is_delete_marker)
    run = cli("rm", f"s3://{bucket}/d/a.bin", "--version-id", marker, "--dry-run", "--json")
    assert run.exit_code == 0, run
    assert run.json()["would_delete"] == [{"bucket": bucket, "key": "d/a.bin", "size": 0, "version_id": marker}], run
    assert cli("stat", f"s3://{bucket}/d/a.bin").exit_code == 3  # the marker still hides it
    run = cli("rm", f"s3://{bucket}/d/a.bin", "--version-id", marker, "--json")
    assert run.exit_code == 0, run
    assert cli("stat", f"s3://{bucket}/d/a.bin").exit_code == 0  # the marker gone: the object back
