"""The first read of a file for a multipart upload (transfer/upload.fd_hash: the custody hash, the part
CRC32s) and the SHA-256 of each part, taken on a second thread from the same blocks, so that the parts are
signed without hashing them again.

Over plain HTTP every part is signed with the SHA-256 of its bytes (x-amz-content-sha256), which minio
computes as it sends the part: ~0.68 CPU-s per GiB here (1.47 GB/s), spent while the parts compete with the
server for the cores. The custody hash (its-sha256) needs a read of the whole file before
CreateMultipartUpload anyway, and during that read the second core is idle (the server has nothing to do
yet): the parts' SHA-256 are taken there, in parallel with the whole file's (hashlib releases the GIL on each
block), by a thread that only takes a core to spare (PartSums). A part read again is then sent signed with
the hash the first read found: a server that checks payload hashes (MinIO, AWS S3, Ceph RGW) refuses a part
whose bytes are not the ones hashed, which the CRC32 compared after each part (transfer/upload._crc_check,
on servers that check none) cannot promise against a forged collision. Either way the change is the file's
(exit 5), and nothing is stored.

Memory: BLOCKS buffers of the first read's block size (3 x 4 MiB) and the read's own, whatever the size.
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from its_store.core import errors as E
from its_store.core.files import changed_while_uploaded, io_error
from its_store.s3.crc import crc32
from its_store.transfer.parts import MiB

if TYPE_CHECKING:
    from its_store.transfer.parts import ObjectIO

HASH_BUF = 4 * MiB  # the first read's block

READ_AHEAD = 64 * MiB  # how far ahead of the first read the kernel is asked to read the file (_read_ahead)

BLOCKS = 3  # buffers in the ring: one being read, one being hashed by each of the two threads


class PartSums:
    """A thread that hashes the blocks handed to it, part by part. The reader takes a free buffer (`take`),
    fills it, hashes it for the whole file, hands it here (`hand`); the buffer comes back free once this
    thread hashed it too. At each part's end the reader says whether every block of it was handed (`close`).

    `spare` (the upload's way): the reader never waits for this thread, which runs only on a core to spare
    (_yield_to_others): the whole file's hash is what CreateMultipartUpload waits for. When no buffer is
    free (this thread is behind: no idle core, a busy machine), `take` answers None, the reader reads into
    its own buffer, and that part gets no hash here (None: minio hashes it as it is sent, as without this).
    Not `spare`: `take` waits for a buffer, and every part gets its hash. `finish` ends the thread (always
    call it: also on a failure) and gives each closed part's hex SHA-256, or None; `spare`, without waiting
    for the blocks still handed (at the lowest priority they may wait long for a core): their parts get None,
    and the thread drops what is left and ends on its own (nothing else reads those buffers any more)."""

    def __init__(self, block: int, spare: bool = True) -> None:
        self._spare = spare
        self._free: queue.SimpleQueue[bytearray] = queue.SimpleQueue()
        for _ in range(BLOCKS):
            self._free.put(bytearray(block))
        self._work: queue.SimpleQueue[tuple[bytearray, int] | bool | None] = queue.SimpleQueue()
        self._digests: list[str | None] = []
        self._closed = 0  # parts the reader closed (its thread only)
        self._lock = threading.Lock()  # _digests against finish's look at them
        self._gone = False  # finish() did not wait (spare): nothing more is hashed or kept
        self._thread = threading.Thread(target=self._run, name="its-part-sha", daemon=True)
        self._thread.start()

    def take(self) -> bytearray | None:
        """A buffer no thread is using; when this thread still holds them all: None at once (`spare`), or
        the first it gives back."""
        try:
            return self._free.get(block=not self._spare)
        except queue.Empty:
            return None

    def hand(self, buf: bytearray, n: int) -> None:
        """The first `n` bytes of `buf` (from `take`) are the next bytes of the file's current part."""
        self._work.put((buf, n))

    def close(self, whole: bool) -> None:
        """The current part ends here; `whole`: every block of it was handed (else it gets no hash)."""
        self._closed += 1
        self._work.put(whole)

    def finish(self) -> tuple[str | None, ...]:
        """The SHA-256 of each part closed (None: not whole); `spare`: None too for a part not hashed yet (no
        wait), else once everything handed was hashed."""
        self._work.put(None)
        if not self._spare:
            self._thread.join()
            return tuple(self._digests)
        with self._lock:
            self._gone = True
            done = tuple(self._digests)
        return done + (None,) * (self._closed - len(done))

    def _run(self) -> None:
        if self._spare:
            _yield_to_others()
        sha = hashlib.sha256()
        while (item := self._work.get()) is not None and not self._gone:
            if isinstance(item, bool):
                with self._lock:
                    if self._gone:
                        return
                    self._digests.append(sha.hexdigest() if item else None)
                sha = hashlib.sha256()
                continue
            buf, n = item
            sha.update(memoryview(buf)[:n])
            self._free.put(buf)


def _yield_to_others() -> None:
    """Make the calling thread the last to get a core (nice 19; Linux applies it to one thread): it runs
    where a core is idle, as while the server waits for the first part, and falls behind, leaving its
    parts to be hashed as they are sent, where every core is busy (the whole file's hash, which the
    upload waits for, is not slowed by it). Measured on 2 cores with the load at 27: without this the
    first read of 1 GiB took 11.9-14.2 s instead of 3.7-6.0 s; with it 5.2-5.6 s (1-2 of 128 parts hashed here).
    Advice only: refused or not Linux, nothing changes."""
    import sys
    if sys.platform.startswith("linux"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        except OSError:
            pass


Part = tuple[str, str, str, int, bytes]  # bucket, key, upload id, part number, the part's bytes


def signer(signed: tuple[str | None, ...] | None, path: Path) -> Callable[[ObjectIO, Part], str] | None:
    """How transfer/upload.send_parts sends a part whose SHA-256 the first read took (PartSums): signed with
    it, not hashed again. A server that checks payload hashes refuses bytes that are not the ones hashed (a
    rewrite whose CRC32 was forged to match the first read's): that refusal is the file's change (exit 5),
    when the bytes sent indeed do not hash to it."""
    if signed is None:
        return None

    def send(s3: ObjectIO, part: Part) -> str:
        bucket, key, upload_id, number, data = part
        known = signed[number - 1]
        if known is None:  # the first read went on without this part's hash (PartSums.take)
            return s3.upload_part(bucket, key, upload_id, number, data)
        try:
            return s3.upload_part(bucket, key, upload_id, number, data, sha256=known)
        except E.ItsStoreError:
            if hashlib.sha256(data).hexdigest() != known:
                raise changed_while_uploaded(path) from None
            raise
    return send


def hash_blocks(fd: int, size: int, path: Path, part: int, stop: threading.Event | None,
                 sums: PartSums | None) -> tuple[str, tuple[int, ...]]:
    """transfer/upload.fd_hash's read: the hex SHA-256 and the part CRC32s; each block handed to `sums` too."""
    digest = hashlib.sha256()
    crcs: list[int] = []
    crc = 0
    own = bytearray(HASH_BUF)
    whole = True  # every block of the current part was handed to `sums`
    offset = asked = 0
    while offset < size:
        if stop is not None and stop.is_set():
            raise E.InterruptedError_("the hash of the upload was cancelled")
        if offset >= asked - READ_AHEAD // 2 and asked < size:
            asked = _read_ahead(fd, max(asked, offset), size)
        end = min(offset - offset % part + part, size) if part else size
        block = (sums.take() if sums is not None and whole else None) or own
        view = memoryview(block)
        try:
            n = os.preadv(fd, [view[:min(HASH_BUF, end - offset)]], offset)
        except OSError as exc:
            raise io_error("cannot read", path, exc) from None
        if n == 0:
            raise changed_while_uploaded(path)  # it shrank
        digest.update(view[:n])
        offset += n
        if part:
            crc = crc32(view[:n], crc)
            if offset == end:
                crcs.append(crc)
                crc = 0
        if sums is not None:
            if block is own:
                whole = False  # the part thread is behind: this part goes without (PartSums)
            else:
                sums.hand(block, n)
            if offset == end:
                sums.close(whole)
                whole = True
    return digest.hexdigest(), tuple(crcs)


def _read_ahead(fd: int, start: int, size: int) -> int:
    """Ask the kernel to read [start, start + READ_AHEAD) of the file into the page cache now, without
    waiting (POSIX_FADV_WILLNEED); returns where that ends. Why: a file not in the page cache (a 1 GiB
    upload after `drop_caches`) read by 4 MiB preads that alternate with hashing cost 0.5-3.7 s of system
    time for the same 1 GiB, varying from run to run (the bench's "doubled CPU" W2 samples); asked for
    ahead, 0.21-0.28 s, steady. Advice only: where it is refused or missing, the reads go on as before."""
    end = min(start + READ_AHEAD, size)
    try:
        os.posix_fadvise(fd, start, end - start, os.POSIX_FADV_WILLNEED)
    except (OSError, AttributeError):  # not a file that takes advice; not Linux/BSD (no posix_fadvise)
        pass
    return end
