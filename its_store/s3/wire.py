"""A lean S3 client for the hot path: keep-alive HTTP/1.1 connections over plain sockets, signed by
sigv4.py and framed by http1.py.

Object GET/PUT/HEAD/DELETE, the multipart steps and ListObjectsV2 go through here; everything else
(bucket configuration, versions, presigning) still goes through minio in s3.py. Why: per request,
minio + urllib3 + http.client cost ~0.5 ms of client CPU here (header objects, the email parser,
retries bookkeeping), which is what bounds small-object transfers on a shared 2-core machine, and
importing minio costs ~100 ms on every command (it loads its crypto stack). This module imports
nothing outside the standard library.

- Connections: a LIFO of idle keep-alive sockets per endpoint, shared by threads. A socket idle for
  a second or more is polled for a close by the server before reuse; a GET/PUT/HEAD/DELETE that fails
  on a reused socket before any answer arrives is sent again on a fresh one (not counted as a retry).
  A POST always gets a fresh connection, so that it is never sent twice by mistake.
- Retries: connection failures for idempotent methods, and 500/502/503/504 answers (S3 "SlowDown",
  "InternalError": the server did not do the work) for every method, with exponential backoff,
  jitter and Retry-After, up to `max_retries`.
- Bodies: `readinto` reads straight from the socket into the caller's buffer (no per-chunk bytes
  objects), which is what the big ranged downloads use.
- Errors: a non-2xx answer raises http1.WireError(status, code, message); s3errors.translate maps it
  to the ItsStoreError tree. Secrets are never part of a message.
"""

from __future__ import annotations

import select
import socket
import struct
import threading
import time
from collections.abc import Iterator
from typing import Any

from its_store.s3.http1 import (
    IDEMPOTENT,
    RETRY_STATUS,
    Headers,
    ProtocolError,
    RemoteClosed,
    WireError,
    backoff,
    error_from,
    parse_head,
    request_head,
    split_endpoint,
    tls_context,
)
from its_store.s3.sigv4 import Signer, canonical_query, object_path, payload_hash

RBUF = 64 * 1024
RECHECK_IDLE = 1.0  # seconds idle after which a pooled socket is polled for a close before reuse


# ------------------------------------------------------------------------------------- connections
class _Conn:
    """One socket with a small read buffer for response heads."""

    __slots__ = ("buf", "end", "idle_since", "pos", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = bytearray(RBUF)
        self.pos = self.end = 0
        self.idle_since = 0.0

    def dropped(self) -> bool:
        """True if the server closed this idle socket (readable with nothing to read = EOF)."""
        try:
            poller = select.poll()
            poller.register(self.sock, select.POLLIN)
            return bool(poller.poll(0))
        except (OSError, ValueError):
            return True

    def read_head(self) -> bytes:
        """Bytes of the response head up to the blank line; what follows stays buffered."""
        search = self.pos
        while True:
            i = self.buf.find(b"\r\n\r\n", search, self.end)
            if i >= 0:
                head = bytes(self.buf[self.pos:i])
                self.pos = i + 4
                return head
            if self.end == len(self.buf):
                if self.pos == 0:
                    raise ProtocolError("response head too large")
                self.buf[: self.end - self.pos] = self.buf[self.pos:self.end]
                self.end -= self.pos
                self.pos = 0
            search = max(self.pos, self.end - 3)
            n = self.sock.recv_into(memoryview(self.buf)[self.end:])
            if not n:
                raise RemoteClosed("Remote end closed connection without response")
            self.end += n
            if self.end - self.pos >= 5 and not self.buf.startswith(b"HTTP/", self.pos):
                raise ProtocolError("not an HTTP/1.x answer")

    def readinto(self, view: memoryview) -> int:
        if self.pos < self.end:
            n = min(len(view), self.end - self.pos)
            view[:n] = self.buf[self.pos:self.pos + n]
            self.pos += n
            if self.pos == self.end:
                self.pos = self.end = 0
            return n
        return self.sock.recv_into(view)

    def readline(self) -> bytes:
        """One CRLF-terminated line (chunked encoding framing)."""
        while True:
            i = self.buf.find(b"\r\n", self.pos, self.end)
            if i >= 0:
                line = bytes(self.buf[self.pos:i])
                self.pos = i + 2
                return line
            if self.pos:
                self.buf[: self.end - self.pos] = self.buf[self.pos:self.end]
                self.end -= self.pos
                self.pos = 0
            if self.end == len(self.buf):
                raise ProtocolError("chunk header too long")
            n = self.sock.recv_into(memoryview(self.buf)[self.end:])
            if not n:
                raise RemoteClosed("Remote end closed connection in the middle of a chunked body")
            self.end += n

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


class Pool:
    """Idle keep-alive connections to one endpoint (LIFO), shared by threads."""

    def __init__(self, host: str, port: int, tls: Any, connect_timeout: float, read_timeout: float,
                 maxsize: int) -> None:
        self.host, self.port, self.tls = host, port, tls
        self.connect_timeout, self.read_timeout = connect_timeout, read_timeout
        self.maxsize = max(maxsize, 1)
        self._idle: list[_Conn] = []
        self._lock = threading.Lock()

    def get(self, fresh: bool = False) -> tuple[_Conn, bool]:
        """(connection, reused). A socket idle for RECHECK_IDLE seconds or more is first checked
        for a close by the server (a poll). `fresh`: a new connection, for a request that must not
        be sent twice (a POST): on a reused socket, a failure could not tell "the server closed it
        before reading the request" from "the server did the work and then went away"."""
        if fresh:
            return self._connect(), False
        while True:
            with self._lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None:
                return self._connect(), False
            if not (time.monotonic() - conn.idle_since >= RECHECK_IDLE and conn.dropped()):
                return conn, True
            conn.close()

    def _connect(self) -> _Conn:
        """A connected socket. Plain HTTP: a blocking socket whose timeouts are the kernel's
        (SO_RCVTIMEO/SO_SNDTIMEO), because a Python socket timeout means a poll() before every
        recv and send, each one more GIL hand-off between worker threads. A timed-out call then
        raises EAGAIN, which recv_into/sendall callers see as TimeoutError (see _timeouts)."""
        sock = socket.create_connection((self.host, self.port), timeout=self.connect_timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.tls is not None:
                sock = self.tls.wrap_socket(sock, server_hostname=self.host)
                sock.settimeout(self.read_timeout)
            else:
                sock.settimeout(None)
                seconds = int(self.read_timeout)
                timeval = struct.pack("ll", seconds, int((self.read_timeout - seconds) * 1e6))
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)
        except BaseException:
            sock.close()
            raise
        return _Conn(sock)

    def put(self, conn: _Conn) -> None:
        if conn.pos != conn.end:  # stray bytes: the framing is off, do not reuse
            conn.close()
            return
        conn.idle_since = time.monotonic()
        with self._lock:
            if len(self._idle) < self.maxsize:
                self._idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


# ---------------------------------------------------------------------------------------- responses
class Response:
    """An answer whose body is read on demand (urllib3-like: read, stream, readinto, close, release_conn)."""

    def __init__(self, conn: _Conn, pool: Pool, status: int, headers: Headers, method: str) -> None:
        self._conn: _Conn | None = conn
        self._pool = pool
        self.status = status
        self.headers = headers
        self._data: bytes | None = None
        self._chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        length = headers.get("content-length")
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            self._left: int | None = 0
        elif self._chunked:
            self._left = None
        elif length is not None:
            try:
                self._left = int(length)
            except ValueError:
                raise ProtocolError(f"bad Content-Length {length!r}") from None
        else:
            self._left = None  # read until the server closes
        self._keep = headers.get("connection", "").lower() != "close" and (self._chunked or self._left is not None)
        if self._left == 0 and not self._chunked:
            self._finish()

    def _finish(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            if self._keep:
                self._pool.put(conn)
            else:
                conn.close()

    def readinto(self, buffer: Any) -> int:
        """Read up to len(buffer) body bytes into `buffer`; 0 at the end of the body."""
        view = memoryview(buffer).cast("B")
        if self._conn is None or not len(view):
            return 0
        if self._chunked:
            data = self.read(len(view))
            view[: len(data)] = data
            return len(data)
        if self._left is not None:
            view = view[: self._left]
        n = self._conn.readinto(view)
        if not n:
            if self._left is None:  # read-until-close body: this is its end
                self._keep = False
                self._finish()
                return 0
            self.close()
            raise RemoteClosed(f"IncompleteRead: connection closed with {self._left} bytes to go")
        if self._left is not None:
            self._left -= n
            if not self._left:
                self._finish()
        return n

    def read(self, amt: int | None = None) -> bytes:
        """Up to `amt` bytes of body (all of it when None)."""
        if self._chunked:
            return self._read_chunked(amt)
        if amt is None:
            if self._data is not None:
                return self._data
            parts: list[bytes] = []
            while True:
                size = self._left if self._left is not None else RBUF
                chunk = self.read(size or RBUF) if size else b""
                if not chunk:
                    return b"".join(parts)
                parts.append(chunk)
        buf = bytearray(amt)
        got = 0
        view = memoryview(buf)
        while got < amt:
            n = self.readinto(view[got:])
            if not n:
                break
            got += n
        del view
        if got < amt:
            del buf[got:]
        return bytes(buf)

    def _read_chunked(self, amt: int | None) -> bytes:
        out = bytearray()
        conn = self._conn
        while conn is not None and (amt is None or len(out) < amt):
            if not self._left:
                size_line = conn.readline().split(b";", 1)[0].strip()
                try:
                    size = int(size_line, 16)
                except ValueError:
                    raise ProtocolError("bad chunk size") from None
                if size == 0:
                    while conn.readline():  # trailers, then the blank line
                        pass
                    self._left = 0
                    self._finish()
                    break
                self._left = size
            want = self._left if amt is None else min(self._left, amt - len(out))
            part = bytearray(want)
            view = memoryview(part)
            got = 0
            while got < want:
                n = conn.readinto(view[got:])
                if not n:
                    self.close()
                    raise RemoteClosed("IncompleteRead: connection closed in a chunk")
                got += n
            del view
            out += part
            self._left -= want
            if not self._left:
                conn.readline()  # the CRLF after the chunk
        return bytes(out)

    def stream(self, amt: int = RBUF) -> Iterator[bytes]:
        while True:
            data = self.read(amt)
            if not data:
                return
            yield data

    @property
    def data(self) -> bytes:
        if self._data is None:
            self._data = self.read()
        return self._data

    def drain(self, limit: int = 1 << 20) -> None:
        """Read and drop a small rest of the body so the connection can be reused; else close it."""
        if self._conn is not None and self._left is not None and self._left <= limit and not self._chunked:
            try:
                self.read()
            except OSError:
                self.close()
        else:
            self.close()

    def close(self) -> None:
        """Drop the connection unless the body was read to its end (then it is back in the pool)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def release_conn(self) -> None:
        """urllib3 compatibility: the connection went back to the pool when the body ended."""


# ------------------------------------------------------------------------------------------ client
class Wire:
    """Signed S3 requests to one endpoint with pooled connections and retries."""

    def __init__(self, settings: Any, pool_size: int | None = None) -> None:
        host, port = split_endpoint(settings.endpoint, settings.secure)
        default = 443 if settings.secure else 80
        self.host_header = (f"[{host}]" if ":" in host else host) + ("" if port == default else f":{port}")
        self.signer = Signer(settings.access_key, settings.secret_key.get_secret_value(), settings.region)
        self.max_retries = settings.max_retries
        self.pool = Pool(host, port, tls_context(settings) if settings.secure else None,
                         settings.connect_timeout, settings.read_timeout,
                         pool_size or settings.max_pool_connections)

    def request(self, method: str, bucket: str, key: str | None = None, *, query: dict[str, str] | None = None,
                headers: dict[str, str] | None = None, body: bytes | memoryview = b"",
                stream: bool = False) -> Response:
        """Send one request (retried as described in the module doc). Non-2xx raises WireError.

        With stream=False the body is read before returning (`.data`); with stream=True the caller
        reads it and must close() the response if it stops early."""
        path = object_path(bucket, key)
        qs = canonical_query(query)
        target = f"{path}?{qs}" if qs else path
        signed_as = payload_hash(body, headers or {})
        delay = 0.25
        attempt = 0
        while True:
            sent = {"Host": self.host_header, **(headers or {})}
            self.signer.sign(method, path, qs, sent, signed_as)
            head = request_head(method, target, sent, len(body))
            conn, reused = self.pool.get(fresh=method not in IDEMPOTENT)
            try:
                resp = _exchange(conn, self.pool, method, head, body)
            except (OSError, ProtocolError) as exc:
                conn.close()
                if reused and isinstance(exc, (RemoteClosed, ConnectionResetError, BrokenPipeError)):
                    continue  # a stale keep-alive socket: not the server's answer, not a retry
                if method not in IDEMPOTENT or attempt >= self.max_retries or isinstance(exc, ProtocolError):
                    raise
                attempt += 1
                delay = _sleep(delay, None)
                continue
            if resp.status in RETRY_STATUS and attempt < self.max_retries:
                resp.drain()
                attempt += 1
                delay = _sleep(delay, resp.headers.get("retry-after"))
                continue
            if resp.status >= 300:
                raise _error(resp, bucket, key)
            if not stream:
                try:
                    resp.data  # noqa: B018 - read the body now, so the connection is reused
                except (OSError, ProtocolError):
                    if method not in IDEMPOTENT or attempt >= self.max_retries:
                        raise
                    attempt += 1
                    delay = _sleep(delay, None)
                    continue
            return resp

    def close(self) -> None:
        self.pool.close()


def _exchange(conn: _Conn, pool: Pool, method: str, head: bytes, body: bytes | memoryview) -> Response:
    sock = conn.sock
    if body and len(body) <= 16 * 1024:
        sock.sendall(head + bytes(body))
    else:
        sock.sendall(head)
        if body:
            sock.sendall(body)
    while True:
        status, headers = parse_head(conn.read_head())
        if status != 100:  # 100 Continue is informational: the real answer follows
            return Response(conn, pool, status, headers, method)


def _sleep(delay: float, retry_after: str | None) -> float:
    wait, delay = backoff(delay, retry_after)
    time.sleep(wait)
    return delay


def _error(resp: Response, bucket: str | None, key: str | None) -> WireError:
    try:
        body = resp.read(64 * 1024) if resp._left != 0 else b""
    except (OSError, ProtocolError):
        body = b""
    resp.close()
    return error_from(resp.status, body, bucket, key)


