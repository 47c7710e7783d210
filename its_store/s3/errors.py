"""S3 failures as ItsStoreError: the one place that maps S3 error codes and network errors.

Everything above s3.py sees ItsStoreError subclasses, never WireError, S3Error or urllib3 exceptions.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

from its_store.core import errors as E

_NOT_FOUND_BUCKET = {"NoSuchBucket"}
_NOT_FOUND_OBJECT = {"NoSuchKey", "NoSuchVersion", "NoSuchUpload", "ResourceNotFound", "NoSuchObject"}
_ACCESS = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken",
           "AllAccessDisabled", "InvalidToken", "AuthorizationHeaderMalformed"}
_CONFLICT = {"BucketNotEmpty", "PreconditionFailed", "OperationAborted", "InvalidBucketState"}
_EXISTS = {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}
_INPUT = {"InvalidBucketName", "InvalidArgument", "EntityTooLarge", "EntityTooSmall", "KeyTooLongError",
          "InvalidRequest", "InvalidPart", "InvalidPartOrder", "MalformedXML", "InvalidTag",
          "InvalidObjectName", "MetadataTooLarge"}
_UNAVAILABLE = {"SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "XMinioServerNotInitialized"}
_INTEGRITY = {"BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch"}
_CREDENTIAL_HINT = "check MINIO_ACCESS_KEY and MINIO_SECRET_KEY, and the key's permissions"


def _where(bucket: str | None, key: str | None) -> str:
    if bucket and key:
        return f"s3://{bucket}/{key}"
    return f"s3://{bucket}" if bucket else "the server"


def translate(exc: BaseException, bucket: str | None = None, key: str | None = None) -> E.ItsStoreError:
    """Map a wire / minio / urllib3 / ssl exception to our error tree. Messages never carry secrets.

    minio's and urllib3's exception types are looked up only if those modules are loaded: a command
    that never imported them cannot have raised them."""
    if isinstance(exc, E.ItsStoreError):
        return exc
    from its_store.s3.http1 import ProtocolError, WireError
    where = _where(bucket, key)
    if isinstance(exc, WireError):
        return _translate_wire(exc, bucket, key)
    if isinstance(exc, ProtocolError):
        return _not_s3(where)
    minio_errors = sys.modules.get("minio.error")
    if minio_errors is not None:
        if isinstance(exc, minio_errors.S3Error):
            return from_code(exc.code or "", exc.message or exc.code or "", bucket, key, where)
        if isinstance(exc, minio_errors.ServerError):
            return E.ServiceUnavailableError(f"server error {exc.status_code} for {where}")
        if isinstance(exc, minio_errors.InvalidResponseError):
            return _not_s3(where)
    urllib3, ssl = sys.modules.get("urllib3"), sys.modules.get("ssl")
    if (ssl is not None and isinstance(exc, ssl.SSLError)) or "SSL" in type(exc).__name__:
        return E.ServiceUnavailableError(
            "TLS handshake with the endpoint failed",
            hint="set MINIO_SECURE=false for a plain-HTTP server, or MINIO_CA_BUNDLE for a private CA")
    if urllib3 is not None and isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.reason is not None:
        return translate(exc.reason, bucket, key)
    if isinstance(exc, (ConnectionError, TimeoutError, OSError)) or (
            urllib3 is not None and isinstance(exc, urllib3.exceptions.HTTPError)):
        return E.ServiceUnavailableError(
            f"cannot reach the endpoint: {_short(exc)}",
            hint="check MINIO_ENDPOINT and that the server is running")
    if isinstance(exc, SyntaxError) or (isinstance(exc, ValueError) and "XML" in str(exc)):
        return _not_s3(where)  # ElementTree.ParseError, or an XML element missing
    if isinstance(exc, ValueError):
        return E.InvalidInputError(str(exc))
    return E.ItsStoreError(f"unexpected error: {type(exc).__name__}: {exc}")


def _not_s3(where: str) -> E.ItsStoreError:
    return E.ServiceUnavailableError(f"the endpoint did not answer like an S3 server ({where})",
                                     hint="check MINIO_ENDPOINT: is it the S3 API port?")


def _translate_wire(exc: Any, bucket: str | None, key: str | None) -> E.ItsStoreError:
    where = _where(bucket, key)
    if not exc.xml:
        return _not_s3(where)
    if exc.code:
        return from_code(exc.code, exc.message or exc.code, bucket, key, where)
    if exc.status >= 500:
        return E.ServiceUnavailableError(f"server error {exc.status} for {where}")
    return E.ItsStoreError(f"server refused the request: HTTP {exc.status} ({where})")


def failure_error(text: str, bucket: str | None = None, key: str | None = None) -> E.ItsStoreError:
    """The error for a per-key failure of a batch call, given as 'Code: message'."""
    code, _, detail = text.partition(": ")
    return from_code(code.strip(), detail or code, bucket, key, _where(bucket, key))


def from_code(code: str, detail: str, bucket: str | None, key: str | None, where: str) -> E.ItsStoreError:
    """Map an S3 error code to our error tree (so exit codes follow the cause, e.g. 6 for AccessDenied)."""
    if code in _NOT_FOUND_BUCKET:
        return E.BucketNotFoundError(f"bucket not found: {bucket or where}")
    if code in _NOT_FOUND_OBJECT:
        return E.ObjectNotFoundError(f"object not found: {where}")
    if code in _ACCESS:
        return E.AccessDeniedError(f"access denied ({code}) for {where}", hint=_CREDENTIAL_HINT)
    if code in _EXISTS:
        return E.AlreadyExistsError(f"bucket already exists: {bucket}")
    if code in _CONFLICT:
        return E.ConflictError(f"{code}: {detail} ({where})")
    if code in _INPUT:
        return E.InvalidInputError(f"{code}: {detail} ({where})")
    if code in _INTEGRITY:
        return E.IntegrityError(f"{code}: {detail} ({where})")
    if code in _UNAVAILABLE:
        return E.ServiceUnavailableError(f"{code}: server busy or failing ({where})",
                                         hint="retry later or raise --retries")
    if code == "NotImplemented":
        return E.ItsStoreError(f"the server does not support this operation ({where})")
    return E.ItsStoreError(f"server refused the request: {code}: {detail} ({where})")


_SHORT = (
    ("Connection refused", "connection refused"),
    ("timed out", "timed out"),
    ("Resource temporarily unavailable", "timed out"),  # EAGAIN of a socket with SO_RCVTIMEO
    ("Name or service not known", "unknown host"),
    ("nodename nor servname", "unknown host"),
    ("Temporary failure in name resolution", "unknown host"),
    ("RemoteDisconnected", "connection closed by the server"),
    ("Remote end closed", "connection closed by the server"),
    ("Connection reset", "connection reset"),
    ("Connection aborted", "connection aborted"),
    ("IncompleteRead", "connection broken in the middle of a transfer"),
    ("Broken pipe", "connection broken"),
)


def _short(exc: BaseException) -> str:
    """A few words for a network failure, not a repr of urllib3's exception chain."""
    text = f"{type(exc).__name__}: {exc}"
    for needle, words in _SHORT:
        if needle.lower() in text.lower():
            return words
    return text[:160]


@contextlib.contextmanager
def errors(bucket: str | None = None, key: str | None = None) -> Iterator[None]:
    """`with errors(b, k): ...` turns any client-side failure into an ItsStoreError."""
    try:
        yield
    except E.ItsStoreError:
        raise
    except Exception as exc:
        raise translate(exc, bucket, key) from exc
