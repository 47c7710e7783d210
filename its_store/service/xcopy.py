"""Copies between endpoints: one object from a source Context to a destination Context, streamed through
this process (transfer/relay.py), when the two are different servers (a server-side copy cannot reach).

What travels with the bytes: the user metadata (x-amz-meta-*: its-sha256, the codec fields, the mtime of
sync), the content type and the other content headers (Cache-Control, Content-Disposition, Content-Encoding,
Content-Language, Expires), the tags, and the object lock asked for (`CrossOptions`: retention and legal
hold go on the destination with the write, and are read back). Compressed objects travel as stored: the
codec fields stay valid, nothing is decoded and encoded again (decoded only to be checked, below).

Verification: every byte read passes a StreamCheck in order before the destination object is made. A source
with its-sha256 is checked against it (for a compressed object, the SHA-256 of its decoded bytes, as `get`
checks it); else against the checksum its server gives (a CRC32, or the MD5 ETag). A mismatch aborts the
upload: nothing is visible, IntegrityError (exit 4). The destination checks each request's CRC32 (s3/).

Encryption: each side has its own SSE-C key. The source's is `source_sse_c_key_file`, else
`sse_c_key` (the key's own bytes, as `upload` and `get` take them), else `sse_c_key_file`, else the source
settings' MINIO_SSE_C_KEY(_FILE); the destination's encryption is decided as for an upload (`sse`, `sse_c_key`,
`sse_c_key_file`, the destination settings), with two rules of its own: a source
that was encrypted at rest (SSE-S3 or SSE-KMS) is stored with SSE-S3 at least when nothing else is asked;
an SSE-C source with no destination key and no --sse is refused (exit 2): its owner holds the key, and a copy
the destination's server can read (or one in the clear) is a choice to make out loud.

Tags: read from the source only when its answer says it has some (x-amz-tagging-count, which S3, MinIO,
SeaweedFS, moto and Ceph send with a tagged object), so an untagged object costs no GET ?tagging; the tags
sent are read back from the destination. A key that may not read them (no s3:GetObjectTagging) leaves a copy
`unchecked: "tags"` (one warning), and a move keeps its source (confirm_copy, exit 6): its tags are not proven
kept, and a server that drops a multipart write's tags (Ceph RGW 16.2) would have lost them with the source.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import computed_field

from its_store.codec.compression import META_CODEC
from its_store.codec.encryption import KeyedS3, SseCKey, UploadSse, describe, given_key, resolve_key, upload_sse
from its_store.core import errors as E
from its_store.core.models import Result
from its_store.core.refs import validate_bucket, validate_key, validate_new_key
from its_store.core.units import read_uint
from its_store.service.context import Context, HasContext, as_context
from its_store.transfer.parts import META_PART_SIZE, MiB, ProgressFn, choose_part_size, noop

if TYPE_CHECKING:
    from collections.abc import Mapping

    from its_store.s3.client import ObjectStat
    from its_store.service.ssecheck import SseCheck
    from its_store.transfer.relay import Reader, Relayed

__all__ = ["CrossCopy", "CrossOptions", "confirm_copy", "copy_object", "is_cross"]

_META = "x-amz-meta-"
_CONTENT_HEADERS = {"cache-control": "Cache-Control", "content-disposition": "Content-Disposition",
                    "content-encoding": "Content-Encoding", "content-language": "Content-Language",
                    "expires": "Expires"}
_KEY_HEADER = "x-amz-server-side-encryption-customer-key"  # never written to the journal
SMALL_GET_HEADERS = {"x-amz-checksum-mode": "ENABLED"}  # a GET answers the CRC32 a HEAD would give
MAX_OWN_PART = 64 * MiB  # the source's own part size is followed up to this (memory: workers x part)


@dataclass(frozen=True)
class CrossOptions:
    """How to copy between endpoints. Every field has the meaning it has for `upload`/`cp`; the keys of a
    mapping (cp's options, sync's upload options) that are not fields here are ignored (`of`)."""

    sse: str | None = None                      # destination: none|s3|c (None: module docstring)
    sse_c_key_file: Path | None = None          # destination SSE-C key (and the source's, unless below)
    source_sse_c_key_file: Path | None = None   # the source's own SSE-C key
    sse_c_key: bytes | None = field(default=None, repr=False)  # sse_c_key_file's key given as its bytes (first)
    retain_mode: str | None = None              # object lock on the destination (GOVERNANCE|COMPLIANCE)
    retain_until: datetime | None = None
    legal_hold: bool = False
    part_size: int | None = None                # None: the source's own (<= 64 MiB), else as uploads choose
    workers: int | None = None                  # parts in flight per object (None: the destination's workers)
    resume: bool = True                         # journal large copies; a rerun continues them
    move: bool = False                          # for mv: tags not readable back are no warning (confirm_copy)

    @classmethod
    def of(cls, values: Mapping[str, Any] | None) -> CrossOptions:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (values or {}).items() if k in names and v is not None})

    def source_key(self) -> Path | bytes | None:
        """The source's SSE-C key as given: its own file, else the destination's (its bytes first); None: the
        source settings'."""
        if self.source_sse_c_key_file is not None:
            return self.source_sse_c_key_file
        return self.sse_c_key if self.sse_c_key is not None else self.sse_c_key_file

    def dest_key(self) -> Path | bytes | None:
        """The destination's SSE-C key as given (its bytes first); None: the destination settings'."""
        return self.sse_c_key if self.sse_c_key is not None else self.sse_c_key_file


class CrossCopy(Result):
    """One object copied between endpoints (copy_object)."""

    source: str                      # s3://BUCKET/KEY on the source endpoint
    source_endpoint: str
    source_version_id: str | None = None
    bucket: str
    key: str
    endpoint: str                    # the destination's
    size: int                        # bytes copied, as stored (a compressed object's stored size)
    etag: str
    version_id: str | None = None
    parts: int = 1
    resumed_parts: int = 0           # parts an interrupted copy had sent, checked and kept
    verified_by: str | None = None   # sha256 (its-sha256), crc32 or md5 (the source's checksum); None: nothing to check
    sha256: str | None = None        # the its-sha256 checked
    codec: str | None = None         # stored compressed with this codec (copied as stored)
    encryption: str | None = None    # on the destination, as its server showed it
    tags: int = 0                    # how many tags were copied
    duration_seconds: float = 0.0
    unchecked: str | None = None     # "sse": stored, its encryption not checked (the key may not read it back);
    # "tags": its tags not checked (the key may not read tags: s3:GetObjectTagging)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def version_unproven(self) -> bool | None:
        """True where version_id is null because the version at the key is not proven this write's (unchecked
        "version": a multipart Complete proven by its bytes read back, the upload gone); else None."""
        return True if self.unchecked == "version" else None


def is_cross(a: Context | HasContext, b: Context | HasContext) -> bool:
    """Whether two contexts are different stores, so that a copy must stream through this process: another
    server (endpoint and proxy: Settings.server_id), scheme or access key (the same ones can copy on the server)."""
    sa, sb = as_context(a).settings, as_context(b).settings
    return (sa.server_id(), sa.secure, sa.access_key) != (sb.server_id(), sb.secure, sb.access_key)


# ---------------------------------------------------------------------------------------- the copy
def copy_object(source: Context | HasContext, src_bucket: str, src_key: str, dest: Context | HasContext,
                bucket: str, key: str, options: CrossOptions | None = None, *, size_hint: int | None = None,
                version_id: str | None = None, progress: ProgressFn = noop, etag_hint: str | None = None) -> CrossCopy:
    """Copy s3://src_bucket/src_key of `source` to s3://bucket/key of `dest` (module docstring). Recorded
    once on the destination's context (stats `copy`, audit `cp` with the source and its endpoint).

    `size_hint`: the size a listing gave; an object that small is fetched by one GET, without a HEAD, whose answer
    must name `etag_hint`, the ETag that listing gave, when known (else the HEAD path: service/fetch.open_answer
    says why)."""
    src, dst = as_context(source), as_context(dest)
    opts = options or CrossOptions()
    validate_bucket(bucket)
    key = validate_new_key(key, copy_of=src_key)
    validate_key(src_key, existing=True)
    from its_store.service.lockcheck import LockCheck
    sse = upload_sse(dst.settings, opts.sse, opts.sse_c_key, opts.sse_c_key_file)  # bad flags: before any request
    lock = LockCheck.of({"retain_mode": opts.retain_mode, "retain_until": opts.retain_until,
                         "legal_hold": opts.legal_hold})
    started = time.perf_counter()
    where = f"s3://{src_bucket}/{src_key}"
    with dst.op("cp", bucket=bucket, key=key, stat="copy", timed=True, source=where,
                source_endpoint=src.settings.endpoint) as op:
        op.started = started
        requested = opts.part_size or dst.settings.part_size or None
        origin = _Origin.open(src, src_bucket, src_key, opts, (size_hint, etag_hint), version_id, requested)
        sse = _destination_sse(sse, origin, opts, where)
        copied = _write(src, dst, origin, opts, sse, lock, bucket, key, progress, requested)
        op.nbytes = copied.size
        op.fields.update(size=copied.size, version_id=copied.version_id, sha256=copied.sha256,
                         verified_by=copied.verified_by, source_version_id=origin.stat.version_id)
    copied.duration_seconds = round(time.perf_counter() - started, 3)
    return copied


def _write(src: Context, dst: Context, origin: _Origin, opts: CrossOptions, sse: UploadSse, lock: Any,
           bucket: str, key: str, progress: ProgressFn, requested: int | None) -> CrossCopy:
    """The relay and the post-conditions on the destination (encryption, lock, tags, metadata names)."""
    from its_store.codec.encryption import explain_write_error
    from its_store.service.bucket_use import ensure_bucket
    from its_store.service.lockcheck import ensure_locked, require_bucket_lock
    from its_store.service.metacheck import check_names, underscored
    from its_store.service.ssecheck import SseCheck, ensure_encrypted
    from its_store.service.tagcheck import tags_kept
    from its_store.transfer.relay import RelayPlan, relay
    stat = origin.stat
    part = relay_part_size(stat, requested)
    headers = _headers(origin, part, sse, lock)
    ensure_bucket(dst, bucket)
    require_bucket_lock(dst, bucket, lock)
    writer = KeyedS3(dst.s3, sse.key) if sse.key is not None else dst.s3
    check = StreamCheck(stat, part, f"s3://{origin.bucket}/{origin.key}")
    plan = RelayPlan(bucket, key, headers, stat.size, part, opts.workers or dst.workers,
                     _identity(src, origin, part, headers) if (opts.resume and stat.size > part) else None)
    try:
        done = relay(origin.reader(src), writer, plan, check, journal=dst.journal() if plan.identity else None,
                     progress=progress, first=origin.data if stat.size <= part else None)
    except E.ItsStoreError as exc:
        better = explain_write_error(exc, sse, f"s3://{bucket}/{key}", plain_http=not dst.settings.secure)
        if better is exc:
            raise
        raise better from exc
    sse_check = ensure_encrypted(writer, dst.s3, bucket, key, done.version_id, done.answer_sse,
                                 SseCheck(asked=sse.label))
    ensure_locked(dst.s3, bucket, key, done.version_id, lock)
    tags = tags_kept(dst, bucket, key, done.version_id, origin.tags,  # None: the key may not read them back
                     quiet=opts.move)  # a move keeps its source then, and says so once (confirm_copy)
    check_names(dst.settings.server_id(), writer, bucket, key, done.version_id, underscored(headers))
    return _result(src, dst, origin, bucket, key, done, check, sse_check, "tags" if tags is None else None)


def _result(src: Context, dst: Context, origin: _Origin, bucket: str, key: str, done: Relayed,
            check: StreamCheck, sse: SseCheck, tags_unchecked: str | None = None) -> CrossCopy:
    stat = origin.stat
    return CrossCopy(source=f"s3://{origin.bucket}/{origin.key}", source_endpoint=src.settings.endpoint,
                     source_version_id=stat.version_id, bucket=bucket, key=key, endpoint=dst.settings.endpoint,
                     size=done.size, etag=done.etag, version_id=done.version_id, parts=done.parts,
                     resumed_parts=done.resumed_parts, verified_by=done.verified_by,
                     sha256=check.sha256 if done.verified_by == "sha256" else None, codec=check.codec,
                     encryption=sse.seen, tags=len(origin.tags),
                     unchecked=sse.unchecked or done.unchecked or tags_unchecked)


def relay_part_size(stat: ObjectStat, requested: int | None) -> int:
    """The part size of a relay: the one asked for; else the source's own (its-part-size of a multipart
    object, up to 64 MiB), so that the copy has the source's multipart ETag and the source's composite
    checksum can be checked part by part; else what an upload of that size would use. Within S3's
    limits (5 MiB .. 5 GiB, <= 10,000 parts)."""
    if requested is None:
        own = read_uint(stat.metadata.get(_META + META_PART_SIZE), low=5 * MiB, high=MAX_OWN_PART)
        count = (stat.etag or "").rpartition("-")[2]
        if own is not None and "-" in (stat.etag or "") and count.isdecimal() and -(-stat.size // own) == int(count):
            return own
    return choose_part_size(stat.size, requested)


def _headers(origin: _Origin, part: int, sse: UploadSse, lock: Any) -> dict[str, str]:
    """The destination's request headers: content type and content headers, user metadata (its-part-size
    set to this copy's parts), tags, encryption, object lock."""
    from its_store.core.lock import lock_headers
    from its_store.s3.client import object_headers
    stat = origin.stat
    meta = {name[len(_META):]: str(value) for name, value in stat.metadata.items()
            if name.lower().startswith(_META) and name.lower() != _META + META_PART_SIZE}
    if stat.size > part:
        meta[META_PART_SIZE] = str(part)  # what a download checks the copy's multipart ETag with
    headers = object_headers(stat.content_type or "application/octet-stream", meta, origin.tags)
    for low, name in _CONTENT_HEADERS.items():
        value = stat.metadata.get(low)
        if value:
            headers[name] = str(value)
    headers.update(sse.headers())
    headers.update(lock_headers(lock.mode, lock.retain_until, lock.legal_hold))
    return headers


def _identity(src: Context, origin: _Origin, part: int, headers: dict[str, str]) -> dict[str, object]:
    """The source of a journaled relay: an upload made for any other source, part size or headers (tags,
    metadata, lock) is aborted instead of continued. Never the SSE-C key itself (only its MD5 header)."""
    sent = sorted((k.lower(), v) for k, v in headers.items() if k.lower() != _KEY_HEADER)
    stat = origin.stat
    return {"source": "relay", "source_endpoint": f"{src.settings.scheme}://{src.settings.server_id()}",
            "source_bucket": origin.bucket, "source_key": origin.key, "source_version": stat.version_id,
            "source_etag": stat.etag, "size": stat.size, "part_size": part,
            "headers": hashlib.sha256(repr(sent).encode()).hexdigest()}


def _destination_sse(sse: UploadSse, origin: _Origin, opts: CrossOptions, where: str) -> UploadSse:
    """The encryption the copy is written with (module docstring: encrypted sources stay encrypted)."""
    if not sse.defaulted:
        return sse
    if origin.encryption == "SSE-C" and sse.mode != "c":
        raise E.InvalidInputError(f"{where} is SSE-C encrypted and nothing says how to encrypt the copy",
                                  hint="give the destination a key (--sse-c-key-file, or the destination's "
                                       "MINIO_SSE_C_KEY), or choose --sse s3 or --sse none")
    if sse.mode == "none" and origin.encryption in ("SSE-S3", "SSE-KMS"):
        return UploadSse("s3", defaulted=True)
    return sse


def confirm_copy(dest: Context | HasContext, copied: CrossCopy, options: CrossOptions | None = None) -> str:
    """Before a move deletes its source: the bytes read were checked against the source's own checksum
    (copied.verified_by), and a HEAD of the destination shows the size and ETag its write answered. Returns
    how it was verified; IntegrityError (exit 4, the source kept) otherwise. Tags the key may not read back
    (`unchecked: "tags"`) are not proven kept: AccessDeniedError (exit 6, the source kept), since deleting the
    source would lose them where the destination's server dropped them (Ceph RGW 16.2: a multipart write's)."""
    dst = as_context(dest)
    where = f"s3://{copied.bucket}/{copied.key}"
    if copied.unchecked == "tags":
        from its_store.service.tagcheck import unproven
        raise unproven(where)
    if copied.verified_by is None:
        raise E.IntegrityError(f"{copied.source} was copied to {where} but could not be verified (the source "
                               "has no checksum to compare the bytes read with); the source was kept",
                               hint="compare the two with `its-store verify`, then remove the source yourself")
    opts = options or CrossOptions()
    key = resolve_key(dst.settings, opts.sse_c_key, opts.sse_c_key_file) if copied.encryption == "SSE-C" else None
    reader = KeyedS3(dst.s3, key) if key is not None else dst.s3
    stat = reader.stat(copied.bucket, copied.key, copied.version_id)
    if stat.size != copied.size or (stat.etag or "").strip('"') != copied.etag.strip('"'):
        raise E.IntegrityError(f"the copy {where} does not show what was written (size {stat.size}, ETag "
                               f"{stat.etag}); the source was kept")
    return copied.verified_by


# -------------------------------------------------------------------------------------- the source
@dataclass
class _Origin:
    """The source object: its HEAD (or the head of the one GET that fetched it), its tags, the SSE-C
    headers its reads need, and its bytes when that one GET brought them."""

    bucket: str
    key: str
    stat: ObjectStat
    encryption: str | None
    tags: dict[str, str]
    key_headers: dict[str, str]
    data: bytes | None = None

    @classmethod
    def open(cls, ctx: Context, bucket: str, key: str, opts: CrossOptions, listed: tuple[int | None, str | None],
             version_id: str | None, requested: int | None) -> _Origin:
        """The source, by one GET where `listed` (size and ETag a listing gave) says it is small, else by a HEAD."""
        size_hint, etag_hint = listed
        sse_key = given_key(ctx.settings, opts.source_key())
        small = choose_part_size(None, requested)  # what one PUT takes (relay_part_size of a small object)
        if size_hint is not None and size_hint <= small and sse_key is None and etag_hint:  # none listed: HEAD
            found = cls._one_get(ctx, bucket, key, version_id, small, size_hint, etag_hint)
            if found is not None:
                return found
        from its_store.service.decoding import stat_with_key
        stat = stat_with_key(ctx, bucket, key, version_id, sse_key)
        encryption = describe(stat.metadata)
        headers = sse_key.headers() if (encryption == "SSE-C" and isinstance(sse_key, SseCKey)) else {}
        return cls(bucket, key, stat, encryption, _source_tags(ctx, bucket, key, stat), headers)

    @classmethod
    def _one_get(cls, ctx: Context, bucket: str, key: str, version_id: str | None, small: int,
                 size_hint: int, etag_hint: str | None) -> _Origin | None:
        """A small listed object by one GET, its answer's headers standing for a HEAD. None: take the
        HEAD path (an SSE-C object, one grown since it was listed, an answer naming another ETag than the
        listing's `etag_hint`, or a failed GET, which the HEAD path explains)."""
        from its_store.s3.client import ObjectStat
        from its_store.transfer.download import comparable_etag
        from its_store.transfer.relay import read_body
        from its_store.transfer.upload import BUDGET
        share = BUDGET.acquire(size_hint)
        try:
            with ctx.s3.get(bucket, key, version_id=version_id, headers=SMALL_GET_HEADERS) as resp:
                stat = ObjectStat(bucket, key, resp.headers)
                encryption = describe(stat.metadata)
                if "content-length" not in resp.headers or stat.size > small or encryption == "SSE-C" or (
                        etag_hint and comparable_etag(stat.etag) != comparable_etag(etag_hint)):
                    return None
                data = bytearray(stat.size)
                read_body(resp, memoryview(data), f"s3://{bucket}/{key}", 0)
        except E.ItsStoreError:
            return None
        finally:
            BUDGET.release(share)
        return cls(bucket, key, stat, encryption, _source_tags(ctx, bucket, key, stat), {}, bytes(data))

    def reader(self, ctx: Context) -> Reader:
        from its_store.transfer.relay import range_reader
        return range_reader(ctx.s3, self.bucket, self.key, version_id=self.stat.version_id, headers=self.key_headers,
                            attempts=ctx.settings.max_retries + 1)


def _source_tags(ctx: Context, bucket: str, key: str, stat: ObjectStat) -> dict[str, str]:
    """The source's tags, read only when its answer counts some (module docstring)."""
    count = stat.metadata.get("x-amz-tagging-count")
    if count is None or read_uint(count) == 0:
        return {}
    return ctx.s3.get_tags(bucket, key, stat.version_id)


# ------------------------------------------------------------------------------------- the check
class StreamCheck:
    """The in-order check of a relay (transfer/relay.Check): its-sha256 when the source has one (of the
    decoded bytes for a compressed object), else the source server's CRC32 or MD5 ETag of the stored
    bytes. finish() raises IntegrityError on a mismatch and returns what verified (or None). A compressed
    object with no valid recorded size is refused here, before anything is sent (compression.recorded_size:
    its decoding would have no bound), as `get` and `verify` refuse it."""

    def __init__(self, stat: ObjectStat, part: int, where: str) -> None:
        from its_store.codec.compression import (
            DecodingWriter,
            VerifyingSink,
            get_codec,
            recorded_size,
        )
        from its_store.core.meta_names import custody_sha256
        self.where = where
        meta = {k.lower()[len(_META):]: str(v) for k, v in stat.metadata.items()
                if k.lower().startswith(_META)}
        self.codec: str | None = meta.get(META_CODEC)
        self.sha256 = custody_sha256(meta)  # no SHA-256 (another tool's metadata of that name): none, as `get`
        self._sink: Any = None
        self._writer: Any = None
        if self.sha256:
            try:
                codec = get_codec(self.codec or "none", stored=True, where=where)
            except E.UnknownCodecError:  # copied as stored all the same; checked by the stored bytes' checksum
                codec = None
            if codec is not None:  # decoded only with a recorded size, as `get` and `verify` decode (else refused)
                size = recorded_size(meta, codec.name, where) if codec.name != "none" else stat.size
                self._sink = VerifyingSink(_discard, where, size, self.sha256)
                self._writer = DecodingWriter(codec, self._sink, where) if codec.name != "none" else None
        self._sums = _SourceSums(stat, part) if self._sink is None else None

    def update(self, data: bytes) -> None:
        if self._writer is not None:
            self._writer.write(data)
        elif self._sink is not None:
            self._sink(data)
        if self._sums is not None:
            self._sums.add(data)

    def finish(self) -> str | None:
        try:
            if self._writer is not None:
                self._writer.close()
            if self._sink is not None:
                return "sha256" if self._sink.verify() else None
            return self._sums.verify(self.where) if self._sums is not None else None
        except E.IntegrityError as exc:
            raise E.IntegrityError(f"{exc.message}; nothing was stored (the upload was aborted)",
                                   hint="the source does not match its own checksum as read: run the copy again; "
                                        "if it fails the same way, check the source with `its-store verify`"
                                   ) from None


def _discard(_: bytes) -> None:
    pass


class _SourceSums:
    """CRC32 or MD5 of the stored bytes against the source server's checksum (transfer/checksums): one
    running sum, or one per part when the source's checksum is per part (the relay's parts are then the
    source's own: relay_part_size)."""

    def __init__(self, stat: ObjectStat, part: int) -> None:
        from its_store.transfer.checksums import expected_for
        meta = stat.metadata
        encryption = describe(meta)
        self.expected = expected_for(stat.size, stat.etag or "", meta.get("x-amz-checksum-crc32"),
                                     read_uint(meta.get(_META + META_PART_SIZE), low=1),
                                     encryption not in ("SSE-C", "SSE-KMS"), meta.get("x-amz-checksum-type"))
        if self.expected is not None and self.expected.parts and -(-stat.size // part) != self.expected.parts:
            self.expected = None  # per-part sums that would not line up with the source's parts
        self.per_part = self.expected is not None and self.expected.parts > 0
        self.md5 = self.expected is not None and self.expected.needs_md5
        self.sums: list[Any] = []
        self._crc, self._length = 0, 0
        self._digest = hashlib.md5(usedforsecurity=False) if self.md5 else None

    def add(self, data: bytes) -> None:
        from its_store.transfer.checksums import RangeSum, crc32
        if self.expected is None:
            return
        if self.per_part:
            self.sums.append(RangeSum(len(data), 0 if self.md5 else crc32(data),
                                      hashlib.md5(data, usedforsecurity=False).digest() if self.md5 else None))
            return
        if self._digest is not None:
            self._digest.update(data)
        else:
            self._crc = crc32(data, self._crc)
        self._length += len(data)

    def verify(self, where: str) -> str | None:
        from its_store.transfer.checksums import RangeSum, verify
        if self.expected is None:
            return None
        sums = self.sums if self.per_part else [
            RangeSum(self._length, self._crc, self._digest.digest() if self._digest is not None else None)]
        return ("md5" if self.md5 else "crc32") if verify(self.expected, sums, where) else None
