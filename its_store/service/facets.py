"""The parts of StorageService that live in their own modules, as a mixin StorageService inherits:
health and bucket init (health.py), sync (sync/engine.py), batches (batch.py), versions, tags,
lifecycle, object lock, bucket admin, policies (each its own service module), the integrity scrub
(scrub.py) and bucket default encryption (codec/encryption.py).

Each method only imports its module on first call (startup time: `its-store --version` loads none of
them) and hands it the service. They live here only to keep storage.py, the object I/O core, small
(house rule: modules under ~500 lines); `StorageService.x` keeps working for every one of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from its_store.s3.client import S3Client

__all__ = ["ServiceFacets"]


class ServiceFacets:
    """Mixin of StorageService (see the module docstring); uses its `s3` client and `audit` log."""

    if TYPE_CHECKING:
        @property
        def s3(self) -> S3Client: ...
        @property
        def audit(self) -> Any: ...

    # ------------------------------------------------------------------------------------- health
    def get_health_status(self) -> dict[str, Any]:
        """Endpoint reachable, credentials valid, configured buckets present. `status` is the verdict."""
        from its_store.service.health import health_status
        return health_status(self)

    def init_buckets(self) -> list[str]:
        """Create the four configured buckets if missing. Returns the ones created."""
        from its_store.service.health import init_buckets
        return init_buckets(self)

    # --------------------------------------------------------------------------------- batches
    def sync(self, source: str, dest: str, options: Any = None, **kwargs: Any) -> Any:
        """Make `dest` like `source` (local <-> s3, s3 -> s3): its_store.sync.engine.sync, a SyncReport."""
        from its_store.sync.engine import sync
        return sync(self, source, dest, options, **kwargs)

    def batch(self) -> Any:
        from its_store.service.batch import Batch
        return Batch(self)

    # ------------------------------------------- versions, tags, lifecycle, buckets (own modules)
    def versions(self) -> Any:
        """Versioning status, version listing, restore, erasure: a versions.Versions."""
        from its_store.service.versions import Versions
        return Versions(self)

    def tagging(self) -> Any:
        """Object and bucket tags: a tagging.Tagging."""
        from its_store.service.tags import Tagging
        return Tagging(self)

    def lifecycle(self) -> Any:
        """Bucket lifecycle rules and retention presets: a lifecycle.Lifecycle."""
        from its_store.service.lifecycle import Lifecycle
        return Lifecycle(self)

    def retention(self) -> Any:
        """Object lock: default retention, retention, legal hold, lock reasons: a retention.Retention."""
        from its_store.service.retention import Retention
        return Retention(self)

    def buckets(self) -> Any:
        """Bucket create (with presets), remove, info: a buckets.BucketAdmin."""
        from its_store.service.buckets import BucketAdmin
        return BucketAdmin(self)

    def policies(self) -> Any:
        """Bucket policies (public read/write under a prefix, JSON, summary): a policy.Policies."""
        from its_store.service.policy import Policies
        return Policies(self)

    def verify(self, bucket: str, prefix: str = "", **options: Any) -> Any:
        """The integrity scrub of `prefix` (recursive unless recursive=False): scrub.scrub, a ScrubReport."""
        from its_store.service.scrub import scrub
        return scrub(self, bucket, prefix, **options)

    def get_bucket_encryption(self, bucket: str) -> Any:
        """The bucket's default encryption: an encryption.BucketEncryption (algorithm None: none)."""
        from its_store.codec.encryption import get_bucket_encryption
        return get_bucket_encryption(self.s3, bucket)

    def set_bucket_encryption(self, bucket: str, kms_key_id: str | None = None) -> Any:
        """Default SSE-S3 (or SSE-KMS with `kms_key_id`) for new objects of `bucket`."""
        from its_store.codec.encryption import set_bucket_encryption
        from its_store.state.audit import recording
        with recording(self.audit, "bucket_encryption_set", bucket=bucket,
                       algorithm="aws:kms" if kms_key_id else "AES256"):
            return set_bucket_encryption(self.s3, bucket, kms_key_id)

    def delete_bucket_encryption(self, bucket: str) -> Any:
        """Remove the bucket's default encryption (stored objects keep theirs)."""
        from its_store.codec.encryption import remove_bucket_encryption
        from its_store.state.audit import recording
        with recording(self.audit, "bucket_encryption_rm", bucket=bucket):
            return remove_bucket_encryption(self.s3, bucket)
