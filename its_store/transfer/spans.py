"""Large downloads into one file: a few long ranged GETs in parallel (spans), written where they belong
in a temp file that is renamed when the bytes are verified.

- **Spans, not a GET per part.** Each GET costs the client a request (signing, a pool checkout, the
  answer's head) and its thread a GIL hand-over per read: one range per worker, at most RANGE_SPAN (64 MiB).
- **Checked per part all the same.** A composite CRC32 (a CRC of the parts' CRC32s) or a multipart MD5
  needs the sums of the upload's parts: a span closes each part it crosses (_Parts). A whole-object
  CRC32 is combined from the parts' (s3/crc.crc32_combine). Nothing is summed that no check uses.
- **Retried from where it broke.** urllib3 retries a request only until its answer's head; a span whose
  connection breaks mid-body asks again for the rest only, its running sums kept (download.with_retries).
- **Memory** is bounded by workers x READ_BUF, whatever the size.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from its_store.core.files import atomic_target, pwrite_all
from its_store.transfer.checksums import RangeSum, crc32, verify
from its_store.transfer.download import ObjectHead, body, check_answer, checks, sha_matches, with_retries
from its_store.transfer.parts import CHUNK, RANGE_SPAN, READ_BUF, ProgressFn, bounded_pool, choose_part_size, noop

if TYPE_CHECKING:
    from its_store.transfer.download import Target
    from its_store.transfer.parts import ObjectIO


def download_to_file(s3: ObjectIO, head: ObjectHead, target: Target, *, threshold: int,
                     part_size: int | None, workers: int, progress: ProgressFn = noop, custody: bool = False) -> bool:
    """Download to `target` atomically (core/files.atomic_target: a TreeFile is written through its
    folder's descriptor). Returns True if the content was verified, by the cheapest honest check
    (`checks`): the server's CRC32, else `head.sha256` (the its-sha256 of a plain object, hashed as the
    parts land, before the rename), else the MD5 ETag.

    A large object comes in a few long ranged GETs in parallel (_span_size), each summed per part of the
    upload when the check is per part (composite CRC32, multipart MD5): see _Parts."""
    whole = head.size < max(threshold, 1) or head.size <= CHUNK
    want, sha = checks(head, whole, custody)
    per_part = want is not None and want.parts > 0
    if whole:
        unit = span = max(head.size, 1)
    else:
        unit = head.part_size if (per_part and head.part_size) else choose_part_size(head.size, part_size)
        span = _span_size(head.size, unit, workers, part_size)
    if want is not None and want.kind == "md5" and head.size > span:
        want = None  # one MD5 of the bytes in order: spans landing in parallel cannot give it (it was wasted)
    follower = None
    with atomic_target(target) as fd:
        if not whole:
            preallocate(fd, head.size)
        if sha and not whole:
            follower = _ShaFollower(fd, head, unit, -(-head.size // unit))
        parts = _Parts(head.size, unit, crc=want is not None and not want.needs_md5,
                       md5=want is not None and want.needs_md5, landed=follower.landed if follower else None)
        try:
            _fetch_spans(s3, head, fd, 0, head.size, span, workers, progress, parts if parts.needed else None, whole)
        finally:
            if follower is not None:
                follower.stop()
        verified = verify(want, parts.sums, f"s3://{head.bucket}/{head.key}")
        if sha:
            _check_sha256(fd, head, follower.digest() if follower is not None else None)
            verified = True
    return verified


def _span_size(size: int, unit: int, workers: int, requested: int | None) -> int:
    """How many bytes one ranged GET of a large download asks for: whole parts (`unit`), about one range
    per worker, at most RANGE_SPAN; the part size the caller asked for (MINIO_PART_SIZE, part_size=) as it is.

    Each GET costs the client a request (signing, a pool checkout, the answer's head) and its thread a
    GIL hand-over per read; on 2 cores 16 GETs of 64 MiB took ~0.2 CPU-s per GiB less than 128 of 8 MiB."""
    if requested:
        return unit
    per_worker = min(-(-size // max(workers, 1)), RANGE_SPAN)
    return max(unit, per_worker // unit * unit)


FALLOC_FL_KEEP_SIZE = 1  # linux/falloc.h


def preallocate(fd: int, size: int) -> bool:
    """Reserve the blocks of a file that ranges will land in out of order, before they land (fallocate(2)
    with FALLOC_FL_KEEP_SIZE, as rclone does): the file's size stays as it is and nothing is written.
    Why: ranged writers filling a sparse file make the file system reserve blocks write by write under the
    file's lock; 8 writers of 1 GiB on ext4 here: 0.31 -> 0.22 s of system time (median of 6), less time
    waiting on each other. Not posix_fallocate: where a file system cannot reserve, glibc writes a zero into
    every block instead (a second write of the whole file). Advice only: refused (no support, not Linux, no
    space left), the writes go on as before and fail where they would have; True when it was done."""
    import sys
    if size <= 0 or not sys.platform.startswith("linux"):
        return False
    import ctypes  # here: only a download of several ranges pays its import (~2 ms)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        call = libc.fallocate
    except (OSError, AttributeError):  # no C library to ask, or one without fallocate (musl has it)
        return False
    call.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64)
    return bool(call(fd, FALLOC_FL_KEEP_SIZE, 0, size) == 0)


@dataclass(slots=True)
class _Span:
    """One ranged GET of bytes [start, end) of the object: `pos` is the next byte to land (a retry after a
    broken connection asks for [pos, end) only), `crc`/`md5` the running sums of the part `pos` is in."""

    start: int
    end: int
    pos: int
    crc: int = 0
    md5: Any = None


class _Parts:
    """The sums of a download per part of `unit` bytes (the parts of a multipart upload, for a composite
    CRC32 or a multipart MD5; any cut for a whole-object CRC32, combined by `verify`): a span closes
    each part it crosses, in `sums[i]`, and tells `landed(i)` (the SHA-256 follower)."""

    def __init__(self, size: int, unit: int, *, crc: bool, md5: bool, landed: Callable[[int], None] | None) -> None:
        self.size, self.unit, self.crc, self.md5, self.landed = size, unit, crc, md5, landed
        self.needed = crc or md5 or landed is not None
        empty = hashlib.md5(b"", usedforsecurity=False).digest() if md5 else None
        self.sums = [RangeSum(0, 0, empty)] * max(-(-size // unit), 1)  # an empty object: one empty part

    def begin(self, span: _Span) -> None:
        if self.md5 and span.md5 is None:
            span.md5 = hashlib.md5(usedforsecurity=False)

    def land(self, fd: int, span: _Span, chunk: Any) -> None:
        """Write `chunk` at span.pos and add it to the sums, closing each part it completes."""
        unit, view = self.unit, chunk
        while view:
            pos = span.pos
            room = unit - pos % unit  # bytes left in the part pos is in
            piece = view if len(view) <= room else memoryview(view)[:room]
            n = len(piece)
            pwrite_all(fd, piece, pos)
            if self.crc:
                span.crc = crc32(piece, span.crc)
            if span.md5 is not None:
                span.md5.update(piece)
            span.pos = pos + n
            if n == room or span.pos == self.size:
                self._close(span, pos // unit)
            view = memoryview(view)[n:] if n < len(view) else None

    def _close(self, span: _Span, i: int) -> None:
        self.sums[i] = RangeSum(span.pos - i * self.unit, span.crc, span.md5.digest() if span.md5 is not None else None)
        span.crc, span.md5 = 0, hashlib.md5(usedforsecurity=False) if self.md5 else None
        if self.landed is not None:
            self.landed(i)


def _fetch_spans(s3: ObjectIO, head: ObjectHead, fd: int, first: int, length: int, span: int, workers: int,
                 progress: ProgressFn, parts: _Parts | None, whole: bool = False) -> None:
    """Object bytes [first, first+length) into `fd` at offset (pos - first), in GETs of `span` bytes on
    `workers` threads (one GET, no Range header, when `whole`); `parts` sums them (None: nothing to sum)."""
    spans = [_Span(s, min(s + span, first + length), s) for s in range(first, first + length, span)]
    if len(spans) <= 1:
        _get_span(s3, head, fd, spans[0] if spans else _Span(first, first, first), first, parts, progress, whole)
        return
    with bounded_pool(workers) as submit:
        for item in spans:
            submit(_get_span, s3, head, fd, item, first, parts, progress)


def _get_span(s3: ObjectIO, head: ObjectHead, fd: int, span: _Span, first: int, parts: _Parts | None,
              progress: ProgressFn, whole: bool = False) -> None:
    """GET the rest of `span` and land it, retried from where it broke on broken connections."""
    with_retries(s3, lambda: _get_span_once(s3, head, fd, span, first, parts, progress, whole))


def _get_span_once(s3: ObjectIO, head: ObjectHead, fd: int, span: _Span, first: int, parts: _Parts | None,
                   progress: ProgressFn, whole: bool) -> None:
    """One attempt of _get_span: bytes [span.pos, span.end), read as bytes (_reads)."""
    rest = span.end - span.pos
    if rest == 0 and not (whole and span.pos == 0):
        return
    if parts is not None:
        parts.begin(span)
    asked = 0 if whole and span.pos == 0 else rest  # whole: a plain GET (no Range) while nothing has landed
    with s3.get(head.bucket, head.key, offset=span.pos, length=asked, version_id=head.version_id) as resp:
        check_answer(resp, head, span.pos, asked)
        for chunk in body(resp, head, rest, _reads):
            if parts is not None:  # a whole download (first 0): object offsets are file offsets
                parts.land(fd, span, chunk)
            else:
                pwrite_all(fd, chunk, span.pos - first)
                span.pos += len(chunk)
            progress(len(chunk))


def _reads(resp: Any) -> Iterator[bytes]:
    """A ranged body as bytes of up to READ_BUF: urllib3's readinto() is a read() and a copy, so reading
    into a reused buffer costs a copy of every byte more than taking read()'s own bytes.

    Not 1 MiB reads (the plain SDK script's), measured again: they save Python calls (~50 a read in urllib3
    and http.client) and recv calls (a GiB of a CRC-checked download: 702K -> 514K instructions a MiB,
    10,290 -> 2,774 recvfrom), but they fell more often into a slow kernel copy into the page cache
    (copy_folio_from_iter_atomic 67% of the samples instead of 16%): 1.9-2.6 s of system time a GiB in 6 of
    8 runs (256 KiB: 1.4-1.9 s in 3 of 9, else 0.4-0.56 s). 16 spans of 64 MiB on 8 threads, 2 shared
    cores, SeaweedFS on loopback, ext4 with ~10 GiB cached."""
    read = resp.read
    while data := read(READ_BUF):
        yield data


class _ShaFollower:
    """Hashes the temp file in order while the ranges are still arriving out of order: a thread that
    waits for range i to land, reads it back from the page cache and hashes it, so the SHA-256 of a
    large download overlaps the download instead of following it."""

    def __init__(self, fd: int, head: ObjectHead, part: int, ranges: int) -> None:
        self._fd, self._size, self._part, self._ranges = fd, head.size, part, ranges
        self._landed: set[int] = set()
        self._cond = threading.Condition()
        self._stopped = False
        self._sha = hashlib.sha256()
        self._hashed = 0
        self._thread = threading.Thread(target=self._run, name="its-sha", daemon=True)
        self._thread.start()

    def landed(self, i: int) -> None:
        with self._cond:
            self._landed.add(i)
            self._cond.notify()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()
        self._thread.join()

    def digest(self) -> str | None:
        """The hex digest, or None when the thread did not get through every range (a failure)."""
        return self._sha.hexdigest() if self._hashed == self._size else None

    def _run(self) -> None:
        import os
        buf = bytearray(4 * CHUNK)
        view = memoryview(buf)
        for i in range(self._ranges):
            with self._cond:
                while i not in self._landed and not self._stopped:
                    self._cond.wait()
                if i not in self._landed:
                    return
            offset, end = i * self._part, min(self._size, (i + 1) * self._part)
            while offset < end:
                try:
                    n = os.preadv(self._fd, [view[:min(len(buf), end - offset)]], offset)
                except OSError:
                    return
                if n == 0:
                    return
                self._sha.update(view[:n])
                offset += n
                self._hashed += n


def _check_sha256(fd: int, head: ObjectHead, got: str | None = None) -> None:
    """`got` (or else the SHA-256 of the downloaded temp file, from the page cache) against
    head.sha256; a mismatch raises IntegrityError before the rename, so the target is left as it was."""
    import os
    if got is not None:
        sha_matches(head, got)
        return
    digest = hashlib.sha256()
    buf = bytearray(4 * CHUNK)
    view = memoryview(buf)
    offset = 0
    while offset < head.size:
        n = os.preadv(fd, [view[:min(len(buf), head.size - offset)]], offset)
        if n == 0:
            break
        digest.update(view[:n])
        offset += n
    sha_matches(head, digest.hexdigest())


def range_to_file(s3: ObjectIO, head: ObjectHead, start: int, length: int, target: Target, *,
                  part_size: int | None, workers: int, progress: ProgressFn = noop) -> int:
    """Bytes [start, start+length) of the object into `target` atomically (temp + rename), in parallel
    ranged GETs for a long range (_span_size). Not verifiable: no checksum covers an arbitrary part of an
    object."""
    span = _span_size(length, choose_part_size(length, part_size), workers, part_size)
    with atomic_target(target) as fd:
        if length > span:
            preallocate(fd, length)
        _fetch_spans(s3, head, fd, start, length, span, workers, progress, None)
    return length
