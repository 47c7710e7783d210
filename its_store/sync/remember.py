"""The sync state store (state.py) as `upload -r` fills it: each object it stores is recorded as a sync records
its own uploads, so the first sync of the folder after it finds every object known and HEADs none
(docs/guides/sync.md). Not `get -r`: building what a GET answer said costs ~280k instructions an object (the
ObjectInfo of service/object_download._info), ~12% of its per-object cost; the first sync after it HEADs instead.

Kept lean (the state store, the mtime key, nothing of the sync engine): `upload -r` imports it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from its_store.service.context import Context, HasContext, as_context
from its_store.sync.mtime import META_MTIME
from its_store.sync.state import Known, SyncState

if TYPE_CHECKING:
    from its_store.core.models import UploadRequest, UploadResponse

STATE_FILE = "sync-state.sqlite"
_MD5 = re.compile(r"[0-9a-f]{32}")


def open_state(owner: Context | HasContext, enabled: bool = True) -> SyncState:
    """The sync state store of this service's settings (cache folder), or an empty one."""
    settings = as_context(owner).settings
    folder = settings.cache_dir
    path = Path(folder) / STATE_FILE if (enabled and folder) else None
    return SyncState(path, f"{settings.scheme}://{settings.server_id()}")  # one box's entries never another's


def known_from_info(info: Any) -> Known:
    """Known from a HEAD's ObjectInfo: original size, mtime text, sha256, whether the ETag is an MD5."""
    etag = (info.etag or "").strip('"')
    md5 = bool(_MD5.fullmatch(etag)) and not info.encryption and not info.codec
    size = info.original_size if (info.codec and info.original_size is not None) else info.size
    return Known(etag, info.size, size, (info.metadata or {}).get(META_MTIME), info.sha256, md5)


def remember(state: SyncState, resp: UploadResponse, mtime: str | None, sha256: str | None = None) -> None:
    """Record an object just uploaded in the state store, as a HEAD of it would describe it: `mtime` the
    x-amz-meta-mtime it was sent with (None: none), its sha256, whether its ETag is the content's MD5."""
    plain = resp.codec == "none" and not resp.encryption and not resp.multipart
    state.put(resp.bucket, resp.key, Known(resp.etag, resp.stored_size or resp.total_size, resp.total_size, mtime,
                                           sha256 or resp.sha256, plain and len(resp.etag) == 32))


def remembering(state: SyncState) -> Callable[[UploadRequest, UploadResponse], None]:
    """An `on_object` for Batch.upload_directory (`upload -r`) that records each object uploaded."""
    def record(request: UploadRequest, resp: UploadResponse) -> None:
        mtime = next((v for k, v in request.metadata.items() if k.lower() == META_MTIME), None)
        remember(state, resp, mtime)
    return record
