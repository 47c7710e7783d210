"""Attack on UploadRequest.stream (session 37): what a script passes there that has no read(): the bytes
themselves (where `data=` belongs), a path as a str, an open file's descriptor number. Each ended in
"AttributeError: ... object has no attribute 'read'" from deep inside the upload, which `except
ItsStoreError` misses (docs/library: every error is one). A text stream was already refused
(test_atk32b_library_types.py). Now each is InvalidInputError naming `stream`, before any request."""

from __future__ import annotations

from typing import Any

import pytest

from its_store import InvalidInputError, UploadRequest


@pytest.mark.parametrize("stream", [b"frame bytes", "/var/frames/cam1.jpg", 3], ids=["bytes", "path-str", "fd"])
def test_a_stream_without_read_is_invalid_input(service: Any, bucket: str, stream: Any) -> None:
    """Fails on main (e7ffee0): AttributeError "'bytes' object has no attribute 'read'" (and the like)."""
    with pytest.raises(InvalidInputError, match="stream"):
        service.upload_object(UploadRequest(bucket=bucket, key="cam/frame.jpg", stream=stream))
    assert service.list_objects(__import__("its_store").ListObjectsRequest(bucket=bucket)) == []
