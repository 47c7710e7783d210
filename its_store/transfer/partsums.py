"""The SHA-256 of each part of a file, taken on a second thread during the first read of a multipart upload
(transfer/upload.fd_hash), so that its parts are signed without hashing them again.

Over plain HTTP every part is signed with the SHA-256 of its bytes (x-amz-content-sha256), which minio
computes as it sends the part: ~0.68 CPU-s per GiB here (1.47 GB/s), spent while the parts compete with the
server for the cores. The custody hash (its-sha256) needs a read of the whole file before
CreateMultipartUpload anyway, and during that read the second core is idle (the server has nothing to do
yet): the parts' SHA-256 are taken there, from the same blocks, in parallel with the whole file's (hashlib
releases the GIL on each block). A part read again is then sent signed with the hash the first read found: a
server that checks payload hashes (MinIO, AWS S3, Ceph RGW) refuses a part whose bytes are not the ones hashed,
which the CRC32 compared after each part (transfer/upload._crc_check, on servers that check none) cannot
promise against a forged collision. Either way the change is the file's (exit 5), and nothing is stored.

Memory: BLOCKS buffers of the first read's block size (3 x 4 MiB), whatever the file's size.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from its_store.core import errors as E
from its_store.core.files import changed_while_uploaded

if TYPE_CHECKING:
    from its_store.transfer.parts import ObjectIO

BLOCKS = 3  # buffers in the ring: one being read, one being hashed by each of the two threads


class PartSums:
    """A thread that hashes the blocks handed to it, closing a part's SHA-256 where told. The reader takes a
    free buffer (`buffer`), fills it, hashes it for the whole file, hands it here (`hand`), and the buffer
    comes back free once this thread hashed it too. `finish` ends the thread (always call it: also on a
    failure) and gives the hex digest of each part closed, in order."""

    def __init__(self, block: int) -> None:
        self._free: queue.SimpleQueue[bytearray] = queue.SimpleQueue()
        for _ in range(BLOCKS):
            self._free.put(bytearray(block))
        self._work: queue.SimpleQueue[tuple[bytearray, int, bool] | None] = queue.SimpleQueue()
        self._digests: list[str] = []
        self._thread = threading.Thread(target=self._run, name="its-part-sha", daemon=True)
        self._thread.start()

    def buffer(self) -> bytearray:
        """A buffer no thread is using (waits for one the hashing thread is done with)."""
        return self._free.get()

    def hand(self, buf: bytearray, n: int, closes: bool) -> None:
        """The first `n` bytes of `buf` are the next bytes of the file; `closes`: they end a part."""
        self._work.put((buf, n, closes))

    def finish(self) -> tuple[str, ...]:
        """Wait for the blocks handed so far to be hashed; the SHA-256 of each part they closed."""
        self._work.put(None)
        self._thread.join()
        return tuple(self._digests)

    def _run(self) -> None:
        sha = hashlib.sha256()
        while (item := self._work.get()) is not None:
            buf, n, closes = item
            sha.update(memoryview(buf)[:n])
            if closes:
                self._digests.append(sha.hexdigest())
                sha = hashlib.sha256()
            self._free.put(buf)


Part = tuple[str, str, str, int, bytes]  # bucket, key, upload id, part number, the part's bytes


def signer(signed: tuple[str, ...] | None, path: Path) -> Callable[[ObjectIO, Part], str] | None:
    """How transfer/upload._multipart sends a part whose SHA-256 the first read took (PartSums): signed with
    it, not hashed again. A server that checks payload hashes refuses bytes that are not the ones hashed (a
    rewrite whose CRC32 was forged to match the first read's): that refusal is the file's change (exit 5),
    when the bytes sent indeed do not hash to it."""
    if signed is None:
        return None

    def send(s3: ObjectIO, part: Part) -> str:
        bucket, key, upload_id, number, data = part
        try:
            return s3.upload_part(bucket, key, upload_id, number, data, sha256=signed[number - 1])
        except E.ItsStoreError:
            if hashlib.sha256(data).hexdigest() != signed[number - 1]:
                raise changed_while_uploaded(path) from None
            raise
    return send
