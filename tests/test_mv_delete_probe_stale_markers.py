"""A run killed between mv's If-Match probe (service/delete_guard.py) and the removal of the delete marker that
probe left (a versioned bucket whose server ignores If-Match on DELETE: Ceph RGW 16.2) left that marker for good,
one more for each such kill, seen by `ls --versions`. Now the next probe in that folder removes the markers of
probe keys of the exact shape (`.its-store-delete-probe-` + 16 hex digits, only delete markers) that are
STALE_PROBE older than its own marker (the server's clock); nothing else: a key of another shape, a probe name
holding data, a marker of another key, are kept. The killed run's marker is made as it left it: a plain DELETE
of such a key. STALE_PROBE (an hour: a live run removes its marker within a request) is set to zero here: the
killed run's marker is older than the new probe's by the test's own requests, and no test waits an hour.
"""

from __future__ import annotations

import io
from typing import Any

import pytest

from conftest import plain_client, unique

MOVED = b"the frame that is moved"


@pytest.mark.parametrize("object_server", ["ceph"], indirect=True)  # the versioned server that ignores If-Match
def test_the_next_probe_removes_the_markers_killed_probes_left_and_nothing_else(
        object_server: Any, object_cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import timedelta

    from minio.commonconfig import ENABLED
    from minio.versioningconfig import VersioningConfig

    from its_store.service import delete_guard
    monkeypatch.setattr(delete_guard, "STALE_PROBE", timedelta(0))
    client, bucket, name = plain_client(object_server), unique("b"), delete_guard.PROBE_NAME
    client.make_bucket(bucket)
    client.set_bucket_versioning(bucket, VersioningConfig(ENABLED))
    killed = f"in/{name}0123456789abcdef"
    kept = {f"in/{name}0123456789abcdeg": "marker",  # not 16 hex digits
            f"in/{name}0123456789abcd": "marker",  # too short
            f"{name}fedcba9876543210": "marker",  # another folder's (swept by a probe there)
            "in/other.jpg": "marker",
            f"in/{name}00112233445566ff": "data"}  # a probe name that holds data: never ours
    for key, kind in kept.items():
        if kind == "data":
            client.put_object(bucket, key, io.BytesIO(b"x"), 1)
        client.remove_object(bucket, key)
    client.remove_object(bucket, killed)  # the marker a killed run's probe left
    assert object_cli("upload", "-", f"s3://{bucket}/in/a.jpg", input=MOVED).exit_code == 0
    run = object_cli("mv", f"s3://{bucket}/in/a.jpg", f"s3://{bucket}/out/a.jpg")
    assert run.exit_code == 0, run
    left = {(o.object_name, o.is_delete_marker) for o in client.list_objects(bucket, recursive=True,
                                                                             include_version=True)}
    assert (killed, True) not in left, sorted(left)
    expected = {(key, True) for key in kept} | {(f"in/{name}00112233445566ff", False), ("in/a.jpg", True),
                                                ("in/a.jpg", False), ("out/a.jpg", False)}
    assert left == expected, sorted(left ^ expected)
