"""A copy between endpoints with an SSE-C key given as bytes (the library's `sse_c_key`, as `upload` and `get`
take it): CrossOptions.of kept only the fields it knew, so the key was dropped. The source was read without
it (refused: SSE-C, exit 2) or, with a plain source, the copy was stored without the encryption asked for.
The key's bytes now stand where its file would (the destination's key, and the source's unless the source has
its own), and a move's checks of the source read it with them too."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from test_xcopy import body, context_on, listed, put

from its_store.service.xcopy import CrossOptions
from its_store.sync.copy import Copier

from conftest import SMALL_THRESHOLD as T
from conftest import unique
from helpers import random_bytes


def test_cross_options_keep_the_key_bytes_and_hide_them() -> None:
    key = secrets.token_bytes(32)
    options = CrossOptions.of({"sse_c_key": key, "workers": 2})
    assert options.sse_c_key == key and options.workers == 2
    assert key.hex() not in repr(options) and repr(key) not in repr(options)


def test_an_sse_c_source_is_moved_between_endpoints_with_the_key_as_bytes(
        service: Any, second_seaweed: Any, tmp_path: Path) -> None:
    src = service.ctx
    dest = context_on(second_seaweed.endpoint, second_seaweed.access_key, second_seaweed.secret_key,
                      tmp_path / "dest-state")
    try:
        sb, db = unique("kb"), unique("kd")
        src.s3.make_bucket(sb)
        key = secrets.token_bytes(32)
        data = random_bytes(2 * T + 7, 71)
        put(src, sb, "clip.mp4", data, sse="c", sse_c_key=key, part_size=T)
        result = Copier(src, dest_owner=dest, options={"sse_c_key": key}).move(
            f"s3://{sb}/clip.mp4", f"s3://{db}/clip.mp4")
        assert not result.errors, result.errors
        assert [i.verified_by for i in result.objects] == ["sha256"] and result.objects[0].deleted
        from its_store.codec.encryption import parse_key
        assert body(dest, db, "clip.mp4", parse_key(key, "test").headers()) == data  # encrypted with that key
        assert dest.s3.stat(db, "clip.mp4", headers=parse_key(key, "test").headers()).metadata.get(
            "x-amz-server-side-encryption-customer-algorithm") == "AES256"
        assert listed(src, sb) == []
    finally:
        dest.close()
