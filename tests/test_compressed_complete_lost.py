"""A compressed upload (`--compress zstd`) carries x-amz-meta-its-sha256 of the ORIGINAL bytes (codec/compression.py),
while the object holds the compressed ones. A Complete whose answer is lost or NoSuchUpload, on a server whose
HEAD shows no multipart ETag (`rclone serve s3`), is proven only when the bytes read back hash to the SHA-256 of
the bytes as stored (s3/multipart._bytes_are). Before, a stream's upload had no custody at all on its Complete
(and the read-back compared with the its-sha256, of the original bytes): an upload stored whole failed, exit 3
"nothing at the key shows this upload made it". Now the uploader hashes the compressed bytes as it sends them
(transfer/upload_stream) and hands that SHA-256 to complete_multipart beside the its-sha256 the HEAD must show.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy
from test_complete_md5_parts_proven_by_custody import _GONE, _is_complete

from conftest import plain_client, unique
from helpers import write_file

MiB = 1024 * 1024


@pytest.mark.parametrize("object_server", ["rclone"], indirect=True)
@pytest.mark.parametrize("fault", ["no-such-upload", "lost"])
def test_a_compressed_upload_whose_complete_answer_is_lost_is_proven(
        object_server: Any, object_cli: Any, tmp_path: Path, fault: str) -> None:
    src = write_file(tmp_path / "clip.mp4", 11 * MiB, seed=91)
    hooks = ({"replace_answer": lambda seen: _GONE if _is_complete(seen) else None} if fault == "no-such-upload"
             else {"lose_answer": _is_complete})
    bucket = unique("b")
    plain_client(object_server).make_bucket(bucket)
    with FaultProxy(int(object_server.endpoint.rpartition(":")[2]), **hooks) as proxy:
        run = object_cli("upload", str(src), f"s3://{bucket}/clip.mp4", "--part-size", "5MiB", "--json",
                         "--compress", "zstd",
                         extra_env={"MINIO_ENDPOINT": proxy.endpoint, "MINIO_MAX_RETRIES": "0"})
    assert proxy.counters.replaced + proxy.counters.lost == 1
    assert [o.object_name for o in plain_client(object_server).list_objects(bucket)] == ["clip.mp4"]
    assert run.exit_code == 0, run  # stored whole: this upload's object
