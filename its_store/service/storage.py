"""StorageService: the object and bucket operations of the library API, composed from the helpers.

Synchronous and thread-safe. One instance holds one minio client with one connection pool, so it is
meant to be shared (see get_storage_service()). Batch operations over many objects live in batch.py.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from its_store.core import errors as E
from its_store.core.files import is_folder, open_regular, writing_to
from its_store.core.models import (
    META_TYPE,
    BucketInfo,
    DeleteResult,
    DownloadRequest,
    DownloadResponse,
    ListObjectsRequest,
    ObjectInfo,
    ObjectType,
    UploadRequest,
    UploadResponse,
)
from its_store.core.refs import validate_bucket, validate_key
from its_store.core.settings import Settings
from its_store.s3.client import S3Client, object_headers
from its_store.service.facets import ServiceFacets
from its_store.service.listing import INTERNAL_META, object_info
from its_store.state.stats import StatsStore, StorageStats, flush_pending
from its_store.transfer.download import ObjectHead
from its_store.transfer.parts import ProgressFn

MAX_PRESIGN_SECONDS = 7 * 24 * 3600
_META_KEY_OK = set("abcdefghijklmnopqrstuvwxyz0123456789-_.")


def _noop(_: int) -> None:
    pass


class StorageService(ServiceFacets):
    """Object storage operations against one S3-compatible endpoint. Health, sync, batches, versions,
    tags, lifecycle, object lock, bucket admin, policies, verify and bucket encryption are inherited
    from service/facets.py (each a door to its own module)."""

    def __init__(self, settings: Settings | None = None, *, workers: int | None = None) -> None:
        from its_store.core.settings import load_settings
        self.settings = settings or load_settings()
        self.workers = workers or self.settings.max_workers
        self._s3: S3Client | None = None
        self._lock = threading.Lock()
        self._known_buckets: set[str] = set()
        self.stats = StorageStats()
        # Stats persist between runs (stats.py): flushed by close(), every 30 s, and at exit/GC.
        self.stats_store = StatsStore(Path(self.settings.cache_dir or "."))
        self.stats.autoflush = lambda stats=self.stats, store=self.stats_store: flush_pending(stats, store)
        weakref.finalize(self, flush_pending, self.stats, self.stats_store)
        self._cache: Any = None

    @property
    def s3(self) -> S3Client:
        if self._s3 is None:
            with self._lock:
                if self._s3 is None:
                    pool = max(self.settings.max_pool_connections, self.workers)
                    self._s3 = S3Client(self.settings, pool_size=pool)
        return self._s3

    @property
    def cache(self) -> Any:
        """The metadata cache (cache.ServiceCache), opened on first use; never raises."""
        if self._cache is None:
            with self._lock:
                if self._cache is None:
                    from its_store.state.service_cache import open_service_cache
                    self._cache = open_service_cache(self.settings, self.stats.record_cache)
        return self._cache

    @property
    def audit(self) -> Any:
        """The audit log (audit.AuditLog) of these settings: `service.audit.record("tag", bucket=...)`."""
        from its_store.state import audit
        return audit.for_settings(self.settings)

    def _touched(self, operation: str, bucket: str, key: str, *, ok: bool, **fields: Any) -> None:
        """After a write or delete, done or failed: drop the object's cached metadata, append the audit line."""
        self.cache.invalidate_object(bucket, key)
        self.audit.record(operation, bucket=bucket, key=key, ok=ok, **fields)

    # ------------------------------------------------------------------------------------ buckets
    def resolve_bucket(self, bucket: str | None, object_type: ObjectType | str = ObjectType.OTHER) -> str:
        """The bucket to use: the one given, else the configured default for the object type."""
        name = bucket or self.settings.bucket_for_type(ObjectType(object_type).value)
        return validate_bucket(name)

    def ensure_bucket(self, bucket: str, *, create: bool | None = None) -> None:
        """Create `bucket` on first use (with versioning when MINIO_ENABLE_VERSIONING is on: a default, so a
        server without versioning gets the bucket without it, said once; service/buckets.py).

        `create` overrides MINIO_CREATE_BUCKETS (e.g. `its-store init` always creates)."""
        if bucket in self._known_buckets:
            return
        if not self.s3.bucket_exists(bucket):
            if not (self.settings.create_buckets if create is None else create):
                raise E.BucketNotFoundError(f"bucket not found: {bucket}",
                                            hint="create it, or set MINIO_CREATE_BUCKETS=true")
            from its_store.service.buckets import default_versioning
            from its_store.state.audit import recording
            with recording(self.audit, "bucket_create", bucket=bucket, automatic=True,
                           versioning=self.settings.enable_versioning) as entry:
                try:
                    self.s3.make_bucket(bucket)
                except E.AlreadyExistsError:
                    pass  # created concurrently: fine
                self.cache.invalidate_buckets()
                if self.settings.enable_versioning:
                    default_versioning(self, bucket, entry)
        self._known_buckets.add(bucket)

    def journal(self) -> Any:
        """The journal of multipart uploads in flight (resume.UploadJournal) for this endpoint."""
        from its_store.transfer.resume import UploadJournal
        return UploadJournal(Path(self.settings.cache_dir) / "uploads", self.settings.endpoint)

    def list_buckets(self) -> list[BucketInfo]:
        buckets = [BucketInfo(name=b.name, created=b.creation_date) for b in self.s3.list_buckets()]
        self.cache.remember_bucket_names([b.name for b in buckets])
        return buckets

    def cached_bucket_names(self) -> list[str]:
        """Bucket names for shell completion: from the cache (TTL), else listed and cached; [] on error."""
        try:
            return self.cache.bucket_names(lambda: [b.name for b in self.list_buckets()]) or []
        except E.ItsStoreError:
            return []

    # ------------------------------------------------------------------------------------ uploads
    def upload_object(self, request: UploadRequest, progress: ProgressFn | None = None, *,
                      source: IO[bytes] | None = None) -> UploadResponse:
        """Upload one object from a file, bytes or a stream; multipart at MINIO_MULTIPART_THRESHOLD.

        `source`: request.file_path already opened and checked by the caller (a file of a walk, opened
        through core/localtree.LocalTree so that no folder swapped for a link is followed); read only
        through it, not closed here. Without it the file is opened here (core/files.open_regular)."""
        started = time.perf_counter()
        bucket = self.resolve_bucket(request.bucket, request.object_type)
        key = validate_key(request.key if request.key is not None else Path(request.file_path).name)
        if source is not None or request.file_path is None:
            return self._upload(request, bucket, key, source, progress, started)
        # opened once, checked on the descriptor, read only through it
        with open_regular(Path(request.file_path), follow_symlinks=request.follow_symlinks) as opened:
            return self._upload(request, bucket, key, opened, progress, started)

    def _upload(self, request: UploadRequest, bucket: str, key: str, source: IO[bytes] | None,
                progress: ProgressFn | None, started: float) -> UploadResponse:
        content_type = request.content_type or _guess_type(request.file_path or key)
        headers = object_headers(content_type, self._metadata(request), _check_tags(request.tags))
        if request.retain_until is not None or request.legal_hold:  # object lock (core/lock.py)
            from its_store.core.lock import lock_headers
            headers.update(lock_headers(request.retain_mode, request.retain_until, request.legal_hold))
        workers = request.workers or self.workers
        from its_store.service.encoded import UploadPlan
        plan = UploadPlan(self, request, headers, source)  # codec, level, SSE and key checked before any request
        from its_store.service.lockcheck import LockCheck, ensure_locked, require_bucket_lock
        lock = LockCheck.of(request)  # the object lock asked for, checked on the stored version below
        ok = False
        try:
            self.ensure_bucket(bucket)
            require_bucket_lock(self, bucket, lock)  # nothing stored unprotected on a bucket without lock
            try:
                result = plan.put(bucket, key, workers, progress or _noop)
            except E.InvalidInputError as exc:  # lock headers on a bucket without object lock: exit 78
                if request.retain_until is None and not request.legal_hold:
                    raise
                raise self.retention().explain(bucket, key, None, exc, action="upload") from None
            ensure_locked(self.s3, bucket, key, result.version_id, lock)  # radosgw drops multipart lock headers
            from its_store.service.metacheck import check_names, underscored  # radosgw: camera_id -> camera-id
            check_names(self.settings.endpoint, plan.s3, bucket, key, result.version_id, underscored(headers))
            ok = True
        finally:
            size = result.size if ok else 0
            self.stats.record("upload", ok=ok, nbytes=size, seconds=time.perf_counter() - started)
            self._touched("upload", bucket, key, ok=ok, size=size if ok else None,
                          version_id=result.version_id if ok else None, sha256=result.sha256 if ok else None,
                          **lock.audit(), **plan.sse_check.audit())
        return UploadResponse(
            bucket=bucket, key=key, etag=result.etag, version_id=result.version_id, total_size=result.size,
            content_type=content_type, object_type=request.object_type, multipart=result.parts > 1
            or "-" in result.etag, parts=result.parts, duration_seconds=time.perf_counter() - started,
            codec=result.codec, stored_size=result.stored_size, encryption=result.encryption, sha256=result.sha256)

    def _metadata(self, request: UploadRequest) -> dict[str, str]:
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

    # ---------------------------------------------------------------------------------- downloads
    def _stat(self, bucket: str, key: str, version_id: str | None = None,
              headers: dict[str, str] | None = None) -> Any:
        """HEAD an object; a 404 names the bucket when it is the bucket that is missing.

        `headers` carries an SSE-C key; a key-less HEAD of an SSE-C object is SseKeyRequiredError."""
        try:
            return self.s3.stat(bucket, key, version_id, headers=headers)
        except E.ObjectNotFoundError:
            if not self.s3.bucket_exists(bucket):
                raise E.BucketNotFoundError(f"bucket not found: {bucket}") from None
            raise
        except E.ItsStoreError as exc:
            from its_store.codec.encryption import explain_read_error
            better = explain_read_error(exc, bucket, key, keyed=headers is not None, version_id=version_id)
            if better is exc:
                raise
            raise better from exc

    def head(self, bucket: str, key: str, version_id: str | None = None) -> ObjectHead:
        """What a download needs (size, ETag, part size, whether the ETag is an MD5): encoded.open_head."""
        from its_store.service.encoded import open_head
        return open_head(self, bucket, key, version_id)[0]

    def download_object(self, request: DownloadRequest, progress: ProgressFn | None = None, *,
                        into: Any = None) -> DownloadResponse:
        """Download to a file (or into a folder) atomically, verified against the ETag when possible.

        `into`: where to write instead of request.file_path, a file under a folder a batch writes into
        (core/localtree.TreeFile, whose path is request.file_path): its folders are made and opened
        from that folder's descriptor without following links, and the temp file renamed there."""
        started = time.perf_counter()
        validate_bucket(request.bucket)
        validate_key(request.key, existing=True)  # any stored key; '..' segments are refused by s3/
        target = into if into is not None else Path(request.file_path)
        if into is None and is_folder(target):  # the key's last segment becomes a file name: its rules
            validate_key(request.key)
            target = target / Path(request.key).name
        if request.ranged:  # `get --range`: service/ranged.py
            return self._download_range(request, target, progress or _noop, started)
        ok = False
        got = None
        try:  # encoded.py: SSE-C key, undoing compression (unless request.raw), sha256 check
            from its_store.service.encoded import download_file
            got = download_file(self, request, target, progress or _noop)
            ok = True
        finally:
            self.stats.record("download", ok=ok, nbytes=got.head.size if (ok and got) else 0,
                              seconds=time.perf_counter() - started)
        head = got.head
        return DownloadResponse(bucket=request.bucket, key=request.key, file_path=Path(str(target)),
                                size=got.size,
                                etag=head.etag, version_id=head.version_id, verified=got.verified,
                                duration_seconds=time.perf_counter() - started, codec=got.codec,
                                stored_size=head.size)

    def _download_range(self, request: DownloadRequest, target: Path, progress: ProgressFn,
                        started: float) -> DownloadResponse:
        """A byte range to a file (never verifiable: `verified` false)."""
        from its_store.service.ranged import range_file
        ok = False
        got = None
        try:
            got = range_file(self, request, target, progress)
            ok = True
        finally:
            self.stats.record("download", ok=ok, nbytes=got.length if (ok and got) else 0,
                              seconds=time.perf_counter() - started)
        return DownloadResponse(bucket=request.bucket, key=request.key, file_path=Path(str(target)),
                                size=got.length,
                                etag=got.head.etag, version_id=got.head.version_id, verified=False,
                                duration_seconds=time.perf_counter() - started, stored_size=got.length,
                                offset=got.start, object_size=got.head.size,
                                note="a partial download cannot be verified: no checksum covers a byte range")

    def download_to_stream(self, bucket: str, key: str, out: IO[bytes], *, version_id: str | None = None,
                           progress: ProgressFn | None = None, raw: bool = False,
                           sse_c_key: bytes | None = None, sse_c_key_file: Path | None = None,
                           offset: int = 0, length: int | None = None) -> int:
        """Write an object to a binary stream (stdout) in order, decompressed unless `raw`; with
        `offset`/`length` only that byte range (see DownloadRequest). Returns the byte count written.
        A write error of `out` (a full disk behind a redirect) is LocalIOError; a closed pipe stays
        BrokenPipeError (the reader went away: the CLI exits quietly)."""
        validate_bucket(bucket)
        validate_key(key, existing=True)
        with writing_to(out):
            return self._to_stream(bucket, key, out, version_id=version_id, progress=progress, raw=raw,
                                   sse_c_key=sse_c_key, sse_c_key_file=sse_c_key_file, offset=offset, length=length)

    def _to_stream(self, bucket: str, key: str, out: IO[bytes], *, version_id: str | None,
                   progress: ProgressFn | None, raw: bool, sse_c_key: bytes | None, sse_c_key_file: Path | None,
                   offset: int, length: int | None) -> int:
        from its_store.service.encoded import download_stream
        started = time.perf_counter()
        if offset != 0 or length is not None:
            from its_store.service.ranged import range_stream
            ok, part = False, None
            try:
                part = range_stream(self, bucket, key, out, offset=offset, length=length, version_id=version_id,
                                    raw=raw, sse_c_key=sse_c_key, sse_c_key_file=sse_c_key_file,
                                    progress=progress or _noop)
                ok = True
            finally:
                self.stats.record("download", ok=ok, nbytes=part.length if (ok and part) else 0,
                                  seconds=time.perf_counter() - started)
            return part.length
        ok = False
        got = None
        try:
            got = download_stream(self, bucket, key, out, version_id=version_id, raw=raw, sse_c_key=sse_c_key,
                                  sse_c_key_file=sse_c_key_file, progress=progress or _noop)
            ok = True
        finally:
            self.stats.record("download", ok=ok, nbytes=got.head.size if (ok and got) else 0,
                              seconds=time.perf_counter() - started)
        return got.size

    # ------------------------------------------------------------------------------ stat and list
    def stat_object(self, bucket: str, key: str, version_id: str | None = None,
                    include_tags: bool = True, *, sse_c_key: bytes | None = None,
                    sse_c_key_file: Path | None = None) -> ObjectInfo:
        """Size, ETag, type, user metadata, tags, codec and encryption of one object (SSE-C: its key)."""
        from its_store.codec.encryption import resolve_key
        from its_store.service.encoded import stat_with_key
        validate_bucket(bucket)
        validate_key(key, existing=True)  # a listed key with a control character too; '..' is refused by s3/
        sse_key = resolve_key(self.settings, sse_c_key, sse_c_key_file)

        def head() -> ObjectInfo:
            stat = stat_with_key(self, bucket, key, version_id, sse_key)
            return object_info(bucket, key, stat.size, stat.etag, stat.last_modified, stat.content_type,
                                stat.metadata, stat.version_id)
        info = self.cache.object_info(bucket, key, version_id, head)  # cached within MINIO_CACHE_TTL
        if include_tags:
            info.tags = self.cache.tags(bucket, key, version_id, lambda: self.s3.get_tags(bucket, key, version_id))
        return info

    def iter_objects(self, request: ListObjectsRequest) -> Iterator[ObjectInfo]:
        """Objects (and, when not recursive, prefixes) matching the request, lazily (service/listing.py)."""
        from its_store.service.listing import iter_objects
        return iter_objects(self, request)

    def list_objects(self, request: ListObjectsRequest) -> list[ObjectInfo]:
        """The list form of iter_objects()."""
        return list(self.iter_objects(request))

    # ------------------------------------------------------------------------------------- delete
    def delete_object(self, bucket: str, key: str, version_id: str | None = None, *,
                      bypass_governance: bool = False) -> DeleteResult:
        """Delete one object (or one version). A missing object is an ObjectNotFoundError.

        In a versioned bucket, without `version_id`, S3 only adds a delete marker (allowed even under
        object lock): the result says `delete_marker`, as the data is still stored. A version refused by
        object lock is ObjectLockedError (exit 6) with the reason; `bypass_governance` overrides
        governance retention only (never compliance or a legal hold)."""
        validate_bucket(bucket)
        validate_key(key, existing=True)
        ok = False
        marker = False
        try:
            try:
                self._stat(bucket, key, version_id)
            except E.SseKeyRequiredError:
                pass  # it exists, encrypted with an SSE-C key: deleting needs no key
            except E.ItsStoreError as exc:  # a delete marker has no HEAD (404/405) but is removed by its id
                if (not version_id or type(exc) not in (E.ObjectNotFoundError, E.ItsStoreError)
                        or not self.versions().is_delete_marker(bucket, key, version_id)):
                    raise
            marker = version_id is None and self.leaves_delete_markers(bucket)
            self._remove_one(bucket, key, version_id, bypass_governance)
            ok = True
        finally:
            self.stats.record("delete", ok=ok)
            self._touched("rm", bucket, key, ok=ok, version_id=version_id, delete_marker=marker or None,
                          bypass_governance=bypass_governance or None)
        return DeleteResult(bucket=bucket, key=key, version_id=version_id, delete_marker=marker)

    def _remove_one(self, bucket: str, key: str, version_id: str | None, bypass_governance: bool) -> None:
        """One DELETE (a one-entry DeleteObjects with the bypass header when asked); a refusal by
        object lock comes back as ObjectLockedError with its reason (service/retention.py)."""
        try:
            if not bypass_governance:
                self.s3.remove(bucket, key, version_id)
                return
            failures = self.s3.remove_versions(bucket, [(key, version_id)], bypass_governance=True)
            if failures:
                from its_store.s3.client import failure_error
                raise failure_error(failures[0][2], bucket, key)
        except E.AccessDeniedError as exc:
            raise self.retention().explain(bucket, key, version_id, exc) from None

    def leaves_delete_markers(self, bucket: str) -> bool:
        """Whether a DELETE without a version id leaves a delete marker (versioning on or suspended).
        Asked once per bucket for the life of this service (mv -r deletes key by key)."""
        seen: dict[str, bool] = self.__dict__.setdefault("_markers_seen", {})
        if bucket not in seen:
            try:
                seen[bucket] = (self.s3.get_versioning(bucket) or "").lower() in ("enabled", "suspended")
            except E.ItsStoreError:
                return False
        return seen[bucket]

    def delete_objects(self, bucket: str, keys: list[str]) -> list[DeleteResult]:
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
            failures.update(self.remove_batch(bucket, sendable[start:start + 1000]))
        marker = self.leaves_delete_markers(bucket)  # asked once per bucket (remove_batch asked already)
        return [DeleteResult(bucket=bucket, key=k, deleted=k not in failures, error=failures.get(k),
                             delete_marker=marker and k not in failures) for k in keys]

    def remove_batch(self, bucket: str, keys: list[str], sizes: dict[str, int] | None = None) -> dict[str, str]:
        """One DeleteObjects request (<= 1,000 keys), recorded once whoever asked (rm, rm -r, sync, the
        registry): cache invalidation, one audit line and one stats count per key, `delete_marker` on the
        line when the bucket leaves delete markers (the data is hidden, not gone). Returns the failures as
        {key: "Code: message"}; if the request itself fails, every key is audited as failed and the error
        raised."""
        failures: dict[str, str] = {}
        marker = self.leaves_delete_markers(bucket) or None
        try:
            failures = dict(self.s3.remove_many(bucket, [(k, None) for k in keys]))
        except E.ItsStoreError as exc:
            failures = dict.fromkeys(keys, f"{exc.code}: {exc.message}")
            raise
        finally:
            self.cache.invalidate_objects(bucket, keys)
            for key in keys:
                error = failures.get(key)
                self.stats.record("delete", ok=not error)
                self.audit.record("rm", bucket=bucket, key=key, size=(sizes or {}).get(key), ok=not error,
                                  error=error, delete_marker=marker)
        return failures

    # ----------------------------------------------------------------------------------- presign
    def generate_presigned_url(self, bucket: str, key: str, expires_in_seconds: int = 3600,
                               method: str = "GET") -> str:
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
        return self.s3.presign(method, bucket, key, timedelta(seconds=int(expires_in_seconds)))

    # ------------------------------------------------------------------------------- stats, close
    def get_stats(self) -> StorageStats:
        """Totals of every run on this machine (this process's counts are saved first); see stats.py."""
        self.flush_stats()
        try:
            return self.stats_store.load()
        except OSError:
            return self.stats

    def flush_stats(self) -> bool:
        """Save what this process counted since the last flush. False (and kept) if it could not."""
        return flush_pending(self.stats, self.stats_store)

    def reset_stats(self) -> None:
        """Zero the persisted totals (and drop this process's unsaved counts)."""
        self.stats.take_pending()
        self.stats_store.reset()

    def close(self) -> None:
        """Save stats, close the cache and the S3 client's connections. Safe to call twice; never raises."""
        self.flush_stats()
        cache, self._cache = self._cache, None
        s3, self._s3 = self._s3, None
        for resource in (cache, s3):
            if resource is not None:
                try:
                    resource.close()
                except Exception:  # noqa: BLE001 - closing is best effort
                    pass


def _check_tags(tags: dict[str, str]) -> dict[str, str]:
    if len(tags) > 10:
        raise E.InvalidInputError("at most 10 tags per object (S3 limit)")
    for key, value in tags.items():
        if not key or len(key) > 128 or len(value) > 256:
            raise E.InvalidInputError(f"invalid tag {key!r}: keys 1-128 chars, values up to 256")
    return tags


def _guess_type(name: Path | str) -> str:
    from its_store.core.mime import guess_content_type
    return guess_content_type(name)


_shared: StorageService | None = None
_shared_lock = threading.Lock()


def get_storage_service(settings: Settings | None = None) -> StorageService:
    """The process-wide StorageService built from Settings (env, .env), created on first call."""
    global _shared
    if settings is not None:
        return StorageService(settings)
    with _shared_lock:
        if _shared is None:
            _shared = StorageService()
        return _shared

