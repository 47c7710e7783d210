"""Downloading one object over a Context: to a file (or into a folder a batch writes), to a stream, a byte
range; its head and its stat. Each download is counted once by ctx.op() whichever path moved the bytes:
decoded and verified or not (service/decoding.py), a range or the whole object (service/ranged.py).

Importable from service/objects.py as before.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import IO, TYPE_CHECKING, cast

from its_store.core.files import is_folder, writing_to
from its_store.core.models import DownloadRequest, DownloadResponse, ObjectInfo
from its_store.core.refs import validate_bucket, validate_key, validate_version_id
from its_store.core.streams import WholeWriter
from its_store.service.listing import object_info

if TYPE_CHECKING:
    from its_store.core.localtree import TreeFile
    from its_store.s3.client import Headers
    from its_store.service.context import Context, Op
    from its_store.service.decoding import Fetched
    from its_store.transfer.download import ObjectHead, Target
    from its_store.transfer.parts import ProgressFn


Answered = Callable[[str, str, str, int, Mapping[str, str]], None]  # download_into's on_answer


def _noop(_: int) -> None:
    pass


def head(ctx: Context, bucket: str, key: str, version_id: str | None = None) -> ObjectHead:
    """What a download needs (size, ETag, part size, whether the ETag is an MD5): decoding.open_head."""
    from its_store.service.decoding import open_head
    validate_bucket(bucket)
    validate_key(key, existing=True)
    validate_version_id(version_id)
    return open_head(ctx, bucket, key, version_id)[0]


def download(ctx: Context, request: DownloadRequest, progress: ProgressFn | None = None, *,
             into: TreeFile | None = None) -> DownloadResponse:
    """Download to a file (or into a folder) atomically, verified against the ETag when possible.

    `into`: where to write instead of request.file_path, a file under a folder a batch writes into
    (core/localtree.TreeFile; request.file_path is then not read: a batch leaves its folder's there): its
    folders are made and opened from that folder's descriptor without following links, and the temp file
    renamed there."""
    return _download(ctx, request, progress, into)[0]


def download_info(ctx: Context, request: DownloadRequest, progress: ProgressFn | None = None, *,
                  into: TreeFile | None = None) -> tuple[DownloadResponse, ObjectInfo | None]:
    """download(), and what the answer said of the object (its size, ETag, metadata, codec, sha256,
    encryption: what a HEAD would say, service/fetch.py), which sync keeps instead of asking again.
    None for a byte range."""
    resp, headers = _download(ctx, request, progress, into)
    return resp, _info(request.bucket, request.key, headers, resp.version_id)


def _download(ctx: Context, request: DownloadRequest, progress: ProgressFn | None,
              into: TreeFile | None) -> tuple[DownloadResponse, Headers | None]:
    """download(), and the headers of the answer that stood for the object's HEAD (None for a range)."""
    started = time.perf_counter()
    validate_bucket(request.bucket)
    validate_key(request.key, existing=True)  # any stored key; '..' segments are refused by s3/
    validate_version_id(request.version_id)
    target = into if into is not None else _local_target(request)
    if request.ranged:  # `get --range`: service/ranged.py
        return _download_range(ctx, request, target, progress or _noop, started), None
    got = _fetch(ctx, request, target, progress, started)
    head = got.head
    return DownloadResponse(bucket=request.bucket, key=request.key, file_path=_path(target), size=got.size,
                            etag=head.etag, version_id=head.version_id, verified=got.verified,
                            duration_seconds=time.perf_counter() - started, codec=got.codec,
                            stored_size=head.size, note=None if got.verified else _weak(head.etag)), got.headers


def _weak(etag: str | None) -> str | None:
    """Why a download with a weak ETag (W/"...", as a proxy that may change the body marks it) is not verified:
    a weak ETag promises equivalent content, not these bytes, so it is no MD5 to compare them with. Its W/ is
    not stripped: bytes a proxy re-encoded would fail such a comparison (exit 4) for nothing wrong stored,
    and a match would claim what the server did not."""
    if etag is None or not etag.lstrip('"').startswith("W/"):
        return None
    return ("the server sent a weak ETag (W/...): it promises equivalent content, not these bytes, so there was "
            "no checksum to compare them with")


def download_into(ctx: Context, request: DownloadRequest, into: TreeFile, progress: ProgressFn | None = None,
                  on_answer: Answered | None = None) -> tuple[int, bool]:
    """download(ctx, request, progress, into=into) for a batch (`get -r`) or a sync, which keep only the bytes
    written and whether they were verified (its BatchItem): (size, verified). Recorded, written and checked
    as download() does; only no DownloadResponse is made, whose validation cost ~5 us a frame and whose
    schema, built on its first use, ~15 ms a command (bench/run.py W5). `on_answer(bucket, key, etag,
    stored size, headers)`: what the answer that stood for the object's HEAD said (lower-case header names;
    not called for a byte range), for the sync state store (sync/remember.known_from_answer)."""
    if request.ranged:
        resp = download(ctx, request, progress, into=into)
        return resp.size, resp.verified
    started = time.perf_counter()
    validate_bucket(request.bucket)
    validate_key(request.key, existing=True)
    got = _fetch(ctx, request, into, progress, started)
    if on_answer is not None and got.headers is not None:
        on_answer(request.bucket, request.key, got.head.etag, got.head.size, got.headers)
    return got.size, got.verified


def _fetch(ctx: Context, request: DownloadRequest, target: Target, progress: ProgressFn | None,
           started: float) -> Fetched:
    """The whole object to `target`, as one counted operation (SSE-C key, undoing compression, sha256
    check: service/decoding)."""
    with _counted(ctx, started) as op:
        got: Fetched = _download_modules()[0].download_file(ctx, request, target, progress or _noop)
        op.nbytes = got.head.size
    return got


def _path(target: Path | TreeFile) -> Path:
    """The path a download wrote (a TreeFile's own, not parsed again from its text)."""
    return target if isinstance(target, Path) else target.path


def _info(bucket: str, key: str, headers: Headers | None, version_id: str | None) -> ObjectInfo | None:
    """ObjectInfo from an object's GET or HEAD answer (as stat_object builds it from a HEAD)."""
    if headers is None:
        return None
    stat = _download_modules()[1].ObjectStat(bucket, key, headers)
    return object_info(bucket, key, stat.size, stat.etag, stat.last_modified, stat.content_type, headers,
                       version_id or stat.version_id)


@functools.cache
def _download_modules() -> tuple[ModuleType, ModuleType]:
    """service/decoding and s3/client, imported by the first download (not at start-up), then without an
    import statement per object (_upload_modules says why: ~1 us each in Python 3.11)."""
    from its_store.s3 import client
    from its_store.service import decoding
    return decoding, client


def _local_target(request: DownloadRequest) -> Path:
    """The file request.file_path names; a folder gets the key's last segment as the name (its rules)."""
    target = Path(str(request.file_path))
    if is_folder(target):
        validate_key(request.key)
        target = target / Path(request.key).name
    return target


def _counted(ctx: Context, started: float) -> Op:
    """A download as one operation: counted in the stats (bytes, seconds since `started`), not audited."""
    op = ctx.op("download", stat="download", audit=False, forget=None, timed=True)
    op.started = started
    return op


def _download_range(ctx: Context, request: DownloadRequest, target: Target, progress: ProgressFn,
                    started: float) -> DownloadResponse:
    """A byte range to a file (never verifiable: `verified` false)."""
    from its_store.service.ranged import range_file
    with _counted(ctx, started) as op:
        got = range_file(ctx, request, target, progress)
        op.nbytes = got.length
    return DownloadResponse(bucket=request.bucket, key=request.key, file_path=Path(str(target)), size=got.length,
                            etag=got.head.etag, version_id=got.head.version_id, verified=False,
                            duration_seconds=time.perf_counter() - started, stored_size=got.length,
                            offset=got.start, object_size=got.head.size,
                            note="a partial download cannot be verified: no checksum covers a byte range")


def download_to_stream(ctx: Context, bucket: str, key: str, out: IO[bytes], *, version_id: str | None = None,
                       progress: ProgressFn | None = None, raw: bool = False, sse_c_key: bytes | None = None,
                       sse_c_key_file: Path | None = None, offset: int = 0, length: int | None = None) -> int:
    """Write an object to a binary stream (stdout) in order, decompressed unless `raw`; with
    `offset`/`length` only that byte range (see DownloadRequest). Returns the byte count written.
    A write error of `out` (a full disk behind a redirect) is LocalIOError; a closed pipe stays
    BrokenPipeError (the reader went away: the CLI exits quietly)."""
    validate_bucket(bucket)
    validate_key(key, existing=True)
    validate_version_id(version_id)
    started = time.perf_counter()
    out = cast("IO[bytes]", WholeWriter(out))  # a short write (stdout on a pipe) is finished or raises
    with writing_to(out), _counted(ctx, started) as op:
        if offset != 0 or length is not None:
            from its_store.service.ranged import range_stream
            part = range_stream(ctx, bucket, key, out, offset=offset, length=length, version_id=version_id,
                                raw=raw, sse_c_key=sse_c_key, sse_c_key_file=sse_c_key_file,
                                progress=progress or _noop)
            op.nbytes = part.length
            return part.length
        from its_store.service.decoding import download_stream
        got = download_stream(ctx, bucket, key, out, version_id=version_id, raw=raw, sse_c_key=sse_c_key,
                              sse_c_key_file=sse_c_key_file, progress=progress or _noop)
        op.nbytes = got.head.size
        return got.size


# -------------------------------------------------------------------------------------------- stat
def stat_object(ctx: Context, bucket: str, key: str, version_id: str | None = None, include_tags: bool = True,
                *, sse_c_key: bytes | None = None, sse_c_key_file: Path | None = None,
                cached: bool = True) -> ObjectInfo:
    """Size, ETag, type, user metadata, tags, codec and encryption of one object (SSE-C: its key). Not
    `cached` (a dry run's HEAD, which changes no state): asked of the server, the metadata cache neither read
    nor written (nor its hits and misses counted in the stats)."""
    from its_store.codec.encryption import resolve_key
    from its_store.service.decoding import stat_with_key
    validate_bucket(bucket)
    validate_key(key, existing=True)  # a listed key with a control character too; '..' is refused by s3/
    validate_version_id(version_id)
    sse_key = resolve_key(ctx.settings, sse_c_key, sse_c_key_file)

    def fetch() -> ObjectInfo:
        stat = stat_with_key(ctx, bucket, key, version_id, sse_key)
        return object_info(bucket, key, stat.size, stat.etag, stat.last_modified, stat.content_type,
                           stat.metadata, stat.version_id)
    # cached within MINIO_CACHE_TTL
    info: ObjectInfo = ctx.cache.object_info(bucket, key, version_id, fetch) if cached else fetch()
    if include_tags:
        def tags() -> dict[str, str]:
            return ctx.s3.get_tags(bucket, key, version_id)
        info.tags = ctx.cache.tags(bucket, key, version_id, tags) if cached else tags()
    return info
