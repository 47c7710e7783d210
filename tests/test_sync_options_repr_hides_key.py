"""An SSE-C key given as bytes in sync/watch's UploadOptions.extra (the UploadRequest field `sse_c_key`, which the
watcher's read-back check now reads: sync/watch_source._upload_key) is not shown by the options' repr, nor by
a SyncOptions' that holds them (a repr lands in logs, tracebacks and debuggers)."""

from __future__ import annotations

import os

from its_store.sync.model import SyncOptions, UploadOptions


def test_the_key_bytes_are_not_in_the_reprs() -> None:
    key = os.urandom(32)
    upload = UploadOptions(sse_c_key_file=None, extra={"sse_c_key": key, "legal_hold": True})
    for shown in (repr(upload), str(upload), repr(SyncOptions(upload=upload))):
        assert repr(key) not in shown and key.hex() not in shown
