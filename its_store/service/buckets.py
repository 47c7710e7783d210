"""Bucket administration: list, create (with versioning and a retention preset), remove, inspect.

`create` either configures the new bucket completely or removes it again, so a failed preset never
leaves a half-configured bucket behind; object lock is read back before anything else is configured
(`rclone serve s3` takes the header and keeps no lock). Versioning from MINIO_ENABLE_VERSIONING is a
default, not a promise the user asked for: on a server without versioning (rclone answers 501) the bucket is
made without it and that is said once (default_versioning); asked for (`--versioning`, a preset, object
lock) it is an error and the bucket is removed again. `remove` refuses a bucket that holds anything (a
version, a delete marker, an unfinished upload) unless forced, and then erases everything first.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from pydantic import Field

from its_store.codec.encryption import BucketEncryption
from its_store.core import errors as E
from its_store.core.models import BucketInfo, Result
from its_store.core.refs import validate_bucket
from its_store.service.bucket_use import (  # re-exported: what a transfer needs of a bucket lives there
    UNSUPPORTED,
    cached_bucket_names,
    default_versioning,
    ensure_bucket,
    list_buckets,
    log,
    resolve_bucket,
)
from its_store.service.lifecycle import Lifecycle, LifecycleRule, preset_rule
from its_store.service.policy import Policies
from its_store.service.retention import DefaultRetention, Retention
from its_store.service.versions import Versions

if TYPE_CHECKING:
    from its_store.core.settings import Settings
    from its_store.s3.client import S3Client
    from its_store.service.context import Context
    from its_store.service.retention import BucketLock

T = TypeVar("T")


EVIDENCE_MODE, EVIDENCE_DAYS = "GOVERNANCE", 90  # --preset evidence: default retention of new objects
__all__ = ["UNSUPPORTED", "BucketAdmin", "BucketCreated", "BucketDetails", "BucketRemoved", "cached_bucket_names",
           "default_versioning", "ensure_bucket", "list_buckets", "resolve_bucket"]


class BucketCreated(Result):
    """`bucket create`: the new bucket as configured, each setting read back from the server."""

    bucket: str
    versioning: str                                    # Enabled, Suspended, Off
    encryption: str | None = None                      # SSE-S3, SSE-KMS, None: no default encryption
    preset: str | None = None
    lifecycle: list[LifecycleRule] = Field(default_factory=list)
    object_lock: bool = False
    default_retention: DefaultRetention | None = None  # of new objects, when the bucket has one
    warnings: list[str] = Field(default_factory=list)  # e.g. the server refused default encryption


class BucketRemoved(Result):
    """`bucket rm`: what went with the bucket (with `forced`, every version, marker and upload first)."""

    bucket: str
    forced: bool = False
    objects: int = 0
    versions: int = 0
    delete_markers: int = 0
    bytes: int = 0
    uploads_aborted: int = 0


class UnsettledUpload(Result):
    """A multipart upload the server still lists whose CompleteMultipartUpload was sent with no known outcome
    (a timeout, an answer lost) and that a later run of the key did not resume (transfer/resume.py). Never
    aborted by its-store: it may be completing (on SeaweedFS an abort then corrupts the object). The bucket's
    lifecycle rule (`--abort-multipart-days`) removes its parts; abort it by hand once no run uses the key."""

    key: str
    upload_id: str


class BucketDetails(Result):
    """What `bucket info` shows. Counts come from listing every version of the bucket (a failed listing fails
    the command). Each other field comes from a call of its own; one that fails or is answered with something
    that is not S3 is None (unknown), and `unknown` says why ({field: reason}), the rest is shown."""

    bucket: str
    created: datetime | None = None
    versioning: str | None = None                      # Enabled, Suspended, Off; None: unknown
    encryption: BucketEncryption | None = None         # None: not read (see unknown)
    lifecycle: list[LifecycleRule] | None = Field(default_factory=list)
    tags: dict[str, str] | None = Field(default_factory=dict)
    object_lock: bool | None = None                    # None: the server did not say
    default_retention: DefaultRetention | None = None  # of new objects, when the bucket has one
    objects: int = 0          # current (latest, not deleted) objects
    size: int = 0             # bytes of the current objects
    versions: int = 0         # every stored data version, current ones included
    delete_markers: int = 0
    stored_size: int = 0      # bytes of every stored version
    uploads_in_progress: int | None = 0
    unsettled_uploads: list[UnsettledUpload] = Field(default_factory=list)  # this machine's journal's (above)
    public: bool | None = None        # the bucket policy allows anonymous requests something (None: unknown)
    policy_summary: list[str] = Field(default_factory=list)  # the policy in plain words (policy.summarize)
    unknown: dict[str, str] = Field(default_factory=dict)  # field -> why it could not be read


@dataclass(frozen=True)
class _CreatePlan:
    """What `bucket create` will set, from its arguments and the settings (nothing asked of the server)."""

    rule: LifecycleRule | None  # the preset's retention rule
    evidence: bool              # the evidence preset: object lock, SSE-S3, default retention
    object_lock: bool
    version_it: bool            # versioning on
    asked: bool                 # versioning the user asked for, not a default
    encrypt: bool               # SSE-S3 as the bucket's default encryption

    @classmethod
    def of(cls, settings: Settings, preset: str | None, versioning: bool | None, encryption: bool | None,
           object_lock: bool) -> _CreatePlan:
        """InvalidInputError for a combination that cannot be (a preset or object lock without versioning)."""
        rule = preset_rule(preset) if preset else None
        evidence = preset == "evidence"
        object_lock = object_lock or evidence
        if versioning is False and rule is not None:
            raise E.InvalidInputError("a retention preset needs versioning", hint="drop --no-versioning")
        if versioning is False and object_lock:
            raise E.InvalidInputError("object lock needs versioning", hint="drop --no-versioning")
        if evidence and encryption is None:
            encryption = True
        version_it = bool(rule) or (settings.enable_versioning if versioning is None else versioning)
        asked = bool(rule) or bool(versioning) or object_lock
        encrypt = (bool(rule) and settings.enable_encryption) if encryption is None else encryption
        return cls(rule, evidence, object_lock, version_it, asked, encrypt)


class BucketAdmin:
    """Bucket operations over one Context (`svc.buckets()`)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def list(self) -> builtins.list[BucketInfo]:
        """Every bucket of the account (`bucket ls`)."""
        return list_buckets(self.ctx)

    def _require(self, bucket: str) -> str:
        validate_bucket(bucket)
        if not self.ctx.s3.bucket_exists(bucket):
            raise E.BucketNotFoundError(f"bucket not found: {bucket}")
        return bucket

    # ---------------------------------------------------------------------------------- create
    def create(self, bucket: str, *, preset: str | None = None, versioning: bool | None = None,
               encryption: bool | None = None, object_lock: bool = False) -> BucketCreated:
        """Create a bucket; versioning on when asked, by MINIO_ENABLE_VERSIONING, or by a preset.

        A preset (video, logs, models) also sets its retention rule and, when MINIO_ENABLE_ENCRYPTION
        is on, SSE-S3 as the bucket's default encryption (`encryption` overrides both ways). If any
        step fails, the new (still empty) bucket is removed again and the error raised.

        `object_lock` (only possible at creation) turns versioning on. The evidence preset is object
        lock + versioning + SSE-S3 (a warning, not a failure, if the server has none) + default
        governance retention of 90 days + its lifecycle rule (noncurrent versions expire after 90 days).
        """
        validate_bucket(bucket)
        plan = _CreatePlan.of(self.ctx.settings, preset, versioning, encryption, object_lock)
        rule, evidence, object_lock = plan.rule, plan.evidence, plan.object_lock
        version_it, asked, encrypt = plan.version_it, plan.asked, plan.encrypt
        s3 = self.ctx.s3
        if s3.bucket_exists(bucket):
            raise E.AlreadyExistsError(f"bucket already exists: {bucket}")
        warnings: builtins.list[str] = []
        with self.ctx.op("bucket_create", bucket=bucket, forget="buckets", preset=preset, versioning=version_it,
                         encryption=encrypt, object_lock=object_lock or None) as op:
            s3.make_bucket(bucket, object_lock=object_lock)
            try:
                lock = self._new_lock(bucket) if object_lock else None  # read back before anything else
                sse = self._configure(bucket, version_it and asked, encrypt and not evidence, rule)
                if version_it and not asked and (note := default_versioning(self.ctx, bucket, op.fields, say=False)):
                    warnings.append(note)
                if evidence:
                    sse = self._evidence(bucket, warnings, encrypt)
            except BaseException:
                self._undo_create(bucket)
                raise
        self.ctx.known_buckets.add(bucket)
        return self._created(bucket, preset, bool(rule), lock, object_lock, sse, warnings)

    def _created(self, bucket: str, preset: str | None, rule: bool, lock: BucketLock | None, object_lock: bool,
                 sse: str | None, warnings: builtins.list[str]) -> BucketCreated:
        """create()'s result: the bucket's settings read back once it is made (its lock, lifecycle, versioning)."""
        lock = Retention(self.ctx).bucket_lock(bucket) if object_lock else lock
        rules = Lifecycle(self.ctx).get(bucket) if rule else []  # read back what was set; a new bucket has none
        return BucketCreated(bucket=bucket, versioning=Versions(self.ctx).status(bucket),
                             encryption=sse, preset=preset, lifecycle=rules,
                             object_lock=bool(lock and lock.object_lock),
                             default_retention=lock.default() if lock else None,
                             warnings=warnings)

    def _evidence(self, bucket: str, warnings: builtins.list[str], encrypt: bool) -> str | None:
        """SSE-S3 (a warning if the server refuses it) and the default 90-day governance retention."""
        from its_store.service.encryption import set_checked
        sse = None
        try:
            if encrypt:
                sse = set_checked(self.ctx.s3, bucket).sse
        except (E.ConfigError, E.InvalidInputError, E.ConflictError) as exc:
            warnings.append(f"the server refused default encryption (SSE-S3): {exc.message}; "
                            "objects are stored unencrypted unless uploaded with --sse")
        Retention(self.ctx).set_default(bucket, EVIDENCE_MODE, days=EVIDENCE_DAYS)
        return sse

    def _configure(self, bucket: str, versioning: bool, encrypt: bool, rule: LifecycleRule | None) -> str | None:
        """Versioning asked for, default encryption and the preset rule of a new bucket. Returns the SSE label."""
        if versioning:
            try:
                self.ctx.s3.set_versioning(bucket, True)
            except E.ItsStoreError as exc:
                if exc.s3_code not in UNSUPPORTED:
                    raise
                raise E.ItsStoreError(f"the server does not support versioning ({exc.s3_code}): the new bucket "
                                      f"s3://{bucket} is removed again", hint="drop --versioning (and the preset) "
                                      "on this server, or use one with versioning") from None
            from its_store.service.kept import read_back
            from its_store.service.versions import versioning_kept
            versions = Versions(self.ctx)
            read_back(bucket, "versioning on", lambda: versions.status(bucket), lambda got: versioning_kept(got, True),
                      str, needs="s3:GetBucketVersioning", unread="unknown")
        sse = None
        if encrypt:
            from its_store.service.encryption import set_checked
            sse = set_checked(self.ctx.s3, bucket).sse
        if rule is not None:
            Lifecycle(self.ctx).set(bucket, [rule])
        return sse

    def _new_lock(self, bucket: str) -> BucketLock:
        """The object lock of a bucket just made with it, read back: a server that took the header and keeps
        no lock (rclone) is ObjectLockNotEnabledError (exit 78), and the caller removes the bucket again."""
        try:
            return Retention(self.ctx).require_lock(bucket)
        except E.ObjectLockNotEnabledError as exc:
            why = ("the server does not implement object lock" if "does not implement" in exc.message
                   else "the server did not keep the object lock asked for")
            raise E.ObjectLockNotEnabledError(f"{why}: the new bucket s3://{bucket} has none and is removed again",
                                              hint="object lock needs a server that implements it (MinIO, Ceph "
                                                   "RGW, SeaweedFS)") from None

    def _undo_create(self, bucket: str) -> None:
        """Remove the bucket `create` just made (still empty); if that fails, say so: it stays half-made.
        (The bucket list is forgotten when the create's op ends.)"""
        try:
            self.ctx.s3.remove_bucket(bucket)
        except E.ItsStoreError as exc:
            log.warning("s3://%s was created and could not be removed again (%s): remove it with "
                        "`its-store bucket rm s3://%s`", bucket, exc.message, bucket)

    # ---------------------------------------------------------------------------------- remove
    def remove(self, bucket: str, *, force: bool = False) -> BucketRemoved:
        """Remove a bucket. Non-empty needs `force`: every version, marker and upload goes first."""
        self._require(bucket)
        s3 = self.ctx.s3
        uploads = s3.list_multipart_uploads(bucket)
        first = next(iter(Versions(self.ctx).iter_versions(bucket)), None)
        result = BucketRemoved(bucket=bucket, forced=force)
        if (first is not None or uploads) and not force:
            what = "objects" if first is not None else "unfinished multipart uploads"
            raise E.ConflictError(f"bucket s3://{bucket} is not empty (it holds {what})",
                                  hint="--force deletes every object version first (needs --yes without "
                                       "a terminal)")
        if first is not None:
            erased = Versions(self.ctx).erase(bucket, "", recursive=True)
            erased.raise_for_failures()
            result.objects, result.versions = erased.objects, erased.versions
            result.delete_markers, result.bytes = erased.delete_markers, erased.bytes
        for key, upload_id in uploads:
            s3.abort_multipart(bucket, key, upload_id)
        result.uploads_aborted = len(uploads)
        self.ctx.known_buckets.discard(bucket)
        with self.ctx.op("bucket_rm", bucket=bucket, forget="bucket", forced=force, versions=result.versions,
                         delete_markers=result.delete_markers, size=result.bytes):
            s3.remove_bucket(bucket)
        return result

    # ------------------------------------------------------------------------------------ info
    def info(self, bucket: str) -> BucketDetails:
        """Versioning, encryption, lifecycle, tags, lock, policy, and counts and sizes from a full version
        listing. A field whose own call fails is unknown (None) with its reason in `unknown`: a server that
        lacks a call (rclone answers ?lifecycle with the bucket listing) still gets the rest shown."""
        self._require(bucket)
        s3 = self.ctx.s3
        details = BucketDetails(bucket=bucket)

        def read(name: str, call: Callable[[], T]) -> T | None:
            """call(), or None with the reason under `name` in details.unknown."""
            try:
                return call()
            except E.ItsStoreError as exc:
                details.unknown[name] = exc.message
                return None

        details.created = read("created", lambda: next(
            (b.created for b in list_buckets(self.ctx) if b.name == bucket), None))
        details.versioning = read("versioning", lambda: Versions(self.ctx).status(bucket))
        details.encryption = read("encryption", lambda: _encryption_of(s3, bucket))
        details.lifecycle = read("lifecycle", lambda: Lifecycle(self.ctx).get(bucket))
        details.tags = read("tags", lambda: s3.get_bucket_tags(bucket))
        uploads = read("uploads_in_progress", lambda: s3.list_multipart_uploads(bucket))
        if uploads is not None:
            details.uploads_in_progress = len(uploads)
            details.unsettled_uploads = [UnsettledUpload(key=key, upload_id=upload_id) for key, upload_id in
                                         self.ctx.journal().unsettled(bucket, {u for _, u in uploads})]
        else:
            details.uploads_in_progress = None
        lock = read("object_lock", lambda: Retention(self.ctx).bucket_lock(bucket))
        if lock is not None:
            details.object_lock, details.default_retention = lock.object_lock, lock.default()
        view = read("public", lambda: Policies(self.ctx).get(bucket))
        if view is not None:
            details.public, details.policy_summary = view.public, view.lines()
        self._count(bucket, details)
        return details

    def _count(self, bucket: str, details: BucketDetails) -> None:
        """Counts and sizes from a listing of every version. A server that has no version listing (rclone
        answers 501) has one version per object: the plain listing counts them."""
        try:
            for version in Versions(self.ctx).iter_versions(bucket):
                if version.is_delete_marker:
                    details.delete_markers += 1
                    continue
                details.versions += 1
                details.stored_size += version.size
                if version.is_latest:
                    details.objects += 1
                    details.size += version.size
        except E.ItsStoreError as exc:
            if exc.s3_code not in UNSUPPORTED or details.versions or details.delete_markers:
                raise
            for item in self.ctx.s3.list_objects(bucket, "", True):
                details.objects += 1
                details.versions += 1
                details.size += item.size or 0
                details.stored_size += item.size or 0


def _encryption_of(s3: S3Client, bucket: str) -> BucketEncryption:
    """The bucket's default encryption."""
    from its_store.codec.encryption import get_bucket_encryption
    return get_bucket_encryption(s3, bucket)
