"""A small fault-injecting HTTP/1.1 proxy on loopback, between the client and the real server.

It understands just enough HTTP (request head + Content-Length body, response head + Content-Length
or chunked body) to inject faults per request: 503 SlowDown answers, connection resets in the
middle of a request or response body, stalls, and a byte budget after which every request is reset
(a network that dies at a known point). Counters let tests check what really crossed the wire.
"""

from __future__ import annotations

import random
import socket
import struct
import threading
import time
from dataclasses import dataclass, field

SLOWDOWN_BODY = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
                 b"<Message>Please reduce your request rate.</Message><Resource>/</Resource>"
                 b"<RequestId>fault-proxy</RequestId></Error>")


@dataclass
class Counters:
    requests: int = 0
    forwarded: int = 0
    slowdowns: int = 0
    resets: int = 0
    closed_idle: int = 0  # connections closed after a response (close_after_response)
    body_bytes_up: int = 0  # request body bytes forwarded to the server
    methods: dict[str, int] = field(default_factory=dict)


class _Reset(Exception):
    pass


class FaultProxy:
    """FaultProxy(upstream_port, slowdown_rate=0.1).start(); .endpoint is host:port for clients."""

    def __init__(self, upstream_port: int, *, upstream_host: str = "127.0.0.1", slowdown_rate: float = 0.0,
                 reset_rate: float = 0.0, stall_seconds: float = 0.0, byte_budget: int | None = None,
                 rechunk: bool = False, close_after_response: bool = False, seed: int = 1) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.slowdown_rate = slowdown_rate
        self.reset_rate = reset_rate
        self.stall_seconds = stall_seconds
        self.byte_budget = byte_budget
        self.rechunk = rechunk  # re-frame Content-Length bodies as chunked, like some reverse proxies
        self.close_after_response = close_after_response  # close kept-alive client connections, unannounced
        self.counters = Counters()
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._stopping = threading.Event()
        self._conns: set[socket.socket] = set()

    @property
    def endpoint(self) -> str:
        assert self._sock is not None
        return f"127.0.0.1:{self._sock.getsockname()[1]}"

    def start(self) -> FaultProxy:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        threading.Thread(target=self._accept, daemon=True, name="fault-proxy").start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._sock is not None:
            self._sock.close()
        with self._lock:
            for conn in list(self._conns):
                _reset(conn)
            self._conns.clear()

    def set(self, **changes: object) -> None:
        """Change fault settings while running (e.g. heal the network: byte_budget=None)."""
        with self._lock:
            for name, value in changes.items():
                setattr(self, name, value)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----------------------------------------------------------------------------------------
    def _accept(self) -> None:
        assert self._sock is not None
        while not self._stopping.is_set():
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            with self._lock:
                self._conns.add(client)
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _roll(self, rate: float) -> bool:
        with self._lock:
            return rate > 0 and self._rng.random() < rate

    def _serve(self, client: socket.socket) -> None:
        upstream: socket.socket | None = None
        rfile = client.makefile("rb")
        try:
            while not self._stopping.is_set():
                head = _read_head(rfile)
                if not head:
                    return
                method, headers = _parse_head(head)
                length = int(headers.get("content-length", "0") or 0)
                with self._lock:
                    self.counters.requests += 1
                    self.counters.methods[method] = self.counters.methods.get(method, 0) + 1
                    budget_gone = (self.byte_budget is not None
                                   and self.counters.body_bytes_up + length > self.byte_budget)
                if budget_gone:
                    self._count("resets")
                    raise _Reset
                if self._roll(self.reset_rate) and length > 0:
                    rfile.read(length // 2)  # reset in the middle of the request body
                    self._count("resets")
                    raise _Reset
                body = rfile.read(length) if length else b""
                if self._roll(self.slowdown_rate):
                    self._count("slowdowns")
                    client.sendall(b"HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\n"
                                   b"Content-Length: %d\r\n\r\n" % len(SLOWDOWN_BODY) + SLOWDOWN_BODY)
                    continue
                if self.stall_seconds:
                    time.sleep(self.stall_seconds)
                if upstream is None:
                    upstream = socket.create_connection(self.upstream, timeout=60)
                upstream.sendall(head + body)
                with self._lock:
                    self.counters.forwarded += 1
                    self.counters.body_bytes_up += len(body)
                cut = method == "GET" and self._roll(self.reset_rate)
                upstream = self._relay_response(upstream, client, method, cut)
                if self.close_after_response:
                    self._count("closed_idle")
                    return
        except (_Reset, OSError, ValueError):
            _reset(client)
        finally:
            with self._lock:
                self._conns.discard(client)
            if upstream is not None:
                upstream.close()
            try:
                client.close()
            except OSError:
                pass

    def _count(self, name: str) -> None:
        with self._lock:
            setattr(self.counters, name, getattr(self.counters, name) + 1)

    def _relay_response(self, upstream: socket.socket, client: socket.socket, method: str,
                        cut: bool) -> socket.socket | None:
        ufile = upstream.makefile("rb")
        head = _read_head(ufile)
        if not head:
            raise _Reset
        status = int(head.split(b" ", 2)[1])
        _, headers = _parse_head(head, response=True)
        no_body = method == "HEAD" or status in (204, 304) or 100 <= status < 200
        if self.rechunk and not no_body and "content-length" in headers:
            _send_rechunked(head, int(headers["content-length"]), ufile, client)
            return upstream
        client.sendall(head)
        if no_body:
            pass
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            _relay_chunked(ufile, client)
        else:
            remaining = int(headers.get("content-length", "0") or 0)
            sent = 0
            while remaining > 0:
                chunk = ufile.read(min(remaining, 256 * 1024))
                if not chunk:
                    raise _Reset
                if cut and sent + len(chunk) >= max(1, (sent + remaining) // 2):
                    client.sendall(chunk[: len(chunk) // 2])
                    self._count("resets")
                    raise _Reset
                client.sendall(chunk)
                sent += len(chunk)
                remaining -= len(chunk)
        if headers.get("connection", "").lower() == "close":
            upstream.close()
            return None
        return upstream


def _read_head(rfile: object) -> bytes:
    lines = []
    while True:
        line = rfile.readline(65537)  # type: ignore[attr-defined]
        if not line:
            return b""
        lines.append(line)
        if line in (b"\r\n", b"\n"):
            return b"".join(lines)


def _parse_head(head: bytes, response: bool = False) -> tuple[str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    method = "" if response else lines[0].split(" ", 1)[0]
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return method, headers


def _send_rechunked(head: bytes, length: int, ufile: object, client: socket.socket) -> None:
    """Send a Content-Length response as Transfer-Encoding: chunked, in uneven small chunks."""
    lines = [line for line in head.split(b"\r\n") if line and not line.lower().startswith(b"content-length:")]
    client.sendall(b"\r\n".join([*lines, b"Transfer-Encoding: chunked", b"", b""]))
    sizes = (1, 4093, 17, 65536)
    i = 0
    while length > 0:
        data = ufile.read(min(length, sizes[i % len(sizes)]))  # type: ignore[attr-defined]
        if not data:
            raise _Reset
        client.sendall(b"%x;ext=1\r\n%s\r\n" % (len(data), data))
        length -= len(data)
        i += 1
    client.sendall(b"0\r\nX-Trailer: 1\r\n\r\n")


def _relay_chunked(ufile: object, client: socket.socket) -> None:
    while True:
        size_line = ufile.readline()  # type: ignore[attr-defined]
        client.sendall(size_line)
        size = int(size_line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while True:  # trailers, then the blank line
                trailer = ufile.readline()  # type: ignore[attr-defined]
                client.sendall(trailer)
                if trailer in (b"\r\n", b"\n", b""):
                    return
        client.sendall(ufile.read(size + 2))  # type: ignore[attr-defined]


def _reset(sock: socket.socket) -> None:
    """Close with RST (SO_LINGER 0): the peer sees 'connection reset', not a clean EOF."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    except OSError:
        pass
