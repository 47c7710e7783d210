"""The HEAD of one object as every service asks it: a 404 names the bucket when the bucket is missing,
and a read error of an encrypted object says what key it needs (codec/encryption.explain_read_error).

Its own module because objects, encoded (SSE-C heads), copying and scrub all need it and none of them
may import another for it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from its_store.core import errors as E

if TYPE_CHECKING:
    from its_store.s3.client import ObjectStat
    from its_store.service.context import Context


def stat(ctx: Context, bucket: str, key: str, version_id: str | None = None,
         headers: dict[str, str] | None = None) -> ObjectStat:
    """HEAD an object; a 404 names the bucket when it is the bucket that is missing.

    `headers` carries an SSE-C key; a key-less HEAD of an SSE-C object is SseKeyRequiredError. A key with a
    backslash must be listed under that exact name too (not_another): SeaweedFS answers for 'd\\f1' with the
    object 'd/f1', which a get, cp, mv or rm of 'd\\f1' then read (or deleted) under the name asked for."""
    try:
        found = ctx.s3.stat(bucket, key, version_id, headers=headers)
    except E.ObjectNotFoundError:
        if not _bucket_seen_missing(ctx, bucket):
            raise
        raise E.BucketNotFoundError(f"bucket not found: {bucket}") from None
    except E.ItsStoreError as exc:
        from its_store.codec.encryption import explain_read_error
        better = explain_read_error(exc, bucket, key, keyed=headers is not None, version_id=version_id,
                                    listed=lambda: listed(ctx, bucket, key))
        if better is exc:
            raise
        raise better from exc
    not_another(ctx, bucket, key, version_id)
    return found


def not_another(ctx: Context, bucket: str, key: str, version_id: str | None = None) -> None:
    """ObjectNotFoundError when a key with a backslash is not listed under that exact name: a server that
    reads '\\' as '/' (SeaweedFS) answered a HEAD or GET of it for another object. One listing, for such keys
    only; a version id names one object exactly, and a listing that fails speaks against nothing (listed)."""
    if "\\" in key and version_id is None and not listed(ctx, bucket, key):
        raise E.ObjectNotFoundError(f"object not found: s3://{bucket}/{key} (the server answered for another "
                                    "key: it reads a backslash as '/')")


def _bucket_seen_missing(ctx: Context, bucket: str) -> bool:
    """Whether the bucket's HEAD says it is missing. Denied (a key scoped to a prefix may read objects but not
    HEAD the bucket): False, the object's own not-found is the answer (exit 3, never "access denied")."""
    try:
        return not ctx.s3.bucket_exists(bucket)
    except E.AccessDeniedError:
        return False


def listed(ctx: Context, bucket: str, key: str) -> bool:
    """Whether a listing shows `key` (the sign explain_read_error asks for before it calls a bare 400 SSE-C):
    one page of the listing under the key itself, which sorts first. True when the listing fails too
    (refused, say): then nothing speaks against the guess."""
    entries = None
    try:
        entries = ctx.s3.list_objects(bucket, key, recursive=True)
        first = next(iter(entries), None)
    except E.ItsStoreError:
        return True
    finally:
        getattr(entries, "close", lambda: None)()  # the listing ends here (and its page read ahead)
    return first is not None and first.key == key


def names_stored_object(ctx: Context, bucket: str, key: str, version_id: str | None = None) -> bool:
    """Whether a key ending in '/' names an object stored under that exact key (one HEAD); False: it names a
    prefix. The one rule of every single-object command (stat, get, rm, cp, mv): a `dir/` holding bytes is an
    object as any other (s3/listing, core/refs.is_folder_marker); an empty one is a folder marker, as in a
    listing: SeaweedFS answers a HEAD of ANY folder `det/` with 200 and size 0, so an empty answer proves no
    object. An answer other than "not found" (an SSE-C object, no access) counts as there: the command's own
    request then reports it. A key not ending in '/' always names an object."""
    from its_store.core.refs import is_folder_marker
    if not key:
        return False
    if not key.endswith("/"):
        return True
    try:
        return not is_folder_marker(key, ctx.s3.stat(bucket, key, version_id).size)
    except E.ObjectNotFoundError:
        return False
    except E.ItsStoreError:
        return True
