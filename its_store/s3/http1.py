"""HTTP/1.1 and S3 answers, as wire.py (threads) and swarm.py (event loop) both speak them: request
heads, response heads, header lookup, S3 error documents, dates, endpoints and TLS settings.
Standard library only."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime
from typing import Any

USER_AGENT = "its-store"
RETRY_STATUS = frozenset({500, 502, 503, 504})  # the server did not do the work: retried for any method
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE"})  # also retried after a connection failure
_CODE_RE = re.compile(rb"<Code>([^<]*)</Code>")
_MESSAGE_RE = re.compile(rb"<Message>([^<]*)</Message>")
_STATUS_CODES = {301: "PermanentRedirect", 307: "TemporaryRedirect", 400: "BadRequest", 403: "AccessDenied",
                 405: "MethodNotAllowed", 409: "Conflict", 411: "MissingContentLength",
                 412: "PreconditionFailed", 416: "InvalidRange", 501: "NotImplemented"}
_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                                        "Nov", "Dec"), 1)}


class WireError(Exception):
    """An S3 error answer: HTTP status, S3 error code ("" if the body had none) and message."""

    def __init__(self, status: int, code: str, message: str, bucket: str | None, key: str | None,
                 xml: bool) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message
        self.bucket, self.key = bucket, key
        self.xml = xml  # False: the body was not an S3 error document (not an S3 server?)


class ProtocolError(Exception):
    """The endpoint did not answer in HTTP/1.x."""


class RemoteClosed(ConnectionError):
    """The server closed the connection before (all of) its answer: "Remote end closed"."""


class Headers(dict):  # type: ignore[type-arg]
    """Response headers: lower-case names, looked up case-insensitively (like urllib3's HTTPHeaderDict)."""

    def __getitem__(self, name: str) -> str:
        return dict.__getitem__(self, name.lower())

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        return dict.get(self, name.lower(), default)

    def __contains__(self, name: object) -> bool:
        return dict.__contains__(self, str(name).lower())


def http_date(value: str | None) -> datetime | None:
    """Parse an RFC 7231 date ("Tue, 24 Nov 2026 10:00:00 GMT") without strptime's locale machinery."""
    try:
        _, day, month, year, clock, _ = (value or "").split()
        hh, mm, ss = clock.split(":")
        return datetime(int(year), _MONTHS[month], int(day), int(hh), int(mm), int(ss), tzinfo=UTC)
    except (ValueError, KeyError):
        return None


def request_head(method: str, target: str, headers: dict[str, str], length: int) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", f"User-Agent: {USER_AGENT}"]
    for name, value in headers.items():
        value = str(value)
        if "\r" in value or "\n" in value:  # would forge headers
            raise ValueError(f"invalid value for header {name}: line breaks are not allowed")
        lines.append(f"{name}: {value}")
    if length or method in ("PUT", "POST"):
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def parse_head(head: bytes) -> tuple[int, Headers]:
    lines = head.decode("latin-1").split("\r\n")
    status_line = lines[0]
    if not status_line.startswith("HTTP/1."):
        raise ProtocolError("not an HTTP/1.x answer")
    try:
        status = int(status_line[9:12])
    except ValueError:
        raise ProtocolError("bad HTTP status line") from None
    headers = Headers()
    put, has = dict.__setitem__, dict.__contains__  # names are lower-cased here once
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            name = name.strip().lower()
            value = value.strip()
            put(headers, name, f"{dict.__getitem__(headers, name)}, {value}" if has(headers, name) else value)
    return status, headers


def error_from(status: int, body: bytes, bucket: str | None, key: str | None) -> WireError:
    """The WireError of a non-2xx answer: its S3 error document, else what the status says."""
    code = _CODE_RE.search(body)
    if code:
        message = _MESSAGE_RE.search(body)
        text = message.group(1).decode("utf-8", "replace") if message else ""
        return WireError(status, code.group(1).decode("utf-8", "replace"), text, bucket, key, True)
    if status == 404:
        name = "NoSuchKey" if key else ("NoSuchBucket" if bucket else "ResourceNotFound")
    else:
        name = _STATUS_CODES.get(status, "")
    return WireError(status, name, "", bucket, key, not body.strip())


def split_endpoint(endpoint: str, secure: bool) -> tuple[str, int]:
    """("host", port) of "host", "host:port", "[v6]" or "[v6]:port"."""
    if endpoint.startswith("["):
        host, _, rest = endpoint[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif endpoint.count(":") == 1:
        host, _, port = endpoint.partition(":")
    else:
        host, port = endpoint, ""
    return host, int(port) if port else (443 if secure else 80)


def tls_context(settings: Any) -> Any:
    import ssl
    if settings.verify_tls:
        if settings.ca_bundle:
            cafile = str(settings.ca_bundle)
        else:
            import certifi
            cafile = certifi.where()
        return ssl.create_default_context(cafile=cafile)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def backoff(delay: float, retry_after: str | None) -> tuple[float, float]:
    """(seconds to wait now, next delay): exponential with jitter, capped at 8 s, and at least what a
    Retry-After header asks (up to 8 s)."""
    wait = delay * (0.5 + random.random())
    if retry_after and retry_after.isdigit():
        wait = max(wait, min(float(retry_after), 8.0))
    return wait, min(delay * 2, 8.0)
