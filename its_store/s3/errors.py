"""S3 failures as ItsStoreError: the one place that maps S3 error codes and network errors.

Everything above s3/ sees ItsStoreError subclasses, never minio's S3Error or urllib3's exceptions.
Some answers need more than their code to be useful: clock skew names the offset, a region redirect
names the bucket's region, and an HTML error page from a proxy is named as such.
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
_INTEGRITY = {"BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch", "XAmzContentChecksumMismatch"}
_REDIRECT = {"PermanentRedirect", "Redirect", "TemporaryRedirect", "IllegalLocationConstraintException"}
_CREDENTIAL_HINT = "check MINIO_ACCESS_KEY and MINIO_SECRET_KEY, and the key's permissions"


def where(bucket: str | None, key: str | None) -> str:
    if bucket and key:
        return f"s3://{bucket}/{key}"
    return f"s3://{bucket}" if bucket else "the server"


def translate(exc: BaseException, bucket: str | None = None, key: str | None = None) -> E.ItsStoreError:
    """Map a minio / urllib3 / ssl exception to our error tree. Messages never carry secrets."""
    if isinstance(exc, E.ItsStoreError):
        return exc
    place = where(bucket, key)
    minio_errors = sys.modules.get("minio.error")
    if minio_errors is not None:
        if isinstance(exc, minio_errors.S3Error):
            return from_code(exc.code or "", exc.message or exc.code or "", bucket, key, place,
                             getattr(exc.response, "headers", None))
        if isinstance(exc, minio_errors.ServerError):
            return E.ServiceUnavailableError(f"server error {exc.status_code} for {place}",
                                             hint="retry later or raise --retries")
        if isinstance(exc, minio_errors.InvalidResponseError):
            return _not_xml(exc, place, bucket, key)
    urllib3, ssl = sys.modules.get("urllib3"), sys.modules.get("ssl")
    if urllib3 is not None and isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.reason is not None:
        return translate(exc.reason, bucket, key)
    if (ssl is not None and isinstance(exc, ssl.SSLError)) or "SSL" in type(exc).__name__:
        return E.ServiceUnavailableError(
            f"TLS with the endpoint failed: {short_reason(exc)}",
            hint="set MINIO_SECURE=false for a plain-HTTP server, or MINIO_CA_BUNDLE (or SSL_CERT_FILE) "
                 "for a private CA")
    if urllib3 is not None and isinstance(exc, urllib3.exceptions.ProxyError):
        return E.ServiceUnavailableError(f"the proxy failed: {short_reason(exc)}",
                                         hint="check HTTPS_PROXY / HTTP_PROXY and NO_PROXY")
    if isinstance(exc, (ConnectionError, TimeoutError, OSError)) or (
            urllib3 is not None and isinstance(exc, urllib3.exceptions.HTTPError)):
        return E.ServiceUnavailableError(
            f"cannot reach the endpoint: {short_reason(exc)}",
            hint="check MINIO_ENDPOINT and that the server is running")
    if isinstance(exc, (SyntaxError, UnicodeDecodeError)) or (isinstance(exc, ValueError) and "XML" in str(exc)):
        return _not_s3(place)  # ElementTree.ParseError, or an XML element missing
    if isinstance(exc, UnicodeEncodeError):
        return E.InvalidInputError(f"a header value is not ASCII: {exc.object[exc.start:exc.end]!r}")
    if isinstance(exc, ValueError):
        return E.InvalidInputError(str(exc))
    return E.ItsStoreError(f"unexpected error: {type(exc).__name__}: {exc}")


def _not_s3(place: str) -> E.ItsStoreError:
    return E.ServiceUnavailableError(f"the endpoint did not answer like an S3 server ({place})",
                                     hint="check MINIO_ENDPOINT: is it the S3 API port?")


def _not_xml(exc: Any, place: str, bucket: str | None = None, key: str | None = None) -> E.ItsStoreError:
    """minio's InvalidResponseError: an answer that is not S3's XML. Its constructor arguments
    (status, content type, body) are only public through __reduce__. An S3 <Error> document under
    another content type (`rclone serve s3` says text/xml, which minio refuses) is read all the same."""
    status, content_type, body = exc.__reduce__()[1]
    code, detail = _error_document(body)
    if code:
        return from_code(code, detail or code, bucket, key, place)
    start = (body or "").lstrip()[:15].lower()
    html = "html" in (content_type or "").lower() or start.startswith(("<!doctype", "<html"))
    if html and int(status) >= 500:
        return E.ServiceUnavailableError(
            f"a proxy or gateway answered HTTP {status} with an HTML error page instead of the S3 server "
            f"({place})", hint="the server behind it may be down or overloaded; retry later or check the proxy")
    if int(status) >= 500:
        return E.ServiceUnavailableError(f"server error {status} for {place}", hint="retry later or raise --retries")
    if html:
        return E.ServiceUnavailableError(f"the endpoint answered HTTP {status} with an HTML page ({place})",
                                         hint="check MINIO_ENDPOINT: is it the S3 API port, not a web console?")
    return _not_s3(place)


def _error_document(body: str | None) -> tuple[str, str]:
    """(Code, Message) of an S3 <Error> document, or ("", "") when `body` is none."""
    import xml.etree.ElementTree as ET
    try:
        root = ET.fromstring(body or "")
    except (ET.ParseError, ValueError):
        return "", ""
    if root.tag.rpartition("}")[2] != "Error":
        return "", ""
    return (root.findtext("{*}Code") or "").strip(), (root.findtext("{*}Message") or "").strip()


def failure_error(text: str, bucket: str | None = None, key: str | None = None) -> E.ItsStoreError:
    """The error for a per-key failure of a batch call, given as 'Code: message'."""
    code, _, detail = text.partition(": ")
    return from_code(code.strip(), detail or code, bucket, key, where(bucket, key))


def from_code(code: str, detail: str, bucket: str | None, key: str | None, place: str,
              headers: Any = None) -> E.ItsStoreError:
    """Map an S3 error code to our error tree (so exit codes follow the cause, e.g. 6 for AccessDenied)."""
    if code == "RequestTimeTooSkewed":
        return _clock_skew(headers, place)
    if code in _REDIRECT or (code == "AuthorizationHeaderMalformed" and _region(headers, detail)):
        return _wrong_region(bucket, headers, detail, place)
    if code in _NOT_FOUND_BUCKET:
        return E.BucketNotFoundError(f"bucket not found: {bucket or place}")
    if code in _NOT_FOUND_OBJECT:
        return E.ObjectNotFoundError(f"object not found: {place}")
    if code in _ACCESS:
        return E.AccessDeniedError(f"access denied ({code}) for {place}", hint=_CREDENTIAL_HINT)
    if code in _EXISTS:
        return E.AlreadyExistsError(f"bucket already exists: {bucket}")
    if code in _CONFLICT:
        return E.ConflictError(f"{code}: {detail} ({place})")
    if code in _INPUT:
        return E.InvalidInputError(f"{code}: {detail} ({place})")
    if code in _INTEGRITY:
        return E.IntegrityError(f"{code}: the server computed another checksum of what it received ({place})",
                                hint="the data changed on the way; nothing was stored, retry")
    if code in _UNAVAILABLE:
        return E.ServiceUnavailableError(f"{code}: server busy or failing ({place})",
                                         hint="retry later or raise --retries")
    if code in ("NotImplemented", "MethodNotAllowed"):
        return E.ItsStoreError(f"the server does not support this operation ({code}, {place})")
    return E.ItsStoreError(f"server refused the request: {code}: {detail} ({place})")


def _header(headers: Any, name: str) -> str | None:
    if not headers:
        return None
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    return value


def _clock_skew(headers: Any, place: str) -> E.ItsStoreError:
    """RequestTimeTooSkewed, with the offset measured from the answer's Date header."""
    import time
    from email.utils import parsedate_to_datetime
    offset = None
    date = _header(headers, "date")
    if date:
        with contextlib.suppress(TypeError, ValueError, IndexError):
            offset = round(time.time() - parsedate_to_datetime(date).timestamp())
    if offset is None:
        said = "this machine's clock is too far from the server's"
    else:
        said = (f"this machine's clock is {abs(offset)} s {'ahead of' if offset > 0 else 'behind'} the server's")
    return E.ClockSkewError(f"request refused: {said} (RequestTimeTooSkewed, {place})",
                            hint="fix the clock (e.g. `timedatectl set-ntp true`); S3 allows 15 minutes")


def _region(headers: Any, detail: str) -> str | None:
    region = _header(headers, "x-amz-bucket-region")
    if not region and "use region " in detail:  # minio's message for a redirect
        region = detail.rsplit("use region ", 1)[1].split()[0].strip(".;")
    if not region and "expecting '" in detail:  # AuthorizationHeaderMalformed: "... expecting 'eu-west-1'"
        region = detail.rsplit("expecting '", 1)[1].split("'")[0]
    return region or None


def _wrong_region(bucket: str | None, headers: Any, detail: str, place: str) -> E.ItsStoreError:
    region = _region(headers, detail)
    if not region:
        return E.RegionError(f"the server redirected the request elsewhere ({place})",
                             hint="check MINIO_ENDPOINT and MINIO_REGION")
    return E.RegionError(f"bucket {bucket or ''} is in region {region}, not the configured one ({place})",
                         hint=f"set MINIO_REGION={region} (or --region {region})")


_SHORT = (
    ("Connection refused", "connection refused"),
    ("timed out", "timed out"),
    ("Name or service not known", "unknown host"),
    ("nodename nor servname", "unknown host"),
    ("Temporary failure in name resolution", "unknown host"),
    ("RemoteDisconnected", "connection closed by the server"),
    ("Remote end closed", "connection closed by the server"),
    ("Connection reset", "connection reset"),
    ("Connection aborted", "connection aborted"),
    ("IncompleteRead", "connection broken in the middle of a transfer"),
    ("Broken pipe", "connection broken"),
    ("CERTIFICATE_VERIFY_FAILED", "certificate verify failed"),
    ("WRONG_VERSION_NUMBER", "the endpoint does not speak TLS"),
)


def short_reason(exc: BaseException) -> str:
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
        err = translate(exc, bucket, key)
        _keep_answer(err, exc)
        raise err from exc


def _keep_answer(err: E.ItsStoreError, exc: BaseException) -> None:
    """What the server said, in plain types (`s3_code`, `s3_message`, `s3_headers` with lower-case
    names), for callers that explain errors further (codec/encryption.py) without touching minio."""
    minio_errors = sys.modules.get("minio.error")
    if minio_errors is None or not isinstance(exc, minio_errors.S3Error):
        return
    err.s3_code, err.s3_message = exc.code or "", exc.message or ""
    err.s3_headers = {str(k).lower(): str(v) for k, v in dict(getattr(exc.response, "headers", None) or {}).items()}
