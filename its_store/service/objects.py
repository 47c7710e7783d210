"""Object I/O over a Context: upload, download (to a file or a stream), stat, head, delete, presign.

Each operation is recorded once by ctx.op() (stats, cache invalidation, audit line) whichever path moved
the bytes: one PUT or parts, compressed or not (encoded.py), a range or the whole object (ranged.py).
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import IO, TYPE_CHECKING, Literal, cast

from pydantic import Field

from its_store.core import errors as E
from its_store.core.files import is_folder, open_regular, writing_to
from its_store.core.models import (
    META_TYPE,
    DeleteResult,
    DownloadRequest,
    DownloadResponse,
    ObjectInfo,
    ObjectType,
    Result,
    UploadRequest,
    UploadResponse,
)
from its_store.core.refs import validate_bucket, validate_key, validate_new_key
from its_store.core.streams import WholeWriter
from its_store.service.bucket_use import ensure_bucket, resolve_bucket
from its_store.service.listing import INTERNAL_META, object_info

if TYPE_CHECKING:
    from its_store.core.localtree import TreeFile
    from its_store.s3.client import Headers
    from its_store.service.context import Context, Op
    from its_store.service.encoded import Stored, UploadOptions, UploadPlan
    from its_store.service.lockcheck import LockCheck
    from its_store.transfer.download import ObjectHead, Target
    from its_store.transfer.parts import ProgressFn

MAX_PRESIGN_SECONDS = 7 * 24 * 3600
_META_KEY_OK = set("abcdefghijklmnopqrstuvwxyz0123456789-_.")


def _noop(_: int) -> None:
    pass


# ------------------------------------------------------------------------------------------ upload
def upload(ctx: Context, request: UploadRequest, progress: ProgressFn | None = None, *,
           source: IO[bytes] | None = None, source_stat: os.stat_result | None = None,
           shared: SharedUpload | None = None) -> UploadResponse:
    """Upload one object from a file, bytes or a stream; multipart at MINIO_MULTIPART_THRESHOLD.

    `source`: request.file_path already opened and checked by the caller (a file of a walk, opened
    through core/localtree.LocalTree so that no folder swapped for a link is followed); read only
    through it, not closed here. Without it the file is opened here (core/files.open_regular).
    `source_stat`: the fstat of `source` its opener took (core/localtree.OpenFile.stat), used instead of
    one more fstat of the same descriptor (a system call, so a GIL hand-over among a batch's threads).
    `shared`: what every file of a batch shares, planned once (plan_shared of the batch's request, of
    which `request` is a copy naming its file and a key core/refs.local_key made); None: planned here."""
    started = time.perf_counter()
    if shared is not None:
        # the bucket checked by plan_shared; the key made by local_key, checked again here (~1 us): whoever
        # hands a SharedUpload in, no unchecked key reaches the server
        bucket, key = shared.bucket, validate_new_key(str(request.key))
    else:
        bucket = resolve_bucket(ctx, request.bucket, request.object_type)
        key = validate_new_key(request.key if request.key is not None else Path(str(request.file_path)).name)
    if source is not None or request.file_path is None:
        return _upload(ctx, request, bucket, key, source, progress, started, source_stat, shared)
    # opened once, checked on the descriptor, read only through it
    with open_regular(Path(request.file_path), follow_symlinks=request.follow_symlinks) as opened:
        return _upload(ctx, request, bucket, key, opened, progress, started, shared=shared)


@dataclass(frozen=True, slots=True)
class SharedUpload:
    """The planning every file of one batch shares (upload -r: the same request options for each
    file), worked out and checked once before the first file (bad flags: exit 2, no request): the
    bucket, the headers but Content-Type (metadata, tags, object lock, encryption) and the encryption and
    codec (UploadOptions). Per file stay: its key, the Content-Type guessed from its name, its LockCheck
    when a lock is asked (filled in by the checks of its stored version) and its UploadPlan (stat, sample,
    hash)."""

    bucket: str
    headers: dict[str, str]
    options: UploadOptions
    by_type: dict[str, dict[str, str]] = field(default_factory=dict)  # headers_for's, per content type

    def headers_for(self, content_type: str) -> dict[str, str]:
        """A file's headers: its Content-Type and the shared ones, made (and checked) once per content type
        of the batch, then copied per file (a batch of frames has one or two types)."""
        made = self.by_type.get(content_type)
        if made is None:
            own = _upload_modules()[0].object_headers(content_type, {}, {})  # a non-ASCII type: refused, per file
            made = self.by_type.setdefault(content_type, {**own, **self.headers})
        return dict(made)


def plan_shared(ctx: Context, template: UploadRequest) -> SharedUpload:
    """SharedUpload of a batch's `template` request (the same checks as one upload's, in _upload)."""
    from its_store.service.encoded import UploadOptions
    bucket = resolve_bucket(ctx, template.bucket, template.object_type)
    headers = _headers(template, template.content_type or "application/octet-stream")
    del headers["Content-Type"]  # per file: guessed from its name unless given
    options = UploadOptions.of(ctx, template)
    return SharedUpload(bucket, {**headers, **options.sse.headers()}, options)


def _headers(request: UploadRequest, content_type: str) -> dict[str, str]:
    """One upload's request headers but the encryption's: content type, metadata, tags, object lock."""
    from its_store.s3.client import object_headers
    headers = object_headers(content_type, _metadata(request), _check_tags(request.tags))
    if request.retain_until is not None or request.legal_hold:  # object lock (core/lock.py)
        from its_store.core.lock import lock_headers
        headers.update(lock_headers(request.retain_mode, request.retain_until, request.legal_hold))
    return headers


def _upload(ctx: Context, request: UploadRequest, bucket: str, key: str, source: IO[bytes] | None,
            progress: ProgressFn | None, started: float, source_stat: os.stat_result | None = None,
            shared: SharedUpload | None = None) -> UploadResponse:
    _, encoded, lockcheck, metacheck, _ = _upload_modules()
    content_type = request.content_type or _guess_type(request.file_path or key)
    if shared is None:
        plan = encoded.UploadPlan(ctx, request, _headers(request, content_type), source, source_stat)
    else:  # codec, level, SSE, key checked before a request (per file: the file's own)
        plan = encoded.UploadPlan(ctx, request, shared.headers_for(content_type), source, source_stat,
                                  shared.options)
    lock = _lock_asked(request)  # the object lock asked for, checked on the stored version below
    with ctx.op("upload", bucket=bucket, key=key, stat="upload", timed=True, sha256=None) as op:
        op.started = started
        try:
            ensure_bucket(ctx, bucket)
            if lock is not None:  # nothing stored unprotected on a bucket without lock
                lockcheck.require_bucket_lock(ctx, bucket, lock)
            result = _put(ctx, plan, request, bucket, key, progress)
            if lock is not None:  # radosgw drops multipart lock headers
                lockcheck.ensure_locked(ctx.s3, bucket, key, result.version_id, lock)
            sent = metacheck.underscored(plan.headers)  # radosgw: camera_id -> camera-id
            if sent:  # the endpoint's identity only when there is a name to read back (most uploads: none)
                metacheck.check_names(ctx.settings.server_id(), plan.s3, bucket, key, result.version_id, sent)
            op.nbytes = result.size
            op.fields.update(size=result.size, version_id=result.version_id, sha256=result.sha256)
        finally:
            op.fields.update(**(lock.audit() if lock is not None else {}), **plan.sse_audit())
    return UploadResponse(
        bucket=bucket, key=key, etag=result.etag, version_id=result.version_id, total_size=result.size,
        content_type=content_type, object_type=request.object_type, multipart=result.parts > 1
        or "-" in result.etag, parts=result.parts, duration_seconds=time.perf_counter() - started,
        codec=result.codec, stored_size=result.stored_size, encryption=result.encryption, sha256=result.sha256,
        unchecked=result.unchecked)


def _put(ctx: Context, plan: UploadPlan, request: UploadRequest, bucket: str, key: str,
         progress: ProgressFn | None) -> Stored:
    """The bytes to the server; lock headers refused by a bucket without object lock: exit 78, explained."""
    try:
        return plan.put(bucket, key, request.workers or ctx.workers, progress or _noop)
    except E.InvalidInputError as exc:
        if request.retain_until is None and not request.legal_hold:
            raise
        from its_store.service.retention import Retention
        raise Retention(ctx).explain(bucket, key, None, exc, action="upload") from None


def _lock_asked(request: UploadRequest) -> LockCheck | None:
    """The object lock `request` asks for (lockcheck.LockCheck, filled in by the checks of the version
    written), or None when it asks for none: nothing to check then, and no model built per file."""
    if request.retain_until is None and not request.legal_hold:  # LockCheck.asked's rule, on the request
        return None
    check: LockCheck = _upload_modules()[2].LockCheck.of(request)
    return check


def _metadata(request: UploadRequest) -> dict[str, str]:
    meta = {}
    for name, value in request.metadata.items():
        low = name.strip().lower()
        if not low or not set(low) <= _META_KEY_OK or low in INTERNAL_META:
            raise E.InvalidInputError(f"invalid metadata key {name!r}",
                                      hint="use letters, digits, '-', '_' and '.'")
        if not value.isascii() or not value.isprintable():
            raise E.InvalidInputError(f"metadata value for {name!r} must be printable ASCII")
        meta[low] = value
    meta[META_TYPE] = ObjectType(request.object_type).value
    if sum(len(k) + len(v) for k, v in meta.items()) > 2048:
        raise E.InvalidInputError("user metadata larger than 2 KiB (the S3 limit)")
    return meta


def _check_tags(tags: dict[str, str]) -> dict[str, str]:
    if len(tags) > 10:
        raise E.InvalidInputError("at most 10 tags per object (S3 limit)")
    for key, value in tags.items():
        if not key or len(key) > 128 or len(value) > 256:
            raise E.InvalidInputError(f"invalid tag {key!r}: keys 1-128 chars, values up to 256")
    return tags


def _guess_type(name: Path | str) -> str:
    return str(_upload_modules()[4].guess_content_type(name))


@functools.cache
def _upload_modules() -> tuple[ModuleType, ModuleType, ModuleType, ModuleType, ModuleType]:
    """The modules an upload uses beyond this one's (s3/messages, service/encoded, lockcheck, metacheck,
    core/mime): imported by the first upload, not at start-up, and then without an import statement per
    object. In Python 3.11 each `from M import N` run in a function raises and drops two AttributeErrors
    inside the import system (~1 us); a batch of camera frames paid about ten of them per file."""
    from its_store.core import mime
    from its_store.s3 import messages
    from its_store.service import encoded, lockcheck, metacheck
    return messages, encoded, lockcheck, metacheck, mime


# ---------------------------------------------------------------------------------------- download
def head(ctx: Context, bucket: str, key: str, version_id: str | None = None) -> ObjectHead:
    """What a download needs (size, ETag, part size, whether the ETag is an MD5): encoded.open_head."""
    from its_store.service.encoded import open_head
    return open_head(ctx, bucket, key, version_id)[0]


def download(ctx: Context, request: DownloadRequest, progress: ProgressFn | None = None, *,
             into: TreeFile | None = None) -> DownloadResponse:
    """Download to a file (or into a folder) atomically, verified against the ETag when possible.

    `into`: where to write instead of request.file_path, a file under a folder a batch writes into
    (core/localtree.TreeFile, whose path is request.file_path): its folders are made and opened
    from that folder's descriptor without following links, and the temp file renamed there."""
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
    target = into if into is not None else _local_target(request)
    if request.ranged:  # `get --range`: service/ranged.py
        return _download_range(ctx, request, target, progress or _noop, started), None
    with _counted(ctx, started) as op:  # SSE-C key, undoing compression, sha256 check: service/encoded
        got = _download_modules()[0].download_file(ctx, request, target, progress or _noop)
        op.nbytes = got.head.size
    head = got.head
    return DownloadResponse(bucket=request.bucket, key=request.key, file_path=_path(target), size=got.size,
                            etag=head.etag, version_id=head.version_id, verified=got.verified,
                            duration_seconds=time.perf_counter() - started, codec=got.codec,
                            stored_size=head.size), got.headers


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
    """service/encoded and s3/client, imported by the first download (not at start-up), then without an
    import statement per object (_upload_modules says why: ~1 us each in Python 3.11)."""
    from its_store.s3 import client
    from its_store.service import encoded
    return encoded, client


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
        from its_store.service.encoded import download_stream
        got = download_stream(ctx, bucket, key, out, version_id=version_id, raw=raw, sse_c_key=sse_c_key,
                              sse_c_key_file=sse_c_key_file, progress=progress or _noop)
        op.nbytes = got.head.size
        return got.size


# -------------------------------------------------------------------------------------------- stat
def stat_object(ctx: Context, bucket: str, key: str, version_id: str | None = None, include_tags: bool = True,
                *, sse_c_key: bytes | None = None, sse_c_key_file: Path | None = None) -> ObjectInfo:
    """Size, ETag, type, user metadata, tags, codec and encryption of one object (SSE-C: its key)."""
    from its_store.codec.encryption import resolve_key
    from its_store.service.encoded import stat_with_key
    validate_bucket(bucket)
    validate_key(key, existing=True)  # a listed key with a control character too; '..' is refused by s3/
    sse_key = resolve_key(ctx.settings, sse_c_key, sse_c_key_file)

    def fetch() -> ObjectInfo:
        stat = stat_with_key(ctx, bucket, key, version_id, sse_key)
        return object_info(bucket, key, stat.size, stat.etag, stat.last_modified, stat.content_type,
                           stat.metadata, stat.version_id)
    info: ObjectInfo = ctx.cache.object_info(bucket, key, version_id, fetch)  # cached within MINIO_CACHE_TTL
    if include_tags:
        info.tags = ctx.cache.tags(bucket, key, version_id, lambda: ctx.s3.get_tags(bucket, key, version_id))
    return info


# ------------------------------------------------------------------------------------------ delete
class DeletedObjects(Result):
    """`rm` of named objects: one DeleteResult each, in the order named."""

    deleted: list[DeleteResult] = Field(default_factory=list)


class PlannedDelete(Result):
    """One object `rm --dry-run` would delete (it exists: it was stat'ed)."""

    bucket: str
    key: str
    size: int
    version_id: str | None = None


class DeletePlan(Result):
    """`rm --dry-run` of named objects: each one would be deleted; nothing was."""

    dry_run: Literal[True] = True
    would_delete: list[PlannedDelete] = Field(default_factory=list)


def delete_each(ctx: Context, targets: Iterable[tuple[str, str]], version_id: str | None = None, *,
                bypass_governance: bool = False) -> DeletedObjects:
    """Delete each (bucket, key) in turn (see delete()); the first that fails raises, those before it
    are deleted."""
    return DeletedObjects(deleted=[delete(ctx, bucket, key, version_id, bypass_governance=bypass_governance)
                                   for bucket, key in targets])


def plan_delete(ctx: Context, targets: Iterable[tuple[str, str]], version_id: str | None = None) -> DeletePlan:
    """What delete_each() would delete: each (bucket, key) stat'ed (a missing one raises
    ObjectNotFoundError, exit 3); nothing is deleted."""
    found = [stat_object(ctx, bucket, key, version_id, include_tags=False) for bucket, key in targets]
    return DeletePlan(would_delete=[PlannedDelete(bucket=i.bucket, key=i.key, size=i.size, version_id=version_id)
                                    for i in found])


def delete(ctx: Context, bucket: str, key: str, version_id: str | None = None, *,
           bypass_governance: bool = False) -> DeleteResult:
    """Delete one object (or one version). A missing object is an ObjectNotFoundError.

    In a versioned bucket, without `version_id`, S3 only adds a delete marker (allowed even under
    object lock): the result says `delete_marker`, as the data is still stored. A version refused by
    object lock is ObjectLockedError (exit 6) with the reason; `bypass_governance` overrides
    governance retention only (never compliance or a legal hold)."""
    validate_bucket(bucket)
    validate_key(key, existing=True)
    with ctx.op("rm", bucket=bucket, key=key, stat="delete", version_id=version_id, delete_marker=None,
                bypass_governance=bypass_governance or None) as op:
        _exists(ctx, bucket, key, version_id)
        from its_store.service.versions import markers_said  # on use: not on a transfer's path
        marker = False if version_id is not None else markers_said(ctx, bucket)  # None: unknown
        op.fields["delete_marker"] = marker or None
        _remove_one(ctx, bucket, key, version_id, bypass_governance)
    return DeleteResult(bucket=bucket, key=key, version_id=version_id, delete_marker=marker)


def _exists(ctx: Context, bucket: str, key: str, version_id: str | None) -> None:
    """HEAD before a delete: a missing object is ObjectNotFoundError (S3 answers its delete with 204)."""
    from its_store.service import heads
    try:
        heads.stat(ctx, bucket, key, version_id)
    except E.SseKeyRequiredError:
        pass  # it exists, encrypted with an SSE-C key: deleting needs no key
    except E.ItsStoreError as exc:  # a delete marker has no HEAD (404/405) but is removed by its id
        from its_store.service.versions import Versions
        if (not version_id or type(exc) not in (E.ObjectNotFoundError, E.ItsStoreError)
                or not Versions(ctx).is_delete_marker(bucket, key, version_id)):
            raise


def _remove_one(ctx: Context, bucket: str, key: str, version_id: str | None, bypass_governance: bool) -> None:
    """One DELETE (a one-entry DeleteObjects with the bypass header when asked); a refusal by
    object lock comes back as ObjectLockedError with its reason (service/retention.py)."""
    try:
        if not bypass_governance:
            ctx.s3.remove(bucket, key, version_id)
            return
        failures = ctx.s3.remove_versions(bucket, [(key, version_id)], bypass_governance=True)
        if failures:
            from its_store.s3.client import failure_error
            raise failure_error(failures[0][2], bucket, key)
    except E.AccessDeniedError as exc:
        from its_store.service.retention import Retention
        raise Retention(ctx).explain(bucket, key, version_id, exc) from None


def delete_many(ctx: Context, bucket: str, keys: list[str]) -> list[DeleteResult]:
    """Batch delete (1,000 keys per request). Each key gets a DeleteResult; failures are not raised.
    In a bucket that leaves delete markers each deleted key says `delete_marker`: hidden, still stored.
    Any key a listing gives can be passed, control characters and '.'/'..' segments included (s3/keys.py
    sends each the way that names it exactly); a key that is no key at all (empty, over 1,024 bytes)
    fails alone, never the batch."""
    validate_bucket(bucket)
    failures: dict[str, str] = {}
    for key in keys:
        try:
            validate_key(key, existing=True)
        except E.InvalidInputError as exc:
            failures[key] = f"{exc.code}: {exc.message}"
    sendable = [k for k in keys if k not in failures]
    for start in range(0, len(sendable), 1000):
        failures.update(remove_batch(ctx, bucket, sendable[start:start + 1000]))
    from its_store.service.versions import markers_said  # on use: not on a transfer's path
    marker = markers_said(ctx, bucket)  # asked once per bucket (remove_batch asked already); None: unknown
    return [DeleteResult(bucket=bucket, key=k, deleted=k not in failures, error=failures.get(k),
                         delete_marker=False if k in failures else marker) for k in keys]


def remove_batch(ctx: Context, bucket: str, keys: list[str], sizes: dict[str, int] | None = None) -> dict[str, str]:
    """One DeleteObjects request (<= 1,000 keys), recorded once whoever asked (rm, rm -r, sync, the
    registry): cache invalidation, one audit line and one stats count per key, `delete_marker` on the
    line when the bucket leaves delete markers (the data is hidden, not gone). Returns the failures as
    {key: "Code: message"}; if the request itself fails, every key is audited as failed and the error
    raised."""
    failures: dict[str, str] = {}
    from its_store.service.versions import leaves_delete_markers  # on use: not on a transfer's path
    marker = leaves_delete_markers(ctx, bucket) or None
    try:
        failures = dict(ctx.s3.remove_many(bucket, [(k, None) for k in keys]))
    except E.ItsStoreError as exc:
        failures = dict.fromkeys(keys, f"{exc.code}: {exc.message}")
        raise
    finally:
        ctx.each("rm", bucket, {key: failures.get(key) for key in keys}, stat="delete", sizes=sizes,
                 delete_marker=marker)
    return failures


# ----------------------------------------------------------------------------------------- presign
class PresignedUrl(Result):
    """A URL that grants `method` on one object without credentials, until `expires_at` (UTC)."""

    url: str
    method: str
    bucket: str
    key: str
    expires_in_seconds: int
    expires_at: datetime
    stored_codec: str | None = None  # GET: the object is stored compressed (gzip, lz4, zstd) by its-store, and
    # the URL serves those compressed bytes, which only its-store (or that codec's tool) turns back into the data


def presigned(ctx: Context, bucket: str, key: str, expires_in_seconds: int = 3600,
              method: str = "GET") -> PresignedUrl:
    """presign() with what the URL grants and when it expires; for GET, one HEAD says whether the object is
    stored compressed (`stored_codec`: whoever gets the URL gets the compressed bytes). The HEAD is best
    effort: an object that is not there (yet), a key that may not read it, no answer: no codec said."""
    url = presign(ctx, bucket, key, expires_in_seconds, method)
    expires_at = datetime.now(UTC) + timedelta(seconds=int(expires_in_seconds))
    codec = None
    if method.upper() == "GET":
        try:
            codec = stat_object(ctx, bucket, key, include_tags=False).codec
        except E.ItsStoreError:
            codec = None
    return PresignedUrl(url=url, method=method.upper(), bucket=bucket, key=key,
                        expires_in_seconds=int(expires_in_seconds), expires_at=expires_at, stored_codec=codec)


def presign(ctx: Context, bucket: str, key: str, expires_in_seconds: int = 3600, method: str = "GET") -> str:
    """A URL that grants `method` on one object for at most 7 days, with no credentials needed."""
    validate_bucket(bucket)
    validate_key(key)
    method = method.upper()
    if method not in ("GET", "PUT", "HEAD", "DELETE"):
        raise E.InvalidInputError(f"unsupported presign method {method!r}", hint="use GET or PUT")
    if not 1 <= int(expires_in_seconds) <= MAX_PRESIGN_SECONDS:
        raise E.InvalidInputError(
            f"expiry must be between 1 second and 7 days (got {int(expires_in_seconds)} s)",
            hint="S3 signatures are valid for at most 7 days (604800 s)")
    return ctx.s3.presign(method, bucket, key, timedelta(seconds=int(expires_in_seconds)))
