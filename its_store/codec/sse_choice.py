"""An upload's choice of server-side encryption (UploadSse, upload_sse) and what an answer's headers say of one
(describe): the part of codec/encryption.py that every upload runs, kept apart so that an upload that asks for
no encryption imports none of the rest (SSE-C keys, KeyedS3, refusals, bucket defaults: ~6.5M instructions).
codec/encryption.py offers every name here as before; an SSE-C key is resolved there, imported when one is
given or configured (codec/sse_keys.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from its_store.core import errors as E

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from its_store.codec.sse_keys import SseCKey
    from its_store.core.settings import Settings

SSE_HEADER = "x-amz-server-side-encryption"
SSE_C_ALGORITHM = "x-amz-server-side-encryption-customer-algorithm"
KEY_HINT = "give the key with --sse-c-key-file PATH, MINIO_SSE_C_KEY (base64) or MINIO_SSE_C_KEY_FILE"

# headers only a request carries: a HEAD that answers them back keeps the request's headers as metadata (rclone
# serve s3: x-amz-server-side-encryption: AES256 answered back, the file on its disk in clear)
ECHOED = frozenset({"x-amz-date", "x-amz-content-sha256"})
_LABELS = {"s3": "SSE-S3", "c": "SSE-C"}


class UploadSse:
    """The encryption of one upload: mode (none|s3|c), its request headers, and the SSE-C key. Not changed
    once made (a plain class, not a dataclass: its generated methods cost every upload ~2M to create)."""

    __slots__ = ("defaulted", "key", "mode")

    def __init__(self, mode: str, defaulted: bool, key: SseCKey | None = None) -> None:
        self.mode, self.defaulted, self.key = mode, defaulted, key

    def __repr__(self) -> str:
        return f"UploadSse(mode={self.mode!r}, defaulted={self.defaulted!r}, key={self.key!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, UploadSse):
            return NotImplemented
        return (self.mode, self.defaulted, self.key) == (other.mode, other.defaulted, other.key)

    def __hash__(self) -> int:
        return hash((self.mode, self.defaulted, self.key))

    @property
    def label(self) -> str | None:
        return _LABELS.get(self.mode)

    def headers(self) -> dict[str, str]:
        if self.mode == "s3":
            return {"X-Amz-Server-Side-Encryption": "AES256"}
        if self.mode == "c" and self.key is not None:
            return self.key.headers()
        return {}


def upload_sse(settings: Settings, mode: str | None, key: bytes | None = None,
               key_file: Path | None = None) -> UploadSse:
    """Decide an upload's encryption. Unset: SSE-C when a key is given or configured, else SSE-S3 when
    MINIO_ENABLE_ENCRYPTION=true, else none. A key with --sse none|s3 is a contradiction (exit 2)."""
    name = str(getattr(mode, "value", mode)).strip().lower() if mode is not None else None
    if name not in (None, "none", "s3", "c"):
        raise E.InvalidInputError(f"unknown --sse mode {mode!r}", hint="use none, s3 or c")
    explicit = key is not None or key_file is not None
    if explicit and name in ("none", "s3"):
        raise E.InvalidInputError(f"an SSE-C key was given with --sse {name}", hint="use --sse c, or drop the key")
    if name == "none" or name == "s3":
        return UploadSse(name, defaulted=False)
    sse_key = None
    if explicit or name == "c" or _configured(settings):
        from its_store.codec.sse_keys import resolve_key
        sse_key = resolve_key(settings, key, key_file)
    if name == "c" and sse_key is None:
        raise E.SseKeyRequiredError("--sse c needs a key", hint=KEY_HINT)
    if sse_key is not None:
        return UploadSse("c", defaulted=name is None, key=sse_key)
    return UploadSse("s3" if settings.enable_encryption else "none", defaulted=True)


def _configured(settings: Settings) -> bool:
    return bool((settings.sse_c_key and settings.sse_c_key.get_secret_value()) or settings.sse_c_key_file)


def describe(headers: Mapping[str, str] | None) -> str | None:
    """SSE-S3, SSE-KMS or SSE-C from HEAD response headers; None when the server reports none, or answers the
    request's own headers back (ECHOED): its SSE headers are then the upload's, kept as metadata, and say
    nothing of an encryption (`stat` of an rclone object said "SSE-S3")."""
    low = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
    return None if ECHOED.intersection(low) else describe_lower(low)


def describe_lower(low: Mapping[str, str]) -> str | None:
    """describe() of headers whose names are lower case already (s3 Headers)."""
    if SSE_C_ALGORITHM in low:
        return "SSE-C"
    value = low.get(SSE_HEADER, "").lower()
    if value.startswith("aws:kms"):
        return "SSE-KMS"
    return "SSE-S3" if value == "aes256" else None


def answered(answer_sse: dict[str, str]) -> str | None:
    """The encryption a write's answer names (its x-amz-server-side-encryption* headers), or None."""
    return describe_lower(answer_sse or {})
