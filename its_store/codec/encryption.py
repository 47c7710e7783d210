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

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from its_store.codec.sse_choice import ECHOED as ECHOED
from its_store.codec.sse_choice import KEY_HINT as KEY_HINT
from its_store.codec.sse_choice import SSE_C_ALGORITHM as SSE_C_ALGORITHM
from its_store.codec.sse_choice import SSE_HEADER as SSE_HEADER
from its_store.codec.sse_choice import UploadSse as UploadSse
from its_store.codec.sse_choice import describe as describe
from its_store.codec.sse_choice import describe_lower as describe_lower
from its_store.codec.sse_choice import upload_sse as upload_sse
from its_store.codec.sse_keys import SseCKey as SseCKey
from its_store.codec.sse_keys import given_key as given_key
from its_store.codec.sse_keys import parse_key as parse_key
from its_store.codec.sse_keys import read_key_file as read_key_file
from its_store.codec.sse_keys import require_tls_for_key as require_tls_for_key
from its_store.codec.sse_keys import resolve_key as resolve_key
from its_store.core import errors as E

if TYPE_CHECKING:
    from its_store.codec.bucket_encryption import BucketEncryption as BucketEncryption
    from its_store.s3.client import Body, ObjectStat, S3Client
    from its_store.s3.messages import Custody, Written
else:  # BucketEncryption is still offered here (codec/bucket_encryption.py), created on its first use
    from its_store.core.lazy import lazy_names
    __getattr__ = lazy_names(globals(), {"BucketEncryption": "bucket_encryption"}, "its_store.codec")

_REFUSAL_CODES = {"NotImplemented", "KMS.NotConfigured", "KMSNotConfigured", "InvalidEncryptionMethod",
                  "InvalidEncryptionAlgorithmError", "ServerSideEncryptionConfigurationNotFoundError",
                  "InsecureSSECustomerRequest", "XMinioKMSNotConfigured"}


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
                           custody: Custody | None = None, head: dict[str, str] | None = None) -> Written:
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
