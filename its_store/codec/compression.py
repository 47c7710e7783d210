"""Codec registry (none, gzip, lz4, zstd), streaming compress/decompress, and the `auto` decision.

Everything streams in bounded memory: compression is a pull-style reader (upload_stream reads parts
from it), decompression a push-style writer (download_to_stream writes stored bytes into it) whose
output is produced in slices of at most OUT_SLICE bytes, so neither a multi-GB object nor a
decompression bomb is ever held in memory. The codec libraries (zlib, zstandard, lz4) are imported
on first use only (_lib): `import its_store.codec.compression` costs nothing.

An object we compressed carries x-amz-meta-its-codec, -its-original-size and -its-sha256 (of the
original bytes). No Content-Encoding header is set on purpose: HTTP clients (urllib3 included) would
then undo gzip on their own, which would break `get --raw` and double-decode.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import IO, Protocol, cast

from its_store.core import errors as E
from its_store.core.codecs import AUTO_CODEC, LEVELS, CodecLevels, unknown_compression

# The flag checks live in core (core.models validates with them); re-exported for the codec's callers.
from its_store.core.codecs import check_level as check_level
from its_store.core.codecs import resolve as resolve

# defined in core/models (a listing hides them without importing this codec); re-exported for its callers
from its_store.core.models import CODEC_META as CODEC_META
from its_store.core.models import META_CODEC as META_CODEC
from its_store.core.models import META_ORIGINAL_SIZE as META_ORIGINAL_SIZE
from its_store.core.models import META_SHA256 as META_SHA256
from its_store.core.streams import BinaryReader
from its_store.core.units import read_uint, shown

CHUNK = 1024 * 1024          # input read size while compressing
OUT_SLICE = 1024 * 1024      # largest decompressed slice produced at once
SAMPLE = 64 * 1024           # bytes sniffed and trial-compressed by `auto`
AUTO_MIN_SIZE = 1024         # `auto` leaves smaller objects alone: nothing worth saving
AUTO_MIN_SAVING = 0.10       # `auto` compresses only when the sample shrinks by at least 10%


class Encoder(Protocol):
    def compress(self, data: bytes) -> bytes: ...
    def flush(self) -> bytes: ...


class Decoder(Protocol):
    def write(self, data: bytes) -> None: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class Codec(CodecLevels):
    """A codec: its levels (core.codecs) and factories for a streaming encoder and decoder."""

    encoder: Callable[[int], Encoder]
    decoder: Callable[[Callable[[bytes], None]], Decoder]


class _Decompressor(Protocol):
    """zlib's decompressobj and lz4's LZ4FrameDecompressor (untyped), as _ZlibLikeDecoder uses them."""

    @property
    def eof(self) -> bool: ...
    @property
    def unused_data(self) -> bytes: ...
    def decompress(self, data: bytes, max_length: int = ..., /) -> bytes: ...


class _Lz4Decompressor(_Decompressor, Protocol):
    @property
    def needs_input(self) -> bool: ...


class _Lz4Compressor(Protocol):
    """lz4.frame.LZ4FrameCompressor (untyped), as _Lz4Encoder uses it."""

    def begin(self) -> bytes: ...
    def compress(self, data: bytes) -> bytes: ...
    def flush(self) -> bytes: ...


@functools.cache
def _lib(name: str) -> ModuleType:
    """zlib, lz4.frame or zstandard: imported by the first object that needs it (never at start-up), then
    reached without an import statement per object (in Python 3.11 each costs ~1 us: a batch of small
    compressed objects paid one or two per object)."""
    return importlib.import_module(name)


# ------------------------------------------------------------------------------------------ gzip
class _GzipEncoder:
    def __init__(self, level: int) -> None:
        zlib = _lib("zlib")
        self._z = zlib.compressobj(level, zlib.DEFLATED, 31)  # wbits 31: gzip container

    def compress(self, data: bytes) -> bytes:
        return cast(bytes, self._z.compress(data))  # (the module comes untyped from _lib)

    def flush(self) -> bytes:
        return cast(bytes, self._z.flush())


class _ZlibLikeDecoder:
    """Bounded-output decoder for zlib's and lz4's decompressobj style; concatenated members allowed."""

    def __init__(self, sink: Callable[[bytes], None], factory: Callable[[], _Decompressor]) -> None:
        self._sink, self._factory = sink, factory
        self._d = factory()
        self._fed = False

    def write(self, data: bytes) -> None:
        while data:
            if self._d.eof:  # a new member / frame follows
                self._d = self._factory()
            self._fed = True
            data = self._drain(data)

    def _drain(self, data: bytes) -> bytes:
        """Feed `data`, emitting output in slices; return what belongs to the next member."""
        while True:
            out = self._d.decompress(data, OUT_SLICE)
            if out:
                self._sink(out)
            data = self._pending_input()
            if self._d.eof:
                return self._d.unused_data
            if not data and not self._more_output(out):
                return b""

    def _pending_input(self) -> bytes:
        return getattr(self._d, "unconsumed_tail", b"")

    def _more_output(self, out: bytes) -> bool:
        return len(out) >= OUT_SLICE

    def close(self) -> None:
        if self._fed and not self._d.eof:
            raise E.IntegrityError("compressed data is truncated (the stream ended early)")


class _Lz4Decoder(_ZlibLikeDecoder):
    _d: _Lz4Decompressor

    def _pending_input(self) -> bytes:
        return b""  # lz4 keeps unconsumed input internally

    def _more_output(self, out: bytes) -> bool:
        return not self._d.needs_input


def _gzip_decoder(sink: Callable[[bytes], None]) -> Decoder:
    zlib = _lib("zlib")
    return _ZlibLikeDecoder(sink, lambda: zlib.decompressobj(31))


# ------------------------------------------------------------------------------------------- lz4
class _Lz4Encoder:
    def __init__(self, level: int) -> None:
        self._c: _Lz4Compressor = _lib("lz4.frame").LZ4FrameCompressor(compression_level=level, content_checksum=True)
        self._started = False

    def _begin(self) -> bytes:
        if self._started:
            return b""
        self._started = True
        return self._c.begin()

    def compress(self, data: bytes) -> bytes:
        return self._begin() + self._c.compress(data)

    def flush(self) -> bytes:
        return self._begin() + self._c.flush()


def _lz4_decoder(sink: Callable[[bytes], None]) -> Decoder:
    return _Lz4Decoder(sink, _lib("lz4.frame").LZ4FrameDecompressor)


# ------------------------------------------------------------------------------------------ zstd
class _ZstdEncoder:
    def __init__(self, level: int) -> None:
        self._c = _lib("zstandard").ZstdCompressor(level=level, write_checksum=True).compressobj()

    def compress(self, data: bytes) -> bytes:
        return cast(bytes, self._c.compress(data))  # (the module comes untyped from _lib)

    def flush(self) -> bytes:
        return cast(bytes, self._c.flush())


class _SinkFile:
    """The minimal file interface zstandard's stream_writer writes its output into."""

    def __init__(self, sink: Callable[[bytes], None]) -> None:
        self._sink = sink

    def write(self, data: bytes) -> int:
        self._sink(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass


class _ZstdDecoder:
    def __init__(self, sink: Callable[[bytes], None]) -> None:
        self._zstd = zstandard = _lib("zstandard")
        sink_file = cast("IO[bytes]", _SinkFile(sink))  # zstandard's stub asks IO[bytes]; it calls write() only
        self._w = zstandard.ZstdDecompressor().stream_writer(sink_file, write_size=OUT_SLICE, closefd=False)

    def write(self, data: bytes) -> None:
        try:
            self._w.write(data)
        except self._zstd.ZstdError as exc:
            raise E.IntegrityError(f"corrupt zstd data: {exc}") from None

    def close(self) -> None:
        self._w.close()


# ------------------------------------------------------------------------------------------ none
class _Identity:
    def __init__(self, _level: int = 0, sink: Callable[[bytes], None] | None = None) -> None:
        self._sink = sink

    def compress(self, data: bytes) -> bytes:
        return data

    def flush(self) -> bytes:
        return b""

    def write(self, data: bytes) -> None:
        if self._sink is not None:
            self._sink(data)

    def close(self) -> None:
        pass


_CODING: dict[str, tuple[Callable[[int], Encoder], Callable[[Callable[[bytes], None]], Decoder]]] = {
    "none": (_Identity, lambda sink: _Identity(0, sink)),
    "gzip": (_GzipEncoder, _gzip_decoder),
    "lz4": (_Lz4Encoder, _lz4_decoder),
    "zstd": (_ZstdEncoder, _ZstdDecoder),
}
CODECS: dict[str, Codec] = {name: Codec(lv.name, lv.levels, lv.default_level, *_CODING[name])
                            for name, lv in LEVELS.items()}


def recorded_size(meta: Mapping[str, str], codec: str, where: str) -> int | None:
    """The original size recorded with an object stored through `codec` (its name as stored): what bounds
    its decoding (VerifyingSink stops one byte past it). its-store always records it; a compressed object
    without a valid one is refused (IntegrityError), by `get` and by `verify` alike: 2 KB of zstd would
    write 64 MB to the local disk (a 1 MB object, ~30 GB) before a sha256 could refuse it."""
    size = read_uint(meta.get(META_ORIGINAL_SIZE))
    if codec != "none" and size is None:
        raise E.IntegrityError(f"{where} is stored with codec {shown(codec)} but no valid recorded original size "
                               f"({META_ORIGINAL_SIZE} metadata): not decoded, its size would have no bound",
                               hint="fetch the stored bytes as they are with `get --raw`")
    return size


def get_codec(name: str, *, stored: bool = False, where: str = "") -> Codec:
    """The codec called `name`. Unknown: a usage error for a flag, an UnknownCodecError for metadata."""
    codec = CODECS.get(str(name).strip().lower())
    if codec is not None:
        return codec
    if stored:
        raise E.UnknownCodecError(
            f"{where or 'the object'} is stored with unknown codec {name!r} ({META_CODEC} metadata)",
            hint="fetch the stored bytes as they are with `its-store get --raw`")
    raise unknown_compression(name)


def compress_bytes(data: bytes, codec: Codec, level: int) -> bytes:
    """One-shot compression of a buffer already in memory (small uploads)."""
    enc = codec.encoder(level)
    return enc.compress(data) + enc.flush()


def decompress_bytes(data: bytes, codec: Codec) -> bytes:
    """One-shot decompression (tests, small buffers). Streaming callers use codec.decoder()."""
    parts: list[bytes] = []
    dec = DecodingWriter(codec, parts.append, "buffer")
    dec.write(data)
    dec.close()
    return b"".join(parts)


# --------------------------------------------------------------------------------- streaming up
class CompressingReader:
    """A read()-able view of `source` compressed with `codec`; hashes and counts the original bytes.

    Memory: one input CHUNK plus what the caller asks for. When `expect` (size, sha256 hex) is given,
    reaching the end of `source` with different bytes raises LocalIOError *before* the final read
    returns, so the upload using this reader is aborted instead of completed (file changed meanwhile).
    """

    def __init__(self, source: BinaryReader, codec: Codec, level: int, *,
                 progress: Callable[[int], None] | None = None, expect: tuple[int, str] | None = None,
                 prefix: bytes = b"", name: str = "input") -> None:
        self._src, self._enc = source, codec.encoder(level)
        self._prefix, self._buf, self._eof = prefix, bytearray(), False
        self._progress, self._expect, self._name = progress, expect, name
        self.sha256 = hashlib.sha256()
        self.bytes_in = 0
        self.bytes_out = 0

    def read(self, size: int = -1) -> bytes:
        while (size < 0 or len(self._buf) < size) and not self._eof:
            self._fill()
        n = len(self._buf) if size < 0 else min(size, len(self._buf))
        out = bytes(self._buf[:n])
        del self._buf[:n]
        self.bytes_out += n
        return out

    def _fill(self) -> None:
        chunk, self._prefix = (self._prefix, b"") if self._prefix else (self._src.read(CHUNK), b"")
        if not chunk:
            self._buf += self._enc.flush()
            self._eof = True
            self._check()
            return
        self.sha256.update(chunk)
        self.bytes_in += len(chunk)
        if self._progress is not None:
            self._progress(len(chunk))
        self._buf += self._enc.compress(chunk)

    def _check(self) -> None:
        if self._expect is None:
            return
        size, digest = self._expect
        if self.bytes_in != size or self.sha256.hexdigest() != digest:
            from its_store.core.files import changed_while_uploaded
            raise changed_while_uploaded(self._name)


# ------------------------------------------------------------------------------- streaming down
class VerifyingSink:
    """Receives decompressed bytes: hashes, counts, refuses to grow past the recorded original size."""

    def __init__(self, write: Callable[[bytes], object], where: str, size: int | None,
                 sha256: str | None) -> None:
        self._write, self._where, self._size, self._sha = write, where, size, sha256
        self.digest = hashlib.sha256()
        self.count = 0

    def __call__(self, data: bytes) -> None:
        self.count += len(data)
        if self._size is not None and self.count > self._size:
            raise E.IntegrityError(f"{self._where} decompresses to more than its recorded size "
                                   f"({self._size} bytes)", hint="the stored data is corrupt; try `get --raw`")
        self.digest.update(data)
        self._write(data)

    def verify(self) -> bool:
        """Raise IntegrityError if size or sha256 differ from the metadata. True if a checksum was checked."""
        if self._size is not None and self.count != self._size:
            raise E.IntegrityError(f"size mismatch for {self._where}: expected {self._size} bytes, "
                                   f"got {self.count}", hint="the local file was left untouched; retry")
        if self._sha:
            got = self.digest.hexdigest()
            if got != self._sha.lower():
                raise E.IntegrityError(f"sha256 mismatch for {self._where}: expected {self._sha}, got {got}",
                                       hint="the local file was left untouched; retry the download")
            return True
        return False


class _SinkFailed(Exception):  # a carrier, never seen outside DecodingWriter
    """What the sink raised, carried through the codec library unchanged (see DecodingWriter)."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(error)
        self.error = error


class DecodingWriter:
    """The write()-able object download_to_stream writes stored bytes into: decodes into a sink.

    Only the codec's own failures are the stored data's ("cannot decompress", IntegrityError, exit 4). What
    the sink raises (stdout's reader gone: BrokenPipeError; a full disk; its own checks) passes as it is:
    `get KEY.zst - | head` said "the stored data is corrupt" (exit 4) when head stopped reading."""

    def __init__(self, codec: Codec, sink: Callable[[bytes], None], where: str) -> None:
        def guarded(data: bytes) -> None:
            try:
                sink(data)
            except Exception as exc:  # carried out of the codec library, re-raised as it was
                raise _SinkFailed(exc) from exc
        self._dec, self._where = codec.decoder(guarded), where

    def write(self, data: bytes) -> int:
        try:
            self._dec.write(bytes(data))
        except _SinkFailed as failed:
            raise failed.error from None
        except E.ItsStoreError as exc:  # a decoder's own (corrupt zstd data: ...): named by the object
            raise E.IntegrityError(f"{self._where}: {exc.message}",
                                   hint=exc.hint or "the stored data is corrupt; fetch it as is with `get --raw`"
                                   ) from None
        except Exception as exc:  # noqa: BLE001 - codec libraries raise their own error types
            raise E.IntegrityError(f"cannot decompress {self._where}: {type(exc).__name__}: {exc}",
                                   hint="the stored data is corrupt; fetch it as is with `get --raw`") from None
        return len(data)

    def close(self) -> None:
        try:
            self._dec.close()
        except _SinkFailed as failed:
            raise failed.error from None
        except E.ItsStoreError as exc:
            raise E.IntegrityError(f"{self._where}: {exc.message}", hint=exc.hint) from None
        except Exception as exc:  # noqa: BLE001
            raise E.IntegrityError(f"cannot decompress {self._where}: {exc}") from None


# ------------------------------------------------------------------------------------ auto rules
_MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\xff\xd8\xff", "JPEG"),
    (0, b"\x89PNG\r\n\x1a\n", "PNG"),
    (0, b"GIF8", "GIF"),
    (4, b"ftyp", "MP4/MOV/HEIF"),
    (0, b"\x1a\x45\xdf\xa3", "Matroska/WebM"),
    (0, b"\x00\x00\x00\x01", "H.264/H.265 stream"),
    (0, b"\x00\x00\x01\xba", "MPEG-PS"),
    (0, b"PK\x03\x04", "zip"),
    (0, b"PK\x05\x06", "zip"),
    (0, b"\x1f\x8b", "gzip"),
    (0, b"\x28\xb5\x2f\xfd", "zstd"),
    (0, b"\x04\x22\x4d\x18", "lz4"),
    (0, b"BZh", "bzip2"),
    (0, b"\xfd7zXZ\x00", "xz"),
    (0, b"7z\xbc\xaf\x27\x1c", "7z"),
    (0, b"Rar!\x1a\x07", "rar"),
    (0, b"ID3", "MP3"),
    (0, b"OggS", "Ogg"),
    (0, b"fLaC", "FLAC"),
)
_COMPRESSED_TYPES = {
    "application/zip", "application/gzip", "application/x-gzip", "application/zstd", "application/x-zstd",
    "application/x-lz4", "application/x-bzip2", "application/x-xz", "application/x-7z-compressed",
    "application/x-rar-compressed", "application/vnd.rar", "application/java-archive",
}
_UNCOMPRESSED_MEDIA = {"image/svg+xml", "image/bmp", "image/x-ms-bmp", "image/tiff", "audio/wav",
                       "audio/x-wav", "image/x-portable-pixmap", "image/x-portable-graymap"}


def sniff(sample: bytes) -> str | None:
    """The already-compressed format `sample` starts with (JPEG, PNG, zip...), or None."""
    for offset, magic, name in _MAGIC:
        if sample[offset:offset + len(magic)] == magic:
            return name
    if sample[:4] == b"RIFF" and sample[8:12] in (b"WEBP", b"AVI "):
        return "WebP" if sample[8:12] == b"WEBP" else "AVI"
    if sample[:3] == b"\x00\x00\x01" and len(sample) > 3 and sample[3] in (0x09, 0x67, 0x68, 0x40, 0x42, 0x46):
        return "H.264/H.265 stream"
    return None


def compressed_type(content_type: str | None) -> bool:
    """True for content types that are already compressed (images, video, audio, archives)."""
    base = (content_type or "").split(";", 1)[0].strip().lower()
    if base in _UNCOMPRESSED_MEDIA:
        return False
    return base in _COMPRESSED_TYPES or base.split("/", 1)[0] in ("image", "video", "audio")


@dataclass(frozen=True)
class Decision:
    """Which codec `auto` picked, and why (shown with --verbose and kept for tests)."""

    codec: str
    reason: str


_TRIAL = threading.local()  # each thread's level-1 zstd compressor for decide_auto's trial


def _trial(sample: bytes) -> bytes:
    """`sample` compressed as compress_bytes(sample, CODECS["zstd"], 1) compresses it (the same frame: level 1,
    checksum, no content size), by a compressor kept per thread: a new one allocates and clears its context
    (~70 % of a 64 KiB trial), which every file of a batch paid. compressobj() starts a new frame from a
    reset context; a ZstdCompressor is not for two threads at once, so each thread has its own."""
    made = getattr(_TRIAL, "zstd", None)
    if made is None:
        made = _TRIAL.zstd = _lib("zstandard").ZstdCompressor(level=1, write_checksum=True)
    obj = made.compressobj()
    return cast(bytes, obj.compress(sample) + obj.flush())


def decide_auto(sample: bytes, content_type: str | None, size: int | None) -> Decision:
    """`auto`: never re-compress media or archives (by magic bytes, then by content type); skip tiny
    objects; otherwise compress with zstd when a fast trial on the first 64 KiB saves >= 10%.

    The trial keeps text, JSON, CSV, logs, YAML and model configs compressed and leaves random or
    encrypted payloads (and float weights that barely shrink) as they are, whatever their name says.
    """
    found = sniff(sample)
    if found:
        return Decision("none", f"already compressed ({found} magic bytes)")
    if compressed_type(content_type):
        return Decision("none", f"already compressed (content type {content_type})")
    if size is not None and size < AUTO_MIN_SIZE:
        return Decision("none", f"too small to gain ({size} bytes)")
    trial = _trial(sample[:SAMPLE])
    if len(trial) > len(sample[:SAMPLE]) * (1 - AUTO_MIN_SAVING):
        return Decision("none", "incompressible (trial on the first 64 KiB saved under 10%)")
    return Decision(AUTO_CODEC, f"compressible ({len(sample[:SAMPLE])} -> {len(trial)} bytes in the trial)")
