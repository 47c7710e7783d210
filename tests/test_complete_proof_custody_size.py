"""The custody that proves a Complete where the parts' ETags are no MD5s is its SHA-256 AND its size.

(s3/multipart._custody_shown; tests/test_complete_proof.py.) A server copy whose parts cross the source's chunks
on SeaweedFS has no computable multipart ETag; its Complete's answer is HEADed and the object must show the
upload's custody. An object already at the key that carries the same its-sha256 but another size (a stale copy
cut or grown by another tool that carried the metadata over) is not the copy: a Complete answered with another
upload's result (never made) fails, and the stale object is left as it was.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from test_complete_proof import _copy_through, _is_complete, _result, _source

from helpers import object_bytes


def test_an_object_with_the_custody_hash_but_another_size_is_not_the_copy(s3_server: Any, service: Any, bucket: str,
                                                                           tmp_path: Path) -> None:
    data = _source(service, bucket, seed=91)
    stale = data[:-1]  # one byte short, the source's its-sha256 carried over
    service.s3.put(bucket, "old/clip.mp4", stale, {"x-amz-meta-its-sha256": hashlib.sha256(data).hexdigest()})
    canned = _result(bucket, "old/clip.mp4", "0123456789abcdef0123456789abcdef-3")
    result = _copy_through(s3_server, bucket, tmp_path, answer=lambda seen: canned if _is_complete(seen) else None)
    assert result.failed, result
    assert "ETag" in result.errors[0].message, result.errors  # the answer is not shown to be the copy
    assert object_bytes(service, bucket, "old/clip.mp4") == stale
