"""Custody hashes read back: an x-amz-meta-its-sha256 value is custody only when it is one (64 hex digits).

Its own module, imported by the reads that check it (get, copies between endpoints, verify, sync's records),
after the s3 layer has loaded binascii (base64): `--help` and the commands that read no object load nothing
for it."""

from __future__ import annotations

from binascii import a2b_hex


def is_sha256(text: str) -> bool:
    """Whether `text` is a SHA-256 as its-store records it in its-sha256: 64 hex digits (any case). Another
    tool's metadata of that name ("md5:...", a bare MD5) is no custody: never called corruption, the bytes
    are checked another way (the MD5 ETag, the server's CRC32), as for an object without it. (binascii's
    a2b_hex takes exactly hex digits, no blank, sign or 0x: ~1.2K instructions a call under callgrind, where
    str.strip of the hex digits took ~7.3K; this runs on every GET's answer.)"""
    if len(text) != 64:
        return False
    try:
        a2b_hex(text)
    except ValueError:  # binascii.Error (not hex), or a character that is no ASCII
        return False
    return True


def custody_sha256(value: str | None) -> str | None:
    """An its-sha256 value when it is one (is_sha256), else None: the custody hash a read may check."""
    return value if value and is_sha256(value) else None
