"""Downloads: what a download checks, the checked read of a GET's body, a small object's one GET into a
file, and objects in order to a stream (large ones into a file: transfer/spans.py).

Memory is bounded by (workers x READ_BUF) for files and (workers x part) for streams. A range whose
connection breaks mid-body is fetched again (urllib3 retries only until the answer's head)."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from its_store.core import errors as E
from its_store.core.files import atomic_target, pwrite_all
from its_store.core.retry import Backoff, retry_call
from its_store.core.streams import BinaryWriter
from its_store.core.units import read_uint
from its_store.transfer.checksums import Expected, RangeSum, crc32, expected_for, verify
from its_store.transfer.parts import CHUNK, READ_BUF, ProgressFn, T, choose_part_size, noop

if TYPE_CHECKING:
    from its_store.core.localtree import TreeFile
    from its_store.s3.client import Body
    from its_store.transfer.parts import ObjectIO

    Target = Path | TreeFile  # a path the user named, or a file under a folder a batch writes into

log = logging.getLogger("its_store.s3")


@dataclass
class ObjectHead:
    """What a download needs to know about the object (from one HEAD)."""

    bucket: str
    key: str
    size: int
    etag: str
    version_id: str | None = None
    part_size: int | None = None  # our multipart part size, if we uploaded it
    verifiable: bool = True       # False for SSE-C / KMS objects whose ETag is not an MD5
    checksum: str | None = None   # x-amz-checksum-crc32 from the HEAD ("...-N" when composite)
    checksum_type: str | None = None  # x-amz-checksum-type: COMPOSITE or FULL_OBJECT, when the server says
    sha256: str | None = None     # its-sha256 of a plain object, checked by response_to_file


def expected(head: ObjectHead) -> Expected | None:
    """The checksum a download of `head` can be compared with (checksums.Expected), or None."""
    return expected_for(head.size, head.etag, head.checksum, head.part_size, head.verifiable, head.checksum_type)


def checks(head: ObjectHead, whole: bool, custody: bool = False) -> tuple[Expected | None, bool]:
    """What a download of `head` checks, the cheapest honest check first: (the checksum to compare the
    bytes with, whether to hash them with SHA-256 against head.sha256, the its-sha256 of a plain object).

    - A CRC32 the server keeps (it computed it from the bytes it received and refused them when ours
      differed) is checked at ~13 GB/s. With it the its-sha256 is not hashed again on a download (~1.3
      CPU-s per GiB with the read-back); `verify` checks the SHA-256 of the stored bytes against it
      (custody), and so does a download asked for with `custody` (a move, before it deletes the object).
      A composite CRC32 (CRC32 of the parts' CRC32s) is only checkable on ranges cut at the parts: not
      when the whole object comes in one GET (`whole`).
    - Without one, the its-sha256 (SHA-256, ~1.4 GB/s) is checked, and the MD5 ETag (~0.6 GB/s, weaker)
      is not computed as well.
    - Else the MD5 ETag where it is one; else nothing (`verified` false)."""
    want = expected(head)
    sha = bool(head.sha256) and (custody or not _server_crc(want, whole))
    if sha and want is not None and want.needs_md5:
        want = None
    return want, sha


def _server_crc(want: Expected | None, whole: bool) -> bool:
    """Whether `want` is a CRC32 the server keeps that these ranges can be checked against."""
    return want is not None and (want.kind == "crc32" or (want.kind == "crc32-composite" and not whole))


def stream_checked_by_server(head: ObjectHead, part_size: int | None) -> bool:
    """Whether download_to_stream of `head` compares its bytes with a CRC32 the server keeps (then a plain
    object's its-sha256 is left to `verify`, as for a file: `checks`)."""
    want = expected(head)
    return _server_crc(want, head.size <= _stream_part(head, want, part_size))


def _stream_part(head: ObjectHead, want: Expected | None, part_size: int | None) -> int:
    """The range size of a stream: the upload's parts when the check is per part."""
    per_part = want is not None and want.parts > 0
    return head.part_size if (per_part and head.part_size) else choose_part_size(head.size, part_size)


def response_to_file(resp: Body, head: ObjectHead, target: Target, progress: ProgressFn = noop,
                     custody: bool = False) -> bool:
    """Write a whole-object GET response to `target` atomically, verified like download_to_file.
    The response is closed on every path (its connection back in the pool), also when the temp file
    cannot even be created.

    For small objects listed beforehand: one GET whose headers replace the HEAD (half the requests).
    An answer that announces no length (chunked) cannot replace a HEAD: ServiceUnavailableError before
    a byte is read, which sends the caller down the regular path (HEAD, then ranged GETs)."""
    if resp.headers.get("content-length") is None:
        resp.close()
        raise E.ServiceUnavailableError(f"no Content-Length in the answer for s3://{head.bucket}/{head.key}")
    want, hashing = checks(head, whole=True, custody=custody)
    md5 = hashlib.md5(usedforsecurity=False) if want is not None and want.needs_md5 else None
    sha = hashlib.sha256() if hashing else None
    summing = want is not None and md5 is None  # a CRC32 to compare: else none is computed (~46K instructions
    crc = pos = 0                               # a 100 KB frame checked by its MD5 ETag or its-sha256 alone)
    with resp, _atomic(target) as fd:
        for chunk in body(resp, head, head.size, _whole):  # a frame: one chunk, one pwrite
            pwrite_all(fd, chunk, pos)
            if summing:
                crc = crc32(chunk, crc)
            if md5 is not None:
                md5.update(chunk)
            if sha is not None:
                sha.update(chunk)
            pos += len(chunk)
            progress(len(chunk))
        verified = verify(want, [RangeSum(pos, crc, md5.digest() if md5 is not None else None)],
                          f"s3://{head.bucket}/{head.key}")
        if sha is not None and head.sha256:
            sha_matches(head, sha.hexdigest())
            verified = True
    return verified


def _atomic(target: Target) -> AbstractContextManager[int]:
    """atomic_target(target); a TreeFile's own writer entered directly (what atomic_target would do, one
    generator context manager less per file of a batch)."""
    return atomic_target(target) if isinstance(target, (str, os.PathLike)) else target.atomic()


MID_BODY_BACKOFF = Backoff(initial=0.25, cap=8.0, jitter=0.25)  # urllib3's, as s3/pool.py sets it


def with_retries(s3: ObjectIO, fn: Callable[[], T]) -> T:
    """Retry a whole ranged GET when its connection broke mid-body: urllib3 retries a request only
    until its answer's head arrives (failures before that come here already retried, and are not
    retried again). Writing the same range again at the same offset is idempotent. Same budget and
    backoff as the pool's policy (s3/pool.py)."""
    attempts = getattr(getattr(s3, "settings", None), "max_retries", 3) + 1

    def said(retry: int, exc: BaseException, _pause: float) -> None:
        log.info("retry %d of %d: a download's connection broke mid-body (%s)", retry, attempts - 1,
                 getattr(exc, "message", exc))

    try:  # the first call outside retry_call: tenacity is imported (~25 ms) only when a GET broke
        return fn()
    except E.ServiceUnavailableError as exc:
        if not _broke_mid_body(exc):
            raise
        failed = [exc]

    def again() -> T:  # retry_call's first call is that failure: the same count of tries and pauses
        if failed:
            raise failed.pop()
        return fn()

    return retry_call(again, retry_if=_broke_mid_body, attempts=attempts, backoff=MID_BODY_BACKOFF,
                      before_sleep=said)


def _broke_mid_body(exc: Exception) -> bool:
    return isinstance(exc, E.ServiceUnavailableError) and getattr(exc, "mid_body", False)


def body(resp: Any, head: ObjectHead, expected: int, chunks: Callable[[Any], Iterator[Any]] | None = None
         ) -> Iterator[Any]:
    """THE read of a GET's body that was announced as `expected` bytes (the object's size from the
    HEAD, or the range asked for): its chunks (default: _chunks, slices of a reused buffer), each
    checked before it is handed on. A body that goes past `expected` is IntegrityError at once, before
    the excess is written anywhere (a server that ignored a Range would otherwise overwrite the next
    range's bytes); one that ends short is the connection ending early (retryable, like a reset)."""
    got = 0
    for chunk in (chunks or _chunks)(resp):
        got += len(chunk)
        if got > expected:
            raise too_long(head, got, expected)
        yield chunk
    if got < expected:
        raise ended_early(head, got, expected)


def check_answer(resp: Any, head: ObjectHead, offset: int, length: int) -> None:
    """THE check of a GET's answer before a byte of it is used: it is of the object the HEAD described
    (its ETag, when the answer names one) and, for a Range (`length` > 0), exactly the bytes asked for
    (that Content-Range, of an object of head.size bytes, whatever the status: rclone serve s3 answers
    a Range with 200; none only in a 200 when the range is the whole object). No checksum covers
    `get --range`, nor an object whose only check is an MD5 ETag fetched in several spans: without
    this, a server that ignores a Range's offset, or an object replaced between two spans or between
    a break and its resume, would land as a file mixing other bytes.

    A GET that asked for no range (`offset` and `length` 0) is held to the whole object: a 206 or a
    Content-Range is a part nobody asked for, and a Content-Length other than head.size a body that is not
    the object (a proxy cache that kept a body its upstream broke off, with the object's own ETag: the cut
    file was renamed into place, exit 0, when no checksum covers the object)."""
    headers = resp.headers
    get = dict.get if getattr(headers, "names_lower", False) else type(headers).get  # s3 Headers: lower-case names
    named = get(headers, "etag")
    if not _same_etag(named, head.etag):
        etag = comparable_etag(named)
        if etag and head.etag and etag != comparable_etag(head.etag):
            raise _not_asked(head, f"the object changed while it was read (ETag {etag}, was {head.etag})")
    if not length and not offset:
        announced = get(headers, "content-length")
        if resp.status == 206 or get(headers, "content-range") or (
                announced is not None and announced.strip() != str(head.size)):
            raise _not_asked(head, f"asked for the whole object ({head.size} bytes), the answer was {resp.status} "
                                   f"{headers.get('content-range') or 'of ' + str(announced) + ' bytes'}")
        return
    if not length or (resp.status == 200 and offset == 0 and length == head.size):
        return
    got = (headers.get("content-range") or "").strip()
    unit, _, spec = got.partition(" ")
    span, _, total = spec.strip().partition("/")
    if unit.lower() != "bytes" or span != f"{offset}-{offset + length - 1}" or total not in (str(head.size), "*"):
        raise _not_asked(head, f"asked for bytes {offset}-{offset + length - 1} of {head.size}, the answer "
                               f"was {resp.status} {got or 'without Content-Range'}")


def _same_etag(named: str | None, etag: str) -> bool:
    """Whether an answer's ETag header is `etag` in quotes, for an `etag` of letters and digits alone (an MD5, a
    CRC): then both compare as etag.lower(), no comparable_etag pair needed (a GET whose answer stands for the
    HEAD is held to its own ETag: ~5K instructions an object of get -r)."""
    return named is not None and len(named) == len(etag) + 2 and named[1:-1] == etag and named[0] == '"' == \
        named[-1] and etag.isalnum()


def comparable_etag(text: str | None) -> str:
    """An ETag as compared: without quotes, a weak mark (a proxy's W/), case (hex digits either way) or a part
    count ("-N"), which some servers add in one answer and not in another (a GET's and the listing's:
    tests/test_sync_rewritten.py). What these comparisons catch is another object's answer (a kept connection
    out of step, a rewrite while a file is read): its digest differs, whatever the spelling around it."""
    bare = (text or "").strip().removeprefix("W/").strip('"').lower()
    digest, dash, parts = bare.rpartition("-")
    return digest if dash and digest and parts.isdigit() else bare


def _not_asked(head: ObjectHead, what: str) -> E.IntegrityError:
    return E.IntegrityError(f"the server's answer is not the bytes asked for of s3://{head.bucket}/{head.key}: "
                            f"{what}", hint="nothing was kept; if the object was being replaced, run the command "
                                            "again")


def too_long(head: ObjectHead, got: int, expected: int) -> E.IntegrityError:
    return E.IntegrityError(f"the server sent more bytes than it announced for s3://{head.bucket}/{head.key}: "
                            f"{got} of {expected}", hint="nothing was written; if the object was being replaced, "
                                                         "run the command again")


def ended_early(head: ObjectHead, got: int, expected: int) -> E.ServiceUnavailableError:
    return E.ServiceUnavailableError(
        f"connection ended early for s3://{head.bucket}/{head.key}: got {got} of {expected} bytes", mid_body=True)


def _stream(resp: Any) -> Iterator[bytes]:
    yield from resp.stream(CHUNK)  # s3.Body: read errors come out as ItsStoreError


_LOCAL = threading.local()


def _chunks(resp: Any) -> Iterator[memoryview]:
    """The body as slices of this thread's READ_BUF buffer, read straight from the socket. Each slice
    is overwritten by the next: consume it (pwrite, checksum) before asking for another."""
    view = _buffer()
    while True:
        n = resp.readinto(view)
        if not n:
            return
        yield view[:n]


def _whole(resp: Any) -> Iterator[bytes]:
    """The body of a whole-object answer whose Content-Length is the object's size, in reads of at most
    READ_BUF (a frame: one read), stopping once that many bytes are in. read(), not readinto():
    urllib3's readinto is a read() and a copy. No read past the last byte to find the end: http.client
    reads no byte past the Content-Length (no answer can go past it here), and it gives the
    connection back to the pool once the last announced byte is read."""
    headers = resp.headers
    left = read_uint(dict.get(headers, "content-length") if getattr(headers, "names_lower", False)
                     else headers.get("content-length")) or 0
    while left > 0:
        chunk = resp.read(min(left, READ_BUF))
        if not chunk:
            return  # ended early: body() says so
        left -= len(chunk)
        yield chunk


def _buffer() -> memoryview:
    """This thread's READ_BUF buffer (one per thread, reused by every object it reads)."""
    view: memoryview | None = getattr(_LOCAL, "view", None)
    if view is None:
        view = _LOCAL.view = memoryview(bytearray(READ_BUF))
    return view


def download_to_stream(s3: ObjectIO, head: ObjectHead, out: BinaryWriter, *, part_size: int | None,
                       workers: int, progress: ProgressFn = noop) -> bool:
    """Write the object to `out` in order (large objects: ranged GETs with bounded read-ahead), hashing
    on the way. Returns True if verified; a mismatch raises IntegrityError after the bytes went out."""
    want = expected(head)
    part = _stream_part(head, want, part_size)
    summer = _Summer(bool(want and want.needs_md5))
    if head.size <= part:
        with s3.get(head.bucket, head.key, version_id=head.version_id) as resp:
            check_answer(resp, head, 0, 0)
            for chunk in body(resp, head, head.size, _stream):
                out.write(chunk)
                summer.add(chunk)
                progress(len(chunk))
        sums = [summer.close()]
    else:
        sums = _ranges_in_order(s3, head, out, part, workers, summer, progress)
    return verify(want, sums, f"s3://{head.bucket}/{head.key}")


class _Summer:
    """CRC32 (and MD5 when needed) of a run of bytes, one RangeSum per range."""

    def __init__(self, md5: bool) -> None:
        self.want_md5 = md5
        self._reset()

    def _reset(self) -> None:
        self.crc, self.length = 0, 0
        self.md5 = hashlib.md5(usedforsecurity=False) if self.want_md5 else None

    def add(self, data: bytes) -> None:
        self.crc = crc32(data, self.crc)
        self.length += len(data)
        if self.md5 is not None:
            self.md5.update(data)

    def close(self) -> RangeSum:
        result = RangeSum(self.length, self.crc, self.md5.digest() if self.md5 is not None else None)
        self._reset()
        return result


def _ranges_in_order(s3: ObjectIO, head: ObjectHead, out: BinaryWriter, part: int, workers: int,
                     summer: _Summer, progress: ProgressFn) -> list[RangeSum]:
    """The object's part-sized ranges fetched on `workers` threads and written to `out` in order
    (transfer/fanout.fan_out: at most `workers` parts in memory, fetched, waiting or being written)."""
    from its_store.transfer.fanout import fan_out
    ranges = ((start, min(part, head.size - start)) for start in range(0, head.size, part))

    def fetch(span: tuple[int, int]) -> bytes:
        return with_retries(s3, partial(_fetch_bytes, s3, head, *span))

    sums: list[RangeSum] = []
    n = max(workers, 1)
    for outcome in fan_out(fetch, ranges, workers=n, ahead=n, name="its-read"):
        data = outcome.result()
        out.write(data)
        summer.add(data)
        sums.append(summer.close())
        progress(len(data))
    return sums


def _fetch_bytes(s3: ObjectIO, head: ObjectHead, start: int, length: int) -> bytes:
    with s3.get(head.bucket, head.key, offset=start, length=length, version_id=head.version_id) as resp:
        check_answer(resp, head, start, length)
        return b"".join(body(resp, head, length, _stream))



def range_to_stream(s3: ObjectIO, head: ObjectHead, start: int, length: int, out: BinaryWriter, *,
                    part_size: int | None, progress: ProgressFn = noop) -> int:
    """Bytes [start, start+length) to `out` in order, one part-sized GET at a time (memory: one part)."""
    part = choose_part_size(length, part_size)
    for pos in range(start, start + length, part):
        data = with_retries(s3, partial(_fetch_bytes, s3, head, pos, min(part, start + length - pos)))
        out.write(data)
        progress(len(data))
    return length


def sha_matches(head: ObjectHead, got: str) -> None:
    """Refuse a body whose SHA-256 is not the custody hash its-sha256 the object carries."""
    if got != (head.sha256 or "").lower():
        raise E.IntegrityError(f"sha256 mismatch for s3://{head.bucket}/{head.key}: expected {head.sha256}, "
                               f"got {got}", hint="the local file was left untouched; the stored body is not the "
                                                  "one uploaded (run `its-store verify`)")
