"""StorageService: the library's object storage API, a thin typed facade over one Context.

Each method hands its Context to the focused service that owns the operation (objects.py, buckets.py,
versions.py, ...), importing it on first call so that `its-store --version` loads none of them. The
facade adds no behaviour of its own: what is recorded, cached or checked is the services' (and
ctx.op()'s) business. Synchronous and thread-safe; one instance holds one S3 client with one
connection pool, so it is meant to be shared (get_storage_service()) and closed when done (`with`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING

from its_store.core.enums import ObjectType
from its_store.core.settings import Settings
from its_store.service.context import Context

if TYPE_CHECKING:
    from its_store.codec.encryption import BucketEncryption
    from its_store.core.localtree import TreeFile
    from its_store.core.models import (
        BucketInfo,
        DeleteResult,
        DownloadRequest,
        DownloadResponse,
        ListObjectsRequest,
        ObjectInfo,
        UploadRequest,
        UploadResponse,
    )
    from its_store.core.shard import Shard
    from its_store.s3.client import S3Client
    from its_store.service.batch import Batch
    from its_store.service.buckets import BucketAdmin
    from its_store.service.health import BucketsInitialized, HealthReport
    from its_store.service.lifecycle import Lifecycle
    from its_store.service.objects import PresignedUrl
    from its_store.service.policy import Policies
    from its_store.service.retention import Retention
    from its_store.service.scrub import ScrubReport
    from its_store.service.tags import Tagging
    from its_store.service.usage import UsageReport
    from its_store.service.versions import Versions
    from its_store.state.audit import AuditLog
    from its_store.state.service_cache import ServiceCache
    from its_store.state.stats import StatsReset, StatsStore, StorageStats
    from its_store.sync.model import Item, SyncOptions, SyncReport
    from its_store.transfer.download import ObjectHead
    from its_store.transfer.parts import ProgressFn
    from its_store.transfer.resume import UploadJournal


class StorageService:
    """Object storage operations against one S3-compatible endpoint (see the module docstring).

    `s3`: an S3Client the caller built (like httpx's `transport=`): used as is, and left open by close().
    Without it one is built from `settings` on first use and closed by close()."""

    def __init__(self, settings: Settings | None = None, *, workers: int | None = None,
                 s3: S3Client | None = None) -> None:
        if settings is None:
            from its_store.core.settings import load_settings
            settings = load_settings()
        self.ctx = Context(settings, workers=workers, s3=s3)

    # ------------------------------------------------------------------------------ shared parts
    @property
    def settings(self) -> Settings:
        return self.ctx.settings

    @property
    def workers(self) -> int:
        return self.ctx.workers

    @property
    def s3(self) -> S3Client:
        return self.ctx.s3

    @property
    def cache(self) -> ServiceCache:
        """The metadata cache, opened on first use; never raises."""
        return self.ctx.cache

    @property
    def audit(self) -> AuditLog:
        """The audit log of these settings: `service.audit.record("tag", bucket=...)`."""
        return self.ctx.audit

    @property
    def stats(self) -> StorageStats:
        return self.ctx.stats

    @property
    def stats_store(self) -> StatsStore:
        return self.ctx.stats_store

    def journal(self) -> UploadJournal:
        """The journal of multipart uploads in flight for this endpoint."""
        return self.ctx.journal()

    # ------------------------------------------------------------------------------------ buckets
    def resolve_bucket(self, bucket: str | None, object_type: ObjectType | str = ObjectType.OTHER) -> str:
        """The bucket to use: the one given, else the configured default for the object type."""
        from its_store.service.bucket_use import resolve_bucket
        return resolve_bucket(self.ctx, bucket, object_type)

    def ensure_bucket(self, bucket: str, *, create: bool | None = None) -> None:
        """Create `bucket` on first use unless MINIO_CREATE_BUCKETS is off (`create` overrides it)."""
        from its_store.service.bucket_use import ensure_bucket
        ensure_bucket(self.ctx, bucket, create=create)

    def list_buckets(self) -> list[BucketInfo]:
        from its_store.service.bucket_use import list_buckets
        return list_buckets(self.ctx)

    def cached_bucket_names(self) -> list[str]:
        """Bucket names for shell completion: from the cache (TTL), else listed and cached; [] on error."""
        from its_store.service.bucket_use import cached_bucket_names
        return cached_bucket_names(self.ctx)

    def init_buckets(self) -> BucketsInitialized:
        """Create the four configured buckets if missing; `.created` names the ones created."""
        from its_store.service.health import init_buckets
        return init_buckets(self.ctx)

    def get_health_status(self) -> HealthReport:
        """Endpoint reachable, credentials valid, configured buckets present. `status` is the verdict."""
        from its_store.service.health import health_status
        return health_status(self.ctx)

    # ------------------------------------------------------------------------------------ objects
    def upload_object(self, request: UploadRequest, progress: ProgressFn | None = None, *,
                      source: IO[bytes] | None = None) -> UploadResponse:
        """Upload one object from a file, bytes or a stream (objects.upload)."""
        from its_store.service.objects import upload
        return upload(self.ctx, request, progress, source=source)

    def download_object(self, request: DownloadRequest, progress: ProgressFn | None = None, *,
                        into: TreeFile | None = None) -> DownloadResponse:
        """Download to a file (or into a folder) atomically, verified when possible (objects.download)."""
        from its_store.service.objects import download
        return download(self.ctx, request, progress, into=into)

    def download_to_stream(self, bucket: str, key: str, out: IO[bytes], *, version_id: str | None = None,
                           progress: ProgressFn | None = None, raw: bool = False,
                           sse_c_key: bytes | None = None, sse_c_key_file: Path | None = None,
                           offset: int = 0, length: int | None = None) -> int:
        """Write an object (or a byte range of it) to a binary stream; returns the bytes written."""
        from its_store.service.objects import download_to_stream
        return download_to_stream(self.ctx, bucket, key, out, version_id=version_id, progress=progress, raw=raw,
                                  sse_c_key=sse_c_key, sse_c_key_file=sse_c_key_file, offset=offset,
                                  length=length)

    def head(self, bucket: str, key: str, version_id: str | None = None) -> ObjectHead:
        """What a download needs (size, ETag, part size, whether the ETag is an MD5)."""
        from its_store.service.objects import head
        return head(self.ctx, bucket, key, version_id)

    def stat_object(self, bucket: str, key: str, version_id: str | None = None,
                    include_tags: bool = True, *, sse_c_key: bytes | None = None,
                    sse_c_key_file: Path | None = None) -> ObjectInfo:
        """Size, ETag, type, user metadata, tags, codec and encryption of one object (SSE-C: its key)."""
        from its_store.service.objects import stat_object
        return stat_object(self.ctx, bucket, key, version_id, include_tags, sse_c_key=sse_c_key,
                           sse_c_key_file=sse_c_key_file)

    def iter_objects(self, request: ListObjectsRequest) -> Iterator[ObjectInfo]:
        """Objects (and, when not recursive, prefixes) matching the request, lazily (service/listing.py). With
        metadata, types, tags or metadata asked for (a HEAD each), an object whose HEAD alone is a bad answer
        comes with `error` set (why; its type, metadata and lock unknown), whatever the filters."""
        from its_store.service.listing import iter_objects
        return iter_objects(self.ctx, request)

    def list_objects(self, request: ListObjectsRequest) -> list[ObjectInfo]:
        """The list form of iter_objects()."""
        return list(self.iter_objects(request))

    def delete_object(self, bucket: str, key: str, version_id: str | None = None, *,
                      bypass_governance: bool = False) -> DeleteResult:
        """Delete one object (or one version); see objects.delete for delete markers and object lock."""
        from its_store.service.objects import delete
        return delete(self.ctx, bucket, key, version_id, bypass_governance=bypass_governance)

    def delete_objects(self, bucket: str, keys: Iterable[str]) -> list[DeleteResult]:
        """Batch delete (1,000 keys per request); each key gets a DeleteResult, failures are not raised."""
        from its_store.service.objects import delete_many
        return delete_many(self.ctx, bucket, _key_list(keys))

    def remove_batch(self, bucket: str, keys: Iterable[str], sizes: dict[str, int] | None = None) -> dict[str, str]:
        """One DeleteObjects request (<= 1,000 keys), recorded once; returns {key: "Code: message"}."""
        from its_store.service.objects import remove_batch
        return remove_batch(self.ctx, bucket, _key_list(keys), sizes)

    def leaves_delete_markers(self, bucket: str) -> bool:
        """Whether a DELETE without a version id leaves a delete marker (asked once per bucket)."""
        from its_store.service.markers import leaves_delete_markers
        return leaves_delete_markers(self.ctx, bucket)

    def generate_presigned_url(self, bucket: str, key: str, expires_in_seconds: int = 3600,
                               method: str = "GET") -> str:
        """A URL that grants `method` on one object for at most 7 days, with no credentials needed."""
        from its_store.service.objects import presign
        return presign(self.ctx, bucket, key, expires_in_seconds, method)

    def presign(self, bucket: str, key: str, expires_in_seconds: int = 3600, method: str = "GET") -> PresignedUrl:
        """generate_presigned_url() with what the URL grants and when it expires (`presign --json`)."""
        from its_store.service.objects import presigned
        return presigned(self.ctx, bucket, key, expires_in_seconds, method)

    # ---------------------------------------------------------------- the other services, by name
    def sync(self, source: str, dest: str, options: SyncOptions | None = None, *,
             on_item: Callable[[str, Item], None] | None = None) -> SyncReport:
        """Make `dest` like `source` (local <-> s3, s3 -> s3): its_store.sync.engine.sync."""
        from its_store.sync.engine import sync
        return sync(self.ctx, source, dest, options, on_item=on_item)

    def batch(self) -> Batch:
        """Folder uploads, prefix downloads and deletes over a bounded pool."""
        from its_store.service.batch import Batch
        return Batch(self.ctx)

    def versions(self) -> Versions:
        """Versioning status, version listing, restore, erasure."""
        from its_store.service.versions import Versions
        return Versions(self.ctx)

    def tagging(self) -> Tagging:
        """Object and bucket tags."""
        from its_store.service.tags import Tagging
        return Tagging(self.ctx)

    def lifecycle(self) -> Lifecycle:
        """Bucket lifecycle rules and retention presets."""
        from its_store.service.lifecycle import Lifecycle
        return Lifecycle(self.ctx)

    def retention(self) -> Retention:
        """Object lock: default retention, retention, legal hold, lock reasons."""
        from its_store.service.retention import Retention
        return Retention(self.ctx)

    def buckets(self) -> BucketAdmin:
        """Bucket create (with presets), remove, info."""
        from its_store.service.buckets import BucketAdmin
        return BucketAdmin(self.ctx)

    def policies(self) -> Policies:
        """Bucket policies (public read/write under a prefix, JSON, summary)."""
        from its_store.service.policy import Policies
        return Policies(self.ctx)

    def verify(self, bucket: str, prefix: str = "", *, recursive: bool = True, shard: Shard | None = None,
               newer_than: datetime | None = None, older_than: datetime | None = None,
               workers: int | None = None, progress: Callable[[int], None] | None = None) -> ScrubReport:
        """The integrity scrub of `prefix` (recursive unless recursive=False): scrub.scrub."""
        from its_store.service.scrub import scrub
        return scrub(self.ctx, bucket, prefix, recursive=recursive, shard=shard, newer_than=newer_than,
                     older_than=older_than, workers=workers, progress=progress)

    def disk_usage(self, bucket: str, prefix: str = "", *, depth: int = 0, versions: bool = False) -> UsageReport:
        """Bytes and object counts under `prefix`, per folder down to `depth` (`du`): usage.disk_usage."""
        from its_store.service.usage import disk_usage
        return disk_usage(self.ctx, bucket, prefix, depth=depth, versions=versions)

    def get_bucket_encryption(self, bucket: str) -> BucketEncryption:
        """The bucket's default encryption (algorithm None: none)."""
        from its_store.service.encryption import get_default
        return get_default(self.ctx, bucket)

    def set_bucket_encryption(self, bucket: str, kms_key_id: str | None = None) -> BucketEncryption:
        """Default SSE-S3 (or SSE-KMS with `kms_key_id`) for new objects of `bucket`."""
        from its_store.service.encryption import set_default
        return set_default(self.ctx, bucket, kms_key_id)

    def delete_bucket_encryption(self, bucket: str) -> BucketEncryption:
        """Remove the bucket's default encryption (stored objects keep theirs)."""
        from its_store.service.encryption import remove_default
        return remove_default(self.ctx, bucket)

    # ------------------------------------------------------------------------------- stats, close
    def get_stats(self) -> StorageStats:
        """Totals of every run on this machine (this process's counts are saved first); see stats.py."""
        self.ctx.check_open()
        self.flush_stats()
        try:
            return self.ctx.stats_store.load()
        except OSError:
            return self.ctx.stats

    def flush_stats(self) -> bool:
        """Save what this process counted since the last flush. False (and kept) if it could not."""
        return self.ctx.flush_stats()

    def reset_stats(self) -> StatsReset:
        """Zero the persisted totals (and drop this process's unsaved counts)."""
        self.ctx.check_open()
        self.ctx.stats.take_pending()
        return self.ctx.stats_store.reset()

    @property
    def closed(self) -> bool:
        return self.ctx.closed

    def close(self) -> None:
        """Save stats, close the cache and the S3 client's pool (one passed in as `s3=` stays open).
        Safe to call twice; never raises. Using the service afterwards raises ItsStoreError."""
        self.ctx.close()

    def __enter__(self) -> StorageService:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


_shared: StorageService | None = None
_shared_lock = threading.Lock()


def get_storage_service(settings: Settings | None = None) -> StorageService:
    """The process-wide StorageService built from Settings (env, .env), created on first call (and again
    after it was closed)."""
    global _shared
    if settings is not None:
        return StorageService(settings)
    with _shared_lock:
        if _shared is None or _shared.closed:
            _shared = StorageService()
        return _shared


def _key_list(keys: Iterable[str]) -> list[str]:
    """The keys of a batch delete as a list, read once. One str is refused: iterated, it is its characters,
    and `delete_objects(bucket, "camera/frame.jpg")` deleted the one-character keys c, a, m, ... (a delete
    not asked for); a generator was read up by the first pass, so nothing was deleted and [] came back."""
    from its_store.core import errors as E
    if isinstance(keys, (str, bytes)):
        raise E.InvalidInputError(f"keys must be a list of keys, not one {type(keys).__name__} ({keys[:80]!r})",
                                  hint="delete_objects(bucket, [key]); delete_object(bucket, key) for one")
    try:
        listed = list(keys)
    except TypeError:  # None, a number: not a collection of keys at all
        raise E.InvalidInputError(f"keys must be a list of keys, not {type(keys).__name__}",
                                  hint="delete_objects(bucket, [key]); delete_object(bucket, key) for one") from None
    for key in listed:
        if type(key) is not str:  # an int: AttributeError in remove_batch, pydantic's own error in delete_objects
            raise E.InvalidInputError(f"keys must be str, not {type(key).__name__} ({key!r:.80})")
    return listed
