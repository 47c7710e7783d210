"""The upload half of objects stored compressed and/or encrypted: what to store (UploadPlan).

StorageService delegates here (upload_object -> UploadPlan), so that compression and SSE stay out of
the transfer engine: transfer/upload.py moves bytes; this module decides which bytes and with which
headers. The download half (decoding, verifying, stat fields) is service/decoding.py: a download does
not import this module, nor transfer/upload.py.

Why a file is read twice when it is compressed: S3 metadata travels in the first request, before
any data, yet it must carry the sha256 of the original content. So a file is hashed first (one
sequential read, bounded memory), then streamed through the compressor into upload_stream. A stream
that fits in one part is hashed in memory; a longer stream (stdin) is compressed into an anonymous
temp file while it is hashed, then uploaded from there (disk use: the compressed size).
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from its_store.codec.sse_choice import UploadSse, answered, upload_sse
from its_store.core import errors as E
from its_store.core.codecs import CHUNK, resolve
from its_store.core.files import io_error, pread_all, read_full, refuse_unsized
from its_store.core.models import META_CODEC, META_ORIGINAL_SIZE, META_SHA256
from its_store.s3.payload import Payload
from its_store.transfer.parts import ProgressFn, choose_part_size
from its_store.transfer.upload import SHA256_HEADER, Prehash, PutResult, upload_file

if TYPE_CHECKING:
    from its_store.codec.compression import CompressingReader, Decision
    from its_store.core.models import UploadRequest
    from its_store.core.streams import BinaryReader
    from its_store.service.context import Context
    from its_store.transfer.parts import ObjectIO

_META = "x-amz-meta-"


def _noop(_: int) -> None:
    pass


@dataclass
class Stored(PutResult):
    """PutResult plus what was stored: `size` is the original size, `stored_size` the bytes sent."""

    codec: str = "none"
    stored_size: int = 0
    encryption: str | None = None
    # PutResult's `unchecked` ("etag"), or "sse": the encryption could not be checked (its read-back was denied)


@dataclass(frozen=True, slots=True)
class UploadOptions:
    """An upload request's encryption (SSE-C key read and checked) and codec choice: what UploadPlan
    decides from the request's options alone, so a batch decides it once for all its files."""

    sse: UploadSse
    choice: str

    @classmethod
    def of(cls, ctx: Context, request: UploadRequest) -> UploadOptions:
        """Decided and checked before any request (bad flags: exit 2)."""
        sse = upload_sse(ctx.settings, request.sse, request.sse_c_key, request.sse_c_key_file)
        choice = resolve(request.compression, ctx.settings.enable_compression)
        if request.resume and choice not in ("auto", "none"):
            raise E.InvalidInputError("--resume continues uncompressed uploads only",
                                      hint="drop --compress (auto stores as is with --resume) or --resume")
        return cls(sse, "none" if request.resume else choice)  # resumable parts: byte ranges of the file


class UploadPlan:
    """One upload's codec and encryption, checked before any request is made (bad flags: exit 2).

    `source`: the request's file, already opened by core.files.open_regular (the caller closes it);
    every read of the upload (sample, hash, parts, compressor) goes through this one descriptor, so
    what was checked is what is sent."""

    def __init__(self, ctx: Context, request: UploadRequest, headers: dict[str, str],
                 source: IO[bytes] | None = None, source_stat: os.stat_result | None = None,
                 options: UploadOptions | None = None, path: Path | str | None = None) -> None:
        """`options`: the request's encryption and codec choice worked out once for a batch of files with
        the same options (UploadOptions.of); `headers` then already carry the encryption's. `path`: the file
        to store in place of request.file_path (a file of a batch: `request` is the batch's one request, its
        other fields every file's; no copy of it per file), as the walk's str (no Path made per file)."""
        self.ctx, self.request, self.source = ctx, request, source
        self.path: Path | str | None = path if path is not None else _path_of(request)
        opts = options if options is not None else UploadOptions.of(ctx, request)
        self.sse, self.choice = opts.sse, opts.choice
        self.headers = headers if options is not None else {**headers, **self.sse.headers()}
        self.opened = _fstat(self.path, source, source_stat)  # taken once: the plan and the upload use it
        # before ctx.s3: imports and pool overlap it
        self.prehash = _prehash(ctx, request, self.path, source, self.opened)
        self.s3: ObjectIO = ctx.s3
        if self.sse.key is not None:  # SSE-C: the key on every part, HEAD and GET (codec/encryption.py)
            from its_store.codec.encryption import KeyedS3
            self.s3 = KeyedS3(ctx.s3, self.sse.key)
        self.decision: Decision | None = None
        # checked on the stored version after the write; None: no encryption asked, nothing to check (a
        # model built and filled in per camera frame, for an audit line that says nothing of it)
        label = self.sse.label
        self.sse_check: SseCheck | None = None
        if label is not None:
            from its_store.service.ssecheck import SseCheck
            self.sse_check = SseCheck(asked=label)

    def put(self, bucket: str, key: str, workers: int, progress: ProgressFn = _noop) -> Stored:
        """Upload; a server refusing the encryption becomes EncryptionUnsupportedError with a hint, one that
        takes it and does not encrypt EncryptionNotKeptError (service/ssecheck.py). `encryption` of the
        result is what the server showed."""
        try:  # the source's path, chosen here (no call that only forwards: a batch runs it per camera frame)
            if self.choice == "none" and self.sse.mode != "c":
                result = self._plain(bucket, key, workers, progress, self.request)
            elif self.path is not None:
                result = self._file(Path(self.path), self._opened(), bucket, key, workers, progress)
            else:
                result = self._unsized(bucket, key, workers, progress)
        except E.ItsStoreError as exc:
            from its_store.codec.encryption import explain_write_error
            better = explain_write_error(exc, self.sse, f"s3://{bucket}/{key}",
                                         plain_http=not self.ctx.settings.secure)
            if better is exc:
                raise
            raise better from exc
        finally:
            if self.prehash is not None:
                self.prehash.cancel()  # done already, unless the upload failed before it was needed
        if self.sse_check is None:  # nothing asked: the encryption the answer shows (as ensure_encrypted says it)
            result.encryption = answered(result.answer_sse)
        else:
            from its_store.service.ssecheck import ensure_encrypted
            ensure_encrypted(self.s3, self.ctx.s3, bucket, key, result.version_id, result.answer_sse, self.sse_check)
            result.encryption = self.sse_check.seen
            result.unchecked = self.sse_check.unchecked or result.unchecked  # "sse" says more than "etag"
        return result

    def sse_audit(self) -> dict[str, Any]:
        """The encryption check's fields for the write's audit line ({} when none was asked: SseCheck.audit)."""
        return self.sse_check.audit() if self.sse_check is not None else {}

    def _unsized(self, bucket: str, key: str, workers: int, progress: ProgressFn) -> Stored:
        """Bytes or a stream, compressed or SSE-C (put)."""
        req = self.request
        if req.data is not None:
            return self._buffer(req.data, bucket, key, workers, progress)
        return self._stream(_stream_of(req), bucket, key, workers, progress)

    # -- sources ---------------------------------------------------------------------------------
    def _opened(self) -> IO[bytes]:
        if self.source is None:
            raise ValueError("an upload of a file needs the file opened by core.files.open_regular")
        return self.source

    def _file(self, path: Path, src: IO[bytes], bucket: str, key: str, workers: int,
              progress: ProgressFn) -> Stored:
        from its_store.codec import compression as C
        size, sample = _file_head(path, src, self.opened)
        whole = sample if len(sample) == size else None  # a small file: read once, here (HEAD_BUDGET)
        codec = self._codec(sample[:C.SAMPLE], size)
        if codec == "none" and self.sse.mode != "c":
            return self._plain(bucket, key, workers, progress, self.request, head=whole)
        if whole is not None:
            digest_size, digest = size, hashlib.sha256(whole).hexdigest()
        elif self.prehash is not None and self.prehash.size == size:
            digest_size, digest = size, self.prehash.result()
        else:
            digest_size, digest = file_sha256(path, src)
        meta = _codec_meta(codec, digest_size, digest)
        if codec == "none":  # SSE-C: the ETag is no MD5, our sha256 lets `get` verify
            return self._plain(bucket, key, workers, progress, self.request, meta, head=whole)
        src.seek(0)
        reader = C.CompressingReader(src, C.get_codec(codec), self._level(codec), progress=progress,
                                   expect=(digest_size, digest), name=str(path))
        from its_store.transfer.upload_stream import upload_stream  # on use: not a file's path
        result = upload_stream(self.s3, bucket, key, reader, {**self.headers, **meta},
                               part_size=self._part(digest_size), workers=workers, journal=self.ctx.journal())
        return Stored(result.etag, result.version_id, digest_size, result.parts, digest, result.answer_sse,
                      codec=codec, stored_size=result.size, unchecked=result.unchecked)

    def _buffer(self, data: bytes, bucket: str, key: str, workers: int, progress: ProgressFn) -> Stored:
        from its_store.codec import compression as C
        codec = self._codec(data[:C.SAMPLE], len(data))
        packed = C.compress_bytes(data, C.get_codec(codec), self._level(codec)) if codec != "none" else data
        if codec != "none" and self.choice == "auto" and len(packed) >= len(data):
            codec, packed = "none", data  # the trial was wrong about this one: store it as it is
        if codec == "none" and self.sse.mode != "c":
            return self._plain(bucket, key, workers, progress,
                               self.request.model_copy(update={"data": data, "stream": None}))
        digest = hashlib.sha256(data).hexdigest()
        meta = _codec_meta(codec, len(data), digest)
        from its_store.transfer.upload_stream import upload_stream  # on use: not a file's path
        result = upload_stream(self.s3, bucket, key, io.BytesIO(packed), {**self.headers, **meta},
                               part_size=self._part(len(packed)), workers=workers, journal=self.ctx.journal())
        progress(len(data))
        return Stored(result.etag, result.version_id, len(data), result.parts, digest, result.answer_sse,
                      codec=codec, stored_size=result.size, unchecked=result.unchecked)

    def _stream(self, stream: BinaryReader, bucket: str, key: str, workers: int, progress: ProgressFn) -> Stored:
        from its_store.codec import compression as C
        first = read_full(stream, self._part(None))
        if len(first) < self._part(None):  # the whole stream fits in one part: it is in memory now
            return self._buffer(first, bucket, key, workers, progress)
        codec = self._codec(first[:C.SAMPLE], None)
        if codec == "none":  # SSE-C without compression: upload_stream spools and hashes it
            request = self.request.model_copy(update={"stream": _Prefixed(first, stream)})
            return self._plain(bucket, key, workers, progress, request)
        with tempfile.TemporaryFile(prefix="its-store-") as spool:
            reader = C.CompressingReader(stream, C.get_codec(codec), self._level(codec), progress=progress,
                                       prefix=first, name="stdin")
            _copy(reader, spool)
            stored = spool.tell()
            spool.seek(0)
            meta = _codec_meta(codec, reader.bytes_in, reader.sha256.hexdigest())
            from its_store.transfer.upload_stream import upload_stream  # on use: not a file's path
            result = upload_stream(self.s3, bucket, key, spool, {**self.headers, **meta},
                                   part_size=self._part(stored), workers=workers, journal=self.ctx.journal())
        return Stored(result.etag, result.version_id, reader.bytes_in, result.parts, meta[_META + META_SHA256],
                      result.answer_sse, codec=codec, stored_size=result.size, unchecked=result.unchecked)

    def _plain(self, bucket: str, key: str, workers: int, progress: ProgressFn, request: UploadRequest,
               meta: dict[str, str] | None = None, head: bytes | None = None) -> Stored:
        """Stored as it is: a file by one PUT or parallel multipart (resumable, journaled), bytes by one
        PUT, a stream by parts. `self.s3` is a KeyedS3 when SSE-C parts need the key. transfer/upload.py
        adds the SHA-256 of the content (the chain-of-custody hash) unless `meta` already has it.
        `head`: the whole file, already read for the auto decision (sent as it is, not read again)."""
        headers = {**self.headers, **(meta or {})}
        settings, part = self.ctx.settings, request.part_size or self.ctx.settings.part_size or None
        if self.path is not None and request is self.request:  # the request's file (_buffer, _stream: not)
            result = upload_file(self.s3, bucket, key, self.path, headers,
                                 threshold=settings.multipart_threshold, part_size=part, workers=workers,
                                 progress=progress, journal=self.ctx.journal(), resume=request.resume,
                                 source=self._opened(), prehash=self.prehash, stat=self.opened, head=head)
        elif request.data is not None:
            digest = headers.get(SHA256_HEADER)
            body: bytes | Payload = request.data
            if not digest:  # hashed once: the custody hash and the payload's signature (s3/payload.py)
                body = Payload(request.data)
                digest = body.sha256
            written = self.s3.put(bucket, key, body, {**headers, SHA256_HEADER: digest})
            progress(len(request.data))
            result = PutResult(written.etag, written.version_id, len(request.data), 1, digest, written.sse)
        else:
            from its_store.transfer.upload_stream import upload_stream  # on use: not a file's path
            result = upload_stream(self.s3, bucket, key, _stream_of(request), headers, part_size=part, workers=workers,
                                   progress=progress, journal=self.ctx.journal())
        return Stored(result.etag, result.version_id, result.size, result.parts, result.sha256, result.answer_sse,
                      codec="none", stored_size=result.size, unchecked=result.unchecked)

    # -- choices ---------------------------------------------------------------------------------
    def _codec(self, sample: bytes, size: int | None) -> str:
        from its_store.codec import compression as C
        if self.choice != "auto":
            return self.choice
        self.decision = C.decide_auto(sample, self.headers.get("Content-Type"), size)
        return self.decision.codec

    def _level(self, codec: str) -> int:
        from its_store.codec import compression as C
        return C.get_codec(codec).level(self.request.compression_level)

    def _part(self, size: int | None) -> int:
        """Part size for a stream; sized for `size` plus worst-case codec overhead (<= 10,000 parts)."""
        requested = self.request.part_size or self.ctx.settings.part_size or None
        return choose_part_size(None if size is None else size + size // 100 + CHUNK, requested)


def _path_of(request: UploadRequest) -> Path | None:
    """The request's file as a Path (None: bytes or a stream)."""
    path = request.file_path
    return path if path is None or isinstance(path, Path) else Path(path)


def _fstat(path: Path | str | None, source: IO[bytes] | None,
           taken: os.stat_result | None = None) -> os.stat_result | None:
    """fstat of the upload's opened file `path` (None: no file, or it cannot be looked at: the upload then
    takes its own, and reports the error when it reads). `taken`: the one its opener took just after
    opening it (core/files.open_checked_stat), not asked again."""
    if source is None or path is None:
        return None
    try:
        stat = taken if taken is not None else os.fstat(source.fileno())
    except OSError:
        return None
    if stat.st_size == 0:
        refuse_unsized(source.fileno(), path)
    return stat


def _prehash(ctx: Context, request: UploadRequest, path: Path | str | None, source: IO[bytes] | None,
             opened: os.stat_result | None) -> Prehash | None:
    """The custody SHA-256 of a file large enough for a multipart upload, started now on a helper thread
    (transfer/upload.Prehash): it must be known before the first request. Smaller files are hashed with
    the bytes of their one PUT. `opened`: the file's fstat (_fstat). It takes the CRC32 of each part of
    the size _plain's upload will use, which the parts must match when read again (transfer/upload)."""
    if source is None or path is None or opened is None:
        return None
    if opened.st_size < max(ctx.settings.multipart_threshold, 1):
        return None
    try:
        part = choose_part_size(opened.st_size, request.part_size or ctx.settings.part_size or None)
    except E.InvalidInputError:  # too large for S3: the upload says so; no part CRC32s meanwhile
        part = 0
    return Prehash(source.fileno(), opened.st_size, Path(path), part, signed=not ctx.settings.secure)


def _codec_meta(codec: str, size: int, digest: str) -> dict[str, str]:
    meta = {_META + META_ORIGINAL_SIZE: str(size), _META + META_SHA256: digest}
    if codec != "none":
        meta[_META + META_CODEC] = codec
    return meta


def _stream_of(request: UploadRequest) -> BinaryReader:
    """The request's stream, once its file and bytes were found None (UploadRequest has exactly one source)."""
    if request.stream is None:
        raise ValueError("give exactly one of file_path, data or stream")  # UploadRequest._one_source
    return request.stream


class _Prefixed:
    """`prefix` then the rest of `stream`, as one read()-able stream."""

    def __init__(self, prefix: bytes, stream: BinaryReader) -> None:
        self._prefix, self._stream = memoryview(prefix), stream

    def read(self, size: int = -1) -> bytes:
        if self._prefix:
            n = len(self._prefix) if size < 0 else min(size, len(self._prefix))
            out, self._prefix = bytes(self._prefix[:n]), self._prefix[n:]
            return out
        return self._stream.read(size)


def _copy(reader: CompressingReader, out: IO[bytes]) -> None:
    try:
        while chunk := reader.read(4 * CHUNK):
            out.write(chunk)
    except OSError as exc:
        raise E.LocalIOError(f"cannot write the compression spool file: {exc.strerror}",
                             hint="set TMPDIR to a folder with more free space") from None


# a file this small is read whole for the auto decision and that read is what is sent (or hashed): one
# read instead of the 64 KiB sample and then the file again; no more memory than a compressor's one chunk
HEAD_BUDGET = CHUNK


def _file_head(path: Path, src: IO[bytes], opened: os.stat_result | None = None) -> tuple[int, bytes]:
    """(size, first bytes) of an open file, for the auto decision (positional: the offset stays): all
    of it up to HEAD_BUDGET (a short read: "changed size while it was being uploaded"), else the first
    64 KiB. `opened`: its fstat, taken when the plan was made."""
    from its_store.codec import compression as C
    try:
        size = opened.st_size if opened is not None else os.fstat(src.fileno()).st_size
    except OSError as exc:
        raise io_error("cannot read", path, exc) from None
    if size <= HEAD_BUDGET:
        return size, pread_all(src.fileno(), 0, size, path)
    try:
        return size, os.pread(src.fileno(), C.SAMPLE, 0)
    except OSError as exc:
        raise io_error("cannot read", path, exc) from None


def file_sha256(path: Path, src: IO[bytes]) -> tuple[int, str]:
    """(size, sha256 hex) of an open file, read in 1 MiB chunks (positional: the offset stays)."""
    digest, size = hashlib.sha256(), 0
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    try:
        while n := os.preadv(src.fileno(), [buf], size):
            digest.update(view[:n])
            size += n
    except OSError as exc:
        raise io_error("cannot read", path, exc) from None
    return size, digest.hexdigest()
