"""The names of the metadata codec/compression writes beside a stored object, and the reading of its custody
SHA-256, in one place that imports nothing heavy (s3, transfer and sync read them on hot paths without loading
pydantic through core/models, which re-exports the names, or the codecs through codec/compression)."""

from __future__ import annotations

from binascii import a2b_hex
from collections.abc import Mapping

META_CODEC = "its-codec"
META_ORIGINAL_SIZE = "its-original-size"
META_SHA256 = "its-sha256"
# x-amz-meta-its-codec as sent and as answered (lower-case): its its-sha256 is not of the bytes stored
CODEC_HEADER = "x-amz-meta-" + META_CODEC


def is_sha256(text: str) -> bool:
    """Whether `text` is a SHA-256 as its-store records it (its-sha256): 64 hex digits, any case. (binascii's
    a2b_hex takes exactly hex digits, no blank, sign or 0x: ~1.2K instructions a call under callgrind, where a
    generator over the characters takes several times that; this runs on every GET's answer.)"""
    if len(text) != 64:
        return False
    try:
        a2b_hex(text)
    except ValueError:  # binascii.Error (not hex), or a character that is no ASCII
        return False
    return True


def custody_sha256(meta: Mapping[str, str]) -> str | None:
    """The object's custody SHA-256 (its-sha256 metadata), None where it has none or the value is no SHA-256
    (another tool's metadata of that name): custody that cannot be read, never corruption. `get` then checks the
    object as one without custody, as `verify` does (docs/guides/evidence.md)."""
    sha = meta.get(META_SHA256)
    return sha if sha and is_sha256(sha) else None
