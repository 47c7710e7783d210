"""The HEAD of one object as every service asks it: a 404 names the bucket when the bucket is missing,
and a read error of an encrypted object says what key it needs (codec/encryption.explain_read_error).

Its own module because objects, encoded (SSE-C heads), copying and scrub all need it and none of them
may import another for it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from its_store.core import errors as E
from its_store.core.refs import may_be_another, merged_form

if TYPE_CHECKING:
    from its_store.s3.client import ObjectStat
    from its_store.service.context import Context


def stat(ctx: Context, bucket: str, key: str, version_id: str | None = None,
         headers: dict[str, str] | None = None) -> ObjectStat:
    """HEAD an object; a 404 names the bucket when it is the bucket that is missing.

    `headers` carries an SSE-C key; a key-less HEAD of an SSE-C object is SseKeyRequiredError. A key some
    server may read as another (a backslash, empty segments) must be that key's own object (not_another):
    SeaweedFS answers for 'd\\f1' or 'd//f1' with the object 'd/f1', which a get, cp, mv or rm of that name
    then read (or deleted) under the name asked for."""
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
    not_another(ctx, bucket, key, version_id, found)
    return found


def not_another(ctx: Context, bucket: str, key: str, version_id: str | None = None,
                found: ObjectStat | None = None) -> None:
    """ObjectNotFoundError when the server answered for `key` with the object of its merged form (SeaweedFS
    answers 'd\\f1', 'd//f1' or '/d/f1' with the object 'd/f1': a get, stat, cp, mv, rm, tag or lock of
    that name read, changed or deleted the other object). `found`, the HEAD of `key`: compared with the
    merged key's HEAD (version, ETag, size, date); without it (an SSE-C object's key-less HEAD tells
    nothing), with the listings of both names, which SeaweedFS even fabricates under the asked name (so a
    listing alone proves nothing). Two objects servers keep apart (AWS, moto) differ, if only in their version
    or date; the same bytes stored under both names in one second are taken for one, the side that loses
    nothing. Keys that name themselves cost nothing. With a version id: another when the merged key has that
    version (SeaweedFS answers 'd\\f1?versionId=V' with the version V of 'd/f1', and its DELETE removes it for
    good; a delete marker too, which its listing of versions may show under the name asked; a server that
    keeps the keys apart has no version of one under the other's name)."""
    if not may_be_another(key):
        return
    other = merged_form(key)
    if version_id is not None:
        same = _has_version(ctx, bucket, other, version_id)
    else:
        same = _same_head(ctx, bucket, other, found) if found is not None else _listed_as(ctx, bucket, key, other)
    if same:
        raise E.ObjectNotFoundError(f"object not found: s3://{bucket}/{key} (the server answered with the object "
                                    f"s3://{bucket}/{other}: it reads a backslash as '/' and merges empty segments)")


def _same_head(ctx: Context, bucket: str, key: str, stat: ObjectStat) -> bool:
    """Whether the HEAD of s3://bucket/key answers with the object `stat` describes."""
    try:
        there = ctx.s3.stat(bucket, key)
    except E.ItsStoreError:  # none there (or not readable): not known to be the same
        return False
    return (there.version_id, there.etag, there.size, there.last_modified) == \
        (stat.version_id, stat.etag, stat.size, stat.last_modified)


def _has_version(ctx: Context, bucket: str, key: str, version_id: str) -> bool:
    """Whether s3://bucket/key has the version `version_id` (an SSE-C one too: its key-less HEAD is refused;
    a delete marker, which has no HEAD, by the versions of `key` listed: a listing refused raises its
    error, nothing is changed on a guess)."""
    try:
        ctx.s3.stat(bucket, key, version_id)
    except E.SseKeyRequiredError:
        return True
    except E.ItsStoreError:  # none there, a delete marker, or not readable
        listed = ctx.s3.list_objects(bucket, key, True, include_versions=True)
        try:
            return any(v.key == key and v.version_id == version_id and v.is_delete_marker for v in listed)
        finally:
            getattr(listed, "close", lambda: None)()  # the listing ends here (and its page read ahead)
    return True


def _listed_as(ctx: Context, bucket: str, key: str, other: str) -> bool:
    """Whether s3://bucket/key is not listed under its own name, or is listed as `other` is (ETag, size, date).
    A listing refused raises its error: nothing is read or changed on a guess."""
    def entry(name: str) -> tuple[object, ...] | None:
        listed = ctx.s3.list_objects(bucket, name, recursive=True)
        try:
            first = next(iter(listed), None)
        finally:
            getattr(listed, "close", lambda: None)()  # the listing ends here (and its page read ahead)
        return None if first is None or first.key != name else (first.etag, first.size, first.last_modified)
    here = entry(key)
    return here is None or here == entry(other)


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
