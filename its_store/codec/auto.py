"""`auto` compression: whether an object is worth compressing, and why (Decision).

One concern: the rules (media and archives by magic bytes and content type are never re-compressed, tiny
objects are left alone, otherwise a fast zstd trial on the first SAMPLE bytes must save AUTO_MIN_SAVING).
Every name here is also importable from its_store.codec.compression, as before.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import cast

from its_store.codec.coders import _lib
from its_store.core.codecs import AUTO_CODEC

SAMPLE = 64 * 1024           # bytes sniffed and trial-compressed by `auto`
AUTO_MIN_SIZE = 1024         # `auto` leaves smaller objects alone: nothing worth saving
AUTO_MIN_SAVING = 0.10       # `auto` compresses only when the sample shrinks by at least 10%


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
