"""Uploads of a file: one PUT below the threshold, else parallel multipart with bounded memory and resume. A
stream of unknown length (stdin, a compressor) is transfer/upload_stream.py's, through send_parts here.

Memory is bounded by BUDGET (part buffers of every upload in the process), whatever the file size."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

from its_store.core import errors as E
from its_store.core.files import changed_while_uploaded, open_regular, pread_all, refuse_unsized
from its_store.s3.crc import crc32, crc32_b64, crc32_of
from its_store.s3.payload import Payload
from its_store.transfer.parts import META_PART_SIZE, MiB, ProgressFn, bounded_pool, choose_part_size, noop
from its_store.transfer.partsums import HASH_BUF, Part, PartSums, hash_blocks, signer
from its_store.transfer.resume import refused

if TYPE_CHECKING:
    from its_store.s3.messages import Custody
    from its_store.transfer.parts import ObjectIO
    from its_store.transfer.resume import UploadJournal


# x-amz-meta-its-sha256 (codec.compression.META_SHA256): the SHA-256 of the whole original content, the
# chain-of-custody hash. S3 metadata travels in the first request (PUT or CreateMultipartUpload), so it
# is computed before: in memory for a single PUT, by one sequential read of a file before a multipart
# upload (~1.4-1.6 GB/s here, started as soon as the file is opened: Prehash), by spooling a long stream.
# That read also takes a CRC32 of each part (fd_hash), which the part read again later must match.
SHA256_HEADER = "x-amz-meta-its-sha256"



@dataclass
class PutResult:
    etag: str
    version_id: str | None
    size: int
    parts: int
    sha256: str | None = None  # hex SHA-256 of the original content, as recorded in the metadata
    answer_sse: dict[str, str] = field(default_factory=dict)  # SSE headers of the write's answer (s3 Written)
    unchecked: str | None = None  # "etag": a Complete's answer, not read back (s3 Written.unchecked)


def upload_file(s3: ObjectIO, bucket: str, key: str, path: Path | str, headers: dict[str, str], *,
                threshold: int, part_size: int | None, workers: int, progress: ProgressFn = noop,
                journal: UploadJournal | None = None, resume: bool = False,
                source: IO[bytes] | None = None, prehash: Prehash | None = None,
                stat: os.stat_result | None = None, head: bytes | None = None) -> PutResult:
    """Upload a local file: one PUT below `threshold`, else parallel multipart.

    `source`: `path` already opened by core.files.open_regular (the caller closes it); without it the
    file is opened here the same way (a symlink refused, a FIFO refused without blocking). `prehash`: its
    SHA-256 already being computed (Prehash, started when it was opened), taken if the size still matches.
    `stat`: the fstat of `source` taken just before (one per file, not one per step); only with `source`.
    `head`: the file's bytes already read from `source` (auto compression's look): sent as they are by
    the one PUT when they are the whole file, instead of reading it again.
    With a journal, a multipart upload is recorded while in flight; with `resume`, parts already on
    the server from an interrupted run of the same file are verified and skipped.
    """
    if source is not None:  # a batch's file, opened by its walk: no context to enter per file
        return _upload_fd(s3, bucket, key, path, source.fileno(), headers, threshold=threshold, part_size=part_size,
                          workers=workers, progress=progress, journal=journal, resume=resume, prehash=prehash,
                          stat=stat, head=head)
    with open_regular(path) as opened:
        return _upload_fd(s3, bucket, key, path, opened.fileno(), headers, threshold=threshold,
                          part_size=part_size, workers=workers, progress=progress, journal=journal, resume=resume,
                          prehash=prehash)


def _upload_fd(s3: ObjectIO, bucket: str, key: str, path: Path | str, fd: int, headers: dict[str, str], *,
               threshold: int, part_size: int | None, workers: int, progress: ProgressFn,
               journal: UploadJournal | None, resume: bool, prehash: Prehash | None = None,
               stat: os.stat_result | None = None, head: bytes | None = None) -> PutResult:
    """upload_file on an open descriptor: every read is positional (pread), the offset never moves.
    `stat`: the descriptor's fstat when the caller has it. `path` (named in errors): a walk's str for a file
    of one PUT (no Path made per camera frame), a Path from here on for a multipart upload."""
    stat = stat if stat is not None else os.fstat(fd)
    size = stat.st_size
    if size == 0:
        refuse_unsized(fd, path)
    digest = headers.get(SHA256_HEADER)
    if size < max(threshold, 1):
        # hashed once (Payload): the custody hash is the SHA-256 the PUT is signed with, checked by the server
        data: bytes | Payload
        if head is not None and len(head) == size:  # read once already (auto decision): a given digest is its hash
            if not digest:
                data = Payload(head)
                digest = data.sha256
            else:
                data = head
        else:
            data = Payload(pread_all(fd, 0, size, path))  # the hash of the bytes sent, even when one was given
            if digest and digest != data.sha256:  # hashed by an earlier read (SSE-C): written to since
                raise changed_while_uploaded(path)
            digest = data.sha256
        written = s3.put(bucket, key, data, {**headers, SHA256_HEADER: digest})
        progress(size)
        return PutResult(written.etag, written.version_id, size, 1, digest, written.sse)
    path = Path(path)
    part = choose_part_size(size, part_size)
    count = max(1, -(-size // part))
    hashed = prehash.hashed() if prehash is not None and prehash.size == size and (
        not digest or prehash.result() == digest) else None
    if not digest:
        hashed = hashed or fd_hash(fd, size, path, part)
        digest = hashed.sha256
    crcs = hashed.crcs if hashed is not None and hashed.part == part and len(hashed.crcs) == count else None
    signed = hashed.part_sha256s if hashed is not None and crcs is not None and len(hashed.part_sha256s) == count \
        else None
    headers = {**headers, SHA256_HEADER: digest}

    def read_part(number: int) -> bytes:
        offset = (number - 1) * part
        return pread_all(fd, offset, max(0, min(part, size - offset)), path)

    upload_id: str | None = None
    done: dict[int, str] = {}
    source = {"path": str(Path(path).resolve()), "size": size, "mtime_ns": stat.st_mtime_ns,
              "part_size": part, "sha256": digest}  # a changed file never continues an old upload
    if journal is not None:
        upload_id, done = journal.prepare(s3, bucket, key, source, resume, read_part)
    held: dict[int, int] = {}
    todo = _hashed_parts(read_part, count, part, done, digest, path, held, crcs)
    result = send_parts(s3, bucket, key, headers, part, workers, progress, todo, size,
                        Resumable(journal, source, upload_id, done, resume), held,
                        None if crcs is None else _crc_check(crcs, path), signer(signed, path))
    result.sha256 = digest
    return result


def _hashed_parts(read_part: Callable[[int], bytes], count: int, part: int, done: dict[int, str], digest: str,
                  path: Path, held: dict[int, int], crcs: tuple[int, ...] | None = None,
                  ) -> Iterator[tuple[int, Callable[[int], bytes]]]:
    """A file's parts, read in order on the submitting thread (each after its share of BUDGET, as a
    stream's). The bytes sent must be the bytes the its-sha256 was hashed from (CreateMultipartUpload
    already carried it, hashed by an earlier read of the file): a file rewritten in place meanwhile, even
    at the same size and mtime, must raise before CompleteMultipartUpload, so that send_parts aborts and
    nothing is stored. An fstat check would be cheaper but not sound (mtime can be set back; timestamps
    are coarse; writes through mmap move them late).

    `crcs` (the CRC32 of each part, taken by that earlier read: fd_hash): each part sent must have the
    same CRC32 (_crc_check, on the CRC32 upload_part computes anyway for its checksum header), so the
    parts cost no second hash; a CRC32 catches any accidental change but can be forged by a writer who
    means to (docs/guides/evidence.md). Without them (a hash taken another way): the parts are hashed
    again with SHA-256 as read and must give `digest`. Parts already on the server (--resume) are read
    again and must still match the MD5 the server has, and their CRC32 (or the SHA-256)."""
    sha = hashlib.sha256() if crcs is None else None
    for number in range(1, count + 1):
        if number in done:
            data = read_part(number)
            if hashlib.md5(data, usedforsecurity=False).hexdigest() != str(done[number]):
                raise changed_while_uploaded(path)
            if sha is not None:
                sha.update(data)
            elif crcs is not None and crc32(data) != crcs[number - 1]:
                raise changed_while_uploaded(path)
            continue
        held[number] = BUDGET.acquire(part)  # before reading: the read is what takes the memory
        data = read_part(number)
        if sha is not None:
            sha.update(data)  # releases the GIL: the parts already submitted go on being sent
        yield number, constant_part(data)
    if sha is not None and sha.hexdigest() != digest:
        raise changed_while_uploaded(path)


def _crc_check(crcs: tuple[int, ...], path: Path) -> Callable[[int, bytes, str], None]:
    """What send_parts runs on each part once sent, before CompleteMultipartUpload: the CRC32 of the
    bytes sent (the one upload_part computed from the very bytes object it sent, carried on its PartETag;
    computed here if a client gave none) must be the CRC32 the first read of that part found."""
    wanted = [crc32_b64(value) for value in crcs]

    def check(number: int, data: bytes, etag: str) -> None:
        sent = getattr(etag, "crc32", None) or crc32_of(data)
        if sent != wanted[number - 1]:
            raise changed_while_uploaded(path)
    return check


@dataclass(frozen=True)
class FileHash:
    """What the first read of a file found: its SHA-256 (the its-sha256) and, when a part size was given,
    the CRC32 of each part of `part` bytes (the last one shorter), in order."""

    sha256: str
    part: int = 0
    crcs: tuple[int, ...] = ()
    part_sha256s: tuple[str | None, ...] = ()  # with `signed`: each part's SHA-256 (hex) to sign it with, or None


def fd_sha256(fd: int, size: int, path: Path, stop: threading.Event | None = None) -> str:
    """SHA-256 of the first `size` bytes of an open file (fd_hash without part CRC32s)."""
    return fd_hash(fd, size, path, 0, stop).sha256


def fd_hash(fd: int, size: int, path: Path, part: int = 0, stop: threading.Event | None = None,
            signed: bool = False, spare: bool = True) -> FileHash:
    """SHA-256 of the first `size` bytes of an open file, one sequential read (it also warms the page
    cache for the parts that follow); hashlib releases the GIL on each 4 MiB block. With `part`, the CRC32
    of each part too (ISA-L: ~0.05 CPU-s per GiB here, against ~0.65 for a second SHA-256): no block
    read crosses a part's end; with `signed` as well, each part's SHA-256, on a second thread from the same
    blocks (transfer/partsums.py: the parts are then signed without hashing them again), with a core to
    spare only (`spare`; else every part's, the read waiting for them). `stop` set: it stops at the next
    block (InterruptedError_)."""
    sums = PartSums(HASH_BUF, spare) if part and signed else None
    try:
        digest, crcs = hash_blocks(fd, size, path, part, stop, sums)
    finally:
        parts = sums.finish() if sums is not None else ()
    return FileHash(digest, part, crcs, parts if len(parts) == len(crcs) else ())


class Prehash:
    """The custody SHA-256 of a file about to be uploaded, hashed on a helper thread from the moment it is
    opened. S3 metadata travels in the first request, so a multipart upload cannot start before the hash
    is known; hashing while the rest of the upload gets ready (the S3 client's imports and pool, the bucket
    check) takes that time off the wait, on a second core. The thread reads a duplicate of the descriptor,
    so the caller closing its own can never make it read another file; it stops at the next 4 MiB block
    when cancelled, or when the Prehash is dropped unused (an upload that failed before its parts)."""

    def __init__(self, fd: int, size: int, path: Path, part: int = 0, signed: bool = False,
                 spare: bool = True) -> None:
        """`part`: the part size the upload will use (transfer.parts.choose_part_size), for the CRC32 of
        each part (fd_hash); 0: none (the upload then hashes its parts again with SHA-256). `signed`: the
        parts' payloads will be signed (plain HTTP): their SHA-256 are taken too (transfer/partsums.py), with
        a core to spare only unless not `spare` (fd_hash)."""
        self.size = size
        self._stop = threading.Event()
        self._done = threading.Event()
        self._box: list[FileHash | BaseException] = []
        own = os.dup(fd)
        threading.Thread(target=_prehash, args=(own, size, path, part, (signed, spare), self._stop,
                                                   self._box, self._done),
                         name="its-sha", daemon=True).start()  # not bound to self: dropping it stops the thread

    def result(self) -> str:
        """The hex digest of the first `size` bytes; what the hash raised (a file that shrank) otherwise."""
        return self.hashed().sha256

    def hashed(self) -> FileHash:
        """The digest and the part CRC32s (fd_hash); what the hash raised otherwise."""
        self._done.wait()
        found = self._box[0]
        if isinstance(found, BaseException):
            raise found
        return found

    def cancel(self) -> None:
        self._stop.set()

    def __del__(self) -> None:
        self._stop.set()


def _prehash(fd: int, size: int, path: Path, part: int, signed: tuple[bool, bool], stop: threading.Event,
             box: list[FileHash | BaseException], done: threading.Event) -> None:
    try:
        box.append(fd_hash(fd, size, path, part, stop, *signed))
    except BaseException as exc:  # noqa: BLE001 - handed to result()
        box.append(exc)
    finally:
        os.close(fd)
        done.set()


@dataclass
class Resumable:
    """How a multipart upload relates to the journal: what to record, continue, or keep on failure."""

    journal: UploadJournal | None = None
    source: dict[str, object] | None = None
    upload_id: str | None = None
    done: dict[int, str] | None = None
    keep_on_failure: bool = False


def constant_part(data: bytes) -> Callable[[int], bytes]:
    """A part reader that hands back bytes already read (a stream's parts are read once, in order)."""
    return lambda _number: data


def send_parts(s3: ObjectIO, bucket: str, key: str, headers: dict[str, str], part: int, workers: int,
               progress: ProgressFn, parts: Iterator[tuple[int, Callable[[int], bytes]]],
               size: int | None, state: Resumable | None = None, held: dict[int, int] | None = None,
               check: Callable[[int, bytes, str], None] | None = None,
               sign: Callable[[ObjectIO, Part], str] | None = None,
               custody: Callable[[], Custody | None] | None = None) -> PutResult:
    """Run a multipart upload. On failure it is aborted so nothing half-done is kept, unless the
    caller asked to keep it for --resume and the failure is transient (server or network down).
    `check(number, bytes sent, etag)` runs on each part once sent (a raise fails the upload: _crc_check).
    `sign` (partsums.signer) sends a part signed with the SHA-256 the first read took of it. `custody()`: the
    upload's custody (s3/multipart.custody_of) once every part is read (a stream's: its size known only then),
    else that of `headers` and `size`.

    Every part in memory holds a share of BUDGET (process-wide), so many uploads at once (a recursive
    upload of large files) stay within one memory bound; `held` carries what the producer reserved
    before it read a part (a stream's, a file's: _hashed_parts)."""
    state = state or Resumable()
    headers = {**headers, "x-amz-meta-" + META_PART_SIZE: str(part)}
    upload_id = state.upload_id or s3.create_multipart(bucket, key, headers)
    if state.journal is not None and state.upload_id is None:
        state.journal.own(upload_id)  # held while this run sends it: another run leaves it alone (resume.py)
        state.journal.save(bucket, key, {**(state.source or {}), "upload_id": upload_id})
    try:
        return _sent(s3, bucket, key, headers, part, workers, progress, parts, size, state, upload_id, held,
                     check, sign, custody)
    finally:
        if state.journal is not None:
            state.journal.let_go(upload_id)


def _sent(s3: ObjectIO, bucket: str, key: str, headers: dict[str, str], part: int, workers: int,
          progress: ProgressFn, parts: Iterator[tuple[int, Callable[[int], bytes]]], size: int | None,
          state: Resumable, upload_id: str, held: dict[int, int] | None,
          check: Callable[[int, bytes, str], None] | None,
          sign: Callable[[ObjectIO, Part], str] | None,
          custody_at: Callable[[], Custody | None] | None) -> PutResult:
    """send_parts's parts and Complete, for `upload_id` (created, or continued: its parts already stored are
    counted here, under send_parts's let_go of the owner lock, which a raising `progress` must not skip)."""
    for number in state.done or {}:
        progress(min(part, (size or 0) - (number - 1) * part))
    etags: dict[int, str] = dict(state.done or {})
    claimed = ""  # "completing": Complete may have been sent; "aborted": an abort claimed the upload
    held = {} if held is None else held  # part number -> bytes reserved in BUDGET until sent
    try:
        with bounded_pool(workers) as submit:
            def send(number: int, reader: Callable[[int], bytes]) -> None:
                try:
                    data = reader(number)
                    part = (bucket, key, upload_id, number, data)
                    etag = sign(s3, part) if sign is not None else s3.upload_part(*part)
                    if check is not None:
                        check(number, data, etag)
                    etags[number] = etag
                    progress(len(data))
                finally:
                    BUDGET.release(held.pop(number, 0))

            for number, reader in parts:
                if number not in held:  # producers that read reserve first (upload_stream, _hashed_parts)
                    held[number] = BUDGET.acquire(part)
                submit(send, number, reader)
        ordered = [etags[n] for n in sorted(etags)]
        if state.journal is not None and not state.journal.completing(bucket, key, upload_id):
            claimed = "aborted"  # a stop abandoned it (sync/watch_source.abort_uploads): that abort is its end
            raise E.InterruptedError_(f"the upload of s3://{bucket}/{key} was abandoned and aborted (by a stop, "
                                      "or by another upload of the same key)",
                                      hint="nothing was stored by this upload: run it again to store it")
        claimed = "completing"
        from its_store.s3.multipart import custody_of  # loaded by the Complete anyway
        custody = custody_at() if custody_at is not None else None if size is None else custody_of(headers, size)
        written = s3.complete_multipart(bucket, key, upload_id, ordered, custody, sse_c_of(headers) or None)
    except BaseException as exc:
        for number in list(held):  # parts reserved but never sent (cancelled, or not submitted)
            BUDGET.release(held.pop(number, 0))
        _failed(s3, bucket, key, upload_id, state, exc, claimed)
        raise
    if state.journal is not None:
        state.journal.remove(bucket, key, upload_id)
    return PutResult(written.etag, written.version_id, size or 0, len(ordered), None, written.sse, written.unchecked)


def _failed(s3: ObjectIO, bucket: str, key: str, upload_id: str, state: Resumable, exc: BaseException,
            claimed: str) -> None:
    """After a failed multipart upload: abort it (nothing half-done is kept), unless the caller keeps it
    for --resume and the failure is transient (server or network down), or an abort claimed it already,
    or its CompleteMultipartUpload may have been sent and was not refused by the server (a timeout, an
    interruption, an answer not understood): the completion may still run there, and on SeaweedFS an
    abort meanwhile deletes the data the completed object is made of. Its record stays, marked
    (resume.UploadJournal.completing), and the next upload of the key forgets it without an abort. A
    journaled upload's abort is also held back while another run that resumed it claimed its Complete
    (resume.UploadJournal.abort)."""
    if claimed == "aborted" or (claimed == "completing" and not refused(exc)):
        return
    transient = isinstance(exc, (E.ServiceUnavailableError, KeyboardInterrupt, E.InterruptedError_))
    if state.keep_on_failure and state.journal is not None and transient:
        if isinstance(exc, E.ItsStoreError) and state.journal.continues(bucket, key, upload_id):
            exc.hint = "the parts sent so far were kept: run the same command again with --resume"
        return
    if state.journal is not None:  # not while another run that resumed the same upload is completing it
        state.journal.abort(s3, bucket, key, upload_id)
    else:
        abort_quietly(s3, bucket, key, upload_id)


def sse_c_of(headers: dict[str, str]) -> dict[str, str]:
    """An upload's SSE-C headers (algorithm, key, key MD5): the object is HEADed with them, or not at all."""
    return {k: v for k, v in headers.items() if k.lower().startswith("x-amz-server-side-encryption-customer-")}


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

def abort_quietly(s3: ObjectIO, bucket: str, key: str, upload_id: str) -> bool:
    """Abort; True if the server confirmed (or no longer knows the upload). Never raises: the error that made
    the upload (or relay.py's relay) fail is the one to show."""
    try:
        s3.abort_multipart(bucket, key, upload_id)
    except E.NotFoundError:
        return True
    except Exception:  # noqa: BLE001 - the original error is what the user needs to see
        return False
    return True

