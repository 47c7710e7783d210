"""Finding: `sync s3://B/p/ DEST` whose source listing is refused (a key that may not list: an edge box's
write-only key, a read key scoped elsewhere) ends 'failed 1 ... failed: : listing s3://B/p/ failed: access
denied (AccessDenied) to ListObjectsV2 on s3://B/p/' with exit 1, and DEST (a folder that did not exist) is
made, empty. `get -r s3://B/p/ DEST/` with the same key: one error line, exit 6, nothing made. Promised
(preamble, core/errors): a meaningful exit code, 6 for access (a script tells "fix the key" from "retry"),
and nothing made that was not asked for when nothing could be done. Fails now (left failing). Server:
test_atk34_least_privilege's SeaweedFS.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from test_atk34_least_privilege import _bucket, keys, least_server  # noqa: F401 - the identities' server


def test_sync_down_with_a_refused_listing_exits_6_and_makes_nothing(cli: Any, keys: dict[str, dict[str, str]],  # noqa: F811
                                                                    tmp_path: Path) -> None:
    """Fix (sync depth, one rule): a sync whose SOURCE listing failed as a whole (Walk.error, nothing
    listed) ends with that error's exit code (6 here, 3 for NoSuchBucket, 69 unavailable) as get -r does,
    not the generic 'some items failed' 1; and the local DEST is made only once the source listing
    answered (sync/engine: ensure the local folder after the first page, as ensure_bucket runs for an S3
    DEST only when needed)."""
    bucket = _bucket(cli, keys)
    run = cli("sync", f"s3://{bucket}/s/", "newdest", extra_env=keys["writer"])
    assert "ListObjectsV2" in run.stderr, run
    assert not (tmp_path / "newdest").exists(), run
    assert run.exit_code == 6, run
