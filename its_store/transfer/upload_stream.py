"""Uploads of a stream of unknown length (stdin, a compressing reader): one PUT when it fits in one part, else
multipart with at most workers+1 parts in memory; a stream longer than a part without its custody SHA-256
(x-amz-meta-its-sha256, needed before CreateMultipartUpload) is spooled to an anonymous temp file while it is
hashed, then sent from there. Files are uploaded by transfer/upload.py, whose multipart sender (send_parts)
and part budget (BUDGET) these parts go through too. Imported on use (service/upload_plan.py): a file's upload
never loads it."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from its_store.core import errors as E
from its_store.core.files import read_full
from its_store.core.meta_names import CODEC_HEADER
from its_store.core.streams import BinaryReader
from its_store.s3.payload import Payload
from its_store.transfer.parts import ProgressFn, choose_part_size, noop
from its_store.transfer.partsums import HASH_BUF
from its_store.transfer.upload import BUDGET, SHA256_HEADER, PutResult, Resumable, constant_part, send_parts

if TYPE_CHECKING:
    from its_store.s3.messages import Custody
    from its_store.transfer.parts import ObjectIO
    from its_store.transfer.resume import UploadJournal


def upload_stream(s3: ObjectIO, bucket: str, key: str, stream: BinaryReader, headers: dict[str, str], *,
                  part_size: int | None, workers: int, progress: ProgressFn = noop,
                  journal: UploadJournal | None = None) -> PutResult:
    """Upload a stream of unknown length (stdin, a compressor) with at most workers+1 parts in memory.

    A stream cannot be resumed, but with a journal its multipart upload is recorded, so one that a
    dead server could not abort is aborted by the next upload of the same key."""
    part = choose_part_size(None, part_size)
    first = read_full(stream, part)
    digest = headers.get(SHA256_HEADER)
    if len(first) < part:
        return _one_put(s3, bucket, key, first, headers, digest, progress)
    if digest is None:  # longer than a part: the hash must be known before CreateMultipartUpload
        return _spooled(s3, bucket, key, first, stream, headers, part, workers, progress, journal)
    total = [0]
    held: dict[int, int] = {}  # budget reserved per part number, released by send_parts
    state = None
    if journal is not None:
        journal.prepare(s3, bucket, key, {"source": "stream"}, False, None)  # abort an orphan first
        state = Resumable(journal, {"source": "stream"})
    # an encoded stream's its-sha256 is of its original bytes: the stored ones are hashed as read, the proof of
    # a Complete whose answer is lost where only the bytes read back can show it (s3/multipart._bytes_are)
    stored = hashlib.sha256() if any(name.lower() == CODEC_HEADER for name in headers) else None

    def custody() -> Custody | None:
        from its_store.s3.multipart import custody_of
        return custody_of(headers, total[0], None if stored is None else stored.hexdigest())
    try:
        parts = _parts(stream, first, part, held, total, stored)
        result = send_parts(s3, bucket, key, headers, part, workers, progress, parts, None, state, held,
                            custody=custody)
    finally:
        for number in list(held):  # a failure before send_parts took over
            BUDGET.release(held.pop(number, 0))
    result.size = total[0]
    result.sha256 = digest
    return result


def _one_put(s3: ObjectIO, bucket: str, key: str, first: bytes, headers: dict[str, str], digest: str | None,
             progress: ProgressFn) -> PutResult:
    """A stream shorter than one part: one PUT, with the custody SHA-256 (the given one, else its own)."""
    body: bytes | Payload = first
    if not digest:  # hashed once: the custody hash and the payload's signature (s3/payload.py)
        body = Payload(first)
        digest = body.sha256
    written = s3.put(bucket, key, body, {**headers, SHA256_HEADER: digest})
    progress(len(first))
    return PutResult(written.etag, written.version_id, len(first), 1, digest, written.sse)


def _parts(stream: BinaryReader, first: bytes, part: int, held: dict[int, int], total: list[int],
           stored: hashlib._Hash | None = None) -> Iterator[tuple[int, Callable[[int], bytes]]]:
    """The stream's parts for send_parts, `first` (already read) the first: each read only once the part
    budget (BUDGET) has room for it, the reservation noted in `held` by part number, the bytes in `total`
    (and hashed into `stored`, when given)."""
    number = 0
    while True:
        reserved = BUDGET.acquire(part)  # before reading: the read is what takes the memory
        data = first if number == 0 else read_full(stream, part)
        if not data and number > 0:
            BUDGET.release(reserved)
            return
        number += 1
        held[number] = reserved
        total[0] += len(data)
        if stored is not None:
            stored.update(data)
        yield number, constant_part(data)


def _spooled(s3: ObjectIO, bucket: str, key: str, first: bytes, stream: BinaryReader, headers: dict[str, str],
             part: int, workers: int, progress: ProgressFn, journal: UploadJournal | None) -> PutResult:
    """A stream longer than one part (stdin): copied into an anonymous temp file while it is hashed,
    then uploaded from there with its SHA-256 in the metadata. Memory stays at one part; disk use is
    the stream's size, in TMPDIR, and the file vanishes when closed (even if the process dies)."""
    digest = hashlib.sha256(first)
    with tempfile.TemporaryFile(prefix="its-store-") as spool:
        try:
            spool.write(first)
            while chunk := read_full(stream, HASH_BUF):
                digest.update(chunk)
                spool.write(chunk)
            spool.seek(0)
        except OSError as exc:
            raise E.LocalIOError(f"cannot write the upload spool file: {exc.strerror}",
                                 hint="set TMPDIR to a folder with more free space") from None
        return upload_stream(s3, bucket, key, spool, {**headers, SHA256_HEADER: digest.hexdigest()},
                             part_size=part, workers=workers, progress=progress, journal=journal)
