"""The one urllib3 pool behind the minio client: timeouts, CA, proxies, and the one retry policy.

Retries (urllib3's Retry, logged by LoggedRetry): connection failures before a request was sent, for
every method; 500/502/503/504 answers (SlowDown included) and broken answers for idempotent methods
only, with exponential backoff and jitter. A POST is never re-sent after it may have reached the
server, and a conditional request (If-None-Match / If-Match) is never re-sent at all once sent: a
repeat could report a conflict that the first attempt caused (s3/conditional.py reads back instead).

Interim 1xx answers (102 Processing, 103 Early Hints) are skipped: http.client treats only 100 as
interim, and taking a 102 for the final answer would both report a false outcome and leave the real
answer in a pooled connection.

No answer is decoded (urllib3's `decode_content=False`, on every request): we ask for no transfer encoding
(http.client sends `Accept-Encoding: identity`), so a Content-Encoding on an answer is the object's own,
stored with it (`aws s3 cp --content-encoding gzip`); a GET returns the stored bytes, which the server's
size, ETag and CRC32 describe, as mc, s5cmd, rclone and aws-cli return them. Our own compression sets no
Content-Encoding (codec/compression.py) and is undone by us, once.

An answer read whole (a listing page, a configuration, any error's document) is read here, not by urllib3's
preload, and never past ANSWER_LIMIT (answered, bounded): an endpoint whose answer never ends (a camera's MJPEG
port named by mistake) is a bad answer, not all of the machine's memory. Object bytes are streamed (GetObject:
preload_content=False), never under that limit, with one exception: a ranged GET through the client's `_raw`
is read whole here, so s3/multipart._bytes_are's read-back of an object (ranges of _READ_BACK, 8 MiB, each
with its Content-Length) is under it, a quarter of it; a range answered longer than ANSWER_LIMIT (or endless)
is a bad answer there, which that fault path takes for "no proof". Raising _READ_BACK past ANSWER_LIMIT would
make every such read-back fail. No more than ANSWER_LIMIT + 1 bytes of an answer of status >= 300 is read by
anyone, urllib3's drain before a retry included (FinalResponse).

Timeouts: MINIO_CONNECT_TIMEOUT to connect and for each wait while a request is sent, MINIO_READ_TIMEOUT for
each wait for answer bytes. Over plain HTTP on Linux the kernel keeps them (SO_SNDTIMEO / SO_RCVTIMEO on a
blocking socket: s3/kernel_timeouts.py), so CPython does not poll() before every recv and send; an expired one
is the same "timed out" error as CPython's own. Over TLS a request body of more than 256 KiB with a
Content-Length goes out in slices, each send with its own deadline (_TLSConnection).
"""

from __future__ import annotations

import functools
import http.client
import logging
import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlsplit

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util import Retry, Timeout

if TYPE_CHECKING:
    from urllib3 import BaseHTTPResponse

    from its_store.core.settings import Settings
    from its_store.s3.pacing import Pacer

log = logging.getLogger("its_store.s3")
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRY_STATUS = (500, 502, 503, 504)
ANSWER_LIMIT = 32 * 1024 * 1024  # an answer read whole: >10x the largest S3 sends (a page of 1,000 1-KiB keys)


class LoggedRetry(Retry):
    """urllib3's Retry that says, at INFO (`-v`), what is retried and why."""

    def increment(self, method: str | None = None, url: str | None = None, response: Any = None,
                  error: Exception | None = None, _pool: Any = None, _stacktrace: Any = None) -> Self:
        new = super().increment(method, url, response, error, _pool, _stacktrace)
        cause = f"HTTP {response.status}" if error is None and response is not None else _cause(error)
        path = (url or "").split("?", 1)[0]
        left = new.total if isinstance(new.total, int) else "?"
        log.info("retry %d (%s left): %s %s after %s", len(new.history), left, method, path, cause)
        return new

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        """urllib3's pause before a retry (the server's Retry-After, else the back-off), cut short when an
        interrupt unwinds (core/retry.pause_before_retry): the retry is then not sent, and the request
        ends as interrupted (exit 130), its item not done (nothing of it written or made visible)."""
        from its_store.core.retry import pause_before_retry  # here: a process that never retries never loads it
        pause = self.get_retry_after(response) if self.respect_retry_after_header and response else None
        if not pause_before_retry(pause or self.get_backoff_time()):
            from its_store.core.errors import InterruptedError_
            raise InterruptedError_("interrupted while waiting to retry a request")


def _cause(error: Exception | None) -> str:
    from its_store.s3.errors import short_reason
    return short_reason(error) if error is not None else "an error"


class FinalResponse(http.client.HTTPResponse):
    """An http.client response that skips interim 1xx answers other than 100 (which it skips itself), and of
    an answer of status >= 300 (an error's document, a redirect) gives no more than ANSWER_LIMIT + 1 bytes.

    Overrides http.client's `_read_status`, the only hook there is; tests/test_s3_adapter.py fails
    if a Python upgrade changes it. The `read` (public) of an answer of status >= 300 (_ErrorAnswer, the class its
    _read_status gives it) is bounded for urllib3's drain_conn: before it retries a
    5xx it reads the rest of the answer to reuse the connection, to the end however long (a 503 whose body
    never ends held the command there for ever: tests/test_retried_5xx_endless_body.py). Past the limit the
    connection is shut down (never reused) and the read ends; bounded() reads such answers up to the same
    limit, so what it reads and refuses is unchanged."""

    def _read_status(self) -> tuple[str, int, str]:
        while True:
            version, status, reason = super()._read_status()  # type: ignore[misc]
            if not (101 < status < 200):
                if status >= 300:  # this answer's reads bounded; a 2xx body's reads cost nothing more
                    self.__class__ = _ErrorAnswer
                return version, status, reason
            while self.fp.readline(65537) not in (b"\r\n", b"\n", b""):  # its header lines
                pass
            log.debug("skipped an interim %d %s answer", status, reason)


class _ErrorAnswer(FinalResponse):
    """A FinalResponse of status >= 300, whose body is read no further than ANSWER_LIMIT + 1 bytes."""

    _left = -1  # bytes still given of an answer of status >= 300 (-1: none read yet)

    def read(self, amt: int | None = None) -> bytes:
        """At most ANSWER_LIMIT + 1 bytes in all (FinalResponse)."""
        left = ANSWER_LIMIT + 1 if self._left < 0 else self._left
        if left == 0:
            self._cut()
            return b""
        data = super().read(left if amt is None or amt < 0 else min(amt, left))
        self._left = left - len(data)
        return data

    def _cut(self) -> None:
        """The connection shut down (its socket, by a duplicate of its descriptor: both directions) and this
        answer closed: the unread rest of the body is never read, nor taken for the next answer. An answer
        read to its very end (ANSWER_LIMIT + 1 bytes long) was closed by http.client: nothing left to cut
        (tests/test_atk38b_error_answer_exact_limit.py)."""
        import socket
        if self.fp is not None:
            try:
                with socket.socket(fileno=os.dup(self.fileno())) as sock:
                    sock.shutdown(socket.SHUT_RDWR)
            except (OSError, ValueError):  # closed already
                pass
        self.close()


class _Connection(HTTPConnection):
    """A plain-HTTP connection; with `kernel_timeouts` (connect, read) set by _pool_classes, its socket keeps
    them in the kernel once connected (s3/kernel_timeouts.py: no poll() before every recv and send)."""

    response_class = FinalResponse
    kernel_timeouts: tuple[float, float] | None = None

    def connect(self) -> None:
        super().connect()
        if self.kernel_timeouts is not None and self.sock is not None:
            from its_store.s3.kernel_timeouts import KernelTimedSocket
            self.sock = KernelTimedSocket.adopt(self.sock, *self.kernel_timeouts)


SEND_SLICE = 256 * 1024  # bytes of a request body one TLS send may take (_TLSConnection)


class _TLSConnection(HTTPSConnection):
    """A TLS connection that hands a request body over `SEND_SLICE` bytes at a time.

    CPython bounds one SSLSocket send, one SSL_write of the whole buffer, by one deadline: the connect
    timeout urllib3 gives the socket while it sends. http.client sends a bytes body in one sendall(), so a
    64 MiB part that took longer than MINIO_CONNECT_TIMEOUT to leave (a slow uplink) was cut off as
    "timed out" though the peer kept reading. Slice by slice (memoryviews, no copies), each slice's send
    has its own deadline and the whole body none (plain HTTP: each wait, s3/kernel_timeouts.py). Only
    with a Content-Length (minio sets it): urllib3 then sends the slices as one plain body, not chunked.
    Each attempt (a retry too) calls this with the bytes again: every attempt sends from the start."""

    response_class = FinalResponse

    def request(self, method: str, url: str, body: Any = None, headers: Any = None, **kw: Any) -> None:
        if (isinstance(body, (bytes, bytearray, memoryview)) and memoryview(body).nbytes > SEND_SLICE
                and headers is not None and any(name.lower() == "content-length" for name in headers)):
            body = _Slices(body)
        super().request(method, url, body, headers, **kw)


class _Slices:
    """`data` as memoryviews of at most SEND_SLICE bytes each (iterable again: each pass from the start)."""

    __slots__ = ("_data",)

    def __init__(self, data: bytes | bytearray | memoryview) -> None:
        self._data = data

    def __iter__(self) -> Iterator[memoryview]:
        view = memoryview(self._data).cast("B")
        return (view[start:start + SEND_SLICE] for start in range(0, len(view), SEND_SLICE))


class _Pool(HTTPConnectionPool):
    ConnectionCls = _Connection


class _TLSPool(HTTPSConnectionPool):
    ConnectionCls = _TLSConnection


def _pool_classes(connect_timeout: float, read_timeout: float) -> dict[str, type[HTTPConnectionPool]]:
    """The pool classes by scheme: plain HTTP on a connection class whose sockets keep these timeouts in the
    kernel (Linux: s3/kernel_timeouts.SUPPORTED); TLS, and other systems, on Python's own socket timeouts."""
    from its_store.s3.kernel_timeouts import SUPPORTED
    if not SUPPORTED:
        return {"http": _Pool, "https": _TLSPool}
    conn = type("_Connection", (_Connection,), {"kernel_timeouts": (connect_timeout, read_timeout)})
    return {"http": type("_Pool", (_Pool,), {"ConnectionCls": conn}), "https": _TLSPool}


def checked_urlopen(send: Callable[..., BaseHTTPResponse], once: Retry, endpoint_host: str, method: str, url: str,
                    redirect: bool, kw: dict[str, Any], closed: bool = False,
                    pacer: Pacer | None = None) -> BaseHTTPResponse:
    """urlopen of both pool managers below: a request with a precondition (If-None-Match / If-Match) gets
    connect retries only (`once`); every final answer is checked against what its S3 call must get before
    minio reads it (s3/answers.py). `send` is the urllib3 manager's own urlopen. With a bandwidth limit
    (`pacer`), the request body goes out in paced steps (s3/pacing.py: this is where every body meets the wire).

    A closed pool (S3Client.close) sends nothing: every path of every operation asks here, so an
    operation another thread still runs stops at its next request instead of reopening connections and
    changing the server after its service was closed (a multipart upload went on to completion). One
    request is let through: AbortMultipartUpload, which undoes what such an operation had begun (its parts
    stay on the server, unseen and billed, otherwise); its connection is dropped after it (urlopen below)."""
    if closed and not (method == "DELETE" and "uploadId=" in url.partition("?")[2]):
        from its_store.core.errors import ClosedError
        raise ClosedError("the S3 client is closed: its StorageService was closed while this operation ran",
                            hint="close the service only when every call on it has returned; or create a new one")
    headers = kw.get("headers")
    if headers is not None and ("If-None-Match" in headers or "If-Match" in headers):
        kw["retries"] = once
    kw["decode_content"] = False  # the stored bytes, whatever their Content-Encoding (module docstring)
    if pacer is not None and kw.get("body") and isinstance(kw["body"], (bytes, bytearray, memoryview)):
        kw["body"] = pacer.body(kw["body"])  # minio sends bytes (it signs them); anything else goes as it is
    whole = kw.get("preload_content", True)
    kw["preload_content"] = False  # an answer read whole is read here, up to ANSWER_LIMIT (answered below)
    resp = answered(send, method, url, redirect, kw, whole, endpoint_host)
    _answers().check(method, url, headers, resp, whole, endpoint_host)
    return resp


def answered(send: Callable[..., BaseHTTPResponse], method: str, url: str, redirect: bool, kw: dict[str, Any],
             whole: bool, endpoint_host: str) -> BaseHTTPResponse:
    """The answer to one request, an answer read whole (`whole`, or any error's document) read by bounded().
    Broken while its body is read, it is asked for again as urllib3 retries a preloaded answer broken so (its
    Retry counts a read error: never for a POST, nor for a conditional request's `once`)."""
    while True:
        resp = send(method, url, redirect, **kw)
        if not whole and resp.status < 300:  # a streamed answer (GetObject); an error's document is read whole
            return resp
        try:
            return bounded(resp, method, url, kw.get("headers"), endpoint_host)
        except (urllib3.exceptions.ProtocolError, urllib3.exceptions.ReadTimeoutError) as exc:
            path = urllib3.util.parse_url(url).request_uri  # as urllib3 names the request to its Retry
            retries = resp.retries.increment(method, path, error=exc) if resp.retries else None
            if retries is None:
                raise
            retries.sleep()
            kw["retries"] = retries


def bounded(resp: BaseHTTPResponse, method: str, url: str, headers: Any, endpoint_host: str) -> BaseHTTPResponse:
    """`resp` read whole, as urllib3's preload_content reads it, but never more than ANSWER_LIMIT bytes: a
    longer one is a bad answer, its connection dropped. An endpoint that streams (a camera's MJPEG port named
    by mistake, a proxy's endless page) was read into memory until MemoryError or the OOM killer ended it
    (tests/test_atk37_endless_answer.py). An answer of known, allowed length is read as preload reads it;
    one without a length (chunked, or until the close) is read in pieces and handed on as a new response."""
    length = resp.length_remaining
    if length is not None and length <= ANSWER_LIMIT:
        resp.read(cache_content=True)  # what `.data` then returns, as after preload_content
        return resp
    pieces, total = [], 0
    while total <= ANSWER_LIMIT and (piece := resp.read(1 << 20)):
        pieces.append(piece)
        total += len(piece)
    if total > ANSWER_LIMIT:
        resp.close()  # the rest is never read: the connection goes back to the pool closed, to be made anew
        resp.release_conn()
        name = _answers().identify(method, url, endpoint_host, headers)[0]
        raise _answers().bad_answer(name, f"an answer larger than {ANSWER_LIMIT >> 20} MiB (it is read whole)")
    import io
    return urllib3.HTTPResponse(body=io.BytesIO(b"".join(pieces)), headers=resp.headers, status=resp.status,
                                version=resp.version, reason=resp.reason, preload_content=False,
                                decode_content=False, retries=resp.retries, request_url=resp.url)


@functools.cache
def _answers() -> Any:
    """s3/answers, imported on the first answer (not at start-up), then without an import statement each time."""
    from its_store.s3 import answers
    return answers


class PoolManager(urllib3.PoolManager):
    """urllib3's PoolManager whose urlopen is checked_urlopen(); build_pool() sets `once` and `endpoint_host`,
    S3Client.close() sets `closed`, S3Client its `pacer` (bandwidth limit)."""

    once: Retry
    endpoint_host: str = ""
    closed: bool = False
    pacer: Pacer | None = None

    def urlopen(self, method: str, url: str, redirect: bool = True,  # type: ignore[override]  # as urllib3's
                **kw: Any) -> BaseHTTPResponse:
        resp = checked_urlopen(super().urlopen, self.once, self.endpoint_host, method, url, redirect, kw,
                               self.closed, self.pacer)
        if self.closed:
            self.clear()  # an abort let through a closed pool (checked_urlopen) keeps no connection open
        return resp


class ProxyManager(urllib3.ProxyManager):
    """urllib3's ProxyManager whose urlopen is checked_urlopen(); build_pool() sets `once` and `endpoint_host`,
    S3Client.close() sets `closed`, S3Client its `pacer` (bandwidth limit)."""

    once: Retry
    endpoint_host: str = ""
    closed: bool = False
    pacer: Pacer | None = None

    def urlopen(self, method: str, url: str, redirect: bool = True,  # type: ignore[override]  # as urllib3's
                **kw: Any) -> BaseHTTPResponse:
        resp = checked_urlopen(super().urlopen, self.once, self.endpoint_host, method, url, redirect, kw,
                               self.closed, self.pacer)
        if self.closed:
            self.clear()  # an abort let through a closed pool (checked_urlopen) keeps no connection open
        return resp


def build_pool(settings: Settings, size: int) -> PoolManager | ProxyManager:
    """The pool minio uses: `size` connections per host (block when all are busy), our timeouts,
    CA (MINIO_CA_BUNDLE, else SSL_CERT_FILE / SSL_CERT_DIR, else certifi), the proxy the settings
    name for the endpoint (HTTP_PROXY / HTTPS_PROXY / NO_PROXY), and the retry policy above."""
    n = settings.max_retries
    retries = LoggedRetry(
        total=n, connect=n, read=n, status=n, other=n, redirect=False, backoff_factor=0.25, backoff_jitter=0.25,
        backoff_max=8.0, status_forcelist=RETRY_STATUS, allowed_methods=IDEMPOTENT, raise_on_status=False,
        respect_retry_after_header=True)
    host = (urlsplit("//" + settings.endpoint).hostname or "").lower()
    if not settings.verify_tls:  # the user opted out; the CLI prints its own warning once
        quiet_insecure_warning(host)
    kw: dict[str, Any] = {
        "timeout": Timeout(connect=settings.connect_timeout, read=settings.read_timeout),
        "maxsize": max(size, 1), "block": True, "retries": retries,
        "cert_reqs": "CERT_REQUIRED" if settings.verify_tls else "CERT_NONE",
        **_trust(settings),
    }
    proxy = settings.proxy()
    if proxy:
        manager: PoolManager | ProxyManager = ProxyManager(proxy_url=_without_auth(proxy),
                                                           proxy_headers=_proxy_auth(proxy), **kw)
    else:
        manager = PoolManager(**kw)
    manager.pool_classes_by_scheme = _pool_classes(settings.connect_timeout, settings.read_timeout)
    manager.endpoint_host = host  # see s3/answers.py
    manager.once = LoggedRetry(total=n, connect=n, read=0, status=0, other=0, redirect=False,
                               backoff_factor=0.25, backoff_jitter=0.25, raise_on_status=False)
    return manager


def quiet_insecure_warning(host: str) -> None:
    """Silence urllib3's InsecureRequestWarning for requests to `host` only (MINIO_VERIFY_TLS=false is a
    choice about this endpoint): any other HTTPS request the process makes without verification, through
    urllib3 or requests, still warns. Not urllib3.disable_warnings(), which silences the whole process."""
    import re
    import warnings
    warnings.filterwarnings("ignore", category=urllib3.exceptions.InsecureRequestWarning,
                            message=f"Unverified HTTPS request is being made to host '{re.escape(host)}'")


def _trust(settings: Settings) -> dict[str, str]:
    if settings.ca_bundle:
        return {"ca_certs": _ca_file(settings.ca_bundle, "MINIO_CA_BUNDLE", settings.secure)}
    if settings.ssl_cert_file or settings.ssl_cert_dir:
        out = {}
        if settings.ssl_cert_file:
            out["ca_certs"] = _ca_file(settings.ssl_cert_file, "SSL_CERT_FILE", settings.secure)
        if settings.ssl_cert_dir:
            out["ca_cert_dir"] = str(settings.ssl_cert_dir)
        return out
    import certifi
    return {"ca_certs": certifi.where()}


def _ca_file(path: object, setting: str, used: bool) -> str:
    """`path` of a CA bundle, if OpenSSL can read it: a FIFO named there hung the first TLS handshake
    forever, a folder failed it as "TLS failed" (exit 69, the server blamed). One line, exit 78, naming
    the setting; only when `used` (an https endpoint: SSL_CERT_FILE set for other programs does not
    stop a plain-HTTP one). A remote's ca_bundle is checked by core/remotes.settings_for, naming it."""
    from its_store.core.errors import ConfigError
    from its_store.core.files import not_a_file
    why = not_a_file(str(path)) if used else None
    if why is not None:
        raise ConfigError(f"{setting}: {path} is {why}, not a PEM file of CA certificates")
    return str(path)


def _without_auth(url: str) -> str:
    from urllib.parse import urlsplit, urlunsplit
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def _proxy_auth(url: str) -> dict[str, str] | None:
    from urllib.parse import unquote, urlsplit
    parts = urlsplit(url)
    if not parts.username:
        return None
    return urllib3.make_headers(proxy_basic_auth=f"{unquote(parts.username)}:{unquote(parts.password or '')}")
