"""The transfer engine: parallel multipart uploads, parallel ranged downloads, atomic local writes.

Memory is bounded by (workers x part size) for uploads and (workers x READ_BUF) for downloads to a
file, whatever the object size. Progress is a plain callable taking a byte count; rich lives in cli/.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

from its_store.core import errors as E
from its_store.transfer.checksums import RangeSum, crc32, expected_for, verify

if TYPE_CHECKING:
    from its_store.s3.client import S3Client
    from its_store.transfer.resume import UploadJournal

T = TypeVar("T")

ProgressFn = Callable[[int], None]
MiB = 1024 * 1024
MIN_PART = 5 * MiB
MAX_PART = 5 * 1024 * MiB
MAX_PARTS = 10_000
DEFAULT_PART = 8 * MiB  # bench: 1 GiB upload as fast as with 16 MiB (the server is the limit)
CHUNK = 1 * MiB
READ_BUF = 256 * 1024  # per-thread buffer that file downloads read into (bench: less sys time than 1 MiB)
META_PART_SIZE = "its-part-size"  # x-amz-meta-its-part-size: lets a download verify a multipart ETag


def _noop(_: int) -> None:
    pass


def choose_part_size(size: int | None, requested: int | None = None) -> int:
    """A part size within S3's limits (5 MiB .. 5 GiB, <= 10,000 parts), rounded to whole MiB."""
    part = max(requested or DEFAULT_PART, MIN_PART)
    if size is not None and size > part * MAX_PARTS:
        part = -(-size // MAX_PARTS)
        part = -(-part // MiB) * MiB
    if part > MAX_PART:
        raise E.InvalidInputError("object too large for S3 multipart limits (5 GiB x 10,000 parts)")
    return part


@dataclass
class PutResult:
    etag: str
    version_id: str | None
    size: int
    parts: int


def _io_error(action: str, path: Path | str, exc: OSError) -> E.ItsStoreError:
    reason = exc.strerror or str(exc)
    if isinstance(exc, FileNotFoundError):
        return E.LocalFileNotFoundError(f"{action} {path}: no such file or directory")
    return E.LocalIOError(f"{action} {path}: {reason}")


# ---------------------------------------------------------------------------------------- uploads
def upload_file(s3: S3Client, bucket: str, key: str, path: Path, headers: dict[str, str], *,
                threshold: int, part_size: int | None, workers: int, progress: ProgressFn = _noop,
                journal: UploadJournal | None = None, resume: bool = False) -> PutResult:
    """Upload a local file: one PUT below `threshold`, else parallel multipart.

    With a journal, a multipart upload is recorded while in flight; with `resume`, parts already on
    the server from an interrupted run of the same file are verified and skipped.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise _io_error("cannot read", path, exc) from None
    try:
        stat = os.fstat(fd)
        size = stat.st_size
        if size < max(threshold, 1):
            data = _pread_all(fd, 0, size, path)
            etag, version = s3.put(bucket, key, data, headers)
            progress(size)
            return PutResult(etag, version, size, 1)
        part = choose_part_size(size, part_size)
        count = max(1, -(-size // part))

        def read_part(number: int) -> bytes:
            offset = (number - 1) * part
            return _pread_all(fd, offset, max(0, min(part, size - offset)), path)

        upload_id, done = None, {}
        source = {"path": str(Path(path).resolve()), "size": size, "mtime_ns": stat.st_mtime_ns,
                  "part_size": part}
        if journal is not None:
            upload_id, done = journal.prepare(s3, bucket, key, source, resume, read_part)
        for number in done:
            progress(min(part, size - (number - 1) * part))
        todo = ((n, read_part) for n in range(1, count + 1) if n not in done)
        return _multipart(s3, bucket, key, headers, part, workers, progress, todo, size,
                          Resumable(journal, source, upload_id, done, resume))
    finally:
        os.close(fd)


@dataclass
class Resumable:
    """How a multipart upload relates to the journal: what to record, continue, or keep on failure."""

    journal: UploadJournal | None = None
    source: dict[str, object] | None = None
    upload_id: str | None = None
    done: dict[int, str] | None = None
    keep_on_failure: bool = False


def _pread_all(fd: int, offset: int, length: int, path: Path) -> bytes:
    try:
        data = os.pread(fd, length, offset)
        while len(data) < length:  # short reads happen on some filesystems
            more = os.pread(fd, length - len(data), offset + len(data))
            if not more:
                raise E.LocalIOError(f"{path} changed size while it was being uploaded")
            data += more
        return data
    except OSError as exc:
        raise _io_error("cannot read", path, exc) from None


def upload_stream(s3: S3Client, bucket: str, key: str, stream: IO[bytes], headers: dict[str, str], *,
                  part_size: int | None, workers: int, progress: ProgressFn = _noop,
                  journal: UploadJournal | None = None) -> PutResult:
    """Upload a stream of unknown length (stdin, a compressor) with at most workers+1 parts in memory.

    A stream cannot be resumed, but with a journal its multipart upload is recorded, so one that a
    dead server could not abort is aborted by the next upload of the same key."""
    part = choose_part_size(None, part_size)
    first = read_full(stream, part)
    if len(first) < part:
        etag, version = s3.put(bucket, key, first, headers)
        progress(len(first))
        return PutResult(etag, version, len(first), 1)
    pending: dict[str, bytes | None] = {"next": first}
    total = [0]

    held: dict[int, int] = {}  # budget reserved per part number, released by _multipart

    def chunks() -> Iterator[tuple[int, Callable[[int], bytes]]]:
        number = 0
        while True:
            reserved = BUDGET.acquire(part)  # before reading: the read is what takes the memory
            data = pending["next"] if number == 0 else read_full(stream, part)
            if not data and number > 0:
                BUDGET.release(reserved)
                return
            number += 1
            held[number] = reserved
            total[0] += len(data)
            yield number, (lambda _n, d=data: d)

    state = None
    if journal is not None:
        journal.prepare(s3, bucket, key, {"source": "stream"}, False, None)  # abort an orphan first
        state = Resumable(journal, {"source": "stream"})
    try:
        result = _multipart(s3, bucket, key, headers, part, workers, progress, chunks(), None, state, held)
    finally:
        for number in list(held):  # a failure before _multipart took over
            BUDGET.release(held.pop(number, 0))
    result.size = total[0]
    return result


def read_full(stream: IO[bytes], size: int) -> bytes:
    """Read `size` bytes, or fewer only at the end of the stream (pipes return short reads)."""
    buf = bytearray()
    while len(buf) < size:
        chunk = stream.read(size - len(buf))
        if not chunk:
            break
        buf += chunk
    return bytes(buf)


def _multipart(s3: S3Client, bucket: str, key: str, headers: dict[str, str], part: int, workers: int,
               progress: ProgressFn, parts: Iterator[tuple[int, Callable[[int], bytes]]],
               size: int | None, state: Resumable | None = None, held: dict[int, int] | None = None) -> PutResult:
    """Run a multipart upload. On failure it is aborted so nothing half-done is kept, unless the
    caller asked to keep it for --resume and the failure is transient (server or network down).

    Every part in memory holds a share of BUDGET (process-wide), so many uploads at once (a recursive
    upload of large files) stay within one memory bound; `held` carries what a stream reserved."""
    state = state or Resumable()
    headers = {**headers, "x-amz-meta-" + META_PART_SIZE: str(part)}
    upload_id = state.upload_id or s3.create_multipart(bucket, key, headers)
    if state.journal is not None and state.upload_id is None:
        state.journal.save(bucket, key, {**(state.source or {}), "upload_id": upload_id})
    etags: dict[int, str] = dict(state.done or {})
    held = {} if held is None else held  # part number -> bytes reserved in BUDGET until sent
    try:
        with _bounded_pool(workers) as submit:
            def send(number: int, reader: Callable[[int], bytes]) -> None:
                try:
                    data = reader(number)
                    etags[number] = s3.upload_part(bucket, key, upload_id, number, data)
                    progress(len(data))
                finally:
                    BUDGET.release(held.pop(number, 0))

            for number, reader in parts:
                if number not in held:  # streams reserve before they read (see upload_stream)
                    held[number] = BUDGET.acquire(part)
                submit(send, number, reader)
        ordered = [etags[n] for n in sorted(etags)]
        etag, version = s3.complete_multipart(bucket, key, upload_id, ordered)
    except BaseException as exc:
        for number in list(held):  # parts reserved but never sent (cancelled, or not submitted)
            BUDGET.release(held.pop(number, 0))
        transient = isinstance(exc, (E.ServiceUnavailableError, KeyboardInterrupt, E.InterruptedError_))
        if state.keep_on_failure and state.journal is not None and transient:
            if isinstance(exc, E.ItsStoreError):
                exc.hint = "the parts sent so far were kept: run the same command again with --resume"
            raise
        if _abort_quietly(s3, bucket, key, upload_id) and state.journal is not None:
            state.journal.remove(bucket, key)
        raise
    if state.journal is not None:
        state.journal.remove(bucket, key)
    return PutResult(etag, version, size or 0, len(ordered))


class ByteBudget:
    """A counting semaphore in bytes: acquire() blocks until `n` more bytes fit under the capacity."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.used = 0
        self._cond = threading.Condition()

    def acquire(self, n: int) -> int:
        n = min(n, self.capacity)  # one part larger than the budget still goes, alone
        with self._cond:
            while self.used + n > self.capacity:
                self._cond.wait()
            self.used += n
        return n

    def release(self, n: int) -> None:
        if n:
            with self._cond:
                self.used -= n
                self._cond.notify_all()


# Part buffers of all multipart uploads in this process: 4 default parts in flight. Measured on the
# bench (1 GiB upload): 7.3 s and 83 MiB peak RSS, against 7.4 s and 179 MiB with 8 x 16 MiB.
BUDGET = ByteBudget(32 * MiB)


def _abort_quietly(s3: S3Client, bucket: str, key: str, upload_id: str) -> bool:
    """Abort; True if the server confirmed (or no longer knows the upload). Never raises."""
    try:
        s3.abort_multipart(bucket, key, upload_id)
    except E.NotFoundError:
        return True
    except Exception:  # noqa: BLE001 - the original error is what the user needs to see
        return False
    return True


@contextmanager
def _bounded_pool(workers: int) -> Iterator[Callable[..., None]]:
    """A thread pool whose submit() blocks while `workers` tasks are in flight; the first error wins.

    Blocking submission is what bounds memory: a producer cannot read ahead of the uploads.
    """
    slots = threading.BoundedSemaphore(max(workers, 1))
    failure: list[BaseException] = []
    futures: list[Future[None]] = []
    pool = ThreadPoolExecutor(max_workers=max(workers, 1), thread_name_prefix="its-xfer")

    def run(fn: Callable[..., None], args: tuple[object, ...]) -> None:
        try:
            if not failure:
                fn(*args)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            failure.append(exc)
        finally:
            slots.release()

    def submit(fn: Callable[..., None], *args: object) -> None:
        if failure:
            raise failure[0]
        slots.acquire()
        futures.append(pool.submit(run, fn, args))

    try:
        yield submit
        for fut in futures:
            fut.result()
        if failure:
            raise failure[0]
    except BaseException:
        failure.append(E.InterruptedError_("transfer cancelled"))
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)


# -------------------------------------------------------------------------------------- downloads
@contextmanager
def atomic_target(target: Path) -> Iterator[int]:
    """Yield a file descriptor of a temp file beside `target`; rename it over `target` on success.

    On any failure the temp file is removed and `target` is left exactly as it was. The temp file is
    created with mode 0666 minus the umask, like cp (mkstemp's 0600 would surprise users)."""
    parent = target.parent
    try:
        fd, tmp = _create_temp(parent, target.name)
    except FileNotFoundError:  # the folder is not there yet: make it, once
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _io_error("cannot create folder", parent, exc) from None
        try:
            fd, tmp = _create_temp(parent, target.name)
        except OSError as exc:
            raise _io_error("cannot write to", parent, exc) from None
    except OSError as exc:
        raise _io_error("cannot write to", parent, exc) from None
    try:
        yield fd
        os.close(fd)
        fd = -1
        os.replace(tmp, target)
    except OSError as exc:
        _cleanup(fd, tmp)
        raise _io_error("cannot write", target, exc) from None
    except BaseException:
        _cleanup(fd, tmp)
        raise


_TEMP_SEQ = itertools.count()
_TEMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def _create_temp(folder: Path, name: str) -> tuple[int, str]:
    """An exclusive new `.NAME.<pid>-<n>.its-tmp` in `folder` (cheaper than tempfile.mkstemp's
    random names, which cost more than the write of a camera frame)."""
    while True:
        tmp = os.path.join(folder, f".{name}.{os.getpid()}-{next(_TEMP_SEQ)}.its-tmp")
        try:
            return os.open(tmp, _TEMP_FLAGS, 0o666), tmp
        except FileExistsError:  # left by a killed process that had our pid
            continue


def _cleanup(fd: int, tmp: str) -> None:
    if fd >= 0:
        os.close(fd)
    try:
        os.unlink(tmp)
    except OSError:
        pass


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


def download_to_file(s3: S3Client, head: ObjectHead, target: Path, *, threshold: int,
                     part_size: int | None, workers: int, progress: ProgressFn = _noop) -> bool:
    """Download to `target` atomically. Returns True if the content was verified (CRC32 or MD5).

    Ranges follow the upload's part size when the check is per part (composite CRC32, multipart MD5).
    """
    want = expected_for(head.size, head.etag, head.checksum, head.part_size, head.verifiable)
    md5 = bool(want and want.needs_md5)
    with atomic_target(target) as fd:
        if head.size < max(threshold, 1) or head.size <= CHUNK:
            sums = [_get_range(s3, head, fd, 0, head.size, progress, whole=True, md5=md5)]
        else:
            per_part = want is not None and want.parts > 0
            part = head.part_size if (per_part and head.part_size) else choose_part_size(head.size, part_size)
            ranges = -(-head.size // part)
            sums: list[RangeSum] = [RangeSum(0, 0)] * ranges
            with _bounded_pool(workers) as submit:
                def fetch(i: int) -> None:
                    start = i * part
                    sums[i] = _get_range(s3, head, fd, start, min(part, head.size - start), progress, md5=md5)

                for i in range(ranges):
                    submit(fetch, i)
        if want:
            verify(want, sums, f"s3://{head.bucket}/{head.key}")
    return want is not None


def response_to_file(resp: Any, head: ObjectHead, target: Path, progress: ProgressFn = _noop) -> bool:
    """Write a whole-object GET response to `target` atomically, verified like download_to_file.

    For small objects listed beforehand: one GET whose headers replace the HEAD (half the requests)."""
    want = expected_for(head.size, head.etag, head.checksum, head.part_size, head.verifiable)
    summer = _Summer(bool(want and want.needs_md5))
    with atomic_target(target) as fd:
        pos = 0
        try:
            for chunk in _chunks(resp, head):
                _pwrite_all(fd, chunk, pos)
                summer.add(chunk)
                pos += len(chunk)
                progress(len(chunk))
        finally:
            resp.close()
            resp.release_conn()
        if pos != head.size:
            raise E.ServiceUnavailableError(f"connection ended early for s3://{head.bucket}/{head.key}")
        if want:
            verify(want, [summer.close()], f"s3://{head.bucket}/{head.key}")
    return want is not None


def body_to_file(body: bytes, head: ObjectHead, target: Path) -> bool:
    """Verify a whole object held in memory like download_to_file, then write it to `target`
    atomically (nothing is written when it does not verify). Returns True if verified."""
    want = expected_for(head.size, head.etag, head.checksum, head.part_size, head.verifiable)
    where = f"s3://{head.bucket}/{head.key}"
    if len(body) != head.size:
        raise E.ServiceUnavailableError(f"connection ended early for {where}")
    if want:
        summer = _Summer(want.needs_md5)
        summer.add(body)
        verify(want, [summer.close()], where)
    with atomic_target(target) as fd:
        _pwrite_all(fd, body, 0)
    return want is not None


def _with_retries(s3: S3Client, fn: Callable[[], T]) -> T:
    """Retry a whole ranged GET when the connection breaks mid-body (urllib3 only retries until the
    response headers arrive). Writing the same range again at the same offset is idempotent."""
    attempts = getattr(getattr(s3, "settings", None), "max_retries", 3) + 1
    delay = 0.2
    for attempt in range(attempts):
        try:
            return fn()
        except E.ServiceUnavailableError:
            if attempt + 1 >= attempts:
                raise
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 5.0)
    raise AssertionError("unreachable")  # pragma: no cover


def _get_range(s3: S3Client, head: ObjectHead, fd: int, start: int, length: int,
               progress: ProgressFn, whole: bool = False, md5: bool = False) -> RangeSum:
    """GET [start, start+length) and pwrite it at `start`, retried on broken connections."""
    return _with_retries(s3, lambda: _get_range_once(s3, head, fd, start, length, progress, whole, md5))


def _get_range_once(s3: S3Client, head: ObjectHead, fd: int, start: int, length: int,
                    progress: ProgressFn, whole: bool, want_md5: bool) -> RangeSum:
    """One attempt of _get_range; returns the CRC32 (and the MD5 if asked) of the bytes."""
    md5 = hashlib.md5(usedforsecurity=False) if want_md5 else None
    crc = 0
    if length == 0 and not whole:
        return RangeSum(0, 0, md5.digest() if md5 else None)
    resp = s3.get(head.bucket, head.key, offset=start, length=0 if whole else length,
                  version_id=head.version_id)
    pos, written = start, 0
    try:
        for chunk in _chunks(resp, head):
            _pwrite_all(fd, chunk, pos)
            crc = crc32(chunk, crc)
            if md5 is not None:
                md5.update(chunk)
            pos += len(chunk)
            written += len(chunk)
            progress(len(chunk))
    finally:
        resp.close()
        resp.release_conn()
    expected = head.size if whole else length
    if written != expected:  # the connection ended early: retryable, like a reset
        raise E.ServiceUnavailableError(
            f"connection ended early for s3://{head.bucket}/{head.key}: got {written} of {expected} bytes")
    return RangeSum(written, crc, md5.digest() if md5 is not None else None)


def _stream(resp: object, head: ObjectHead) -> Iterator[bytes]:
    from its_store.s3.client import errors
    with errors(head.bucket, head.key):
        yield from resp.stream(CHUNK)  # type: ignore[attr-defined]


_LOCAL = threading.local()


def _chunks(resp: Any, head: ObjectHead) -> Iterator[memoryview]:
    """The body as slices of this thread's READ_BUF buffer, read straight from the socket. Each slice
    is overwritten by the next: consume it (pwrite, checksum) before asking for another."""
    from its_store.s3.client import errors
    view = getattr(_LOCAL, "view", None)
    if view is None:
        view = _LOCAL.view = memoryview(bytearray(READ_BUF))
    with errors(head.bucket, head.key):
        while True:
            n = resp.readinto(view)
            if not n:
                return
            yield view[:n]


def _pwrite_all(fd: int, data: bytes | memoryview, offset: int) -> None:
    view = memoryview(data)
    while view:
        n = os.pwrite(fd, view, offset)
        view = view[n:]
        offset += n


def download_to_stream(s3: S3Client, head: ObjectHead, out: IO[bytes], *, part_size: int | None,
                       workers: int, progress: ProgressFn = _noop) -> bool:
    """Write the object to `out` in order (large objects: ranged GETs with bounded read-ahead), hashing
    on the way. Returns True if verified; a mismatch raises IntegrityError after the bytes went out."""
    want = expected_for(head.size, head.etag, head.checksum, head.part_size, head.verifiable)
    per_part = want is not None and want.parts > 0
    part = head.part_size if (per_part and head.part_size) else choose_part_size(head.size, part_size)
    summer = _Summer(bool(want and want.needs_md5))
    if head.size <= part:
        resp = s3.get(head.bucket, head.key, version_id=head.version_id)
        try:
            for chunk in _stream(resp, head):
                out.write(chunk)
                summer.add(chunk)
                progress(len(chunk))
        finally:
            resp.close()
            resp.release_conn()
        sums = [summer.close()]
    else:
        sums = _ranges_in_order(s3, head, out, part, workers, summer, progress)
    if want:
        verify(want, sums, f"s3://{head.bucket}/{head.key}")
    return want is not None


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


def _ranges_in_order(s3: S3Client, head: ObjectHead, out: IO[bytes], part: int, workers: int,
                     summer: _Summer, progress: ProgressFn) -> list[RangeSum]:
    ranges = [(start, min(part, head.size - start)) for start in range(0, head.size, part)]
    pool = ThreadPoolExecutor(max_workers=max(workers, 1), thread_name_prefix="its-read")
    window: deque[Future[bytes]] = deque()
    sums: list[RangeSum] = []
    try:
        it = iter(ranges)
        for start, length in it:
            window.append(pool.submit(_with_retries, s3, partial(_fetch_bytes, s3, head, start, length)))
            if len(window) >= max(workers, 1):
                break
        while window:
            data = window.popleft().result()
            out.write(data)
            summer.add(data)
            sums.append(summer.close())
            progress(len(data))
            nxt = next(it, None)
            if nxt:
                window.append(pool.submit(_with_retries, s3, partial(_fetch_bytes, s3, head, *nxt)))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return sums


def _fetch_bytes(s3: S3Client, head: ObjectHead, start: int, length: int) -> bytes:
    resp = s3.get(head.bucket, head.key, offset=start, length=length, version_id=head.version_id)
    try:
        from its_store.s3.client import errors
        with errors(head.bucket, head.key):
            data = resp.read()
    finally:
        resp.close()
        resp.release_conn()
    if len(data) != length:  # the connection ended early: retryable, like a reset
        raise E.ServiceUnavailableError(f"connection ended early for s3://{head.bucket}/{head.key}")
    return data
