"""The download half of objects stored compressed and/or encrypted: decoding, verifying, stat fields.

StorageService delegates here (download_object / download_to_stream -> download_file /
download_stream): an object's codec and sha256 metadata say how its bytes are decoded and checked;
transfer/download.py and transfer/spans.py move them. An SSE-C object is read with its key
(stat_with_key, open_head). The upload half is service/upload_plan.py, which a download does not import
(nor transfer/upload.py: ~11-15M instructions on the first object of a `get`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from its_store.codec.compression import (
    META_CODEC,
    META_ORIGINAL_SIZE,
    META_SHA256,
    DecodingWriter,
    VerifyingSink,
    get_codec,
    recorded_size,
)
from its_store.codec.encryption import KeyedS3, SseCKey, describe, given_key, key_mismatch, resolve_key
from its_store.core import errors as E
from its_store.core.files import atomic_target
from its_store.core.meta_names import custody_sha256
from its_store.core.refs import may_be_another
from its_store.core.units import read_uint
from its_store.service import fetch, heads
from its_store.service.fetch import user_metadata
from its_store.transfer.download import ObjectHead, download_to_stream, response_to_file, stream_checked_by_server
from its_store.transfer.parts import META_PART_SIZE, ProgressFn, choose_part_size
from its_store.transfer.spans import download_to_file

if TYPE_CHECKING:
    from its_store.core.models import DownloadRequest, ObjectInfo
    from its_store.s3.client import ObjectStat
    from its_store.service.context import Context
    from its_store.transfer.download import Target
    from its_store.transfer.parts import ObjectIO


def _noop(_: int) -> None:
    pass


@dataclass
class Fetched:
    """What a download wrote: `size` bytes (original), from `head.size` stored bytes."""

    head: ObjectHead
    size: int
    verified: bool
    codec: str | None
    headers: Any = None  # the answer's headers (GET or HEAD: s3 Headers), for objects.download_info


def stat_with_key(ctx: Context, bucket: str, key: str, version_id: str | None,
                  sse_key: SseCKey | None) -> ObjectStat:
    """HEAD with the SSE-C key when we hold one. A 403 with a key that a key-less HEAD explains as
    SSE-C is a wrong key; a 400 means the object is not SSE-C (AWS refuses keys there): retry without."""
    if sse_key is None:
        return heads.stat(ctx, bucket, key, version_id)
    try:
        return heads.stat(ctx, bucket, key, version_id, headers=sse_key.headers())
    except E.AccessDeniedError:
        try:
            heads.stat(ctx, bucket, key, version_id)
        except E.SseKeyRequiredError:
            raise key_mismatch(bucket, key) from None
        except E.ItsStoreError:
            pass
        raise
    except (E.NotFoundError, E.ServiceUnavailableError):
        raise
    except E.ItsStoreError:
        return heads.stat(ctx, bucket, key, version_id)


def stat_given_key(ctx: Context, bucket: str, key: str, given: Path | bytes | None) -> ObjectStat:
    """stat_with_key of the current object with the SSE-C key a move's checks of its source hold (xmove.stamp,
    delete_guard.still_copied, object_delete._etag_now): the key its copy or download was read with, its bytes or
    its file, else the settings' (codec/sse_keys.given_key)."""
    return stat_with_key(ctx, bucket, key, None, given_key(ctx.settings, given))


def open_head(ctx: Context, bucket: str, key: str, version_id: str | None,
              sse_c_key: bytes | None = None, sse_c_key_file: Path | None = None
              ) -> tuple[ObjectHead, dict[str, str], ObjectIO]:
    """(ObjectHead, user metadata, client to read with) of one object; the client carries the SSE-C
    key when the object is SSE-C. The ETag is not an MD5 under SSE-C and SSE-KMS: not verifiable."""
    return _open_head(ctx, bucket, key, version_id, sse_c_key, sse_c_key_file)[:3]


def _open_head(ctx: Context, bucket: str, key: str, version_id: str | None, sse_c_key: bytes | None,
               sse_c_key_file: Path | None) -> tuple[ObjectHead, dict[str, str], ObjectIO, Any]:
    """open_head(), and every header of the HEAD's answer."""
    sse_key = resolve_key(ctx.settings, sse_c_key, sse_c_key_file)
    stat = stat_with_key(ctx, bucket, key, version_id, sse_key)
    meta = user_metadata(stat.metadata)
    encryption = describe(stat.metadata)
    head = ObjectHead(bucket=bucket, key=key, size=stat.size or 0, etag=(stat.etag or "").strip('"'),
                      version_id=version_id or stat.version_id,
                      part_size=read_uint(meta.get(META_PART_SIZE), low=1),  # not a number: unknown, as absent
                      verifiable=encryption not in ("SSE-C", "SSE-KMS"),
                      checksum=_header(stat.metadata, "x-amz-checksum-crc32"),
                      checksum_type=_header(stat.metadata, "x-amz-checksum-type"))
    s3 = KeyedS3(ctx.s3, sse_key) if encryption == "SSE-C" and sse_key is not None else ctx.s3
    return head, meta, s3, stat.metadata


def _header(headers: Any, name: str) -> str | None:
    """A response header by case-insensitive name (servers differ in case)."""
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return str(value)
    return None


def _decoding(meta: dict[str, str], where: str) -> tuple[Any, int | None, str | None] | None:
    """(codec, original size, sha256) when the object must be decoded/verified by us, else None. A
    compressed object is decoded only with a recorded original size (compression.recorded_size)."""
    name, sha = meta.get(META_CODEC), custody_sha256(meta)  # no SHA-256 (another tool's): none, as verify
    if name is None and sha is None:
        return None
    codec = get_codec(name or "none", stored=True, where=where)
    return codec, recorded_size(meta, codec.name, where), sha


def download_file(ctx: Context, request: DownloadRequest, target: Target, progress: ProgressFn) -> Fetched:
    """Download to `target` atomically, undoing compression (unless `raw`) and verifying the sha256.
    One request for a small object: the GET's answer stands for the HEAD (service/fetch.py).

    On any mismatch the temp file is removed and `target` is left as it was.
    """
    if fetch.one_get_will_do(ctx, request):
        answer = fetch.open_answer(ctx, request.bucket, request.key, request.version_id, request.raw,
                                   request.size_hint, request.etag_hint)
        if answer is not None:
            with answer.body:
                try:
                    return _download_file(ctx, request, target, progress, answer.head, answer.meta, ctx.s3, answer)
                except _AnswerBroke:
                    pass  # its body broke before it was all read (nothing was renamed): the HEAD path retries
    head, meta, s3, headers = _open_head(ctx, request.bucket, request.key, request.version_id,
                                         request.sse_c_key, request.sse_c_key_file)
    got = _download_file(ctx, request, target, progress, head, meta, s3, None)
    got.headers = headers
    return got


def _download_file(ctx: Context, request: DownloadRequest, target: Target, progress: ProgressFn, head: ObjectHead,
                   meta: dict[str, str], s3: ObjectIO, answer: fetch.Answer | None) -> Fetched:
    """download_file once the object's head is known: from the open GET `answer` when it is small enough
    (closed unread and fetched in ranges otherwise), else by new requests."""
    part_size = request.part_size or ctx.settings.part_size or None
    workers = request.workers or ctx.workers
    threshold = ctx.settings.multipart_threshold
    plan = None if request.raw else _decoding(meta, f"s3://{request.bucket}/{request.key}")
    if plan is None or (plan[0].name == "none" and plan[2] and (plan[1] is None or plan[1] == head.size)):
        if plan is not None:  # plain, with its-sha256: parallel ranges, then the sha256 read back before the rename
            head.sha256 = plan[2]
        if answer is not None and head.size < max(threshold, 1):
            try:  # _broke_mid_body() written out: this is every small object's path
                verified = response_to_file(answer.body, head, target, progress, custody=request.custody)
            except E.ServiceUnavailableError as exc:
                if getattr(exc, "mid_body", False):
                    raise _AnswerBroke from exc
                raise
        else:
            _close(answer)
            verified = download_to_file(s3, head, target, threshold=threshold, part_size=part_size,
                                        workers=workers, progress=progress, custody=request.custody)
        return Fetched(head, head.size, verified, None, _headers(answer))

    codec, size, sha = plan
    with atomic_target(target) as fd:
        sink = VerifyingSink(lambda data: _write_all(fd, data, target), f"s3://{head.bucket}/{head.key}", size, sha)
        writer = DecodingWriter(codec, sink, f"s3://{head.bucket}/{head.key}")
        if answer is not None and head.size <= choose_part_size(head.size, part_size):
            with _broke_mid_body():
                fetch.feed(answer, writer.write, progress)
        else:
            _close(answer)
            download_to_stream(s3, head, writer, part_size=part_size, workers=workers, progress=progress)
        writer.close()
        verified = sink.verify()
    return Fetched(head, sink.count, verified, codec.name if codec.name != "none" else None, _headers(answer))


class _AnswerBroke(Exception):
    """The open GET's body broke mid-way (after urllib3's retries, which end at the answer's head)."""


@contextmanager
def _broke_mid_body() -> Iterator[None]:
    try:
        yield
    except E.ServiceUnavailableError as exc:
        if getattr(exc, "mid_body", False):
            raise _AnswerBroke from exc
        raise


def _close(answer: fetch.Answer | None) -> None:
    """Give up an open GET unread (its connection is closed, not drained): the object goes by ranges."""
    if answer is not None:
        answer.body.close()


def _headers(answer: fetch.Answer | None) -> Any:
    return answer.headers if answer is not None else None


def download_stream(ctx: Context, bucket: str, key: str, out: IO[bytes], *, version_id: str | None = None,
                    raw: bool = False, sse_c_key: bytes | None = None, sse_c_key_file: Path | None = None,
                    progress: ProgressFn = _noop) -> Fetched:
    """Write an object to a stream in order, decoded unless `raw`. A checksum mismatch can only be
    reported after the bytes went out (exit 4): use a file target when that matters. One request for a
    small object: the GET's answer stands for the HEAD (service/fetch.py)."""
    answer = None
    if not fetch.key_in_play(ctx, sse_c_key, sse_c_key_file) and not may_be_another(key):  # heads.not_another
        answer = fetch.open_answer(ctx, bucket, key, version_id, raw)
    s3: ObjectIO
    if answer is not None:
        head, meta, s3, headers = answer.head, answer.meta, ctx.s3, answer.headers
    else:
        head, meta, s3, headers = _open_head(ctx, bucket, key, version_id, sse_c_key, sse_c_key_file)
    part_size = ctx.settings.part_size or None
    with answer.body if answer is not None else contextlib.nullcontext():
        whole = answer is not None and head.size <= choose_part_size(head.size, part_size)  # else: ranges
        if not whole:
            _close(answer)
        plan = None if raw else _decoding(meta, f"s3://{bucket}/{key}")
        if plan is not None and plan[0].name == "none" and stream_checked_by_server(head, part_size):
            plan = None  # plain, and checked against the server's CRC32: its-sha256 is left to `verify`
        if plan is None:
            verified = fetch.feed(answer, out.write, progress) if whole and answer is not None else \
                download_to_stream(s3, head, out, part_size=part_size, workers=ctx.workers, progress=progress)
            return Fetched(head, head.size, verified, None, headers)
        codec, size, sha = plan
        sink = VerifyingSink(out.write, f"s3://{bucket}/{key}", size, sha)
        writer: Any = _SinkWriter(sink) if codec.name == "none" else DecodingWriter(codec, sink, f"s3://{bucket}/{key}")
        if whole and answer is not None:
            fetch.feed(answer, writer.write, progress)
        else:
            download_to_stream(s3, head, writer, part_size=part_size, workers=ctx.workers, progress=progress)
        writer.close()
        return Fetched(head, sink.count, sink.verify(), codec.name if codec.name != "none" else None, headers)


class _SinkWriter:
    """A plain object's bytes straight into the VerifyingSink (no decoder in between)."""

    def __init__(self, sink: VerifyingSink) -> None:
        self.write = sink

    def close(self) -> None:
        pass


def _write_all(fd: int, data: bytes, target: Target) -> None:
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view):]
    except OSError as exc:
        raise E.LocalIOError(f"cannot write {target}: {exc.strerror}") from None


# ---------------------------------------------------------------------------------------- stat
def annotate(info: ObjectInfo, headers: Any) -> ObjectInfo:
    """Fill codec, original size, ratio, sha256 and encryption of an ObjectInfo from HEAD headers."""
    meta = user_metadata(headers)
    info.encryption = describe(headers)
    info.codec = meta.get(META_CODEC)
    info.sha256 = meta.get(META_SHA256)
    info.original_size = read_uint(meta.get(META_ORIGINAL_SIZE))  # not a number: unknown, as when absent
    if info.codec and info.original_size is not None and info.size:
        info.compression_ratio = round(info.original_size / info.size, 3)
    return info
