"""Server-side encryption: SSE-S3 and SSE-C request headers, SSE-C keys, refusals, bucket defaults.

SSE-C keys are 32 bytes read from a file or from MINIO_SSE_C_KEY (base64) / MINIO_SSE_C_KEY_FILE,
never from argv. A key lives in an SseCKey whose repr hides it; it leaves this process only in the
SSE-C request headers. No minio import here: the headers are plain S3 headers, and s3/client.py sends them.

Servers differ in how they refuse: MinIO without a KMS answers SSE-S3 with 501 NotImplemented, an
SSE-C object read without its key gives 400 (HEAD: no body, but the SSE-C algorithm header), a wrong
key gives 403; Ceph's RADOS Gateway refuses any SSE over plain HTTP (rgw_crypt_require_ssl, on by
default) with a bare 400 InvalidRequest, no message. These become one-line errors with a hint (see
explain_*). A server that takes the header and does not encrypt is caught after the write
(service/ssecheck.py).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from its_store.core import errors as E

if TYPE_CHECKING:
    from collections.abc import Mapping

    from its_store.codec.bucket_encryption import BucketEncryption as BucketEncryption
    from its_store.core.settings import Settings
    from its_store.s3.client import Body, ObjectStat, S3Client
    from its_store.s3.messages import Written
else:  # BucketEncryption is still offered here (codec/bucket_encryption.py), created on its first use
    from its_store.core.lazy import lazy_names
    __getattr__ = lazy_names(globals(), {"BucketEncryption": "bucket_encryption"}, "its_store.codec")

SSE_HEADER = "x-amz-server-side-encryption"
SSE_C_ALGORITHM = "x-amz-server-side-encryption-customer-algorithm"
KEY_HINT = "give the key with --sse-c-key-file PATH, MINIO_SSE_C_KEY (base64) or MINIO_SSE_C_KEY_FILE"
_REFUSAL_CODES = {"NotImplemented", "KMS.NotConfigured", "KMSNotConfigured", "InvalidEncryptionMethod",
                  "InvalidEncryptionAlgorithmError", "ServerSideEncryptionConfigurationNotFoundError",
                  "InsecureSSECustomerRequest", "XMinioKMSNotConfigured"}


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
    """resolve_key for a key given either way (a move's checks of its source, service/xmove.py and
    delete_guard.py: the key its copy or download was read with): its bytes (the library's `sse_c_key`) or
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


@dataclass(frozen=True)
class UploadSse:
    """The encryption of one upload: mode (none|s3|c), its request headers, and the SSE-C key."""

    mode: str
    defaulted: bool
    key: SseCKey | None = None

    @property
    def label(self) -> str | None:
        return {"s3": "SSE-S3", "c": "SSE-C"}.get(self.mode)

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
    sse_key = resolve_key(settings, key, key_file) if (explicit or name == "c" or _configured(settings)) else None
    if name == "c" and sse_key is None:
        raise E.SseKeyRequiredError("--sse c needs a key", hint=KEY_HINT)
    if sse_key is not None:
        return UploadSse("c", defaulted=name is None, key=sse_key)
    return UploadSse("s3" if settings.enable_encryption else "none", defaulted=True)


def _configured(settings: Settings) -> bool:
    return bool((settings.sse_c_key and settings.sse_c_key.get_secret_value()) or settings.sse_c_key_file)


# headers only a request carries: a HEAD that answers them back keeps the request's headers as metadata (rclone
# serve s3: x-amz-server-side-encryption: AES256 answered back, the file on its disk in clear)
ECHOED = frozenset({"x-amz-date", "x-amz-content-sha256"})


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


# -------------------------------------------------------------------------------- S3 with a key
class KeyedS3:
    """An S3Client that adds the SSE-C key to object reads, part uploads and the HEAD that reads back a
    Complete whose answer was lost (or NoSuchUpload); the rest is delegated.

    Handed to transfer/ in place of the client, so the transfer engine needs no notion of SSE-C.
    """

    def __init__(self, s3: S3Client, key: SseCKey) -> None:
        self._s3, self._headers = s3, key.headers()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._s3, name)

    def get(self, bucket: str, key: str, offset: int = 0, length: int = 0,
            version_id: str | None = None) -> Body:
        return self._s3.get(bucket, key, offset=offset, length=length, version_id=version_id,
                            headers=self._headers)

    def stat(self, bucket: str, key: str, version_id: str | None = None) -> ObjectStat:
        return self._s3.stat(bucket, key, version_id, headers=self._headers)

    def upload_part(self, bucket: str, key: str, upload_id: str, number: int, data: bytes, *,
                    sha256: str | None = None) -> str:
        return self._s3.upload_part(bucket, key, upload_id, number, data, headers=self._headers, sha256=sha256)

    def complete_multipart(self, bucket: str, key: str, upload_id: str, etags: list[str],
                           custody: tuple[str, int] | None = None, head: dict[str, str] | None = None) -> Written:
        """The client's, its read-back HEAD (a lost or NoSuchUpload answer) carrying the key: without it the
        server refuses that HEAD and an object made whole is reported not found."""
        return self._s3.complete_multipart(bucket, key, upload_id, etags, custody, head or self._headers)


# --------------------------------------------------------------------------------- explanations
def _s3_cause(exc: BaseException) -> tuple[str, str, dict[str, str]]:
    """(S3 error code, message, lower-case response headers) the s3 seam kept on `exc`, if any."""
    return (getattr(exc, "s3_code", ""), getattr(exc, "s3_message", ""), dict(getattr(exc, "s3_headers", {}) or {}))


def explain_read_error(exc: E.ItsStoreError, bucket: str, key: str, *, keyed: bool = False,
                       version_id: str | None = None, listed: Callable[[], bool] | None = None) -> E.ItsStoreError:
    """Turn a refused HEAD/GET of an SSE-C object read without its key into SseKeyRequiredError.

    Proof is the SSE-C header on the error answer (SeaweedFS) or a message about the customer key.
    A bare 400 on a HEAD (MinIO gives no body) is SSE-C too unless a version id was given, which a
    server may also refuse with 400 (then the original error only gains a hint), or `listed()` (asked
    only then) says no such object is listed: a server also answers a key it cannot hold with a bare
    400 (rclone: `a//b.txt`), and an object that is not there is encrypted with nothing."""
    if keyed or isinstance(exc, (E.NotFoundError, E.ServiceUnavailableError)):
        return exc
    code, message, headers = _s3_cause(exc)
    where = f"s3://{bucket}/{key}"
    if SSE_C_ALGORITHM in headers or "customer" in message.lower():
        return E.SseKeyRequiredError(f"{where} is encrypted with SSE-C: its key is needed", hint=KEY_HINT)
    if code in ("BadRequest", "InvalidRequest"):
        if version_id is None and (listed is None or listed()):
            return E.SseKeyRequiredError(f"the server refused to read {where} ({code}); it is probably "
                                         "encrypted with SSE-C and needs its key", hint=KEY_HINT)
        exc.hint = exc.hint or f"check the version id; if the object is encrypted with SSE-C, {KEY_HINT}"
    return exc


def key_mismatch(bucket: str, key: str) -> E.SseKeyMismatchError:
    return E.SseKeyMismatchError(f"the SSE-C key does not match s3://{bucket}/{key}",
                                 hint="use the key the object was uploaded with")


PLAIN_HTTP_REFUSAL = "refused over plain HTTP"


def _refusal(exc: E.ItsStoreError, *, plain_http: bool = False) -> str | None:
    """'CODE: message' when `exc` is a server refusing encryption (no KMS, SSE-C over HTTP...).

    `plain_http`: the request went without TLS, where radosgw refuses SSE with a bare InvalidRequest (no
    message at all); on a request that asked for SSE that bare code is the refusal, said as such."""
    if isinstance(exc, (E.NotFoundError, E.AccessDeniedError, E.LocalIOError, E.ServiceUnavailableError,
                        E.BadAnswerError)):
        return None  # not a refusal: no server, or an answer that is no answer (its message may name the call)
    code, message, _ = _s3_cause(exc)
    if plain_http and code == "InvalidRequest" and message.strip() in ("", code):
        return f"{code}: {PLAIN_HTTP_REFUSAL}"
    text = f"{code} {message} {exc.message}".lower()
    if code in _REFUSAL_CODES or any(word in text for word in ("encrypt", "kms", "sse")):
        return f"{code}: {message}" if code else exc.message
    return None


def explain_write_error(exc: E.ItsStoreError, sse: UploadSse, where: str, *,
                        plain_http: bool = False) -> E.ItsStoreError:
    """A server refusing the encryption we asked for becomes EncryptionUnsupportedError with a hint.
    `plain_http`: the endpoint is http:// (MINIO_SECURE=false)."""
    detail = _refusal(exc, plain_http=plain_http) if sse.mode != "none" else None
    if detail is None:
        return exc
    if PLAIN_HTTP_REFUSAL in detail:
        hint = ("this server takes server-side encryption over HTTPS only: use an https:// MINIO_ENDPOINT "
                "(MINIO_SECURE=true)" + (", or set MINIO_ENABLE_ENCRYPTION=false (or pass --sse none) to store "
                                         "without it" if sse.defaulted else ", or upload with --sse none"))
    elif "insecure" in detail.lower() or (sse.mode == "c" and "secure" in detail.lower()):
        hint = "SSE-C needs HTTPS: use an https:// MINIO_ENDPOINT (MINIO_SECURE=true)"
    elif sse.defaulted:
        hint = ("set MINIO_ENABLE_ENCRYPTION=false (or pass --sse none) to store without server-side "
                "encryption, or configure a KMS on the server")
    else:
        hint = "configure a KMS on the server, or upload with --sse none or --sse c"
    return E.EncryptionUnsupportedError(f"the server refused {sse.label} encryption for {where} ({detail})",
                                        hint=hint)


# ------------------------------------------------------------------------ bucket default (SSE)
# BucketEncryption (codec/bucket_encryption.py): built by the first of these, not by every download's import


def _require_bucket(s3: S3Client, bucket: str) -> None:
    """Some servers answer 'no encryption config' for a bucket that does not exist: ask first."""
    from its_store.core.refs import validate_bucket
    validate_bucket(bucket)
    if not s3.bucket_exists(bucket):
        raise E.BucketNotFoundError(f"bucket not found: {bucket}")


def get_bucket_encryption(s3: S3Client, bucket: str) -> BucketEncryption:
    """The default encryption of `bucket` (algorithm None when it has none)."""
    _require_bucket(s3, bucket)
    found = s3.get_bucket_encryption(bucket)
    algorithm, kms_key_id = found or (None, None)
    from its_store.codec.bucket_encryption import BucketEncryption
    return BucketEncryption(bucket=bucket, algorithm=algorithm, kms_key_id=kms_key_id)


def set_bucket_encryption(s3: S3Client, bucket: str, kms_key_id: str | None = None) -> BucketEncryption:
    """Make SSE-S3 (or SSE-KMS with `kms_key_id`) the default for new objects in `bucket`; what it reads then."""
    write_bucket_encryption(s3, bucket, kms_key_id)
    return get_bucket_encryption(s3, bucket)


def write_bucket_encryption(s3: S3Client, bucket: str, kms_key_id: str | None = None) -> None:
    """The write of set_bucket_encryption, without its read (service/encryption.set_checked reads it back)."""
    _require_bucket(s3, bucket)
    if kms_key_id is not None and not kms_key_id.strip():
        raise E.InvalidInputError("empty --kms-key")
    try:
        s3.set_bucket_encryption(bucket, kms_key_id)
    except E.ItsStoreError as exc:
        detail = _refusal(exc)
        if detail is None:
            raise
        label = "SSE-KMS" if kms_key_id else "SSE-S3"
        raise E.EncryptionUnsupportedError(
            f"the server refused {label} as default encryption of s3://{bucket} ({detail})",
            hint="configure a KMS on the server (MinIO: MINIO_KMS_SECRET_KEY or KES)") from exc


def remove_bucket_encryption(s3: S3Client, bucket: str) -> BucketEncryption:
    """Remove the bucket's default encryption (objects already stored keep theirs)."""
    _require_bucket(s3, bucket)
    s3.delete_bucket_encryption(bucket)
    return BucketEncryption(bucket=bucket)
