"""Server-side copy of one object (CopyObject, or a multipart copy above the threshold) and its check.

Used by `cp`/`mv` (its_store/sync/copy.py). See that module for the rules; this one holds the S3 side.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from its_store.codec.compression import META_SHA256
from its_store.codec.encryption import describe
from its_store.core import errors as E
from its_store.core.units import read_uint
from its_store.service import heads
from its_store.transfer.parts import META_PART_SIZE, MIN_PART

if TYPE_CHECKING:
    from its_store.s3.messages import Written
    from its_store.service.context import Context, HasContext

_META = "x-amz-meta-"
MAX_PARTS = 10_000
DEFAULT_PART = 512 * 1024 ** 2
MAX_PART = 5 * 1024 ** 3  # S3's largest part


def server_copy(owner: Context | HasContext, sb: str, sk: str, db: str, dk: str, *, threshold: int,
                part_size: int | None = None, move: bool = False) -> tuple[Any, str, str | None, bool, str | None]:
    """Copy s3://sb/sk to s3://db/dk on the server. Returns (source stat, etag, version id, multipart,
    unchecked: "sse" when the copy's encryption could not be checked, its read-back denied: see checked; else
    "tags" when a multipart copy's tags could not be read back, said once unless `move`, whose caller keeps
    its source on it). Not recorded here: the caller records the copy as its own operation (cp, model register)."""
    from its_store.service.context import as_context
    ctx = as_context(owner)
    refused = E.InvalidInputError(f"s3://{sb}/{sk} is SSE-C encrypted: a server-side copy needs its key on "
                                  "both sides, which cp does not send",
                                  hint="download it with `get --sse-c-key-file` and upload it again")
    try:
        head = heads.stat(ctx, sb, sk)
    except E.SseKeyRequiredError:  # the HEAD, sent without the key, is refused first (S3, SeaweedFS, MinIO)
        raise refused from None
    encryption = describe(head.metadata)
    if encryption == "SSE-C":  # a server that answers an SSE-C object's HEAD without its key
        raise refused
    sse_s3 = encryption == "SSE-S3"
    if head.size <= threshold:  # the server copies the tags (directive COPY): never sent again nor read back
        etag, version, unchecked = checked(ctx, ctx.s3.copies.copy_object(sb, sk, db, dk, sse_s3=sse_s3),
                                           db, dk, sse_s3)
        return head, etag, version, False, unchecked
    tags = ctx.s3.get_tags(sb, sk)
    part = copy_part_size(head, part_size)
    headers = {"Content-Type": head.content_type or "application/octet-stream"}
    for name, value in head.metadata.items():
        if name.lower().startswith(_META):
            headers[name.lower()] = value
    headers[_META + META_PART_SIZE] = str(part)  # the copy's parts: what a download checks the ETag with
    written = ctx.s3.copies.copy_multipart(sb, sk, db, dk, size=head.size, part_size=part, headers=headers,
                                           tags=tags, sse_s3=sse_s3, etag=head.etag)  # the parts of THIS source
    etag, version, unchecked = checked(ctx, written, db, dk, sse_s3)
    from its_store.service.tagcheck import tags_kept
    if tags_kept(ctx, db, dk, version, tags, quiet=move) is None:  # the key may not read them back
        unchecked = unchecked or "tags"
    return head, etag, version, True, unchecked


def checked(ctx: Context, written: Written, bucket: str, key: str, sse_s3: bool) -> tuple[str, str | None, str | None]:
    """(etag, version id, unchecked) of a server-side copy (s3.copies: cp, mv, sync, registry dedup, restore), once the
    SSE-S3 it asked for again (a copy does not inherit it) is found on it as an upload's is
    (service/ssecheck.ensure_encrypted: the answer's headers, else a HEAD): a server that takes the header
    and does not encrypt stored the copy of an encrypted object in clear, exit 0, and `mv` then deleted the
    encrypted source. EncryptionNotKeptError (exit 78) before any caller goes on (mv keeps its source).
    A HEAD the key may not make leaves it unchecked ("sse", said once per command: kept.denied_read_back)."""
    if not sse_s3:
        return written.etag, written.version_id, written.unchecked
    from its_store.service.ssecheck import SseCheck, ensure_encrypted
    check = ensure_encrypted(ctx.s3, ctx.s3, bucket, key, written.version_id, written.sse, SseCheck(asked="SSE-S3"))
    return written.etag, written.version_id, check.unchecked or written.unchecked


def copy_part_size(head: Any, requested: int | None) -> int:
    """The source's own part size when it was uploaded in parts of a copyable size (the copy then has the
    source's multipart ETag), else `requested`, else 512 MiB; within S3's 5 MiB..5 GiB, <= 10,000 parts."""
    own = read_uint(head.metadata.get(_META + META_PART_SIZE), low=MIN_PART, high=MAX_PART)
    if requested is None and own is not None and "-" in (head.etag or "") and -(-head.size // own) <= MAX_PARTS:
        return own
    part = max(requested or DEFAULT_PART, MIN_PART)
    while -(-head.size // part) > MAX_PARTS:
        part *= 2
    return min(part, MAX_PART)


def verify_copy(ctx: Context, source: Any, bucket: str, key: str) -> str:
    """HEAD the copy and compare it with the source's HEAD: same size, and the same ETag or the same
    its-sha256. Returns what matched ('etag' or 'sha256'); raises IntegrityError otherwise."""
    copy = ctx.s3.stat(bucket, key)
    where = f"s3://{bucket}/{key}"
    if copy.size != source.size:
        raise E.IntegrityError(f"the copy {where} has {copy.size} bytes, the source {source.size}; source kept")
    if copy.etag and copy.etag.strip('"') == (source.etag or "").strip('"'):
        return "etag"
    mine = str(copy.metadata.get(_META + META_SHA256) or "")
    theirs = str(source.metadata.get(_META + META_SHA256) or "")
    if mine and mine == theirs:
        return "sha256"
    raise E.IntegrityError(f"the copy {where} could not be verified against its source (different ETag, no "
                           "common its-sha256); source kept",
                           hint="compare the two with `its-store verify`, then remove the source yourself")
