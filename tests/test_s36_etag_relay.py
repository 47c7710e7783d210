"""Session 36 (etag): a relay between endpoints to a server whose multipart ETag is no MD5 of the part MD5s
and has no "-N" (old Swift s3api; SSE-KMS), consistent in its Complete answer and every HEAD.

The Complete's answer names an ETag other than the parts' one: the object is HEADed (s3/multipart._named_as).
A relay knows this upload's custody (the source's its-sha256, sent as the destination's metadata, and the
size): the object carrying the answer's ETag with that custody is this upload's, so the copy succeeds. A
source without its-sha256 gives no custody: the answer's ETag is then believed only with "-N" of as many
parts, so on such a server the copy is the bad-answer error (exit 1), the object stored. A multipart server
copy (UploadPartCopy) passes custody too: it sends the source's metadata, its-sha256 with it, again.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy, Seen
from test_s36_atk2_complete_answer import _etag_everywhere, _is_complete, _result
from test_xcopy import body, context_on, put

from its_store.core import errors as E
from its_store.service.xcopy import CrossOptions, copy_object

from conftest import SMALL_THRESHOLD as T
from conftest import unique
from helpers import random_bytes

MiB = 1024 * 1024


@pytest.mark.parametrize("custody", [True, False])
def test_a_relay_to_a_server_with_no_md5_multipart_etag(service: Any, second_seaweed: Any, tmp_path: Path,
                                                        custody: bool) -> None:
    src = service.ctx
    sb, db = unique("etsrc"), unique("etdst")
    src.s3.make_bucket(sb)
    data = random_bytes(3 * T + 11, 57)
    if custody:
        put(src, sb, "clip.mp4", data)
    else:  # a plain SDK PUT: no its-sha256 on the source
        src.s3.put(sb, "clip.mp4", data, {})
    etag = hashlib.md5(data, usedforsecurity=False).hexdigest()
    canned = _result(db, "clip.mp4", etag)
    proxy = FaultProxy(int(second_seaweed.endpoint.rsplit(":", 1)[1]), head_of=_etag_everywhere(etag),
                       replace_answer=lambda seen: canned if _is_complete(seen) else None).start()
    via = context_on(proxy.endpoint, second_seaweed.access_key, second_seaweed.secret_key, tmp_path / "via")
    try:
        via.s3.make_bucket(db)
        if custody:
            copied = copy_object(src, sb, "clip.mp4", via, db, "clip.mp4", CrossOptions(part_size=T))
            assert copied.etag == etag and copied.parts > 1
        else:
            with pytest.raises(E.BadAnswerError):
                copy_object(src, sb, "clip.mp4", via, db, "clip.mp4", CrossOptions(part_size=T))
        assert body(via, db, "clip.mp4") == data  # stored either way: the Complete reached the server
    finally:
        proxy.stop()
        via.close()


def test_a_server_copy_to_a_server_with_no_md5_multipart_etag(s3_server: Any, service: Any, bucket: str,
                                                              tmp_path: Path) -> None:
    """A multipart server copy (UploadPartCopy) sends the source's metadata again, its-sha256 with it: that
    and the size are its custody, as a relay's. The ETags are rewritten only after the Complete: the source's
    HEAD before it (x-amz-copy-source-if-match) must keep the server's own. (Its part ETags are MD5s here:
    the source's parts match the copy's ranges.)"""
    from test_rev3_copy_complete import _copy, _service_via
    data = random_bytes(11 * MiB, seed=58)
    put(service.ctx, bucket, "cam/clip.mp4", data)
    etag = hashlib.md5(data, usedforsecurity=False).hexdigest()
    completed: list[Seen] = []

    def replaced(seen: Seen) -> bytes | None:
        if not _is_complete(seen):
            return None
        completed.append(seen)
        return _result(bucket, "old/clip.mp4", etag)

    rewrite = _etag_everywhere(etag)
    with FaultProxy(int(s3_server.endpoint.rsplit(":", 1)[1]), replace_answer=replaced,
                    head_of=lambda method, head: rewrite(method, head) if completed else head) as proxy:
        via = _service_via(proxy, s3_server, tmp_path)
        try:
            result = _copy(via, bucket)
        finally:
            via.close()
    assert completed and (result.succeeded, result.failed) == (1, 0), result
    assert body(service.ctx, bucket, "old/clip.mp4") == data
