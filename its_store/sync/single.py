"""One object as a sync writes it, and the state store a sync keeps: shared by the sync engine
(engine.py) and the watcher (watch*.py), which upload a file exactly as sync does.

`upload_one` sends one local file (the upload options of `upload` plus its mtime in x-amz-meta-mtime,
rclone's text) read through one descriptor opened in the folder walked, and records the object in the
state store (state.py: sync/remember.open_state is the store of a context); `sync_request` is that upload's
request.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from its_store.core import errors as E
from its_store.core.localtree import LocalTree, OpenFile
from its_store.service import objects
from its_store.service.context import Context, HasContext, as_context
from its_store.sync.model import UploadOptions
from its_store.sync.mtime import META_MTIME, format_mtime
from its_store.sync.remember import remember
from its_store.sync.state import SyncState

if TYPE_CHECKING:
    from its_store.core.models import UploadRequest, UploadResponse

def upload_one(owner: Context | HasContext, path: str | Path, bucket: str, key: str,
               options: UploadOptions | None = None, *, state: SyncState | None = None, sha256: str | None = None,
               progress: Callable[[int], None] | None = None, follow_symlinks: bool = False,
               opened: OpenFile | None = None) -> UploadResponse:
    """Upload ONE local file to s3://bucket/key exactly as sync does: the upload options of `upload`,
    plus the file's mtime in x-amz-meta-mtime (rclone's text), and an entry in the state store.

    The file is read only through one descriptor: `opened`, opened by the caller in the folder it
    walked (core/localtree: no folder swapped for a link is followed), else `path` opened here the
    same way below its folder (a FIFO refused without blocking, a symbolic link unless
    `follow_symlinks`). Its fstat before and after: if it changed meanwhile (still being written) this
    raises FileChangedError (exit 5) after the upload, whose object then carries the old mtime, so
    that the next sync (or the watcher's next try) sends it again. A vanished file is
    LocalFileNotFoundError."""
    ctx = as_context(owner)
    if opened is None:
        where = Path(path)
        with LocalTree(where.parent, follow_symlinks=follow_symlinks, keep=0).open_file(where.name) as mine:
            return upload_one(ctx, path, bucket, key, options, state=state, sha256=sha256, progress=progress,
                              follow_symlinks=follow_symlinks, opened=mine)
    before = opened.stat
    mtime = format_mtime(before.st_mtime_ns)
    request = sync_request(bucket, key, options, mtime, file_path=Path(path), follow_symlinks=follow_symlinks)
    with opened.reader() as source:
        resp = objects.upload(ctx, request, progress=progress, source=source)
    if not opened.unchanged() or resp.total_size != before.st_size:
        raise E.FileChangedError(f"{path} changed while it was uploaded",
                                 hint="it is sent again by the next run, once it is no longer written")
    if state is not None:
        remember(state, resp, mtime, sha256)
    return resp


def sync_request(bucket: str, key: str, options: UploadOptions | None, mtime: str, **source: Any) -> UploadRequest:
    """THE upload request of sync and of the watcher (sync/watch_source.upload_source): the upload
    options of `upload`, plus the local mtime in x-amz-meta-mtime (rclone's text). `source` says where
    the bytes come from: file_path= (and follow_symlinks=), or data= / stream= (the watcher reads the
    descriptor it checked). `options.extra` (the object lock fields) is applied last."""
    from its_store.core.models import UploadRequest
    opts = options or UploadOptions()
    return UploadRequest(bucket=bucket, key=key, object_type=opts.object_type,
                         metadata={**opts.metadata, META_MTIME: mtime}, tags=opts.tags,
                         content_type=opts.content_type, compression=opts.compression,
                         compression_level=opts.compression_level, sse=opts.sse,
                         sse_c_key_file=opts.sse_c_key_file, part_size=opts.part_size, **{**source, **opts.extra})
