"""SSE-C keys: 32 bytes read from a file or from MINIO_SSE_C_KEY (base64) / MINIO_SSE_C_KEY_FILE, never from
argv, held in an SseCKey whose repr hides them, and refused for an endpoint they would reach in clear. Apart
from codec/encryption.py (which offers these names as before) so that the choice of an upload's encryption
(codec/sse_choice.py) reads a key without importing the rest of it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from its_store.core import errors as E

if TYPE_CHECKING:
    from its_store.core.settings import Settings


class SseCKey:
    """A 32-byte SSE-C key. Its repr and str never show the key."""

    __slots__ = ("_key", "source")

    def __init__(self, key: bytes, source: str = "key") -> None:
        if len(key) != 32:
            raise E.InvalidInputError(f"SSE-C key from {source} must be 32 bytes, not {len(key)}")
        self._key, self.source = bytes(key), source

    def __repr__(self) -> str:
        return f"SseCKey(<32 bytes from {self.source}>)"

    __str__ = __repr__

    def headers(self) -> dict[str, str]:
        """The three SSE-C request headers (needed on PUT, UploadPart, HEAD and GET)."""
        return {
            "X-Amz-Server-Side-Encryption-Customer-Algorithm": "AES256",
            "X-Amz-Server-Side-Encryption-Customer-Key": base64.b64encode(self._key).decode(),
            "X-Amz-Server-Side-Encryption-Customer-Key-MD5":
                base64.b64encode(hashlib.md5(self._key, usedforsecurity=False).digest()).decode(),
        }


def parse_key(raw: bytes, source: str, error: type[E.ItsStoreError] = E.InvalidInputError) -> SseCKey:
    """32 raw bytes, or 44 characters of base64, or 64 hex digits (surrounding whitespace ignored)."""
    if len(raw) == 32:
        return SseCKey(raw, source)
    text = raw.strip()
    candidates = []
    try:
        candidates.append(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError):
        pass
    try:
        candidates.append(bytes.fromhex(text.decode("ascii")))
    except (ValueError, UnicodeDecodeError):
        pass
    for key in [*candidates, text]:
        if len(key) == 32:
            return SseCKey(key, source)
    raise error(f"SSE-C key from {source} is not 32 bytes (raw), 44 base64 characters or 64 hex digits",
                hint="make one with: head -c 32 /dev/urandom > sse-c.key && chmod 600 sse-c.key")


def read_key_file(path: Path, *, from_config: bool = False) -> SseCKey:
    """Read a key file; a missing file is 'not found' for a flag, a config error for MINIO_SSE_C_KEY_FILE.
    Through open_regular: a FIFO or device named as the key file is refused at once (read_bytes() would
    wait forever for a writer); a link the user named is followed. At most 4 KiB is read: a key is 64."""
    from its_store.core.files import open_regular
    source = "MINIO_SSE_C_KEY_FILE" if from_config else str(path)
    try:
        with open_regular(path, follow_symlinks=True) as fh:
            raw = fh.read(4097)
    except E.LocalFileNotFoundError:
        if from_config:
            raise E.ConfigError(f"MINIO_SSE_C_KEY_FILE: no such file: {path}") from None
        raise E.LocalFileNotFoundError(f"SSE-C key file not found: {path}") from None
    except (E.InvalidInputError, E.LocalIOError) as exc:  # not a regular file; unreadable
        if from_config:
            raise E.ConfigError(f"MINIO_SSE_C_KEY_FILE: {exc.message}") from None
        raise type(exc)(f"SSE-C key file: {exc.message}") from None
    except OSError as exc:  # a read error of the opened file
        err = E.ConfigError if from_config else E.LocalIOError
        raise err(f"cannot read SSE-C key file {path}: {exc.strerror}") from None
    return parse_key(raw, source, E.ConfigError if from_config else E.InvalidInputError)


def resolve_key(settings: Settings, key: bytes | None = None, key_file: Path | None = None) -> SseCKey | None:
    """The SSE-C key to use: explicit key > explicit file > MINIO_SSE_C_KEY > MINIO_SSE_C_KEY_FILE; refused
    for an endpoint it would reach in clear (require_tls_for_key). Every command and library call that
    sends a key (upload, get, stat, verify, cp between endpoints) takes it from here, before any request."""
    found = _resolve_key(settings, key, key_file)
    if found is not None:
        require_tls_for_key(settings)
    return found


def given_key(settings: Settings, given: bytes | Path | None) -> SseCKey | None:
    """resolve_key for a key given either way (a move's checks of its source, service/decoding.stat_given_key:
    the key its copy or download was read with): its bytes (the library's `sse_c_key`) or
    its file (`sse_c_key_file`); None: the settings'."""
    if isinstance(given, (bytes, bytearray)):
        return resolve_key(settings, key=bytes(given))
    return resolve_key(settings, key_file=given)


def require_tls_for_key(settings: Settings) -> None:
    """ConfigError (exit 78) when the endpoint of `settings` is plain http and what requests reach first is not
    this machine: an SSE-C key travels in a header of every PUT, part, HEAD and GET, so over http anyone on
    the path reads it, and with it the data it protects (AWS, MinIO and mc refuse it too). A loopback
    endpoint (127.0.0.0/8, ::1, `localhost`) is allowed, unless requests go through an HTTP proxy (HTTP_PROXY,
    a remote's own proxy: Settings.proxy) that is not loopback too: the request, key included, then crosses
    the network to the proxy in clear. (Over https a proxy only tunnels: CONNECT, the key stays encrypted.)"""
    from its_store.core.netloc import is_loopback
    if settings.secure:
        return
    proxy = settings.proxy()
    if is_loopback(settings.endpoint) and (proxy is None or is_loopback(_proxy_netloc(proxy))):
        return
    via = "" if proxy is None else " to the proxy requests go through"
    raise E.ConfigError("SSE-C needs an https endpoint: the key would travel in clear" + via,
                        hint=f"use https://{settings.endpoint} (MINIO_SECURE=true), or no SSE-C key with this "
                             "endpoint" + ("" if proxy is None else " (or NO_PROXY naming it)") + "; nothing was sent")


def _proxy_netloc(url: str) -> str:
    """host[:port] of a proxy URL (no user info)."""
    from urllib.parse import urlsplit
    return urlsplit(url).netloc.rpartition("@")[2]


def _resolve_key(settings: Settings, key: bytes | None, key_file: Path | None) -> SseCKey | None:
    if key is not None:
        return parse_key(bytes(key), "the request")
    if key_file is not None:
        return read_key_file(Path(key_file))
    if settings.sse_c_key is not None and settings.sse_c_key.get_secret_value():
        return parse_key(settings.sse_c_key.get_secret_value().encode(), "MINIO_SSE_C_KEY", E.ConfigError)
    if settings.sse_c_key_file is not None:
        return read_key_file(settings.sse_c_key_file, from_config=True)
    return None
