"""Relays: an object copied between two servers through this process, without a temporary file.

Ranged GETs of the source (on `workers` threads) feed the parts of a multipart upload to the destination
(on `workers` more); an object that fits in one part is one GET and one PUT. Every byte passes a `Check`
in order (the caller's: the SHA-256 of its-sha256, a CRC32 or MD5 of the source) and the upload is
completed only after the check passed, so a mismatch leaves nothing visible: the upload is aborted.

Memory: each part in memory holds its share of the process-wide BUDGET (transfer/upload.py), taken in part
order before its GET and given back once its PUT is done, so that the relays, uploads and part workers of
one process stay within one bound however large the object and however many are copied at once.
Taking the shares in part order is what keeps this from deadlocking: the part the in-order check waits for
always holds its share already. A part is read into a buffer of the relay's own, used again for a later
part once its PUT is done: a new 8 MiB buffer per part cost a page fault per 4 KiB (5 GiB: 20 s of system
time) and left the heap fragmented (RSS 350 MB).

Interruptions: a multipart relay is recorded in the destination's upload journal (transfer/resume.py) under
the source's identity (endpoint, bucket, key, version, ETag, size, part size). A transient failure (server
gone, Ctrl-C) keeps the parts sent; the next relay of the same source to the same key continues that
upload: each part the destination already holds is checked against the source's bytes again (size and MD5
of the range) as the source streams past, and only the others are sent. Any other source (changed ETag,
another object) aborts the old upload first.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, cast

from its_store.core import errors as E
from its_store.s3.crc import PartETag, crc32_of
from its_store.transfer.fanout import fan_out
from its_store.transfer.parts import READ_BUF, ProgressFn, bounded_pool, noop
from its_store.transfer.resume import refused
from its_store.transfer.upload import BUDGET, abort_quietly

if TYPE_CHECKING:
    from its_store.s3.client import Body, S3Client
    from its_store.transfer.parts import ObjectIO
    from its_store.transfer.resume import UploadJournal

__all__ = ["Check", "RelayPlan", "Relayed", "range_reader", "read_body", "relay"]

Reader = Callable[[int, memoryview], None]
"""read(offset, into): the range of the source at `offset`, exactly len(into) bytes, into `into` (retried
when the connection breaks mid-body)."""


class Check(Protocol):
    """What every byte of the source passes through, in order, before the destination object is made."""

    def update(self, data: bytes) -> None: ...  # one range (a part), in order
    def finish(self) -> str | None: ...  # after the last: what verified it, or None; IntegrityError on mismatch


@dataclass
class RelayPlan:
    """Where the bytes go and how: the destination object, its request headers, the source's size and the
    part size (size <= part: one PUT), the workers per side, and the source's identity for the journal
    (None: not resumable, an interrupted relay is aborted)."""

    bucket: str
    key: str
    headers: dict[str, str]
    size: int
    part: int
    workers: int
    identity: dict[str, object] | None = None


@dataclass
class Relayed:
    """What the destination answered, and what the relay did."""

    etag: str
    version_id: str | None
    size: int
    parts: int
    resumed_parts: int = 0  # parts the destination held from an interrupted relay, checked and kept
    verified_by: str | None = None  # the Check's answer
    answer_sse: dict[str, str] = field(default_factory=dict)
    unchecked: str | None = None  # "etag": the Complete's answer, not read back (s3 Written.unchecked)


def relay(read: Reader, dst: ObjectIO, plan: RelayPlan, check: Check, *, journal: UploadJournal | None = None,
          progress: ProgressFn = noop, first: bytes | None = None) -> Relayed:
    """Copy plan.size bytes from `read` to s3://plan.bucket/plan.key on `dst` (module docstring).

    `first`: the whole object when the caller already holds it (one GET brought it with its headers)."""
    if plan.size <= plan.part:
        return _single(read, dst, plan, check, progress, first)
    return _Multipart(read, dst, plan, check, journal, progress).run()


def _single(read: Reader, dst: ObjectIO, plan: RelayPlan, check: Check, progress: ProgressFn,
            first: bytes | None) -> Relayed:
    """One GET (unless `first` holds the bytes), the check, one PUT: nothing is sent unless it passed."""
    held = BUDGET.acquire(plan.size) if first is None else 0
    try:
        if first is None:
            buf = bytearray(plan.size)
            read(0, memoryview(buf))
        data = first if first is not None else _sent(buf)
        check.update(data)
        verified_by = check.finish()
        written = dst.put(plan.bucket, plan.key, data, plan.headers)
    finally:
        BUDGET.release(held)
    progress(plan.size)
    return Relayed(written.etag, written.version_id, plan.size, 1, 0, verified_by, written.sse)


class _Multipart:
    """One multipart relay: ordered ranged GETs, the check in order, parts sent on a bounded pool."""

    def __init__(self, read: Reader, dst: ObjectIO, plan: RelayPlan, check: Check,
                 journal: UploadJournal | None, progress: ProgressFn) -> None:
        self.read, self.dst, self.plan, self.check, self.progress = read, dst, plan, check, progress
        self.journal = journal if plan.identity is not None else None
        self.count = -(-plan.size // plan.part)
        self.held: dict[int, tuple[int, bytearray]] = {}  # part number -> (BUDGET share, buffer) until sent
        self.free: list[bytearray] = []  # part buffers to use again
        self.lock = threading.Lock()
        self.etags: dict[int, str] = {}
        self.stopping = threading.Event()
        self.resumed = 0
        self.completing = False  # its CompleteMultipartUpload may have been sent (resume.UploadJournal.completing)

    def run(self) -> Relayed:
        upload_id, stored = self._start()
        try:
            return self._relayed(upload_id, stored)
        finally:
            if self.journal is not None:  # this run's work on it ended (resume.UploadJournal.own)
                self.journal.let_go(upload_id)

    def _relayed(self, upload_id: str, stored: Mapping[int, tuple[str, int]]) -> Relayed:
        from its_store.s3.multipart import custody_of
        plan = self.plan
        try:
            self._parts(upload_id, stored)
            verified_by = self.check.finish()  # before the upload is completed: a mismatch is never visible
            if self.journal is not None and not self.journal.completing(plan.bucket, plan.key, upload_id):
                raise E.InterruptedError_(f"the upload of s3://{plan.bucket}/{plan.key} was aborted (by a stop, "
                                          "or by another upload of the same key)")
            self.completing = True
            etags = [self.etags[n] for n in range(1, self.count + 1)]  # custody: the source's its-sha256 sent
            written = self.dst.complete_multipart(plan.bucket, plan.key, upload_id, etags,
                                                  custody_of(plan.headers, plan.size))
        except BaseException as exc:
            self._release_all()
            if not self.completing or refused(exc):  # else the completion may still run: never aborted
                self._failed(upload_id, exc)
            raise
        if self.journal is not None:
            self.journal.remove(plan.bucket, plan.key, upload_id)
        return Relayed(written.etag, written.version_id, plan.size, self.count, self.resumed, verified_by,
                       written.sse, written.unchecked)

    def _start(self) -> tuple[str, Mapping[int, tuple[str, int]]]:
        """The upload to send parts to: the journal's, when it was made for this source, else a new one."""
        plan, journal = self.plan, self.journal
        if journal is not None and plan.identity is not None:
            upload_id, stored = journal.resumable(self.dst, plan.bucket, plan.key, plan.identity)
            if upload_id is not None:
                return upload_id, stored
        upload_id = self.dst.create_multipart(plan.bucket, plan.key, plan.headers)
        if journal is not None:
            journal.own(upload_id)  # held while this run sends it: another run leaves it alone
            journal.save(plan.bucket, plan.key, {**(plan.identity or {}), "upload_id": upload_id})
        return upload_id, {}

    def _numbers(self) -> Iterator[int]:
        """Part numbers in order, each holding its BUDGET share before its GET starts (drawn by the GET
        workers one at a time: the shares are taken in part order)."""
        for number in range(1, self.count + 1):
            share = BUDGET.acquire(self._length(number))
            if self.stopping.is_set():
                BUDGET.release(share)
                return
            with self.lock:
                buf = self.free.pop() if self.free else bytearray(self.plan.part)
                self.held[number] = (share, buf)
            yield number

    def _length(self, number: int) -> int:
        return min(self.plan.part, self.plan.size - (number - 1) * self.plan.part)

    def _fetch(self, number: int) -> bytes:
        view = memoryview(self.held[number][1])[:self._length(number)]
        self.read((number - 1) * self.plan.part, view)
        return _sent(view)

    def _release(self, number: int) -> None:
        """Give back a part's BUDGET share and its buffer (to be used again)."""
        with self.lock:
            share, buf = self.held.pop(number, (0, None))
            if buf is not None:
                self.free.append(buf)
        BUDGET.release(share)

    def _parts(self, upload_id: str, stored: Mapping[int, tuple[str, int]]) -> None:
        """Every part through the check in order; sent unless the destination holds it already."""
        plan = self.plan
        workers = max(plan.workers, 1)

        def send(number: int, data: bytes) -> None:
            try:
                self.etags[number] = self.dst.upload_part(plan.bucket, plan.key, upload_id, number, data)
                self.progress(len(data))
            finally:
                self._release(number)

        ranges = fan_out(self._fetch, self._numbers(), workers=workers, ahead=workers, name="its-relay")
        try:
            with bounded_pool(workers) as submit:
                for outcome in ranges:
                    number, data = outcome.item, outcome.result()
                    self.check.update(data)
                    if _same_part(stored.get(number), data):
                        self.etags[number] = PartETag.of(stored[number][0], crc32_of(data))
                        self.resumed += 1
                        self._release(number)
                        self.progress(len(data))
                        continue
                    submit(send, number, data)
        except BaseException:
            self.stopping.set()  # a GET worker waiting for a share takes it, gives it back and stops
            self._release_all()
            raise
        finally:
            ranges.close()  # joins the GET workers

    def _release_all(self) -> None:
        for number in list(self.held):
            self._release(number)

    def _failed(self, upload_id: str, exc: BaseException) -> None:
        """Keep the parts for the next relay of the same source when the failure is transient and the relay
        is journaled; else abort the upload (nothing half-done is kept), unless another run that resumed it
        claimed its Complete (resume.UploadJournal.abort)."""
        plan, journal = self.plan, self.journal
        transient = isinstance(exc, (E.ServiceUnavailableError, KeyboardInterrupt, E.InterruptedError_))
        if transient and journal is not None:
            if isinstance(exc, E.ItsStoreError):
                exc.hint = (f"{exc.hint}; " if exc.hint else "") + _kept(journal.continues(plan.bucket, plan.key,
                                                                                           upload_id))
            return
        if journal is not None:  # not while another run that resumed the same upload is completing it
            journal.abort(self.dst, plan.bucket, plan.key, upload_id)
        else:
            abort_quietly(self.dst, plan.bucket, plan.key, upload_id)


def _kept(continues: bool) -> str:
    """The hint after a relay stopped short, true in each case: its upload recorded and not being aborted (an
    abort that failed leaves it to a rerun), or aborted (a stop, another run's upload of the key) or never
    recorded (a journal that could not be written): then a rerun starts anew."""
    if continues:
        return ("the parts sent so far are kept on the destination (not visible): the same copy, run again, "
                "continues from them")
    return "the upload was aborted or could not be recorded: the same copy, run again, starts anew"


def _same_part(stored: tuple[str, int] | None, data: bytes) -> bool:
    """Whether a part the destination holds (etag, size) is these bytes: same size and MD5 ETag (under SSE-C
    or SSE-KMS a part's ETag is no MD5: such a part is sent again)."""
    if stored is None or stored[1] != len(data):
        return False
    return hashlib.md5(data, usedforsecurity=False).hexdigest() == stored[0].strip('"')


def _sent(buffer: bytearray | memoryview) -> bytes:
    """A part's buffer where the seam's signatures say bytes: minio, urllib3, hashlib and the CRC32 take any
    bytes-like object, and a copy into bytes would double the memory of every part in flight."""
    return cast("bytes", buffer)


def range_reader(s3: S3Client, bucket: str, key: str, *, version_id: str | None, headers: dict[str, str],
                 attempts: int) -> Reader:
    """read(offset, into) of one source object (read_body), the source's version pinned when it has one.
    A connection that breaks mid-body is tried again (`attempts` in all; urllib3 retries only until the
    answer's head). `headers`: the source's SSE-C key, when it has one."""
    from its_store.core.retry import retry_call
    from its_store.transfer.download import MID_BODY_BACKOFF
    where = f"s3://{bucket}/{key}"

    def once(offset: int, into: memoryview) -> None:
        with s3.get(bucket, key, offset=offset, length=len(into), version_id=version_id, headers=headers) as resp:
            read_body(resp, into, where, offset)

    def read(offset: int, into: memoryview) -> None:
        retry_call(lambda: once(offset, into), retry_if=_broke_mid_body, attempts=attempts, backoff=MID_BODY_BACKOFF)

    return read


def read_body(resp: Body, into: memoryview, where: str, offset: int) -> None:
    """Fill `into` with a GET's answer, READ_BUF at a time (urllib3 reads through a temporary buffer of the
    size asked: small ones are used again by the allocator). Shorter is a broken connection (retryable);
    longer (a server that ignored Range) is IntegrityError, before anything is sent on."""
    length, got = len(into), 0
    while got < length:
        n = resp.readinto(into[got:got + READ_BUF])
        if not n:
            raise E.ServiceUnavailableError(f"connection ended early for {where}: got {got} of {length} bytes",
                                            mid_body=True)
        got += n
    if resp.read(1):
        raise E.IntegrityError(f"the source server sent more bytes than asked for {where} (at {offset}, "
                               f"{length} bytes)", hint="nothing was stored; if the object was being replaced, "
                                                        "run the copy again")


def _broke_mid_body(exc: Exception) -> bool:
    return isinstance(exc, E.ServiceUnavailableError) and getattr(exc, "mid_body", False)
