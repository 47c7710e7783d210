"""The codecs themselves (none, gzip, lz4, zstd): a streaming encoder and a bounded-output decoder for each
codec library, and the registry of them (CODECS, get_codec()).

One concern: how each library is driven (zlib's wbits, lz4's frame begin, zstandard's stream writer, the
checksums each frame carries, the largest slice a decoder emits at once: OUT_SLICE). What is compressed,
hashed and verified around them is codec/compression.py; whether to compress at all, codec/auto.py. The
libraries are imported on first use only (_lib). Every name here is also importable from
its_store.codec.compression, as before.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import IO, Protocol, cast

from its_store.core import errors as E
from its_store.core.codecs import LEVELS, CodecLevels, unknown_compression
from its_store.core.models import META_CODEC

OUT_SLICE = 1024 * 1024      # largest decompressed slice produced at once


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
