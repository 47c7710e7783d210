"""What every transfer needs of a bucket: its name (resolve_bucket), and that it exists (ensure_bucket, created on
first use, with the default versioning). Bucket administration (create with presets, remove, inspect:
buckets.py) imports lifecycle, retention, versioning and policy services and their models; an upload, a get or
a sync imports only this module (test_startup.py checks it). buckets.py re-exports these names.
"""

from __future__ import annotations

import logging
import weakref
from typing import TYPE_CHECKING, Any

from its_store.core import errors as E
from its_store.core.refs import validate_bucket

if TYPE_CHECKING:
    from its_store.core.bucket_models import BucketInfo
    from its_store.core.enums import ObjectType
    from its_store.service.context import Context

__all__ = ["UNSUPPORTED", "bucket_seen", "cached_bucket_names", "default_versioning", "ensure_bucket", "list_buckets",
           "resolve_bucket"]

UNSUPPORTED = ("NotImplemented", "MethodNotAllowed")  # what a server without a feature answers its calls
log = logging.getLogger("its_store.service.buckets")
_TOLD: weakref.WeakSet[Context] = weakref.WeakSet()  # services that said their server keeps no versioning


def resolve_bucket(ctx: Context, bucket: str | None, object_type: ObjectType | str = "other") -> str:
    """The bucket to use: the one given, else the configured default for the object type."""
    from its_store.core.enums import ObjectType
    try:
        kind = ObjectType(object_type)
    except ValueError:
        raise E.InvalidInputError(f"unknown object type {object_type!r}",
                                  hint=f"one of: {', '.join(t.value for t in ObjectType)}") from None
    name = bucket or ctx.settings.bucket_for_type(kind.value)
    return validate_bucket(name)


def ensure_bucket(ctx: Context, bucket: str, *, create: bool | None = None) -> None:
    """Create `bucket` on first use (with versioning when MINIO_ENABLE_VERSIONING is on: a default, so a
    server without versioning gets the bucket without it, said once: default_versioning). Asked once per
    bucket for the life of the context.

    `create` overrides MINIO_CREATE_BUCKETS (e.g. `its-store init` always creates)."""
    if bucket in ctx.known_buckets:
        return
    if not bucket_seen(ctx, bucket):
        if not (ctx.settings.create_buckets if create is None else create):
            raise E.BucketNotFoundError(f"bucket not found: {bucket}",
                                        hint="create it, or set MINIO_CREATE_BUCKETS=true")
        with ctx.op("bucket_create", bucket=bucket, forget="buckets", automatic=True,
                    versioning=ctx.settings.enable_versioning) as op:
            made = True
            try:
                ctx.s3.make_bucket(bucket)
            except E.AlreadyExistsError:
                made = False  # created concurrently: fine (and not ours to remove)
            if ctx.settings.enable_versioning:
                try:
                    default_versioning(ctx, bucket, op.fields)
                except E.SettingNotKeptError:
                    if made:  # a next run would find the bucket and upload into it unversioned
                        _remove_again(ctx, bucket)
                    raise
                except E.AccessDeniedError as exc:
                    if made:  # the same: a default the server could not be given is not dropped silently
                        _remove_again(ctx, bucket)
                    raise E.AccessDeniedError(
                        f"s3://{bucket}: the key may not turn versioning on (s3:PutBucketVersioning); the bucket "
                        "made for MINIO_ENABLE_VERSIONING was removed again",
                        hint="give the key s3:PutBucketVersioning, or set MINIO_ENABLE_VERSIONING=false to "
                             "upload without versions") from exc
    ctx.known_buckets.add(bucket)


def bucket_seen(ctx: Context, bucket: str) -> bool:
    """Whether `bucket` exists, as every "bucket not found" pre-check asks it. A denied HEAD (a least-privilege
    key: an edge box that may only PutObject; S3's HeadBucket needs s3:ListBucket) means "exists, cannot
    check": the key's own requests answer NoSuchBucket when it is missing, so the work goes on instead of
    being refused for a check it needs not."""
    try:
        return ctx.s3.bucket_exists(bucket)
    except E.AccessDeniedError:
        log.debug("s3://%s: the key may not check that the bucket exists; its requests will tell", bucket)
        from its_store.s3.errors import let_through_unchecked
        let_through_unchecked(bucket)  # a later refusal on it names a missing bucket as a cause too
        return True


def _remove_again(ctx: Context, bucket: str) -> None:
    """Remove the (empty) bucket ensure_bucket just made whose default versioning was not kept; said when
    that fails too (it stays, unversioned)."""
    try:
        ctx.s3.remove_bucket(bucket)
    except E.ItsStoreError as exc:
        log.warning("s3://%s was created and could not be removed again (%s): remove it with "
                    "`its-store bucket rm s3://%s`", bucket, exc.message, bucket)


def list_buckets(ctx: Context) -> list[BucketInfo]:
    """Every bucket of the account; their names are remembered for shell completion."""
    from its_store.core.bucket_models import BucketInfo  # built here: `sync` and `get` use this module too
    buckets = [BucketInfo(name=b.name, created=b.creation_date) for b in ctx.s3.list_buckets()]
    ctx.cache.remember_bucket_names([b.name for b in buckets])
    return buckets


def cached_bucket_names(ctx: Context) -> list[str]:
    """Bucket names for shell completion: from the cache (TTL), else listed and cached; [] on error."""
    try:
        return ctx.cache.bucket_names(lambda: [b.name for b in list_buckets(ctx)]) or []
    except E.ItsStoreError:
        return []


def default_versioning(ctx: Context, bucket: str, entry: dict[str, Any], *, say: bool = True) -> str | None:
    """Turn on the versioning MINIO_ENABLE_VERSIONING asks for by default on a bucket just made. A server
    without versioning: the bucket stays as it is, one warning per service (a CLI command) says so (unless
    not `say`: the caller shows it), the audit `entry` gets versioning false and `versioning_unavailable`;
    returns that warning (None when versioning is on). A server that answers OK and keeps no versioning is
    SettingNotKeptError (exit 78, service/kept.py): it says it has what it has not, unlike one that refuses."""
    try:
        ctx.s3.set_versioning(bucket, True)
    except E.ItsStoreError as exc:
        if exc.s3_code not in UNSUPPORTED:
            raise
        code = exc.s3_code
    else:
        from its_store.service.kept import read_back
        from its_store.service.versions import versioning_kept, versioning_label
        read_back(bucket, "versioning on (MINIO_ENABLE_VERSIONING)",
                  lambda: versioning_label(ctx.s3.get_versioning(bucket)), lambda got: versioning_kept(got, True), str,
                  needs="s3:GetBucketVersioning", unread="unknown")
        return None
    entry.update(versioning=False, versioning_unavailable=code)
    warning = (f"s3://{bucket} was created without versioning: the server does not support it ({code}); "
               "MINIO_ENABLE_VERSIONING cannot be kept there (overwritten and deleted objects are gone)")
    if say and ctx not in _TOLD:
        _TOLD.add(ctx)
        log.warning("%s", warning)
    return warning
