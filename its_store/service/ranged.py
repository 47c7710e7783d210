"""Ranged downloads (`get --range`, DownloadRequest.offset/length): part of an object, to a file or a stream.

What works where:
- a plain object: any range, to a file (atomic: temp + rename) or a stream;
- an SSE-C object: any range, with its key (the server decrypts the range);
- a compressed object (its-codec metadata): only ranges of the stored bytes, asked for with `raw`; a
  range of the original content would need the whole stream decoded up to it, which is a full download.
A partial download cannot be verified (no ETag, CRC32 or sha256 covers an arbitrary part), so
`verified` is always false for a range.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from its_store.codec.compression import META_CODEC
from its_store.core import errors as E
from its_store.core.ranges import describe, resolve_range
from its_store.transfer.download import ObjectHead, range_to_stream
from its_store.transfer.parts import ProgressFn
from its_store.transfer.spans import range_to_file

if TYPE_CHECKING:
    from its_store.core.models import DownloadRequest
    from its_store.service.context import Context
    from its_store.transfer.download import Target
    from its_store.transfer.parts import ObjectIO


@dataclass
class RangeFetched:
    """What a ranged download wrote: `length` bytes from `start`, of an object of `head.size` bytes."""

    head: ObjectHead
    start: int
    length: int


def _noop(_: int) -> None:
    pass


def _open(ctx: Context, bucket: str, key: str, version_id: str | None, offset: int, length: int | None,
          raw: bool, sse_c_key: bytes | None, sse_c_key_file: Path | None) -> tuple[ObjectHead, ObjectIO, int, int]:
    """HEAD (with the SSE-C key when needed), refuse what cannot be served, resolve the range."""
    from its_store.service.decoding import open_head
    head, meta, s3 = open_head(ctx, bucket, key, version_id, sse_c_key, sse_c_key_file)
    where = f"s3://{bucket}/{key}"
    codec = meta.get(META_CODEC)
    if codec and not raw:
        raise E.RangeNotSatisfiableError(
            f"{where} is stored compressed ({codec}): a range of its original content cannot be fetched",
            hint="add --raw for that range of the stored (compressed) bytes, or download it whole")
    start, count = resolve_range(offset, length, head.size, where)
    return head, s3, start, count


def range_file(ctx: Context, request: DownloadRequest, target: Target,
               progress: ProgressFn = _noop) -> RangeFetched:
    """The range of `request` into `target`, atomically."""
    head, s3, start, count = _open(ctx, request.bucket, request.key, request.version_id, request.offset,
                                   request.length, request.raw, request.sse_c_key, request.sse_c_key_file)
    range_to_file(s3, head, start, count, target, part_size=request.part_size or ctx.settings.part_size or None,
                  workers=request.workers or ctx.workers, progress=progress)
    return RangeFetched(head, start, count)


def range_stream(ctx: Context, bucket: str, key: str, out: IO[bytes], *, offset: int, length: int | None,
                 version_id: str | None = None, raw: bool = False, sse_c_key: bytes | None = None,
                 sse_c_key_file: Path | None = None, progress: ProgressFn = _noop) -> RangeFetched:
    """The range to a binary stream (stdout), in order."""
    head, s3, start, count = _open(ctx, bucket, key, version_id, offset, length, raw, sse_c_key, sse_c_key_file)
    range_to_stream(s3, head, start, count, out, part_size=ctx.settings.part_size or None, progress=progress)
    return RangeFetched(head, start, count)


__all__ = ["RangeFetched", "describe", "range_file", "range_stream"]
