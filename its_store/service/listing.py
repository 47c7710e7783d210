"""Listing objects: one listing, filters answered from it first, HEADs in parallel only when needed.

`ls --type/--meta/--tag/--metadata` need what only a HEAD (and GetObjectTagging) tells; those run on a
thread pool over the shared client with a bounded look-ahead, keeping the listing's order.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from its_store.core import errors as E
from its_store.core.models import CODEC_META, META_TYPE, ObjectInfo, ObjectType, listed_parts
from its_store.core.refs import UnsafeKeyError, validate_bucket
from its_store.transfer.parts import META_PART_SIZE

if TYPE_CHECKING:  # ListObjectsRequest: a type here (its class is built by whoever makes one)
    from its_store.core.list_models import ListObjectsRequest
    from its_store.service.context import Context

INTERNAL_META = {META_TYPE, META_PART_SIZE, *CODEC_META}  # hidden from `metadata`


def iter_objects(ctx: Context, request: ListObjectsRequest) -> Iterator[ObjectInfo]:
    """Objects (and, when not recursive, prefixes) matching the request, lazily; one whose HEAD alone failed
    with a bad answer comes with `error` set (_with_heads), not raised: the listing goes on."""
    if request.object_types or request.include_metadata or request.match_tags or request.match_metadata \
            or request.max_keys or request.size_range or request.modified_after or request.modified_before:
        return _chosen(ctx, request)
    return _listed(ctx, request)  # a plain listing (ls -r): nothing to decide per entry


def _chosen(ctx: Context, request: ListObjectsRequest) -> Iterator[ObjectInfo]:
    """The listing's entries that pass the request's filters, HEADs asked where they need one."""
    validate_bucket(request.bucket)
    filters = bool(request.match_tags or request.match_metadata)
    needs_head = bool(request.object_types) or request.include_metadata or filters
    bucket = request.bucket
    candidates: Iterator[ObjectInfo] = _listed(ctx, request)
    if request.size_range or request.modified_after or request.modified_before:
        candidates = (info for info in candidates if _matches_listing(info, request))
    if needs_head:
        candidates = _with_heads(ctx, bucket, candidates, tags=bool(request.match_tags))
    if not (needs_head or request.max_keys):
        yield from candidates
        return
    count = 0
    wanted = {t.value for t in request.object_types or []}
    for info in candidates:
        if info.error is None:  # (its HEAD failed: not known to match or not, so shown as failed, never dropped)
            if wanted and not info.is_prefix and (info.object_type is None or info.object_type.value not in wanted):
                continue
            if filters and not _tag_meta_match(info, request.match_tags, request.match_metadata):
                continue
        yield info
        count += 1
        if request.max_keys and count >= request.max_keys:
            return


def _listed(ctx: Context, request: ListObjectsRequest) -> Iterator[ObjectInfo]:
    """Every entry of the listing as an ObjectInfo, built without validation (the values come typed and
    checked from s3/listing.py; validating 10,000 entries cost more than reading them): what
    ObjectInfo.listed builds, field for field (tests/test_listing_fastpaths.py), written out here because
    it runs once a key: the defaults' dict copied and six of its values set, the instance's four slots
    set through their own descriptors (core/models.listed_parts: what object.__setattr__ looks up by name
    each time)."""
    validate_bucket(request.bucket)
    bucket = request.bucket
    cls = ObjectInfo
    new = cls.__new__
    defaults, set_dict, set_fields, set_extra, set_private = listed_parts()
    object_fields, prefix_fields = _OBJECT_SET.copy, _PREFIX_SET.copy
    for key, size, etag, modified, version_id, is_prefix, _, _, _ in ctx.s3.list_objects(
            bucket, request.prefix, request.recursive):  # an s3 Entry's fields
        info = new(cls)
        values = defaults.copy()  # in field order, like JSON; setting a key keeps its place
        values["bucket"] = bucket
        values["key"] = key
        if is_prefix:
            values["is_prefix"] = True
            set_fields(info, prefix_fields())
        else:
            values["size"] = size
            values["etag"] = etag
            values["last_modified"] = modified
            values["version_id"] = version_id
            set_fields(info, object_fields())
        set_dict(info, values)
        set_extra(info, None)
        set_private(info, None)
        yield info


_OBJECT_SET = {"bucket", "key", "size", "etag", "last_modified", "version_id"}  # as ObjectInfo.listed's
_PREFIX_SET = {"bucket", "key", "is_prefix"}


def _with_heads(ctx: Context, bucket: str, items: Iterator[ObjectInfo],
                tags: bool = False) -> Iterator[ObjectInfo]:
    """Fill type and metadata with HEADs run in parallel, keeping listing order (transfer/fanout.fan_out:
    at most 4 x workers entries ahead of the consumer). An answer of one object that is no answer (BadAnswerError:
    a header line over 64 KiB) fails that entry alone (ObjectInfo.error); any other HEAD that fails for good (the
    server unreachable, access denied) is raised."""
    from its_store.transfer.fanout import fan_out

    def fill(info: ObjectInfo) -> ObjectInfo:
        if info.is_prefix:
            return info

        def head() -> ObjectInfo:
            stat = ctx.s3.stat(bucket, info.key)
            return object_info(bucket, info.key, stat.size, stat.etag, stat.last_modified,
                                stat.content_type, stat.metadata, stat.version_id)
        try:  # the cache answers when its entry still matches the listed ETag and size
            full = ctx.cache.object_info(bucket, info.key, None, head, listed=info)
        except (E.ObjectNotFoundError, UnsafeKeyError):
            return info  # deleted since it was listed, or a key no URL names exactly (s3/keys.py)
        except E.BadAnswerError as exc:  # this object's answer unreadable (a 100 KB header): the entry fails,
            info.error = exc.message     # not the listing (the caller says so and exits as for a failed item)
            return info
        except E.ItsStoreError as exc:  # SSE-C without its key: keep what the listing knows
            from its_store.codec.encryption import explain_read_error
            if not isinstance(explain_read_error(exc, bucket, info.key), E.SseKeyRequiredError):
                raise
            info.encryption = "SSE-C"
            return info
        if tags:  # GetObjectTagging in the same pool, for ls --tag
            try:
                full.tags = ctx.cache.tags(bucket, info.key, None, lambda: ctx.s3.get_tags(bucket, info.key))
            except E.ObjectNotFoundError:
                return info
        return full

    for outcome in fan_out(fill, items, workers=ctx.workers, ahead=4 * ctx.workers, name="its-head"):
        yield outcome.result()


def _user_metadata(headers: Any) -> dict[str, str]:
    """x-amz-meta-* headers as a dict with lowercase keys (servers differ in case)."""
    out = {}
    for name, value in (headers or {}).items():
        low = name.lower()
        if low.startswith("x-amz-meta-"):
            out[low[len("x-amz-meta-"):]] = value
    return out


def object_info(bucket: str, key: str, size: Any, etag: Any, modified: Any, content_type: Any,
                 headers: Any, version_id: Any) -> ObjectInfo:
    meta = _user_metadata(headers)
    kind = meta.get(META_TYPE)
    try:
        object_type = ObjectType(kind) if kind else None
    except ValueError:
        object_type = ObjectType.OTHER
    info = ObjectInfo(bucket=bucket, key=key, size=size or 0, etag=(etag or "").strip('"') or None,
                      last_modified=modified, content_type=content_type, object_type=object_type,
                      metadata={k: v for k, v in meta.items() if k not in INTERNAL_META},
                      version_id=version_id)
    from_headers, annotate = _head_readers()
    info.retention_mode, info.retain_until, info.legal_hold = from_headers(headers)  # object lock
    return annotate(info, headers)  # codec, original size, ratio, sha256, encryption


@functools.cache
def _head_readers() -> tuple[Callable[[Any], Any], Callable[[ObjectInfo, Any], ObjectInfo]]:
    """core/lock's and service/decoding's readers of a HEAD's headers, imported by the first object_info
    (not at start-up), then reached without an import statement per object (~1 us each in Python 3.11:
    sync's downloads and ls --metadata build one per object)."""
    from its_store.core.lock import from_headers
    from its_store.service.decoding import annotate
    return from_headers, annotate


def _tag_meta_match(info: ObjectInfo, tags: dict[str, str] | None, metadata: dict[str, str] | None) -> bool:
    """ls --tag / --meta: checked after the HEAD (and GetObjectTagging) that filled `info`."""
    from its_store.service.tags import matches
    return matches(info, tags, metadata)


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
