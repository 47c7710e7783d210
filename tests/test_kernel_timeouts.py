"""Plain-HTTP sockets with kernel-kept timeouts (s3/kernel_timeouts.py): no poll() before every recv/send,
and a server that stops answering still ends a command with the same "timed out" error, exit 69, as when
CPython's own socket timeout expired. Uploads over TLS too: the connect timeout bounds the sending of each
slice of a body (s3/pool._TLSConnection), not the whole body. Real loopback sockets and tests/faultserver.py;
no test measures time: the timeouts come from the settings (0.5 s), and every stall is released when the
test ends."""
from __future__ import annotations

import fcntl
import os
import socket
import ssl
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from faultserver import FakeObject, FaultServer, response
from pydantic import SecretStr

from its_store.core import errors as E
from its_store.core.settings import Settings
from its_store.s3.kernel_timeouts import KernelTimedSocket
from its_store.s3.pool import build_pool
from its_store.testing.devserver import self_signed_certificate

from conftest import one_line_error
from helpers import random_bytes

BUCKET = "fake-bkt"
QUICK = {"MINIO_CONNECT_TIMEOUT": "0.5", "MINIO_READ_TIMEOUT": "0.5", "MINIO_MAX_RETRIES": "0"}


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """Set when the test ends: every stalled handler returns then."""
    event = threading.Event()
    yield event
    event.set()


def _stalling(release: threading.Event, method: str, sent: bytes | None) -> Any:
    """A handler that answers `method` on key `k` with `sent` (None: nothing), then never more."""
    def handler(server: FaultServer, request: Any, conn: Any) -> bool:
        if request.method != method or request.key != "k":
            return False
        if sent is not None:
            conn.send(sent)
        release.wait(60)
        conn.reset()
        return True
    return handler


@contextmanager
def _fake(handler: Any, data: bytes, tls: ssl.SSLContext | None = None) -> Iterator[FaultServer]:
    server = FaultServer(handler, buckets=(BUCKET,), tls=tls, rcvbuf=None if tls is None else 64 * 1024).start()
    server.put_object(BUCKET, "k", FakeObject(data))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["http", "https"])
def scheme(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[ssl.SSLContext | None, dict[str, str]]:
    """(the fake server's TLS context or None, the client's settings for it): plain HTTP, and TLS with a
    self-signed certificate the client trusts as its CA bundle."""
    if request.param == "http":
        return None, {}
    cert, key = self_signed_certificate(tmp_path / "tls")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context, {"MINIO_SECURE": "true", "MINIO_CA_BUNDLE": str(cert)}


def _blocking(sock: socket.socket) -> bool:
    return not fcntl.fcntl(sock.fileno(), fcntl.F_GETFL) & os.O_NONBLOCK


def _timeval(sock: socket.socket, option: int) -> float:
    sec, usec = struct.unpack("ll", sock.getsockopt(socket.SOL_SOCKET, option, 16))
    return sec + usec / 1e6


def test_a_plain_http_connection_keeps_its_timeouts_in_the_kernel(tmp_path: Path) -> None:
    """The socket urllib3 sends and reads on is blocking (no poll() before each call): SO_SNDTIMEO is the
    connect timeout, SO_RCVTIMEO the read timeout; urllib3's settimeout() with either changes nothing."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        settings = Settings(endpoint=f"127.0.0.1:{port}", access_key="fakeaccess",
                            secret_key=SecretStr("fake-secret-0123"), cache_dir=tmp_path / "c",
                            connect_timeout=3.0, read_timeout=7.5)
        conn = build_pool(settings, 1).pool_classes_by_scheme["http"].ConnectionCls("127.0.0.1", port, timeout=3.0)
        conn.connect()
        try:
            assert isinstance(conn.sock, KernelTimedSocket)
            assert _blocking(conn.sock)
            kept = (_timeval(conn.sock, socket.SO_SNDTIMEO), _timeval(conn.sock, socket.SO_RCVTIMEO))
            assert kept == pytest.approx((3.0, 7.5), abs=0.01)  # in kernel ticks
            conn.sock.settimeout(7.5)  # as urllib3 does before reading an answer
            assert _blocking(conn.sock) and conn.sock.gettimeout() == 7.5
            conn.sock.settimeout(2.0)  # any other timeout: Python's own again
            assert not _blocking(conn.sock) and conn.sock.gettimeout() == 2.0
            conn.sock.settimeout(3.0)
            assert _blocking(conn.sock) and conn.sock.gettimeout() == 3.0
        finally:
            conn.close()


def test_an_expired_kernel_timeout_is_cpythons_timeout_error() -> None:
    """recv on a silent peer and send/sendall to a peer that reads nothing end in TimeoutError('timed out'), as
    CPython's own timeout does (the kernel says EAGAIN: BlockingIOError, which urllib3 would not call a
    timeout mid-body); a caller's 0 timeout keeps EAGAIN."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        client = socket.create_connection(listener.getsockname(), timeout=0.3)
        peer, _ = listener.accept()
        sock = KernelTimedSocket.adopt(client, 0.3, 0.3)
        try:
            with pytest.raises(TimeoutError, match=r"^timed out$"):
                sock.recv_into(bytearray(10))
            with pytest.raises(TimeoutError, match=r"^timed out$"):
                sock.recv(10)
            with pytest.raises(TimeoutError, match=r"^timed out$"):
                sock.sendall(b"x" * (64 * 1024 * 1024))
            with pytest.raises(TimeoutError, match=r"^timed out$"):  # the send buffer is full: no byte taken
                sock.send(b"x" * (1024 * 1024))
            sock.settimeout(0)
            with pytest.raises(BlockingIOError):
                sock.recv(10)
        finally:
            sock.close()
            peer.close()


@pytest.mark.parametrize("where", ["before the answer", "mid-body"])
def test_a_get_that_stalls_ends_timed_out(cli, release: threading.Event, tmp_path: Path, where: str) -> None:
    """A server that stops answering a GET, before its status line or after part of the body: one line
    "timed out", exit 69, no file and no temp file left."""
    data = random_bytes(300_000, seed=41)
    head = response(200, headers={"ETag": f'"{FakeObject(data).etag}"', "Content-Length": str(len(data)),
                                  "Last-Modified": "Mon, 07 Dec 2026 10:00:00 GMT"}, head=True)
    sent = None if where == "before the answer" else head + data[:1000]
    with _fake(_stalling(release, "GET", sent), data) as server:
        before = sorted(os.listdir(tmp_path))
        run = cli("get", f"s3://{BUCKET}/k", "out.bin", extra_env={"MINIO_ENDPOINT": server.endpoint, **QUICK})
        assert run.exit_code == E.EXIT_UNAVAILABLE, run
        assert "timed out" in one_line_error(run), run
        assert sorted(os.listdir(tmp_path)) == before, run  # no file, no temp file


def test_a_get_that_stalls_is_retried(cli, release: threading.Event) -> None:
    """A timed-out GET is sent again as many times as MINIO_MAX_RETRIES says (urllib3's read retries)."""
    with _fake(_stalling(release, "GET", None), b"abc") as server:
        run = cli("get", f"s3://{BUCKET}/k", "out.bin",
                  extra_env={"MINIO_ENDPOINT": server.endpoint, **QUICK, "MINIO_MAX_RETRIES": "2"})
        assert run.exit_code == E.EXIT_UNAVAILABLE, run
        assert "timed out" in one_line_error(run), run
        # as with CPython's own timeout: urllib3's 2 retries, then the download's HEAD and one round more
        assert [r.method for r in server.requests if r.key == "k"] == ["GET"] * 3 + ["HEAD"] + ["GET"] * 3


def test_an_upload_to_a_server_that_reads_nothing_ends_timed_out(cli, release: threading.Event, tmp_path: Path,
                                                                   scheme: tuple[Any, dict[str, str]]) -> None:
    """A PUT whose body the server never reads nor answers: one line "timed out", exit 69 (HTTP and TLS)."""
    src = tmp_path / "f.bin"
    src.write_bytes(random_bytes(4 * 1024 * 1024, seed=42))
    tls, env = scheme
    with _fake(_stalling(release, "PUT", None), b"", tls) as server:
        run = cli("upload", str(src), f"s3://{BUCKET}/k",
                  extra_env={"MINIO_ENDPOINT": server.endpoint, **QUICK, **env})
        assert run.exit_code == E.EXIT_UNAVAILABLE, run
        assert "timed out" in one_line_error(run), run


def test_a_slow_reader_does_not_cut_off_an_upload(cli, tmp_path: Path, scheme: tuple[Any, dict[str, str]]) -> None:
    """The connect timeout bounds each wait for send buffer space (TLS: the sending of each slice of the
    body), not a whole request body: a server that takes a 12 MiB PUT in 64 KB pieces with short pauses
    (each far below the 2 s timeout, the whole body far above it) gets all of it. CPython's own timeout
    bounded the whole sendall() (TLS: one SSL_write of the whole body): 'timed out', exit 69."""
    src = tmp_path / "f.bin"
    src.write_bytes(data := random_bytes(12 * 1024 * 1024, seed=43))

    def slow_reader(server: FaultServer, request: Any, conn: Any) -> bool:
        if request.method == "PUT" and request.key == "k" and request.body is None:
            pieces, left = [], request.length
            while left > 0:
                pieces.append(conn.rfile.read(min(left, 64 * 1024)))
                left -= len(pieces[-1])
                threading.Event().wait(0.02)
            request.body = b"".join(pieces)
        return False  # then answered as usual

    tls, env = scheme
    with _fake(slow_reader, b"", tls) as server:
        run = cli("upload", str(src), f"s3://{BUCKET}/k", extra_env={
            "MINIO_ENDPOINT": server.endpoint, **QUICK, **env, "MINIO_READ_TIMEOUT": "30",
            # 2 s: each wait (or TLS slice) takes ~0.02-0.1 s, the whole body >= 3.8 s (192 pieces 20 ms apart),
            # and a loaded machine pausing the server's thread for 0.5 s cannot fail the test
            "MINIO_CONNECT_TIMEOUT": "2", "MINIO_MULTIPART_THRESHOLD": str(64 * 1024 * 1024)})
        assert run.exit_code == 0, run
        assert server.objects[(BUCKET, "k")].data == data
        put = server.seen("PUT")[0]  # one plain body, its length told first: not chunked
        assert put.length == len(data) and "transfer-encoding" not in put.headers, put.headers


@pytest.mark.parametrize("seconds", [1e-7, 4.9e-7, 0.9999997, 1.9999999, 86400.0])
def test_every_timeout_the_settings_allow_is_one_the_kernel_keeps(seconds: float) -> None:
    """MINIO_*_TIMEOUT may be any number above 0 up to a day: each is kept as a timeval of whole microseconds
    rounded up. Below half a microsecond it was rounded down to 0 s 0 µs, which the kernel takes for NO
    timeout (a stalled server held the command forever); just below a whole second it was rounded up to
    1,000,000 µs, which the kernel refuses (EDOM: an OSError on every connection)."""
    Settings(endpoint="127.0.0.1:9", access_key="fakeaccess", secret_key=SecretStr("fake-secret-0123"),
             connect_timeout=seconds, read_timeout=seconds)  # the settings take it
    client, peer = socket.socketpair()
    sock = KernelTimedSocket.adopt(client, seconds, seconds)
    try:
        for option in (socket.SO_SNDTIMEO, socket.SO_RCVTIMEO):
            kept = _timeval(sock, option)
            assert kept > 0, option  # 0: no timeout at all
            assert kept == pytest.approx(seconds, abs=0.01)  # in kernel ticks
    finally:
        sock.close()
        peer.close()


def test_a_callers_own_timeout_is_the_one_each_call_waits() -> None:
    """A caller's timeout equal to the pool's OTHER value (a 0.2 s read where the pool connects in 0.2 s and
    reads in 30 s) is the wait of that read: the recv runs on Python's timeout, not the kernel's 30 s; and
    None (no timeout) clears the kernel's, which come back with the pool's values. The kernel-kept pair was
    taken for any value among the two, whatever the call: the recv waited the 30 s; under None, each recv
    and send still ended after the kernel's timeout, as EAGAIN (BlockingIOError: "no data" to http.client)."""
    client, peer = socket.socketpair()
    sock = KernelTimedSocket.adopt(client, 0.2, 30.0)
    try:
        sock.settimeout(0.2)  # as urllib3 does before reading an answer, with the caller's read timeout
        peer.send(b"x")
        assert sock.recv(1) == b"x"
        assert not _blocking(sock) and sock.gettimeout() == 0.2  # Python's 0.2 s, not the kernel's 30 s
        sock.settimeout(30.0)
        assert _blocking(sock)  # the pool's read timeout: the kernel's again
        sock.settimeout(None)
        assert _blocking(sock) and sock.gettimeout() is None
        assert (_timeval(sock, socket.SO_SNDTIMEO), _timeval(sock, socket.SO_RCVTIMEO)) == (0, 0)  # none
        sock.settimeout(0.2)
        kept = (_timeval(sock, socket.SO_SNDTIMEO), _timeval(sock, socket.SO_RCVTIMEO))
        assert _blocking(sock) and kept == pytest.approx((0.2, 30.0), abs=0.01)
    finally:
        sock.close()
        peer.close()
