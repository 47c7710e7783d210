"""Uploading one object over a Context: its checks (key, metadata, tags, object lock), its headers, the plan
of what to store (service/upload_plan.py) and the checks of the version written; recorded once by ctx.op()
(stats, cache invalidation, audit line). A batch plans what its files share once (plan_shared).

Importable from service/objects.py as before.
"""

from __future__ import annotations

import functools
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import IO, TYPE_CHECKING

from its_store.core import errors as E
from its_store.core.files import open_regular
from its_store.core.models import META_TYPE, ObjectType, UploadRequest, UploadResponse
from its_store.core.refs import validate_new_key
from its_store.service.bucket_use import ensure_bucket, resolve_bucket
from its_store.service.listing import INTERNAL_META

if TYPE_CHECKING:
    from its_store.service.context import Context
    from its_store.service.lockcheck import LockCheck
    from its_store.service.upload_plan import Stored, UploadOptions, UploadPlan
    from its_store.transfer.parts import ProgressFn

_META_KEY_OK = set("abcdefghijklmnopqrstuvwxyz0123456789-_.")


def _noop(_: int) -> None:
    pass


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


def upload_walked(ctx: Context, shared: SharedUpload, request: UploadRequest, key: str, path: Path | str,
                  source: IO[bytes], source_stat: os.stat_result | None = None,
                  progress: ProgressFn | None = None) -> UploadResponse:
    """One file of a batch (service/batch.Batch.upload_directory) as upload() would store it from a copy of
    `request` naming `path` and `key`, without that copy: `request` is the batch's one validated request,
    `shared` its plan_shared. `key`: checked as a new key (validate_new_key: its fast path for the keys a walk
    makes, ~1 us), as a library caller may hand any. `source`, `source_stat`: as upload()'s."""
    validate_new_key(key)
    return _upload(ctx, request, shared.bucket, key, source, progress, time.perf_counter(), source_stat, shared,
                   path)


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
    underscored: list[str]  # metacheck.underscored of every file's headers (Content-Type holds no `_`)
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
    """SharedUpload of a batch's `template` request (the same checks as one upload's, in _upload), its
    bucket ensured (bucket_use.ensure_bucket) as _upload ensures a lone upload's."""
    from its_store.service.upload_plan import UploadOptions
    bucket = resolve_bucket(ctx, template.bucket, template.object_type)
    headers = _headers(template, template.content_type or "application/octet-stream")
    del headers["Content-Type"]  # per file: guessed from its name unless given
    options = UploadOptions.of(ctx, template)
    shared = {**headers, **options.sse.headers()}
    ensure_bucket(ctx, bucket)  # for every file (a batch has: then known, no request)
    return SharedUpload(bucket, shared, options, _upload_modules()[2].underscored(shared))


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
            shared: SharedUpload | None = None, path: Path | str | None = None) -> UploadResponse:
    """`path`: the file to store in place of request.file_path (upload_walked)."""
    upload_plan = _upload_modules()[1]
    content_type = request.content_type or _guess_type(path or request.file_path or key)
    if shared is None:
        plan = upload_plan.UploadPlan(ctx, request, _headers(request, content_type), source, source_stat)
    else:  # codec, level, SSE, key checked before a request (per file: the file's own)
        plan = upload_plan.UploadPlan(ctx, request, shared.headers_for(content_type), source, source_stat,
                                      shared.options, path)
    lock = _lock_asked(request)  # the object lock asked for, checked on the stored version below
    with ctx.op("upload", bucket=bucket, key=key, stat="upload", timed=True, sha256=None) as op:
        op.started = started
        try:
            if shared is None:  # else ensured by plan_shared
                ensure_bucket(ctx, bucket)
            if lock is not None:  # nothing stored unprotected on a bucket without lock
                _lockcheck().require_bucket_lock(ctx, bucket, lock)
            result = _put(ctx, plan, request, bucket, key, progress)
            if lock is not None:  # radosgw drops multipart lock headers
                _lockcheck().ensure_locked(ctx.s3, bucket, key, result.version_id, lock)
            multipart = result.parts > 1 or "-" in result.etag  # one part of a multipart upload too ('...-1')
            unchecked = _kept(ctx, plan, request, shared, bucket, key, result, multipart)
            op.nbytes = result.size
            op.fields.update(size=result.size, version_id=result.version_id, sha256=result.sha256)
        finally:
            op.fields.update(**(lock.audit() if lock is not None else {}), **plan.sse_audit())
    # validated from a dict (model_validate): the same validator and fields as UploadResponse(**...), without
    # the keywords packed into a dict again by BaseModel.__init__ (~20k instructions instead of ~25k a file)
    return UploadResponse.model_validate({
        "bucket": bucket, "key": key, "etag": result.etag, "version_id": result.version_id,
        "total_size": result.size, "content_type": content_type, "object_type": request.object_type,
        "multipart": multipart, "parts": result.parts,
        "duration_seconds": time.perf_counter() - started, "codec": result.codec,
        "stored_size": result.stored_size, "encryption": result.encryption, "sha256": result.sha256,
        "unchecked": unchecked})


def _kept(ctx: Context, plan: UploadPlan, request: UploadRequest, shared: SharedUpload | None, bucket: str,
          key: str, result: Stored, multipart: bool) -> str | None:
    """The metadata names and tags the upload sent, read back on the version stored; what its result says is
    `unchecked`: the encryption's ("sse"), else the tags' when the key may not read them ("tags")."""
    # names with '_' (radosgw: camera_id -> camera-id), found once for a batch (plan_shared)
    metacheck = _upload_modules()[2]
    sent = shared.underscored if shared is not None else metacheck.underscored(plan.headers)
    if sent:  # the endpoint's identity only when there is a name to read back (most uploads: none)
        metacheck.check_names(ctx.settings.server_id(), plan.s3, bucket, key, result.version_id, sent)
    unchecked: str | None = result.unchecked
    if request.tags:  # read back until kept once (rclone keeps none, radosgw none of a multipart)
        from its_store.service.tagcheck import check_tags
        if not check_tags(ctx, bucket, key, result.version_id, request.tags, multipart):  # plain client: no SSE-C key
            unchecked = unchecked or "tags"  # the key may not read them back (an "sse" one says more)
    return unchecked


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
    check: LockCheck = _lockcheck().LockCheck.of(request)
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
    """The tags of an upload, checked by the one rule `tag set` keeps (service/tags.check_tags: AWS's limits and
    characters). SeaweedFS stores a '%' from a PUT's x-amz-tagging but refuses it in PutObjectTagging and a
    copy's x-amz-tagging: such a tag could never be set again, nor kept by a multipart copy."""
    if not tags:
        return tags
    from its_store.service.tags import check_tags
    return check_tags(tags)


def _guess_type(name: Path | str) -> str:
    return str(_upload_modules()[3].guess_content_type(name))


@functools.cache
def _upload_modules() -> tuple[ModuleType, ModuleType, ModuleType, ModuleType]:
    """The modules an upload uses beyond this one's (s3/messages, service/upload_plan, metacheck, core/mime):
    imported by the first upload, not at start-up, and then without an import statement per object. In
    Python 3.11 each `from M import N` run in a function raises and drops two AttributeErrors inside the
    import system (~1 us); a batch of camera frames paid about ten of them per file."""
    from its_store.core import mime
    from its_store.s3 import messages
    from its_store.service import metacheck, upload_plan
    return messages, upload_plan, metacheck, mime


@functools.cache
def _lockcheck() -> ModuleType:
    """service/lockcheck, imported by the first upload that asks for an object lock: its LockCheck model
    cost ~27M instructions to create, which every upload paid before, asked or not."""
    from its_store.service import lockcheck
    return lockcheck
