"""Codec registry (none, gzip, lz4, zstd), streaming compress/decompress, and the `auto` decision.

Everything streams in bounded memory: compression is a pull-style reader (upload_stream reads parts
from it), decompression a push-style writer (download_to_stream writes stored bytes into it) whose
output is produced in slices of at most OUT_SLICE bytes, so neither a multi-GB object nor a
decompression bomb is ever held in memory. The codec libraries (zlib, zstandard, lz4) are imported
on first use only (coders._lib): `import its_store.codec.compression` costs nothing.

An object we compressed carries x-amz-meta-its-codec, -its-original-size and -its-sha256 (of the
original bytes). No Content-Encoding header is set on purpose: HTTP clients (urllib3 included) would
then undo gzip on their own, which would break `get --raw` and double-decode.

Layout: this module is the streams around a codec (CompressingReader up, DecodingWriter and VerifyingSink
down, the one-shot compress_bytes/decompress_bytes, the recorded size that bounds a decoding); the codecs and
their registry are codec/coders.py, the `auto` decision codec/auto.py. All their names are importable here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

# The codecs (codec/coders.py) and the `auto` rules (codec/auto.py) live in their own modules; their names
# stay importable from here, as before (service/decoding.py, upload_plan.py, scrub.py, xcopy.py and the tests
# import them here). The `auto` rules on their first use: a download decodes, it never decides (~3.4M
# instructions of every `get`, callgrind).
if TYPE_CHECKING:
    from its_store.codec.auto import _TRIAL as _TRIAL
    from its_store.codec.auto import AUTO_MIN_SAVING as AUTO_MIN_SAVING
    from its_store.codec.auto import AUTO_MIN_SIZE as AUTO_MIN_SIZE
    from its_store.codec.auto import SAMPLE as SAMPLE
    from its_store.codec.auto import Decision as Decision
    from its_store.codec.auto import _trial as _trial
    from its_store.codec.auto import compressed_type as compressed_type
    from its_store.codec.auto import decide_auto as decide_auto
    from its_store.codec.auto import sniff as sniff
else:
    from its_store.core.lazy import lazy_names
    __getattr__ = lazy_names(globals(), dict.fromkeys(
        ("_TRIAL", "AUTO_MIN_SAVING", "AUTO_MIN_SIZE", "SAMPLE", "Decision", "_trial", "compressed_type",
         "decide_auto", "sniff"), "auto"), "its_store.codec")
from its_store.codec.coders import CODECS as CODECS
from its_store.codec.coders import OUT_SLICE as OUT_SLICE
from its_store.codec.coders import Codec as Codec
from its_store.codec.coders import Decoder as Decoder
from its_store.codec.coders import Encoder as Encoder
from its_store.codec.coders import get_codec as get_codec
from its_store.core import errors as E

# The flag checks live in core (core.models validates with them); re-exported for the codec's callers.
from its_store.core.codecs import CHUNK as CHUNK
from its_store.core.codecs import check_level as check_level
from its_store.core.codecs import resolve as resolve

# defined in core/models (a listing hides them without importing this codec); re-exported for its callers
from its_store.core.models import CODEC_META as CODEC_META
from its_store.core.models import META_CODEC as META_CODEC
from its_store.core.models import META_ORIGINAL_SIZE as META_ORIGINAL_SIZE
from its_store.core.models import META_SHA256 as META_SHA256
from its_store.core.streams import BinaryReader
from its_store.core.units import read_uint, shown


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
