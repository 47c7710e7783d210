"""Session 35, atk1: "another server" for an upload's tags. `upload f s3://B/k --tag lane=3` on `rclone serve s3`
(no object tagging) answered 200 and its-store said "uploaded" (exit 0): the object had no tags, and nothing
said so (DESIGN.md: "Verify on the server what you promised"). Now the first tagged upload to a bucket in a
process reads its tags back (service/tagcheck.py), until they were seen kept: kept, exit 0; dropped (rclone;
radosgw 16.2 after a multipart upload, whose GetObjectTagging then answers an empty body), exit 78
`tags_not_kept` naming the object stored without them. On each of the four servers the answer matches what the
server holds (read with a plain minio client). Seen failing without the change (rclone: exit 0, no tags; radosgw
multipart: exit 0, no tags).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import ServerInfo, plain_client
from helpers import random_bytes


def _tags(server: ServerInfo, bucket: str, key: str) -> dict[str, str] | None:
    """The tags the server holds, None where it has no object tagging (rclone: S3Error or garbage)."""
    try:
        return dict(plain_client(server).get_object_tags(bucket, key) or {})
    except Exception:  # noqa: BLE001 - rclone answers GET ?tagging with the object's bytes
        return None


@pytest.mark.parametrize("size", [2_000, 6 * 1024 * 1024], ids=["put", "multipart"])
def test_an_uploads_tags_are_kept_or_said_not_kept(object_cli: Any, object_server: ServerInfo, object_bucket: str,
                                                    tmp_path: Path, size: int) -> None:
    Path("f.bin").write_bytes(random_bytes(size, seed=5))
    run = object_cli("--json", "upload", "f.bin", f"s3://{object_bucket}/k.bin", "--tag", "lane=3",
                     "--part-size", "5MiB")
    held = _tags(object_server, object_bucket, "k.bin")
    if held == {"lane": "3"}:
        assert run.exit_code == 0, run
        return
    assert run.exit_code == 78 and run.json()["error"]["code"] == "tags_not_kept", (object_server.kind, held, run)
    said = run.json()["error"]["message"]
    assert said.startswith(f"s3://{object_bucket}/k.bin was stored, but ") and "tags" in said, run
    again = object_cli("upload", "f.bin", f"s3://{object_bucket}/k2.bin", "--tag", "lane=3", "--part-size", "5MiB")
    assert again.exit_code == 78, again  # read back again: never "kept" on the strength of an earlier upload
    untagged = object_cli("upload", "f.bin", f"s3://{object_bucket}/k3.bin")  # no tags asked: nothing to keep
    assert untagged.exit_code == 0, untagged
