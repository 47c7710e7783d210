"""A small fault-injecting HTTP/1.1 proxy on loopback, between the client and the real server.

It understands just enough HTTP (request head + Content-Length body, response head + Content-Length
or chunked body) to inject faults per request: 503 SlowDown answers, connection resets in the
middle of a request or response body, stalls, and a byte budget after which every request is reset
(a network that dies at a known point). Counters let tests check what really crossed the wire.

Per-request hooks, each given the request as `Seen` (method, target, headers, body length and SHA-256):
`answer` returns canned answer bytes instead of forwarding (an HTML 502, a 503 SlowDown twice...),
`flip` changes one byte in the middle of the body and fixes nothing else (a man in the middle),
`lose_answer` forwards the request, reads the server's answer and closes the client connection without
passing it on (an answer lost on the way back), `head_of` rewrites an answer's head (a server that spells a
header its own way), `resend` forwards the request, drops the server's answer and
sends the request again, passing on the second answer (a proxy that retried a request that had succeeded),
`replace_answer` forwards the request, drops the server's answer and passes on canned answer bytes instead.
`record=True` keeps every request in `seen`.
It also works as a plain forward HTTP proxy (HTTP_PROXY): absolute-form targets are sent on to the
upstream in origin form (`counters.proxied` counts them; CONNECT is refused), and with `tls` (a server
SSLContext) it terminates TLS for the clients and talks plain HTTP to the upstream.
"""

from __future__ import annotations

import hashlib
import random
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

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
    answered: int = 0  # canned answers from the `answer` hook
    flipped: int = 0  # bodies changed by the `flip` hook
    lost: int = 0  # answers dropped by the `lose_answer` hook
    proxied: int = 0  # absolute-form requests (the proxy was used as an HTTP proxy)
    resent: int = 0  # requests sent to the server twice by the `resend` hook
    replaced: int = 0  # answers of the server replaced by the `replace_answer` hook


@dataclass
class Seen:
    """One request as the proxy received it."""

    method: str
    target: str  # as sent: origin form, or absolute form when used as an HTTP proxy
    headers: dict[str, str]  # names in lower case
    body_length: int
    body_sha256: str

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.target).query, keep_blank_values=True))


class Hold:
    """An `answer` hook that lets the first `limit` requests of `method` through and holds every
    request after the limit-th until release(); then they go on as usual. A fault test acts (a kill, a signal) while
    the client is provably midway: it cannot get further before the test acted, however the machine
    schedules the two."""

    def __init__(self, limit: int, method: str = "PUT") -> None:
        self.limit, self.method = limit, method
        self.seen = 0
        self.picked: list[Seen] = []  # the requests a Holds rule gave it
        self.reached = threading.Event()  # set as the limit-th one goes on to the server
        self._released = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, seen: Seen) -> None:
        with self._lock:
            if not self.reached.is_set():
                self.seen += seen.method == self.method
                if self.seen == self.limit:
                    self.reached.set()
                return None
        assert self._released.wait(120), "a held request was never released"  # a safety net
        return None

    def wait(self) -> None:
        """Until the limit-th request of `method` went on to the server."""
        assert self.reached.wait(120), f"the client never sent {self.limit} {self.method}s"  # a safety net

    def release(self) -> None:
        self._released.set()


class Holds:
    """An `answer` hook of Holds, each applied to the requests its predicate picks: add(pick, method) returns a
    Hold that holds EVERY such request (until its release()) and keeps them in `picked`, in order."""

    def __init__(self) -> None:
        self.rules: list[tuple[Callable[[Seen], bool], Hold]] = []

    def add(self, pick: Callable[[Seen], bool], method: str) -> Hold:
        hold = Hold(0, method)
        hold.reached.set()  # limit 0: every picked request is held until release()
        self.rules.append((pick, hold))
        return hold

    def __call__(self, seen: Seen) -> None:
        for pick, hold in self.rules:
            if seen.method == hold.method and pick(seen):
                hold.picked.append(seen)
                return hold(seen)
        return None


class _Reset(Exception):
    pass


class FaultProxy:
    """FaultProxy(upstream_port, slowdown_rate=0.1).start(); .endpoint is host:port for clients."""

    def __init__(self, upstream_port: int, *, upstream_host: str = "127.0.0.1", slowdown_rate: float = 0.0,
                 reset_rate: float = 0.0, stall_seconds: float = 0.0, byte_budget: int | None = None,
                 rechunk: bool = False, close_after_response: bool = False, seed: int = 1,
                 record: bool = False, answer: Callable[[Seen], bytes | None] | None = None,
                 flip: Callable[[Seen], bool] | None = None, lose_answer: Callable[[Seen], bool] | None = None,
                 resend: Callable[[Seen], bool] | None = None,
                 replace_answer: Callable[[Seen], bytes | None] | None = None,
                 tls: ssl.SSLContext | None = None, head_of: Callable[[str, bytes], bytes] | None = None) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.head_of = head_of  # (request method, answer head) -> the head passed on: a server's own header spellings
        self.slowdown_rate = slowdown_rate
        self.reset_rate = reset_rate
        self.stall_seconds = stall_seconds
        self.byte_budget = byte_budget
        self.rechunk = rechunk  # re-frame Content-Length bodies as chunked, like some reverse proxies
        self.close_after_response = close_after_response  # close kept-alive client connections, unannounced
        self.record = record
        self.answer = answer
        self.flip = flip
        self.lose_answer = lose_answer
        self.resend = resend
        self.replace_answer = replace_answer
        self.tls = tls
        self.seen: list[Seen] = []
        self.counters = Counters()
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._stopping = threading.Event()
        self._conns: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        # byte_budget: body bytes admitted so far (counted when admitted, so that requests arriving
        # together cannot overdraw it), and whether it ran out (then every request is reset)
        self._budget_used = 0
        self._budget_out = False

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

    def stop(self, wait: bool = False) -> None:
        """Stop accepting and reset every client connection. With `wait`, also return only once every
        connection's thread has ended: a request already passed on to the server has been answered by
        then, so what the server holds is final (nothing lands later)."""
        self._stopping.set()
        if self._sock is not None:
            _shutdown(self._sock)  # wakes the accepting thread
            self._sock.close()
        with self._lock:
            for conn in list(self._conns):
                _shutdown(conn)  # wakes its thread, which then resets it
                _reset(conn)
            self._conns.clear()
            threads = list(self._threads)
        for thread in threads if wait else []:
            thread.join(120)  # a safety net: each thread ends once its request was answered or reset
            assert not thread.is_alive(), "a fault-proxy connection did not end"

    def set(self, **changes: object) -> None:
        """Change fault settings while running (e.g. heal the network: byte_budget=None)."""
        with self._lock:
            for name, value in changes.items():
                setattr(self, name, value)
            if "byte_budget" in changes:
                self._budget_out = False

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
            thread = threading.Thread(target=self._serve, args=(client,), daemon=True)
            with self._lock:
                self._conns.add(client)
                self._threads = [t for t in self._threads if t.is_alive()]
                self._threads.append(thread)
            thread.start()

    def _roll(self, rate: float) -> bool:
        with self._lock:
            return rate > 0 and self._rng.random() < rate

    def requests_to(self, method: str, predicate: Callable[[Seen], bool] | None = None) -> list[Seen]:
        """The recorded requests with this method (and matching `predicate`)."""
        with self._lock:
            return [s for s in self.seen if s.method == method and (predicate is None or predicate(s))]

    def _serve(self, client: socket.socket) -> None:
        upstream: socket.socket | None = None
        raw = client
        try:
            if self.tls is not None:
                client = self.tls.wrap_socket(client, server_side=True)
                with self._lock:
                    self._conns.discard(raw)
                    self._conns.add(client)
            rfile = client.makefile("rb")
            while not self._stopping.is_set():
                head = _read_head(rfile)
                if not head:
                    return
                method, headers = _parse_head(head)
                target = head.split(b" ", 2)[1].decode("latin-1")
                if method == "CONNECT":
                    client.sendall(b"HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    return
                if target.startswith(("http://", "https://")):  # used as an HTTP proxy
                    head = _origin_form(head)
                    self._count("proxied")
                length = int(headers.get("content-length", "0") or 0)
                with self._lock:
                    self.counters.requests += 1
                    self.counters.methods[method] = self.counters.methods.get(method, 0) + 1
                    budget_gone = self.byte_budget is not None and (
                        self._budget_out or self._budget_used + length > self.byte_budget)
                    self._budget_out = budget_gone
                    self._budget_used += 0 if budget_gone else length
                if budget_gone:
                    self._count("resets")
                    raise _Reset
                if self._roll(self.reset_rate) and length > 0:
                    rfile.read(length // 2)  # reset in the middle of the request body
                    self._count("resets")
                    raise _Reset
                body = rfile.read(length) if length else b""
                if len(body) < length:  # the client went away in the middle of its body: pass none of it on
                    raise _Reset
                seen = Seen(method, target, headers, len(body), hashlib.sha256(body).hexdigest())
                if self.record:
                    with self._lock:
                        self.seen.append(seen)
                canned = self.answer(seen) if self.answer is not None else None
                if canned is not None:
                    self._count("answered")
                    client.sendall(canned)
                    continue
                if body and self.flip is not None and self.flip(seen):
                    middle = len(body) // 2
                    body = body[:middle] + bytes([body[middle] ^ 0x01]) + body[middle + 1:]
                    self._count("flipped")
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
                if self.resend is not None and self.resend(seen):  # the first answer dropped, the request sent again
                    upstream = self._relay_response(upstream, _Discard(), method, False)
                    upstream = upstream or socket.create_connection(self.upstream, timeout=60)
                    upstream.sendall(head + body)
                    self._count("resent")
                instead = self.replace_answer(seen) if self.replace_answer is not None else None
                if instead is not None:  # the server's answer dropped, another passed on
                    upstream = self._relay_response(upstream, _Discard(), method, False)
                    client.sendall(instead)
                    self._count("replaced")
                    continue
                if self.lose_answer is not None and self.lose_answer(seen):
                    upstream = self._relay_response(upstream, _Discard(), method, False)
                    self._count("lost")
                    return  # close the client connection without an answer
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
                self._conns.discard(raw)
            if upstream is not None:
                upstream.close()
            try:
                client.close()
            except OSError:
                pass

    def _count(self, name: str) -> None:
        with self._lock:
            setattr(self.counters, name, getattr(self.counters, name) + 1)

    def _relay_response(self, upstream: socket.socket, client: socket.socket | _Discard, method: str,
                        cut: bool) -> socket.socket | None:
        ufile = upstream.makefile("rb")
        head = _read_head(ufile)
        if not head:
            raise _Reset
        if self.head_of is not None:
            head = self.head_of(method, head)
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


class _Discard:
    """Where a lost answer goes."""

    def sendall(self, data: bytes) -> None:
        pass


def _origin_form(head: bytes) -> bytes:
    """`GET http://host:port/b/k?q HTTP/1.1` -> `GET /b/k?q HTTP/1.1` (the Host header stays)."""
    line, sep, rest = head.partition(b"\r\n")
    method, target, version = line.split(b" ", 2)
    parts = urlsplit(target.decode("latin-1"))
    origin = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return b" ".join([method, origin.encode("latin-1"), version]) + sep + rest


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


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _reset(sock: socket.socket) -> None:
    """Close with RST (SO_LINGER 0): the peer sees 'connection reset', not a clean EOF."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    except OSError:
        pass
