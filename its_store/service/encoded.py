"""Objects stored compressed and/or encrypted: the upload plan, the decoding download, stat fields.

StorageService delegates here (upload_object -> UploadPlan, download_object / download_to_stream ->
download_file / download_stream), so that compression and SSE stay out of the transfer engine:
transfer.py moves bytes; this module decides which bytes and with which headers.

Why a file is read twice when it is compressed: S3 metadata travels in the first request, before
any data, yet it must carry the sha256 of the original content. So a file is hashed first (one
sequential read, bounded memory), then streamed through the compressor into upload_stream. A stream
that fits in one part is hashed in memory; a longer stream (stdin) is compressed into an anonymous
temp file while it is hashed, then uploaded from there (disk use: the compressed size).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from its_store.codec.compression import (
    CHUNK,
    META_CODEC,
    META_ORIGINAL_SIZE,
    META_SHA256,
    SAMPLE,
    CompressingReader,
    Decision,
    DecodingWriter,
    VerifyingSink,
    compress_bytes,
    decide_auto,
    get_codec,
    recorded_size,
    resolve,
)
from its_store.codec.encryption import (
    KeyedS3,
    SseCKey,
    UploadSse,
    describe,
    explain_write_error,
    key_mismatch,
    resolve_key,
    upload_sse,
)
from its_store.core import errors as E
from its_store.core.files import atomic_target, io_error, pread_all, read_full, refuse_unsized
from its_store.core.units import read_uint
from its_store.s3.payload import Payload
from its_store.service import fetch, heads
from its_store.service.fetch import user_metadata
from its_store.service.ssecheck import SseCheck, answered, ensure_encrypted  # light; per file, no import statement
from its_store.transfer.download import ObjectHead, download_to_stream, response_to_file, stream_checked_by_server
from its_store.transfer.parts import META_PART_SIZE, ProgressFn, choose_part_size
from its_store.transfer.spans import download_to_file
from its_store.transfer.upload import SHA256_HEADER, Prehash, PutResult, upload_file, upload_stream

if TYPE_CHECKING:
    from its_store.core.models import DownloadRequest, ObjectInfo, UploadRequest
    from its_store.core.streams import BinaryReader
    from its_store.s3.client import ObjectStat
    from its_store.service.context import Context
    from its_store.transfer.download import Target
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
    unchecked: str | None = None  # "sse": the encryption could not be checked (its read-back was denied)


# ------------------------------------------------------------------------------------ uploading
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
                 options: UploadOptions | None = None) -> None:
        """`options`: the request's encryption and codec choice worked out once for a batch of files with
        the same options (UploadOptions.of); `headers` then already carry the encryption's."""
        self.ctx, self.request, self.source = ctx, request, source
        opts = options if options is not None else UploadOptions.of(ctx, request)
        self.sse, self.choice = opts.sse, opts.choice
        self.headers = headers if options is not None else {**headers, **self.sse.headers()}
        self.opened = _fstat(request, source, source_stat)  # taken once: the plan and the upload use it
        self.prehash = _prehash(ctx, request, source, self.opened)  # before ctx.s3: imports and pool overlap it
        self.s3: ObjectIO = KeyedS3(ctx.s3, self.sse.key) if self.sse.key is not None else ctx.s3
        self.decision: Decision | None = None
        # checked on the stored version after the write; None: no encryption asked, nothing to check (a
        # model built and filled in per camera frame, for an audit line that says nothing of it)
        self.sse_check = SseCheck(asked=self.sse.label) if self.sse.label is not None else None

    def put(self, bucket: str, key: str, workers: int, progress: ProgressFn = _noop) -> Stored:
        """Upload; a server refusing the encryption becomes EncryptionUnsupportedError with a hint, one that
        takes it and does not encrypt EncryptionNotKeptError (service/ssecheck.py). `encryption` of the
        result is what the server showed."""
        try:
            result = self._put(bucket, key, workers, progress)
        except E.ItsStoreError as exc:
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
            ensure_encrypted(self.s3, self.ctx.s3, bucket, key, result.version_id, result.answer_sse, self.sse_check)
            result.encryption, result.unchecked = self.sse_check.seen, self.sse_check.unchecked
        return result

    def sse_audit(self) -> dict[str, Any]:
        """The encryption check's fields for the write's audit line ({} when none was asked: SseCheck.audit)."""
        return self.sse_check.audit() if self.sse_check is not None else {}

    def _put(self, bucket: str, key: str, workers: int, progress: ProgressFn) -> Stored:
        req = self.request
        if self.choice == "none" and self.sse.mode != "c":
            return self._plain(bucket, key, workers, progress, req)
        if req.file_path is not None:
            return self._file(Path(req.file_path), self._opened(), bucket, key, workers, progress)
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
        size, sample = _file_head(path, src, self.opened)
        whole = sample if len(sample) == size else None  # a small file: read once, here (HEAD_BUDGET)
        codec = self._codec(sample[:SAMPLE], size)
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
        reader = CompressingReader(src, get_codec(codec), self._level(codec), progress=progress,
                                   expect=(digest_size, digest), name=str(path))
        result = upload_stream(self.s3, bucket, key, reader, {**self.headers, **meta},
                               part_size=self._part(digest_size), workers=workers, journal=self.ctx.journal())
        return Stored(result.etag, result.version_id, digest_size, result.parts, digest, result.answer_sse,
                      codec=codec, stored_size=result.size)

    def _buffer(self, data: bytes, bucket: str, key: str, workers: int, progress: ProgressFn) -> Stored:
        codec = self._codec(data[:SAMPLE], len(data))
        packed = compress_bytes(data, get_codec(codec), self._level(codec)) if codec != "none" else data
        if codec != "none" and self.choice == "auto" and len(packed) >= len(data):
            codec, packed = "none", data  # the trial was wrong about this one: store it as it is
        if codec == "none" and self.sse.mode != "c":
            return self._plain(bucket, key, workers, progress,
                               self.request.model_copy(update={"data": data, "stream": None}))
        digest = hashlib.sha256(data).hexdigest()
        meta = _codec_meta(codec, len(data), digest)
        result = upload_stream(self.s3, bucket, key, io.BytesIO(packed), {**self.headers, **meta},
                               part_size=self._part(len(packed)), workers=workers, journal=self.ctx.journal())
        progress(len(data))
        return Stored(result.etag, result.version_id, len(data), result.parts, digest, result.answer_sse,
                      codec=codec, stored_size=result.size)

    def _stream(self, stream: BinaryReader, bucket: str, key: str, workers: int, progress: ProgressFn) -> Stored:
        first = read_full(stream, self._part(None))
        if len(first) < self._part(None):  # the whole stream fits in one part: it is in memory now
            return self._buffer(first, bucket, key, workers, progress)
        codec = self._codec(first[:SAMPLE], None)
        if codec == "none":  # SSE-C without compression: upload_stream spools and hashes it
            request = self.request.model_copy(update={"stream": _Prefixed(first, stream)})
            return self._plain(bucket, key, workers, progress, request)
        with tempfile.TemporaryFile(prefix="its-store-") as spool:
            reader = CompressingReader(stream, get_codec(codec), self._level(codec), progress=progress,
                                       prefix=first, name="stdin")
            _copy(reader, spool)
            stored = spool.tell()
            spool.seek(0)
            meta = _codec_meta(codec, reader.bytes_in, reader.sha256.hexdigest())
            result = upload_stream(self.s3, bucket, key, spool, {**self.headers, **meta},
                                   part_size=self._part(stored), workers=workers, journal=self.ctx.journal())
        return Stored(result.etag, result.version_id, reader.bytes_in, result.parts, meta[_META + META_SHA256],
                      result.answer_sse, codec=codec, stored_size=result.size)

    def _plain(self, bucket: str, key: str, workers: int, progress: ProgressFn, request: UploadRequest,
               meta: dict[str, str] | None = None, head: bytes | None = None) -> Stored:
        """Stored as it is: a file by one PUT or parallel multipart (resumable, journaled), bytes by one
        PUT, a stream by parts. `self.s3` is a KeyedS3 when SSE-C parts need the key. transfer/upload.py
        adds the SHA-256 of the content (the chain-of-custody hash) unless `meta` already has it.
        `head`: the whole file, already read for the auto decision (sent as it is, not read again)."""
        headers = {**self.headers, **(meta or {})}
        settings, part = self.ctx.settings, request.part_size or self.ctx.settings.part_size or None
        if request.file_path is not None:
            path = request.file_path if isinstance(request.file_path, Path) else Path(request.file_path)
            result = upload_file(self.s3, bucket, key, path, headers,
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
            result = upload_stream(self.s3, bucket, key, _stream_of(request), headers, part_size=part, workers=workers,
                                   progress=progress, journal=self.ctx.journal())
        return Stored(result.etag, result.version_id, result.size, result.parts, result.sha256, result.answer_sse,
                      codec="none", stored_size=result.size)

    # -- choices ---------------------------------------------------------------------------------
    def _codec(self, sample: bytes, size: int | None) -> str:
        if self.choice != "auto":
            return self.choice
        self.decision = decide_auto(sample, self.headers.get("Content-Type"), size)
        return self.decision.codec

    def _level(self, codec: str) -> int:
        return get_codec(codec).level(self.request.compression_level)

    def _part(self, size: int | None) -> int:
        """Part size for a stream; sized for `size` plus worst-case codec overhead (<= 10,000 parts)."""
        requested = self.request.part_size or self.ctx.settings.part_size or None
        return choose_part_size(None if size is None else size + size // 100 + CHUNK, requested)


def _fstat(request: UploadRequest, source: IO[bytes] | None,
           taken: os.stat_result | None = None) -> os.stat_result | None:
    """fstat of the request's opened file (None: no file, or it cannot be looked at: the upload then
    takes its own, and reports the error when it reads). `taken`: the one its opener took just after
    opening it (core/files.open_checked_stat), not asked again."""
    if source is None or request.file_path is None:
        return None
    try:
        stat = taken if taken is not None else os.fstat(source.fileno())
    except OSError:
        return None
    if stat.st_size == 0:
        refuse_unsized(source.fileno(), request.file_path)
    return stat


def _prehash(ctx: Context, request: UploadRequest, source: IO[bytes] | None,
             opened: os.stat_result | None) -> Prehash | None:
    """The custody SHA-256 of a file large enough for a multipart upload, started now on a helper thread
    (transfer/upload.Prehash): it must be known before the first request. Smaller files are hashed with
    the bytes of their one PUT. `opened`: the file's fstat (_fstat). It takes the CRC32 of each part of
    the size _plain's upload will use, which the parts must match when read again (transfer/upload)."""
    if source is None or request.file_path is None or opened is None:
        return None
    if opened.st_size < max(ctx.settings.multipart_threshold, 1):
        return None
    try:
        part = choose_part_size(opened.st_size, request.part_size or ctx.settings.part_size or None)
    except E.InvalidInputError:  # too large for S3: the upload says so; no part CRC32s meanwhile
        part = 0
    return Prehash(source.fileno(), opened.st_size, Path(request.file_path), part)


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
    try:
        size = opened.st_size if opened is not None else os.fstat(src.fileno()).st_size
    except OSError as exc:
        raise io_error("cannot read", path, exc) from None
    if size <= HEAD_BUDGET:
        return size, pread_all(src.fileno(), 0, size, path)
    try:
        return size, os.pread(src.fileno(), SAMPLE, 0)
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


# ------------------------------------------------------------------------------------- reading
@dataclass
class Fetched:
    """What a download wrote: `size` bytes (original), from `head.size` stored bytes."""

    head: ObjectHead
    size: int
    verified: bool
    codec: str | None
    headers: Any = None  # the answer's headers (GET or HEAD: s3 Headers), for objects.download_info


def stat_with_key(ctx: Context, bucket: str, key: str, version_id: str | None,
                  sse_key: SseCKey | None) -> ObjectStat:
    """HEAD with the SSE-C key when we hold one. A 403 with a key that a key-less HEAD explains as
    SSE-C is a wrong key; a 400 means the object is not SSE-C (AWS refuses keys there): retry without."""
    if sse_key is None:
        return heads.stat(ctx, bucket, key, version_id)
    try:
        return heads.stat(ctx, bucket, key, version_id, headers=sse_key.headers())
    except E.AccessDeniedError:
        try:
            heads.stat(ctx, bucket, key, version_id)
        except E.SseKeyRequiredError:
            raise key_mismatch(bucket, key) from None
        except E.ItsStoreError:
            pass
        raise
    except (E.NotFoundError, E.ServiceUnavailableError):
        raise
    except E.ItsStoreError:
        return heads.stat(ctx, bucket, key, version_id)


def open_head(ctx: Context, bucket: str, key: str, version_id: str | None,
              sse_c_key: bytes | None = None, sse_c_key_file: Path | None = None
              ) -> tuple[ObjectHead, dict[str, str], ObjectIO]:
    """(ObjectHead, user metadata, client to read with) of one object; the client carries the SSE-C
    key when the object is SSE-C. The ETag is not an MD5 under SSE-C and SSE-KMS: not verifiable."""
    return _open_head(ctx, bucket, key, version_id, sse_c_key, sse_c_key_file)[:3]


def _open_head(ctx: Context, bucket: str, key: str, version_id: str | None, sse_c_key: bytes | None,
               sse_c_key_file: Path | None) -> tuple[ObjectHead, dict[str, str], ObjectIO, Any]:
    """open_head(), and every header of the HEAD's answer."""
    sse_key = resolve_key(ctx.settings, sse_c_key, sse_c_key_file)
    stat = stat_with_key(ctx, bucket, key, version_id, sse_key)
    meta = user_metadata(stat.metadata)
    encryption = describe(stat.metadata)
    head = ObjectHead(bucket=bucket, key=key, size=stat.size or 0, etag=(stat.etag or "").strip('"'),
                      version_id=version_id or stat.version_id,
                      part_size=read_uint(meta.get(META_PART_SIZE), low=1),  # not a number: unknown, as absent
                      verifiable=encryption not in ("SSE-C", "SSE-KMS"),
                      checksum=_header(stat.metadata, "x-amz-checksum-crc32"),
                      checksum_type=_header(stat.metadata, "x-amz-checksum-type"))
    s3 = KeyedS3(ctx.s3, sse_key) if encryption == "SSE-C" and sse_key is not None else ctx.s3
    return head, meta, s3, stat.metadata


def _header(headers: Any, name: str) -> str | None:
    """A response header by case-insensitive name (servers differ in case)."""
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return str(value)
    return None


def _decoding(meta: dict[str, str], where: str) -> tuple[Any, int | None, str | None] | None:
    """(codec, original size, sha256) when the object must be decoded/verified by us, else None. A
    compressed object is decoded only with a recorded original size (compression.recorded_size)."""
    name, sha = meta.get(META_CODEC), meta.get(META_SHA256)
    if name is None and sha is None:
        return None
    codec = get_codec(name or "none", stored=True, where=where)
    return codec, recorded_size(meta, codec.name, where), sha


def download_file(ctx: Context, request: DownloadRequest, target: Target, progress: ProgressFn) -> Fetched:
    """Download to `target` atomically, undoing compression (unless `raw`) and verifying the sha256.
    One request for a small object: the GET's answer stands for the HEAD (service/fetch.py).

    On any mismatch the temp file is removed and `target` is left as it was.
    """
    if fetch.one_get_will_do(ctx, request):
        answer = fetch.open_answer(ctx, request.bucket, request.key, request.version_id, request.raw,
                                   request.size_hint)
        if answer is not None:
            with answer.body:
                try:
                    return _download_file(ctx, request, target, progress, answer.head, answer.meta, ctx.s3, answer)
                except _AnswerBroke:
                    pass  # its body broke before it was all read (nothing was renamed): the HEAD path retries
    head, meta, s3, headers = _open_head(ctx, request.bucket, request.key, request.version_id,
                                         request.sse_c_key, request.sse_c_key_file)
    got = _download_file(ctx, request, target, progress, head, meta, s3, None)
    got.headers = headers
    return got


def _download_file(ctx: Context, request: DownloadRequest, target: Target, progress: ProgressFn, head: ObjectHead,
                   meta: dict[str, str], s3: ObjectIO, answer: fetch.Answer | None) -> Fetched:
    """download_file once the object's head is known: from the open GET `answer` when it is small enough
    (closed unread and fetched in ranges otherwise), else by new requests."""
    part_size = request.part_size or ctx.settings.part_size or None
    workers = request.workers or ctx.workers
    threshold = ctx.settings.multipart_threshold
    plan = None if request.raw else _decoding(meta, f"s3://{request.bucket}/{request.key}")
    if plan is None or (plan[0].name == "none" and plan[2] and (plan[1] is None or plan[1] == head.size)):
        if plan is not None:  # plain, with its-sha256: parallel ranges, then the sha256 read back before the rename
            head.sha256 = plan[2]
        if answer is not None and head.size < max(threshold, 1):
            try:  # _broke_mid_body() written out: this is every small object's path
                verified = response_to_file(answer.body, head, target, progress, custody=request.custody)
            except E.ServiceUnavailableError as exc:
                if getattr(exc, "mid_body", False):
                    raise _AnswerBroke from exc
                raise
        else:
            _close(answer)
            verified = download_to_file(s3, head, target, threshold=threshold, part_size=part_size,
                                        workers=workers, progress=progress, custody=request.custody)
        return Fetched(head, head.size, verified, None, _headers(answer))

    codec, size, sha = plan
    with atomic_target(target) as fd:
        sink = VerifyingSink(lambda data: _write_all(fd, data, target), f"s3://{head.bucket}/{head.key}", size, sha)
        writer = DecodingWriter(codec, sink, f"s3://{head.bucket}/{head.key}")
        if answer is not None and head.size <= choose_part_size(head.size, part_size):
            with _broke_mid_body():
                fetch.feed(answer, writer.write, progress)
        else:
            _close(answer)
            download_to_stream(s3, head, writer, part_size=part_size, workers=workers, progress=progress)
        writer.close()
        verified = sink.verify()
    return Fetched(head, sink.count, verified, codec.name if codec.name != "none" else None, _headers(answer))


class _AnswerBroke(Exception):
    """The open GET's body broke mid-way (after urllib3's retries, which end at the answer's head)."""


@contextmanager
def _broke_mid_body() -> Iterator[None]:
    try:
        yield
    except E.ServiceUnavailableError as exc:
        if getattr(exc, "mid_body", False):
            raise _AnswerBroke from exc
        raise


def _close(answer: fetch.Answer | None) -> None:
    """Give up an open GET unread (its connection is closed, not drained): the object goes by ranges."""
    if answer is not None:
        answer.body.close()


def _headers(answer: fetch.Answer | None) -> Any:
    return answer.headers if answer is not None else None


def download_stream(ctx: Context, bucket: str, key: str, out: IO[bytes], *, version_id: str | None = None,
                    raw: bool = False, sse_c_key: bytes | None = None, sse_c_key_file: Path | None = None,
                    progress: ProgressFn = _noop) -> Fetched:
    """Write an object to a stream in order, decoded unless `raw`. A checksum mismatch can only be
    reported after the bytes went out (exit 4): use a file target when that matters. One request for a
    small object: the GET's answer stands for the HEAD (service/fetch.py)."""
    answer = None
    if not fetch.key_in_play(ctx, sse_c_key, sse_c_key_file):
        answer = fetch.open_answer(ctx, bucket, key, version_id, raw)
    s3: ObjectIO
    if answer is not None:
        head, meta, s3, headers = answer.head, answer.meta, ctx.s3, answer.headers
    else:
        head, meta, s3, headers = _open_head(ctx, bucket, key, version_id, sse_c_key, sse_c_key_file)
    part_size = ctx.settings.part_size or None
    with answer.body if answer is not None else contextlib.nullcontext():
        whole = answer is not None and head.size <= choose_part_size(head.size, part_size)  # else: ranges
        if not whole:
            _close(answer)
        plan = None if raw else _decoding(meta, f"s3://{bucket}/{key}")
        if plan is not None and plan[0].name == "none" and stream_checked_by_server(head, part_size):
            plan = None  # plain, and checked against the server's CRC32: its-sha256 is left to `verify`
        if plan is None:
            verified = fetch.feed(answer, out.write, progress) if whole and answer is not None else \
                download_to_stream(s3, head, out, part_size=part_size, workers=ctx.workers, progress=progress)
            return Fetched(head, head.size, verified, None, headers)
        codec, size, sha = plan
        sink = VerifyingSink(out.write, f"s3://{bucket}/{key}", size, sha)
        writer: Any = _SinkWriter(sink) if codec.name == "none" else DecodingWriter(codec, sink, f"s3://{bucket}/{key}")
        if whole and answer is not None:
            fetch.feed(answer, writer.write, progress)
        else:
            download_to_stream(s3, head, writer, part_size=part_size, workers=ctx.workers, progress=progress)
        writer.close()
        return Fetched(head, sink.count, sink.verify(), codec.name if codec.name != "none" else None, headers)


class _SinkWriter:
    """A plain object's bytes straight into the VerifyingSink (no decoder in between)."""

    def __init__(self, sink: VerifyingSink) -> None:
        self.write = sink

    def close(self) -> None:
        pass


def _write_all(fd: int, data: bytes, target: Target) -> None:
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view):]
    except OSError as exc:
        raise E.LocalIOError(f"cannot write {target}: {exc.strerror}") from None


# ---------------------------------------------------------------------------------------- stat
def annotate(info: ObjectInfo, headers: Any) -> ObjectInfo:
    """Fill codec, original size, ratio, sha256 and encryption of an ObjectInfo from HEAD headers."""
    meta = user_metadata(headers)
    info.encryption = describe(headers)
    info.codec = meta.get(META_CODEC)
    info.sha256 = meta.get(META_SHA256)
    info.original_size = read_uint(meta.get(META_ORIGINAL_SIZE))  # not a number: unknown, as when absent
    if info.codec and info.original_size is not None and info.size:
        info.compression_ratio = round(info.original_size / info.size, 3)
    return info
