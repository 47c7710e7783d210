"""StorageService: the object and bucket operations of the library API, composed from the helpers.

Synchronous and thread-safe. One instance holds one minio client with one connection pool, so it is
meant to be shared (see get_storage_service()). Batch operations over many objects live in batch.py.
"""

from __future__ import annotations

import mimetypes
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from . import errors as E
from .models import (
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
from .refs import validate_bucket, validate_key
from .s3 import S3Client, object_headers
from .settings import Settings
from .stats import StorageStats
from .transfer import (
    META_PART_SIZE,
    ObjectHead,
    ProgressFn,
    download_to_file,
    download_to_stream,
    upload_file,
    upload_stream,
)

MAX_PRESIGN_SECONDS = 7 * 24 * 3600
INTERNAL_META = {META_TYPE, META_PART_SIZE}
_META_KEY_OK = set("abcdefghijklmnopqrstuvwxyz0123456789-_.")


def _noop(_: int) -> None:
    pass


class StorageService:
    """Object storage operations against one S3-compatible endpoint."""

    def __init__(self, settings: Settings | None = None, *, workers: int | None = None) -> None:
        from .settings import load_settings
        self.settings = settings or load_settings()
        self.workers = workers or self.settings.max_workers
        self._s3: S3Client | None = None
        self._lock = threading.Lock()
        self._known_buckets: set[str] = set()
        self.stats = StorageStats()

    @property
    def s3(self) -> S3Client:
        if self._s3 is None:
            with self._lock:
                if self._s3 is None:
                    pool = max(self.settings.max_pool_connections, self.workers)
                    self._s3 = S3Client(self.settings, pool_size=pool)
        return self._s3

    # ------------------------------------------------------------------------------------ buckets
    def resolve_bucket(self, bucket: str | None, object_type: ObjectType | str = ObjectType.OTHER) -> str:
        """The bucket to use: the one given, else the configured default for the object type."""
        name = bucket or self.settings.bucket_for_type(ObjectType(object_type).value)
        return validate_bucket(name)

    def ensure_bucket(self, bucket: str) -> None:
        """Create `bucket` on first use (with versioning when MINIO_ENABLE_VERSIONING is on)."""
        if bucket in self._known_buckets:
            return
        if not self.s3.bucket_exists(bucket):
            if not self.settings.create_buckets:
                raise E.BucketNotFoundError(f"bucket not found: {bucket}",
                                            hint="create it, or set MINIO_CREATE_BUCKETS=true")
            try:
                self.s3.make_bucket(bucket)
            except E.AlreadyExistsError:
                pass  # created concurrently: fine
            if self.settings.enable_versioning:
                self.s3.set_versioning(bucket, True)
        self._known_buckets.add(bucket)

    def list_buckets(self) -> list[BucketInfo]:
        return [BucketInfo(name=b.name, created=b.creation_date) for b in self.s3.list_buckets()]

    # ------------------------------------------------------------------------------------ uploads
    def upload_object(self, request: UploadRequest, progress: ProgressFn | None = None) -> UploadResponse:
        """Upload one object from a file, bytes or a stream; multipart at MINIO_MULTIPART_THRESHOLD."""
        started = time.perf_counter()
        bucket = self.resolve_bucket(request.bucket, request.object_type)
        key = validate_key(request.key if request.key is not None else Path(request.file_path).name)
        if request.file_path is not None:
            _check_local_file(Path(request.file_path))
        content_type = request.content_type or _guess_type(request.file_path or key)
        headers = object_headers(content_type, self._metadata(request), _check_tags(request.tags))
        workers = request.workers or self.workers
        ok = False
        try:
            self.ensure_bucket(bucket)
            result = self._put(request, bucket, key, headers, workers, progress or _noop)
            ok = True
        finally:
            size = result.size if ok else 0
            self.stats.record("upload", ok=ok, nbytes=size, seconds=time.perf_counter() - started)
        return UploadResponse(
            bucket=bucket, key=key, etag=result.etag, version_id=result.version_id, total_size=result.size,
            content_type=content_type, object_type=request.object_type, multipart=result.parts > 1
            or "-" in result.etag, parts=result.parts, duration_seconds=time.perf_counter() - started)

    def _put(self, request: UploadRequest, bucket: str, key: str, headers: dict[str, str],
             workers: int, progress: ProgressFn) -> Any:
        from .transfer import PutResult
        if request.file_path is not None:
            from .resume import UploadJournal
            journal = UploadJournal(Path(self.settings.cache_dir) / "uploads", self.settings.endpoint)
            return upload_file(self.s3, bucket, key, Path(request.file_path), headers,
                               threshold=self.settings.multipart_threshold,
                               part_size=request.part_size or self.settings.part_size or None,
                               workers=workers, progress=progress, journal=journal, resume=request.resume)
        if request.data is not None:
            etag, version = self.s3.put(bucket, key, request.data, headers)
            progress(len(request.data))
            return PutResult(etag, version, len(request.data), 1)
        return upload_stream(self.s3, bucket, key, request.stream, headers,
                             part_size=request.part_size or self.settings.part_size or None,
                             workers=workers, progress=progress)

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
    def _stat(self, bucket: str, key: str, version_id: str | None = None) -> Any:
        """HEAD an object; a 404 names the bucket when it is the bucket that is missing."""
        try:
            return self.s3.stat(bucket, key, version_id)
        except E.ObjectNotFoundError:
            if not self.s3.bucket_exists(bucket):
                raise E.BucketNotFoundError(f"bucket not found: {bucket}") from None
            raise

    def head(self, bucket: str, key: str, version_id: str | None = None) -> ObjectHead:
        stat = self._stat(bucket, key, version_id)
        meta = _user_metadata(stat.metadata)
        part = meta.get(META_PART_SIZE)
        sse_c = "x-amz-server-side-encryption-customer-algorithm" in {k.lower() for k in stat.metadata}
        return ObjectHead(bucket=bucket, key=key, size=stat.size or 0, etag=(stat.etag or "").strip('"'),
                          version_id=version_id or stat.version_id,
                          part_size=int(part) if part and part.isdigit() else None,
                          verifiable=not sse_c)

    def download_object(self, request: DownloadRequest, progress: ProgressFn | None = None) -> DownloadResponse:
        """Download to a file (or into a folder) atomically, verified against the ETag when possible."""
        started = time.perf_counter()
        validate_bucket(request.bucket)
        validate_key(request.key)
        target = Path(request.file_path)
        if target.is_dir():
            target = target / Path(request.key).name
        ok = False
        head = None
        try:
            head = self.head(request.bucket, request.key, request.version_id)
            verified = download_to_file(
                self.s3, head, target, threshold=self.settings.multipart_threshold,
                part_size=request.part_size or self.settings.part_size or None,
                workers=request.workers or self.workers, progress=progress or _noop)
            ok = True
        finally:
            self.stats.record("download", ok=ok, nbytes=head.size if (ok and head) else 0,
                              seconds=time.perf_counter() - started)
        return DownloadResponse(bucket=request.bucket, key=request.key, file_path=target, size=head.size,
                                etag=head.etag, version_id=head.version_id, verified=verified,
                                duration_seconds=time.perf_counter() - started)

    def download_to_stream(self, bucket: str, key: str, out: IO[bytes], *, version_id: str | None = None,
                           progress: ProgressFn | None = None) -> int:
        """Write an object to a binary stream (stdout) in order. Returns the byte count."""
        started = time.perf_counter()
        head = self.head(validate_bucket(bucket), validate_key(key), version_id)
        ok = False
        try:
            download_to_stream(self.s3, head, out, part_size=self.settings.part_size or None,
                               workers=self.workers, progress=progress or _noop)
            ok = True
        finally:
            self.stats.record("download", ok=ok, nbytes=head.size if ok else 0,
                              seconds=time.perf_counter() - started)
        return head.size

    # ------------------------------------------------------------------------------ stat and list
    def stat_object(self, bucket: str, key: str, version_id: str | None = None,
                    include_tags: bool = True) -> ObjectInfo:
        """Size, ETag, type, user metadata and tags of one object."""
        validate_bucket(bucket)
        validate_key(key)
        stat = self._stat(bucket, key, version_id)
        info = _object_info(bucket, key, stat.size, stat.etag, stat.last_modified, stat.content_type,
                            stat.metadata, stat.version_id)
        if include_tags:
            info.tags = self.s3.get_tags(bucket, key, version_id)
        return info

    def iter_objects(self, request: ListObjectsRequest) -> Iterator[ObjectInfo]:
        """Objects (and, when not recursive, prefixes) matching the request, lazily."""
        validate_bucket(request.bucket)
        filters = bool(request.match_tags or request.match_metadata)
        needs_head = bool(request.object_types) or request.include_metadata or filters
        listed = (self._from_listing(request.bucket, item)
                  for item in self.s3.list_objects(request.bucket, request.prefix, request.recursive))
        candidates = (info for info in listed if _matches_listing(info, request))
        if needs_head:
            candidates = self._with_heads(request.bucket, candidates, tags=bool(request.match_tags))
        count = 0
        wanted = {t.value for t in request.object_types or []}
        for info in candidates:
            if wanted and not info.is_prefix and (info.object_type is None or info.object_type.value not in wanted):
                continue
            if filters and not _tag_meta_match(info, request.match_tags, request.match_metadata):
                continue
            yield info
            count += 1
            if request.max_keys and count >= request.max_keys:
                return

    def list_objects(self, request: ListObjectsRequest) -> list[ObjectInfo]:
        """The list form of iter_objects()."""
        return list(self.iter_objects(request))

    def _from_listing(self, bucket: str, item: Any) -> ObjectInfo:
        if item.is_dir:
            return ObjectInfo(bucket=bucket, key=item.object_name, is_prefix=True)
        return ObjectInfo(bucket=bucket, key=item.object_name, size=item.size or 0,
                          etag=(item.etag or "").strip('"') or None, last_modified=item.last_modified,
                          version_id=item.version_id)

    def _with_heads(self, bucket: str, items: Iterator[ObjectInfo], tags: bool = False) -> Iterator[ObjectInfo]:
        """Fill type and metadata with HEADs run in parallel, keeping listing order (bounded look-ahead)."""
        from collections import deque

        def fill(info: ObjectInfo) -> ObjectInfo:
            if info.is_prefix:
                return info
            try:
                stat = self.s3.stat(bucket, info.key)
            except E.ObjectNotFoundError:
                return info  # deleted since it was listed
            full = _object_info(bucket, info.key, stat.size, stat.etag, stat.last_modified,
                                stat.content_type, stat.metadata, stat.version_id)
            if tags:  # GetObjectTagging in the same pool, for ls --tag
                try:
                    full.tags = self.s3.get_tags(bucket, info.key)
                except E.ObjectNotFoundError:
                    return info
            return full

        window: deque[Any] = deque()
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="its-head") as pool:
            for info in items:
                window.append(pool.submit(fill, info))
                if len(window) >= self.workers * 4:
                    yield window.popleft().result()
            while window:
                yield window.popleft().result()

    # ------------------------------------------------------------------------------------- delete
    def delete_object(self, bucket: str, key: str, version_id: str | None = None) -> DeleteResult:
        """Delete one object (or one version). A missing object is an ObjectNotFoundError."""
        validate_bucket(bucket)
        validate_key(key)
        ok = False
        try:
            self._stat(bucket, key, version_id)
            self.s3.remove(bucket, key, version_id)
            ok = True
        finally:
            self.stats.record("delete", ok=ok)
        return DeleteResult(bucket=bucket, key=key, version_id=version_id)

    def delete_objects(self, bucket: str, keys: list[str]) -> list[DeleteResult]:
        """Batch delete (1,000 keys per request). Each key gets a DeleteResult; failures are not raised."""
        validate_bucket(bucket)
        for key in keys:
            validate_key(key)
        failures: dict[str, str] = {}
        for start in range(0, len(keys), 1000):
            batch = [(k, None) for k in keys[start:start + 1000]]
            failures.update(dict(self.s3.remove_many(bucket, batch)))
        for key in keys:
            self.stats.record("delete", ok=key not in failures)
        return [DeleteResult(bucket=bucket, key=k, deleted=k not in failures, error=failures.get(k))
                for k in keys]

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

    # ------------------------------------------------------------------------------------- health
    def get_health_status(self) -> dict[str, Any]:
        """Endpoint reachable, credentials valid, configured buckets present. `status` is the verdict."""
        started = time.perf_counter()
        report: dict[str, Any] = {"status": "unhealthy", "endpoint": self.settings.endpoint,
                                  "secure": self.settings.secure, "checks": {}, "buckets": {}}
        checks = report["checks"]
        try:
            names = {b.name for b in self.s3.list_buckets()}
        except E.AccessDeniedError as exc:
            checks["endpoint"] = {"ok": True, "detail": "reachable"}
            checks["credentials"] = {"ok": False, "detail": exc.message}
            return _finish(report, started)
        except E.ItsStoreError as exc:
            checks["endpoint"] = {"ok": False, "detail": exc.message}
            return _finish(report, started)
        checks["endpoint"] = {"ok": True, "detail": "reachable"}
        checks["credentials"] = {"ok": True, "detail": f"access key {self.settings.access_key!r} accepted"}
        configured = [self.settings.default_bucket, self.settings.video_bucket,
                      self.settings.models_bucket, self.settings.logs_bucket]
        report["buckets"] = {name: name in names for name in configured}
        missing = [name for name in configured if name not in names]
        checks["buckets"] = {"ok": not missing,
                             "detail": "all present" if not missing else "missing: " + ", ".join(missing)}
        report["status"] = "healthy" if not missing else "degraded"
        return _finish(report, started)

    def init_buckets(self) -> list[str]:
        """Create the four configured buckets if missing. Returns the ones created."""
        created = []
        existing = {b.name for b in self.s3.list_buckets()}
        for name in dict.fromkeys([self.settings.default_bucket, self.settings.video_bucket,
                                   self.settings.models_bucket, self.settings.logs_bucket]):
            if name not in existing:
                self.ensure_bucket(validate_bucket(name))
                created.append(name)
        return created

    def get_stats(self) -> StorageStats:
        return self.stats

    # --------------------------------------------------------------------------------- batches
    def batch(self) -> Any:
        from .batch import Batch
        return Batch(self)


def _finish(report: dict[str, Any], started: float) -> dict[str, Any]:
    report["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return report


def _check_local_file(path: Path) -> None:
    if not path.exists():
        raise E.LocalFileNotFoundError(f"no such file: {path}")
    if path.is_dir():
        raise E.InvalidInputError(f"{path} is a directory", hint="use --recursive to upload a folder")
    if not path.is_file():
        raise E.InvalidInputError(f"{path} is not a regular file")


def _check_tags(tags: dict[str, str]) -> dict[str, str]:
    if len(tags) > 10:
        raise E.InvalidInputError("at most 10 tags per object (S3 limit)")
    for key, value in tags.items():
        if not key or len(key) > 128 or len(value) > 256:
            raise E.InvalidInputError(f"invalid tag {key!r}: keys 1-128 chars, values up to 256")
    return tags


def _guess_type(name: Path | str) -> str:
    guessed, _ = mimetypes.guess_type(str(name), strict=False)
    return guessed or "application/octet-stream"


def _user_metadata(headers: Any) -> dict[str, str]:
    """x-amz-meta-* headers as a dict with lowercase keys (servers differ in case)."""
    out = {}
    for name, value in (headers or {}).items():
        low = name.lower()
        if low.startswith("x-amz-meta-"):
            out[low[len("x-amz-meta-"):]] = value
    return out


def _object_info(bucket: str, key: str, size: Any, etag: Any, modified: Any, content_type: Any,
                 headers: Any, version_id: Any) -> ObjectInfo:
    meta = _user_metadata(headers)
    kind = meta.get(META_TYPE)
    try:
        object_type = ObjectType(kind) if kind else None
    except ValueError:
        object_type = ObjectType.OTHER
    return ObjectInfo(bucket=bucket, key=key, size=size or 0, etag=(etag or "").strip('"') or None,
                      last_modified=modified, content_type=content_type, object_type=object_type,
                      metadata={k: v for k, v in meta.items() if k not in INTERNAL_META},
                      version_id=version_id)


def _matches_listing(info: ObjectInfo, request: ListObjectsRequest) -> bool:
    """Filters answerable from the listing alone (size and date), applied before any HEAD."""
    if info.is_prefix:
        return not (request.size_range or request.modified_after or request.modified_before)
    if request.size_range:
        low, high = request.size_range
        if (low is not None and info.size < low) or (high is not None and info.size > high):
            return False
    if request.modified_after and info.last_modified and info.last_modified < request.modified_after:
        return False
    if request.modified_before and info.last_modified and info.last_modified > request.modified_before:
        return False
    return True


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

