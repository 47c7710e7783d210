"""A Complete whose answer is all there is, marked in the result: `unchecked: "etag"`.

Where a part's ETag is no MD5 (SSE-C and SSE-KMS on S3 and MinIO; on SeaweedFS an UploadPartCopy whose range
crosses the source's chunks) no multipart ETag can be computed, so the Complete's answer is HEADed; a key that may
write but not read (the HEAD denied) leaves the answer as the only word (s3/multipart._named_as, _UNREAD). That
was kept with one warning log line, and the result (cp/mv/sync --json items, an upload's, a relay's) showed its
ETag as any checked one. Now the result says `unchecked: "etag"`, the field that already says `"tags"` (tags not
read back) and `"sse"` (encryption not read back): a script sees what was not proven. Through tests/faultproxy.py,
which answers 403 to every HEAD of the copy once its Complete was sent (tests/test_complete_proof.py's case).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from faultproxy import Seen
from faultserver import response
from test_complete_proof import _copy_through, _is_complete, _source

from helpers import object_bytes

DENIED = response(403, b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access '
                       b"Denied</Message></Error>", content_type="application/xml")


def test_a_server_copy_standing_on_its_complete_answer_is_marked_unchecked(s3_server: Any, service: Any,
                                                                           bucket: str, tmp_path: Path) -> None:
    data = _source(service, bucket, seed=77)
    completed: list[bool] = []

    def answer(seen: Seen) -> bytes | None:
        if _is_complete(seen):
            completed.append(True)
        return DENIED if completed and seen.method == "HEAD" and seen.path.endswith("/old/clip.mp4") else None

    result = _copy_through(s3_server, bucket, tmp_path, answer=answer)
    assert not result.failed, result
    (item,) = result.objects
    assert item.multipart_copy is True and item.unchecked == "etag", item
    assert item.model_dump(mode="json")["unchecked"] == "etag"  # as --json prints it
    assert object_bytes(service, bucket, "old/clip.mp4") == data


def test_a_server_copy_read_back_keeps_no_mark(s3_server: Any, service: Any, bucket: str, tmp_path: Path) -> None:
    """The same copy with its HEAD allowed: proven by its custody, nothing unchecked."""
    _source(service, bucket, seed=78)
    result = _copy_through(s3_server, bucket, tmp_path)
    assert not result.failed, result
    (item,) = result.objects
    assert item.multipart_copy is True and item.unchecked is None, item
