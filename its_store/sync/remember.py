"""The sync state store (state.py) as `upload -r` and `get -r` fill it: each object one stores, and what each
GET answer of the other said of its object, is recorded as a sync records its own uploads and downloads, so the
first sync of the folder after either finds every object known and HEADs none (docs/guides/sync.md). A GET's
answer is read straight from its headers (known_from_answer), not through the ObjectInfo a HEAD's listing
builds (~280k instructions an object, 12% of get -r's, which is why get -r once recorded nothing).

Kept lean (the state store, the mtime key, nothing of the sync engine): `upload -r` and `get -r` import it.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from its_store.core.meta_names import is_sha256
from its_store.core.models import META_CODEC, META_ORIGINAL_SIZE, META_SHA256
from its_store.core.units import read_uint
from its_store.service.context import Context, HasContext, as_context
from its_store.sync.mtime import META_MTIME
from its_store.sync.state import Fetched, Known, SyncState, listed_at

if TYPE_CHECKING:
    from its_store.core.models import ObjectInfo, UploadRequest, UploadResponse
    from its_store.core.tree_files import TreeFile

STATE_FILE = "sync-state.sqlite"
_MD5 = re.compile(r"[0-9a-f]{32}")
_CODEC, _ORIGINAL, _SHA256, _MTIME = (f"x-amz-meta-{name}" for name in (META_CODEC, META_ORIGINAL_SIZE, META_SHA256,
                                                                      META_MTIME))


def open_state(owner: Context | HasContext, enabled: bool = True, *, read_only: bool = False) -> SyncState:
    """The sync state store of this service's settings (cache folder), or an empty one; `read_only` (a dry
    run): read, never written, nor made where there is none."""
    settings = as_context(owner).settings
    folder = settings.cache_dir
    path = Path(folder) / STATE_FILE if (enabled and folder) else None
    return SyncState(path, f"{settings.scheme}://{settings.server_id()}",  # one box's entries never another's
                     read_only=read_only)


def known_from_info(info: Any) -> Known:
    """Known from a HEAD's ObjectInfo: original size, mtime text, sha256, whether the ETag is an MD5."""
    etag = (info.etag or "").strip('"')
    md5 = bool(_MD5.fullmatch(etag)) and not info.encryption and not info.codec
    size = info.original_size if (info.codec and info.original_size is not None) else info.size
    sha = info.sha256 if info.sha256 and is_sha256(info.sha256) else None  # another tool's value of that name: none
    return Known(etag, info.size, size, (info.metadata or {}).get(META_MTIME), sha, md5)


def known_from_answer(etag: str, stored_size: int, headers: Mapping[str, str]) -> Known:
    """known_from_info() of a GET or HEAD answer, read from its headers (lower-case names: s3 Headers) without
    an ObjectInfo: the same entry for ~1/10 of the instructions, as get -r and sync's downloads record one an
    object. `etag` and `stored_size` are the answer's (the download's ObjectHead)."""
    etag = etag.strip('"')
    get: Callable[[Any, str], str | None] = (  # s3 Headers (lower-case names): no Headers.get call a read
        dict.get if getattr(headers, "names_lower", False) else type(headers).get)
    codec = get(headers, _CODEC)
    original = read_uint(get(headers, _ORIGINAL)) if codec else None
    md5 = not codec and _MD5.fullmatch(etag) is not None and _describe()(headers) is None
    sha = get(headers, _SHA256)
    return Known(etag, stored_size, stored_size if original is None else original, get(headers, _MTIME),
                 sha if sha and is_sha256(sha) else None, md5)  # another tool's value of that name: none


@functools.cache
def _describe() -> Callable[[Mapping[str, str]], str | None]:
    """codec/sse_choice.describe_lower (offered by codec/encryption too), imported by the first answer read,
    then without an import per object."""
    from its_store.codec.sse_choice import describe_lower
    return describe_lower


def remembering_gets(state: SyncState) -> Callable[[str, str, str, int, Mapping[str, str]], None]:
    """An `on_object` for Batch.download_prefix (`get -r`): records what each object's GET answer said."""
    def record(bucket: str, key: str, etag: str, stored_size: int, headers: Mapping[str, str]) -> None:
        state.put(bucket, key, known_from_answer(etag, stored_size, headers))
    return record


def remembering_files(state: SyncState, folder: Path) -> Callable[[str, ObjectInfo, int, TreeFile], None]:
    """An `on_file` for Batch.download_prefix (`get -r` into `folder`): records what each download left there
    (state.Fetched: the listing's ETag, size and LastModified, the file's size and mtime), as a sync records its
    own downloads. Without it, the first sync of the folder after `get -r` took an object rewritten by another
    tool with the old bytes' its-sha256 and mtime carried over for the file it holds (its mtime alone differs:
    get -r keeps none), and only set the file's mtime; now the listing's other ETag fetches it again."""
    # as the sync of that folder names it (sync/engine: Path.resolve(), the same string), without resolve()'s
    # RuntimeError on a link loop: the folder's own open then says what is wrong with the name
    where = os.path.realpath(folder)

    def record(bucket: str, listed: ObjectInfo, size: int, file: TreeFile) -> None:
        if listed.etag:
            state.put_fetched(where, bucket, listed.key, Fetched(listed.etag, listed.size, size, file.mtime_ns(),
                                                                 None, listed_at(listed.last_modified)))
    return record


def remember(state: SyncState, resp: UploadResponse, mtime: str | None, sha256: str | None = None) -> None:
    """Record an object just uploaded in the state store, as a HEAD of it would describe it: `mtime` the
    x-amz-meta-mtime it was sent with (None: none), its sha256, whether its ETag is the content's MD5."""
    plain = resp.codec == "none" and not resp.encryption and not resp.multipart
    state.put(resp.bucket, resp.key, Known(resp.etag, resp.stored_size or resp.total_size, resp.total_size, mtime,
                                           sha256 or resp.sha256, plain and len(resp.etag) == 32))


def remembering(state: SyncState) -> Callable[[UploadRequest, UploadResponse], None]:
    """An `on_object` for Batch.upload_directory (`upload -r`) that records each object uploaded."""
    def record(request: UploadRequest, resp: UploadResponse) -> None:
        remember(state, resp, _mtime_of(request.metadata))
    return record


def remembering_responses(state: SyncState, metadata: Mapping[str, str] | None) -> Callable[[UploadResponse], None]:
    """An `on_response` for Batch.upload_directory (`upload -r`): records each object uploaded as remembering()
    does, for a batch whose every file is sent with `metadata` (the batch's one request's), so its mtime is
    found once, not in a request per file."""
    mtime = _mtime_of(metadata or {})

    def record(resp: UploadResponse) -> None:
        remember(state, resp, mtime)
    return record


def _mtime_of(metadata: Mapping[str, str]) -> str | None:
    """The x-amz-meta-mtime an upload's metadata sends (None: none)."""
    return next((v for k, v in metadata.items() if k.lower() == META_MTIME), None)
