"""S3 failures as ItsStoreError: the one place that maps S3 answers and network errors.

Everything above s3/ sees ItsStoreError subclasses, never minio's S3Error or urllib3's exceptions.
This module tells what failed (an answer minio read, an answer no S3 server would send, a connection,
our own reading of a body) and reads the error code out of it; s3/error_codes.py says what each code
means. An HTML error page from a proxy is named as such, a network failure in a few words.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from its_store.core import errors as E
from its_store.s3 import answers
from its_store.s3.answers import bad_answer
from its_store.s3.error_codes import from_code, header, let_through_unchecked

# from_code and let_through_unchecked are error_codes.py's, named here too: the callers import them from here
__all__ = ["errors", "failure_error", "from_code", "let_through_unchecked", "parsing", "short_reason", "translate",
           "where"]


def where(bucket: str | None, key: str | None) -> str:
    if bucket and key:
        return f"s3://{bucket}/{key}"
    return f"s3://{bucket}" if bucket else "the server"


def translate(exc: BaseException, bucket: str | None = None, key: str | None = None, *,
              call: str = "") -> E.ItsStoreError:
    """Map a minio / urllib3 / ssl exception to our error tree. Messages never carry secrets. `call`
    names the S3 call that was answered, when known (s3/answers.py). Three kinds, in this order: an
    answer minio read (_from_answer), a connection that failed (_from_transport), a request refused
    or an answer unread before or outside minio's own checks (_from_request)."""
    if isinstance(exc, E.ItsStoreError):
        return exc
    place = where(bucket, key)
    found = _from_answer(exc, bucket, key, place, call)
    if found is not None:
        return found
    urllib3 = sys.modules.get("urllib3")
    if urllib3 is not None and isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.reason is not None:
        return translate(exc.reason, bucket, key)
    found = _not_http(exc, place) or _from_transport(exc)
    return found if found is not None else _from_request(exc, bucket, place, call)


def _not_http(exc: BaseException, place: str) -> E.ItsStoreError | None:
    """An answer http.client or urllib3 could not read as HTTP (more than 100 header lines, a line over
    64 KiB, two different Content-Lengths): a bad answer, not "cannot reach the endpoint", whose hint sent
    the user to check a server that had answered. None for any other exception."""
    inner = exc.args[1] if len(exc.args) == 2 and isinstance(exc.args[1], BaseException) else exc
    http = sys.modules.get("http.client")
    urllib3 = sys.modules.get("urllib3")
    odd = (http is not None and (isinstance(inner, http.LineTooLong) or (
        type(inner) is http.HTTPException and "more than" in str(inner)))) or (
        urllib3 is not None and isinstance(inner, urllib3.exceptions.InvalidHeader))
    if not odd:
        return None
    return E.BadAnswerError(f"the server's answer{'' if place == 'the server' else ' on ' + place} is not valid "
                            f"HTTP: {str(inner)[:160]}",
                            hint="the server, or a proxy in front of it, sent an answer no HTTP client reads")


def _from_answer(exc: BaseException, bucket: str | None, key: str | None, place: str,
                 call: str) -> E.ItsStoreError | None:
    """An answer minio read and raised on (S3Error, ServerError, InvalidResponseError); None for any
    other exception (minio not imported: none of its errors can have been raised)."""
    minio_errors = sys.modules.get("minio.error")
    if minio_errors is None:
        return None
    if isinstance(exc, minio_errors.S3Error):
        headers = getattr(exc.response, "headers", None)
        if _unmarked_404(exc.response):
            return bad_answer(call or "HEAD", "HTTP 404 without any S3 request id, which S3 servers stamp "
                              "on theirs (a proxy's or load balancer's answer?)", place)
        if not (exc.code or "").strip():  # XML that is no <Error> (or one without a <Code>): not a server's
            return bad_answer(call or "a call", f"HTTP {getattr(exc.response, 'status', '?')} with an XML body "
                              "that is no S3 <Error> document (it names no error <Code>)", place)
        said = bool((getattr(exc.response, "data", b"") or b"").strip())  # an <Error>: the server named its code
        return from_code(exc.code or "", exc.message or exc.code or "", bucket, key, place, headers, call=call,
                         said=said)
    if isinstance(exc, minio_errors.ServerError):
        return E.ServiceUnavailableError(f"server error {exc.status_code} for {place}",
                                         hint="retry later or raise --retries")
    if isinstance(exc, minio_errors.InvalidResponseError):
        return _not_xml(exc, bucket, key, place, call)
    return None


def _from_transport(exc: BaseException) -> E.ItsStoreError | None:
    """A connection that failed (TLS, the proxy, refused, reset, timed out): ServiceUnavailableError, whose
    hint says what to check; None for any other exception."""
    urllib3, ssl = sys.modules.get("urllib3"), sys.modules.get("ssl")
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
    return None


def _from_request(exc: BaseException, bucket: str | None, place: str, call: str) -> E.ItsStoreError:
    """What is left: an answer that could not be parsed, a request refused before it was sent (minio's
    own checks, a header that is not ASCII), or an unexpected error."""
    if isinstance(exc, (SyntaxError, UnicodeDecodeError)) or (isinstance(exc, ValueError) and "XML" in str(exc)):
        # ElementTree's ParseError, or an element missing, outside an errors() block that saw the answer
        return bad_answer(call or "a call", _parse_reason(exc), place if bucket else None)
    if isinstance(exc, UnicodeEncodeError):
        return E.InvalidInputError(f"a header value is not ASCII: {exc.object[exc.start:exc.end]!r}")
    if isinstance(exc, ValueError):
        # minio's checks raise some without a message (an empty object name): never an empty line
        return E.InvalidInputError(str(exc) or f"the request was refused before it was sent ({place}: "
                                               "an empty or malformed bucket or object name)")
    return E.ItsStoreError(f"unexpected error: {type(exc).__name__}: {exc}")


def _not_s3(place: str, status: int | None = None, call: str = "") -> E.ItsStoreError:
    said = f" (HTTP {status} to {call or 'a call'}, {place})" if status else f" ({place})"
    return E.ServiceUnavailableError(f"the endpoint did not answer like an S3 server{said}",
                                     hint="check MINIO_ENDPOINT: is it the S3 API port?")


_EMPTY_ERRORS = {403: "AccessDenied", 405: "MethodNotAllowed", 501: "NotImplemented"}

# "Not found" is read only from an answer that an S3 server marked as its own, so that a proxy's or load
# balancer's 404 (a wrong path, a missing route) never makes sync, verify or the registry decide that an
# object or bucket does not exist. Measured on the four test servers (tests/servers.py), 404 to a missing
# key and a missing bucket: to a GET, every one sends an <Error> document (SeaweedFS 4.48, moto, radosgw
# 16.2 in application/xml; `rclone serve s3` in text/xml), so an empty 404 to a GET is no server's (_not_xml);
# to a HEAD (no body by HTTP), every one sends a request id: x-amz-request-id (SeaweedFS, rclone, radosgw;
# rclone also x-amz-id-2), moto only x-amzn-requestid. AWS and MinIO send x-amz-request-id and x-amz-id-2.
# x-guploader-uploadid (Google Cloud Storage's XML API) and cf-ray (Cloudflare, R2) are taken as marks too,
# unverified here: services outside the test set that stamp their own id must not lose "not found" (a
# proxy at Cloudflare's edge then still passes as a server: no worse than before).
_MARKS = ("x-amz-request-id", "x-amz-id-2", "x-amzn-requestid", "x-guploader-uploadid", "cf-ray")


def _unmarked_404(response: Any) -> bool:
    """A 404 that minio read as NoSuchKey/NoSuchBucket from the status alone (no body: a HEAD's answer) and
    that carries none of the request ids S3 servers stamp on their answers (_MARKS)."""
    if response is None or getattr(response, "status", None) != 404 or getattr(response, "data", b""):
        return False
    headers = getattr(response, "headers", None) or {}
    return not any(header(headers, name) for name in _MARKS)


def _not_xml(exc: Any, bucket: str | None, key: str | None, place: str, call: str) -> E.ItsStoreError:
    """minio's InvalidResponseError: an error answer minio did not take for S3's: another content type
    than application/xml, or no body. Its constructor arguments (status, content type, body) are only
    public through __reduce__. An S3 <Error> document in text/xml (what `rclone serve s3` sends) is one
    all the same, and an empty error answer means what its status means (as minio reads one to a HEAD);
    an HTML page is a proxy's or another service's; anything else is no S3 server."""
    status, content_type, body = exc.__reduce__()[1]
    status = int(status)
    parsed = _error_document(body or "")
    if parsed is not None:
        return _with_answer(from_code(parsed[0], parsed[1] or parsed[0], bucket, key, place), *parsed)
    start = (body or "").lstrip()[:15].lower()
    html = "html" in (content_type or "").lower() or start.startswith(("<!doctype", "<html"))
    if html and status >= 500:
        return E.ServiceUnavailableError(
            f"a proxy or gateway answered HTTP {status} with an HTML error page instead of the S3 server "
            f"({place})", hint="the server behind it may be down or overloaded; retry later or check the proxy")
    if html:
        return E.ServiceUnavailableError(f"the endpoint answered HTTP {status} with an HTML page ({place})",
                                         hint="check MINIO_ENDPOINT: is it the S3 API port, not a web console?")
    if status == 404 and not (body or "").strip():  # every S3 server says why in an <Error> (see _MARKS)
        return bad_answer(call or "a call", "an empty HTTP 404 answer, where S3 servers send an <Error> document "
                          "(a proxy's or load balancer's answer?)", place if bucket else None)
    if status in _EMPTY_ERRORS and not (body or "").strip():
        code = _EMPTY_ERRORS[status]
        return _with_answer(from_code(code, code, bucket, key, place), code, "")
    if status >= 500:
        return E.ServiceUnavailableError(f"server error {status} for {place}", hint="retry later or raise --retries")
    return _not_s3(place, status, call)


def _error_document(body: str) -> tuple[str, str] | None:
    """(Code, Message) of an S3 <Error> document, or None when the body is none."""
    from xml.etree import ElementTree as ET
    if not body.lstrip().startswith("<"):
        return None
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return None
    if root.tag.rpartition("}")[2] != "Error":
        return None
    code = (root.findtext("{*}Code") or "").strip()
    return (code, (root.findtext("{*}Message") or "").strip()) if code else None


def _with_answer(err: E.ItsStoreError, code: str, message: str) -> E.ItsStoreError:
    err.s3_code, err.s3_message = code, message
    return err


def failure_error(text: str, bucket: str | None = None, key: str | None = None, *,
                  call: str = "DeleteObject") -> E.ItsStoreError:
    """The error for a per-key failure of a batch call, given as 'Code: message'. Every batch call is a
    DeleteObjects, whose per-key refusal is that key's `call` (DeleteObject, or DeleteObjectVersion for a
    version): an AccessDenied names it and the permission it needs, as a single DELETE's would (without
    it the line said "access denied for s3://B/K" with the hint to check the credentials, which were
    accepted)."""
    code, _, detail = text.partition(": ")
    return from_code(code.strip(), detail or code, bucket, key, where(bucket, key), call=call, said=True)


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


class errors:
    """`with errors(b, k): ...` turns any client-side failure into an ItsStoreError.

    An exception raised while minio read an answer that arrived inside this block (ElementTree's
    ParseError, "XML element <X> not found", int() or a date parse of a missing or malformed value,
    AttributeError on an element that is not there) is that answer's fault: BadAnswerError, naming the
    call. The same exception types raised by our own code are bugs and stay unexpected.

    A class, not a @contextmanager generator: it wraps every request and every read of a body, and
    entering and leaving it then costs two plain calls (~0.3 µs) instead of a generator's ~1.3 µs."""

    __slots__ = ("bucket", "key", "seq")

    def __init__(self, bucket: str | None = None, key: str | None = None) -> None:
        self.bucket, self.key = bucket, key

    def __enter__(self) -> None:
        self.seq = answers.mark()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, _tb: object) -> None:
        if exc is None or not isinstance(exc, Exception):
            return  # nothing failed, or KeyboardInterrupt / GeneratorExit: as it is
        bucket, key = self.bucket, self.key
        if isinstance(exc, E.ItsStoreError):
            unplaced = getattr(exc, "unplaced", None)
            if unplaced is not None and bucket:
                raise unplaced(where(bucket, key)) from exc.__cause__
            return
        call = answers.since(self.seq)
        if call is not None and _from_reading(exc):
            err = _reading_failed(exc, call, bucket, key)
        else:
            err = translate(exc, bucket, key, call=call.name if call else "")
        _keep_answer(err, exc)
        raise err from exc


@contextlib.contextmanager
def parsing(bucket: str | None, key: str | None, call: str) -> Iterator[None]:
    """`with parsing(b, k, "ListParts"): ...` around our own reading of an answer's body: whatever fails
    there is the answer's fault (BadAnswerError), as inside minio's parsers."""
    try:
        yield
    except E.ItsStoreError:
        raise
    except Exception as exc:
        if not isinstance(exc, _READING_ERRORS):
            raise
        raise bad_answer(call, _parse_reason(exc), where(bucket, key)) from exc


_READING_ERRORS = (SyntaxError, UnicodeDecodeError, ValueError, TypeError, AttributeError, KeyError, IndexError)
_OURS = str(Path(__file__).resolve().parents[1])


def _from_reading(exc: BaseException) -> bool:
    """A failure of reading an answer: one of the types parsers raise, raised outside its_store (in
    minio, ElementTree, datetime...). The same types raised in our own code are bugs, kept as such."""
    if not isinstance(exc, _READING_ERRORS):
        return False
    if isinstance(exc, ValueError) and str(exc).startswith("XML element <"):
        return True  # minio.xml.find(strict=True)
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and not str(Path(tb.tb_frame.f_code.co_filename).resolve()).startswith(_OURS)


def _reading_failed(exc: BaseException, call: answers.Call, bucket: str | None, key: str | None) -> E.ItsStoreError:
    place = where(bucket, key) if bucket else None
    if call.status >= 500:
        return E.ServiceUnavailableError(f"server error {call.status} for {place} (its answer is unreadable)",
                                         hint="retry later or raise --retries")
    return bad_answer(call.name, _parse_reason(exc), place)


def _parse_reason(exc: BaseException) -> str:
    """A few printable words for what was wrong with an answer."""
    text = str(exc)
    if text.startswith("XML element <"):
        return "element " + text.split(" ", 2)[2].replace(" not found", "") + " is missing"
    if isinstance(exc, SyntaxError):
        return f"malformed or truncated XML ({text})"
    if isinstance(exc, UnicodeDecodeError):
        return "bytes that are not UTF-8 text"
    if isinstance(exc, (AttributeError, TypeError, KeyError, IndexError)):
        return f"an element is missing or of the wrong kind ({type(exc).__name__})"
    shown = "".join(ch if ch.isprintable() else "." for ch in text[:80])
    return f"a value is malformed ({shown})"


def _keep_answer(err: E.ItsStoreError, exc: BaseException) -> None:
    """What the server said, in plain types (`s3_code`, `s3_message`, `s3_headers` with lower-case
    names), for callers that explain errors further (codec/encryption.py) without touching minio."""
    minio_errors = sys.modules.get("minio.error")
    if minio_errors is None or not isinstance(exc, minio_errors.S3Error):
        return
    err.s3_code, err.s3_message = exc.code or "", exc.message or ""
    err.s3_headers = {str(k).lower(): str(v) for k, v in dict(getattr(exc.response, "headers", None) or {}).items()}
