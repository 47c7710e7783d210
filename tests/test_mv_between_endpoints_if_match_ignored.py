"""A move between two endpoints whose source server ignores If-Match on DELETE (service/delete_guard.py).

tests/test_mv_delete_if_match_ignored.py moves within one endpoint and to a local file. A move to another
endpoint (sync/copy.Copier._relay) hands the DELETE the source as MoveGuard saw it before the copy: its ETag,
its version id and its size. In a versioned bucket of a server that ignores If-Match (Ceph RGW 16.2) the
version id is what lets the delete marker's place be checked (`delete_conditional` true); without it the source
would take the unversioned path (a HEAD, then a plain DELETE: `delete_conditional` false).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import plain_client, unique

MOVED = b"the frame moved to another endpoint"


def _context(server: Any, state: Path) -> Any:
    from its_store import load_settings
    from its_store.service.context import Context
    return Context(load_settings(endpoint=server.endpoint, access_key=server.access_key,
                                 secret_key=server.secret_key, secure=False, region="us-east-1", cache_dir=state))


@pytest.mark.parametrize("object_server", ["ceph"], indirect=True)
def test_a_versioned_source_moved_to_another_endpoint_has_its_marker_checked(
        object_server: Any, second_seaweed: Any, tmp_path: Path) -> None:
    from minio.commonconfig import ENABLED
    from minio.versioningconfig import VersioningConfig

    from its_store.sync.copy import Copier
    client, sb, db = plain_client(object_server), unique("vs"), unique("vd")
    client.make_bucket(sb)
    client.set_bucket_versioning(sb, VersioningConfig(ENABLED))
    src, dest = _context(object_server, tmp_path / "src-state"), _context(second_seaweed, tmp_path / "dest-state")
    try:
        dest.s3.make_bucket(db)
        src.s3.put(sb, "a.jpg", MOVED, {})
        result = Copier(src, dest_owner=dest).move(f"s3://{sb}/a.jpg", f"s3://{db}/b.jpg")
        assert not result.failed, result
        [item] = result.objects
        assert item.deleted is True and item.delete_marker is True and item.delete_conditional is True, item
        with dest.s3.get(db, "b.jpg") as resp:
            assert resp.read() == MOVED
        versions = list(client.list_objects(sb, "a.jpg", include_version=True))
        assert sorted(bool(v.is_delete_marker) for v in versions) == [False, True], versions  # hidden, kept
    finally:
        src.close()
        dest.close()
